package main

import (
	"context"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/kfleet/kfleet/cmd/internal/factory"
	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/lease"
	"github.com/kfleet/kfleet/rollout"
	"github.com/kfleet/kfleet/rollout/ensemble"
	"github.com/kfleet/kfleet/rollout/restart"
)

type restartOptions struct {
	f           *factory.Factory
	brokerFlags []string
	dryRun      bool
	settings    rollout.Settings
	fleet       factory.FleetFlags
	zookeeper   bool
}

func newRestartCmd(f *factory.Factory) *cobra.Command {
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
partition they touch is under-replicated, and the KRaft quorum keeps a caught-up majority (in
ZooKeeper mode: the ZooKeeper ensemble is healthy).
--max-parallel N forms the largest batches (up to N) that pass it, e.g. one rack at a time on a
rack-aware cluster. The active controller goes last.

The run holds the cluster lease (another kfleet operation on the cluster exits 75) and writes a
journal to --state-dir. A failure halts it (exit 1) with the failed broker started and no
further broker touched; 'kfleet resume OP-ID' continues. The first Ctrl-C finishes the batch
under way, then exits 130; a second aborts at once.

--zookeeper restarts a ZooKeeper-mode cluster's ZooKeeper ensemble instead of its brokers: one
node at a time, nodes that are down first, then the followers, the leader last, each stopped only
when the ensemble keeps a synced majority without it, and back, serving and in sync with a leader
before the next (--stop-timeout, --start-timeout, --gate-timeout bound the waits). Same lease,
journal, resume, --dry-run and exit codes.`,
		Example: `  kfleet -c payments-prod restart --dry-run
  kfleet -c payments-prod restart --max-parallel 2 --yes -o json
  kfleet -c payments-prod restart --brokers 3 --pre-stop-hook ./drain-check.sh
  kfleet -c legacy-zk restart --zookeeper --dry-run`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd.Context()) },
	}
	o.flags(cmd)
	cmd.Flags().BoolVar(&o.zookeeper, "zookeeper", false, "restart the cluster's ZooKeeper ensemble (ZooKeeper mode), one node at a time, the leader last, instead of its brokers")
	return cmd
}

func (o *restartOptions) run(ctx context.Context) error {
	if o.zookeeper {
		return o.runZooKeeper(ctx)
	}
	if clusters, err := o.fleetClusters(); err != nil || len(clusters) > 1 {
		if err != nil {
			return err
		}
		return o.f.OperateFleet(ctx, clusters, restart.Kind, restart.Settings{Settings: o.settings}, o.fleet, o.dryRun)
	}
	c, brokers, err := o.prepare()
	if err != nil {
		return err
	}
	d, err := o.f.Deps(c, o.f.InventoryPath)
	if err != nil {
		return err
	}
	op := restart.New(c, brokers, d, restart.Settings{Settings: o.settings})
	return o.f.Operate(ctx, op, o.dryRun)
}

// runZooKeeper restarts the ZooKeeper ensemble of the selected cluster(s).
func (o *restartOptions) runZooKeeper(ctx context.Context) error {
	if len(o.brokerFlags) > 0 || len(o.settings.PreStop)+len(o.settings.PostStop)+len(o.settings.PostStart) > 0 ||
		o.settings.MaxParallel != 1 || o.settings.AllowUnavailable {
		return fault.Usagef("--zookeeper restarts the ZooKeeper nodes one at a time: --brokers, --max-parallel, --allow-unavailable and hooks apply to brokers only")
	}
	if err := o.settings.Check(); err != nil {
		return err
	}
	a := o.settings
	s := ensemble.Settings{GateTimeout: a.GateTimeout, StopTimeout: a.StopTimeout, StartTimeout: a.StartTimeout,
		Poll: a.Poll, LeaseTTL: a.LeaseTTL, LeaseWait: a.LeaseWait}
	clusters, err := o.f.SelectedClusters()
	if err != nil {
		return err
	}
	if len(clusters) > 1 {
		return o.f.OperateFleet(ctx, clusters, ensemble.Kind, s, o.fleet, o.dryRun)
	}
	c, err := o.f.OneCluster("restart --zookeeper")
	if err != nil {
		return err
	}
	d, err := o.f.Deps(c, o.f.InventoryPath)
	if err != nil {
		return err
	}
	op, err := ensemble.New(c, d, s)
	if err != nil {
		return err
	}
	return o.f.Operate(ctx, op, o.dryRun)
}

// fleetClusters checks the shared settings and resolves -c and -l; picks are the flags given
// that pick brokers or hosts of one cluster ("" for one not given). More than one cluster makes
// a fleet run, which picks no brokers: each cluster's operation covers all of its brokers.
func (o *restartOptions) fleetClusters(picks ...string) ([]*inventory.Cluster, error) {
	if err := o.settings.Check(); err != nil {
		return nil, err
	}
	clusters, err := o.f.SelectedClusters()
	if err != nil {
		return nil, err
	}
	if len(clusters) > 1 {
		if len(o.brokerFlags) > 0 {
			picks = append(picks, "--brokers")
		}
		if i := slices.IndexFunc(picks, func(p string) bool { return p != "" }); i >= 0 {
			return nil, fault.Usagef("%s picks brokers of one cluster; %d clusters are selected (a fleet run covers every broker of each): pick one with -c", picks[i], len(clusters))
		}
	}
	return clusters, nil
}

// prepare checks the shared settings, resolves the cluster and brokers, and adds the inventory's
// hooks to the flags' hooks.
func (o *restartOptions) prepare() (*inventory.Cluster, []*inventory.Broker, error) {
	if err := o.settings.Check(); err != nil {
		return nil, nil, err
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
	o.settings = o.settings.WithInventoryHooks(c)
	return c, brokers, nil
}

// flags registers the settings every rolling operation shares (restart, patch run).
func (o *restartOptions) flags(cmd *cobra.Command) {
	fl := cmd.Flags()
	a := &o.settings
	fl.StringArrayVar(&o.brokerFlags, "brokers", nil, "broker ids to roll, e.g. 1,2 or 4-6 (default: all)")
	fl.IntVar(&a.MaxParallel, "max-parallel", 1, "most brokers down at once; batches are formed only from brokers that are safe together")
	fl.BoolVar(&o.dryRun, "dry-run", false, "print the plan, the gate's verdict now and the timeouts, and check what the run needs (its exit code is the real run's now); change nothing")
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
	fl.DurationVar(&a.LeaseTTL, "lease-ttl", lease.DefaultTTL, "cluster lease time-to-live (renewed while running)")
	fl.DurationVar(&a.LeaseWait, "lease-wait", 0, "how long to wait for a held cluster lease before exiting 75")
	o.fleet.Register(fl)
}
