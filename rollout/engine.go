package rollout

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/cluster"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/host"
	"github.com/kfleet/kfleet/ops/journal"
	"github.com/kfleet/kfleet/rollout/operation"
)

// Kafka is what the engine needs from the cluster.
type Kafka interface {
	Snapshot(ctx context.Context) (*cluster.Snapshot, error)
	// ElectPreferred moves leadership back to the preferred replica of these partitions.
	ElectPreferred(ctx context.Context, partitions map[string][]int32) error
}

// Hosts is what the engine needs from the brokers' hosts.
type Hosts interface {
	Service(ctx context.Context, b *inventory.Broker, action host.ServiceAction) error
	Process(ctx context.Context, b *inventory.Broker) (cluster.BrokerProcess, error)
}

// LeaseSession is the held cluster lease: the engine stops when it is lost and reports its
// progress to the cluster's event log through it.
type LeaseSession interface {
	Lost() <-chan struct{}
	Event(ctx context.Context, kind, message string, fields map[string]string) error
}

// StepVerify is the check Options.Verify makes on started brokers.
const StepVerify = "verify"

// Options is one rolling operation.
type Options struct {
	OpID    string
	Cluster *inventory.Cluster
	// Brokers to roll, in inventory order.
	Brokers     []*inventory.Broker
	MaxParallel int
	Gate        cluster.GateOptions

	GateTimeout    time.Duration // waiting for the safety gate before a batch
	StopTimeout    time.Duration // stop command until process gone and broker fenced
	StartTimeout   time.Duration // start command until a new process is registered, unfenced
	HealthyTimeout time.Duration // until URP is zero for HealthyPolls polls
	Poll           time.Duration
	HealthyPolls   int

	Hooks Hooks
	// Between runs on each stopped broker's host before it is started (deploy switches the
	// release here). Nil for a plain restart.
	Between func(ctx context.Context, b *inventory.Broker) error
	// BetweenStep names Between's step in events and the journal ("" is StepBetween).
	BetweenStep string
	// Verify runs on each started broker once it is registered, before the cluster is waited
	// on (deploy confirms the process runs the new release here). Nil: nothing checked.
	Verify func(ctx context.Context, b *inventory.Broker) error
	// Skip holds brokers already done (resume); Closing, those of them a killed run restarted
	// without confirming the cluster healthy after (the run waits for it before their leaders).
	Skip    map[int32]bool
	Closing []int32
}

// Defaults fills unset timeouts with the documented defaults.
func (o *Options) Defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.GateTimeout, 10*time.Minute)
	def(&o.StopTimeout, 5*time.Minute)
	def(&o.StartTimeout, 10*time.Minute)
	def(&o.HealthyTimeout, 30*time.Minute)
	def(&o.Poll, 250*time.Millisecond)
	if o.HealthyPolls <= 0 {
		o.HealthyPolls = 3
	}
	if o.MaxParallel <= 0 {
		o.MaxParallel = 1
	}
}

// Engine runs a rolling operation batch by batch: gate, hooks, stop, start, wait healthy,
// preferred leaders, hooks. It halts at the first failure and never starts a new batch after
// one.
type Engine struct {
	Kafka Kafka
	Hosts Hosts
	// Ensemble reads a ZooKeeper-mode cluster's ensemble for the safety gate (GateSnapshot);
	// nil in KRaft mode.
	Ensemble func(ctx context.Context) *cluster.ZooKeeperHealth
	Journal  *journal.Journal // nil: nothing recorded (dry run)
	Lease    LeaseSession     // nil: no lease (tests)
	Emit     func(Event)      // progress sink; may be nil
	Opts     Options
	now      func() time.Time
	batches  int
	// leaseEvents feeds the cluster's event log from a goroutine, off the rollout's critical path
	// (a produce can stall for a second while the log's leader moves).
	leaseEvents chan leaseNote
	leaseDone   chan struct{}
	progress    Progress // guarded by mu

	mu       sync.Mutex // guards where, for the interrupt report
	where    string     // the step under way, e.g. "wait-healthy"
	waitsFor string     // what the latest wait said it waits for
}

// GateRefusedError says the safety gate did not open: nothing in the refused batch was touched.
type GateRefusedError struct {
	Cluster string
	Brokers []int32
	Reasons []string
	Waited  time.Duration
	Never   bool // refused at once: waiting cannot help (e.g. RF <= min ISR)
}

func (e *GateRefusedError) Error() string {
	what := fmt.Sprintf("cluster %s: not safe to stop broker(s) %s", e.Cluster, inventory.JoinIDs(e.Brokers))
	if !e.Never {
		what += fmt.Sprintf(" (waited %s)", e.Waited.Round(time.Second))
	}
	return what + ": " + strings.Join(e.Reasons, "; ")
}

// FaultKind says what kind of failure this is (refused for now: retry later).
func (e *GateRefusedError) FaultKind() fault.Kind { return fault.RefusedForNow }

// HaltError says a step failed: the rollout stopped there, no further broker was touched.
type HaltError struct {
	OpID    string
	Batch   int
	Brokers []int32
	Step    string
	Err     error
	// Stopped lists brokers that could not be brought back and are still down.
	Stopped []int32
}

func (e *HaltError) Error() string {
	where := fmt.Sprintf("batch %d", e.Batch)
	if e.Batch == 0 {
		where = "after the batches"
	}
	msg := fmt.Sprintf("%s (broker %s): %s failed: %v", where, inventory.JoinIDs(e.Brokers), e.Step, e.Err)
	if len(e.Stopped) > 0 {
		msg += fmt.Sprintf("; broker(s) %s left STOPPED", inventory.JoinIDs(e.Stopped))
	}
	return msg + "; rollout halted, no further broker touched"
}

// NextStep says to fix the cause, then resume.
func (e *HaltError) NextStep() (string, fault.Next) { return e.OpID, fault.FixThenResume }

// FaultKind says what kind of failure this is (halted: the journal says where).
func (e *HaltError) FaultKind() fault.Kind { return fault.Halted }

func (e *HaltError) Unwrap() error { return e.Err }

// InterruptedError says the operator stopped the rollout: the current batch was brought back.
type InterruptedError struct {
	OpID string
	Done []int32
	Left []int32
}

func (e *InterruptedError) Error() string {
	return fmt.Sprintf("interrupted after brokers %s; no broker is stopped; %s left",
		inventory.JoinIDs(e.Done), inventory.JoinIDs(e.Left))
}

// NextStep says resume continues.
func (e *InterruptedError) NextStep() (string, fault.Next) { return e.OpID, fault.Resume }

// FaultKind says what kind of failure this is (interrupted: the journal says where).
func (e *InterruptedError) FaultKind() fault.Kind { return fault.Interrupted }

// AbortedError says a second interrupt cut a batch short: it says what state it left.
type AbortedError struct {
	OpID  string
	Batch []int32
	Step  string
}

func (e *AbortedError) Error() string {
	return fmt.Sprintf("aborted during %s of broker(s) %s: they may be stopped", e.Step, inventory.JoinIDs(e.Batch))
}

// NextStep says to check the cluster, then resume.
func (e *AbortedError) NextStep() (string, fault.Next) { return e.OpID, fault.CheckThenResume }

// FaultKind says what kind of failure this is (interrupted: the journal says where).
func (e *AbortedError) FaultKind() fault.Kind { return fault.Interrupted }

// Plan returns the batches the engine would run now, for --dry-run and the confirmation.
func (e *Engine) Plan(ctx context.Context) ([]Batch, *cluster.Snapshot, error) {
	e.Opts.Defaults()
	snap, err := GateSnapshot(ctx, e.Kafka, e.Ensemble)
	if err != nil {
		return nil, nil, err
	}
	plan, err := PlanBatches(PlanInput{Snapshot: snap, Brokers: e.pending(nil), MaxParallel: e.Opts.MaxParallel,
		Gate: e.Opts.Gate, Now: time.Now()})
	return plan, snap, err
}

func (e *Engine) pending(done map[int32]bool) []int32 {
	var ids []int32
	for _, b := range e.Opts.Brokers {
		if !e.Opts.Skip[b.ID] && !done[b.ID] {
			ids = append(ids, b.ID)
		}
	}
	return ids
}

// Run rolls every pending broker. soft is closed on the first Ctrl-C: the batch under way is
// brought back, then Run returns *InterruptedError. Cancelling ctx aborts at once.
func (e *Engine) Run(ctx context.Context, soft <-chan struct{}) error {
	e.Opts.Defaults()
	if e.now == nil {
		e.now = time.Now
	}
	e.progress.Started = e.now()
	if e.Lease != nil {
		e.leaseEvents, e.leaseDone = make(chan leaseNote, 256), make(chan struct{})
		go e.feedLease()
		defer e.drainLease(ctx)
	}
	plan, _, err := e.Plan(ctx)
	if err != nil {
		return err
	}
	e.batches = len(plan)
	e.emit(Event{Kind: EventPlan, Plan: plan, Brokers: e.pending(nil),
		Message: fmt.Sprintf("%d broker(s) in %d batch(es)", len(e.pending(nil)), len(plan))})

	done := map[int32]bool{}
	var doneIDs []int32
	for n := 1; ; n++ {
		left := e.pending(done)
		if len(left) == 0 {
			break
		}
		if operation.Closed(soft) {
			return e.interrupted(doneIDs, left)
		}
		if e.Lease != nil && operation.Closed(e.Lease.Lost()) {
			return e.halt(&HaltError{OpID: e.Opts.OpID, Batch: n, Brokers: left, Step: StepGate,
				Err: errors.New("the cluster lease was lost (expired or released by force)")})
		}
		batch, snap, gateWait, err := e.nextBatch(ctx, soft, n, left)
		if err != nil {
			var gr *GateRefusedError
			switch {
			case errors.Is(err, errSoftStop):
				return e.interrupted(doneIDs, left)
			case ctx.Err() != nil:
				return e.aborted(nil, StepGate)
			case errors.As(err, &gr):
				e.emit(Event{Kind: EventRefused, Batch: n, Brokers: gr.Brokers, Step: StepGate, Status: StatusFailed,
					Message: gr.Error()})
				return err
			}
			return e.halt(&HaltError{OpID: e.Opts.OpID, Batch: n, Brokers: left, Step: StepGate, Err: err})
		}
		if n > e.batches {
			e.batches = n
		}
		if err := e.runBatch(ctx, soft, n, batch, snap, gateWait); err != nil {
			return err
		}
		for _, id := range batch.Brokers {
			done[id] = true
		}
		doneIDs = append(doneIDs, batch.Brokers...)
	}
	if err := e.restoreSkippedLeaders(ctx); err != nil {
		return err
	}
	e.emit(Event{Kind: EventFinished, Brokers: doneIDs,
		Message: fmt.Sprintf("rolled %d broker(s) of %s", len(doneIDs), e.Opts.Cluster.Name)})
	return nil
}

// restoreSkippedLeaders gives the brokers a resumed run skipped their preferred leadership back:
// a run aborted after it restarted a broker never elected its leaders, and no batch of this run
// touched that broker.
func (e *Engine) restoreSkippedLeaders(ctx context.Context) error {
	var skipped []int32
	for _, b := range e.Opts.Brokers {
		if e.Opts.Skip[b.ID] {
			skipped = append(skipped, b.ID)
		}
	}
	if len(skipped) == 0 {
		return nil
	}
	if len(e.Opts.Closing) > 0 {
		ids := e.Opts.Closing
		if err := e.step(ctx, 0, ids, StepHealthy, func() error {
			_, err := e.waiter().Healthy(ctx, ids, e.Opts.HealthyPolls, e.Opts.HealthyTimeout, nil)
			return err
		}); err != nil {
			if ctx.Err() != nil {
				return e.aborted(ids, StepHealthy)
			}
			return e.halt(&HaltError{OpID: e.Opts.OpID, Brokers: ids, Step: StepHealthy, Err: err})
		}
	}
	snap, err := e.Kafka.Snapshot(ctx)
	if err != nil {
		return e.halt(&HaltError{OpID: e.Opts.OpID, Brokers: skipped, Step: StepElect, Err: err})
	}
	parts := snap.PreferredElsewhere(skipped)
	if len(parts) == 0 {
		return nil
	}
	if err := e.step(ctx, 0, skipped, StepElect, func() error {
		return e.Kafka.ElectPreferred(ctx, parts)
	}); err != nil {
		return e.halt(&HaltError{OpID: e.Opts.OpID, Brokers: skipped, Step: StepElect, Err: err})
	}
	return nil
}

var errSoftStop = errors.New("interrupted before the batch started")

// waitSay is how often a wait repeats itself when its reason has not changed; downGrace is how
// long the gate waits for a broker this run does not restart to come back by itself.
const (
	waitSay   = 10 * time.Second
	downGrace = 30 * time.Second
)

// waitKey is what makes a wait's reason new: its words, not its counts ("3 under-replicated"
// and "2 under-replicated" are the same reason) nor an error's details ("cluster unreadable:
// <error>" is one reason whatever the error says this time).
func waitKey(why string) string {
	if head, _, ok := strings.Cut(why, "unreadable: "); ok {
		why = head + "unreadable"
	}
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return -1
		}
		return r
	}, why)
}

// downOutside lists the fenced brokers of the cluster that are not among left.
func downOutside(s *cluster.Snapshot, left []int32) []int32 {
	var out []int32
	for _, b := range s.Brokers {
		if b.Fenced && !slices.Contains(left, b.ID) {
			out = append(out, b.ID)
		}
	}
	return out
}

// How long the end of a run waits for the cluster's event log: normally, and after an abort.
const (
	drainWait = 10 * time.Second
	abortWait = 500 * time.Millisecond
)

// nextBatch waits (bounded) until the first batch of a fresh plan may go down, re-planning on
// every poll so the active controller stays last even when it moves.
func (e *Engine) nextBatch(ctx context.Context, soft <-chan struct{}, n int, left []int32) (Batch, *cluster.Snapshot, time.Duration, error) {
	start := e.now()
	deadline := start.Add(e.Opts.GateTimeout)
	var lastReasons string
	var lastSaid, downSince time.Time
	for {
		snap, err := GateSnapshot(ctx, e.Kafka, e.Ensemble)
		if err == nil {
			plan, perr := PlanBatches(PlanInput{Snapshot: snap, Brokers: left, MaxParallel: e.Opts.MaxParallel,
				Gate: e.Opts.Gate, Now: e.now()})
			if perr != nil {
				return Batch{}, nil, 0, perr
			}
			b := plan[0]
			res := cluster.CheckGate(snap, b.Brokers, e.now(), e.Opts.Gate)
			if res.OK {
				e.emit(Event{Kind: EventStep, Batch: n, Brokers: b.Brokers, Step: StepGate, Status: StatusOK,
					Message: b.Why})
				return b, snap, e.now().Sub(start), nil
			}
			if len(res.NeverWritable) > 0 && !e.Opts.Gate.AllowUnavailable {
				return Batch{}, nil, 0, &GateRefusedError{Cluster: e.Opts.Cluster.Name, Brokers: b.Brokers,
					Reasons: res.Reasons, Never: true}
			}
			if out := downOutside(snap, left); len(out) == 0 {
				downSince = time.Time{}
			} else if downSince.IsZero() {
				downSince = e.now()
			} else if e.now().Sub(downSince) >= downGrace {
				// A broker this run does not restart is down, and stays down: waiting out the gate
				// timeout would only keep the cluster degraded longer.
				return Batch{}, nil, 0, &GateRefusedError{Cluster: e.Opts.Cluster.Name, Brokers: b.Brokers,
					Reasons: append(res.Reasons, fmt.Sprintf("broker(s) %s down (fenced) for %s, and this run does not restart them: start them, or `kfleet resume` the operation `kfleet status -c %s` says stopped them",
						inventory.JoinIDs(out), downGrace, e.Opts.Cluster.Name)), Waited: e.now().Sub(start)}
			}
			reasons := strings.Join(res.Reasons, "; ")
			if waitKey(reasons) != lastReasons || e.now().Sub(lastSaid) >= waitSay {
				urp := snap.Counts.UnderReplicated
				e.emit(Event{Kind: EventWaiting, Batch: n, Brokers: b.Brokers, Step: StepGate, URP: &urp,
					Message: fmt.Sprintf("waiting for the safety gate (up to %s): %s", e.Opts.GateTimeout, reasons)})
				lastReasons, lastSaid = waitKey(reasons), e.now()
			}
			if e.now().After(deadline) {
				return Batch{}, nil, 0, &GateRefusedError{Cluster: e.Opts.Cluster.Name, Brokers: b.Brokers,
					Reasons: res.Reasons, Waited: e.now().Sub(start)}
			}
		} else if e.now().After(deadline) {
			return Batch{}, nil, 0, fmt.Errorf("reading the cluster: %w", err)
		}
		var lost <-chan struct{}
		if e.Lease != nil {
			lost = e.Lease.Lost()
		}
		select {
		case <-ctx.Done():
			return Batch{}, nil, 0, ctx.Err()
		case <-soft:
			return Batch{}, nil, 0, errSoftStop
		case <-lost:
			return Batch{}, nil, 0, errors.New("the cluster lease was lost (not renewed in time, or released by force) while waiting for the gate")
		case <-time.After(e.Opts.Poll):
		}
	}
}

// runBatch takes one batch down and brings it back healthy.
func (e *Engine) runBatch(ctx context.Context, soft <-chan struct{}, n int, batch Batch, snap *cluster.Snapshot, gateWait time.Duration) error {
	began := e.now()
	brokers := e.brokersOf(batch.Brokers)
	ids := batch.Brokers
	e.emit(Event{Kind: EventBatchStart, Batch: n, Brokers: ids, Message: batch.Why})
	batchDone := make(chan struct{})
	defer close(batchDone)
	go e.reportInterrupt(soft, batchDone, n, ids)
	led := ledBy(snap, ids)

	fail := func(step string, err error, stopped bool) error {
		if ctx.Err() != nil {
			return e.aborted(ids, step)
		}
		h := &HaltError{OpID: e.Opts.OpID, Batch: n, Brokers: ids, Step: step, Err: err}
		if stopped {
			h.Stopped = e.bringBack(ctx, brokers)
		}
		return e.halt(h)
	}

	before, err := e.processes(ctx, brokers)
	if ie := (*host.IdentityError)(nil); errors.As(err, &ie) {
		// The inventory is wrong about a host: nothing was touched, and resuming cannot help.
		e.emit(Event{Kind: EventHalted, Batch: n, Brokers: ids, Step: StepPreStop, Status: StatusFailed, Message: err.Error()})
		return err
	}
	if err != nil {
		return fail(StepPreStop, err, false)
	}
	if err := e.step(ctx, n, ids, StepPreStop, func() error {
		return e.Opts.Hooks.run(ctx, PhasePreStop, e.Opts, brokers)
	}); err != nil {
		return fail(StepPreStop, err, false)
	}

	stopAt := e.now()
	e.emit(Event{Kind: EventStep, Batch: n, Brokers: ids, Step: StepStop, Status: StatusStarted, Before: before,
		Message: "stopping broker(s) " + inventory.JoinIDs(ids)})
	e.flushIntent(ctx)
	if err := e.parallel(ctx, brokers, func(b *inventory.Broker) error {
		return e.Hosts.Service(ctx, b, host.ServiceStop)
	}); err != nil {
		e.emit(Event{Kind: EventStep, Batch: n, Brokers: ids, Step: StepStop, Status: StatusFailed, Message: err.Error()})
		return fail(StepStop, err, true)
	}
	if err := e.step(ctx, n, ids, StepConfirmStopped, func() error {
		return e.waiter().Stopped(ctx, brokers, e.Opts.StopTimeout)
	}); err != nil {
		return fail(StepConfirmStopped, err, true)
	}
	stopDur := e.now().Sub(stopAt)

	if err := e.step(ctx, n, ids, StepPostStop, func() error {
		return e.Opts.Hooks.run(ctx, PhasePostStop, e.Opts, brokers)
	}); err != nil {
		return fail(StepPostStop, err, true)
	}
	if e.Opts.Between != nil {
		step := cmp.Or(e.Opts.BetweenStep, StepBetween)
		if err := e.step(ctx, n, ids, step, func() error {
			return e.parallel(ctx, brokers, func(b *inventory.Broker) error { return e.Opts.Between(ctx, b) })
		}); err != nil {
			return fail(step, err, true)
		}
	}

	startAt := e.now()
	if err := e.step(ctx, n, ids, StepStart, func() error {
		return e.parallel(ctx, brokers, func(b *inventory.Broker) error {
			return e.Hosts.Service(ctx, b, host.ServiceStart)
		})
	}); err != nil {
		return fail(StepStart, err, true)
	}
	if err := e.step(ctx, n, ids, StepConfirmStarted, func() error {
		return e.waiter().Started(ctx, brokers, before, e.Opts.StartTimeout)
	}); err != nil {
		return fail(StepConfirmStarted, err, false)
	}
	registered := e.now()
	if e.Opts.Verify != nil {
		if err := e.step(ctx, n, ids, StepVerify, func() error {
			return e.parallel(ctx, brokers, func(b *inventory.Broker) error { return e.Opts.Verify(ctx, b) })
		}); err != nil {
			return fail(StepVerify, err, false)
		}
	}

	var firstHealthy time.Time
	if err := e.step(ctx, n, ids, StepHealthy, func() error {
		var err error
		var said time.Time
		var saidWhy string
		firstHealthy, err = e.waiter().Healthy(ctx, ids, e.Opts.HealthyPolls, e.Opts.HealthyTimeout, func(why string, urp int) {
			key := waitKey(why)
			if key != saidWhy || e.now().Sub(said) >= waitSay {
				ev := Event{Kind: EventWaiting, Batch: n, Brokers: ids, Step: StepHealthy,
					Message: "waiting for the cluster to be healthy: " + why}
				if urp >= 0 {
					ev.URP = &urp
				}
				e.emit(ev)
				said, saidWhy = e.now(), key
			}
		})
		return err
	}); err != nil {
		return fail(StepHealthy, err, false)
	}
	healthyDone := e.now()

	if len(led) > 0 {
		if err := e.step(ctx, n, ids, StepElect, func() error {
			return e.Kafka.ElectPreferred(ctx, led)
		}); err != nil {
			return fail(StepElect, err, false)
		}
	}
	if err := e.step(ctx, n, ids, StepPostStart, func() error {
		return e.Opts.Hooks.run(ctx, PhasePostStart, e.Opts, brokers)
	}); err != nil {
		return fail(StepPostStart, err, false)
	}

	t := &BatchTimings{
		Gate:      gateWait.Seconds(),
		Stop:      stopDur.Seconds(),
		Start:     registered.Sub(startAt).Seconds(),
		CatchUp:   firstHealthy.Sub(registered).Seconds(),
		Confirm:   healthyDone.Sub(firstHealthy).Seconds(),
		Total:     e.now().Sub(began).Seconds(),
		HealthyAt: firstHealthy,
	}
	e.emit(Event{Kind: EventBatchDone, Batch: n, Brokers: ids, Timings: t,
		Message: fmt.Sprintf("broker(s) %s restarted and the cluster is healthy (%.1fs)", inventory.JoinIDs(ids), t.Total)})
	return nil
}

// reportInterrupt tells the operator, when the first interrupt arrives during a batch, why the
// batch still runs and what it waits for: with every broker dead it cannot finish, and only the
// second interrupt ends kfleet.
func (e *Engine) reportInterrupt(soft <-chan struct{}, batchDone <-chan struct{}, n int, ids []int32) {
	if soft == nil {
		return
	}
	select {
	case <-batchDone:
		return
	case <-soft:
	}
	e.mu.Lock()
	where, waits := e.where, e.waitsFor
	e.mu.Unlock()
	msg := fmt.Sprintf("interrupted: batch %d (broker(s) %s) is at step %s and is brought back before kfleet stops", n, inventory.JoinIDs(ids), where)
	if waits != "" {
		msg += "; it waits for: " + waits
	}
	msg += fmt.Sprintf("; if it cannot finish, interrupt again to abort now, then `kfleet resume %s`", e.Opts.OpID)
	e.emit(Event{Kind: EventWaiting, Batch: n, Brokers: ids, Step: where, Message: msg})
}

// step emits started/ok/failed around fn.
func (e *Engine) step(ctx context.Context, n int, ids []int32, name string, fn func() error) error {
	e.emit(Event{Kind: EventStep, Batch: n, Brokers: ids, Step: name, Status: StatusStarted})
	if err := fn(); err != nil {
		e.emit(Event{Kind: EventStep, Batch: n, Brokers: ids, Step: name, Status: StatusFailed, Message: err.Error()})
		return err
	}
	e.emit(Event{Kind: EventStep, Batch: n, Brokers: ids, Step: name, Status: StatusOK})
	return nil
}

func (e *Engine) waiter() Waiter {
	return Waiter{Kafka: e.Kafka, Hosts: e.Hosts, Poll: e.Opts.Poll, now: e.now}
}

// bringBack starts brokers after a failure between stop and start, so a halted rollout leaves
// no broker stopped when it can help it. It returns the brokers it could not start.
func (e *Engine) bringBack(ctx context.Context, brokers []*inventory.Broker) []int32 {
	var mu sync.Mutex
	var stopped []int32
	_ = e.parallel(ctx, brokers, func(b *inventory.Broker) error {
		if err := e.Hosts.Service(ctx, b, host.ServiceStart); err != nil {
			mu.Lock()
			stopped = append(stopped, b.ID)
			mu.Unlock()
			e.emit(Event{Kind: EventStep, Brokers: []int32{b.ID}, Step: StepStart, Status: StatusFailed,
				Message: "bringing broker back after the failure: " + err.Error()})
			return nil
		}
		e.emit(Event{Kind: EventStep, Brokers: []int32{b.ID}, Step: StepStart, Status: StatusOK,
			Message: "brought broker back after the failure"})
		return nil
	})
	slices.Sort(stopped)
	return stopped
}

func (e *Engine) processes(ctx context.Context, brokers []*inventory.Broker) (map[int32]cluster.BrokerProcess, error) {
	out := make(map[int32]cluster.BrokerProcess, len(brokers))
	var mu sync.Mutex
	err := e.parallel(ctx, brokers, func(b *inventory.Broker) error {
		p, err := e.Hosts.Process(ctx, b)
		if err != nil {
			return err
		}
		mu.Lock()
		out[b.ID] = p
		mu.Unlock()
		return nil
	})
	return out, err
}

// parallel runs fn for every broker of a batch at once and joins their errors.
func (e *Engine) parallel(ctx context.Context, brokers []*inventory.Broker, fn func(*inventory.Broker) error) error {
	errs := make([]error, len(brokers))
	var wg sync.WaitGroup
	for i, b := range brokers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(b)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (e *Engine) brokersOf(ids []int32) []*inventory.Broker {
	out := make([]*inventory.Broker, 0, len(ids))
	for _, id := range ids {
		for _, b := range e.Opts.Brokers {
			if b.ID == id {
				out = append(out, b)
			}
		}
	}
	return out
}

// ledBy lists the partitions the brokers lead, by topic: leadership goes back to them after.
func ledBy(s *cluster.Snapshot, ids []int32) map[string][]int32 {
	out := map[string][]int32{}
	for i := range s.Partitions {
		p := &s.Partitions[i]
		if slices.Contains(ids, p.Leader) {
			t := s.Topics[p.Topic].Name
			out[t] = append(out[t], p.ID)
		}
	}
	return out
}

func (e *Engine) halt(h *HaltError) error {
	e.emit(Event{Kind: EventHalted, Batch: h.Batch, Brokers: h.Brokers, Step: h.Step, Status: StatusFailed,
		Message: h.Error()})
	return h
}

func (e *Engine) interrupted(done, left []int32) error {
	err := &InterruptedError{OpID: e.Opts.OpID, Done: done, Left: left}
	e.emit(Event{Kind: EventInterrupted, Brokers: left, Message: err.Error()})
	return err
}

func (e *Engine) aborted(batch []int32, step string) error {
	err := &AbortedError{OpID: e.Opts.OpID, Batch: batch, Step: step}
	// The run's context is gone; the journal still gets the last word.
	e.emit(Event{Kind: EventAborted, Brokers: batch, Step: step, Message: err.Error()})
	return err
}

// flushIntent lets the intent just journaled reach the cluster's ops log before the change, so
// that another operator's status and resume know of it even if this process dies next.
func (e *Engine) flushIntent(ctx context.Context) {
	if e.Journal == nil {
		return
	}
	if err := e.Journal.FlushIntent(ctx); err != nil {
		e.emit(Event{Kind: EventWaiting, Step: StepStop, Message: "the cluster's copy of the journal lags (" + err.Error() + "); the local journal has the intent"})
	}
}

// emit stamps an event and sends it to the journal, the sink and the cluster's event log.
func (e *Engine) emit(ev Event) {
	if e.now == nil {
		e.now = time.Now
	}
	ev.Time = e.now()
	ev.Op = e.Opts.OpID
	e.mu.Lock()
	switch {
	case ev.Kind == EventStep && ev.Status == StatusStarted:
		e.where, e.waitsFor = ev.Step, ""
	case ev.Kind == EventWaiting && !strings.HasPrefix(ev.Message, "interrupted:"):
		e.waitsFor = ev.Message
	case ev.Kind == EventBatchDone && ev.Batch > 0:
		e.progress.Done++
	}
	e.progress.Batches = max(e.progress.Batches, e.batches)
	progress := e.progress
	e.mu.Unlock()
	if e.Opts.Cluster != nil {
		ev.Cluster = e.Opts.Cluster.Name
	}
	if ev.Batches == 0 && ev.Batch > 0 {
		ev.Batches = max(e.batches, ev.Batch)
	}
	if e.Journal != nil {
		_ = e.Journal.Append(ev) // a journal write failure must not strand a stopped broker
	}
	if e.Emit != nil {
		e.Emit(ev)
	}
	if e.leaseEvents != nil && leaseWorthy(ev) {
		select {
		case e.leaseEvents <- leaseNote{ev, progress.Fields(ev, ev.Time)}:
		default: // the log is far behind; the journal still has every event
		}
	}
}

func (e *Engine) feedLease() {
	defer close(e.leaseDone)
	for n := range e.leaseEvents {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = e.Lease.Event(ctx, n.ev.Kind, n.ev.Message, n.fields)
		cancel()
	}
}

// leaseNote is an event on its way to the cluster's event log, with where the run stood then.
type leaseNote struct {
	ev     Event
	fields map[string]string
}

// drainLease lets the last events (finished, halted) reach the log before the lease is released;
// after an abort (ctx cancelled: a second Ctrl-C) it waits only briefly, whatever Kafka does.
func (e *Engine) drainLease(ctx context.Context) {
	close(e.leaseEvents)
	wait := drainWait
	if ctx.Err() != nil {
		wait = abortWait
	}
	select {
	case <-e.leaseDone:
	case <-time.After(wait):
	}
	e.leaseEvents = nil
}

// leaseWorthy keeps the cluster's shared event log to the milestones other operators care
// about, and each step as it starts (so their status says which one is under way).
func leaseWorthy(ev Event) bool {
	switch ev.Kind {
	case EventPlan, EventBatchStart, EventBatchDone, EventHalted, EventRefused, EventInterrupted, EventAborted, EventFinished:
		return true
	case EventStep:
		return ev.Status == StatusStarted
	}
	return false
}
