package rollout

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kfleet/kfleet/ops/cluster"
)

const planLeaderNow = int64(1_700_000_000_000)

// planCluster is a snapshot of the given brokers (id -> rack) holding RF3 topics with this min
// ISR, partitions placed by place(i) for i in 0..n-1, and, when voters is set, a KRaft quorum of
// those voters, all caught up, led by controller.
type planCluster struct {
	racks      map[int32]string
	minISR     int
	partitions int
	place      func(i int) []int32
	voters     []int32
	controller int32
}

func (c planCluster) snapshot() *cluster.Snapshot {
	s := &cluster.Snapshot{Cluster: "payments-prod", Controller: c.controller}
	for id, r := range c.racks {
		s.Brokers = append(s.Brokers, cluster.Broker{ID: id, Host: fmt.Sprintf("k%d", id), Rack: r})
	}
	slices.SortFunc(s.Brokers, func(a, b cluster.Broker) int { return int(a.ID - b.ID) })
	for _, name := range []string{"audit", "orders", "payments"} {
		s.Topics = append(s.Topics, cluster.Topic{Name: name, MinISR: c.minISR})
	}
	for i := range c.partitions {
		r := c.place(i)
		t := i % len(s.Topics)
		s.Partitions = append(s.Partitions, cluster.Partition{Topic: int32(t), ID: int32(i / len(s.Topics)),
			Leader: r[0], Replicas: r, ISR: slices.Clone(r)})
	}
	if len(c.voters) > 0 {
		q := &cluster.Quorum{LeaderID: c.controller}
		for _, v := range c.voters {
			q.Voters = append(q.Voters, cluster.QuorumReplica{ID: v, LastFetchMs: planLeaderNow, LastCaughtUpMs: planLeaderNow})
		}
		s.Quorum = q
	}
	s.Counts = s.Count()
	return s
}

// rackAware is the SPEC's reference cluster: brokers 1..6 in racks a (1, 4), b (2, 5), c (3, 6),
// the first three KRaft voters, broker 2 the active controller, 30 partitions RF3 min ISR 2 with
// one replica in each rack. The placement walks every combination, so every two brokers of
// different racks share a partition and brokers of the same rack share none.
var rackAware = planCluster{
	racks:      map[int32]string{1: "a", 2: "b", 3: "c", 4: "a", 5: "b", 6: "c"},
	minISR:     2,
	partitions: 30,
	place: func(i int) []int32 {
		r := []int32{[]int32{1, 4}[i%2], []int32{2, 5}[i/2%2], []int32{3, 6}[i/4%2]}
		k := i % 3 // spread the leaders
		return append(r[k:], r[:k]...)
	},
	voters:     []int32{1, 2, 3},
	controller: 2,
}

// consecutive places RF3 on three consecutive brokers of 1..n with no racks, so broker b shares
// partitions with b-2..b+2 and with nobody else.
func consecutive(n int) planCluster {
	racks := map[int32]string{}
	for id := 1; id <= n; id++ {
		racks[int32(id)] = ""
	}
	return planCluster{racks: racks, minISR: 2, partitions: 4 * n, controller: 3,
		place: func(i int) []int32 {
			return []int32{int32(i%n + 1), int32((i+1)%n + 1), int32((i+2)%n + 1)}
		}}
}

func TestPlanBatches(t *testing.T) {
	withLedger := func(c planCluster) *cluster.Snapshot {
		s := c.snapshot()
		s.Topics = append(s.Topics, cluster.Topic{Name: "ledger", MinISR: 2})
		s.Partitions = append(s.Partitions, cluster.Partition{Topic: int32(len(s.Topics) - 1), Leader: 1,
			Replicas: []int32{1, 2}, ISR: []int32{1, 2}})
		return s
	}
	withOffline := func(c planCluster) *cluster.Snapshot {
		s := c.snapshot()
		s.Partitions[0].Leader = -1
		return s
	}
	tests := []struct {
		name        string
		snap        *cluster.Snapshot
		brokers     []int32
		maxParallel int
		gate        cluster.GateOptions
		want        []Batch
	}{
		{name: "rack-aware, max parallel 2: one rack per batch, the controller's last",
			snap: rackAware.snapshot(), brokers: []int32{1, 2, 3, 4, 5, 6}, maxParallel: 2,
			want: []Batch{
				{[]int32{1, 4}, "rack a: brokers 1,4 pass the gate together (max parallel 2)"},
				{[]int32{3, 6}, "rack c: brokers 3,6 pass the gate together (max parallel 2)"},
				{[]int32{2, 5}, "rack b: brokers 2,5 pass the gate together (max parallel 2); holds the active controller (broker 2), so it goes last"},
			}},
		{name: "rack-aware, max parallel 3: no cross-rack pair is safe, still three batches of two",
			snap: rackAware.snapshot(), brokers: []int32{6, 5, 4, 3, 2, 1}, maxParallel: 3,
			want: []Batch{
				{[]int32{1, 4}, "rack a: brokers 1,4 pass the gate together; no other remaining broker can join them safely"},
				{[]int32{3, 6}, "rack c: brokers 3,6 pass the gate together; no broker left to add"},
				{[]int32{2, 5}, "rack b: brokers 2,5 pass the gate together; no other remaining broker can join them safely; " +
					"holds the active controller (broker 2), so it goes last"},
			}},
		{name: "rack-aware, max parallel 1: rack by rack, one at a time, the controller last",
			snap: rackAware.snapshot(), brokers: []int32{1, 2, 3, 4, 5, 6}, maxParallel: 1,
			want: []Batch{
				{[]int32{1}, "rack a: broker 1 (max parallel 1)"},
				{[]int32{4}, "rack a: broker 4 (max parallel 1)"},
				{[]int32{5}, "rack b: broker 5 (max parallel 1)"},
				{[]int32{3}, "rack c: broker 3 (max parallel 1)"},
				{[]int32{6}, "rack c: broker 6 (max parallel 1)"},
				{[]int32{2}, "rack b: broker 2 (max parallel 1); active controller, last"},
			}},
		{name: "no racks: pairs that share no partition, the controller's pair last",
			snap: consecutive(6).snapshot(), brokers: []int32{1, 2, 3, 4, 5, 6}, maxParallel: 2,
			want: []Batch{
				{[]int32{1, 4}, "brokers 1,4 pass the gate together (max parallel 2)"},
				{[]int32{2, 5}, "brokers 2,5 pass the gate together (max parallel 2)"},
				{[]int32{3, 6}, "brokers 3,6 pass the gate together (max parallel 2); holds the active controller (broker 3), so it goes last"},
			}},
		{name: "no racks, every pair shares a partition: one at a time",
			snap: consecutive(5).snapshot(), brokers: []int32{1, 2, 3, 4, 5}, maxParallel: 2,
			want: []Batch{
				{[]int32{1}, "broker 1 alone: no other remaining broker passes the gate with it"},
				{[]int32{2}, "broker 2 alone: no other remaining broker passes the gate with it"},
				{[]int32{4}, "broker 4 alone: no other remaining broker passes the gate with it"},
				{[]int32{5}, "broker 5 alone: no broker left to pair with"},
				{[]int32{3}, "broker 3 alone: no other remaining broker passes the gate with it; active controller, last"},
			}},
		{name: "the quorum keeps two voters from stopping together",
			snap:    planCluster{racks: map[int32]string{1: "", 2: "", 3: ""}, voters: []int32{1, 2, 3}, controller: 1}.snapshot(),
			brokers: []int32{1, 2, 3}, maxParallel: 3,
			want: []Batch{
				{[]int32{2}, "broker 2 alone: no other remaining broker passes the gate with it"},
				{[]int32{3}, "broker 3 alone: no broker left to pair with"},
				{[]int32{1}, "broker 1 alone: no other remaining broker passes the gate with it; active controller, last"},
			}},
		{name: "a broker the gate refuses even alone gets its own batch saying why",
			snap: withLedger(rackAware), brokers: []int32{1, 4}, maxParallel: 2,
			want: []Batch{
				{[]int32{1}, "rack a: broker 1 alone: the gate refuses even this broker alone right now (ledger-0 can never stay writable " +
					"through a restart: replication factor <= min.insync.replicas=2 (replicas [1 2], stopping [1]); only allowing " +
					"unavailability accepts that); the engine re-checks before this batch"},
				{[]int32{4}, "rack a: broker 4 alone: no broker left to pair with"},
			}},
		{name: "allowing unavailability lets the never-writable partition's broker pair up",
			snap: withLedger(rackAware), brokers: []int32{1, 4}, maxParallel: 2, gate: cluster.GateOptions{AllowUnavailable: true},
			want: []Batch{{[]int32{1, 4}, "rack a: brokers 1,4 pass the gate together (max parallel 2)"}}},
		{name: "an unhealthy cluster: every broker alone, each saying why",
			snap: withOffline(rackAware), brokers: []int32{2, 1}, maxParallel: 2,
			want: []Batch{
				{[]int32{1}, "rack a: broker 1 alone: the gate refuses even this broker alone right now (audit-0 is offline now, " +
					"no leader (replicas [1 2 3], isr [1 2 3])); the engine re-checks before this batch"},
				{[]int32{2}, "rack b: broker 2 alone: the gate refuses even this broker alone right now (audit-0 is offline now, " +
					"no leader (replicas [1 2 3], isr [1 2 3])); the engine re-checks before this batch; active controller, last"},
			}},
		{name: "nothing to restart",
			snap: rackAware.snapshot(), maxParallel: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := PlanBatches(PlanInput{Snapshot: tt.snap, Brokers: tt.brokers, MaxParallel: tt.maxParallel,
				Gate: tt.gate, Now: time.UnixMilli(planLeaderNow)})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("plan:\n%s\nwant:\n%s", planString(got), planString(tt.want))
			}
			planMustBeSafe(t, tt.snap, got, tt.gate)
		})
	}
}

// planMustBeSafe checks what every plan owes: each batch the gate accepts on its own whenever it
// holds more than one broker, and no two brokers of a batch sharing a partition at min ISR 2.
func planMustBeSafe(t *testing.T, s *cluster.Snapshot, plan []Batch, gate cluster.GateOptions) {
	t.Helper()
	for _, b := range plan {
		if len(b.Brokers) < 2 {
			continue
		}
		if r := cluster.CheckGate(s, b.Brokers, time.UnixMilli(planLeaderNow), gate); !r.OK {
			t.Errorf("batch %v fails the gate: %v", b.Brokers, r.Reasons)
		}
		for _, p := range s.Partitions {
			if s.Topics[p.Topic].MinISR != 2 || len(p.Replicas) < 3 {
				continue
			}
			n := 0
			for _, r := range p.Replicas {
				if slices.Contains(b.Brokers, r) {
					n++
				}
			}
			if n > 1 {
				t.Errorf("batch %v shares %s", b.Brokers, s.PartitionName(&p))
			}
		}
	}
}

func planString(plan []Batch) string {
	var b strings.Builder
	for _, x := range plan {
		fmt.Fprintf(&b, "  %v %q\n", x.Brokers, x.Why)
	}
	return b.String()
}

func TestPlanBatchesRefusesBadInput(t *testing.T) {
	tests := []struct {
		name        string
		snap        *cluster.Snapshot
		brokers     []int32
		maxParallel int
		want        string
	}{
		{"unknown broker", rackAware.snapshot(), []int32{1, 9}, 2,
			"plan batches: broker 9 is not registered with cluster payments-prod; check the inventory, or start it first"},
		{"unknown brokers", rackAware.snapshot(), []int32{12, 1, 9}, 2,
			"plan batches: brokers 9,12 are not registered with cluster payments-prod; check the inventory, or start them first"},
		{"duplicate", rackAware.snapshot(), []int32{1, 2, 1}, 2, "plan batches: broker 1 is listed twice"},
		{"max parallel 0", rackAware.snapshot(), []int32{1}, 0, "plan batches: max parallel must be at least 1, got 0"},
		{"no snapshot", nil, []int32{1}, 1, "plan batches: no cluster snapshot"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := PlanBatches(PlanInput{Snapshot: tt.snap, Brokers: tt.brokers, MaxParallel: tt.maxParallel})
			if err == nil || err.Error() != tt.want {
				t.Fatalf("err = %v, want %q (plan %v)", err, tt.want, plan)
			}
		})
	}
}

// TestPlanBatchesFencedBrokerIsPlanned: a registered but fenced broker is restarted like the
// others; the gate treats it as down already.
func TestPlanBatchesFencedBrokerIsPlanned(t *testing.T) {
	s := rackAware.snapshot()
	s.Brokers[3].Fenced = true // broker 4
	plan, err := PlanBatches(PlanInput{Snapshot: s, Brokers: []int32{4, 1}, MaxParallel: 2, Now: time.UnixMilli(planLeaderNow)})
	if err != nil {
		t.Fatal(err)
	}
	if want := [][]int32{{1, 4}}; len(plan) != 1 || !reflect.DeepEqual([][]int32{plan[0].Brokers}, want) {
		t.Fatalf("plan:\n%s", planString(plan))
	}
}

// A broker already down (a killed run's, being resumed) goes first: while it is down every
// other batch would find its partitions under-replicated and wait on the gate.
func TestPlanBatchesDownBrokerFirst(t *testing.T) {
	s := rackAware.snapshot()
	s.Brokers[3].Fenced = true // broker 4
	plan, err := PlanBatches(PlanInput{Snapshot: s, Brokers: []int32{1, 2, 3, 4}, MaxParallel: 1, Now: time.UnixMilli(planLeaderNow)})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan) == 0 || !reflect.DeepEqual(plan[0].Brokers, []int32{4}) {
		t.Fatalf("plan:\n%s\nwant broker 4 (fenced) first", planString(plan))
	}
}

// TestPlanBatchesDecidesAsTheGateWould checks the planner's shortcuts (the gate index and the
// conflicting pairs) against the same greedy plan asking cluster.CheckGate for every decision, over
// random clusters with racks, fenced brokers, lagging replicas, odd min ISR and a quorum.
func TestPlanBatchesDecidesAsTheGateWould(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.UnixMilli(planLeaderNow)
	for c := 0; c < 300; c++ {
		s := &cluster.Snapshot{Cluster: "r", Controller: int32(rng.IntN(9))}
		for id := int32(1); id <= 8; id++ {
			s.Brokers = append(s.Brokers, cluster.Broker{ID: id, Rack: []string{"", "a", "b"}[rng.IntN(3)], Fenced: rng.IntN(12) == 0})
		}
		for ti := range 3 {
			s.Topics = append(s.Topics, cluster.Topic{Name: fmt.Sprintf("t%d", ti), MinISR: rng.IntN(4)})
		}
		for pi := range rng.IntN(40) {
			p := cluster.Partition{Topic: int32(rng.IntN(3)), ID: int32(pi)}
			for _, k := range rng.Perm(8)[:rng.IntN(4)+1] {
				p.Replicas = append(p.Replicas, int32(k+1))
			}
			for _, r := range p.Replicas {
				if rng.IntN(10) > 0 {
					p.ISR = append(p.ISR, r)
				}
			}
			p.Leader = -1
			if len(p.ISR) > 0 && rng.IntN(30) > 0 {
				p.Leader = p.ISR[0]
			}
			s.Partitions = append(s.Partitions, p)
		}
		if rng.IntN(2) == 0 {
			s.Quorum = &cluster.Quorum{LeaderID: int32(rng.IntN(3) + 1)}
			for v := int32(1); v <= 3; v++ {
				s.Quorum.Voters = append(s.Quorum.Voters, cluster.QuorumReplica{ID: v, LastFetchMs: planLeaderNow,
					LastCaughtUpMs: planLeaderNow - int64(rng.IntN(8000))})
			}
		}
		var brokers []int32
		for _, k := range rng.Perm(8)[:rng.IntN(8)+1] {
			brokers = append(brokers, int32(k+1))
		}
		maxParallel := rng.IntN(4) + 1
		gate := cluster.GateOptions{AllowUnavailable: rng.IntN(2) == 0}

		plan, err := PlanBatches(PlanInput{Snapshot: s, Brokers: brokers, MaxParallel: maxParallel, Gate: gate, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		var got [][]int32
		for _, b := range plan {
			got = append(got, b.Brokers)
		}
		if want := planByGateAlone(s, brokers, maxParallel, gate, now); !reflect.DeepEqual(got, want) {
			t.Fatalf("cluster %d, brokers %v, max parallel %d: plan %v, asking the gate every time gives %v",
				c, brokers, maxParallel, got, want)
		}
	}
}

// planByGateAlone is PlanBatches' contract written the slow, obvious way.
func planByGateAlone(s *cluster.Snapshot, brokers []int32, maxParallel int, gate cluster.GateOptions, now time.Time) [][]int32 {
	rack := func(id int32) string { b, _ := s.Broker(id); return b.Rack }
	left := slices.Clone(brokers)
	byRack := func(a, b int32) int { return cmp.Or(strings.Compare(rack(a), rack(b)), cmp.Compare(a, b)) }
	fenced := func(id int32) bool { b, _ := s.Broker(id); return b.Fenced }
	slices.SortFunc(left, byRack)
	// Brokers already down come first, each batch listed in rack order.
	left = append(slices.DeleteFunc(slices.Clone(left), func(id int32) bool { return !fenced(id) }),
		slices.DeleteFunc(left, fenced)...)
	var plan [][]int32
	for len(left) > 0 {
		batch, rest := []int32{left[0]}, []int32{}
		for _, id := range left[1:] {
			if len(batch) < maxParallel && cluster.CheckGate(s, batch, now, gate).OK &&
				cluster.CheckGate(s, append(slices.Clone(batch), id), now, gate).OK {
				batch = append(batch, id)
			} else {
				rest = append(rest, id)
			}
		}
		slices.SortFunc(batch, byRack)
		plan, left = append(plan, batch), rest
	}
	controller := s.Controller
	if s.Quorum != nil {
		controller = s.Quorum.LeaderID
	}
	if i := slices.IndexFunc(plan, func(b []int32) bool { return slices.Contains(b, controller) }); i >= 0 {
		last := plan[i]
		plan = append(slices.Delete(plan, i, i+1), last)
	}
	return plan
}

// BenchmarkPlanBatches200k plans 100 brokers without racks over 200k partitions x RF3, max
// parallel 2, the engine re-planning on every poll while it waits. With consecutive placement
// each broker pairs up after a few tries; with scattered placement every two brokers share a
// partition, so each batch asks the gate about every remaining broker (n^2/2 checks).
func BenchmarkPlanBatches200k(b *testing.B) {
	ids := make([]int32, 100)
	for i := range ids {
		ids[i] = int32(i + 1)
	}
	scattered := consecutive(100)
	scattered.place = func(i int) []int32 {
		a := i%100 + 1
		d := i/100%49 + 1 // 1..49 apart: every pair of brokers meets
		return []int32{int32(a), int32((a-1+d)%100 + 1), int32((a-1+2*d)%100 + 1)}
	}
	for _, bc := range []struct {
		name string
		c    planCluster
	}{{"consecutive", consecutive(100)}, {"scattered", scattered}} {
		bc.c.partitions = 200_000
		s := bc.c.snapshot()
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				plan, err := PlanBatches(PlanInput{Snapshot: s, Brokers: ids, MaxParallel: 2, Now: time.UnixMilli(planLeaderNow)})
				if err != nil || len(plan) == 0 {
					b.Fatal(err, len(plan))
				}
			}
		})
	}
}
