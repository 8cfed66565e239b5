package fleet

import (
	"context"
	"fmt"
	"time"

	"github.com/kfleet/kfleet/inventory"
)

// runCluster runs one cluster's operation: inside its maintenance window (waiting for it when the
// policy allows), journaled in the fleet's journal before it starts, soft-stopped after its batch
// when the operator interrupts, the budget is spent or its window closes.
func (r *Run) runCluster(ctx context.Context, soft <-chan struct{}, wi int, name string) {
	c := r.Clusters[name]
	res := r.result(name)
	if op, done := r.doneEarlier(name); done {
		r.finish(name, op, OutcomeDone, "done by an earlier run of this fleet operation", 0, time.Time{})
		return
	}
	if !r.awaitWindow(ctx, soft, wi, c) {
		return
	}
	if why := r.stopping(ctx, soft); why != "" {
		r.finish(name, "", OutcomeNotStarted, "the fleet run stopped before its turn", 0, time.Time{})
		return
	}
	op := r.ops[name]
	started := r.clock().Now()
	plan, err := op.Plan(ctx)
	if err != nil {
		r.finish(name, op.OpID(), outcomeOf(err, ""), err.Error(), 0, started)
		return
	}
	if plan.Work() == 0 {
		r.finish(name, op.OpID(), OutcomeDone, "nothing to do", 0, started)
		return
	}
	r.mu.Lock()
	r.running[name] = true
	res.Op, res.Brokers, res.Started = op.OpID(), plan.Work(), started.UTC()
	r.mu.Unlock()
	r.event(Event{Kind: EventClusterStart, Cluster: name, Wave: wi + 1, ClusterOp: op.OpID(),
		Message: fmt.Sprintf("%s started as %s", r.Spec.Kind, op.OpID())})
	r.progress(wi)

	stop, why := r.clusterSoftStop(soft, c)
	err = op.Execute(ctx, stop)
	msg := "done"
	if err != nil {
		msg = err.Error()
	} else if im, ok := plan.(interface{ Impossible() error }); ok && im.Impossible() != nil {
		// A repair that did what it could (reassign): the cluster is done, and says what is left.
		msg = "done; " + im.Impossible().Error()
	}
	r.finish(name, op.OpID(), outcomeOf(err, why()), msg, plan.Work(), started)
}

// clusterSoftStop is the soft stop handed to a cluster's operation: closed by the operator's
// first interrupt, by the failure budget, or by the end of the cluster's maintenance window (a
// batch started inside the window finishes). why says which, once it is closed.
func (r *Run) clusterSoftStop(soft <-chan struct{}, c *inventory.Cluster) (<-chan struct{}, func() string) {
	stop := make(chan struct{})
	var reason string
	var windowEnd <-chan time.Time
	if !r.Spec.Policy.IgnoreWindows && c.Maintenance != nil && len(c.Maintenance.Windows) > 0 {
		windowEnd = r.clock().After(c.Maintenance.Remaining(r.clock().Now()))
	}
	done := make(chan struct{})
	go func() {
		select {
		case <-soft:
			reason = OutcomeInterrupted
		case <-r.halt:
			reason = OutcomeStopped
		case <-windowEnd:
			reason = OutcomeWindowClosed
			r.event(Event{Cluster: c.Name, Kind: EventWaiting, Message: "its maintenance window closed: finishing the batch under way, then stopping"})
		case <-done:
		}
		close(stop)
	}()
	return stop, func() string {
		close(done)
		<-stop
		return reason
	}
}

// awaitWindow says whether the cluster may start now: inside its windows (or ignoring them), or
// once the next window opens within the policy's wait. A cluster that may not is finished as
// outside its window.
func (r *Run) awaitWindow(ctx context.Context, soft <-chan struct{}, wi int, c *inventory.Cluster) bool {
	m := c.Maintenance
	now := r.clock().Now()
	if r.Spec.Policy.IgnoreWindows || m.Open(now) {
		return true
	}
	start, _, ok := m.Next(now)
	wait := start.Sub(now)
	if !ok || r.Spec.Policy.WindowWait <= 0 || wait > r.Spec.Policy.WindowWait {
		msg := fmt.Sprintf("outside its maintenance windows (%s)", m)
		if ok {
			msg += fmt.Sprintf("; the next opens %s, in %s", m.Local(start).Format("Mon 15:04 MST"), roundDur(wait))
		}
		if r.Spec.Policy.WindowWait > 0 {
			msg += fmt.Sprintf(", after --window-wait %s", roundDur(r.Spec.Policy.WindowWait))
		}
		r.finish(c.Name, "", OutcomeOutsideWindow, msg, 0, time.Time{})
		return false
	}
	r.event(Event{Kind: EventWaiting, Cluster: c.Name, Wave: wi + 1,
		Message: fmt.Sprintf("waiting %s for its maintenance window (%s) to open at %s", roundDur(wait), m, m.Local(start).Format("Mon 15:04 MST"))})
	select {
	case <-r.clock().After(wait):
		return true
	case <-soft:
	case <-r.halt:
	case <-ctx.Done():
	}
	r.finish(c.Name, "", OutcomeNotStarted, "the fleet run stopped while it waited for its maintenance window", 0, time.Time{})
	return false
}

// finish records a cluster's result and says so.
func (r *Run) finish(name, op, outcome, msg string, brokers int, started time.Time) {
	r.mu.Lock()
	res := r.results[name]
	res.Op, res.Outcome, res.Message = op, outcome, msg
	if brokers > 0 {
		res.Brokers = brokers
	}
	if !started.IsZero() {
		res.Started = started.UTC()
		res.Seconds = r.clock().Now().Sub(started).Seconds()
	}
	delete(r.running, name)
	wave := res.Wave
	r.mu.Unlock()
	r.event(Event{Kind: EventClusterDone, Cluster: name, Wave: wave, ClusterOp: op, Outcome: outcome,
		Message: msg})
	if outcome == OutcomeFailed {
		r.fail()
	}
	r.progress(wave - 1)
}

// progress says the wave's counts.
func (r *Run) progress(wi int) {
	c := r.counts(r.Spec.Waves[wi])
	r.event(Event{Kind: EventProgress, Wave: wi + 1, Waves: len(r.Spec.Waves), Counts: &c,
		Message: fmt.Sprintf("wave %d/%d: %s", wi+1, len(r.Spec.Waves), c)})
}

func (r *Run) result(name string) *ClusterResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.results[name]
}

// roundDur shows a duration to the second (to the minute past an hour).
func roundDur(d time.Duration) string {
	if d >= time.Hour {
		return d.Round(time.Minute).String()
	}
	return d.Round(time.Second).String()
}
