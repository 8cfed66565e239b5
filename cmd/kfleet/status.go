package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/cluster"
	"github.com/kfleet/kfleet/ops/fleet"
	"github.com/kfleet/kfleet/ops/kafka"
)

type statusOptions struct {
	f           *Factory
	brokerFlags []string
	watch       bool
	interval    time.Duration
	timeout     time.Duration
	concurrency int
	noHosts     bool
}

func newStatusCmd(f *Factory) *cobra.Command {
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
	fl.IntVar(&o.concurrency, "concurrency", 8, "clusters read at once")
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
		return usagef("--interval %s is too short (minimum 100ms)", o.interval)
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
		if err := render(o.f.IO.Out, o.f.Output, rep, rep.table(o.f.Verbose)); err != nil {
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
	case o.f.Output == formatJSON:
		// One compact document per refresh, so a log stays line-oriented.
		return json.NewEncoder(out).Encode(rep)
	case o.f.IO.OutTTY:
		fmt.Fprint(out, "\033[H\033[2J")
	}
	fmt.Fprintf(out, "kfleet status  %s  (every %s, Ctrl-C to stop)\n\n", time.Now().Format("15:04:05"), o.interval)
	return render(out, o.f.Output, rep, rep.table(o.f.Verbose))
}

// verdict turns the report into the exit code contract: 69 unreachable, 3 unhealthy, 0 healthy.
func (r *statusReport) verdict() error {
	var down, sick []string
	for _, c := range r.Clusters {
		switch {
		case c.Unreachable:
			down = append(down, c.Name)
		case !c.Healthy:
			sick = append(sick, c.Name)
		}
	}
	switch {
	case len(down) > 0:
		return &codedError{code: exitUnreachable, quiet: true, msg: "unreachable: " + strings.Join(down, ", ")}
	case len(sick) > 0:
		return &checkFailed{msg: "unhealthy: " + strings.Join(sick, ", ")}
	}
	return nil
}

// table is the human rendering: one row per cluster, problems under it, brokers on request.
func (r *statusReport) table(verbose bool) func(io.Writer) error {
	return func(w io.Writer) error {
		t := newTable(w, "CLUSTER", "HEALTH", "BROKERS", "CONTROLLER", "PARTITIONS", "URP",
			"UNDER-MIN-ISR", "OFFLINE", "REASSIGNING", "VERSIONS", "LEASE")
		for _, c := range r.Clusters {
			if err := t.Append(clusterRow(c)); err != nil {
				return err
			}
		}
		if err := t.Render(); err != nil {
			return err
		}
		for _, c := range r.Clusters {
			printClusterNotes(w, c, verbose)
		}
		if len(r.detail) == 0 {
			return nil
		}
		fmt.Fprintln(w)
		bt := newTable(w, "CLUSTER", "BROKER", "HOST", "RACK", "ALIVE", "VERSION", "LEADERS", "REPLICAS", "URP")
		for _, c := range r.Clusters {
			want := map[int32]bool{}
			for _, id := range r.detail[c.Name] {
				want[id] = true
			}
			for _, b := range c.Brokers {
				if !want[b.ID] {
					continue
				}
				if err := bt.Append(brokerRow(c, b)); err != nil {
					return err
				}
			}
		}
		return bt.Render()
	}
}

func clusterRow(c cluster.Health) []string {
	alive := 0
	inv := 0
	for _, b := range c.Brokers {
		if b.InInventory {
			inv++
			if b.Alive {
				alive++
			}
		}
	}
	health := "healthy"
	switch {
	case c.Unreachable:
		health = "UNREACHABLE"
	case !c.Healthy:
		health = "UNHEALTHY"
	}
	if c.Unreachable {
		return []string{c.Name, health, fmt.Sprintf("?/%d", inv), "-", "-", "-", "-", "-", "-", "-", "-"}
	}
	versions := strings.Join(c.Versions, ",")
	if len(c.Versions) > 1 {
		versions += " (mixed)"
	}
	if versions == "" {
		versions = "-"
	}
	lease := "-"
	if c.Lease != nil {
		lease = fmt.Sprintf("%s: %s", c.Lease.Holder, c.Lease.Purpose)
	}
	controller := "-"
	if c.Controller >= 0 {
		controller = cell(c.Controller)
	}
	return []string{c.Name, health, fmt.Sprintf("%d/%d", alive, inv), controller, cell(c.Partitions),
		cell(c.UnderReplicated), cell(c.UnderMinISR), cell(c.Offline), cell(c.Reassigning), versions, lease}
}

func printClusterNotes(w io.Writer, c cluster.Health, verbose bool) {
	if c.Unreachable {
		fmt.Fprintf(w, "\n%s: %s\n", c.Name, c.Error)
		return
	}
	if len(c.Problems) > 0 {
		fmt.Fprintf(w, "\n%s:\n", c.Name)
		for _, p := range c.Problems {
			fmt.Fprintf(w, "  - %s\n", p)
		}
		for _, p := range c.ProblemPartitions {
			fmt.Fprintf(w, "    %s %s: leader %d, replicas %v, isr %v\n", p.Kind, p.Partition, p.Leader, p.Replicas, p.ISR)
		}
	}
	if c.Lease != nil && len(c.Events) > 0 {
		if e := c.Events[len(c.Events)-1]; e.OpID == c.Lease.OpID {
			fmt.Fprintf(w, "\n%s: operation %s (%s) since %s: %s\n", c.Name, c.Lease.OpID, c.Lease.Purpose,
				c.Lease.Since.Local().Format("15:04:05"), e.Message)
		}
	}
	if verbose || len(c.Problems) > 0 {
		for _, warn := range c.Warnings {
			fmt.Fprintf(w, "  ! %s\n", warn)
		}
	}
	for _, b := range c.Brokers {
		if b.VersionError != "" && (verbose || b.Alive) {
			fmt.Fprintf(w, "  ! broker %d (%s): version unknown: %s\n", b.ID, b.Host, b.VersionError)
		}
	}
}

func brokerRow(c cluster.Health, b cluster.BrokerHealth) []string {
	alive := "yes"
	switch {
	case c.Unreachable:
		alive = "?"
	case b.Fenced:
		alive = "FENCED"
	case !b.Registered:
		alive = "NO"
	}
	version := b.Version
	if version == "" {
		version = "-"
	}
	id := cell(b.ID)
	if !b.InInventory {
		id += " (not in inventory)"
	}
	return []string{c.Name, id, b.Host, b.Rack, alive, version, cell(b.Leaders), cell(b.Replicas), cell(b.UnderReplicated)}
}
