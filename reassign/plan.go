package reassign

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/cluster"
	"github.com/kfleet/kfleet/ops/fault"
)

// TopicPartition names one partition.
type TopicPartition struct {
	Topic     string `json:"topic" yaml:"topic"`
	Partition int32  `json:"partition" yaml:"partition"`
}

// String renders the partition as topic-N, the way Kafka's tools print it.
func (tp TopicPartition) String() string { return tp.Topic + "-" + strconv.Itoa(int(tp.Partition)) }

// Sizes are partition sizes in bytes (the largest replica) by topic and partition, from
// DescribeLogDirs.
type Sizes map[string]map[int32]int64

func (s Sizes) of(topic string, p int32) int64 { return s[topic][p] }

// PlanInput is what the planner works from.
type PlanInput struct {
	Snapshot *cluster.Snapshot
	// From names brokers to move replicas off although they may still serve (degraded, or being
	// drained). Brokers that are not registered or are fenced are affected without being named.
	From []int32
	// Racks gives the racks of brokers the cluster no longer lists (from the inventory), so the
	// replacement of a replica on an unregistered broker can stay in its rack. The cluster's own
	// rack wins for registered brokers.
	Racks map[int32]string
	// Sizes are partition sizes; nil when unknown, and load is then counted in replicas.
	Sizes Sizes
}

// Plan is a targeted reassignment: which replicas move where, and what cannot be repaired.
type Plan struct {
	Cluster  string           `json:"cluster" yaml:"cluster"`
	Affected []AffectedBroker `json:"affected" yaml:"affected"`
	// Moves are in the order they should run: partitions at or below min ISR first.
	Moves      []Move       `json:"moves" yaml:"moves"`
	Impossible []Impossible `json:"impossible" yaml:"impossible"`
	// Skipped are partitions with a replica on an affected broker that are being reassigned
	// already; the plan leaves them alone.
	Skipped      []TopicPartition `json:"skipped" yaml:"skipped"`
	Load         []BrokerLoad     `json:"load" yaml:"load"`
	ReplicasLost int              `json:"replicas_lost" yaml:"replicas_lost"` // replicas on affected brokers (skipped ones aside)
	ReplicaMoves int              `json:"replica_moves" yaml:"replica_moves"` // replicas the plan replaces
	Bytes        int64            `json:"bytes" yaml:"bytes"`                 // to copy; 0 when sizes are unknown
	SizesKnown   bool             `json:"sizes_known" yaml:"sizes_known"`
}

// AffectedBroker is a broker whose replicas the plan moves away, and why.
type AffectedBroker struct {
	ID   int32  `json:"id" yaml:"id"`
	Rack string `json:"rack" yaml:"rack"`
	Why  string `json:"why" yaml:"why"` // not registered, fenced, named
}

// Why a broker is affected.
const (
	WhyNotRegistered = "not registered"
	WhyFenced        = "fenced"
	WhyNamed         = "named"
)

// Move is one partition's new replica list.
type Move struct {
	TopicPartition `yaml:",inline"`
	Replicas       []int32  `json:"replicas" yaml:"replicas"` // now
	Target         []int32  `json:"target" yaml:"target"`
	Changes        []Change `json:"changes,omitempty" yaml:"changes,omitempty"`
	// Bytes to copy: the partition's size times the replicas added; 0 when unknown.
	Bytes  int64 `json:"bytes" yaml:"bytes"`
	Urgent bool  `json:"at_or_below_min_isr,omitempty" yaml:"at_or_below_min_isr,omitempty"`
}

// Change replaces the replica at one position of the list.
type Change struct {
	Position int    `json:"position" yaml:"position"`
	From     int32  `json:"from" yaml:"from"`
	To       int32  `json:"to" yaml:"to"`
	FromRack string `json:"from_rack,omitempty" yaml:"from_rack,omitempty"`
	ToRack   string `json:"to_rack,omitempty" yaml:"to_rack,omitempty"`
	Note     string `json:"note,omitempty" yaml:"note,omitempty"` // set when the rack rule had to bend
}

// Adding lists the brokers the move adds, in target order.
func (m *Move) Adding() []int32 { return minus(m.Target, m.Replicas) }

// Removing lists the brokers the move drops, in replica order.
func (m *Move) Removing() []int32 { return minus(m.Replicas, m.Target) }

func minus(a, b []int32) []int32 {
	var out []int32
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// Impossible is a replica on an affected broker that no broker can take.
type Impossible struct {
	TopicPartition `yaml:",inline"`
	Replicas       []int32 `json:"replicas" yaml:"replicas"`
	Broker         int32   `json:"broker" yaml:"broker"` // the affected broker, -1 for the whole partition
	Reason         string  `json:"reason" yaml:"reason"`
}

// BrokerLoad is one broker's load before and after the plan.
type BrokerLoad struct {
	ID             int32  `json:"id" yaml:"id"`
	Rack           string `json:"rack" yaml:"rack"`
	State          string `json:"state" yaml:"state"` // alive, fenced, not registered
	Affected       bool   `json:"affected" yaml:"affected"`
	ReplicasBefore int    `json:"replicas_before" yaml:"replicas_before"`
	ReplicasAfter  int    `json:"replicas_after" yaml:"replicas_after"`
	BytesBefore    int64  `json:"bytes_before" yaml:"bytes_before"`
	BytesAfter     int64  `json:"bytes_after" yaml:"bytes_after"`
}

// ImpossibleNames lists the partitions the plan cannot fully repair, by name, once each.
func (p *Plan) ImpossibleNames() []string {
	var out []string
	seen := map[TopicPartition]bool{}
	for _, im := range p.Impossible {
		if !seen[im.TopicPartition] {
			seen[im.TopicPartition] = true
			out = append(out, im.String())
		}
	}
	return out
}

// ImpossibleError says the plan could not repair some partitions; it covers the rest. Exit 3.
type ImpossibleError struct {
	Cluster    string
	Partitions []string
}

func (e *ImpossibleError) Error() string {
	names := e.Partitions
	more := ""
	if len(names) > 10 {
		more = fmt.Sprintf(" and %d more", len(names)-10)
		names = names[:10]
	}
	return fmt.Sprintf("cluster %s: %d partition(s) cannot be repaired by moving replicas: %s%s (see the plan's impossible list)",
		e.Cluster, len(e.Partitions), strings.Join(names, ", "), more)
}

// FaultKind says what kind of failure this is (the check found a problem).
func (e *ImpossibleError) FaultKind() fault.Kind { return fault.CheckFailed }

// InvalidError says the input (a plan file, a broker list) does not fit the cluster; nothing
// was changed. Exit 2.
type InvalidError struct {
	What     string
	Problems []string
}

func (e *InvalidError) Error() string {
	if len(e.Problems) == 1 {
		return e.What + ": " + e.Problems[0]
	}
	return e.What + ":\n  " + strings.Join(e.Problems, "\n  ")
}

// FaultKind says what kind of failure this is (usage: nothing was changed).
func (e *InvalidError) FaultKind() fault.Kind { return fault.Usage }

// brokerTable holds per-broker facts and running load, indexed densely; ids are looked up
// through a slice when they are small (the usual case) and a map otherwise, so the planner's
// walk over every replica stays a few nanoseconds per replica.
type brokerTable struct {
	id         []int32
	rack       []string
	registered []bool
	alive      []bool
	affected   []bool
	why        []string
	replicas   []int
	bytes      []int64
	repBefore  []int
	bytBefore  []int64
	dense      []int32 // id -> index+1; 0 when absent
	sparse     map[int32]int32
}

const denseLimit = 1 << 16

func newBrokerTable(bs []cluster.Broker) *brokerTable {
	t := &brokerTable{sparse: map[int32]int32{}}
	maxID := int32(-1)
	for _, b := range bs {
		maxID = max(maxID, b.ID)
	}
	if maxID >= 0 && maxID < denseLimit {
		t.dense = make([]int32, maxID+1)
	}
	for _, b := range bs {
		i := t.add(b.ID, b.Rack)
		t.registered[i] = true
		t.alive[i] = b.Alive()
	}
	return t
}

func (t *brokerTable) add(id int32, rack string) int {
	i := len(t.id)
	t.id = append(t.id, id)
	t.rack = append(t.rack, rack)
	t.registered = append(t.registered, false)
	t.alive = append(t.alive, false)
	t.affected = append(t.affected, false)
	t.why = append(t.why, "")
	t.replicas = append(t.replicas, 0)
	t.bytes = append(t.bytes, 0)
	if id >= 0 && int(id) < len(t.dense) {
		t.dense[id] = int32(i + 1)
	} else {
		t.sparse[id] = int32(i)
	}
	return i
}

func (t *brokerTable) index(id int32) int {
	if id >= 0 && int(id) < len(t.dense) {
		return int(t.dense[id]) - 1
	}
	if i, ok := t.sparse[id]; ok {
		return int(i)
	}
	return -1
}

// indexOrAdd finds a broker, adding it as unregistered (and so affected) on first sight.
func (t *brokerTable) indexOrAdd(id int32, racks map[int32]string) int {
	if i := t.index(id); i >= 0 {
		return i
	}
	i := t.add(id, racks[id])
	t.affected[i] = true
	t.why[i] = WhyNotRegistered
	return i
}

func (t *brokerTable) state(i int) string {
	switch {
	case !t.registered[i]:
		return "not registered"
	case !t.alive[i]:
		return "fenced"
	}
	return "alive"
}

// PlanMoves plans the targeted reassignment. It is pure and linear in replicas plus, per moved
// replica, linear in brokers.
//
// A broker is affected when it is not registered, fenced (not serving: under KRaft a dead
// broker stays registered as fenced, so this is how a dead broker shows), or named in From.
// Every partition with a replica on an affected broker gets that replica replaced in the same
// position of its list; healthy replicas never move. The replacement is a live, unaffected
// broker not already in the list: in the lost replica's rack when one can take it, else in a
// rack the partition does not use, else any (the change's note says so); the least loaded
// (bytes when sizes are known, then replicas, counting moves already planned), lowest id on a
// tie. Partitions at or below min ISR are planned and listed first.
func PlanMoves(in PlanInput) (*Plan, error) {
	s := in.Snapshot
	brokers := slices.Clone(s.Brokers)
	slices.SortFunc(brokers, func(a, b cluster.Broker) int { return cmp.Compare(a.ID, b.ID) })
	t := newBrokerTable(brokers)
	for i := range t.id {
		if !t.alive[i] {
			t.affected[i], t.why[i] = true, WhyFenced
		}
	}
	for _, id := range in.From {
		if i := t.index(id); i >= 0 && !t.affected[i] {
			t.affected[i], t.why[i] = true, WhyNamed
		}
	}

	// One walk over every replica: load per broker, and the partitions that need a move.
	var hit []int32
	for i := range s.Partitions {
		p := &s.Partitions[i]
		var size int64
		if in.Sizes != nil {
			size = in.Sizes.of(s.Topics[p.Topic].Name, p.ID)
		}
		touched := false
		for _, r := range p.Replicas {
			bi := t.index(r)
			if bi < 0 {
				bi = t.indexOrAdd(r, in.Racks)
			}
			t.replicas[bi]++
			t.bytes[bi] += size
			if t.affected[bi] {
				touched = true
			}
		}
		if touched {
			hit = append(hit, int32(i))
		}
	}
	var unknown []string
	for _, id := range in.From {
		if t.index(id) < 0 {
			unknown = append(unknown, strconv.Itoa(int(id)))
		}
	}
	if len(unknown) > 0 {
		return nil, &InvalidError{What: "--from-brokers", Problems: []string{fmt.Sprintf(
			"broker(s) %s are neither registered in cluster %s nor hold any replica", strings.Join(unknown, ","), s.Cluster)}}
	}
	for _, id := range in.From {
		// A named broker that is unregistered was added as such; say it was named too.
		if i := t.index(id); i >= 0 && t.why[i] == WhyNotRegistered {
			t.why[i] = WhyNotRegistered + ", " + WhyNamed
		}
	}
	t.repBefore = slices.Clone(t.replicas)
	t.bytBefore = slices.Clone(t.bytes)

	reassigning := make(map[TopicPartition]bool, len(s.Reassignments))
	for _, r := range s.Reassignments {
		reassigning[TopicPartition{r.Topic, r.Partition}] = true
	}

	// Urgent first (at or below min ISR), then least headroom, then by name: deterministic
	// whatever order the snapshot lists things in.
	headroom := func(p *cluster.Partition) int { return len(p.ISR) - s.Topics[p.Topic].MinISR }
	urgent := func(p *cluster.Partition) bool {
		m := s.Topics[p.Topic].MinISR
		return m > 0 && len(p.ISR) <= m
	}
	slices.SortFunc(hit, func(a, b int32) int {
		pa, pb := &s.Partitions[a], &s.Partitions[b]
		ua, ub := urgent(pa), urgent(pb)
		if ua != ub {
			if ua {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(headroom(pa), headroom(pb)); c != 0 {
			return c
		}
		if c := strings.Compare(s.Topics[pa.Topic].Name, s.Topics[pb.Topic].Name); c != 0 {
			return c
		}
		return cmp.Compare(pa.ID, pb.ID)
	})

	// Candidates: live, unaffected brokers, by id.
	var cands []int
	hasRacks := false
	for i := range t.id {
		if t.rack[i] != "" {
			hasRacks = true
		}
		if t.registered[i] && t.alive[i] && !t.affected[i] {
			cands = append(cands, i)
		}
	}
	less := func(a, b int) bool {
		if in.Sizes != nil && t.bytes[a] != t.bytes[b] {
			return t.bytes[a] < t.bytes[b]
		}
		if t.replicas[a] != t.replicas[b] {
			return t.replicas[a] < t.replicas[b]
		}
		return t.id[a] < t.id[b]
	}

	plan := &Plan{Cluster: s.Cluster, SizesKnown: in.Sizes != nil, Moves: make([]Move, 0, len(hit))}
	var used []string
	for _, pi := range hit {
		p := &s.Partitions[pi]
		tp := TopicPartition{s.Topics[p.Topic].Name, p.ID}
		if reassigning[tp] {
			plan.Skipped = append(plan.Skipped, tp)
			continue
		}
		var size int64
		if in.Sizes != nil {
			size = in.Sizes.of(tp.Topic, tp.Partition)
		}
		lost := 0
		for _, r := range p.Replicas {
			if t.affected[t.index(r)] {
				lost++
			}
		}
		plan.ReplicasLost += lost
		if p.IsOffline() {
			plan.Impossible = append(plan.Impossible, Impossible{TopicPartition: tp, Replicas: p.Replicas, Broker: -1,
				Reason: fmt.Sprintf("offline: no leader to copy from; bring back one of brokers %s first", inventory.JoinIDs(p.Replicas))})
			continue
		}
		target := slices.Clone(p.Replicas)
		var changes []Change
		for pos, r := range p.Replicas {
			ri := t.index(r)
			if !t.affected[ri] {
				continue
			}
			lostRack := t.rack[ri]
			used = used[:0]
			for q, x := range target {
				if q != pos && !t.affected[t.index(x)] {
					used = append(used, t.rack[t.index(x)])
				}
			}
			// One pass over the candidates keeps the best of each rack tier.
			best := [3]int{-1, -1, -1}
			for _, c := range cands {
				if slices.Contains(target, t.id[c]) {
					continue
				}
				tier := 2
				switch {
				case !hasRacks || (lostRack != "" && t.rack[c] == lostRack):
					tier = 0
				case t.rack[c] != "" && !slices.Contains(used, t.rack[c]):
					tier = 1
				}
				if best[tier] < 0 || less(c, best[tier]) {
					best[tier] = c
				}
			}
			chosen, tier := -1, 0
			for k, b := range best {
				if b >= 0 {
					chosen, tier = b, k
					break
				}
			}
			if chosen < 0 {
				why := "no live broker outside the affected ones"
				if len(cands) > 0 {
					why = "every live, unaffected broker already holds a replica of it"
				}
				plan.Impossible = append(plan.Impossible, Impossible{TopicPartition: tp, Replicas: p.Replicas, Broker: r,
					Reason: fmt.Sprintf("replica on broker %d: no eligible broker (%s)", r, why)})
				continue
			}
			target[pos] = t.id[chosen]
			t.replicas[chosen]++
			t.bytes[chosen] += size
			t.replicas[ri]--
			t.bytes[ri] -= size
			changes = append(changes, Change{Position: pos, From: r, To: t.id[chosen], FromRack: lostRack,
				ToRack: t.rack[chosen], Note: rackNote(tier, hasRacks, r, lostRack, t.rack[chosen])})
		}
		if len(changes) == 0 {
			continue
		}
		plan.ReplicaMoves += len(changes)
		plan.Bytes += size * int64(len(changes))
		plan.Moves = append(plan.Moves, Move{TopicPartition: tp, Replicas: p.Replicas, Target: target,
			Changes: changes, Bytes: size * int64(len(changes)), Urgent: urgent(p)})
	}

	for i := range t.id {
		if t.affected[i] {
			plan.Affected = append(plan.Affected, AffectedBroker{ID: t.id[i], Rack: t.rack[i], Why: t.why[i]})
		}
		plan.Load = append(plan.Load, BrokerLoad{ID: t.id[i], Rack: t.rack[i], State: t.state(i), Affected: t.affected[i],
			ReplicasBefore: t.repBefore[i], ReplicasAfter: t.replicas[i], BytesBefore: t.bytBefore[i], BytesAfter: t.bytes[i]})
	}
	slices.SortFunc(plan.Affected, func(a, b AffectedBroker) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(plan.Load, func(a, b BrokerLoad) int { return cmp.Compare(a.ID, b.ID) })
	return plan, nil
}

func rackNote(tier int, hasRacks bool, from int32, lostRack, toRack string) string {
	if !hasRacks {
		return ""
	}
	where := fmt.Sprintf("rack %s (of broker %d)", lostRack, from)
	if lostRack == "" {
		where = fmt.Sprintf("the rack of broker %d (unknown)", from)
	}
	switch tier {
	case 1:
		return fmt.Sprintf("no eligible broker in %s; placed in rack %s, which the partition does not use", where, toRack)
	case 2:
		return fmt.Sprintf("no eligible broker in %s nor in a rack the partition does not use; rack %s now holds two of its replicas", where, toRack)
	}
	return ""
}
