package reassign

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// CancelPlan is what `kfleet reassign cancel` would do: revert kfleet's moves in flight (the
// operations of this state dir on this cluster) and remove the throttles they set.
// Reassignments kfleet did not start are left alone.
type CancelPlan struct {
	Cluster   string           `json:"cluster" yaml:"cluster"`
	Ops       []string         `json:"operations" yaml:"operations"`
	InFlight  []TopicPartition `json:"in_flight" yaml:"in_flight"`
	Throttles Throttles        `json:"throttles" yaml:"throttles"`
	Foreign   []string         `json:"not_kfleets" yaml:"not_kfleets"` // in flight, started by someone else: untouched

	journals []*OpJournal
}

// Empty says there is nothing to cancel.
func (c *CancelPlan) Empty() bool { return len(c.InFlight) == 0 && c.Throttles.Empty() }

// ours matches a reassignment in flight to the journaled move it came from: the same replicas
// being added and removed.
func ours(oj *OpJournal, live map[TopicPartition]reassignmentView) []TopicPartition {
	var out []TopicPartition
	for _, tp := range oj.Running() {
		lr, ok := live[tp]
		m, known := oj.Move(tp)
		if ok && known && sameSet(lr.adding, m.Adding()) && sameSet(lr.removing, m.Removing()) {
			out = append(out, tp)
		}
	}
	return out
}

type reassignmentView struct{ adding, removing []int32 }

func liveView(ctx context.Context, k Kafka) (map[TopicPartition]reassignmentView, error) {
	live, err := k.Reassigning(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("listing reassignments: %w", err)
	}
	out := make(map[TopicPartition]reassignmentView, len(live))
	for tp, r := range live {
		out[tp] = reassignmentView{r.Adding, r.Removing}
	}
	return out, nil
}

// FindCancel reads the state dir and the cluster; it changes nothing. opID "" takes every
// reassignment of this state dir on the cluster.
func FindCancel(ctx context.Context, k Kafka, stateDir, cluster, opID string) (*CancelPlan, error) {
	var journals []*OpJournal
	if opID != "" {
		oj, err := LoadJournal(stateDir, opID)
		if err != nil {
			return nil, err
		}
		if oj.Op.Cluster != cluster {
			return nil, &InvalidError{What: "operation " + opID, Problems: []string{fmt.Sprintf("it is on cluster %s, not %s", oj.Op.Cluster, cluster)}}
		}
		journals = []*OpJournal{oj}
	} else {
		var err error
		if journals, err = ListJournals(stateDir, cluster); err != nil {
			return nil, err
		}
	}
	live, err := liveView(ctx, k)
	if err != nil {
		return nil, err
	}
	c := &CancelPlan{Cluster: cluster, Ops: []string{}, InFlight: []TopicPartition{}, Foreign: []string{}}
	mine := map[TopicPartition]bool{}
	for _, oj := range journals {
		in := ours(oj, live)
		left := oj.Throttles.Outstanding()
		if len(in) == 0 && left.Empty() {
			continue
		}
		c.journals = append(c.journals, oj)
		c.Ops = append(c.Ops, oj.Op.ID)
		for _, tp := range in {
			mine[tp] = true
		}
		c.InFlight = append(c.InFlight, in...)
		c.Throttles.Entries = append(c.Throttles.Entries, left.Entries...)
		for _, b := range left.Brokers {
			if !slices.Contains(c.Throttles.Brokers, b) {
				c.Throttles.Brokers = append(c.Throttles.Brokers, b)
			}
		}
	}
	for tp := range live {
		if !mine[tp] {
			c.Foreign = append(c.Foreign, tp.String())
		}
	}
	slices.Sort(c.Foreign)
	sortThrottles(&c.Throttles)
	return c, nil
}

// CancelResult is what Cancel did.
type CancelResult struct {
	Cluster   string           `json:"cluster" yaml:"cluster"`
	Ops       []string         `json:"operations" yaml:"operations"`
	Cancelled []TopicPartition `json:"cancelled" yaml:"cancelled"`
	Removed   Throttles        `json:"throttles_removed" yaml:"throttles_removed"`
	Left      Throttles        `json:"throttles_left" yaml:"throttles_left"`
	Foreign   []string         `json:"not_kfleets" yaml:"not_kfleets"`
	// Reordered are cancelled partitions whose old replica order kfleet put back.
	Reordered []TopicPartition `json:"order_restored" yaml:"order_restored"`
}

// MarshalJSON writes every list as a list, [] when empty, never null (reassign cancel -o json's
// contract), however the result was built.
func (r CancelResult) MarshalJSON() ([]byte, error) {
	type result CancelResult // without this method
	out := result(r)
	for _, l := range []*[]TopicPartition{&out.Cancelled, &out.Reordered} {
		if *l == nil {
			*l = []TopicPartition{}
		}
	}
	for _, l := range []*[]string{&out.Ops, &out.Foreign} {
		if *l == nil {
			*l = []string{}
		}
	}
	return json.Marshal(out)
}

// Cancel reverts kfleet's moves in flight (AlterPartitionAssignments with no replicas: Kafka
// puts the old replica list back and drops the new replicas) and removes its throttles. It
// first writes a cancel request into each operation's journal, so a kfleet apply still running
// starts nothing more; it keeps cancelling what that run may still have submitted until no
// kfleet move has been in flight for a few polls. Bounded by timeout.
func Cancel(ctx context.Context, k Kafka, stateDir string, plan *CancelPlan, timeout time.Duration) (*CancelResult, error) {
	res := &CancelResult{Cluster: plan.Cluster, Ops: plan.Ops, Cancelled: []TopicPartition{}, Foreign: plan.Foreign,
		Reordered: []TopicPartition{}}
	deadline := time.Now().Add(timeout)
	journals := map[string]*Journal{}
	for _, oj := range plan.journals {
		j, err := OpenJournal(stateDir, oj.Op.ID)
		if err != nil {
			return res, err
		}
		defer j.Close()
		journals[oj.Op.ID] = j
		_ = j.Record(Event{Time: time.Now(), Op: oj.Op.ID, Cluster: oj.Op.Cluster, Kind: EventCancelRequested, Message: "kfleet reassign cancel: no new move may start"})
	}

	cancelled := map[TopicPartition]bool{}
	quiet := 0
	const quietPolls = 3 // a run may submit once more before it reads the request
	for quiet < quietPolls {
		live, err := liveView(ctx, k)
		if err != nil {
			return res, err
		}
		found := false
		for _, id := range plan.Ops {
			oj, err := LoadJournal(stateDir, id)
			if err != nil {
				return res, err
			}
			in := ours(oj, live)
			if len(in) == 0 {
				continue
			}
			found = true
			assign := make(map[TopicPartition][]int32, len(in))
			for _, tp := range in {
				assign[tp] = nil
			}
			perr, err := k.Alter(ctx, assign)
			if err != nil {
				return res, fmt.Errorf("cancelling %d move(s) of %s: %w", len(in), id, err)
			}
			var done []TopicPartition
			var errs []error
			for _, tp := range in {
				if e := perr[tp]; e != nil {
					errs = append(errs, fmt.Errorf("%s: %w", tp, e))
					continue
				}
				done = append(done, tp)
				if !cancelled[tp] {
					cancelled[tp] = true
					res.Cancelled = append(res.Cancelled, tp)
				}
			}
			_ = journals[id].Record(Event{Time: time.Now(), Op: id, Cluster: plan.Cluster, Kind: EventCancelled, Partitions: done,
				Message: fmt.Sprintf("kfleet reassign cancel: %d move(s) reverted", len(done))})
			if len(errs) > 0 && time.Now().After(deadline) {
				return res, errors.Join(errs...)
			}
		}
		if found {
			quiet = 0
		} else {
			quiet++
		}
		if time.Now().After(deadline) {
			return res, fmt.Errorf("cluster %s: kfleet moves were still being started after %s; is a kfleet apply still running without reading its journal?", plan.Cluster, timeout)
		}
		if quiet < quietPolls {
			if err := sleep(ctx, time.Second); err != nil {
				return res, err
			}
		}
	}

	if err := restoreOrder(ctx, k, stateDir, plan.Ops, res, journals); err != nil {
		return res, err
	}

	// Throttles last: every throttled move is reverted by now. Re-read: a run may have set more.
	bs, err := k.Brokers(ctx)
	if err != nil {
		return res, fmt.Errorf("reading brokers: %w", err)
	}
	alive := map[int32]bool{}
	for _, b := range bs {
		alive[b.ID] = b.Alive()
	}
	var errs []error
	for _, id := range plan.Ops {
		oj, err := LoadJournal(stateDir, id)
		if err != nil {
			return res, err
		}
		j := journals[id]
		thr := &Throttler{Kafka: k, Record: func(kind string, th Throttles) {
			_ = j.Record(Event{Time: time.Now(), Op: id, Cluster: plan.Cluster, Kind: kind, Throttles: &th, Message: th.Summary()})
			if kind == EventThrottleRemoved {
				res.Removed.Entries = append(res.Removed.Entries, th.Entries...)
				res.Removed.Brokers = append(res.Removed.Brokers, th.Brokers...)
			}
		}}
		thr.Restore(oj.Throttles.Outstanding())
		if err := thr.ReleaseAll(ctx, func(id int32) bool { return alive[id] }); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", id, err))
		}
		left := thr.Outstanding()
		res.Left.Entries = append(res.Left.Entries, left.Entries...)
		res.Left.Brokers = append(res.Left.Brokers, left.Brokers...)
		msg := fmt.Sprintf("cancelled with kfleet reassign cancel: %d move(s) reverted; throttles removed", countOf(res.Cancelled, oj))
		_ = j.Record(Event{Time: time.Now(), Op: id, Cluster: plan.Cluster, Kind: EventCancelled, Message: msg})
		_ = j.Record(Event{Time: time.Now(), Op: id, Cluster: plan.Cluster, Kind: EventFinished, Message: msg})
	}
	sortThrottles(&res.Removed)
	sortThrottles(&res.Left)
	return res, errors.Join(errs...)
}

// restoreOrder puts back the replica order of cancelled moves. Kafka's cancel keeps the old
// replicas but not their order (it drops the new ones from the list in flight, which has the
// target's order first), and the first replica is the preferred leader: a reassignment to the
// same replicas in the old order changes no data and completes at once.
func restoreOrder(ctx context.Context, k Kafka, stateDir string, ops []string, res *CancelResult, journals map[string]*Journal) error {
	if len(res.Cancelled) == 0 {
		return nil
	}
	cur, err := k.Replicas(ctx, res.Cancelled)
	if err != nil {
		return fmt.Errorf("reading the cancelled partitions' replicas: %w", err)
	}
	var errs []error
	for _, id := range ops {
		oj, err := LoadJournal(stateDir, id)
		if err != nil {
			return err
		}
		assign := map[TopicPartition][]int32{}
		for _, tp := range res.Cancelled {
			m, ok := oj.Move(tp)
			if r, known := cur[tp]; ok && known && sameSet(r, m.Replicas) && !slices.Equal(r, m.Replicas) {
				assign[tp] = m.Replicas
			}
		}
		if len(assign) == 0 {
			continue
		}
		perr, err := k.Alter(ctx, assign)
		if err != nil {
			errs = append(errs, fmt.Errorf("restoring the replica order: %w", err))
			continue
		}
		var done []TopicPartition
		for tp := range assign {
			if e := perr[tp]; e != nil {
				errs = append(errs, fmt.Errorf("restoring the replica order of %s: %w", tp, e))
				continue
			}
			done = append(done, tp)
		}
		sortTPs(done)
		res.Reordered = append(res.Reordered, done...)
		_ = journals[id].Record(Event{Time: time.Now(), Op: id, Cluster: res.Cluster, Kind: EventOrderRestored, Partitions: done,
			Message: fmt.Sprintf("kfleet reassign cancel: old replica order put back on %d partition(s)", len(done))})
	}
	// A reorder finishes at once; wait (briefly) until Kafka lists none of them.
	deadline := time.Now().Add(30 * time.Second)
	for len(res.Reordered) > 0 {
		live, err := k.Reassigning(ctx, res.Reordered)
		if err == nil && len(live) == 0 {
			break
		}
		if time.Now().After(deadline) {
			errs = append(errs, fmt.Errorf("restoring the replica order: still in flight after 30s"))
			break
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
	return errors.Join(errs...)
}

func sortTPs(tps []TopicPartition) {
	slices.SortFunc(tps, func(a, b TopicPartition) int {
		if a.Topic != b.Topic {
			if a.Topic < b.Topic {
				return -1
			}
			return 1
		}
		return int(a.Partition - b.Partition)
	})
}

func countOf(tps []TopicPartition, oj *OpJournal) int {
	n := 0
	for _, tp := range tps {
		if _, ok := oj.Move(tp); ok {
			n++
		}
	}
	return n
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
