package rollout

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/cluster"
)

// Batch is a set of brokers the engine takes down together, and why they were grouped so.
type Batch struct {
	Brokers []int32 `json:"brokers"`
	Why     string  `json:"why"`
}

// PlanInput is what a batch plan is computed from.
type PlanInput struct {
	Snapshot *cluster.Snapshot
	// Brokers to restart, in inventory order; every one must be registered with the cluster.
	Brokers     []int32
	MaxParallel int // >= 1
	Gate        cluster.GateOptions
	Now         time.Time
}

// PlanBatches splits the brokers into the largest batches the safety gate accepts, up to
// MaxParallel each. Brokers are taken in rack order, then by id; each batch starts with the first
// broker not yet planned and takes every later one (scanning all of them, not just the next)
// whose addition keeps the gate open on the current, healthy snapshot. Under rack-aware placement
// that yields one rack per batch. The batch holding the active controller goes last, so the
// controller moves once.
//
// A broker the gate refuses even alone (RF <= min ISR without AllowUnavailable, or a cluster
// unhealthy right now) still gets a batch of its own, whose Why says so: the engine re-checks the
// gate before every batch and waits or refuses there. Errors are for bad input only: no
// snapshot, MaxParallel < 1, a broker listed twice or not registered.
func PlanBatches(in PlanInput) ([]Batch, error) {
	s := in.Snapshot
	if s == nil {
		return nil, errors.New("plan batches: no cluster snapshot")
	}
	if in.MaxParallel < 1 {
		return nil, fmt.Errorf("plan batches: max parallel must be at least 1, got %d", in.MaxParallel)
	}
	rack := make(map[int32]string, len(in.Brokers))
	var unknown []int32
	for _, id := range in.Brokers {
		if _, dup := rack[id]; dup {
			return nil, fmt.Errorf("plan batches: broker %d is listed twice", id)
		}
		b, ok := s.Broker(id)
		if !ok {
			unknown = append(unknown, id)
		}
		rack[id] = b.Rack
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		one := len(unknown) == 1
		return nil, fmt.Errorf("plan batches: %s %s %s not registered with cluster %s; check the inventory, or start %s first",
			planVerb(one, "broker", "brokers"), inventory.JoinIDs(unknown), planVerb(one, "is", "are"), s.Cluster,
			planVerb(one, "it", "them"))
	}

	// Brokers already down (fenced: a run killed after its stop, or a resume of one) go first:
	// while one is down every other batch finds its partitions under-replicated.
	down := func(id int32) int {
		if b, _ := s.Broker(id); b.Fenced {
			return 0
		}
		return 1
	}
	order := slices.Clone(in.Brokers)
	slices.SortFunc(order, func(a, b int32) int {
		return cmp.Or(cmp.Compare(down(a), down(b)), strings.Compare(rack[a], rack[b]), cmp.Compare(a, b))
	})
	// Both are exact stand-ins for CheckGate on this snapshot, fast enough for the engine to
	// re-plan on every poll: the index visits only the partitions a set touches, and a
	// conflicting pair refuses every set that holds it.
	gate := cluster.NewGateIndex(s)
	conflicts := cluster.NewGateConflicts(s, in.Gate)
	check := func(ids []int32) cluster.GateResult { return gate.Check(ids, in.Now, in.Gate) }
	fits := func(batch []int32, id int32) bool {
		return !slices.ContainsFunc(batch, func(b int32) bool { return conflicts.Has(b, id) }) &&
			check(append(slices.Clip(batch), id)).OK
	}

	var plan []Batch
	for left := order; len(left) > 0; {
		batch := []int32{left[0]}
		alone := check(batch)
		var rest []int32
		if !alone.OK || in.MaxParallel == 1 {
			rest = left[1:]
		} else {
			for _, id := range left[1:] {
				if len(batch) < in.MaxParallel && fits(batch, id) {
					batch = append(batch, id)
				} else {
					rest = append(rest, id)
				}
			}
		}
		slices.SortFunc(batch, func(a, b int32) int { return cmp.Or(strings.Compare(rack[a], rack[b]), cmp.Compare(a, b)) })
		plan = append(plan, Batch{Brokers: batch, Why: planWhy(batch, rack, alone, len(rest) > 0, in.MaxParallel)})
		left = rest
	}

	controller := s.Controller
	if s.Quorum != nil {
		controller = s.Quorum.LeaderID
	}
	if i := slices.IndexFunc(plan, func(b Batch) bool { return slices.Contains(b.Brokers, controller) }); i >= 0 {
		last := plan[i]
		if len(last.Brokers) == 1 {
			last.Why += "; active controller, last"
		} else {
			last.Why += fmt.Sprintf("; holds the active controller (broker %d), so it goes last", controller)
		}
		plan = append(slices.Delete(plan, i, i+1), last)
	}
	return plan, nil
}

// planWhy says why a batch holds what it holds.
func planWhy(batch []int32, rack map[int32]string, alone cluster.GateResult, othersLeft bool, maxParallel int) string {
	var racks []string
	for _, id := range batch {
		if r := rack[id]; r != "" && !slices.Contains(racks, r) {
			racks = append(racks, r)
		}
	}
	prefix := ""
	if len(racks) > 0 {
		prefix = planVerb(len(racks) == 1, "rack ", "racks ") + strings.Join(racks, ",") + ": "
	}
	if len(batch) > 1 {
		why := prefix + "brokers " + inventory.JoinIDs(batch) + " pass the gate together"
		switch {
		case len(batch) == maxParallel:
			return why + fmt.Sprintf(" (max parallel %d)", maxParallel)
		case othersLeft:
			return why + "; no other remaining broker can join them safely"
		}
		return why + "; no broker left to add"
	}
	why := prefix + "broker " + inventory.JoinIDs(batch)
	switch {
	case !alone.OK:
		reason := "no reason given"
		if len(alone.Reasons) > 0 {
			reason = alone.Reasons[0]
		}
		return why + " alone: the gate refuses even this broker alone right now (" + reason +
			"); the engine re-checks before this batch"
	case maxParallel == 1:
		return why + " (max parallel 1)"
	case othersLeft:
		return why + " alone: no other remaining broker passes the gate with it"
	}
	return why + " alone: no broker left to pair with"
}

func planVerb(one bool, singular, plural string) string {
	if one {
		return singular
	}
	return plural
}
