package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kfleet/kfleet/cmd/internal/factory"
	"github.com/kfleet/kfleet/cmd/internal/output"
	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/lease"
	"github.com/kfleet/kfleet/reassign"
)

func newReassignCmd(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "reassign",
		Short: "Targeted reassignment: move only the replicas on dead or named brokers",
		Long: `Repair under-replicated partitions by moving only the replicas that sit on affected brokers,
never a cluster-wide shuffle. A broker is affected when it is not registered, fenced (under KRaft a
dead broker stays registered as fenced), or named with --from-brokers (degraded, or being drained).
Each replica on an affected broker is replaced in the same position of its partition's list by a
live broker: the lost replica's rack first, the least loaded one, deterministically.

  kfleet reassign plan      show the plan; -o json prints Kafka's reassignment JSON
  kfleet reassign apply     run a plan (--plan FILE or --auto): lease, batches, throttles, progress
  kfleet reassign status    reassignments in flight, whoever started them, with progress
  kfleet reassign cancel    revert kfleet's moves in flight and remove its throttles

See docs/reassign.md.`,
		Args: noArgs,
	}
	cmd.AddCommand(newReassignPlanCmd(f), newReassignApplyCmd(f), newReassignStatusCmd(f), newReassignCancelCmd(f))
	return cmd
}

// reassignCluster resolves -c and its Kafka client.
func reassignCluster(f *factory.Factory, verb string) (*inventory.Cluster, *reassign.KafkaAdmin, error) {
	c, err := f.OneCluster(verb)
	if err != nil {
		return nil, nil, err
	}
	cl, err := f.Kafka(c)
	if err != nil {
		return nil, nil, err
	}
	return c, reassign.NewKafkaAdmin(c.Name, cl), nil
}

func newReassignPlanCmd(f *factory.Factory) *cobra.Command {
	var from []string
	cmd := &cobra.Command{
		Use:   "plan [--from-brokers IDS]",
		Short: "Plan moving the replicas off dead (and named) brokers; change nothing",
		Long: `Read the cluster and partition sizes (DescribeLogDirs) and plan the targeted reassignment.

-o json prints the plan in Kafka's reassignment format on stdout, so kafka-reassign-partitions
--execute and 'kfleet reassign apply --plan FILE' both take it:

  {"version":1,"partitions":[{"topic":"orders","partition":7,"replicas":[1,5,3]}]}

-o yaml prints kfleet's whole plan (moves with their notes, per-broker load, impossible ones).
The table shows the moves, bytes to copy, per-broker load before and after, and racks.

Partitions that cannot be repaired (no eligible broker, or offline) are named; the plan covers
the rest and the command exits 3.`,
		Example: `  kfleet -c payments-prod reassign plan
  kfleet -c payments-prod reassign plan --from-brokers 5 -o json > drain-5.json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ids, err := inventory.ParseBrokerIDs(from)
			if err != nil {
				return err
			}
			c, k, err := reassignCluster(f, "reassign plan")
			if err != nil {
				return err
			}
			plan, _, notes, err := reassign.MakePlan(cmd.Context(), k, ids, reassign.InventoryRacks(c))
			if err != nil {
				return err
			}
			if n := reassign.LeaseNote(cmd.Context(), k, plan); n != "" {
				notes = append(notes, n)
			}
			for _, n := range notes {
				fmt.Fprintln(f.IO.ErrOut, "note: "+n)
			}
			var out any = plan
			if f.Output == output.FormatJSON {
				out = plan.KafkaJSON()
			}
			if err := output.Render(f.IO.Out, f.Output, out, func(w io.Writer) error {
				output.ReassignPlan(w, plan, f.Verbose)
				return nil
			}); err != nil {
				return err
			}
			if names := plan.ImpossibleNames(); len(names) > 0 {
				return &reassign.ImpossibleError{Cluster: c.Name, Partitions: names}
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&from, "from-brokers", nil, "also move replicas off these live brokers (degraded, or to drain), e.g. 5 or 4-6")
	return cmd
}

type reassignApplyOptions struct {
	f        *factory.Factory
	planFile string
	auto     bool
	from     []string
	throttle string
	dryRun   bool
	args     reassign.Settings
	fleet    factory.FleetFlags
}

func newReassignApplyCmd(f *factory.Factory) *cobra.Command {
	o := &reassignApplyOptions{f: f}
	cmd := &cobra.Command{
		Use:   "apply (--plan FILE | --auto [--from-brokers IDS]) [--throttle RATE]",
		Short: "Run a reassignment: lease, bounded batches, throttles, progress, leader election",
		Long: `Run a reassignment plan: Kafka's reassignment JSON from --plan FILE (checked against the live
cluster first: unknown topics, partitions or brokers and duplicate replicas exit 2 naming the
entry), or --auto to plan now exactly as 'kfleet reassign plan' does and run that.

The run takes the cluster lease (exit 75 while another operation holds it) and refuses while
reassignments it did not start are in flight (exit 75), unless --additional. It submits moves
with AlterPartitionAssignments, partitions at or below min ISR first, keeping at most
--max-moves in flight and at most --max-moves-per-broker per broker (a move counts against every
broker receiving a replica and every live broker giving one up), starting the next as soon as
one finishes.

--throttle RATE (bytes/s: 10485760, 50MB/s, 512KiB/s) adds exact partition:broker entries to the
moving topics' leader/follower.replication.throttled.replicas (only entries nobody had set) and
sets leader/follower.replication.throttled.rate on the live brokers taking part (never on a dead
one). Each is removed as soon as the moves that needed it finish; all are gone when the run
ends. A run cut short (--timeout, --no-wait, a lost lease, a second Ctrl-C) leaves the moves in
flight running in Kafka under their throttles and says so; 'kfleet resume OP-ID' follows them
and removes the throttles, 'kfleet reassign cancel' reverts them.

Progress (partitions and bytes done, rate, ETA) is printed as lines, or one JSON event per line
with -o json. When every move is done, preferred leaders are elected for the moved partitions.
The first Ctrl-C starts no new move and waits for those in flight; a second leaves at once.

The run is journaled in --state-dir: 'kfleet resume OP-ID' continues from the journal and
ListPartitionReassignments.`,
		Example: `  kfleet -c payments-prod reassign apply --auto --dry-run
  kfleet -c payments-prod reassign apply --auto --throttle 50MB/s --yes -o json
  kfleet -c payments-prod reassign apply --plan drain-5.json --max-moves 20`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd.Context()) },
	}
	fl := cmd.Flags()
	a := &o.args
	fl.StringVar(&o.planFile, "plan", "", "Kafka reassignment JSON to run (as written by 'reassign plan -o json' or kafka-reassign-partitions --generate)")
	fl.BoolVar(&o.auto, "auto", false, "plan now (as 'reassign plan') and run that")
	fl.StringArrayVar(&o.from, "from-brokers", nil, "with --auto: also move replicas off these live brokers")
	fl.StringVar(&o.throttle, "throttle", "", "replication throttle while moving, bytes/s (e.g. 50MB/s, 10485760); default none")
	fl.IntVar(&a.MaxMoves, "max-moves", 50, "most moves in flight in the cluster")
	fl.IntVar(&a.MaxPerBroker, "max-moves-per-broker", 5, "most moves in flight involving any one broker")
	fl.DurationVar(&a.Timeout, "timeout", 6*time.Hour, "how long to wait for every move to finish")
	fl.DurationVar(&a.Poll, "poll-interval", time.Second, "how often to read the moves in flight")
	fl.BoolVar(&a.NoWait, "no-wait", false, "submit the first moves and exit; 'kfleet resume OP-ID' follows them and runs the rest")
	fl.BoolVar(&a.Additional, "additional", false, "run beside reassignments kfleet did not start (their partitions are left out)")
	fl.BoolVar(&o.dryRun, "dry-run", false, "show what would be submitted, in which waves, with which throttles; change nothing")
	fl.DurationVar(&a.LeaseTTL, "lease-ttl", lease.DefaultTTL, "cluster lease time-to-live (renewed while running)")
	fl.DurationVar(&a.LeaseWait, "lease-wait", 0, "how long to wait for a held cluster lease before exiting 75")
	o.fleet.Register(fl)
	return cmd
}

func (o *reassignApplyOptions) run(ctx context.Context) error {
	f, a := o.f, &o.args
	switch {
	case o.auto == (o.planFile != ""):
		return fault.Usagef("reassign apply needs exactly one of --plan FILE or --auto")
	case len(o.from) > 0 && !o.auto:
		return fault.Usagef("--from-brokers goes with --auto; a plan file already says which replicas move")
	case a.MaxMoves < 1 || a.MaxPerBroker < 1:
		return fault.Usagef("--max-moves and --max-moves-per-broker must be at least 1")
	case a.Poll <= 0 || a.Poll > time.Minute:
		return fault.Usagef("--poll-interval must be between 1ms and 1m")
	case a.Timeout <= 0:
		return fault.Usagef("--timeout must be positive")
	}
	if o.throttle != "" {
		rate, err := reassign.ParseRate(o.throttle)
		if err != nil {
			return fault.Usagef("--throttle: %v", err)
		}
		a.Throttle = rate
	}
	from, err := inventory.ParseBrokerIDs(o.from)
	if err != nil {
		return err
	}
	req := reassign.Request{Auto: o.auto, From: from, Additional: a.Additional}
	source := "auto"
	if o.planFile != "" {
		file, err := os.Open(o.planFile)
		if err != nil {
			return fault.Usagef("--plan: %v", err)
		}
		defer file.Close()
		req.PlanFile, req.PlanName = file, o.planFile
		source = factory.AbsPath(o.planFile)
	}
	clusters, err := f.SelectedClusters()
	if err != nil {
		return err
	}
	if len(clusters) > 1 {
		// Over a fleet: each cluster repairs the replicas its dead brokers hold, planned as its
		// turn comes; a plan file or --from-brokers names one cluster's partitions or brokers.
		if o.planFile != "" || len(from) > 0 {
			return fault.Usagef("--plan and --from-brokers name one cluster's partitions or brokers; %d clusters are selected: pick one with -c, or use --auto alone over a fleet", len(clusters))
		}
		return f.OperateFleet(ctx, clusters, reassign.Kind, reassign.Args{Source: source, Settings: *a}, o.fleet, o.dryRun)
	}
	c := clusters[0]
	d, err := f.Deps(c, f.InventoryPath)
	if err != nil {
		return err
	}
	op := reassign.NewApply(c, d, req, reassign.Args{Source: source, From: from, Settings: *a})
	return f.Operate(ctx, op, o.dryRun)
}

func newReassignStatusCmd(f *factory.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Reassignments in flight, whoever started them, with progress, per cluster; change nothing",
		Long: `List every reassignment in flight in each selected cluster (-c, -l; default: every cluster of the
inventory), kfleet's or anyone's, with its replicas, the replicas being added and removed, and
progress (the least advanced new replica against the largest existing one, from
DescribeLogDirs), plus the kfleet reassignments of --state-dir that are not over and the
throttles they still have set. One section per cluster.

-o json prints {"clusters": [...]}, as status does, with one object per cluster (also for one
cluster); a cluster that could not be read has an "error" there. Each such cluster also gets one line on stderr, and the exit
code is the worst of theirs (69: unreachable). Read-only; exits 0 when every cluster answered.`,
		Example: `  kfleet -c payments-prod reassign status
  kfleet -l env=prod reassign status -o json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			clusters, err := f.SelectedClusters()
			if err != nil {
				return err
			}
			reports := make([]*reassign.StatusReport, len(clusters))
			failed := readClusters(cmd.Context(), clusters, func(ctx context.Context, i int, c *inventory.Cluster) error {
				r, err := readReassignStatus(ctx, f, c)
				if err != nil {
					r = reassign.Unread(c.Name, err)
				}
				reports[i] = r
				return err
			})
			return renderEach(f, reports, output.ReassignStatuses(reports), failed)
		},
	}
}

func readReassignStatus(ctx context.Context, f *factory.Factory, c *inventory.Cluster) (*reassign.StatusReport, error) {
	cl, err := f.Kafka(c)
	if err != nil {
		return nil, err
	}
	return reassign.Status(ctx, reassign.NewKafkaAdmin(c.Name, cl), f.StateDir, c.Name)
}

func newReassignCancelCmd(f *factory.Factory) *cobra.Command {
	var opID string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "cancel [--op OP-ID]",
		Short: "Revert kfleet's reassignments in flight and remove its throttles",
		Long: `Cancel the moves kfleet started (the reassignment operations journaled in --state-dir for this
cluster, or only --op) that are still in flight: AlterPartitionAssignments with no replicas, so
Kafka drops the new replicas and keeps the old ones. Kafka does not keep their order (the first
is the preferred leader), so kfleet then puts the old order back (no data moves). Then it
removes every throttle those operations set. A kfleet apply still running sees the cancel in its journal
and starts nothing more. Reassignments kfleet did not start are left alone and listed.

It is the way to stop a running kfleet apply: while the cluster lease is held by one of the
operations it cancels, it acts beside that run (which stops on the cancel request). While another
operation holds the lease it exits 75 and changes nothing; otherwise it takes the lease for its
own run. Needs --yes or confirmation on a terminal.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if timeout <= 0 {
				return fault.Usagef("--timeout must be positive")
			}
			c, k, err := reassignCluster(f, "reassign cancel")
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			plan, err := reassign.FindCancel(ctx, k, f.StateDir, c.Name, opID)
			if err != nil {
				return err
			}
			if len(plan.Foreign) > 0 {
				fmt.Fprintf(f.IO.ErrOut, "left alone, not started by kfleet (this state dir): %s\n", strings.Join(plan.Foreign, ", "))
			}
			if plan.Empty() {
				fmt.Fprintf(f.IO.ErrOut, "cluster %s: no kfleet move in flight and no kfleet throttle to remove\n", c.Name)
				return output.Render(f.IO.Out, f.Output, &reassign.CancelResult{Cluster: c.Name, Ops: []string{}, Cancelled: []reassign.TopicPartition{}, Foreign: plan.Foreign}, func(io.Writer) error { return nil })
			}
			if err := f.Confirm(fmt.Sprintf("revert %d kfleet move(s) in flight on %s (operations %s) and remove kfleet's throttles (%s)?",
				len(plan.InFlight), c.Name, strings.Join(plan.Ops, ", "), plan.Throttles.Summary())); err != nil {
				return err
			}
			cl, err := f.Kafka(c)
			if err != nil {
				return err
			}
			res, err := reassign.CancelUnderLease(ctx, cl, k, f.StateDir, plan, timeout)
			if res == nil {
				return err // refused before any change (a lease held by another operation)
			}
			if rerr := output.Render(f.IO.Out, f.Output, res, output.CancelResult(res)); rerr != nil && err == nil {
				err = rerr
			}
			return err
		},
	}
	cmd.Flags().StringVar(&opID, "op", "", "cancel only this operation (default: every kfleet reassignment of --state-dir on the cluster)")
	cmd.Flags().DurationVar(&timeout, "timeout", 2*time.Minute, "how long to keep cancelling until no kfleet move is in flight")
	return cmd
}
