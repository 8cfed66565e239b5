package ensemble

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kfleet/kfleet/ops/host"
	"github.com/kfleet/kfleet/ops/journal"
	"github.com/kfleet/kfleet/ops/zookeeper"
	"github.com/kfleet/kfleet/rollout"
	"github.com/kfleet/kfleet/rollout/operation"
)

// Steps of one node's restart (the gate, stop and start are the engine's names).
const (
	StepConfirmStopped = "confirm-stopped" // the node no longer answers srvr
	StepSynced         = "wait-synced"     // the node serves again, in sync with a leader
)

// waitSay is how often a wait repeats itself when nothing changed.
const waitSay = 30 * time.Second

// leaseSession is the held cluster lease: lost when it could not be renewed, and the cluster's
// event log.
type leaseSession interface {
	Lost() <-chan struct{}
	Event(ctx context.Context, kind, message string, fields map[string]string) error
}

// runner runs one restart under its lease: node by node, journaling each step before it acts.
type runner struct {
	r       *Restart
	ens     Ensemble
	journal *journal.Journal // nil: nothing journaled (tests)
	lease   leaseSession     // nil: no lease (tests)
	now     func() time.Time
	total   int
	// progress is where the run stands, for the cluster's event log.
	progress rollout.Progress
}

var errSoftStop = errors.New("interrupted before the next node")

func (u *runner) clock() time.Time {
	if u.now != nil {
		return u.now()
	}
	return u.r.Deps.Clock()
}

func (u *runner) run(ctx context.Context, soft <-chan struct{}) error {
	e := u.ens.Read(ctx)
	left := u.r.left(e)
	u.total = len(left)
	u.progress = rollout.Progress{Started: u.clock(), Batches: u.total}
	msg := fmt.Sprintf("%d zookeeper node(s), one at a time", len(left))
	if e.Leader >= 0 && !u.r.done[e.Leader] {
		msg += fmt.Sprintf(", the leader (node %d) last", e.Leader)
	}
	u.emit(rollout.Event{Kind: rollout.EventPlan, Message: msg})
	var done []int
	for n := 1; len(left) > 0; n++ {
		if operation.Closed(soft) {
			return u.interrupted(done, left)
		}
		if u.lease != nil && operation.Closed(u.lease.Lost()) {
			return u.halt(&HaltError{OpID: u.r.opID, Node: left[0], Step: rollout.StepGate,
				Err: errors.New("the cluster lease was lost (expired or released by force)")})
		}
		id, gateWait, err := u.gate(ctx, soft, n)
		if err != nil {
			var refused *RefusedError
			switch {
			case errors.Is(err, errSoftStop):
				return u.interrupted(done, left)
			case ctx.Err() != nil:
				return u.aborted(left[0], rollout.StepGate)
			case errors.As(err, &refused):
				u.emit(rollout.Event{Kind: rollout.EventRefused, Batch: n, ZooKeeperNode: refused.Node, Step: rollout.StepGate,
					Status: rollout.StatusFailed, Message: refused.Error()})
				return err
			}
			return u.halt(&HaltError{OpID: u.r.opID, Node: left[0], Step: rollout.StepGate, Err: err})
		}
		if err := u.restartNode(ctx, n, id, gateWait); err != nil {
			return err
		}
		u.r.done[id] = true
		done = append(done, id)
		left = u.r.left(u.ens.Read(ctx))
	}
	u.emit(rollout.Event{Kind: rollout.EventFinished,
		Message: fmt.Sprintf("restarted zookeeper node(s) %s of %s", ids(done), u.r.Cluster.Name)})
	return nil
}

// gate waits (bounded by the gate timeout) until the next node in a fresh RestartOrder may stop,
// reading the ensemble on every poll, so that the leader stays last even when it moves.
func (u *runner) gate(ctx context.Context, soft <-chan struct{}, n int) (int, time.Duration, error) {
	s := u.r.Settings
	start := u.clock()
	var said string
	var saidAt time.Time
	for {
		e := u.ens.Read(ctx)
		left := u.r.left(e)
		id := left[0]
		ok, reasons := zookeeper.CanStop(e, []int{id})
		if ok {
			u.emit(rollout.Event{Kind: rollout.EventStep, Batch: n, ZooKeeperNode: id, Step: rollout.StepGate,
				Status: rollout.StatusOK, Message: fmt.Sprintf("zookeeper node %d may stop: the ensemble keeps %d of %d voters in sync without it", id, e.Synced-boolInt(member(e, id).Synced), e.Voters)})
			return id, u.clock().Sub(start), nil
		}
		waited := u.clock().Sub(start)
		if e.Standalone || waited >= s.GateTimeout {
			return 0, 0, &RefusedError{Cluster: u.r.Cluster.Name, Node: id, Reasons: reasons, Waited: waited}
		}
		why := strings.Join(reasons, "; ")
		if why != said || u.clock().Sub(saidAt) >= waitSay {
			u.emit(rollout.Event{Kind: rollout.EventWaiting, Batch: n, ZooKeeperNode: id, Step: rollout.StepGate,
				Message: fmt.Sprintf("waiting for the gate to let zookeeper node %d stop (up to %s): %s", id, s.GateTimeout, why)})
			said, saidAt = why, u.clock()
		}
		if err := u.pause(ctx, soft); err != nil {
			return 0, 0, err
		}
	}
}

// restartNode stops node id, confirms it stopped, starts it and waits until it serves in sync.
func (u *runner) restartNode(ctx context.Context, n, id int, gateWait time.Duration) error {
	s := u.r.Settings
	node := u.r.node(id)
	began := u.clock()
	role := modeOf(member(u.ens.Read(ctx), id))
	u.emit(rollout.Event{Kind: rollout.EventBatchStart, Batch: n, ZooKeeperNode: id,
		Message: fmt.Sprintf("zookeeper node %d (%s, %s)", id, node.Address(), role)})

	// The intent is in the journal, and its copy in the cluster, before the node goes down.
	u.emit(rollout.Event{Kind: rollout.EventStep, Batch: n, ZooKeeperNode: id, Step: rollout.StepStop, Status: rollout.StatusStarted})
	if u.journal != nil {
		_ = u.journal.FlushIntent(ctx)
	}
	stopAt := u.clock()
	if err := u.ens.Service(ctx, node, host.ServiceStop); err != nil {
		return u.failed(ctx, n, id, rollout.StepStop, err)
	}
	if err := u.waitNode(ctx, n, id, StepConfirmStopped, s.StopTimeout, stoppedWhat, stopped(id)); err != nil {
		return u.failed(ctx, n, id, StepConfirmStopped, err)
	}
	u.emit(rollout.Event{Kind: rollout.EventStep, Batch: n, ZooKeeperNode: id, Step: rollout.StepStop, Status: rollout.StatusOK})
	stopped := u.clock()

	u.emit(rollout.Event{Kind: rollout.EventStep, Batch: n, ZooKeeperNode: id, Step: rollout.StepStart, Status: rollout.StatusStarted})
	if err := u.ens.Service(ctx, node, host.ServiceStart); err != nil {
		return u.failed(ctx, n, id, rollout.StepStart, err)
	}
	var answered time.Time
	back := synced(id)
	if err := u.waitNode(ctx, n, id, StepSynced, s.StartTimeout, syncedWhat, func(e zookeeper.Ensemble) (bool, string) {
		if member(e, id).Up && answered.IsZero() {
			answered = u.clock()
		}
		return back(e)
	}); err != nil {
		return u.failed(ctx, n, id, StepSynced, err)
	}
	if answered.IsZero() {
		answered = u.clock()
	}
	u.emit(rollout.Event{Kind: rollout.EventStep, Batch: n, ZooKeeperNode: id, Step: rollout.StepStart, Status: rollout.StatusOK})
	end := u.clock()
	u.emit(rollout.Event{Kind: rollout.EventBatchDone, Batch: n, ZooKeeperNode: id,
		Message: fmt.Sprintf("zookeeper node %d restarted and in sync", id),
		Timings: &rollout.BatchTimings{Gate: gateWait.Seconds(), Stop: stopped.Sub(stopAt).Seconds(),
			Start: answered.Sub(stopped).Seconds(), CatchUp: end.Sub(answered).Seconds(),
			Total: end.Sub(began).Seconds() + gateWait.Seconds(), HealthyAt: end}})
	return nil
}

// waitNode polls the ensemble until done says so, or timeout; it says what it waits for.
func (u *runner) waitNode(ctx context.Context, n, id int, step string, timeout time.Duration, what string,
	done func(zookeeper.Ensemble) (bool, string)) error {
	desc := fmt.Sprintf(what, id)
	u.emit(rollout.Event{Kind: rollout.EventWaiting, Batch: n, ZooKeeperNode: id, Step: step,
		Message: fmt.Sprintf("waiting for %s (up to %s)", desc, timeout)})
	return waitFor(ctx, u.ens, timeout, desc, done, u.clock, func() error { return u.pause(ctx, nil) })
}

// pause waits one poll interval; it returns early on an abort, a soft stop or a lost lease.
func (u *runner) pause(ctx context.Context, soft <-chan struct{}) error {
	var lost <-chan struct{}
	if u.lease != nil {
		lost = u.lease.Lost()
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-soft:
		return errSoftStop
	case <-lost:
		return errors.New("the cluster lease was lost (not renewed in time, or released by force)")
	case <-time.After(u.r.Settings.Poll):
		return nil
	}
}

// failed handles a step that failed on node id: an abort (second Ctrl-C) stops here; otherwise
// the node is started again when it may be down, and the restart halts.
func (u *runner) failed(ctx context.Context, n, id int, step string, err error) error {
	if ctx.Err() != nil {
		return u.aborted(id, step)
	}
	u.emit(rollout.Event{Kind: rollout.EventStep, Batch: n, ZooKeeperNode: id, Step: step, Status: rollout.StatusFailed, Message: err.Error()})
	h := &HaltError{OpID: u.r.opID, Node: id, Step: step, Err: err}
	if step != StepSynced {
		// The node may be down: start it again, so that a failed step never leaves the ensemble
		// a node short.
		bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), u.r.Settings.StartTimeout)
		defer cancel()
		if serr := u.ens.Service(bctx, u.r.node(id), host.ServiceStart); serr != nil {
			h.Down = true
		}
	} else {
		h.Down = !member(u.ens.Read(ctx), id).Up
	}
	return u.halt(h)
}

func (u *runner) halt(h *HaltError) error {
	u.emit(rollout.Event{Kind: rollout.EventHalted, ZooKeeperNode: h.Node, Step: h.Step, Status: rollout.StatusFailed, Message: h.Error()})
	return h
}

func (u *runner) interrupted(done, left []int) error {
	err := &InterruptedError{OpID: u.r.opID, Done: done, Left: left}
	u.emit(rollout.Event{Kind: rollout.EventInterrupted, Message: err.Error()})
	return err
}

func (u *runner) aborted(id int, step string) error {
	err := &AbortedError{OpID: u.r.opID, Node: id, Step: step}
	u.emit(rollout.Event{Kind: rollout.EventAborted, ZooKeeperNode: id, Step: step, Message: err.Error()})
	return err
}

// emit stamps ev and hands it to the journal, the caller's sink and, for the events an operator
// follows, the cluster's event log.
func (u *runner) emit(ev rollout.Event) {
	ev.Time, ev.Op, ev.Cluster = u.clock(), u.r.opID, u.r.Cluster.Name
	if ev.Batch > 0 {
		ev.Batches = max(u.total, ev.Batch)
	}
	if u.journal != nil {
		_ = u.journal.Append(ev) // a journal write failure must not strand a stopped node
	}
	u.r.Deps.Event(ev)
	if ev.Kind == rollout.EventBatchDone {
		u.progress.Done++
	}
	switch {
	case u.lease == nil:
	case ev.Kind == rollout.EventStep && ev.Status == rollout.StatusStarted,
		ev.Kind == rollout.EventBatchStart, ev.Kind == rollout.EventBatchDone, ev.Kind == rollout.EventHalted, ev.Kind == rollout.EventRefused,
		ev.Kind == rollout.EventInterrupted, ev.Kind == rollout.EventAborted, ev.Kind == rollout.EventFinished:
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = u.lease.Event(ctx, ev.Kind, ev.Message, u.progress.Fields(ev, ev.Time))
		cancel()
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
