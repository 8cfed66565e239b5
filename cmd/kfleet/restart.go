package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops"
	"github.com/kfleet/kfleet/patch"
	"github.com/kfleet/kfleet/rollout"
	"github.com/kfleet/kfleet/rollout/deploy"
)

// rolloutArgs are a rolling operation's settings (restart, patch run); they are recorded in the
// journal so resume replays them.
type rolloutArgs struct {
	// Patch run only: the command run on each stopped broker's host, and how long a reboot may take.
	Command        string        `json:"command,omitempty"`
	CommandTimeout time.Duration `json:"command_timeout,omitempty"`
	RebootTimeout  time.Duration `json:"reboot_timeout,omitempty"`
	// Deploy and rollback only: the release activated on each stopped broker, and how many
	// releases retention keeps.
	Release string `json:"release,omitempty"`
	Keep    int    `json:"keep,omitempty"`

	MaxParallel      int           `json:"max_parallel"`
	AllowUnavailable bool          `json:"allow_unavailable"`
	GateTimeout      time.Duration `json:"gate_timeout"`
	StopTimeout      time.Duration `json:"stop_timeout"`
	StartTimeout     time.Duration `json:"start_timeout"`
	HealthyTimeout   time.Duration `json:"healthy_timeout"`
	Poll             time.Duration `json:"poll"`
	HealthyPolls     int           `json:"healthy_polls"`
	PreStop          []string      `json:"pre_stop,omitempty"`
	PostStop         []string      `json:"post_stop,omitempty"`
	PostStart        []string      `json:"post_start,omitempty"`
	HookTimeout      time.Duration `json:"hook_timeout"`
	LeaseTTL         time.Duration `json:"lease_ttl"`
	LeaseWait        time.Duration `json:"lease_wait"`
}

type restartOptions struct {
	f           *Factory
	brokerFlags []string
	dryRun      bool
	args        rolloutArgs
}

func newRestartCmd(f *Factory) *cobra.Command {
	o := &restartOptions{f: f}
	cmd := &cobra.Command{
		Use:   "restart",
		Short: "URP-gated rolling restart that never takes a partition below min.insync.replicas",
		Long: `Restart the selected brokers of one cluster, batch by batch:

  wait for the safety gate -> pre-stop hooks -> stop (service command) -> confirm the process
  is gone and the broker fenced -> post-stop hooks -> start -> confirm a new process is
  registered and unfenced -> wait until nothing is under-replicated for --healthy-polls polls
  -> elect preferred leaders for the partitions the batch led -> post-start hooks

The safety gate lets a set of brokers go down only if every partition they hold keeps at least
min.insync.replicas in-sync replicas and a live replica elsewhere, nothing is offline, no
partition they touch is under-replicated, and the KRaft quorum keeps a caught-up majority.
--max-parallel N forms the largest batches (up to N) that pass it, e.g. one rack at a time on a
rack-aware cluster. The active controller goes last.

The run holds the cluster lease (another kfleet operation on the cluster exits 75) and writes a
journal to --state-dir. A failure halts it (exit 1) with the failed broker started and no
further broker touched; 'kfleet resume OP-ID' continues. The first Ctrl-C finishes the batch
under way, then exits 130; a second aborts at once.`,
		Example: `  kfleet -c payments-prod restart --dry-run
  kfleet -c payments-prod restart --max-parallel 2 --yes -o json
  kfleet -c payments-prod restart --brokers 3 --pre-stop-hook ./drain-check.sh`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd.Context()) },
	}
	o.flags(cmd)
	return cmd
}

func (o *restartOptions) run(ctx context.Context) error {
	c, brokers, err := o.prepare()
	if err != nil {
		return err
	}
	return o.f.runRollout(ctx, rolloutRun{
		kind: "restart", purpose: "restart brokers " + idList(brokers), cluster: c, brokers: brokers,
		opID: rollout.NewOpID(time.Now()), args: o.args, dryRun: o.dryRun,
	})
}

// prepare checks the shared settings, resolves the cluster and brokers, and adds the inventory's
// hooks to the flags' hooks.
func (o *restartOptions) prepare() (*inventory.Cluster, []*inventory.Broker, error) {
	a := &o.args
	if a.MaxParallel < 1 {
		return nil, nil, usagef("--max-parallel must be at least 1")
	}
	if a.HealthyPolls < 1 {
		return nil, nil, usagef("--healthy-polls must be at least 1")
	}
	if a.Poll <= 0 || a.Poll > 10*time.Second {
		return nil, nil, usagef("--poll-interval must be between 1ms and 10s")
	}
	c, err := o.f.OneCluster("this operation")
	if err != nil {
		return nil, nil, err
	}
	ids, err := inventory.ParseBrokerIDs(o.brokerFlags)
	if err != nil {
		return nil, nil, err
	}
	brokers, err := c.SelectBrokers(ids)
	if err != nil {
		return nil, nil, err
	}
	a.PreStop = append(append([]string{}, c.Hooks.PreStop...), a.PreStop...)
	a.PostStop = append(append([]string{}, c.Hooks.PostStop...), a.PostStop...)
	a.PostStart = append(append([]string{}, c.Hooks.PostStart...), a.PostStart...)
	if a.HookTimeout == 0 {
		a.HookTimeout = c.Hooks.Timeout
	}
	return c, brokers, nil
}

// flags registers the settings every rolling operation shares (restart, patch run).
func (o *restartOptions) flags(cmd *cobra.Command) {
	fl := cmd.Flags()
	a := &o.args
	fl.StringArrayVar(&o.brokerFlags, "brokers", nil, "broker ids to roll, e.g. 1,2 or 4-6 (default: all)")
	fl.IntVar(&a.MaxParallel, "max-parallel", 1, "most brokers down at once; batches are formed only from brokers that are safe together")
	fl.BoolVar(&o.dryRun, "dry-run", false, "print the plan, the gate's verdict now and the timeouts; change nothing")
	fl.BoolVar(&a.AllowUnavailable, "allow-unavailable", false, "accept partitions that cannot stay writable (replication factor <= min.insync.replicas)")
	fl.DurationVar(&a.GateTimeout, "gate-timeout", 10*time.Minute, "how long to wait for the safety gate before a batch")
	fl.DurationVar(&a.StopTimeout, "stop-timeout", 5*time.Minute, "how long a broker may take to stop (process gone, broker fenced)")
	fl.DurationVar(&a.StartTimeout, "start-timeout", 10*time.Minute, "how long a broker may take to start (new process registered, unfenced)")
	fl.DurationVar(&a.HealthyTimeout, "healthy-timeout", 30*time.Minute, "how long to wait for under-replicated partitions to clear after a batch")
	fl.DurationVar(&a.Poll, "poll-interval", 250*time.Millisecond, "how often to poll the cluster while waiting")
	fl.IntVar(&a.HealthyPolls, "healthy-polls", 3, "consecutive healthy polls that confirm a batch is done")
	fl.StringArrayVar(&a.PreStop, "pre-stop-hook", nil, "executable run before each broker is stopped (adds to the inventory's hooks)")
	fl.StringArrayVar(&a.PostStop, "post-stop-hook", nil, "executable run after each broker is confirmed stopped")
	fl.StringArrayVar(&a.PostStart, "post-start-hook", nil, "executable run after each broker is back and the cluster healthy")
	fl.DurationVar(&a.HookTimeout, "hook-timeout", 0, "how long one hook may run (default: the inventory's hooks.timeout, else 5m)")
	fl.DurationVar(&a.LeaseTTL, "lease-ttl", 2*time.Minute, "cluster lease time-to-live (renewed while running)")
	fl.DurationVar(&a.LeaseWait, "lease-wait", 0, "how long to wait for a held cluster lease before exiting 75")
}

// rolloutRun is one restart to plan, confirm and execute (new or resumed).
type rolloutRun struct {
	kind, purpose string
	cluster       *inventory.Cluster
	brokers       []*inventory.Broker
	opID          string
	args          rolloutArgs
	dryRun        bool
	skip          map[int32]bool
	resuming      bool
	// before runs once confirmed, before the lease is taken (deploy stages the release here).
	before func(ctx context.Context) error
}

func (a rolloutArgs) options(f *Factory, r rolloutRun) rollout.Options {
	o := rollout.Options{
		OpID: r.opID, Cluster: r.cluster, Brokers: r.brokers, MaxParallel: a.MaxParallel,
		Gate:        ops.GateOptions{AllowUnavailable: a.AllowUnavailable},
		GateTimeout: a.GateTimeout, StopTimeout: a.StopTimeout, StartTimeout: a.StartTimeout,
		HealthyTimeout: a.HealthyTimeout, Poll: a.Poll, HealthyPolls: a.HealthyPolls,
		Hooks: rollout.Hooks{PreStop: a.PreStop, PostStop: a.PostStop, PostStart: a.PostStart, Timeout: a.HookTimeout},
		Skip:  r.skip,
	}
	if a.Command != "" {
		hc := patch.HostCommand{SSH: f.SSH(), Command: a.Command, CommandTimeout: a.CommandTimeout, RebootTimeout: a.RebootTimeout,
			Say: func(format string, args ...any) {
				fmt.Fprintf(f.IO.ErrOut, time.Now().Format("15:04:05")+"   "+format+"\n", args...)
			}}
		o.Between = hc.Run
	}
	if a.Release != "" {
		act := deploy.Activation{SSH: f.SSH(), Version: a.Release, Say: func(format string, args ...any) {
			fmt.Fprintf(f.IO.ErrOut, time.Now().Format("15:04:05")+"   "+format+"\n", args...)
		}}
		o.Between, o.Verify = act.Switch, act.Verify
	}
	return o
}

// runRollout plans, shows the plan, asks, and executes under the lease with a journal.
func (f *Factory) runRollout(ctx context.Context, r rolloutRun) error {
	cl, err := ops.NewKafkaClient(r.cluster, ops.KafkaOptions{Logger: f.Logger()})
	if err != nil {
		return err
	}
	defer cl.Close()
	printer := newEventPrinter(f.IO, f.Output)
	ro := &rollout.Rollout{
		Kind: r.kind, Purpose: r.purpose, Cluster: r.cluster, Client: cl,
		Hosts: &ops.HostControl{SSH: f.SSH()}, Options: r.args.options(f, r), Args: r.args,
		StateDir: f.StateDir, InventoryPath: absPath(f.InventoryPath),
		LeaseTTL: r.args.LeaseTTL, LeaseWait: r.args.LeaseWait, Emit: printer.print, Resuming: r.resuming,
	}
	plan, snap, err := ro.Plan(ctx)
	if err != nil {
		return err
	}
	if f.Output == formatTable {
		printPlan(f.IO.Out, r, plan, snap)
	}
	if r.dryRun {
		if f.Output != formatTable {
			return render(f.IO.Out, f.Output, dryRunResult(r, plan, snap), nil)
		}
		return nil
	}
	if len(plan) == 0 {
		fmt.Fprintln(f.IO.ErrOut, "nothing to do: every selected broker is already done")
		return nil
	}
	if !f.Yes {
		ok, err := f.IO.Confirm(fmt.Sprintf("%s %d broker(s) of %s in %d batch(es)?", r.kind, countPlan(plan), r.cluster.Name, len(plan)))
		if err != nil {
			return err
		}
		if !ok {
			return usagef("not confirmed; nothing was changed")
		}
	}
	if r.before != nil {
		if err := r.before(ctx); err != nil {
			return err
		}
	}
	if f.Output == formatTable {
		fmt.Fprintf(f.IO.Out, "operation %s (journal in %s)\n", r.opID, f.StateDir)
	}
	return ro.Execute(ctx, f.SoftStop())
}

// dryRun is what --dry-run prints with -o json|yaml.
type dryRun struct {
	Op       string          `json:"op" yaml:"op"`
	Cluster  string          `json:"cluster" yaml:"cluster"`
	Batches  []rollout.Batch `json:"batches" yaml:"batches"`
	GateNow  ops.GateResult  `json:"gate_now" yaml:"gate_now"`
	Settings rolloutArgs     `json:"settings" yaml:"settings"`
}

func dryRunResult(r rolloutRun, plan []rollout.Batch, snap *ops.Snapshot) dryRun {
	d := dryRun{Op: r.opID, Cluster: r.cluster.Name, Batches: plan, Settings: r.args}
	if len(plan) > 0 {
		d.GateNow = ops.CheckGate(snap, plan[0].Brokers, time.Now(), ops.GateOptions{AllowUnavailable: r.args.AllowUnavailable})
	}
	return d
}

func printPlan(w io.Writer, r rolloutRun, plan []rollout.Batch, snap *ops.Snapshot) {
	fmt.Fprintf(w, "%s of cluster %s: %d broker(s) in %d batch(es), at most %d at once\n",
		r.kind, r.cluster.Name, countPlan(plan), len(plan), r.args.MaxParallel)
	t := newTable(w, "BATCH", "BROKERS", "WHY")
	for i, b := range plan {
		_ = t.Append([]string{cell(i + 1), inventory.JoinIDs(b.Brokers), b.Why})
	}
	_ = t.Render()
	if len(plan) > 0 {
		g := ops.CheckGate(snap, plan[0].Brokers, time.Now(), ops.GateOptions{AllowUnavailable: r.args.AllowUnavailable})
		if g.OK {
			fmt.Fprintln(w, "safety gate now: open for batch 1")
		} else {
			fmt.Fprintf(w, "safety gate now: closed for batch 1: %s\n", strings.Join(g.Reasons, "; "))
		}
	}
	a := r.args
	fmt.Fprintf(w, "timeouts: gate %s, stop %s, start %s, healthy %s; poll every %s, %d healthy polls to confirm\n",
		a.GateTimeout, a.StopTimeout, a.StartTimeout, a.HealthyTimeout, a.Poll, a.HealthyPolls)
	if len(a.PreStop)+len(a.PostStop)+len(a.PostStart) > 0 {
		fmt.Fprintf(w, "hooks: pre-stop %v, post-stop %v, post-start %v\n", a.PreStop, a.PostStop, a.PostStart)
	}
	fmt.Fprintln(w, "batches are re-formed before each one from the cluster's state then; the active controller stays last")
}

func countPlan(plan []rollout.Batch) int {
	n := 0
	for _, b := range plan {
		n += len(b.Brokers)
	}
	return n
}

func idList(bs []*inventory.Broker) string {
	ids := make([]int32, len(bs))
	for i, b := range bs {
		ids[i] = b.ID
	}
	return inventory.JoinIDs(ids)
}
