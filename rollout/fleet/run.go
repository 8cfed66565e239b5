package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/journal"
	"github.com/kfleet/kfleet/ops/lease"
	"github.com/kfleet/kfleet/rollout/operation"
)

// Run is one fleet operation: the operation Spec.Kind on every cluster of Spec.Waves, wave by
// wave, each cluster's operation exactly as on one cluster (its own lease, gate, batches and
// journal, with this run as its parent).
type Run struct {
	ID   string
	Spec Spec
	// Clusters are the inventory's clusters by name; every cluster of the waves must be here.
	Clusters map[string]*inventory.Cluster
	// Deps builds what a cluster's operation needs (its Kafka client, its event printer); the
	// run adds itself as the parent.
	Deps func(c *inventory.Cluster) (operation.Deps, error)
	// Healthy reads a cluster during the bake: nil when it is healthy. Nil: no bake check.
	Healthy func(ctx context.Context, c *inventory.Cluster) error
	// StateDir holds the fleet's journal and its clusters'; Inventory is recorded for resume.
	StateDir  string
	Inventory string
	// Emit receives the run's own events (nil: not shown).
	Emit func(Event)
	// Clock is time.Now and time.After unless a test says otherwise.
	Clock Clock
	// PlanParallel bounds how many clusters are planned at once (default 16).
	PlanParallel int

	resuming bool
	prior    map[string]ClusterResult // resume: what the journal says of each cluster
	ops      map[string]operation.Operation

	mu       sync.Mutex
	results  map[string]*ClusterResult
	running  map[string]bool
	journal  *journal.Journal
	halt     chan struct{} // closed when the failure budget is spent
	haltOnce sync.Once
}

// Clock is the run's time source.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

func (r *Run) clock() Clock {
	if r.Clock == nil {
		return realClock{}
	}
	return r.Clock
}

// New starts a fleet operation of a new id.
func New(spec Spec, clusters map[string]*inventory.Cluster, now time.Time) (*Run, error) {
	for _, name := range spec.clusters() {
		if clusters[name] == nil {
			return nil, fault.Usagef("fleet plan: cluster %s is not in the inventory", name)
		}
	}
	return &Run{ID: journal.NewID(now), Spec: spec, Clusters: clusters}, nil
}

// Execute runs the waves: a wave's clusters at once, each inside its maintenance window unless
// the policy ignores them; then the bake; the next wave only when the failure budget allows.
// soft closing (the first Ctrl-C) starts no new cluster and asks every running one to finish
// its batch; cancelling ctx aborts them. It returns the run's error (Err); Results has every
// cluster's. A deploy stages every cluster's hosts before wave 1. Plan must have been called.
func (r *Run) Execute(ctx context.Context, soft <-chan struct{}) error {
	if r.ops == nil {
		return errors.New("fleet run: Execute before Plan")
	}
	if err := r.stageAll(ctx); err != nil {
		return err
	}
	if err := r.openJournal(); err != nil {
		return err
	}
	defer r.journal.Close()
	r.halt = make(chan struct{})
	r.results = map[string]*ClusterResult{}
	r.running = map[string]bool{}
	for wi, w := range r.Spec.Waves {
		for _, name := range w.Clusters {
			r.results[name] = &ClusterResult{Cluster: name, Wave: wi + 1, Outcome: OutcomeNotStarted}
		}
	}
	r.event(Event{Kind: EventPlan, Waves: len(r.Spec.Waves), Message: r.summaryLine()})

	interrupted := false
	for wi, w := range r.Spec.Waves {
		if why := r.stopping(ctx, soft); why != "" {
			interrupted = interrupted || why == OutcomeInterrupted
			break
		}
		r.runWave(ctx, soft, wi, w)
		if r.budgetSpent() || operation.Closed(soft) || ctx.Err() != nil {
			continue
		}
		if r.Spec.Policy.Bake > 0 && wi < len(r.Spec.Waves)-1 {
			r.bake(ctx, soft, wi, w) // between waves: the last has no next wave to hold back
		}
	}
	interrupted = interrupted || operation.Closed(soft) || ctx.Err() != nil
	results := r.snapshot()
	err := Err(r.ID, results, interrupted)
	end := Event{Kind: EventFinished, Results: results, Message: fmt.Sprintf("fleet operation %s done: %d cluster(s)", r.ID, len(results))}
	switch kind, _ := fault.KindOf(err); {
	case err == nil:
	case kind == fault.Interrupted:
		end.Kind, end.Message = EventInterrupted, err.Error()
	default:
		end.Kind, end.Message = EventHalted, err.Error()
	}
	r.event(end)
	return err
}

// Results are every cluster's result once Execute returned, in plan order.
func (r *Run) Results() []ClusterResult { return r.snapshot() }

// OpID is the fleet operation's id.
func (r *Run) OpID() string { return r.ID }

// stopping says why no new cluster may start: the operator's interrupt, or the failure budget.
func (r *Run) stopping(ctx context.Context, soft <-chan struct{}) string {
	switch {
	case ctx.Err() != nil || operation.Closed(soft):
		return OutcomeInterrupted
	case r.budgetSpent():
		return OutcomeStopped
	}
	return ""
}

// runWave runs a wave's clusters at once and waits for all of them.
func (r *Run) runWave(ctx context.Context, soft <-chan struct{}, wi int, w Wave) {
	r.event(Event{Kind: EventWaveStart, Wave: wi + 1, Waves: len(r.Spec.Waves),
		Message: fmt.Sprintf("wave %d/%d%s: %s", wi+1, len(r.Spec.Waves), w.Label(), joinNames(w.Clusters))})
	var wg sync.WaitGroup
	for _, name := range w.Clusters {
		wg.Go(func() { r.runCluster(ctx, soft, wi, name) })
	}
	wg.Wait()
	c := r.counts(w)
	r.event(Event{Kind: EventWaveDone, Wave: wi + 1, Waves: len(r.Spec.Waves), Counts: &c,
		Message: fmt.Sprintf("wave %d/%d over: %s", wi+1, len(r.Spec.Waves), c)})
}

// fail records a failed cluster; past the budget, every running cluster is asked to stop after
// its batch and no new one starts.
func (r *Run) fail() {
	if r.failed() > r.Spec.Policy.MaxFailed {
		r.haltOnce.Do(func() { close(r.halt) })
	}
}

func (r *Run) failed() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, res := range r.results {
		if res.Outcome == OutcomeFailed {
			n++
		}
	}
	return n
}

func (r *Run) budgetSpent() bool { return operation.Closed(r.halt) }

// counts are a wave's clusters by state.
func (r *Run) counts(w Wave) Counts {
	r.mu.Lock()
	defer r.mu.Unlock()
	var c Counts
	for _, name := range w.Clusters {
		switch res := r.results[name]; {
		case r.running[name]:
			c.Running++
		case res.Outcome == OutcomeDone:
			c.Done++
		case res.Outcome == OutcomeFailed:
			c.Failed++
		case res.Outcome == OutcomeNotStarted:
			c.Waiting++
		default:
			c.Other++
		}
	}
	return c
}

func (c Counts) String() string {
	s := fmt.Sprintf("%d done, %d running, %d failed, %d waiting", c.Done, c.Running, c.Failed, c.Waiting)
	if c.Other > 0 {
		s += fmt.Sprintf(", %d not done", c.Other)
	}
	return s
}

// snapshot copies the results in plan order.
func (r *Run) snapshot() []ClusterResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []ClusterResult
	for _, name := range r.Spec.clusters() {
		out = append(out, *r.results[name])
	}
	return out
}

// event stamps, journals and emits a fleet event.
func (r *Run) event(e Event) {
	e.Time = r.clock().Now().UTC()
	e.Op, e.FleetOp = r.ID, r.ID
	if r.journal != nil {
		_ = r.journal.Append(e) // the journal is local and fsynced; a full disk shows in the clusters' own
	}
	if r.Emit != nil {
		r.Emit(e)
	}
}

// openJournal creates the fleet's journal, or reopens it on resume.
func (r *Run) openJournal() error {
	var err error
	if r.resuming {
		r.journal, err = journal.Reopen(r.StateDir, r.ID)
		return err
	}
	args, err := json.Marshal(r.Spec)
	if err != nil {
		return err
	}
	r.journal, err = journal.Create(r.StateDir, journal.Record{ID: r.ID, Kind: Kind, Clusters: r.Spec.clusters(),
		Inventory: r.Inventory, Created: r.clock().Now().UTC(), Holder: lease.HolderString(), Args: args})
	return err
}

func (r *Run) summaryLine() string { return r.Spec.Summary() }
