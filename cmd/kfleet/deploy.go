package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops"
	"github.com/kfleet/kfleet/rollout"
	"github.com/kfleet/kfleet/rollout/deploy"
)

type deployOptions struct {
	restartOptions
	artifact      string
	version       string
	sha256        string
	stageParallel int
	stageTimeout  time.Duration
}

func newDeployCmd(f *Factory) *cobra.Command {
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

'kfleet deploy rollback' activates the previous release the same way; 'kfleet deploy finalize'
raises the cluster's metadata.version once every broker runs the new release. See docs/deploy.md.`,
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
	fl.IntVar(&o.args.Keep, "keep", 3, "releases kept per host after the deploy, the current and previous always among them (0: keep all)")
	fl.IntVar(&o.stageParallel, "stage-parallel", 4, "hosts staged at once")
	fl.DurationVar(&o.stageTimeout, "stage-timeout", 30*time.Minute, "how long staging one host (upload, verify, unpack) may take")
	cmd.AddCommand(newDeployRollbackCmd(f), newDeployFinalizeCmd(f))
	return cmd
}

func (o *deployOptions) run(ctx context.Context) error {
	f := o.f
	if o.artifact == "" {
		return usagef("--artifact is required (a Kafka binary distribution tarball)")
	}
	if o.args.Keep < 0 {
		return usagef("--keep must be 0 (keep all) or more")
	}
	if o.stageParallel < 1 {
		return usagef("--stage-parallel must be at least 1")
	}
	a, err := deploy.InspectArtifact(o.artifact, o.version, o.sha256)
	if err != nil {
		return err
	}
	c, brokers, err := o.prepare()
	if err != nil {
		return err
	}
	fmt.Fprintf(f.IO.ErrOut, "artifact %s: Kafka %s, %s, SHA-256 %s\n", a.Path, a.Version, byteSize(a.Size), a.SHA256)
	states, procs, err := deploy.ProbeBrokers(ctx, f.SSH(), brokers, a.Version)
	if err != nil {
		return err
	}
	plan := deploy.PlanActivation(a.Version, brokers, states, procs)
	var toStage []*inventory.Broker
	var stageStates []deploy.HostRelease
	for i, b := range brokers {
		if !slices.Contains(plan.Activated, b.ID) {
			toStage = append(toStage, b)
			stageStates = append(stageStates, states[i])
		}
	}
	plan.Stage = deploy.PlanStage(a, toStage, stageStates)
	o.printPlan(c, &a, plan)
	for _, s := range plan.Stage {
		if s.Action == deploy.StageConflict {
			return &deploy.StageConflictError{Steps: conflicts(plan.Stage)}
		}
	}

	args := o.args
	args.Release = a.Version
	stager := &deploy.Stager{SSH: f.SSH(), Concurrency: o.stageParallel, Timeout: o.stageTimeout,
		Progress: newStagePrinter(f).print}
	return f.runDeploy(ctx, rolloutRun{
		kind: "deploy", purpose: fmt.Sprintf("deploy Kafka %s to brokers %s", a.Version, idList(brokers)),
		cluster: c, brokers: brokers, opID: rollout.NewOpID(time.Now()), args: args, dryRun: o.dryRun,
		skip: plan.Skip(),
		before: func(ctx context.Context) error {
			return stage(ctx, f, stager, a, plan.Stage)
		},
	})
}

func conflicts(steps []deploy.StageStep) []deploy.StageStep {
	var out []deploy.StageStep
	for _, s := range steps {
		if s.Action == deploy.StageConflict {
			out = append(out, s)
		}
	}
	return out
}

// stage uploads to the hosts that need it and says how long it took.
func stage(ctx context.Context, f *Factory, s *deploy.Stager, a deploy.Artifact, plan []deploy.StageStep) error {
	n := 0
	for _, st := range plan {
		if st.Action == deploy.StageUpload {
			n++
		}
	}
	if n == 0 {
		fmt.Fprintf(f.IO.ErrOut, "staging: every host already has releases/%s from this artifact\n", a.Version)
		return nil
	}
	began := time.Now()
	fmt.Fprintf(f.IO.ErrOut, "staging Kafka %s on %d host(s), %d at a time\n", a.Version, n, s.Concurrency)
	if err := s.Stage(ctx, a, plan); err != nil {
		return err
	}
	took := time.Since(began)
	fmt.Fprintf(f.IO.ErrOut, "staged Kafka %s on %d host(s) in %.1fs (%s/s in all)\n", a.Version, n, took.Seconds(),
		byteSize(int64(float64(a.Size)*float64(n)/max(took.Seconds(), 0.001))))
	return nil
}

// runDeploy activates a release on the rolling engine (deploy, rollback, their resume) and, for
// a deploy that finished, applies retention.
func (f *Factory) runDeploy(ctx context.Context, r rolloutRun) error {
	if err := f.runRollout(ctx, r); err != nil {
		return err
	}
	if r.dryRun || r.kind != "deploy" || r.args.Keep <= 0 {
		return nil
	}
	ret := deploy.Retention{SSH: f.SSH(), Keep: r.args.Keep, Say: func(format string, args ...any) {
		fmt.Fprintf(f.IO.ErrOut, format+"\n", args...)
	}}
	if err := ret.Prune(ctx, r.brokers, r.args.Release); err != nil {
		// The release is active everywhere; old releases left behind are not a failed deploy.
		fmt.Fprintf(f.IO.ErrOut, "warning: %v\n", err)
	}
	return nil
}

// deploySkips is resume's skip set for deploy and rollback: the brokers that already run the
// release from releases/<V>, whatever the journal says.
func deploySkips(ctx context.Context, f *Factory, brokers []*inventory.Broker, version string) (map[int32]bool, error) {
	states, procs, err := deploy.ProbeBrokers(ctx, f.SSH(), brokers, version)
	if err != nil {
		return nil, err
	}
	return deploy.PlanActivation(version, brokers, states, procs).Skip(), nil
}

// printPlan shows the stage and activation plans before the engine's batch plan.
func (o *deployOptions) printPlan(c *inventory.Cluster, a *deploy.Artifact, p deploy.Plan) {
	printDeployPlan(o.f, c, a, p)
}

func printDeployPlan(f *Factory, c *inventory.Cluster, a *deploy.Artifact, p deploy.Plan) {
	w := f.IO.Out
	if f.Output != formatTable {
		_ = json.NewEncoder(w).Encode(struct {
			Event    string           `json:"event"`
			Cluster  string           `json:"cluster"`
			Artifact *deploy.Artifact `json:"artifact,omitempty"`
			Plan     deploy.Plan      `json:"plan"`
		}{"deploy-plan", c.Name, a, p})
		return
	}
	if a != nil && len(p.Stage) == 0 {
		fmt.Fprintf(w, "stage Kafka %s on cluster %s: nothing to stage\n", p.Version, c.Name)
	}
	if a != nil && len(p.Stage) > 0 {
		fmt.Fprintf(w, "stage Kafka %s on cluster %s:\n", p.Version, c.Name)
		t := newTable(w, "HOST", "BROKERS", "ACTION", "WHY")
		for _, s := range p.Stage {
			_ = t.Append([]string{s.Host, inventory.JoinIDs(s.Brokers), s.Action, s.Why})
		}
		_ = t.Render()
	}
	if len(p.Activated) > 0 {
		fmt.Fprintf(w, "already running Kafka %s from releases/%s (skipped): broker(s) %s\n", p.Version, p.Version, inventory.JoinIDs(p.Activated))
	}
	if len(p.Activate) > 0 {
		fmt.Fprintf(w, "activate Kafka %s on broker(s) %s: stop -> current -> releases/%s -> start -> confirm version -> wait healthy\n",
			p.Version, inventory.JoinIDs(p.Activate), p.Version)
	}
}

// stagePrinter shows upload progress: a line per host at every quarter (every tenth as JSON).
type stagePrinter struct {
	f    *Factory
	mu   sync.Mutex
	last map[string]int64
}

func newStagePrinter(f *Factory) *stagePrinter { return &stagePrinter{f: f, last: map[string]int64{}} }

func (p *stagePrinter) print(s deploy.StageProgress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	steps := int64(4)
	if p.f.Output != formatTable {
		steps = 10
	}
	if s.Phase == "upload" {
		bucket := s.Sent * steps / max(s.Total, 1)
		if b, ok := p.last[s.Host]; ok && b == bucket {
			return
		}
		p.last[s.Host] = bucket
	}
	if p.f.Output != formatTable {
		_ = json.NewEncoder(p.f.IO.Out).Encode(struct {
			Event string    `json:"event"`
			Time  time.Time `json:"time"`
			deploy.StageProgress
		}{"stage", time.Now(), s})
		return
	}
	ts := time.Now().Format("15:04:05")
	switch s.Phase {
	case "upload":
		fmt.Fprintf(p.f.IO.ErrOut, "%s   host %s: uploaded %s of %s (%d%%)\n", ts, s.Host, byteSize(s.Sent), byteSize(s.Total), s.Sent*100/max(s.Total, 1))
	case "verify":
		fmt.Fprintf(p.f.IO.ErrOut, "%s   host %s: verifying the checksum and unpacking\n", ts, s.Host)
	default:
		fmt.Fprintf(p.f.IO.ErrOut, "%s   host %s: %s: %s\n", ts, s.Host, s.Phase, s.Message)
	}
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

type rollbackOptions struct {
	restartOptions
	to string
}

func newDeployRollbackCmd(f *Factory) *cobra.Command {
	o := &rollbackOptions{restartOptions: restartOptions{f: f}}
	cmd := &cobra.Command{
		Use:   "rollback",
		Short: "Activate the previous release broker by broker, the same safe way as deploy",
		Long: `Point every selected broker back at the release its host recorded as previous (the 'previous'
link deploy keeps next to 'current'), on the rolling engine with the same safety gate, lease,
journal and version check as deploy. Brokers already running that release are skipped. The
hosts must agree on the previous release; otherwise name it with --to. Nothing is staged: the
release must still be in releases/ on every host. The cluster's metadata.version is not lowered:
roll back before 'deploy finalize', never after.`,
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
			return usagef("--to: %v", err)
		}
	}
	c, brokers, err := o.prepare()
	if err != nil {
		return err
	}
	states, _, err := deploy.ProbeBrokers(ctx, f.SSH(), brokers, o.to)
	if err != nil {
		return err
	}
	target := o.to
	if target == "" {
		if target, err = deploy.RollbackTarget(states); err != nil {
			return usagef("cluster %s: cannot tell which release to roll back to: %v", c.Name, err)
		}
	}
	states, procs, err := deploy.ProbeBrokers(ctx, f.SSH(), brokers, target)
	if err != nil {
		return err
	}
	var missing []string
	for _, s := range states {
		if !s.Exists {
			missing = append(missing, fmt.Sprintf("broker %d (%s)", s.Broker, s.Host))
		}
	}
	if len(missing) > 0 {
		return usagef("releases/%s is not on %s; stage it with kfleet deploy --artifact instead", target, strings.Join(missing, ", "))
	}
	plan := deploy.PlanActivation(target, brokers, states, procs)
	printDeployPlan(f, c, nil, plan)
	args := o.args
	args.Release = target
	return f.runDeploy(ctx, rolloutRun{
		kind: "rollback", purpose: fmt.Sprintf("roll brokers %s back to Kafka %s", idList(brokers), target),
		cluster: c, brokers: brokers, opID: rollout.NewOpID(time.Now()), args: args, dryRun: o.dryRun,
		skip: plan.Skip(),
	})
}

func newDeployFinalizeCmd(f *Factory) *cobra.Command {
	var dryRun bool
	var leaseWait time.Duration
	cmd := &cobra.Command{
		Use:   "finalize",
		Short: "Raise the cluster's metadata.version to what its new release supports (irreversible)",
		Long: `Once every broker of the cluster runs the same (new) release, raise the cluster's finalized
metadata.version to the highest level all its brokers support, with UpdateFeatures (upgrade
only). Until then a rollback to the previous release stays possible; after it, it is not, so
finalize refuses, naming brokers, while versions are mixed or a broker is down, and asks for
confirmation (or --yes). --dry-run shows the levels from and to and has the controller validate
the change without making it. Other features (kraft.version, group.version, ...) are left alone.`,
		Example: `  kfleet -c payments-prod deploy finalize --dry-run
  kfleet -c payments-prod deploy finalize --yes -o json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return finalize(cmd.Context(), f, dryRun, leaseWait)
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "show metadata.version from and to, validated by the controller; change nothing")
	cmd.Flags().DurationVar(&leaseWait, "lease-wait", 0, "how long to wait for a held cluster lease before exiting 75")
	return cmd
}

// finalizeResult is what finalize prints with -o json|yaml.
type finalizeResult struct {
	deploy.FinalizePlan
	DryRun    bool `json:"dry_run" yaml:"dry_run"`
	Finalized bool `json:"finalized" yaml:"finalized"`
}

func finalize(ctx context.Context, f *Factory, dryRun bool, leaseWait time.Duration) error {
	c, err := f.OneCluster("deploy finalize")
	if err != nil {
		return err
	}
	versions, err := deploy.RunningVersions(ctx, f.SSH(), c.Brokers)
	if err != nil {
		return err
	}
	cl, err := ops.NewKafkaClient(c, ops.KafkaOptions{Logger: f.Logger()})
	if err != nil {
		return err
	}
	defer cl.Close()
	snap, err := ops.TakeSnapshot(ctx, cl, c.Name)
	if err != nil {
		return err
	}
	var ids []int32
	for _, b := range c.Brokers {
		ids = append(ids, b.ID)
	}
	for _, b := range snap.Brokers {
		if !slices.Contains(ids, b.ID) {
			ids = append(ids, b.ID)
		}
	}
	mv, err := deploy.ReadMetadataVersions(ctx, cl, ids)
	if err != nil {
		return fmt.Errorf("cluster %s: %w", c.Name, err)
	}
	plan, err := deploy.PlanFinalize(c.Name, c.Brokers, versions, mv)
	if err != nil {
		return err
	}
	res := finalizeResult{FinalizePlan: plan, DryRun: dryRun}
	show := func() error {
		return render(f.IO.Out, f.Output, res, func(w io.Writer) error {
			switch {
			case plan.UpToDate:
				fmt.Fprintf(w, "cluster %s: every broker runs Kafka %s; metadata.version is %d, the highest they support; nothing to do\n",
					c.Name, plan.Version, plan.From)
			case res.Finalized:
				fmt.Fprintf(w, "cluster %s: metadata.version raised from %d to %d (Kafka %s)\n", c.Name, plan.From, plan.To, plan.Version)
			default:
				fmt.Fprintf(w, "cluster %s: every broker runs Kafka %s; metadata.version %d -> %d (validated by the controller; nothing changed: dry run)\n",
					c.Name, plan.Version, plan.From, plan.To)
			}
			return nil
		})
	}
	if plan.UpToDate {
		return show()
	}
	if dryRun {
		if err := deploy.Finalize(ctx, cl, plan, true); err != nil {
			return err
		}
		return show()
	}
	if !f.Yes {
		ok, err := f.IO.Confirm(fmt.Sprintf("raise metadata.version of %s from %d to %d? This cannot be undone: no rollback below Kafka %s afterwards",
			c.Name, plan.From, plan.To, plan.Version))
		if err != nil {
			return err
		}
		if !ok {
			return usagef("not confirmed; nothing was changed")
		}
	}
	if err := ops.RequireClusterOps(ctx, cl, c.Name, ops.OpUpdateFeatures); err != nil {
		return err
	}
	lease, err := ops.AcquireLease(ctx, cl, c.Name, ops.LeaseRequest{Holder: ops.LeaseHolderString(),
		OpID: rollout.NewOpID(time.Now()), Purpose: fmt.Sprintf("deploy finalize: metadata.version %d -> %d", plan.From, plan.To),
		TTL: 2 * time.Minute, Wait: leaseWait})
	if err != nil {
		return err
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		_ = lease.Release(rctx)
	}()
	// Re-check under the lease: a broker may have been rolled since.
	if versions, err = deploy.RunningVersions(ctx, f.SSH(), c.Brokers); err != nil {
		return err
	}
	if _, err := deploy.PlanFinalize(c.Name, c.Brokers, versions, mv); err != nil {
		return err
	}
	if err := deploy.Finalize(ctx, cl, plan, false); err != nil {
		return err
	}
	res.Finalized = true
	_ = lease.Event(ctx, "finalized", fmt.Sprintf("metadata.version %d -> %d", plan.From, plan.To), nil)
	return show()
}
