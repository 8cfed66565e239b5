package reassign

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/kfleet/kfleet/ops/cluster"
)

// part is one partition for test snapshots: replicas, and the ISR (nil: every replica on a
// serving broker).
type part struct {
	topic    string
	id       int32
	replicas []int32
	isr      []int32
}

func p(topic string, id int32, replicas ...int32) part {
	return part{topic: topic, id: id, replicas: replicas}
}

// brokers builds registered brokers from "id:rack" or "id:rack:fenced" entries.
func brokers(specs ...string) []cluster.Broker {
	var out []cluster.Broker
	for _, s := range specs {
		f := strings.Split(s, ":")
		var id int32
		fmt.Sscan(f[0], &id)
		b := cluster.Broker{ID: id}
		if len(f) > 1 {
			b.Rack = f[1]
		}
		b.Fenced = len(f) > 2 && f[2] == "fenced"
		out = append(out, b)
	}
	return out
}

// snap builds a snapshot; every topic has min ISR 2. A partition's leader is its first in-sync
// replica, or -1 when none.
func snap(bs []cluster.Broker, parts ...part) *cluster.Snapshot {
	s := &cluster.Snapshot{Cluster: "test", Brokers: bs}
	alive := map[int32]bool{}
	for _, b := range bs {
		alive[b.ID] = b.Alive()
	}
	topics := map[string]int32{}
	for _, pt := range parts {
		ti, ok := topics[pt.topic]
		if !ok {
			ti = int32(len(s.Topics))
			topics[pt.topic] = ti
			s.Topics = append(s.Topics, cluster.Topic{Name: pt.topic, MinISR: 2})
		}
		isr := pt.isr
		if isr == nil {
			for _, r := range pt.replicas {
				if alive[r] {
					isr = append(isr, r)
				}
			}
		}
		leader := int32(-1)
		if len(isr) > 0 {
			leader = isr[0]
		}
		s.Partitions = append(s.Partitions, cluster.Partition{Topic: ti, ID: pt.id, Leader: leader,
			Replicas: pt.replicas, ISR: isr})
	}
	return s
}

func mustPlan(t *testing.T, in PlanInput) *Plan {
	t.Helper()
	pl, err := PlanMoves(in)
	if err != nil {
		t.Fatal(err)
	}
	return pl
}

// checkInvariants pins what every plan must satisfy: only replicas on affected brokers move,
// each in its own position; the new list has no duplicate and no affected broker it did not
// already have.
func checkInvariants(t *testing.T, s *cluster.Snapshot, pl *Plan) {
	t.Helper()
	affected := map[int32]bool{}
	for _, a := range pl.Affected {
		affected[a.ID] = true
	}
	for _, m := range pl.Moves {
		if len(m.Target) != len(m.Replicas) {
			t.Errorf("%s: replication factor changed: %v -> %v", m, m.Replicas, m.Target)
			continue
		}
		changed := 0
		for i := range m.Replicas {
			if m.Replicas[i] == m.Target[i] {
				continue
			}
			changed++
			if !affected[m.Replicas[i]] {
				t.Errorf("%s: healthy replica on broker %d (position %d) moved: %v -> %v", m, m.Replicas[i], i, m.Replicas, m.Target)
			}
			if affected[m.Target[i]] {
				t.Errorf("%s: replacement %d is itself affected", m, m.Target[i])
			}
		}
		if changed != len(m.Changes) {
			t.Errorf("%s: %d positions differ but %d changes listed", m, changed, len(m.Changes))
		}
		seen := map[int32]bool{}
		for _, r := range m.Target {
			if seen[r] {
				t.Errorf("%s: duplicate replica %d in %v", m, r, m.Target)
			}
			seen[r] = true
		}
	}
}

func TestPlanReplacesOnlyAffectedReplicasInPlace(t *testing.T) {
	tests := []struct {
		name   string
		bs     []cluster.Broker
		parts  []part
		from   []int32
		want   map[string][]int32 // partition -> target
		wantAf []AffectedBroker
	}{
		{
			name:   "fenced broker: its replica is replaced in the same position",
			bs:     brokers("1:a", "2:b", "3:c", "4:a", "5:b", "6:c:fenced"),
			parts:  []part{p("t", 0, 1, 6, 2), p("t", 1, 6, 4, 5), p("t", 2, 1, 2, 3)},
			want:   map[string][]int32{"t-0": {1, 3, 2}, "t-1": {3, 4, 5}},
			wantAf: []AffectedBroker{{ID: 6, Rack: "c", Why: WhyFenced}},
		},
		{
			name:   "unregistered broker (absent from the cluster)",
			bs:     brokers("1:a", "2:b", "3:c", "4:a", "5:b"),
			parts:  []part{p("t", 0, 1, 6, 2), p("t", 1, 3, 4, 5)},
			want:   map[string][]int32{"t-0": {1, 3, 2}},
			wantAf: []AffectedBroker{{ID: 6, Why: WhyNotRegistered}},
		},
		{
			name:   "named live broker is drained, nothing else moves",
			bs:     brokers("1:a", "2:b", "3:c", "4:a", "5:b", "6:c"),
			parts:  []part{p("t", 0, 5, 1, 3), p("t", 1, 6, 4, 5), p("t", 2, 1, 2, 3)},
			from:   []int32{5},
			want:   map[string][]int32{"t-0": {2, 1, 3}, "t-1": {6, 4, 2}},
			wantAf: []AffectedBroker{{ID: 5, Rack: "b", Why: WhyNamed}},
		},
		{
			name:  "two affected replicas in one partition, each replaced",
			bs:    brokers("1:a", "2:b", "3:c", "4:a", "5:b", "6:c:fenced"),
			parts: []part{p("t", 0, 5, 6, 1)},
			from:  []int32{5},
			want:  map[string][]int32{"t-0": {2, 3, 1}},
			wantAf: []AffectedBroker{{ID: 5, Rack: "b", Why: WhyNamed},
				{ID: 6, Rack: "c", Why: WhyFenced}},
		},
		{
			name:  "healthy cluster: nothing to do",
			bs:    brokers("1:a", "2:b", "3:c"),
			parts: []part{p("t", 0, 1, 2, 3)},
			want:  map[string][]int32{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := snap(tt.bs, tt.parts...)
			pl := mustPlan(t, PlanInput{Snapshot: s, From: tt.from})
			checkInvariants(t, s, pl)
			got := map[string][]int32{}
			for _, m := range pl.Moves {
				got[m.String()] = m.Target
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("targets %v, want %v", got, tt.want)
			}
			if !reflect.DeepEqual(pl.Affected, tt.wantAf) {
				t.Errorf("affected %+v, want %+v", pl.Affected, tt.wantAf)
			}
			if pl.ReplicaMoves != pl.ReplicasLost {
				t.Errorf("replica moves %d, replicas lost %d", pl.ReplicaMoves, pl.ReplicasLost)
			}
			if len(pl.Impossible) != 0 {
				t.Errorf("impossible: %+v", pl.Impossible)
			}
		})
	}
}

func TestPlanRackRules(t *testing.T) {
	tests := []struct {
		name     string
		bs       []cluster.Broker
		parts    []part
		racks    map[int32]string
		want     []int32
		wantNote string // substring; "" means no note
	}{
		{
			name:  "same rack as the lost replica when a broker there can take it",
			bs:    brokers("1:a", "2:b", "3:c", "4:a", "5:b", "6:c:fenced", "7:a", "8:b"),
			parts: []part{p("t", 0, 1, 2, 6)},
			want:  []int32{1, 2, 3},
		},
		{
			name: "lost rack has no eligible broker: a rack the partition does not use",
			// rack c is only broker 6 (dead); racks a and b are used; d is free.
			bs:       brokers("1:a", "2:b", "4:a", "5:b", "6:c:fenced", "9:d"),
			parts:    []part{p("t", 0, 1, 2, 6)},
			want:     []int32{1, 2, 9},
			wantNote: "placed in rack d, which the partition does not use",
		},
		{
			name:     "no free rack either: any broker, and the note says the rack now holds two",
			bs:       brokers("1:a", "2:b", "4:a", "5:b", "6:c:fenced"),
			parts:    []part{p("t", 0, 1, 2, 6)},
			want:     []int32{1, 2, 4},
			wantNote: "rack a now holds two of its replicas",
		},
		{
			name:  "unregistered broker's rack comes from the inventory",
			bs:    brokers("1:a", "2:b", "3:c", "4:a", "5:b"),
			parts: []part{p("t", 0, 1, 3, 6)},
			racks: map[int32]string{6: "b"},
			want:  []int32{1, 3, 2}, // 2 and 5 are rack b and equally loaded: the lower id
		},
		{
			name:     "unregistered broker with unknown rack: an unused rack, said so",
			bs:       brokers("1:a", "2:b", "3:c", "4:a", "5:b"),
			parts:    []part{p("t", 0, 1, 3, 6)},
			want:     []int32{1, 3, 2},
			wantNote: "the rack of broker 6 (unknown)",
		},
		{
			name:  "no racks anywhere: least loaded, no note",
			bs:    brokers("1", "2", "3", "4", "5:"),
			parts: []part{p("t", 0, 1, 2, 6), p("u", 0, 1, 2, 3)},
			want:  []int32{1, 2, 4},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := snap(tt.bs, tt.parts...)
			pl := mustPlan(t, PlanInput{Snapshot: s, Racks: tt.racks})
			checkInvariants(t, s, pl)
			if len(pl.Moves) != 1 {
				t.Fatalf("moves %+v", pl.Moves)
			}
			m := pl.Moves[0]
			if !slices.Equal(m.Target, tt.want) {
				t.Errorf("target %v, want %v", m.Target, tt.want)
			}
			note := m.Changes[0].Note
			if tt.wantNote == "" && note != "" || !strings.Contains(note, tt.wantNote) {
				t.Errorf("note %q, want %q", note, tt.wantNote)
			}
		})
	}
}

func TestPlanRackFromInventoryPicksLeastLoadedInThatRack(t *testing.T) {
	// Brokers 2 and 5 are rack b; 2 carries more, so 5 takes the replica of dead broker 6.
	s := snap(brokers("1:a", "2:b", "3:c", "4:a", "5:b"),
		p("t", 0, 1, 3, 6), p("u", 0, 2, 1, 3), p("u", 1, 2, 4, 3))
	pl := mustPlan(t, PlanInput{Snapshot: s, Racks: map[int32]string{6: "b"}})
	if got := pl.Moves[0].Target; !slices.Equal(got, []int32{1, 3, 5}) {
		t.Errorf("target %v, want [1 3 5]", got)
	}
	if pl.Affected[0].Rack != "b" {
		t.Errorf("affected %+v, want rack b", pl.Affected)
	}
}

func TestPlanSpreadsLoad(t *testing.T) {
	// 60 partitions lose a replica on dead broker 9; 6 other brokers, no racks. Counting moves
	// already planned, each takes 10.
	bs := brokers("1", "2", "3", "4", "5", "6", "7", "8", "9::fenced")
	var parts []part
	for i := range int32(60) {
		a, b := 1+i%4, 5+i%3 // brokers 1-4 and 5-7 hold the healthy replicas
		parts = append(parts, p("t", i, a, b, 9))
	}
	s := snap(bs, parts...)
	pl := mustPlan(t, PlanInput{Snapshot: s})
	checkInvariants(t, s, pl)
	after := map[int32]int{}
	for _, l := range pl.Load {
		after[l.ID] = l.ReplicasAfter
	}
	// Before: 1-4 hold 15 each, 5-7 hold 20 each, 8 holds 0: 8 fills up first.
	lo, hi := 1<<30, 0
	for id := int32(1); id <= 8; id++ {
		lo, hi = min(lo, after[id]), max(hi, after[id])
	}
	if hi-lo > 1 {
		t.Errorf("load after %v: spread %d, want at most 1", after, hi-lo)
	}
	if after[9] != 0 {
		t.Errorf("dead broker keeps %d replicas", after[9])
	}
}

func TestPlanSpreadsBytesWhenSizesKnown(t *testing.T) {
	// Broker 4 holds one huge partition, broker 5 many tiny ones: by bytes, 5 is less loaded.
	s := snap(brokers("1", "2", "3::fenced", "4", "5"),
		p("t", 0, 1, 2, 3), p("big", 0, 4, 1, 2),
		p("small", 0, 5, 1, 2), p("small", 1, 5, 1, 2), p("small", 2, 5, 1, 2))
	sizes := Sizes{"t": {0: 100}, "big": {0: 1 << 30}, "small": {0: 10, 1: 10, 2: 10}}
	pl := mustPlan(t, PlanInput{Snapshot: s, Sizes: sizes})
	if got := pl.Moves[0].Target; !slices.Equal(got, []int32{1, 2, 5}) {
		t.Errorf("with sizes: target %v, want [1 2 5] (fewest bytes)", got)
	}
	if pl.Bytes != 100 || pl.Moves[0].Bytes != 100 || !pl.SizesKnown {
		t.Errorf("bytes %d / %d, sizes known %v", pl.Bytes, pl.Moves[0].Bytes, pl.SizesKnown)
	}
	pl = mustPlan(t, PlanInput{Snapshot: s})
	if got := pl.Moves[0].Target; !slices.Equal(got, []int32{1, 2, 4}) {
		t.Errorf("without sizes: target %v, want [1 2 4] (fewest replicas)", got)
	}
}

func TestPlanUrgentFirst(t *testing.T) {
	s := snap(brokers("1", "2", "3", "4", "5", "6::fenced"),
		part{topic: "a", id: 0, replicas: []int32{1, 2, 3, 6}}, // ISR 3 > min 2
		part{topic: "b", id: 0, replicas: []int32{4, 6, 5}},    // ISR 2 = min 2
		part{topic: "c", id: 0, replicas: []int32{6, 1, 2}, isr: []int32{1}})
	pl := mustPlan(t, PlanInput{Snapshot: s})
	var order []string
	for _, m := range pl.Moves {
		order = append(order, fmt.Sprintf("%s/%v", m, m.Urgent))
	}
	want := []string{"c-0/true", "b-0/true", "a-0/false"}
	if !slices.Equal(order, want) {
		t.Errorf("order %v, want %v", order, want)
	}
}

func TestPlanImpossibleCasesAreNamed(t *testing.T) {
	tests := []struct {
		name      string
		bs        []cluster.Broker
		parts     []part
		from      []int32
		wantNames []string
		wantWhy   string
		wantMoves int
	}{
		{
			name:      "RF3 on three brokers, one dead: nowhere to go",
			bs:        brokers("1:a", "2:b", "3:c:fenced"),
			parts:     []part{p("t", 0, 1, 2, 3), p("t", 1, 2, 1, 3)},
			wantNames: []string{"t-0", "t-1"},
			wantWhy:   "already holds a replica",
		},
		{
			name:      "offline partition: no leader to copy from",
			bs:        brokers("1:a", "2:b", "3:c:fenced", "4:a:fenced", "5:b"),
			parts:     []part{p("t", 0, 3, 4), p("t", 1, 1, 3)},
			wantNames: []string{"t-0"},
			wantWhy:   "offline",
			wantMoves: 1,
		},
		{
			name:      "every other broker is affected",
			bs:        brokers("1:a", "2:b", "3:c"),
			parts:     []part{p("t", 0, 1, 2)},
			from:      []int32{1, 2, 3},
			wantNames: []string{"t-0"},
			wantWhy:   "no live broker outside the affected ones",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := snap(tt.bs, tt.parts...)
			pl := mustPlan(t, PlanInput{Snapshot: s, From: tt.from})
			checkInvariants(t, s, pl)
			if got := pl.ImpossibleNames(); !slices.Equal(got, tt.wantNames) {
				t.Errorf("impossible %v, want %v", got, tt.wantNames)
			}
			for _, im := range pl.Impossible {
				if !strings.Contains(im.Reason, tt.wantWhy) {
					t.Errorf("%s: reason %q, want it to say %q", im, im.Reason, tt.wantWhy)
				}
			}
			if len(pl.Moves) != tt.wantMoves {
				t.Errorf("moves %+v, want %d", pl.Moves, tt.wantMoves)
			}
			err := error(&ImpossibleError{Cluster: "test", Partitions: pl.ImpossibleNames()})
			if !strings.Contains(err.Error(), tt.wantNames[0]) {
				t.Errorf("error %q does not name %s", err, tt.wantNames[0])
			}
		})
	}
}

func TestPlanPartialRepairStillCoversWhatItCan(t *testing.T) {
	// Two of three replicas are lost; only one broker is left to take one: one replaced, the
	// other listed as impossible.
	s := snap(brokers("1:a", "2:b:fenced", "3:c:fenced", "4:a"), p("t", 0, 1, 2, 3))
	pl := mustPlan(t, PlanInput{Snapshot: s})
	checkInvariants(t, s, pl)
	if len(pl.Moves) != 1 || !slices.Equal(pl.Moves[0].Target, []int32{1, 4, 3}) {
		t.Fatalf("moves %+v", pl.Moves)
	}
	if len(pl.Impossible) != 1 || pl.Impossible[0].Broker != 3 {
		t.Errorf("impossible %+v, want the replica on broker 3", pl.Impossible)
	}
}

func TestPlanSkipsPartitionsBeingReassigned(t *testing.T) {
	s := snap(brokers("1", "2", "3", "4", "5::fenced"), p("t", 0, 1, 2, 5), p("t", 1, 2, 3, 5))
	s.Reassignments = []cluster.Reassignment{{Topic: "t", Partition: 1, Replicas: []int32{2, 3, 5, 4}, Adding: []int32{4}, Removing: []int32{5}}}
	pl := mustPlan(t, PlanInput{Snapshot: s})
	if len(pl.Moves) != 1 || pl.Moves[0].String() != "t-0" {
		t.Errorf("moves %+v", pl.Moves)
	}
	if len(pl.Skipped) != 1 || pl.Skipped[0].String() != "t-1" {
		t.Errorf("skipped %+v", pl.Skipped)
	}
}

func TestPlanUnknownFromBrokerIsInvalid(t *testing.T) {
	s := snap(brokers("1", "2", "3"), p("t", 0, 1, 2, 3))
	_, err := PlanMoves(PlanInput{Snapshot: s, From: []int32{42}})
	var inv *InvalidError
	if !errors.As(err, &inv) || !strings.Contains(err.Error(), "42") {
		t.Fatalf("err %v, want an InvalidError naming 42", err)
	}
}

// TestPlanDeterministic: the same cluster gives the same plan, run twice and whatever order the
// snapshot lists brokers, topics and partitions in.
func TestPlanDeterministic(t *testing.T) {
	s := synthetic(20, 40, 12, []int32{7}, false)
	sizes := syntheticSizes(s)
	for _, withSizes := range []bool{false, true} {
		in := PlanInput{Snapshot: s, From: []int32{3}}
		if withSizes {
			in.Sizes = sizes
		}
		a := mustPlan(t, in)
		b := mustPlan(t, in)
		if !reflect.DeepEqual(a, b) {
			t.Fatal("two runs differ")
		}
		checkInvariants(t, s, a)
		if a.ReplicaMoves != a.ReplicasLost || a.ReplicaMoves == 0 {
			t.Errorf("replica moves %d, lost %d", a.ReplicaMoves, a.ReplicasLost)
		}
		for seed := range uint64(5) {
			in.Snapshot = shuffled(s, seed)
			c := mustPlan(t, in)
			if !reflect.DeepEqual(a, c) {
				t.Fatalf("sizes %v, shuffle %d: plan differs", withSizes, seed)
			}
		}
	}
}

// shuffled returns a copy of s with brokers, topics and partitions in a random order.
func shuffled(s *cluster.Snapshot, seed uint64) *cluster.Snapshot {
	r := rand.New(rand.NewPCG(seed, 1))
	out := *s
	out.Brokers = slices.Clone(s.Brokers)
	r.Shuffle(len(out.Brokers), func(i, j int) { out.Brokers[i], out.Brokers[j] = out.Brokers[j], out.Brokers[i] })
	perm := r.Perm(len(s.Topics)) // new index of old topic i is perm[i]
	out.Topics = make([]cluster.Topic, len(s.Topics))
	for i, tp := range s.Topics {
		out.Topics[perm[i]] = tp
	}
	out.Partitions = slices.Clone(s.Partitions)
	for i := range out.Partitions {
		out.Partitions[i].Topic = int32(perm[out.Partitions[i].Topic])
	}
	r.Shuffle(len(out.Partitions), func(i, j int) {
		out.Partitions[i], out.Partitions[j] = out.Partitions[j], out.Partitions[i]
	})
	return &out
}

// synthetic builds a cluster of nBrokers (ids 1..n, racks a,b,c round robin) and nTopics topics
// of nParts partitions, RF3 on three consecutive brokers (three racks), min ISR 2. Dead brokers
// are fenced and out of every ISR; with unregistered they are absent from the cluster instead.
func synthetic(nBrokers, nTopics, nParts int, dead []int32, unregistered bool) *cluster.Snapshot {
	s := &cluster.Snapshot{Cluster: "synthetic"}
	isDead := map[int32]bool{}
	for _, d := range dead {
		isDead[d] = true
	}
	for id := int32(1); id <= int32(nBrokers); id++ {
		if isDead[id] && unregistered {
			continue
		}
		s.Brokers = append(s.Brokers, cluster.Broker{ID: id, Rack: string(rune('a' + (id-1)%3)), Fenced: isDead[id]})
	}
	s.Partitions = make([]cluster.Partition, 0, nTopics*nParts)
	for ti := range nTopics {
		s.Topics = append(s.Topics, cluster.Topic{Name: fmt.Sprintf("topic-%05d", ti), MinISR: 2})
		for pi := range nParts {
			start := (ti*7 + pi) % nBrokers
			reps := make([]int32, 3)
			isr := make([]int32, 0, 3)
			for j := range reps {
				reps[j] = int32((start+j)%nBrokers) + 1
				if !isDead[reps[j]] {
					isr = append(isr, reps[j])
				}
			}
			s.Partitions = append(s.Partitions, cluster.Partition{Topic: int32(ti), ID: int32(pi), Leader: isr[0],
				Replicas: reps, ISR: isr})
		}
	}
	return s
}

func syntheticSizes(s *cluster.Snapshot) Sizes {
	sizes := Sizes{}
	for i := range s.Partitions {
		p := &s.Partitions[i]
		name := s.Topics[p.Topic].Name
		if sizes[name] == nil {
			sizes[name] = map[int32]int64{}
		}
		sizes[name][p.ID] = int64(1+(i*7919)%1000) << 20
	}
	return sizes
}

// TestPlanLargeClusterInvariants runs the benchmark's shape (smaller) through the invariants:
// optimal replica moves, nothing healthy moved, and the load of the replacements spread.
func TestPlanLargeClusterInvariants(t *testing.T) {
	s := synthetic(30, 200, 30, []int32{30}, true)
	pl := mustPlan(t, PlanInput{Snapshot: s, Racks: map[int32]string{30: rackOf(30)}})
	checkInvariants(t, s, pl)
	if pl.ReplicaMoves != pl.ReplicasLost || len(pl.Impossible) != 0 {
		t.Fatalf("moves %d, lost %d, impossible %d", pl.ReplicaMoves, pl.ReplicasLost, len(pl.Impossible))
	}
	for _, m := range pl.Moves {
		for _, c := range m.Changes {
			if c.Note != "" || c.ToRack != rackOf(30) {
				t.Fatalf("%s: change %+v left the lost replica's rack", m, c)
			}
		}
	}
}

func rackOf(id int32) string { return string(rune('a' + (id-1)%3)) }

// BenchmarkPlan200k is SPEC section 6's target: 200k partitions x RF3, 100 brokers, one dead;
// under 1 s and 300 MB, and replica moves equal to replicas lost.
func BenchmarkPlan200k(b *testing.B) {
	s := synthetic(100, 2000, 100, []int32{100}, false)
	sizes := syntheticSizes(s)
	for _, bc := range []struct {
		name  string
		sizes Sizes
	}{{"replica-counts", nil}, {"sizes-known", sizes}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var pl *Plan
			for b.Loop() {
				var err error
				pl, err = PlanMoves(PlanInput{Snapshot: s, Sizes: bc.sizes})
				if err != nil {
					b.Fatal(err)
				}
			}
			if pl.ReplicaMoves != pl.ReplicasLost || pl.ReplicaMoves == 0 || len(pl.Impossible) > 0 {
				b.Fatalf("replica moves %d, replicas lost %d, impossible %d", pl.ReplicaMoves, pl.ReplicasLost, len(pl.Impossible))
			}
			b.ReportMetric(float64(pl.ReplicaMoves), "replica-moves")
		})
	}
}
