package brokerconfig

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/journal"
	"github.com/kfleet/kfleet/ops/kafka"
	"github.com/kfleet/kfleet/rollout"
	"github.com/kfleet/kfleet/rollout/operation"
)

// Kind is config apply's kind in the journal and in history.
const Kind = "config"

// Events config apply adds to the engine's (rollout.Event kinds).
const (
	EventUnchanged = "config-unchanged"
	EventDynamic   = "config-dynamic"
	EventFile      = "config-file"
	EventVerified  = "config-verified"
)

// Every operation has the one shape a fleet run drives.
var _ operation.Operation = (*Apply)(nil)

func init() {
	operation.Register(Kind, resume)
	operation.RegisterStarter(Kind, start)
	operation.RegisterSettings(Kind, operation.DecodeInto[Settings])
}

// Settings are config apply's settings, recorded in its journal: the engine's for the restarts,
// and how long applied values may take to show as live.
type Settings struct {
	rollout.Settings `yaml:",inline"`
	VerifyTimeout    time.Duration `json:"verify_timeout"`
}

// restartLabel is how config apply's restarts are shown.
const restartLabel = "restart"

// verifyPoll is how often the result is read back while waiting for it to show.
const verifyPoll = 500 * time.Millisecond

// Apply makes the brokers' configs of one cluster match the inventory: dynamic values live,
// server.properties on the brokers whose file changes, and a gated restart of those brokers,
// all under one lease and one journal.
type Apply struct {
	cluster  *inventory.Cluster
	brokers  []*inventory.Broker
	deps     operation.Deps
	settings Settings
	opID     string
	resumed  bool

	plan    *ApplyPlan
	restart rollout.Rolling
}

// ApplyPlan is what config apply would do now.
type ApplyPlan struct {
	Config *Plan
	// Restart is the engine's plan for the brokers to restart; nil when none is.
	Restart *rollout.RollingPlan
	// Resumed: the changes were made by the run being resumed; only restarts are left.
	Resumed bool
	// Compared counts the brokers whose configs were compared.
	Compared int
	OpID     string
}

// Work counts the changes: keys, files and restarts.
func (p *ApplyPlan) Work() int {
	if p.Resumed {
		return p.Restart.Work()
	}
	if p.Config.Empty() {
		return 0
	}
	return max(len(p.Config.Changes)+len(p.Config.Files)+len(p.Config.Restart), 1)
}

// Question asks for confirmation.
func (p *ApplyPlan) Question() string {
	if p.Resumed {
		return p.Restart.Question()
	}
	return fmt.Sprintf("apply %d config change(s) to %s, restarting %d broker(s)?", len(p.Config.Changes), p.Config.Cluster, len(p.Config.Restart))
}

// RemainError says differences remain after apply.
type RemainError struct {
	Cluster string
	Left    []Diff
}

func (e *RemainError) Error() string {
	return fmt.Sprintf("cluster %s: %d difference(s) remain after apply (see above); see kfleet config diff", e.Cluster, len(e.Left))
}

// NewApply builds config apply on brokers (all of the cluster's when empty) of cluster c.
func NewApply(c *inventory.Cluster, brokers []*inventory.Broker, d operation.Deps, s Settings) *Apply {
	if len(brokers) == 0 {
		brokers = c.Brokers
	}
	return &Apply{cluster: c, brokers: brokers, deps: d, settings: s, opID: journal.NewID(d.Clock())}
}

// OpID is the operation's id.
func (a *Apply) OpID() string { return a.opID }

// Plan reads what runs, diffs, refuses what apply must not touch, and validates every dynamic
// change with Kafka (validate-only); nothing is changed.
func (a *Apply) Plan(ctx context.Context) (operation.Plan, error) {
	p, err := a.planApply(ctx)
	if err != nil {
		return nil, err
	}
	return p, nil
}

func (a *Apply) planApply(ctx context.Context) (*ApplyPlan, error) {
	c, cl := a.cluster, a.deps.Client
	live, err := ReadLive(ctx, cl, a.deps.SSH, c, a.brokers)
	if err != nil {
		return nil, err
	}
	if err := CheckKeys(c, a.brokers, live); err != nil {
		return nil, err
	}
	plan := PlanChanges(c, a.brokers, live, Compare(c, a.brokers, live))
	if len(plan.Refused) > 0 {
		return nil, &PlacementError{Cluster: c.Name, Keys: plan.Refused}
	}
	if a.resumed {
		// The run may have died between its writes: whatever value or file still differs is
		// written again (each write is the whole desired state, so twice is as once); the
		// restarts are the journaled operation's.
		rp, err := a.restart.Plan(ctx)
		if err != nil {
			return nil, err
		}
		var ids []int32
		for _, b := range rp.Batches {
			ids = append(ids, b.Brokers...)
		}
		if err := Validate(ctx, cl, plan); err != nil {
			return nil, err
		}
		a.plan = &ApplyPlan{Config: &Plan{Cluster: c.Name, Changes: plan.Changes, Files: plan.Files, Restart: ids},
			Restart: rp, Resumed: true, OpID: a.opID}
		return a.plan, nil
	}
	if plan.ClusterWide() && len(a.brokers) < len(c.Brokers) {
		return nil, fault.Usagef("cluster %s: the plan changes cluster-wide dynamic defaults, which every broker inherits, "+
			"but --brokers selects only %s; run without --brokers (or use config diff to see the changes); nothing was changed",
			c.Name, inventory.JoinIDs(inventory.BrokerIDs(a.brokers)))
	}
	if err := Validate(ctx, cl, plan); err != nil {
		return nil, err
	}
	a.plan = &ApplyPlan{Config: plan, Compared: len(a.brokers), OpID: a.opID}
	if len(plan.Restart) > 0 {
		if a.plan.Restart, err = a.restartPlan(ctx, plan.Restart); err != nil {
			return nil, err
		}
	}
	return a.plan, nil
}

// restartPlan sets up the restart of the brokers whose server.properties changed.
func (a *Apply) restartPlan(ctx context.Context, ids []int32) (*rollout.RollingPlan, error) {
	var brokers []*inventory.Broker
	for _, b := range a.cluster.Brokers {
		for _, id := range ids {
			if b.ID == id {
				brokers = append(brokers, b)
			}
		}
	}
	// Shown as a restart; journaled as config apply (the Guard's kind).
	a.restart.Kind, a.restart.Cluster, a.restart.Brokers, a.restart.OpID = restartLabel, a.cluster, brokers, a.opID
	a.restart.Deps, a.restart.Settings, a.restart.Journaled = a.deps, a.settings.Settings, a.settings
	a.restart.Purpose = "config apply: restart brokers " + inventory.JoinIDs(inventory.BrokerIDs(brokers)) + " to load server.properties"
	return a.restart.Plan(ctx)
}

// Preflight says, changing nothing, whether apply could start now: the lease, and for the
// restarts the ACLs, SSH to their hosts and the safety gate.
func (a *Apply) Preflight(ctx context.Context) error {
	if a.plan == nil {
		if _, err := a.planApply(ctx); err != nil {
			return err
		}
	}
	if a.plan.Restart != nil && a.plan.Restart.Work() > 0 {
		return a.restart.Preflight(ctx, a.plan.Restart)
	}
	return a.guard().Check(ctx)
}

// Execute applies the plan under the cluster lease: dynamic values, then files, then the gated
// restarts, then it reads everything again until nothing differs (bounded by VerifyTimeout).
func (a *Apply) Execute(ctx context.Context, soft <-chan struct{}) error {
	if a.plan == nil {
		if _, err := a.planApply(ctx); err != nil {
			return err
		}
	}
	return a.guard().Run(ctx, func(ctx context.Context, s *operation.Session) error {
		if err := a.run(ctx, s, soft); err != nil {
			// The engine journals how its restarts ended; an interrupted run must stay resumable
			// as interrupted, anything else halted the apply.
			if k, _ := fault.KindOf(err); k != fault.Interrupted {
				a.record(s, rollout.EventHalted, nil, err.Error())
			}
			return err
		}
		a.record(s, rollout.EventFinished, nil, "config apply done")
		return nil
	})
}

// guard is the lease, ACLs and journal apply runs under.
func (a *Apply) guard() operation.Guard {
	plan := a.plan.Config
	g := operation.Guard{Cluster: a.cluster, Deps: a.deps, OpID: a.opID, Kind: Kind,
		Purpose:  "config apply: " + fmt.Sprintf("%d change(s), restarting %d broker(s)", len(plan.Changes), len(plan.Restart)),
		LeaseTTL: a.settings.LeaseTTL, LeaseWait: a.settings.LeaseWait,
		Brokers: plan.Restart, Settings: a.settings, Resuming: a.resumed}
	if len(plan.Restart) > 0 {
		g.Needs = []kafka.Op{kafka.OpElectLeaders}
		g.Purpose = a.restart.Purpose
		// Like every rolling run: not while another operation's stopped broker is down.
		g.Preflight = a.restart.CheckStranded
	}
	return g
}

func (a *Apply) run(ctx context.Context, s *operation.Session, soft <-chan struct{}) error {
	c, plan := a.cluster, a.plan.Config
	// Each write is journaled before it is made (started) and after (ok), so a run killed in
	// between leaves a journal that says what may have changed.
	if plan.Dynamic() {
		a.step(ctx, s, EventDynamic, rollout.StatusStarted, nil, fmt.Sprintf("setting %d dynamic value(s)", len(plan.Changes)))
		if err := ApplyDynamic(ctx, a.deps.Client, plan); err != nil {
			return err
		}
		a.step(ctx, s, EventDynamic, rollout.StatusOK, nil, "dynamic configs applied")
	}
	byID := map[int32]*inventory.Broker{}
	for _, b := range a.brokers {
		byID[b.ID] = b
	}
	now := a.deps.Clock()
	for _, e := range plan.Files {
		a.step(ctx, s, EventFile, rollout.StatusStarted, []int32{e.Broker}, fmt.Sprintf("rewriting %s on %s", e.Path, e.Host))
		backup, err := WriteConfigFile(ctx, a.deps.SSH, byID[e.Broker], e, now)
		if err != nil {
			return err
		}
		a.step(ctx, s, EventFile, rollout.StatusOK, []int32{e.Broker}, fmt.Sprintf("%s rewritten on %s (backup %s)", e.Path, e.Host, backup))
	}
	if a.plan.Restart != nil && a.plan.Restart.Work() > 0 {
		if err := a.restart.Run(ctx, s, soft); err != nil {
			return err
		}
	}
	left, err := WaitApplied(ctx, a.deps.Client, a.deps.SSH, c, a.brokers, a.settings.VerifyTimeout, verifyPoll)
	if err != nil {
		return err
	}
	if len(left) > 0 {
		return &RemainError{Cluster: c.Name, Left: left}
	}
	a.event(s, EventVerified, nil, fmt.Sprintf("%d broker(s) of %s match the inventory", len(a.brokers), c.Name))
	return nil
}

// step reports one write of apply, journaled and shown; the intent (started) is flushed to the
// cluster's copy of the journal (bounded) before the write.
func (a *Apply) step(ctx context.Context, s *operation.Session, kind, status string, brokers []int32, msg string) {
	e := rollout.Event{Time: a.deps.Clock().UTC(), Op: a.opID, Cluster: a.cluster.Name, Kind: kind, Status: status,
		Brokers: brokers, Message: msg}
	if s != nil && s.Journal != nil {
		_ = s.Journal.Append(e)
		if status == rollout.StatusStarted {
			_ = s.Journal.FlushIntent(ctx)
		}
	}
	a.deps.Event(e)
}

// event reports one step of apply: journaled and shown.
func (a *Apply) event(s *operation.Session, kind string, brokers []int32, msg string) {
	e := rollout.Event{Time: a.deps.Clock().UTC(), Op: a.opID, Cluster: a.cluster.Name, Kind: kind, Brokers: brokers, Message: msg}
	if s != nil && s.Journal != nil {
		_ = s.Journal.Append(e)
	}
	a.deps.Event(e)
}

// record journals an event without showing it (the run's end, which the caller reports).
func (a *Apply) record(s *operation.Session, kind string, brokers []int32, msg string) {
	if s.Journal != nil {
		_ = s.Journal.Append(rollout.Event{Time: a.deps.Clock().UTC(), Op: a.opID, Cluster: a.cluster.Name, Kind: kind, Brokers: brokers, Message: msg})
	}
}

// resume finishes a journaled config apply: its values and files were written before it
// stopped; what is left is restarting the brokers that have not restarted since, then the check.
// start builds a config apply of every broker of c from the settings a fleet run recorded, with
// c's own hooks added as for one cluster.
func start(_ context.Context, c *inventory.Cluster, d operation.Deps, args json.RawMessage) (operation.Operation, error) {
	var s Settings
	if err := json.Unmarshal(args, &s); err != nil {
		return nil, fmt.Errorf("config apply settings: %w", err)
	}
	s.Settings = s.WithInventoryHooks(c)
	return NewApply(c, nil, d, s), nil
}

func resume(ctx context.Context, c *inventory.Cluster, d operation.Deps, e *journal.Entry) (operation.Operation, error) {
	var s Settings
	brokers, err := operation.Recorded(c, e, &s)
	if err != nil {
		return nil, err
	}
	a := NewApply(c, nil, d, s)
	a.opID, a.resumed = e.Op.ID, true
	a.restart = rollout.Rolling{Kind: restartLabel, Cluster: c, Brokers: brokers, OpID: e.Op.ID, Deps: d, Settings: s.Settings, Journaled: s}
	if err := a.restart.ResumeFrom(ctx, e); err != nil {
		return nil, err
	}
	return a, nil
}
