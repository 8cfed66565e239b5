package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/cluster"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/journal"
	"github.com/kfleet/kfleet/ops/kafka"
	"github.com/kfleet/kfleet/ops/units"
	"github.com/kfleet/kfleet/rollout"
	"github.com/kfleet/kfleet/rollout/operation"
)

// Operation kinds in the journal and in history.
const (
	KindDeploy   = "deploy"
	KindRollback = "rollback"
)

// Every operation has the one shape a fleet run drives.
var (
	_ operation.Operation = (*Release)(nil)
	_ operation.Operation = (*Finalizer)(nil)
)

func init() {
	operation.Register(KindDeploy, resume)
	operation.Register(KindRollback, resume)
	operation.RegisterStarter(KindDeploy, start)
	operation.RegisterStarter(KindRollback, startRollback)
	operation.RegisterSettings(KindDeploy, operation.DecodeInto[Settings])
	operation.RegisterSettings(operation.StartArgsKind(KindDeploy), operation.DecodeInto[FleetArgs])
	operation.RegisterSettings(KindRollback, operation.DecodeInto[Settings])
}

// Settings are a deploy's or rollback's settings, recorded in its journal.
type Settings struct {
	// Release is the version activated on each broker; Keep is how many releases retention
	// keeps per host after a deploy (0: all).
	Release          string `json:"release,omitempty"`
	Keep             int    `json:"keep,omitempty"`
	rollout.Settings `yaml:",inline"`
}

// StageSettings tune staging (not journaled: a resumed deploy stages nothing).
type StageSettings struct {
	Parallel int           `json:"parallel"` // hosts at once
	Timeout  time.Duration `json:"timeout"`  // one host's upload, verify and unpack
}

// FleetArgs are what a fleet deploy records to build each cluster's deploy: the settings (the
// inventory's hooks not yet added), the inspected artifact and the staging tuning.
type FleetArgs struct {
	Settings Settings      `json:"settings"`
	Artifact Artifact      `json:"artifact"`
	Stage    StageSettings `json:"stage"`
}

// start builds a deploy of every broker of c from a fleet run's FleetArgs, with c's own hooks
// added as for one cluster.
func start(_ context.Context, c *inventory.Cluster, d operation.Deps, args json.RawMessage) (operation.Operation, error) {
	var a FleetArgs
	if err := json.Unmarshal(args, &a); err != nil {
		return nil, fmt.Errorf("deploy settings: %w", err)
	}
	a.Settings.Settings = a.Settings.WithInventoryHooks(c)
	return New(c, c.Brokers, d, a.Settings, a.Artifact, a.Stage), nil
}

// Release activates a Kafka release on brokers of a cluster, batch by batch on the rolling
// engine: a deploy (stage the artifact first, prune old releases after), a rollback (to the
// previous release the hosts recorded) or a resumed one of either.
type Release struct {
	kind     string
	cluster  *inventory.Cluster
	brokers  []*inventory.Broker
	deps     operation.Deps
	settings Settings
	artifact *Artifact // deploy: what to stage; nil for rollback and resume
	stage    StageSettings
	resumed  *journal.Entry

	plan    *ReleasePlan
	rolling rollout.Rolling
}

// ReleasePlan is what a deploy or rollback would do now: staging, the brokers already on the
// release, and the engine's batches for the rest.
type ReleasePlan struct {
	Kind     string
	Cluster  string
	Artifact *Artifact
	Hosts    Plan
	Rolling  *rollout.RollingPlan
}

// Work counts the brokers to roll.
func (p *ReleasePlan) Work() int { return p.Rolling.Work() }

// Question asks for confirmation.
func (p *ReleasePlan) Question() string { return p.Rolling.Question() }

// Conflict refuses a plan that would stage over a different releases/<V>: nothing is touched.
func (p *ReleasePlan) Conflict() error {
	var steps []StageStep
	for _, s := range p.Hosts.Stage {
		if s.Action == StageConflict {
			steps = append(steps, s)
		}
	}
	if len(steps) > 0 {
		return &StageConflictError{Steps: steps}
	}
	return nil
}

// New builds the deploy of artifact a to brokers of cluster c.
func New(c *inventory.Cluster, brokers []*inventory.Broker, d operation.Deps, s Settings, a Artifact, st StageSettings) *Release {
	s.Release = a.Version
	r := newRelease(KindDeploy, c, brokers, d, s)
	r.artifact, r.stage = &a, st
	r.rolling.Purpose = fmt.Sprintf("deploy Kafka %s to brokers %s", a.Version, inventory.JoinIDs(inventory.BrokerIDs(brokers)))
	return r
}

// NewRollback builds the rollback of brokers of cluster c to release to, or, when to is empty,
// to the previous release their hosts recorded (found by Plan).
func NewRollback(c *inventory.Cluster, brokers []*inventory.Broker, d operation.Deps, s Settings, to string) *Release {
	s.Release = to
	return newRelease(KindRollback, c, brokers, d, s)
}

func newRelease(kind string, c *inventory.Cluster, brokers []*inventory.Broker, d operation.Deps, s Settings) *Release {
	return &Release{kind: kind, cluster: c, brokers: brokers, deps: d, settings: s,
		rolling: rollout.Rolling{Kind: kind, Cluster: c, Brokers: brokers, OpID: journal.NewID(d.Clock()), Deps: d}}
}

// OpID is the operation's id.
func (r *Release) OpID() string { return r.rolling.OpID }

// Plan probes the hosts (releases present, what runs) and forms the engine's batches for the
// brokers not yet on the release; nothing is touched.
func (r *Release) Plan(ctx context.Context) (operation.Plan, error) {
	p, err := r.planRelease(ctx)
	if err != nil {
		return nil, err
	}
	return p, nil
}

func (r *Release) planRelease(ctx context.Context) (*ReleasePlan, error) {
	ssh := r.deps.SSH
	if r.kind == KindRollback && r.resumed == nil {
		if err := r.rollbackTarget(ctx); err != nil {
			return nil, err
		}
	}
	version := r.settings.Release
	states, procs, err := ProbeBrokers(ctx, ssh, r.brokers, version)
	if err != nil {
		return nil, err
	}
	// Before anything is staged or stopped, here and in a fleet run (whose plan comes first).
	if err := r.checkUpgrade(ctx, version, procs); err != nil {
		return nil, err
	}
	if r.kind == KindRollback {
		var missing []string
		for _, s := range states {
			if !s.Exists {
				missing = append(missing, fmt.Sprintf("broker %d (%s)", s.Broker, s.Host))
			}
		}
		if len(missing) > 0 {
			return nil, fault.Usagef("releases/%s is not on %s; stage it with kfleet deploy --artifact instead", version, strings.Join(missing, ", "))
		}
	}
	hosts := PlanActivation(version, r.brokers, states, procs)
	if r.artifact != nil {
		var toStage []*inventory.Broker
		var stageStates []HostRelease
		for i, b := range r.brokers {
			if !slices.Contains(hosts.Activated, b.ID) {
				toStage = append(toStage, b)
				stageStates = append(stageStates, states[i])
			}
		}
		hosts.Stage = PlanStage(*r.artifact, toStage, stageStates)
	}
	act := Activation{SSH: ssh, Version: version, Say: r.deps.Say}
	r.rolling.Settings, r.rolling.Journaled = r.settings.Settings, r.settings
	r.rolling.Between, r.rolling.BetweenStep, r.rolling.Verify = act.Switch, rollout.StepSwitchRelease, act.Verify
	r.rolling.Skip = hosts.Skip()
	r.rolling.Before, r.rolling.After = r.stageAll, r.prune
	rp, err := r.rolling.Plan(ctx)
	if err != nil {
		return nil, err
	}
	r.plan = &ReleasePlan{Kind: r.kind, Cluster: r.cluster.Name, Artifact: r.artifact, Hosts: hosts, Rolling: rp}
	return r.plan, nil
}

// upgradeReadTimeout bounds the reads of what the cluster finalized: a broker that is down must
// not hold the plan up.
const upgradeReadTimeout = 15 * time.Second

// checkUpgrade refuses a release Kafka does not support moving to from here (CheckUpgrade): it
// reads the cluster's finalized metadata.version (KRaft) or its brokers'
// inter.broker.protocol.version (ZooKeeper mode). A read that fails leaves the fact unknown;
// the rolling plan that follows needs Kafka anyway.
func (r *Release) checkUpgrade(ctx context.Context, version string, procs map[int32]cluster.BrokerProcess) error {
	f := UpgradeFacts{Cluster: r.cluster.Name, Kind: r.kind, Mode: r.cluster.Metadata.Mode(), Target: version, Running: map[int32]string{}}
	for id, p := range procs {
		if p.Running {
			f.Running[id] = p.Version
		}
	}
	if cl := r.deps.Client; cl != nil {
		rctx, cancel := context.WithTimeout(ctx, upgradeReadTimeout)
		defer cancel()
		ids := inventory.BrokerIDs(r.cluster.Brokers)
		if f.Mode == inventory.MetadataZooKeeper {
			live, _ := kafka.ProtocolVersions(rctx, cl, ids)
			f.ProtocolVersion = kafka.HighestRelease(live)
		} else if mv, _ := ReadMetadataVersions(rctx, cl, ids); mv.Finalized > 0 {
			f.MetadataVersion = &mv.Finalized
		}
	}
	return CheckUpgrade(f)
}

// Preflight says, changing nothing, whether the deploy or rollback could start now.
func (r *Release) Preflight(ctx context.Context) error {
	if r.plan == nil {
		if _, err := r.planRelease(ctx); err != nil {
			return err
		}
	}
	return r.rolling.Preflight(ctx, r.plan.Rolling)
}

// rollbackTarget settles the release a rollback activates.
func (r *Release) rollbackTarget(ctx context.Context) error {
	if r.settings.Release == "" {
		states, _, err := ProbeBrokers(ctx, r.deps.SSH, r.brokers, "")
		if err != nil {
			return err
		}
		target, err := RollbackTarget(states)
		if err != nil {
			return fault.Usagef("cluster %s: cannot tell which release to roll back to: %v", r.cluster.Name, err)
		}
		r.settings.Release = target
	}
	r.rolling.Purpose = fmt.Sprintf("roll brokers %s back to Kafka %s", inventory.JoinIDs(inventory.BrokerIDs(r.brokers)), r.settings.Release)
	return nil
}

// Execute stages the release (deploy), activates it batch by batch and prunes old releases,
// all under the cluster lease and the journal.
func (r *Release) Execute(ctx context.Context, soft <-chan struct{}) error {
	if r.plan == nil {
		if _, err := r.planRelease(ctx); err != nil {
			return err
		}
	}
	if err := r.plan.Conflict(); err != nil {
		return err
	}
	return r.rolling.Execute(ctx, soft)
}

// startRollback builds a rollback of every broker of c from a fleet run's Settings (Release: the
// release to activate, "" for the previous one), with c's own hooks added.
func startRollback(_ context.Context, c *inventory.Cluster, d operation.Deps, args json.RawMessage) (operation.Operation, error) {
	var s Settings
	if err := json.Unmarshal(args, &s); err != nil {
		return nil, fmt.Errorf("rollback settings: %w", err)
	}
	s.Settings = s.WithInventoryHooks(c)
	return NewRollback(c, c.Brokers, d, s, s.Release), nil
}

// Stage uploads and verifies the artifact on the hosts that need it, without the lease and
// without touching a broker: a fleet deploy stages every cluster first, and each cluster's run
// then finds its hosts staged. A rollback or a resumed deploy stages nothing.
func (r *Release) Stage(ctx context.Context) error {
	if r.plan == nil {
		if _, err := r.planRelease(ctx); err != nil {
			return err
		}
	}
	if err := r.plan.Conflict(); err != nil {
		return err
	}
	if err := r.stageAll(ctx, nil); err != nil {
		return err
	}
	r.plan = nil // planned again at Execute: the hosts are staged now
	return nil
}

// stageAll uploads the artifact to the hosts that need it, under the lease, before any broker
// is stopped.
func (r *Release) stageAll(ctx context.Context, _ *operation.Session) error {
	if r.artifact == nil {
		return nil
	}
	a, d := *r.artifact, r.deps
	n := 0
	for _, st := range r.plan.Hosts.Stage {
		if st.Action == StageUpload {
			n++
		}
	}
	if n == 0 {
		d.Sayf("staging: every host already has releases/%s from this artifact", a.Version)
		return nil
	}
	s := &Stager{SSH: d.SSH, Concurrency: r.stage.Parallel, Timeout: r.stage.Timeout,
		Progress: func(p StageProgress) {
			p.Cluster = r.cluster.Name
			d.Event(p)
		}}
	began := time.Now()
	d.Sayf("staging Kafka %s on %d host(s), %d at a time", a.Version, n, s.Concurrency)
	if err := s.Stage(ctx, a, r.plan.Hosts.Stage); err != nil {
		return err
	}
	took := time.Since(began)
	d.Sayf("staged Kafka %s on %d host(s) in %.1fs (%s/s in all)", a.Version, n, took.Seconds(),
		units.Bytes(int64(float64(a.Size)*float64(n)/max(took.Seconds(), 0.001))))
	return nil
}

// prune applies retention once a deploy has activated its release everywhere.
func (r *Release) prune(ctx context.Context, _ *operation.Session) error {
	if r.kind != KindDeploy || r.settings.Keep <= 0 {
		return nil
	}
	ret := Retention{SSH: r.deps.SSH, Keep: r.settings.Keep, Say: r.deps.Say}
	if err := ret.Prune(ctx, r.brokers, r.settings.Release); err != nil {
		// The release is active everywhere; old releases left behind are not a failed deploy.
		r.deps.Sayf("warning: %v", err)
	}
	return nil
}

// resume continues a journaled deploy or rollback: a broker is done when it runs the release
// from releases/<V>, whatever the journal says. Nothing is staged again.
func resume(ctx context.Context, c *inventory.Cluster, d operation.Deps, e *journal.Entry) (operation.Operation, error) {
	var s Settings
	brokers, err := operation.Recorded(c, e, &s)
	if err != nil {
		return nil, err
	}
	r := newRelease(e.Op.Kind, c, brokers, d, s)
	r.resumed = e
	r.rolling.OpID, r.rolling.Resuming = e.Op.ID, true
	r.rolling.Purpose = "resume " + e.Op.ID + ": " + e.Op.Kind + " brokers " + inventory.JoinIDs(inventory.BrokerIDs(brokers))
	return r, nil
}
