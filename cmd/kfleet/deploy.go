package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/kfleet/kfleet/cmd/internal/factory"
	"github.com/kfleet/kfleet/cmd/internal/output"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/lease"
	"github.com/kfleet/kfleet/ops/units"
	"github.com/kfleet/kfleet/rollout/deploy"
)

type deployOptions struct {
	restartOptions
	keep          int
	artifact      string
	version       string
	sha256        string
	stageParallel int
	stageTimeout  time.Duration
}

func newDeployCmd(f *factory.Factory) *cobra.Command {
	o := &deployOptions{restartOptions: restartOptions{f: f}}
	cmd := &cobra.Command{
		Use:   "deploy --artifact FILE",
		Short: "Deploy a Kafka release: stage it on every host, then activate it broker by broker",
		Long: `Deploy a Kafka binary distribution tarball to the selected brokers of one cluster.

  1. check the artifact here: a Kafka distribution (bin/kafka-server-start.sh, config/,
     libs/kafka_2.*-V.jar), its version (from that jar unless --version), its SHA-256 (must
     match --sha256 when given); any problem exits 2 before a host is touched
  2. stage: upload it over SFTP to every host that lacks releases/V (--stage-parallel at a time),
     verify the checksum there and unpack it into releases/V atomically; hosts that already have
     releases/V from the same artifact are skipped. If any host fails, nothing is activated
     anywhere (exit 1, naming the host and the reason)
  3. activate on the rolling engine, with the same safety gate, lease and journal as restart:
     stop -> point current at releases/V atomically -> start -> confirm the process runs V ->
     wait healthy. Brokers already running V from releases/V are skipped.
  4. retention: keep the --keep most recently staged releases per host (never current or previous)

A release Kafka does not support moving to from here is refused before anything is staged (exit
2): 4.x on a ZooKeeper-mode cluster, 4.x on KRaft below 3.3 or below metadata.version 3.3-IV3,
and any release older than what the cluster finalized (metadata.version or
inter.broker.protocol.version).

'kfleet deploy rollback' activates the previous release the same way; 'kfleet deploy finalize'
raises the cluster's metadata.version (KRaft) or inter.broker.protocol.version (ZooKeeper mode)
once every broker runs the new release. See docs/deploy.md.`,
		Example: `  kfleet -c payments-prod deploy --artifact kafka_2.13-4.2.0.tgz --sha256 9f2c... --dry-run
  kfleet -c payments-prod deploy --artifact kafka_2.13-4.2.0.tgz --max-parallel 2 --yes -o json
  kfleet -c payments-prod deploy rollback
  kfleet -c payments-prod deploy finalize --dry-run`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd.Context()) },
	}
	o.flags(cmd)
	fl := cmd.Flags()
	fl.StringVar(&o.artifact, "artifact", "", "Kafka binary distribution tarball (kafka_2.13-V.tgz)")
	fl.StringVar(&o.version, "version", "", "release version; must match the artifact's libs/kafka_2.*-V.jar (default: read from it)")
	fl.StringVar(&o.sha256, "sha256", "", "expected SHA-256 of the artifact; a mismatch exits 2 before any host is touched")
	fl.IntVar(&o.keep, "keep", 3, "releases kept per host after the deploy, the current and previous always among them (0: keep all)")
	fl.IntVar(&o.stageParallel, "stage-parallel", 4, "hosts staged at once")
	fl.DurationVar(&o.stageTimeout, "stage-timeout", 30*time.Minute, "how long staging one host (upload, verify, unpack) may take")
	cmd.AddCommand(newDeployRollbackCmd(f), newDeployFinalizeCmd(f))
	return cmd
}

func (o *deployOptions) run(ctx context.Context) error {
	f := o.f
	if o.artifact == "" {
		return fault.Usagef("--artifact is required (a Kafka binary distribution tarball)")
	}
	if o.keep < 0 {
		return fault.Usagef("--keep must be 0 (keep all) or more")
	}
	if o.stageParallel < 1 {
		return fault.Usagef("--stage-parallel must be at least 1")
	}
	a, err := deploy.InspectArtifact(o.artifact, o.version, o.sha256)
	if err != nil {
		return err
	}
	clusters, err := o.fleetClusters()
	if err != nil {
		return err
	}
	fmt.Fprintf(f.IO.ErrOut, "artifact %s: Kafka %s, %s, SHA-256 %s\n", a.Path, a.Version, units.Bytes(a.Size), a.SHA256)
	stage := deploy.StageSettings{Parallel: o.stageParallel, Timeout: o.stageTimeout}
	if len(clusters) > 1 {
		// Every cluster's hosts are staged and verified before wave 1.
		return f.OperateFleet(ctx, clusters, deploy.KindDeploy, deploy.FleetArgs{
			Settings: deploy.Settings{Keep: o.keep, Settings: o.settings}, Artifact: a, Stage: stage}, o.fleet, o.dryRun)
	}
	c, brokers, err := o.prepare()
	if err != nil {
		return err
	}
	d, err := f.Deps(c, f.InventoryPath)
	if err != nil {
		return err
	}
	op := deploy.New(c, brokers, d, deploy.Settings{Keep: o.keep, Settings: o.settings}, a, stage)
	return f.Operate(ctx, op, o.dryRun)
}

type rollbackOptions struct {
	restartOptions
	to string
}

func newDeployRollbackCmd(f *factory.Factory) *cobra.Command {
	o := &rollbackOptions{restartOptions: restartOptions{f: f}}
	cmd := &cobra.Command{
		Use:   "rollback",
		Short: "Activate the previous release broker by broker, the same safe way as deploy",
		Long: `Point every selected broker back at the release its host recorded as previous (the 'previous'
link deploy keeps next to 'current'), on the rolling engine with the same safety gate, lease,
journal and version check as deploy. Brokers already running that release are skipped. The
hosts must agree on the previous release; otherwise name it with --to. Nothing is staged: the
release must still be in releases/ on every host. The cluster's metadata.version (or
inter.broker.protocol.version) is not lowered: roll back before 'deploy finalize', never after;
a rollback to a release older than what was finalized is refused (exit 2).`,
		Example: `  kfleet -c payments-prod deploy rollback --dry-run
  kfleet -c payments-prod deploy rollback --to 4.1.1 --yes`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd.Context()) },
	}
	o.flags(cmd)
	cmd.Flags().StringVar(&o.to, "to", "", "release to activate (default: the previous release the hosts recorded)")
	return cmd
}

func (o *rollbackOptions) run(ctx context.Context) error {
	f := o.f
	if o.to != "" {
		if err := deploy.ValidVersion(o.to); err != nil {
			return fault.Usagef("--to: %v", err)
		}
	}
	if clusters, err := o.fleetClusters(); err != nil || len(clusters) > 1 {
		if err != nil {
			return err
		}
		return f.OperateFleet(ctx, clusters, deploy.KindRollback, deploy.Settings{Release: o.to, Settings: o.settings}, o.fleet, o.dryRun)
	}
	c, brokers, err := o.prepare()
	if err != nil {
		return err
	}
	d, err := f.Deps(c, f.InventoryPath)
	if err != nil {
		return err
	}
	op := deploy.NewRollback(c, brokers, d, deploy.Settings{Settings: o.settings}, o.to)
	return f.Operate(ctx, op, o.dryRun)
}

type finalizeOptions struct {
	f        *factory.Factory
	dryRun   bool
	settings deploy.FinalizeSettings
}

func newDeployFinalizeCmd(f *factory.Factory) *cobra.Command {
	o := &finalizeOptions{f: f}
	cmd := &cobra.Command{
		Use:   "finalize",
		Short: "Raise what the brokers speak to what their new release supports (irreversible)",
		Long: `Once every broker of the cluster runs the same (new) release, raise what the brokers speak to
that release. Until then a rollback to the previous release stays possible; after it, it is not,
so finalize refuses, naming brokers, while versions are mixed or a broker is down (exit 75), and
asks for confirmation (or --yes).

KRaft (the inventory's default metadata mode): raise the cluster's finalized metadata.version to
the highest level all its brokers support, with UpdateFeatures (upgrade only). --dry-run shows
the levels from and to and has the controller validate the change without making it. Other
features (kraft.version, group.version, ...) are left alone.

ZooKeeper mode (metadata: {mode: zookeeper}): raise inter.broker.protocol.version to the
release's MAJOR.MINOR on every broker below it, the way config apply changes a static config:
set it in server.properties (timestamped backup, atomic replace) and restart those brokers on
the gated rolling engine, under the cluster lease and a journal ('kfleet resume OP-ID' continues
an interrupted one). A broker already at the release (or not setting it, which means the
release's default) is left alone. If the inventory's config sets inter.broker.protocol.version
to another release, finalize refuses (exit 2): change it there and run config apply instead.
--dry-run shows the file edits and restart batches and checks the lease, SSH and the gate.`,
		Example: `  kfleet -c payments-prod deploy finalize --dry-run
  kfleet -c payments-prod deploy finalize --yes -o json
  kfleet -c legacy-zk deploy finalize --max-parallel 2 --yes`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd.Context()) },
	}
	fl := cmd.Flags()
	a := &o.settings.Settings
	fl.BoolVar(&o.dryRun, "dry-run", false, "show what would be raised from and to (validated by the controller, or the restart plan and its checks); change nothing")
	fl.DurationVar(&a.LeaseWait, "lease-wait", 0, "how long to wait for a held cluster lease before exiting 75")
	// The rolling restart of ZooKeeper mode, as for restart.
	fl.IntVar(&a.MaxParallel, "max-parallel", 1, "ZooKeeper mode: most brokers restarted at once; batches are formed only from brokers that are safe together")
	fl.DurationVar(&a.GateTimeout, "gate-timeout", 10*time.Minute, "ZooKeeper mode: how long to wait for the safety gate before a batch")
	fl.DurationVar(&a.StopTimeout, "stop-timeout", 5*time.Minute, "ZooKeeper mode: how long a broker may take to stop")
	fl.DurationVar(&a.StartTimeout, "start-timeout", 10*time.Minute, "ZooKeeper mode: how long a broker may take to start")
	fl.DurationVar(&a.HealthyTimeout, "healthy-timeout", 30*time.Minute, "ZooKeeper mode: how long to wait for under-replicated partitions to clear after a batch")
	fl.DurationVar(&a.LeaseTTL, "lease-ttl", lease.DefaultTTL, "ZooKeeper mode: cluster lease time-to-live (renewed while running)")
	fl.DurationVar(&o.settings.VerifyTimeout, "verify-timeout", time.Minute, "ZooKeeper mode: how long, after the restarts, every broker may take to report the new protocol version")
	return cmd
}

func (o *finalizeOptions) run(ctx context.Context) error {
	f := o.f
	s := &o.settings
	s.Poll, s.HealthyPolls = 250*time.Millisecond, 3
	if err := s.Check(); err != nil {
		return err
	}
	c, err := f.OneCluster("deploy finalize")
	if err != nil {
		return err
	}
	s.Settings = s.WithInventoryHooks(c)
	d, err := f.Deps(c, f.InventoryPath)
	if err != nil {
		return err
	}
	op := deploy.NewFinalizer(c, d, *s)
	p, err := op.Plan(ctx)
	if err != nil {
		return err
	}
	plan := p.(*deploy.FinalizePlan)
	res := &output.FinalizeResult{FinalizePlan: *plan, DryRun: o.dryRun}
	show := func() error { return output.Render(f.IO.Out, f.Output, res, res.Text) }
	if plan.UpToDate {
		return show()
	}
	if o.dryRun {
		err := op.Validate(ctx)
		if serr := show(); serr != nil {
			return serr
		}
		return err
	}
	if plan.Feature == deploy.ProtocolVersionFeature && f.Output == output.FormatTable {
		// The file edits and restart batches, before the confirmation (as config apply shows).
		if err := res.Text(f.IO.Out); err != nil {
			return err
		}
	}
	if err := f.Confirm(plan.Question()); err != nil {
		return err
	}
	if err := op.Execute(ctx, f.SoftStop()); err != nil {
		return err
	}
	res.Finalized = true
	return show()
}
