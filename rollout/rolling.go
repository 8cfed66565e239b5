package rollout

import (
	"context"
	"fmt"
	"strings"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/cluster"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/host"
	"github.com/kfleet/kfleet/ops/journal"
	"github.com/kfleet/kfleet/ops/kafka"
	"github.com/kfleet/kfleet/rollout/operation"
)

// Rolling is one journaled, leased run of the engine over brokers of a cluster: what restart,
// deploy, rollback, patch run and config apply's restarts are made of.
type Rolling struct {
	Kind    string // restart, deploy, rollback, patch, config
	Purpose string // shown to other operators while the lease is held
	Cluster *inventory.Cluster
	Brokers []*inventory.Broker
	OpID    string
	Deps    operation.Deps
	// Settings are the engine's knobs; Journaled is the kind's whole settings struct (they
	// included), recorded so resume can rebuild the operation.
	Settings  Settings
	Journaled any
	// Skip holds brokers already done (resume); Resuming continues OpID's journal.
	Skip     map[int32]bool
	Resuming bool
	// Closing are skipped brokers whose cut-short batch the run still closes: it waits for the
	// cluster to be healthy and gives them their preferred leaders back (see ResumeSkips).
	Closing []int32
	// Between and Verify are the engine's per-broker steps (Options.Between, Options.Verify);
	// BetweenStep names Between's step.
	Between     func(ctx context.Context, b *inventory.Broker) error
	BetweenStep string
	Verify      func(ctx context.Context, b *inventory.Broker) error
	// Before and After run under the lease, before the first batch and after the last.
	Before func(ctx context.Context, s *operation.Session) error
	After  func(ctx context.Context, s *operation.Session) error
}

// RollingPlan is what a rolling operation would do now.
type RollingPlan struct {
	Kind    string
	OpID    string
	Cluster string
	Batches []Batch
	// Closing are brokers a killed run already restarted whose batch this run closes.
	Closing  []int32
	Snapshot *cluster.Snapshot
	// GateNow is the gate's verdict on the first batch now (the zero value when nothing is to do).
	GateNow  cluster.GateResult
	Settings Settings
	// Journaled is the kind's whole settings, as --dry-run -o json prints them.
	Journaled any
}

// Work counts the brokers to roll, and those of a cut-short batch still to close.
func (p *RollingPlan) Work() int {
	n := len(p.Closing)
	for _, b := range p.Batches {
		n += len(b.Brokers)
	}
	return n
}

// Question asks for confirmation.
func (p *RollingPlan) Question() string {
	if len(p.Batches) == 0 {
		return fmt.Sprintf("%s %s: wait for a healthy cluster and give broker(s) %s their leaders back?",
			p.Kind, p.Cluster, inventory.JoinIDs(p.Closing))
	}
	return fmt.Sprintf("%s %d broker(s) of %s in %d batch(es)?", p.Kind, p.Work(), p.Cluster, len(p.Batches))
}

// GateLine is the gate's verdict now, as one line.
func (p *RollingPlan) GateLine() string {
	if p.GateNow.OK {
		return "safety gate now: open for batch 1"
	}
	return "safety gate now: closed for batch 1: " + strings.Join(p.GateNow.Reasons, "; ")
}

func (r *Rolling) hosts() Hosts {
	if r.Deps.Hosts != nil {
		return r.Deps.Hosts
	}
	return &host.Control{SSH: r.Deps.SSH}
}

func (r *Rolling) admin() Kafka {
	if r.Deps.Admin != nil {
		return r.Deps.Admin
	}
	return &kafka.ClusterAdmin{Name: r.Cluster.Name, Client: r.Deps.Client, ZooKeeper: r.Cluster.Metadata.Mode() == inventory.MetadataZooKeeper}
}

func (r *Rolling) engine() *Engine {
	o := r.Settings.options(r.OpID, r.Cluster, r.Brokers, r.Skip)
	o.Closing = r.Closing
	o.Between, o.BetweenStep, o.Verify = r.Between, r.BetweenStep, r.Verify
	var emit func(Event)
	if r.Deps.Emit != nil {
		emit = func(e Event) { r.Deps.Emit(e) }
	}
	return &Engine{Kafka: r.admin(), Hosts: r.hosts(), Ensemble: host.EnsembleReader(r.Cluster, r.Deps.SSH),
		Emit: emit, Opts: o, now: r.Deps.Now}
}

// Plan shows what would run now; nothing is touched.
func (r *Rolling) Plan(ctx context.Context) (*RollingPlan, error) {
	batches, snap, err := r.engine().Plan(ctx)
	if err != nil {
		return nil, err
	}
	p := &RollingPlan{Kind: r.Kind, OpID: r.OpID, Cluster: r.Cluster.Name, Batches: batches, Closing: r.Closing, Snapshot: snap,
		Settings: r.Settings, Journaled: r.Journaled}
	if len(batches) > 0 {
		p.GateNow = cluster.CheckGate(snap, batches[0].Brokers, r.Deps.Clock(), r.Settings.Gate())
	}
	return p, nil
}

// Guard is the lease, ACL preflight and journal the run holds.
func (r *Rolling) Guard() operation.Guard {
	return operation.Guard{
		Cluster: r.Cluster, Deps: r.Deps, OpID: r.OpID, Kind: r.Kind, Purpose: r.Purpose,
		// Every batch ends with a preferred leader election: a principal that may not elect
		// must be refused now, not after the first broker has restarted.
		Needs: []kafka.Op{kafka.OpElectLeaders},
		// A broker another operation left down goes back up (by resuming that one) first.
		Preflight: r.CheckStranded,
		LeaseTTL:  r.Settings.LeaseTTL, LeaseWait: r.Settings.LeaseWait,
		Brokers: inventory.BrokerIDs(r.Brokers), Settings: r.Journaled, Resuming: r.Resuming,
	}
}

// Execute takes the cluster lease, journals the operation and runs it. The lease is released
// however the run ends. Every broker host it would roll must answer over SSH first: a host that
// cannot be reached refuses the run with nothing changed, instead of halting it after the
// brokers before it were restarted.
func (r *Rolling) Execute(ctx context.Context, soft <-chan struct{}) error {
	g := r.Guard()
	stranded := g.Preflight
	g.Preflight = func(ctx context.Context) error {
		if err := r.checkHosts(ctx); err != nil || stranded == nil {
			return err
		}
		return stranded(ctx)
	}
	return g.Run(ctx, func(ctx context.Context, s *operation.Session) error {
		return r.Run(ctx, s, soft)
	})
}

// Run is the body of a guarded run: Before, the batches, After.
func (r *Rolling) Run(ctx context.Context, s *operation.Session, soft <-chan struct{}) error {
	e := r.engine()
	if r.Before != nil {
		if err := r.Before(ctx, s); err != nil {
			// No broker was touched; the journal says the operation ended here.
			e.Journal = s.Journal
			e.emit(Event{Kind: EventHalted, Message: err.Error()})
			return err
		}
	}
	e.Journal = s.Journal
	if s.Lease != nil {
		e.Lease = s.Lease
	}
	if err := e.Run(ctx, soft); err != nil {
		return err
	}
	if r.After != nil {
		return r.After(ctx, s)
	}
	return nil
}

// ResumeFrom makes the run continue the journaled operation e: its id, its journal, and a skip
// of the brokers already done (those whose batch finished, and those of the cut-short batch that
// already run a new process).
func (r *Rolling) ResumeFrom(ctx context.Context, e *journal.Entry) error {
	r.OpID, r.Resuming = e.Op.ID, true
	r.Purpose = "resume " + e.Op.ID + ": " + e.Op.Kind + " brokers " + inventory.JoinIDs(inventory.BrokerIDs(r.Brokers))
	skip, closing, err := ResumeSkips(ctx, e, r.hosts(), r.Brokers)
	if err != nil {
		return err
	}
	r.Skip, r.Closing = skip, closing
	return nil
}

// Preflight checks, changing nothing, whether the run could start now: the guard's ACLs and
// lease, SSH to the host of every broker it would roll (the process probe), and the safety gate
// for plan's first batch. Every problem is listed; the most decisive kind comes first.
func (r *Rolling) Preflight(ctx context.Context, p *RollingPlan) error {
	errs := []error{r.Guard().Check(ctx), r.checkHosts(ctx)}
	if p != nil && len(p.Batches) > 0 && !p.GateNow.OK {
		errs = append(errs, &GateRefusedError{Cluster: r.Cluster.Name, Brokers: p.Batches[0].Brokers,
			Reasons: p.GateNow.Reasons, Never: true})
	}
	return fault.Join(errs...)
}

// checkHosts asks the host of every broker the run would roll about its Kafka process (over
// SSH), and lists every host that cannot answer.
func (r *Rolling) checkHosts(ctx context.Context) error {
	var errs []error
	for _, b := range r.Brokers {
		if r.Skip[b.ID] {
			continue
		}
		if _, err := r.hosts().Process(ctx, b); err != nil {
			errs = append(errs, err) // it names the broker and its host
			continue
		}
		if sc, ok := r.hosts().(serviceChecker); ok {
			if err := sc.CheckService(ctx, b); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return fault.Join(errs...)
}

// serviceChecker is a Hosts that can also confirm a broker's service commands exist on its host
// (host.Control can; the tests' fakes need not).
type serviceChecker interface {
	CheckService(ctx context.Context, b *inventory.Broker) error
}

// Operation is a Rolling as an operation.Operation (restart and patch run are this, with their
// own settings): the plan it last showed is the one its dry-run Preflight judges.
type Operation struct {
	Rolling
	plan *RollingPlan
}

// OpID is the operation's id.
func (o *Operation) OpID() string { return o.Rolling.OpID }

// Plan forms the batches the engine would run now; nothing is touched.
func (o *Operation) Plan(ctx context.Context) (operation.Plan, error) {
	p, err := o.Rolling.Plan(ctx)
	if err != nil {
		return nil, err
	}
	o.plan = p
	return p, nil
}

// Preflight says, changing nothing, whether the run could start now.
func (o *Operation) Preflight(ctx context.Context) error { return o.Rolling.Preflight(ctx, o.plan) }
