package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops"
	"github.com/kfleet/kfleet/reassign"
	"github.com/kfleet/kfleet/rollout"
)

func newReassignCmd(f *Factory) *cobra.Command {
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

// reassignCluster resolves -c and connects.
func (f *Factory) reassignCluster(verb string) (*inventory.Cluster, *reassign.KafkaAdmin, func(), error) {
	c, err := f.OneCluster(verb)
	if err != nil {
		return nil, nil, nil, err
	}
	cl, err := ops.NewKafkaClient(c, ops.KafkaOptions{Logger: f.Logger()})
	if err != nil {
		return nil, nil, nil, err
	}
	return c, reassign.NewKafkaAdmin(c.Name, cl), cl.Close, nil
}

// inventoryRacks lets the planner keep the replica of an unregistered broker in its rack.
func inventoryRacks(c *inventory.Cluster) map[int32]string {
	racks := map[int32]string{}
	for _, b := range c.Brokers {
		if b.Rack != "" {
			racks[b.ID] = b.Rack
		}
	}
	return racks
}

func newReassignPlanCmd(f *Factory) *cobra.Command {
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
			c, k, done, err := f.reassignCluster("reassign plan")
			if err != nil {
				return err
			}
			defer done()
			plan, _, notes, err := reassign.MakePlan(cmd.Context(), k, ids, inventoryRacks(c))
			if err != nil {
				return err
			}
			for _, n := range notes {
				fmt.Fprintln(f.IO.ErrOut, "note: "+n)
			}
			warnLeaseHeld(cmd.Context(), f, k, plan)
			var out any = plan
			if f.Output == formatJSON {
				out = plan.KafkaJSON()
			}
			if err := render(f.IO.Out, f.Output, out, func(w io.Writer) error {
				printReassignPlan(w, plan, f.Verbose)
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

// warnLeaseHeld says when a fenced broker may be down on purpose: another operation (a restart,
// a patch) holds the cluster lease. apply would wait for the lease anyway; plan only reads.
func warnLeaseHeld(ctx context.Context, f *Factory, k *reassign.KafkaAdmin, plan *reassign.Plan) {
	fenced := false
	for _, a := range plan.Affected {
		fenced = fenced || a.Why == reassign.WhyFenced
	}
	if !fenced {
		return
	}
	st, err := ops.ReadLease(ctx, k.Client, plan.Cluster)
	if err == nil && st.Held {
		fmt.Fprintf(f.IO.ErrOut, "note: the cluster lease is held by %s for %q (op %s): a fenced broker may be down on purpose and come back; apply waits for the lease\n",
			st.Holder, st.Purpose, st.OpID)
	}
}

// printReassignPlan is the one table form of a plan.
func printReassignPlan(w io.Writer, p *reassign.Plan, all bool) {
	fmt.Fprintf(w, "reassignment plan for cluster %s: %d partition(s), %d replica move(s) for %d replica(s) on affected brokers, %s to copy\n",
		p.Cluster, len(p.Moves), p.ReplicaMoves, p.ReplicasLost, planBytes(p.Bytes, p.SizesKnown))
	if len(p.Affected) == 0 {
		fmt.Fprintln(w, "no affected broker: every registered broker serves and none was named")
	}
	for _, a := range p.Affected {
		fmt.Fprintf(w, "affected: broker %d (rack %s): %s\n", a.ID, orDash(a.Rack), a.Why)
	}
	printMoves(w, p.Moves, p.SizesKnown, all)
	if len(p.Moves) > 0 {
		fmt.Fprintln(w)
		t := newTable(w, "BROKER", "RACK", "STATE", "REPLICAS", "BYTES")
		for _, l := range p.Load {
			if l.ReplicasBefore == l.ReplicasAfter && !l.Affected && l.State == "alive" && !all && len(p.Load) > 30 {
				continue
			}
			_ = t.Append([]string{cell(l.ID), orDash(l.Rack), l.State, fmt.Sprintf("%d -> %d", l.ReplicasBefore, l.ReplicasAfter),
				fmt.Sprintf("%s -> %s", planBytes(l.BytesBefore, p.SizesKnown), planBytes(l.BytesAfter, p.SizesKnown))})
		}
		_ = t.Render()
	}
	if len(p.Skipped) > 0 {
		names := make([]string, len(p.Skipped))
		for i, s := range p.Skipped {
			names[i] = s.String()
		}
		fmt.Fprintf(w, "\nleft alone, being reassigned already (%d): %s\n", len(names), strings.Join(names, ", "))
	}
	if len(p.Impossible) > 0 {
		fmt.Fprintf(w, "\ncannot be repaired (%d):\n", len(p.Impossible))
		for _, im := range p.Impossible {
			fmt.Fprintf(w, "  %s %v: %s\n", im, im.Replicas, im.Reason)
		}
	}
}

func printMoves(w io.Writer, moves []reassign.Move, sizesKnown, all bool) {
	if len(moves) == 0 {
		return
	}
	const shown = 100
	fmt.Fprintln(w)
	t := newTable(w, "PARTITION", "REPLICAS", "TARGET", "CHANGES", "BYTES", "NOTE")
	for i, m := range moves {
		if i == shown && !all {
			break
		}
		var ch, notes []string
		for _, c := range m.Changes {
			ch = append(ch, fmt.Sprintf("%d->%d (%s->%s)", c.From, c.To, orDash(c.FromRack), orDash(c.ToRack)))
			if c.Note != "" {
				notes = append(notes, c.Note)
			}
		}
		if m.Urgent {
			notes = append([]string{"at or below min ISR"}, notes...)
		}
		_ = t.Append([]string{m.String(), fmt.Sprint(m.Replicas), fmt.Sprint(m.Target), strings.Join(ch, " "),
			planBytes(m.Bytes, sizesKnown), strings.Join(notes, "; ")})
	}
	_ = t.Render()
	if len(moves) > shown && !all {
		fmt.Fprintf(w, "... and %d more (-v shows all; -o json prints Kafka's format)\n", len(moves)-shown)
	}
}

func planBytes(b int64, known bool) string {
	if !known {
		return "?"
	}
	return reassign.FormatBytes(b)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

type reassignApplyOptions struct {
	f        *Factory
	planFile string
	auto     bool
	from     []string
	throttle string
	dryRun   bool
	args     reassign.Settings
}

func newReassignApplyCmd(f *Factory) *cobra.Command {
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
	fl.DurationVar(&a.LeaseTTL, "lease-ttl", 2*time.Minute, "cluster lease time-to-live (renewed while running)")
	fl.DurationVar(&a.LeaseWait, "lease-wait", 0, "how long to wait for a held cluster lease before exiting 75")
	return cmd
}

func (o *reassignApplyOptions) run(ctx context.Context) error {
	f, a := o.f, &o.args
	switch {
	case o.auto == (o.planFile != ""):
		return usagef("reassign apply needs exactly one of --plan FILE or --auto")
	case len(o.from) > 0 && !o.auto:
		return usagef("--from-brokers goes with --auto; a plan file already says which replicas move")
	case a.MaxMoves < 1 || a.MaxPerBroker < 1:
		return usagef("--max-moves and --max-moves-per-broker must be at least 1")
	case a.Poll <= 0 || a.Poll > time.Minute:
		return usagef("--poll-interval must be between 1ms and 1m")
	case a.Timeout <= 0:
		return usagef("--timeout must be positive")
	}
	if o.throttle != "" {
		rate, err := reassign.ParseRate(o.throttle)
		if err != nil {
			return usagef("--throttle: %v", err)
		}
		a.Throttle = rate
	}
	from, err := inventory.ParseBrokerIDs(o.from)
	if err != nil {
		return err
	}
	req := reassign.Request{Auto: o.auto, From: from, Additional: a.Additional}
	if o.planFile != "" {
		file, err := os.Open(o.planFile)
		if err != nil {
			return usagef("--plan: %v", err)
		}
		defer file.Close()
		req.PlanFile, req.PlanName = file, o.planFile
	}
	c, k, done, err := f.reassignCluster("reassign apply")
	if err != nil {
		return err
	}
	defer done()
	req.Racks = inventoryRacks(c)
	prep, err := reassign.Prepare(ctx, k, req)
	if err != nil {
		return err
	}
	source := "auto"
	if o.planFile != "" {
		source = absPath(o.planFile)
	}
	return f.runReassign(ctx, reassignRun{cluster: c, k: k, opID: rollout.NewOpID(time.Now()), dryRun: o.dryRun,
		prep: prep, args: reassign.Args{Source: source, From: from, Settings: *a, SizesKnown: prep.SizesKnown, Moves: prep.Moves}})
}

// reassignRun is one reassignment to show, confirm and run (new or resumed).
type reassignRun struct {
	cluster *inventory.Cluster
	k       *reassign.KafkaAdmin
	opID    string
	dryRun  bool
	prep    *reassign.Prepared // new runs
	resume  *reassign.Resumed  // resumed runs
	args    reassign.Args
}

func (f *Factory) runReassign(ctx context.Context, r reassignRun) error {
	var impossible error
	var notes []string
	if r.prep != nil {
		notes = r.prep.Notes
		if len(r.prep.Impossible) > 0 {
			impossible = &reassign.ImpossibleError{Cluster: r.cluster.Name, Partitions: r.prep.Impossible}
		}
	} else {
		notes = r.resume.Notes
	}
	for _, n := range notes {
		fmt.Fprintln(f.IO.ErrOut, "note: "+n)
	}
	st := r.args.Settings
	limits := reassign.Limits{MaxMoves: st.MaxMoves, MaxPerBroker: st.MaxPerBroker}
	if f.Output == formatTable {
		switch {
		case r.prep != nil && r.prep.Plan != nil:
			printReassignPlan(f.IO.Out, r.prep.Plan, f.Verbose)
		case r.prep != nil:
			fmt.Fprintf(f.IO.Out, "plan %s for cluster %s: %d move(s)\n", r.args.Source, r.cluster.Name, len(r.args.Moves))
			printMoves(f.IO.Out, r.args.Moves, r.args.SizesKnown, f.Verbose)
		default:
			p := r.resume.Prior
			fmt.Fprintf(f.IO.Out, "resume %s on cluster %s: %d move(s): %d done, %d in flight, %d to start\n", r.opID, r.cluster.Name,
				len(r.args.Moves), len(p.Done), len(p.Running), len(r.args.Moves)-len(p.Done)-len(p.Running))
		}
		fmt.Fprintf(f.IO.Out, "at most %d move(s) in flight, %d per broker; throttle: %s; timeout %s\n",
			st.MaxMoves, st.MaxPerBroker, rateText(st.Throttle), st.Timeout)
	}
	if r.dryRun {
		if r.prep == nil {
			return nil
		}
		d := r.prep.DryRun(r.opID, limits, st.Throttle)
		if err := render(f.IO.Out, f.Output, d, func(w io.Writer) error {
			printDryRun(w, d)
			return nil
		}); err != nil {
			return err
		}
		return impossible
	}
	if r.prep != nil && len(r.prep.Foreign) > 0 && !st.Additional {
		names := make([]string, len(r.prep.Foreign))
		for i, fr := range r.prep.Foreign {
			names[i] = fmt.Sprintf("%s-%d", fr.Topic, fr.Partition)
		}
		return &reassign.ForeignError{Cluster: r.cluster.Name, Partitions: names}
	}
	if len(r.args.Moves) == 0 {
		fmt.Fprintln(f.IO.ErrOut, "nothing to move")
		return impossible
	}
	if !f.Yes {
		ok, err := f.IO.Confirm(fmt.Sprintf("reassign %d partition(s) of %s?", len(r.args.Moves), r.cluster.Name))
		if err != nil {
			return err
		}
		if !ok {
			return usagef("not confirmed; nothing was changed")
		}
	}
	if f.Output == formatTable {
		fmt.Fprintf(f.IO.Out, "operation %s (journal in %s)\n", r.opID, f.StateDir)
	}
	purpose := fmt.Sprintf("reassign %d partition(s)", len(r.args.Moves))
	if r.prep != nil && r.prep.Plan != nil && len(r.prep.Plan.Affected) > 0 {
		ids := make([]string, len(r.prep.Plan.Affected))
		for i, a := range r.prep.Plan.Affected {
			ids[i] = fmt.Sprint(a.ID)
		}
		purpose += " off broker(s) " + strings.Join(ids, ",")
	}
	ap := &reassign.Apply{Kafka: r.k, Client: r.k.Client, Cluster: r.cluster.Name, OpID: r.opID,
		Purpose: purpose, Args: r.args, StateDir: f.StateDir,
		InventoryPath: absPath(f.InventoryPath), Emit: newReassignPrinter(f.IO, f.Output).print, Resume: r.resume}
	if r.resume != nil {
		ap.Purpose = "resume " + r.opID + ": " + ap.Purpose
	}
	if err := ap.Run(ctx, f.SoftStop()); err != nil {
		return err
	}
	return impossible
}

func rateText(r int64) string {
	if r <= 0 {
		return "none"
	}
	return fmt.Sprintf("%d B/s (%s/s)", r, reassign.FormatBytes(r))
}

func printDryRun(w io.Writer, d *reassign.DryRun) {
	fmt.Fprintf(w, "\ndry run: would submit %d move(s) in %d wave(s) (the next move starts as soon as one finishes):\n", len(d.Moves), len(d.Waves))
	for i, wave := range d.Waves {
		names := make([]string, len(wave))
		for j, tp := range wave {
			names[j] = tp.String()
		}
		fmt.Fprintf(w, "  wave %d: %s\n", i+1, strings.Join(names, ", "))
	}
	if d.Throttles.Rate > 0 {
		fmt.Fprintf(w, "throttle %s: %s\n", rateText(d.Throttles.Rate), d.Throttles.Summary())
		if len(d.NoRate) > 0 {
			fmt.Fprintf(w, "  broker(s) %v are down: no rate is set there\n", d.NoRate)
		}
	}
	if len(d.Foreign) > 0 {
		fmt.Fprintf(w, "in flight, not started by this operation (apply refuses without --additional): %s\n", strings.Join(d.Foreign, ", "))
	}
}

// newReassignPrinter prints a reassignment's events.
func newReassignPrinter(streams *IOStreams, format string) *eventPrinter[reassign.Event] {
	return &eventPrinter[reassign.Event]{io: streams, format: format, line: reassignEventLine}
}

// reassignEventLine writes a reassignment event as a readable line.
func reassignEventLine(w io.Writer, e reassign.Event) {
	ts := e.Time.Format("15:04:05")
	switch e.Kind {
	case reassign.EventProgress:
		g := e.Progress
		line := fmt.Sprintf("%s progress: %d/%d partitions done, %d in flight", ts, g.Done, g.Partitions, g.InFlight)
		if g.Failed > 0 {
			line += fmt.Sprintf(", %d failed", g.Failed)
		}
		if g.Bytes > 0 {
			line += fmt.Sprintf("; %s of %s, %s/s", reassign.FormatBytes(g.BytesDone), reassign.FormatBytes(g.Bytes), reassign.FormatBytes(int64(g.Rate)))
			if g.ETA >= 0 {
				line += ", ETA " + (time.Duration(g.ETA) * time.Second).String()
			}
		}
		fmt.Fprintln(w, line)
	case reassign.EventThrottleSet:
		fmt.Fprintf(w, "%s throttle set: %s\n", ts, e.Message)
	case reassign.EventThrottleRemoved:
		fmt.Fprintf(w, "%s throttle removed: %s\n", ts, e.Message)
	case reassign.EventWarning:
		fmt.Fprintf(w, "%s warning: %s\n", ts, e.Message)
	case reassign.EventHalted, reassign.EventInterrupted, reassign.EventAborted:
		// The error itself is printed on exit.
	default:
		fmt.Fprintf(w, "%s %s\n", ts, e.Message)
	}
}

func newReassignStatusCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Reassignments in flight, whoever started them, with progress; change nothing",
		Long: `List every reassignment in flight in the cluster (kfleet's or anyone's) with its replicas, the
replicas being added and removed, and progress (the least advanced new replica against the
largest existing one, from DescribeLogDirs), plus the kfleet reassignments of --state-dir that
are not over and the throttles they still have set. Read-only; exits 0.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, k, done, err := f.reassignCluster("reassign status")
			if err != nil {
				return err
			}
			defer done()
			r, err := reassign.Status(cmd.Context(), k, f.StateDir, c.Name)
			if err != nil {
				return err
			}
			return render(f.IO.Out, f.Output, r, func(w io.Writer) error {
				printReassignStatus(w, r)
				return nil
			})
		},
	}
}

func printReassignStatus(w io.Writer, r *reassign.StatusReport) {
	fmt.Fprintf(w, "cluster %s: %d reassignment(s) in flight; %d under-replicated, %d under min ISR, %d offline\n",
		r.Cluster, len(r.InFlight), r.UnderReplicated, r.UnderMinISR, r.Offline)
	if len(r.InFlight) > 0 {
		t := newTable(w, "PARTITION", "REPLICAS", "ADDING", "REMOVING", "PROGRESS", "STARTED BY")
		for _, f := range r.InFlight {
			prog := "?"
			if f.Percent >= 0 {
				prog = fmt.Sprintf("%.0f%% (%s of %s)", f.Percent, reassign.FormatBytes(f.Copied), reassign.FormatBytes(f.Bytes))
			}
			by := f.Op
			if by == "" {
				by = "not kfleet (this state dir)"
			}
			_ = t.Append([]string{f.String(), fmt.Sprint(f.Replicas), fmt.Sprint(f.Adding), fmt.Sprint(f.Removing), prog, by})
		}
		_ = t.Render()
	}
	if len(r.Operations) > 0 {
		fmt.Fprintln(w)
		t := newTable(w, "OP", "STATUS", "MOVES DONE", "RUNNING", "THROTTLES LEFT", "LAST")
		for _, o := range r.Operations {
			_ = t.Append([]string{o.ID, o.Status, fmt.Sprintf("%d/%d", o.Done, o.Moves), cell(o.Running),
				o.Throttles.Summary(), truncateText(o.Last, 60)})
		}
		_ = t.Render()
	}
	for _, wr := range r.Warnings {
		fmt.Fprintf(w, "warning: %s\n", wr)
	}
}

func newReassignCancelCmd(f *Factory) *cobra.Command {
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

It does not take the cluster lease: it is the way to stop a running kfleet apply. Needs --yes
or confirmation on a terminal.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if timeout <= 0 {
				return usagef("--timeout must be positive")
			}
			c, k, done, err := f.reassignCluster("reassign cancel")
			if err != nil {
				return err
			}
			defer done()
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
				return render(f.IO.Out, f.Output, &reassign.CancelResult{Cluster: c.Name, Ops: []string{}, Cancelled: []reassign.TopicPartition{}, Foreign: plan.Foreign}, func(io.Writer) error { return nil })
			}
			if !f.Yes {
				ok, err := f.IO.Confirm(fmt.Sprintf("revert %d kfleet move(s) in flight on %s (operations %s) and remove kfleet's throttles (%s)?",
					len(plan.InFlight), c.Name, strings.Join(plan.Ops, ", "), plan.Throttles.Summary()))
				if err != nil {
					return err
				}
				if !ok {
					return usagef("not confirmed; nothing was changed")
				}
			}
			res, err := reassign.Cancel(ctx, k, f.StateDir, plan, timeout)
			if rerr := render(f.IO.Out, f.Output, res, func(w io.Writer) error {
				fmt.Fprintf(w, "cluster %s: reverted %d move(s) of %s; removed %s\n", c.Name, len(res.Cancelled),
					strings.Join(res.Ops, ", "), res.Removed.Summary())
				if len(res.Reordered) > 0 {
					fmt.Fprintf(w, "put the old replica order (preferred leaders) back on %d partition(s): Kafka's cancel does not\n", len(res.Reordered))
				}
				if !res.Left.Empty() {
					fmt.Fprintf(w, "throttles left (their broker is down): %s\n", res.Left.Summary())
				}
				return nil
			}); rerr != nil && err == nil {
				err = rerr
			}
			return err
		},
	}
	cmd.Flags().StringVar(&opID, "op", "", "cancel only this operation (default: every kfleet reassignment of --state-dir on the cluster)")
	cmd.Flags().DurationVar(&timeout, "timeout", 2*time.Minute, "how long to keep cancelling until no kfleet move is in flight")
	return cmd
}

// resumeReassign continues a reassignment from its journal and the cluster's state.
func resumeReassign(ctx context.Context, f *Factory, st *rollout.OpState, inventoryGiven, dryRun bool) error {
	if !inventoryGiven && st.Op.Inventory != "" {
		f.InventoryPath = st.Op.Inventory
	}
	f.Clusters = []string{st.Op.Cluster}
	c, k, done, err := f.reassignCluster("resume")
	if err != nil {
		return err
	}
	defer done()
	r, err := reassign.PrepareResume(ctx, k, f.StateDir, st.Op.ID)
	if err != nil {
		return err
	}
	return f.runReassign(ctx, reassignRun{cluster: c, k: k, opID: st.Op.ID, dryRun: dryRun, resume: r, args: r.Args})
}
