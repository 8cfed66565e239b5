package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/kfleet/kfleet/cmd/internal/exitcode"
	"github.com/kfleet/kfleet/cmd/internal/factory"
	"github.com/kfleet/kfleet/cmd/internal/output"
	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/cluster"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/fleet"
	"github.com/kfleet/kfleet/ops/kafka"
)

type statusOptions struct {
	f           *factory.Factory
	brokerFlags []string
	watch       bool
	interval    time.Duration
	timeout     time.Duration
	concurrency int
	noHosts     bool
}

func newStatusCmd(f *factory.Factory) *cobra.Command {
	o := &statusOptions{f: f}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Fleet health: brokers alive, controller, URP, under-min-ISR, offline, reassignments, versions",
		Long: `Read every selected cluster from Kafka (and ask each broker's host which Kafka version it
runs) and report its health. A cluster is unhealthy when an inventory broker is not alive (not
registered, or fenced) or any partition is under-replicated, under min.insync.replicas or offline.

Clusters are read concurrently, each under --timeout; an unreachable cluster is reported with its
error and does not hold the others back.

Exit codes: 0 every cluster healthy, 3 some cluster unhealthy, 69 some cluster unreachable.`,
		Example: `  kfleet status
  kfleet -c payments-prod status --brokers 1,2 -o json
  kfleet status --watch --interval 2s`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd.Context()) },
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&o.brokerFlags, "brokers", nil, "broker ids to list in detail, e.g. 1,2 or 4-6 (default with -v: all)")
	fl.BoolVarP(&o.watch, "watch", "w", false, "refresh in place until interrupted")
	fl.DurationVar(&o.interval, "interval", 2*time.Second, "refresh interval with --watch")
	fl.DurationVar(&o.timeout, "timeout", 15*time.Second, "deadline for reading one cluster (Kafka and hosts)")
	fl.IntVar(&o.concurrency, "concurrency", fleet.DefaultConcurrency, "clusters read at once")
	fl.BoolVar(&o.noHosts, "no-hosts", false, "do not SSH to brokers' hosts (no running version)")
	return cmd
}

// statusReport is the `status -o json` document.
type statusReport struct {
	Clusters []cluster.Health `json:"clusters" yaml:"clusters"`
	detail   map[string][]int32
}

func (o *statusOptions) run(ctx context.Context) error {
	if o.interval < 100*time.Millisecond {
		return fault.Usagef("--interval %s is too short (minimum 100ms)", o.interval)
	}
	clusters, err := o.f.SelectedClusters()
	if err != nil {
		return err
	}
	detail, err := o.detailBrokers(clusters)
	if err != nil {
		return err
	}
	if !o.watch {
		rep := o.collect(ctx, clusters, detail)
		if err := output.Render(o.f.IO.Out, o.f.Output, rep, output.StatusTable(rep.Clusters, rep.detail, o.f.Verbose)); err != nil {
			return err
		}
		return rep.verdict()
	}
	for {
		rep := o.collect(ctx, clusters, detail)
		if ctx.Err() != nil {
			return rep.verdict()
		}
		if err := o.printWatch(rep); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			// Ctrl-C is how a watch ends: report the last verdict, not an interruption.
			return rep.verdict()
		case <-time.After(o.interval):
		}
	}
}

// detailBrokers resolves --brokers per cluster; -v alone details every broker.
func (o *statusOptions) detailBrokers(clusters []*inventory.Cluster) (map[string][]int32, error) {
	ids, err := inventory.ParseBrokerIDs(o.brokerFlags)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 && !o.f.Verbose {
		return nil, nil
	}
	detail := map[string][]int32{}
	for _, c := range clusters {
		bs, err := c.SelectBrokers(ids)
		if err != nil {
			return nil, err
		}
		for _, b := range bs {
			detail[c.Name] = append(detail[c.Name], b.ID)
		}
	}
	return detail, nil
}

func (o *statusOptions) collect(ctx context.Context, clusters []*inventory.Cluster, detail map[string][]int32) *statusReport {
	fo := fleet.Options{Concurrency: o.concurrency, Timeout: o.timeout,
		Kafka: kafka.Options{Logger: o.f.Logger()}}
	if !o.noHosts {
		fo.SSH = o.f.SSH()
	}
	return &statusReport{Clusters: fleet.Collect(ctx, clusters, fo), detail: detail}
}

func (o *statusOptions) printWatch(rep *statusReport) error {
	out := o.f.IO.Out
	switch {
	case o.f.Output == output.FormatJSON:
		// One compact document per refresh, so a log stays line-oriented.
		return json.NewEncoder(out).Encode(rep)
	case o.f.IO.OutTTY:
		fmt.Fprint(out, "\033[H\033[2J")
	}
	fmt.Fprintf(out, "kfleet status  %s  (every %s, Ctrl-C to stop)\n\n", time.Now().Format("15:04:05"), o.interval)
	return output.Render(out, o.f.Output, rep, output.StatusTable(rep.Clusters, rep.detail, o.f.Verbose))
}

// verdict is the exit code contract: 69 unreachable, 3 unhealthy, 0 healthy; the report has
// said why.
func (r *statusReport) verdict() error {
	if err := fleet.Verdict(r.Clusters); err != nil {
		return exitcode.Quiet{Err: err}
	}
	return nil
}
