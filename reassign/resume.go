package reassign

import (
	"context"
	"fmt"
)

// Resumed is an interrupted reassignment ready to continue: its journal, what is already done
// or in flight (from ListPartitionReassignments and metadata, checked against the journal), and
// the moves still to run.
type Resumed struct {
	Journal *OpJournal
	Prior   Prior
	Args    Args
	Notes   []string
}

// PrepareResume rebuilds an operation's state from its journal and the cluster. A move is done
// when the cluster shows its target, in flight when the cluster is moving it to its target,
// still to run when the cluster shows its old replicas; anything else was changed by someone
// and is left out (a note says so). A move still to run whose new brokers no longer serve makes
// the plan stale: that is an error, and the operator plans again.
func PrepareResume(ctx context.Context, k Kafka, stateDir, id string) (*Resumed, error) {
	oj, err := LoadJournal(stateDir, id)
	if err != nil {
		return nil, err
	}
	switch {
	case oj.Cancelled:
		return nil, &InvalidError{What: "operation " + id, Problems: []string{"it was cancelled with kfleet reassign cancel; plan again (kfleet reassign plan / apply --auto)"}}
	case oj.Ended == EventFinished:
		return nil, &InvalidError{What: "operation " + id, Problems: []string{"it is already done"}}
	}
	live, err := k.Reassigning(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("listing reassignments: %w", err)
	}
	tps := make([]TopicPartition, len(oj.Args.Moves))
	for i, m := range oj.Args.Moves {
		tps[i] = m.TopicPartition
	}
	reps, err := k.Replicas(ctx, tps)
	if err != nil {
		return nil, fmt.Errorf("reading replicas: %w", err)
	}
	bs, err := k.Brokers(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading brokers: %w", err)
	}
	alive := map[int32]bool{}
	for _, b := range bs {
		alive[b.ID] = b.Alive()
	}

	r := &Resumed{Journal: oj, Args: oj.Args, Prior: Prior{Done: map[TopicPartition]bool{}, Running: map[TopicPartition]bool{},
		Throttles: oj.Throttles.Outstanding()}}
	r.Args.Moves = nil
	var stale []string
	for _, m := range oj.Args.Moves {
		tp := m.TopicPartition
		cur, known := reps[tp]
		lr, moving := live[tp]
		switch {
		case moving && sameSet(lr.Adding, m.Adding()) && sameSet(lr.Removing, m.Removing()):
			r.Prior.Running[tp] = true
		case moving:
			r.Notes = append(r.Notes, fmt.Sprintf("%s: being reassigned by someone else (adding %v, removing %v); left out", tp, lr.Adding, lr.Removing))
			continue
		case oj.Done[tp] || (known && sameSet(cur, m.Target)):
			r.Prior.Done[tp] = true
		case !known:
			r.Notes = append(r.Notes, fmt.Sprintf("%s: no longer in the cluster (topic deleted?); left out", tp))
			continue
		case !sameSet(cur, m.Replicas):
			r.Notes = append(r.Notes, fmt.Sprintf("%s: replicas are now %v, not the %v the plan started from; left out", tp, cur, m.Replicas))
			continue
		default:
			for _, a := range m.Adding() {
				if !alive[a] {
					stale = append(stale, fmt.Sprintf("%s: new replica broker %d is not serving", tp, a))
				}
			}
		}
		r.Args.Moves = append(r.Args.Moves, m)
	}
	if len(stale) > 0 {
		return nil, &InvalidError{What: "operation " + id + ": the plan no longer fits the cluster; cancel what is left (kfleet reassign cancel) and plan again", Problems: stale}
	}
	return r, nil
}
