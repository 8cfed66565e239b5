package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kfleet/kfleet/cmd/internal/exitcode"
	"github.com/kfleet/kfleet/cmd/internal/factory"
	"github.com/kfleet/kfleet/cmd/internal/output"
	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/cluster"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/fleet"
	"github.com/kfleet/kfleet/ops/host"
	"github.com/kfleet/kfleet/ops/kafka"
)

type statusOptions struct {
	f           *factory.Factory
	brokerFlags []string
	watch       bool
	interval    time.Duration
	intervalSet bool // --interval given: only --watch takes it
	timeout     time.Duration
	concurrency int
	noHosts     bool
	hostMaxAge  time.Duration
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

With --watch the table is drawn again every --interval until Ctrl-C, the first time once every
cluster has answered (or after one interval, with those that have). Each cluster is read on its
own: again --interval after its last answer, never while a read of it still runs, so a slow or dead
cluster delays only its own row; AGE says how old each row is, "(stale)" past three intervals. When
reading the whole fleet --concurrency at a time takes longer than --interval, the interval
stretches to twice that time. With -o json, one compact document per draw.

What a broker's host says of its Kafka process (its version, the node id it was started with) is
kept in --state-dir (in memory with --watch). A later status within --host-facts-max-age reuses
it without asking the host while Kafka gives no reason to doubt it: the broker is registered,
unfenced and still answers requests, and no operation holds the lease or has logged an event
since. Otherwise, and for a process not seen before, the host is asked; one it has seen is only
confirmed to run still. JSON's host_checked_at says when each host last answered.

Exit codes: 0 every cluster healthy, 3 some cluster unhealthy, 69 some cluster unreachable.`,
		Example: `  kfleet status
  kfleet -c payments-prod status --brokers 1,2 -o json
  kfleet status --watch --interval 2s`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.intervalSet = cmd.Flags().Changed("interval")
			return o.run(cmd.Context())
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&o.brokerFlags, "brokers", nil, "broker ids to list in detail, e.g. 1,2 or 4-6 (default with -v: all)")
	fl.BoolVarP(&o.watch, "watch", "w", false, "refresh in place until interrupted")
	fl.DurationVar(&o.interval, "interval", 2*time.Second, "with --watch: time between draws, and from a cluster's answer to its next read")
	fl.DurationVar(&o.timeout, "timeout", 15*time.Second, "deadline for reading one cluster (Kafka and hosts)")
	fl.IntVar(&o.concurrency, "concurrency", fleet.DefaultConcurrency, "clusters read at once")
	fl.BoolVar(&o.noHosts, "no-hosts", false, "do not SSH to brokers' hosts (no running version)")
	fl.DurationVar(&o.hostMaxAge, "host-facts-max-age", 30*time.Second, "reuse what a broker's host said of its process this recently, unless Kafka gives a reason to doubt it (0: ask every host)")
	return cmd
}

// statusReport is the `status -o json` document.
type statusReport struct {
	Clusters []cluster.Health `json:"clusters" yaml:"clusters"`
	detail   map[string][]int32
}

func (o *statusOptions) run(ctx context.Context) error {
	switch {
	case o.intervalSet && !o.watch:
		return fault.Usagef("--interval applies only with --watch")
	case o.interval < 100*time.Millisecond:
		return fault.Usagef("--interval %s is too short (minimum 100ms)", o.interval)
	case o.hostMaxAge < 0:
		return fault.Usagef("--host-facts-max-age %s is negative (0 asks every host)", o.hostMaxAge)
	}
	clusters, err := o.f.SelectedClusters()
	if err != nil {
		return err
	}
	detail, err := o.detailBrokers(clusters)
	if err != nil {
		return err
	}
	fo := o.fleetOptions()
	if o.watch {
		fo.Client = o.f.Kafka // one client per cluster for the whole watch: re-reads reuse its connections
		fo.Processes = host.NewProcessCache()
		return o.watchFleet(ctx, clusters, detail, func(ctx context.Context, c *inventory.Cluster) cluster.Health {
			return fleet.CollectCluster(ctx, c, fo)
		})
	}
	// The brokers' processes a status found last time are only confirmed on their hosts.
	cacheFile := host.ProcessCacheFile(o.f.StateDir)
	if fo.SSH != nil {
		fo.Processes = host.LoadProcessCache(cacheFile)
	}
	rep := &statusReport{Clusters: fleet.Collect(ctx, clusters, fo), detail: detail}
	if fo.Processes != nil {
		if err := fo.Processes.Save(cacheFile); err != nil {
			o.f.Logger().Warn("the brokers' process cache was not saved", "file", cacheFile, "err", err)
		}
	}
	if err := output.Render(o.f.IO.Out, o.f.Output, rep, output.StatusTable(rep.Clusters, rep.detail, o.f.Verbose)); err != nil {
		return err
	}
	return rep.verdict()
}

// watchFleet draws the fleet's status every interval until ctx ends (fleet.Watch: each cluster
// on its own schedule, a slow or dead one delaying only its own row); Ctrl-C is how a watch ends,
// so it reports the verdict of the last answers, not an interruption.
func (o *statusOptions) watchFleet(ctx context.Context, clusters []*inventory.Cluster, detail map[string][]int32,
	read func(context.Context, *inventory.Cluster) cluster.Health) error {
	last, err := fleet.Watch(ctx, clusters, o.interval, o.concurrency, read, func(f fleet.Frame) error {
		return o.printWatch(f, detail)
	})
	if err != nil {
		return err
	}
	return (&statusReport{Clusters: last.Clusters, detail: detail}).verdict()
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

func (o *statusOptions) fleetOptions() fleet.Options {
	fo := fleet.Options{Concurrency: o.concurrency, Timeout: o.timeout,
		Kafka: kafka.Options{Logger: o.f.Logger()}}
	if !o.noHosts {
		fo.SSH, fo.HostFactsMaxAge = o.f.SSH(), o.hostMaxAge
	}
	return fo
}

// waitingShown is how many of the clusters yet to answer a watch table names.
const waitingShown = 10

// printWatch draws one watch table: the clusters that have answered, each with its age.
func (o *statusOptions) printWatch(f fleet.Frame, detail map[string][]int32) error {
	rep := &statusReport{Clusters: f.Clusters, detail: detail}
	out := o.f.IO.Out
	switch {
	case o.f.Output == output.FormatJSON:
		// One compact document per draw, so a log stays line-oriented; taken_at dates each cluster.
		return json.NewEncoder(out).Encode(rep)
	case o.f.IO.OutTTY:
		fmt.Fprint(out, "\033[H\033[2J")
	}
	every := f.Every.Round(100 * time.Millisecond)
	pace := fmt.Sprintf("every %s", every)
	if every > o.interval {
		pace += fmt.Sprintf(", --interval %s stretched for %d clusters", o.interval, f.Total)
	}
	fmt.Fprintf(out, "kfleet status  %s  (%s; Ctrl-C to stop)\n\n", f.Now.Format("15:04:05"), pace)
	if err := output.Render(out, o.f.Output, rep, output.WatchTable(rep.Clusters, f.Ages, f.StaleAfter, rep.detail, o.f.Verbose)); err != nil {
		return err
	}
	if len(f.Waiting) > 0 && o.f.Output == output.FormatTable {
		names := strings.Join(f.Waiting[:min(len(f.Waiting), waitingShown)], ", ")
		if len(f.Waiting) > waitingShown {
			names += fmt.Sprintf(" and %d more", len(f.Waiting)-waitingShown)
		}
		fmt.Fprintf(out, "\nno answer yet from %d cluster(s): %s\n", len(f.Waiting), names)
	}
	return nil
}

// verdict is the exit code contract: 69 unreachable, 3 unhealthy, 0 healthy; the report has
// said why.
func (r *statusReport) verdict() error {
	if err := fleet.Verdict(r.Clusters); err != nil {
		return exitcode.Quiet{Err: err}
	}
	return nil
}
