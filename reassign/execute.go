package reassign

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/units"
	"github.com/kfleet/kfleet/rollout/operation"
)

// LeaseSession is the held cluster lease: the executor starts no move once it is lost, and
// reports milestones to the cluster's event log through it.
type LeaseSession interface {
	Lost() <-chan struct{}
	Event(ctx context.Context, kind, message string, fields map[string]string) error
}

// Options is one run of the executor.
type Options struct {
	OpID    string
	Cluster string
	Limits  Limits
	// Throttle is the replication rate in bytes/s while moves run; 0 sets no throttle.
	Throttle int64
	// Timeout bounds the whole run; moves still in flight then keep running in Kafka.
	Timeout time.Duration
	// Poll is how often the executor reads the reassignments in flight.
	Poll time.Duration
	// ProgressEvery is how often a progress event is emitted (and after every finished move).
	ProgressEvery time.Duration
	// NoWait returns once the first moves are submitted.
	NoWait bool
	// SizesKnown says Move.Bytes are real sizes (0 bytes means empty, not unknown).
	SizesKnown bool
	// Settle is how long a move that left the in-flight list may show replicas that are
	// neither its target nor what it had before (metadata catching up) before it counts as
	// changed by someone else.
	Settle time.Duration
	// RevertGrace is how long a finished move must keep showing its old replicas before it
	// counts as cancelled (and not as metadata that has not caught up yet).
	RevertGrace time.Duration
}

func (o *Options) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.Timeout, 6*time.Hour)
	def(&o.Poll, time.Second)
	def(&o.ProgressEvery, 5*time.Second)
	def(&o.Settle, 30*time.Second)
	def(&o.RevertGrace, 3*time.Second)
	if o.Limits.MaxMoves <= 0 {
		o.Limits.MaxMoves = 50
	}
	if o.Limits.MaxPerBroker <= 0 {
		o.Limits.MaxPerBroker = 5
	}
}

// Prior is where a resumed run starts: moves already done or in flight, and the throttles the
// journal says are still set.
type Prior struct {
	Done      map[TopicPartition]bool
	Running   map[TopicPartition]bool
	Throttles Throttles
}

// Executor runs moves: bounded batches, throttles, progress, leader election. It never starts a
// move after a failure it cannot place, an interrupt, a lost lease or a cancel.
type Executor struct {
	Kafka   Kafka
	Journal *Journal     // nil: nothing recorded
	Lease   LeaseSession // nil: no lease (tests)
	Emit    func(Event)
	Opts    Options
	now     func() time.Time
	alive   map[int32]bool
}

type moveState int

const (
	statePending moveState = iota
	stateRunning
	stateDone
	stateReverted
	stateFailed
)

type tracked struct {
	m     *Move
	state moveState
	gone  time.Time // when it left the in-flight list with its target not showing yet
	err   string
}

// Why no new move starts.
const (
	stopInterrupt = "interrupted"
	stopReverted  = "reverted"
	stopCancel    = "cancel requested"
)

// HaltError says the run stopped before every move finished. Moves still in flight keep running
// in Kafka, under kfleet's throttles when it set any. Exit 1.
type HaltError struct {
	OpID      string
	Reason    string
	Err       error
	InFlight  []TopicPartition
	Failed    []string
	Throttles Throttles // still set
	NoResume  bool      // the operation was cancelled: there is nothing to resume
}

func (e *HaltError) Error() string {
	msg := e.Reason
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	if len(e.Failed) > 0 {
		msg += fmt.Sprintf("; %d move(s) failed: %s", len(e.Failed), firstFew(e.Failed, 5))
	}
	if len(e.InFlight) > 0 {
		msg += fmt.Sprintf("; %d move(s) still in flight in Kafka (%s)", len(e.InFlight), firstFew(tpNames(e.InFlight), 5))
	}
	if !e.Throttles.Empty() {
		msg += "; kfleet's throttles stay on them: " + e.Throttles.Summary()
	}
	return msg
}

// NextStep says to see the moves' status, then resume or cancel them; nothing when the
// operation was cancelled.
func (e *HaltError) NextStep() (string, fault.Next) {
	if e.NoResume {
		return e.OpID, 0
	}
	return e.OpID, fault.ResumeOrCancel
}

// FaultKind says what kind of failure this is (halted: the journal says where).
func (e *HaltError) FaultKind() fault.Kind { return fault.Halted }

func (e *HaltError) Unwrap() error { return e.Err }

// InterruptedError says the operator stopped the run: no move was started after the interrupt,
// the ones in flight finished and kfleet's throttles are gone. Exit 130.
type InterruptedError struct {
	OpID       string
	Done, Left int
}

func (e *InterruptedError) Error() string {
	return fmt.Sprintf("interrupted: %d move(s) done, %d not started, none in flight, throttles removed", e.Done, e.Left)
}

// NextStep says resume continues.
func (e *InterruptedError) NextStep() (string, fault.Next) { return e.OpID, fault.Resume }

// FaultKind says what kind of failure this is (interrupted: the journal says where).
func (e *InterruptedError) FaultKind() fault.Kind { return fault.Interrupted }

// AbortedError says a second interrupt cut the run short: moves in flight were left running.
// Exit 130.
type AbortedError struct {
	OpID      string
	InFlight  []TopicPartition
	Throttles Throttles
}

func (e *AbortedError) Error() string {
	msg := fmt.Sprintf("aborted: %d move(s) left in flight in Kafka", len(e.InFlight))
	if !e.Throttles.Empty() {
		msg += " with kfleet's throttles (" + e.Throttles.Summary() + ")"
	}
	return msg
}

// NextStep says resume follows the moves left running and cancel reverts them.
func (e *AbortedError) NextStep() (string, fault.Next) { return e.OpID, fault.FollowOrCancel }

// FaultKind says what kind of failure this is (interrupted: the journal says where).
func (e *AbortedError) FaultKind() fault.Kind { return fault.Interrupted }

func (e *Executor) isAlive(id int32) bool { return e.alive[id] }

func (e *Executor) refreshBrokers(ctx context.Context) error {
	bs, err := e.Kafka.Brokers(ctx)
	if err != nil {
		return err
	}
	alive := make(map[int32]bool, len(bs))
	for _, b := range bs {
		alive[b.ID] = b.Alive()
	}
	e.alive = alive
	return nil
}

// Run executes moves, in their order, until all are done. soft is closed on the first Ctrl-C:
// no move starts after it, the ones in flight are waited for, the throttles removed. Cancelling
// ctx leaves at once.
func (e *Executor) Run(ctx context.Context, soft <-chan struct{}, moves []Move, prior Prior) error {
	e.Opts.defaults()
	if e.now == nil {
		e.now = time.Now
	}
	start := e.now()
	deadline := start.Add(e.Opts.Timeout)
	ts := make([]*tracked, len(moves))
	var total, base int64
	for i := range moves {
		t := &tracked{m: &moves[i]}
		switch tp := moves[i].TopicPartition; {
		case prior.Done[tp]:
			t.state = stateDone
			base += moves[i].Bytes
		case prior.Running[tp]:
			t.state = stateRunning
		}
		ts[i] = t
		total += moves[i].Bytes
	}
	thr := &Throttler{Kafka: e.Kafka, Rate: e.Opts.Throttle,
		Record: func(kind string, th Throttles) { e.emit(Event{Kind: kind, Throttles: &th, Message: th.Summary()}) },
		Warn:   func(msg string) { e.emit(Event{Kind: EventWarning, Message: msg}) },
	}
	thr.Restore(prior.Throttles)
	if err := e.refreshBrokers(ctx); err != nil {
		return fmt.Errorf("cluster %s: reading brokers: %w", e.Opts.Cluster, err)
	}
	if len(prior.Done) > 0 && !prior.Throttles.Empty() {
		// Moves that finished while nobody followed them (--no-wait, a crash) keep no throttle.
		var done []TopicPartition
		for _, t := range ts {
			if t.state == stateDone {
				done = append(done, t.m.TopicPartition)
			}
		}
		if err := thr.Release(ctx, done, e.needed(ts, false), e.isAlive); err != nil {
			e.emit(Event{Kind: EventWarning, Message: "throttles: " + err.Error()})
		}
	}
	e.emit(Event{Kind: EventPlan, Message: fmt.Sprintf("%d move(s) (%d done, %d in flight already), %s to copy, at most %d at once and %d per broker%s",
		len(ts), count(ts, stateDone), count(ts, stateRunning), e.bytesText(total), e.Opts.Limits.MaxMoves,
		e.Opts.Limits.MaxPerBroker, throttleText(e.Opts.Throttle))})

	var stopping string
	lastProgress := start
	var lastErr error
	for {
		if ctx.Err() != nil {
			return e.aborted(ts, thr)
		}
		if err := e.refreshBrokers(ctx); err != nil {
			lastErr = err // keep the last known brokers; the deadline bounds how long this may last
		}
		if stopping == "" {
			switch {
			case operation.Closed(soft):
				stopping = stopInterrupt
				e.emit(Event{Kind: EventWarning, Message: fmt.Sprintf("interrupt: no new move starts; waiting for the %d in flight to finish (interrupt again to leave them running and exit now)", count(ts, stateRunning))})
			case e.Lease != nil && operation.Closed(e.Lease.Lost()):
				return e.halt(ctx, ts, thr, &HaltError{Reason: "the cluster lease was lost (expired or released by force); no new move started"})
			case e.Journal != nil && e.Journal.CancelRequested():
				stopping = stopCancel
				e.emit(Event{Kind: EventWarning, Message: "kfleet reassign cancel was requested: no new move starts"})
			}
		}
		// A move that left the in-flight list without its target showing may have been cancelled:
		// start nothing new until that is settled.
		if stopping == "" && !unsettled(ts) {
			if err := e.submit(ctx, ts, thr); err != nil {
				if ctx.Err() != nil {
					return e.aborted(ts, thr)
				}
				return e.halt(ctx, ts, thr, &HaltError{Reason: "submitting moves failed; no further move started", Err: err})
			}
			if e.Opts.NoWait {
				return e.detach(ts, thr)
			}
		}

		fin, err := e.follow(ctx, ts)
		if err != nil {
			lastErr = err
		} else {
			lastErr = nil
		}
		if len(fin) > 0 {
			var tps []TopicPartition
			reverted := false
			for _, t := range fin {
				tps = append(tps, t.m.TopicPartition)
				reverted = reverted || t.state == stateReverted
			}
			if err := thr.Release(ctx, tps, e.needed(ts, stopping != ""), e.isAlive); err != nil {
				e.emit(Event{Kind: EventWarning, Message: "throttles: " + err.Error()})
			}
			if reverted && stopping == "" {
				stopping = stopReverted
			}
		}
		running := count(ts, stateRunning)
		if len(fin) > 0 || e.now().Sub(lastProgress) >= e.Opts.ProgressEvery {
			e.emit(Event{Kind: EventProgress, Progress: e.progress(ctx, ts, start, total, base)})
			lastProgress = e.now()
		}
		if running == 0 && (count(ts, statePending) == 0 || stopping != "") {
			break
		}
		if e.now().After(deadline) {
			reason := fmt.Sprintf("not done within --timeout %s", e.Opts.Timeout)
			if lastErr != nil {
				reason += fmt.Sprintf(" (last error reading the cluster: %v)", lastErr)
			}
			return e.halt(ctx, ts, thr, &HaltError{Reason: reason})
		}
		var wake <-chan struct{}
		if stopping == "" {
			wake = soft
		}
		select {
		case <-ctx.Done():
		case <-wake:
		case <-time.After(e.Opts.Poll):
		}
	}
	return e.finish(ctx, ts, thr, stopping, start)
}

// submit starts the pending moves that fit the limits now, throttled first.
func (e *Executor) submit(ctx context.Context, ts []*tracked, thr *Throttler) error {
	var pending, running []*Move
	var pt []*tracked
	for _, t := range ts {
		switch t.state {
		case statePending:
			pending = append(pending, t.m)
			pt = append(pt, t)
		case stateRunning:
			running = append(running, t.m)
		}
	}
	idx := NextBatch(pending, running, e.isAlive, e.Opts.Limits)
	var batch []*tracked
	var failed []TopicPartition
	for _, i := range idx {
		t := pt[i]
		if down := slices.DeleteFunc(t.m.Adding(), e.isAlive); len(down) > 0 {
			t.state, t.err = stateFailed, fmt.Sprintf("%s: new replica broker(s) %s are not serving", t.m, inventory.JoinIDs(down))
			failed = append(failed, t.m.TopicPartition)
			e.emit(Event{Kind: EventSubmitFailed, Partitions: []TopicPartition{t.m.TopicPartition}, Message: t.err})
			continue
		}
		batch = append(batch, t)
	}
	if len(batch) == 0 {
		return nil
	}
	bm := make([]*Move, len(batch))
	assign := make(map[TopicPartition][]int32, len(batch))
	tps := make([]TopicPartition, len(batch))
	for i, t := range batch {
		bm[i] = t.m
		assign[t.m.TopicPartition] = t.m.Target
		tps[i] = t.m.TopicPartition
	}
	if err := thr.Add(ctx, bm, e.isAlive); err != nil {
		return fmt.Errorf("setting throttles: %w", err)
	}
	// Journaled before it is sent: after a crash, resume checks these against Kafka.
	e.emit(Event{Kind: EventSubmitted, Partitions: tps,
		Message: fmt.Sprintf("starting %d move(s): %s", len(tps), firstFew(tpNames(tps), 8))})
	if e.Journal != nil {
		// In the cluster's copy too before the moves start (bounded: a slow copy delays them, a
		// failed one does not stop them; the local journal has the line).
		_ = e.Journal.FlushIntent(ctx)
	}
	res, err := e.Kafka.Alter(ctx, assign)
	if err != nil {
		for _, t := range batch {
			t.state = stateRunning // may or may not be moving: the halt lists them
		}
		return err
	}
	for _, t := range batch {
		if perr := res[t.m.TopicPartition]; perr != nil {
			t.state, t.err = stateFailed, fmt.Sprintf("%s: %v", t.m, perr)
			failed = append(failed, t.m.TopicPartition)
			e.emit(Event{Kind: EventSubmitFailed, Partitions: []TopicPartition{t.m.TopicPartition}, Message: t.err})
			continue
		}
		t.state = stateRunning
	}
	if len(failed) > 0 {
		if err := thr.Release(ctx, failed, e.needed(ts, false), e.isAlive); err != nil {
			e.emit(Event{Kind: EventWarning, Message: "throttles: " + err.Error()})
		}
	}
	return nil
}

// follow reads the moves in flight and returns those that finished since the last call: done
// (the target shows), reverted (the old replicas show: cancelled) or failed (something else).
func (e *Executor) follow(ctx context.Context, ts []*tracked) ([]*tracked, error) {
	var watch []TopicPartition
	for _, t := range ts {
		if t.state == stateRunning {
			watch = append(watch, t.m.TopicPartition)
		}
	}
	if len(watch) == 0 {
		return nil, nil
	}
	live, err := e.Kafka.Reassigning(ctx, watch)
	if err != nil {
		return nil, fmt.Errorf("listing reassignments: %w", err)
	}
	now := e.now()
	var gone []*tracked
	var goneTPs []TopicPartition
	for _, t := range ts {
		if t.state != stateRunning {
			continue
		}
		if _, ok := live[t.m.TopicPartition]; ok {
			t.gone = time.Time{}
			continue
		}
		if t.gone.IsZero() {
			t.gone = now
		}
		gone = append(gone, t)
		goneTPs = append(goneTPs, t.m.TopicPartition)
	}
	if len(gone) == 0 {
		return nil, nil
	}
	reps, err := e.Kafka.Replicas(ctx, goneTPs)
	if err != nil {
		return nil, fmt.Errorf("reading replicas: %w", err)
	}
	var fin, done, reverted []*tracked
	for _, t := range gone {
		r, ok := reps[t.m.TopicPartition]
		waited := now.Sub(t.gone)
		switch {
		case ok && sameSet(r, t.m.Target):
			t.state = stateDone
			done = append(done, t)
		case ok && sameSet(r, t.m.Replicas) && waited >= e.Opts.RevertGrace:
			t.state = stateReverted
			reverted = append(reverted, t)
		case waited >= e.Opts.Settle:
			t.state = stateFailed
			if ok {
				t.err = fmt.Sprintf("%s: replicas are now %v, neither the plan's %v nor the previous %v: changed by someone else", t.m, r, t.m.Target, t.m.Replicas)
			} else {
				t.err = fmt.Sprintf("%s: no longer in the cluster's metadata (topic deleted?)", t.m)
			}
			e.emit(Event{Kind: EventSubmitFailed, Partitions: []TopicPartition{t.m.TopicPartition}, Message: t.err})
			fin = append(fin, t)
		}
	}
	if len(done) > 0 {
		tps := trackedTPs(done)
		e.emit(Event{Kind: EventDone, Partitions: tps, Message: fmt.Sprintf("%d move(s) done: %s", len(tps), firstFew(tpNames(tps), 8))})
	}
	if len(reverted) > 0 {
		tps := trackedTPs(reverted)
		e.emit(Event{Kind: EventReverted, Partitions: tps, Message: fmt.Sprintf("%d move(s) cancelled by someone (replicas back as they were): %s", len(tps), firstFew(tpNames(tps), 8))})
	}
	return append(append(fin, done...), reverted...), nil
}

// needed are the brokers whose throttle rate moves still need: those of the moves in flight,
// and of the ones still to start unless no more will.
func (e *Executor) needed(ts []*tracked, stopping bool) map[int32]bool {
	out := map[int32]bool{}
	for _, t := range ts {
		if t.state == stateRunning || (!stopping && t.state == statePending) {
			for _, b := range throttleBrokers(t.m, e.isAlive) {
				out[b] = true
			}
		}
	}
	return out
}

// progress counts partitions and bytes. Bytes of moves in flight come from the new replicas'
// sizes (DescribeLogDirs), capped at what each has to copy.
func (e *Executor) progress(ctx context.Context, ts []*tracked, start time.Time, total, base int64) *Progress {
	p := &Progress{Partitions: len(ts), Bytes: total, ETA: -1}
	var running []*tracked
	brokers := map[int32]bool{}
	for _, t := range ts {
		switch t.state {
		case stateDone:
			p.Done++
			p.BytesDone += t.m.Bytes
		case stateRunning:
			p.InFlight++
			running = append(running, t)
			for _, a := range t.m.Adding() {
				if e.isAlive(a) {
					brokers[a] = true
				}
			}
		case stateFailed, stateReverted:
			p.Failed++
		}
	}
	if total > 0 && len(running) > 0 {
		var ids []int32
		for b := range brokers {
			ids = append(ids, b)
		}
		slices.Sort(ids)
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		sizes, err := e.Kafka.ReplicaSizes(sctx, ids, trackedTPs(running))
		cancel()
		if err == nil {
			for _, t := range running {
				adding := t.m.Adding()
				if len(adding) == 0 {
					continue
				}
				per := t.m.Bytes / int64(len(adding))
				for _, a := range adding {
					p.BytesDone += min(sizes[a][t.m.TopicPartition], per)
				}
			}
		}
	}
	if el := e.now().Sub(start).Seconds(); el > 0 {
		p.Rate = float64(p.BytesDone-base) / el
	}
	if p.Rate > 0 && total > 0 {
		p.ETA = float64(total-p.BytesDone) / p.Rate
	}
	return p
}

// finish runs once nothing is in flight: throttles off, preferred leaders back, the verdict.
func (e *Executor) finish(ctx context.Context, ts []*tracked, thr *Throttler, stopping string, start time.Time) error {
	var errs []error
	if err := thr.ReleaseAll(ctx, e.isAlive); err != nil {
		errs = append(errs, fmt.Errorf("removing throttles: %w", err))
	}
	elected := e.elect(ctx, ts)
	if elected != nil {
		errs = append(errs, elected)
	}
	failed := failures(ts)
	left := thr.Outstanding()
	switch stopping {
	case stopInterrupt:
		err := &InterruptedError{OpID: e.Opts.OpID, Done: count(ts, stateDone), Left: count(ts, statePending)}
		e.emit(Event{Kind: EventInterrupted, Message: err.Error()})
		return err
	case stopReverted, stopCancel:
		h := &HaltError{OpID: e.Opts.OpID, Reason: fmt.Sprintf("%d move(s) were cancelled (by kfleet reassign cancel or another tool) and their replicas are back as they were; no further move started; %d done",
			count(ts, stateReverted), count(ts, stateDone)), Failed: failures(ts), Throttles: left, NoResume: stopping == stopCancel}
		e.emit(Event{Kind: EventHalted, Message: h.Error()})
		return h
	}
	if len(failed) > 0 || len(errs) > 0 {
		h := &HaltError{OpID: e.Opts.OpID, Reason: fmt.Sprintf("%d of %d move(s) done", count(ts, stateDone), len(ts)),
			Err: errors.Join(errs...), Failed: failed, Throttles: left}
		e.emit(Event{Kind: EventHalted, Message: h.Error()})
		return h
	}
	var moved int
	var bytes int64
	for _, t := range ts {
		moved += len(t.m.Adding())
		bytes += t.m.Bytes
	}
	e.emit(Event{Kind: EventFinished, Message: fmt.Sprintf("reassigned %d partition(s) (%d replica(s), %s) of %s in %s; preferred leaders elected; no kfleet throttle left",
		len(ts), moved, e.bytesText(bytes), e.Opts.Cluster, e.now().Sub(start).Round(time.Second))})
	return nil
}

// elect moves leadership back to the preferred replica of every moved partition.
func (e *Executor) elect(ctx context.Context, ts []*tracked) error {
	parts := map[string][]int32{}
	var tps []TopicPartition
	for _, t := range ts {
		if t.state == stateDone {
			parts[t.m.Topic] = append(parts[t.m.Topic], t.m.Partition)
			tps = append(tps, t.m.TopicPartition)
		}
	}
	if len(tps) == 0 {
		return nil
	}
	err := e.Kafka.ElectPreferred(ctx, parts)
	msg := fmt.Sprintf("preferred leader election for %d moved partition(s)", len(tps))
	if err != nil {
		msg += " failed: " + err.Error()
	}
	e.emit(Event{Kind: EventElect, Message: msg})
	return err
}

// halt stops now: moves in flight are left running with their throttles; every other throttle
// kfleet set is removed.
func (e *Executor) halt(ctx context.Context, ts []*tracked, thr *Throttler, h *HaltError) error {
	var done []TopicPartition
	for _, t := range ts {
		if t.state != stateRunning {
			done = append(done, t.m.TopicPartition)
		}
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := thr.Release(rctx, done, e.needed(ts, true), e.isAlive); err != nil {
		e.emit(Event{Kind: EventWarning, Message: "throttles: " + err.Error()})
	}
	h.OpID = e.Opts.OpID
	h.InFlight = trackedTPs(filter(ts, stateRunning))
	h.Failed = append(h.Failed, failures(ts)...)
	h.Throttles = thr.Outstanding()
	e.emit(Event{Kind: EventHalted, Message: h.Error()})
	return h
}

// detach ends a --no-wait run: the moves run on in Kafka, with their throttles; resume follows
// them later. The journal gets no end, so history shows the operation running.
func (e *Executor) detach(ts []*tracked, thr *Throttler) error {
	e.emit(Event{Kind: EventWarning, Message: fmt.Sprintf("--no-wait: %d move(s) started and left running, %d not started yet; throttles: %s; follow, start the rest and remove the throttles with: kfleet resume %s",
		count(ts, stateRunning), count(ts, statePending), thr.Outstanding().Summary(), e.Opts.OpID)})
	if f := failures(ts); len(f) > 0 {
		return &HaltError{OpID: e.Opts.OpID, Reason: "some moves could not be submitted", Failed: f, InFlight: trackedTPs(filter(ts, stateRunning)), Throttles: thr.Outstanding()}
	}
	return nil
}

func (e *Executor) aborted(ts []*tracked, thr *Throttler) error {
	err := &AbortedError{OpID: e.Opts.OpID, InFlight: trackedTPs(filter(ts, stateRunning)), Throttles: thr.Outstanding()}
	e.emit(Event{Kind: EventAborted, Message: err.Error()})
	return err
}

// emit stamps an event and sends it to the journal, the sink and (the plan and the end) the
// cluster's event log, which other operators' status shows; a long run starts thousands of
// moves, too many to log there one by one.
func (e *Executor) emit(ev Event) {
	if e.now == nil {
		e.now = time.Now
	}
	ev.Time = e.now()
	ev.Op = e.Opts.OpID
	ev.Cluster = e.Opts.Cluster
	if e.Journal != nil && ev.Kind != EventProgress {
		_ = e.Journal.Record(ev) // a journal failure must not strand moves half-followed
	}
	if e.Emit != nil {
		e.Emit(ev)
	}
	if e.Lease != nil && leaseWorthy(ev.Kind) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = e.Lease.Event(ctx, ev.Kind, ev.Message, map[string]string{"kind": Kind})
		cancel()
	}
}

func leaseWorthy(kind string) bool {
	switch kind {
	case EventPlan, EventFinished, EventHalted, EventInterrupted, EventAborted:
		return true
	}
	return false
}

func unsettled(ts []*tracked) bool {
	for _, t := range ts {
		if t.state == stateRunning && !t.gone.IsZero() {
			return true
		}
	}
	return false
}

func count(ts []*tracked, s moveState) int {
	n := 0
	for _, t := range ts {
		if t.state == s {
			n++
		}
	}
	return n
}

func filter(ts []*tracked, s moveState) []*tracked {
	var out []*tracked
	for _, t := range ts {
		if t.state == s {
			out = append(out, t)
		}
	}
	return out
}

func failures(ts []*tracked) []string {
	var out []string
	for _, t := range ts {
		if t.state == stateFailed {
			out = append(out, t.err)
		}
	}
	return out
}

func trackedTPs(ts []*tracked) []TopicPartition {
	out := make([]TopicPartition, len(ts))
	for i, t := range ts {
		out[i] = t.m.TopicPartition
	}
	return out
}

func tpNames(tps []TopicPartition) []string {
	out := make([]string, len(tps))
	for i, tp := range tps {
		out[i] = tp.String()
	}
	return out
}

func firstFew(s []string, n int) string {
	if len(s) <= n {
		return strings.Join(s, ", ")
	}
	return strings.Join(s[:n], ", ") + fmt.Sprintf(" and %d more", len(s)-n)
}

func sameSet(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

func throttleText(rate int64) string {
	if rate <= 0 {
		return ", no throttle"
	}
	return ", throttled at " + units.Bytes(rate) + "/s"
}

func (e *Executor) bytesText(b int64) string {
	if !e.Opts.SizesKnown {
		return "an unknown amount"
	}
	return units.Bytes(b)
}
