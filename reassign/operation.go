package reassign

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/journal"
	"github.com/kfleet/kfleet/ops/kafka"
	"github.com/kfleet/kfleet/ops/lease"
	"github.com/kfleet/kfleet/rollout/operation"
)

// Every operation has the one shape a fleet run drives.
var _ operation.Operation = (*Reassignment)(nil)

func init() {
	operation.Register(Kind, resume)
	operation.RegisterStarter(Kind, start)
	operation.RegisterSettings(Kind, operation.DecodeInto[Args])
}

// Reassignment is reassign apply as an operation: the moves of a plan (made now, or read from
// Kafka's JSON), in bounded batches with throttles, under the cluster lease and a journal.
type Reassignment struct {
	cluster *inventory.Cluster
	deps    operation.Deps
	k       *KafkaAdmin
	opID    string
	req     Request
	args    Args

	prepared *Prepared // new runs, once planned
	resumed  *Resumed  // resumed runs
}

// ApplyPlan is what reassign apply would do now.
type ApplyPlan struct {
	OpID    string
	Cluster string
	Args    Args
	// Prepared is set for a new run (its Plan is set with --auto), Resumed for a resumed one.
	Prepared *Prepared
	Resumed  *Resumed
}

// Work counts the moves.
func (p *ApplyPlan) Work() int { return len(p.Args.Moves) }

// Question asks for confirmation.
func (p *ApplyPlan) Question() string {
	return fmt.Sprintf("reassign %d partition(s) of %s?", len(p.Args.Moves), p.Cluster)
}

// Notes are what the operator should know before it runs.
func (p *ApplyPlan) Notes() []string {
	if p.Prepared != nil {
		return p.Prepared.Notes
	}
	return p.Resumed.Notes
}

// Impossible is the error for partitions the plan cannot repair (exit 3), or nil.
func (p *ApplyPlan) Impossible() error {
	if p.Prepared != nil && len(p.Prepared.Impossible) > 0 {
		return &ImpossibleError{Cluster: p.Cluster, Partitions: p.Prepared.Impossible}
	}
	return nil
}

// Refusal is the error for reassignments in flight that this run did not start (without
// Additional), or nil. Execute checks again under the lease.
func (p *ApplyPlan) Refusal() error {
	if p.Prepared == nil || len(p.Prepared.Foreign) == 0 || p.Args.Settings.Additional {
		return nil
	}
	names := make([]string, len(p.Prepared.Foreign))
	for i, fr := range p.Prepared.Foreign {
		names[i] = fmt.Sprintf("%s-%d", fr.Topic, fr.Partition)
	}
	return &ForeignError{Cluster: p.Cluster, Partitions: names}
}

// DryRun is what --dry-run shows of a new run: waves and throttles.
func (p *ApplyPlan) DryRun() *DryRun {
	st := p.Args.Settings
	return p.Prepared.DryRun(p.OpID, Limits{MaxMoves: st.MaxMoves, MaxPerBroker: st.MaxPerBroker}, st.Throttle)
}

// start builds a fleet run's reassign apply --auto on cluster c from its recorded Args: the
// replicas on dead brokers, planned on each cluster as it comes.
func start(_ context.Context, c *inventory.Cluster, d operation.Deps, args json.RawMessage) (operation.Operation, error) {
	var a Args
	if err := json.Unmarshal(args, &a); err != nil {
		return nil, fmt.Errorf("reassign settings: %w", err)
	}
	return NewApply(c, d, Request{Auto: true, Additional: a.Settings.Additional}, a), nil
}

// NewApply builds reassign apply of req on cluster c. args carries the settings and where the
// plan came from (Source, From); its moves are filled in by Plan.
func NewApply(c *inventory.Cluster, d operation.Deps, req Request, args Args) *Reassignment {
	return &Reassignment{cluster: c, deps: d, k: NewKafkaAdmin(c.Name, d.Client), opID: journal.NewID(d.Clock()),
		req: req, args: args}
}

// OpID is the operation's id.
func (r *Reassignment) OpID() string { return r.opID }

// Plan reads the cluster and turns the request into moves checked against it; nothing changes.
func (r *Reassignment) Plan(ctx context.Context) (operation.Plan, error) {
	p, err := r.plan(ctx)
	if err != nil {
		return nil, err
	}
	return p, nil
}

func (r *Reassignment) plan(ctx context.Context) (*ApplyPlan, error) {
	if r.resumed == nil && r.prepared == nil {
		if r.req.Racks == nil {
			r.req.Racks = InventoryRacks(r.cluster)
		}
		prep, err := Prepare(ctx, r.k, r.req)
		if err != nil {
			return nil, err
		}
		r.prepared = prep
		r.args.SizesKnown, r.args.Moves = prep.SizesKnown, prep.Moves
	}
	return &ApplyPlan{OpID: r.opID, Cluster: r.cluster.Name, Args: r.args, Prepared: r.prepared, Resumed: r.resumed}, nil
}

// purpose is what other operators see while the lease is held.
func (r *Reassignment) purpose() string {
	p := fmt.Sprintf("reassign %d partition(s)", len(r.args.Moves))
	if r.prepared != nil && r.prepared.Plan != nil && len(r.prepared.Plan.Affected) > 0 {
		ids := make([]string, len(r.prepared.Plan.Affected))
		for i, a := range r.prepared.Plan.Affected {
			ids[i] = fmt.Sprint(a.ID)
		}
		p += " off broker(s) " + strings.Join(ids, ",")
	}
	if r.resumed != nil {
		p = "resume " + r.opID + ": " + p
	}
	return p
}

// Preflight says, changing nothing, whether the moves could start now: the ACLs, the lease, and
// reassignments someone else started (refused without --additional).
func (r *Reassignment) Preflight(ctx context.Context) error {
	p, err := r.plan(ctx)
	if err != nil {
		return err
	}
	return fault.Join(r.guard(nil).Check(ctx), p.Refusal())
}

// Execute runs the moves under the cluster lease: the ACLs for moves and throttles are checked
// first, reassignments someone else started are checked again under the lease, then the moves
// run, journaled.
func (r *Reassignment) Execute(ctx context.Context, soft <-chan struct{}) error {
	if _, err := r.plan(ctx); err != nil {
		return err
	}
	var emit func(Event)
	if r.deps.Emit != nil {
		emit = func(e Event) { r.deps.Emit(e) }
	}
	a := &Apply{Kafka: r.k, Cluster: r.cluster.Name, OpID: r.opID, Args: r.args, StateDir: r.deps.StateDir,
		InventoryPath: r.deps.Inventory, Emit: emit, Resume: r.resumed}
	return r.guard(a).Run(ctx, func(ctx context.Context, s *operation.Session) error {
		return a.execute(ctx, Wrap(s.Journal), s.Lease, soft)
	})
}

// guard is the lease, ACLs and journal the moves run under; a, when set, checks again under the
// lease what someone else started.
func (r *Reassignment) guard(a *Apply) operation.Guard {
	st := r.args.Settings
	g := operation.Guard{Cluster: r.cluster, Deps: r.deps, OpID: r.opID, Kind: Kind, Purpose: r.purpose(),
		// Moves, throttles and their removal: all of it must be allowed before the first move.
		Needs:    []kafka.Op{kafka.OpAlterReassignments, kafka.OpAlterReplicaConfigs},
		LeaseTTL: st.LeaseTTL, LeaseWait: st.LeaseWait, Settings: r.args, Resuming: r.resumed != nil,
	}
	if a != nil {
		g.UnderLease = a.check
	}
	if st.Throttle > 0 {
		g.Preflight = func(ctx context.Context) error {
			return kafka.RequireTopicOps(ctx, r.deps.Client, r.cluster.Name, movedTopics(r.args.Moves), kmsg.ACLOperationAlterConfigs, kafka.OpAlterTopicThrottles)
		}
	}
	return g
}

// InventoryRacks lets the planner keep the replica of an unregistered broker in its rack.
func InventoryRacks(c *inventory.Cluster) map[int32]string {
	racks := map[int32]string{}
	for _, b := range c.Brokers {
		if b.Rack != "" {
			racks[b.ID] = b.Rack
		}
	}
	return racks
}

// resume continues a reassignment from its journal and the cluster's state.
func resume(ctx context.Context, c *inventory.Cluster, d operation.Deps, e *journal.Entry) (operation.Operation, error) {
	r := &Reassignment{cluster: c, deps: d, k: NewKafkaAdmin(c.Name, d.Client), opID: e.Op.ID}
	res, err := PrepareResume(ctx, r.k, d.StateDir, e.Op.ID)
	if err != nil {
		return nil, err
	}
	r.resumed, r.args = res, res.Args
	return r, nil
}

// LeaseNote says when a fenced broker may be down on purpose: another operation (a restart, a
// patch) holds the cluster lease. apply would wait for the lease anyway; plan only reads. ""
// when no broker is fenced, the lease is free or cannot be read.
func LeaseNote(ctx context.Context, k *KafkaAdmin, plan *Plan) string {
	fenced := false
	for _, a := range plan.Affected {
		fenced = fenced || a.Why == WhyFenced
	}
	if !fenced {
		return ""
	}
	st, err := lease.Read(ctx, k.Client, plan.Cluster)
	if err != nil || !st.Held {
		return ""
	}
	return fmt.Sprintf("the cluster lease is held by %s for %q (op %s): a fenced broker may be down on purpose and come back; apply waits for the lease",
		st.Holder, st.Purpose, st.OpID)
}
