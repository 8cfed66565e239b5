package cluster

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// gateTopicDef is one topic of a hand-built snapshot: its min ISR (0 = unknown) and its
// partitions, each written "replicas/isr" like "1 2 3/1 2". The leader is the first in-sync
// replica, or none when the partition ends in " offline".
type gateTopicDef struct {
	name   string
	minISR int
	parts  []string
}

// gateSnap builds a snapshot of brokers 1..n, all alive, holding these topics.
func gateSnap(n int, topics ...gateTopicDef) *Snapshot {
	s := &Snapshot{Cluster: "test", Controller: 1}
	for id := 1; id <= n; id++ {
		s.Brokers = append(s.Brokers, Broker{ID: int32(id), Host: fmt.Sprintf("k%d", id)})
	}
	for ti, t := range topics {
		s.Topics = append(s.Topics, Topic{Name: t.name, MinISR: t.minISR})
		for pi, spec := range t.parts {
			p := Partition{Topic: int32(ti), ID: int32(pi), Leader: -1}
			spec, offline := strings.CutSuffix(spec, " offline")
			replicas, isr, _ := strings.Cut(spec, "/")
			p.Replicas, p.ISR = gateIDs(replicas), gateIDs(isr)
			if len(p.ISR) > 0 && !offline {
				p.Leader = p.ISR[0]
			}
			s.Partitions = append(s.Partitions, p)
		}
	}
	s.Counts = s.Count()
	return s
}

func gateIDs(list string) []int32 {
	ids := []int32{}
	for _, f := range strings.Fields(list) {
		id, err := strconv.Atoi(f)
		if err != nil {
			panic(err)
		}
		ids = append(ids, int32(id))
	}
	return ids
}

// fenced marks brokers registered but fenced.
func fenced(s *Snapshot, ids ...int32) *Snapshot {
	for i := range s.Brokers {
		if slices.Contains(ids, s.Brokers[i].ID) {
			s.Brokers[i].Fenced = true
		}
	}
	return s
}

// gateQuorumAt is the KRaft quorum as its leader reports it at leaderNow (ms on the leader's
// clock): voters 1..3, leader 1, each follower last caught up at the given time (-1 = never).
func gateQuorumAt(s *Snapshot, leader int32, leaderNow int64, caughtUp map[int32]int64) *Snapshot {
	q := &Quorum{LeaderID: leader}
	for _, id := range []int32{3, 1, 2} { // Kafka's order is not sorted
		v := QuorumReplica{ID: id, LastFetchMs: -1, LastCaughtUpMs: -1}
		if id == leader {
			v.LastFetchMs, v.LastCaughtUpMs = leaderNow, leaderNow
		} else if t, ok := caughtUp[id]; ok {
			v.LastFetchMs, v.LastCaughtUpMs = t, t
		}
		q.Voters = append(q.Voters, v)
	}
	s.Quorum = q
	return s
}

// renumbered gives the brokers of a snapshot other ids, as clusters with broker.id 1001 and up
// have them.
func renumbered(s *Snapshot, ids map[int32]int32) *Snapshot {
	m := func(list []int32) {
		for i, id := range list {
			list[i] = ids[id]
		}
	}
	for i := range s.Brokers {
		s.Brokers[i].ID = ids[s.Brokers[i].ID]
	}
	slices.SortFunc(s.Brokers, func(a, b Broker) int { return int(a.ID - b.ID) })
	for i := range s.Partitions {
		p := &s.Partitions[i]
		m(p.Replicas)
		m(p.ISR)
		if p.Leader >= 0 {
			p.Leader = ids[p.Leader]
		}
	}
	return s
}

var (
	rf3 = []string{"1 2 3/1 2 3", "2 3 1/2 3 1", "3 1 2/3 1 2"}
	// Four brokers: orders-0 sits on 1 and 2, the others on only one of them.
	rf3on4 = []string{"1 2 3/1 2 3", "3 4 1/3 4 1", "2 4 3/2 4 3"}
)

func TestCheckGatePartitions(t *testing.T) {
	tests := []struct {
		name     string
		snap     *Snapshot
		down     []int32
		opts     GateOptions
		ok       bool
		reasons  []string
		blocking []string
		never    []string
	}{
		{name: "RF3 min ISR 2: one broker may go",
			snap: gateSnap(3, gateTopicDef{"orders", 2, rf3}), down: []int32{1}, ok: true},
		{name: "nothing stopping on a healthy cluster passes",
			snap: gateSnap(3, gateTopicDef{"orders", 2, rf3}), ok: true},
		{name: "RF3 min ISR 2: two brokers sharing a partition are refused, naming it",
			snap: gateSnap(4, gateTopicDef{"orders", 2, rf3on4}), down: []int32{1, 2},
			reasons:  []string{"orders-0 would drop below min.insync.replicas=2 (isr [1 2 3], stopping [1 2])"},
			blocking: []string{"orders-0"}},
		{name: "RF3 min ISR 1: two brokers may go even sharing a partition",
			snap: gateSnap(4, gateTopicDef{"orders", 1, rf3on4}), down: []int32{1, 2}, ok: true},
		{name: "mixed min ISR: each topic is held to its own",
			snap: gateSnap(5,
				gateTopicDef{"payments", 2, []string{"1 2 3/1 2 3", "2 1 4/2 1 4", "3 4 1/3 4 1"}},
				gateTopicDef{"audit", 1, []string{"1 2 3/1 2 3", "1 2 4/1 2 4"}},
				gateTopicDef{"ledger", 3, []string{"1 3 4 5/1 3 4 5", "1 2 3 4/1 2 3 4"}}),
			down: []int32{1, 2},
			reasons: []string{
				"payments-0, payments-1 would drop below min.insync.replicas=2 (e.g. payments-0: isr [1 2 3], stopping [1 2])",
				"ledger-1 would drop below min.insync.replicas=3 (isr [1 2 3 4], stopping [1 2])",
			},
			blocking: []string{"ledger-1", "payments-0", "payments-1"}},
		{name: "RF2 min ISR 2 can never stay writable: refused",
			snap: gateSnap(3, gateTopicDef{"ledger", 2, []string{"1 2/1 2", "2 3/2 3"}}), down: []int32{1},
			reasons: []string{"ledger-0 can never stay writable through a restart: replication factor <= min.insync.replicas=2 " +
				"(replicas [1 2], stopping [1]); only allowing unavailability accepts that"},
			blocking: []string{"ledger-0"}, never: []string{"ledger-0"}},
		{name: "RF2 min ISR 2 with AllowUnavailable: accepted, still listed",
			snap: gateSnap(3, gateTopicDef{"ledger", 2, []string{"1 2/1 2", "2 3/2 3"}}), down: []int32{1},
			opts: GateOptions{AllowUnavailable: true}, ok: true, never: []string{"ledger-0"}},
		{name: "AllowUnavailable accepts losing every replica of a never-writable partition, nothing else",
			snap: gateSnap(3, gateTopicDef{"orders", 2, rf3[:1]}, gateTopicDef{"ledger", 2, []string{"1 2/1 2"}}),
			down: []int32{1, 2}, opts: GateOptions{AllowUnavailable: true},
			reasons:  []string{"orders-0 would drop below min.insync.replicas=2 (isr [1 2 3], stopping [1 2])"},
			blocking: []string{"orders-0"}, never: []string{"ledger-0"}},
		{name: "RF1 on a stopping broker would lose its only replica",
			snap: gateSnap(2, gateTopicDef{"scratch", 1, []string{"1/1", "2/2"}}), down: []int32{1},
			reasons:  []string{"scratch-0 would have no in-sync replica left on a live broker to lead (isr [1], stopping [1])"},
			blocking: []string{"scratch-0"}, never: []string{"scratch-0"}},
		{name: "RF1 on a stopping broker with AllowUnavailable",
			snap: gateSnap(2, gateTopicDef{"scratch", 1, []string{"1/1", "2/2"}}), down: []int32{1},
			opts: GateOptions{AllowUnavailable: true}, ok: true, never: []string{"scratch-0"}},
		{name: "under-replicated partition whose lagging replica is the one stopping is accepted",
			snap: gateSnap(3, gateTopicDef{"orders", 1, []string{"1 2 3/1 2"}}), down: []int32{3}, ok: true},
		{name: "under-replicated partition on a stopping broker is refused",
			snap: gateSnap(3, gateTopicDef{"orders", 1, []string{"1 2 3/1 2"}}), down: []int32{2},
			reasons:  []string{"orders-0 is under-replicated already and has a replica on a stopping broker (replicas [1 2 3], isr [1 2], stopping [2])"},
			blocking: []string{"orders-0"}},
		{name: "under-replicated partition elsewhere is accepted",
			snap: gateSnap(4, gateTopicDef{"orders", 2, []string{"1 2 3/1 2", "4 2 3/4 2 3"}}), down: []int32{4}, ok: true},
		{name: "an offline partition anywhere refuses",
			snap:     gateSnap(3, gateTopicDef{"orders", 2, rf3}, gateTopicDef{"audit", 1, []string{"2 3/3 offline"}}),
			down:     []int32{1},
			reasons:  []string{"audit-0 is offline now, no leader (replicas [2 3], isr [3])"},
			blocking: []string{"audit-0"}},
		{name: "the only alive replica outside the set is not in sync",
			snap: fenced(gateSnap(3, gateTopicDef{"orders", 1, []string{"1 2 3/1 3"}}), 3), down: []int32{1},
			reasons:  []string{"orders-0 would have no in-sync replica left on a live broker to lead (isr [1 3], stopping [1], not alive [3])"},
			blocking: []string{"orders-0"}},
		{name: "in-sync replicas outside the set all on fenced brokers",
			snap: fenced(gateSnap(3, gateTopicDef{"orders", 1, []string{"1 2 3/1 2 3"}}), 2, 3), down: []int32{1},
			reasons:  []string{"orders-0 would have no in-sync replica left on a live broker to lead (isr [1 2 3], stopping [1], not alive [2 3])"},
			blocking: []string{"orders-0"}},
		{name: "an in-sync replica on a fenced broker does not count towards min ISR",
			snap: fenced(gateSnap(3, gateTopicDef{"orders", 2, []string{"1 2 3/1 2 3"}}), 3), down: []int32{1},
			reasons:  []string{"orders-0 would drop below min.insync.replicas=2 (isr [1 2 3], stopping [1], not alive [3])"},
			blocking: []string{"orders-0"}},
		{name: "brokers already down (fenced, unregistered) may be in the set",
			snap: fenced(gateSnap(4, gateTopicDef{"orders", 2, []string{"1 2 3/1 2 3"}}), 4),
			down: []int32{1, 4, 5}, ok: true},
		{name: "a fenced broker in the set counts as down",
			snap:     fenced(gateSnap(3, gateTopicDef{"orders", 2, []string{"1 2 3/1 2 3"}}), 3),
			down:     []int32{3, 1},
			reasons:  []string{"orders-0 would drop below min.insync.replicas=2 (isr [1 2 3], stopping [1 3])"},
			blocking: []string{"orders-0"}},
		{name: "large broker ids: a pair refused",
			snap:     renumbered(gateSnap(3, gateTopicDef{"orders", 2, rf3[:1]}), map[int32]int32{1: 63, 2: 64, 3: 100_000}),
			down:     []int32{100_000, 64},
			reasons:  []string{"orders-0 would drop below min.insync.replicas=2 (isr [63 64 100000], stopping [64 100000])"},
			blocking: []string{"orders-0"}},
		{name: "large broker ids: one may go",
			snap: renumbered(gateSnap(3, gateTopicDef{"orders", 2, rf3[:1]}), map[int32]int32{1: 63, 2: 64, 3: 100_000}),
			down: []int32{100_000, 65, 127}, ok: true},
		{name: "unknown min ISR is taken as 1",
			snap: gateSnap(3, gateTopicDef{"events", 0, rf3}), down: []int32{1, 2}, ok: true},
		{name: "unknown min ISR is said when it matters",
			snap: gateSnap(3, gateTopicDef{"events", 0, rf3[:1]}), down: []int32{1, 2, 3},
			reasons: []string{
				"events-0 would have no in-sync replica left on a live broker to lead (isr [1 2 3], stopping [1 2 3])",
				"min.insync.replicas of topic events could not be read; assumed 1",
			},
			blocking: []string{"events-0"}},
		{name: "worst reason first, named partitions capped, blocking sorted by topic then number",
			snap: gateSnap(3,
				gateTopicDef{"orders", 2, slices.Repeat([]string{"1 2 3/1 2 3"}, 12)},
				gateTopicDef{"alpha", 1, []string{"2 3/3 offline"}}),
			down: []int32{1, 2}, opts: GateOptions{MaxNamed: 3},
			reasons: []string{
				"alpha-0 is offline now, no leader (replicas [2 3], isr [3])",
				"orders-0, orders-1, orders-2 (+9 more) would drop below min.insync.replicas=2 (isr [1 2 3], stopping [1 2])",
			},
			blocking: []string{"alpha-0", "orders-0", "orders-1", "orders-2", "orders-3", "orders-4", "orders-5",
				"orders-6", "orders-7", "orders-8", "orders-9", "orders-10", "orders-11"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckGate(tt.snap, tt.down, time.Unix(0, 0), tt.opts)
			want := GateResult{OK: tt.ok, Reasons: tt.reasons, Blocking: tt.blocking, NeverWritable: tt.never}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("CheckGate(down %v)\n got %#v\nwant %#v", tt.down, got, want)
			}
			if idx := NewGateIndex(tt.snap).Check(tt.down, time.Unix(0, 0), tt.opts); !reflect.DeepEqual(idx, got) {
				t.Errorf("GateIndex.Check differs from CheckGate:\n got %#v\nwant %#v", idx, got)
			}
		})
	}
}

func TestCheckGateQuorum(t *testing.T) {
	const leaderNow = int64(1_700_000_000_000)
	healthy := func() *Snapshot { return gateSnap(3, gateTopicDef{"orders", 1, rf3}) }
	tests := []struct {
		name    string
		snap    *Snapshot
		down    []int32
		now     int64 // this machine's clock, ms
		lag     time.Duration
		ok      bool
		reasons []string
	}{
		{name: "stopping one caught-up voter",
			snap: gateQuorumAt(healthy(), 1, leaderNow, map[int32]int64{2: leaderNow - 200, 3: leaderNow - 100}),
			down: []int32{3}, now: leaderNow, ok: true},
		{name: "stopping the active controller while both followers are caught up",
			snap: gateQuorumAt(healthy(), 1, leaderNow, map[int32]int64{2: leaderNow, 3: leaderNow}),
			down: []int32{1}, now: leaderNow, ok: true},
		{name: "stopping one voter while another lags: refused, naming both",
			snap: gateQuorumAt(healthy(), 1, leaderNow, map[int32]int64{2: leaderNow - 30_000, 3: leaderNow}),
			down: []int32{3}, now: leaderNow,
			reasons: []string{"KRaft quorum would keep 1 of 3 voters caught up, needs 2 (stopping voter 3; " +
				"voter 2 lagging (last caught up 30s ago, allowed 5s))"}},
		{name: "a voter never seen caught up is lagging",
			snap: gateQuorumAt(healthy(), 1, leaderNow, map[int32]int64{3: leaderNow}),
			down: []int32{3}, now: leaderNow,
			reasons: []string{"KRaft quorum would keep 1 of 3 voters caught up, needs 2 (stopping voter 3; voter 2 lagging (never seen caught up))"}},
		{name: "stopping two voters of three",
			snap: gateQuorumAt(healthy(), 1, leaderNow, map[int32]int64{2: leaderNow, 3: leaderNow}),
			down: []int32{2, 3}, now: leaderNow,
			reasons: []string{"KRaft quorum would keep 1 of 3 voters caught up, needs 2 (stopping voters 2, 3)"}},
		{name: "the leader's clock is the reference, not ours",
			snap: gateQuorumAt(healthy(), 1, leaderNow, map[int32]int64{2: leaderNow - 1000, 3: leaderNow - 1000}),
			down: []int32{3}, now: leaderNow + time.Hour.Milliseconds(), ok: true},
		{name: "without the leader's own timestamps, our clock is the reference",
			snap: gateQuorumAt(healthy(), 1, -1, map[int32]int64{2: leaderNow - 6000, 3: leaderNow}),
			down: []int32{3}, now: leaderNow,
			reasons: []string{"KRaft quorum would keep 1 of 3 voters caught up, needs 2 (stopping voter 3; " +
				"voter 2 lagging (last caught up 6s ago, allowed 5s))"}},
		{name: "QuorumMaxLag widens what counts as caught up",
			snap: gateQuorumAt(healthy(), 1, -1, map[int32]int64{2: leaderNow - 6000, 3: leaderNow}),
			down: []int32{3}, now: leaderNow, lag: 10 * time.Second, ok: true},
		{name: "a quorum without a leader refuses",
			snap: gateQuorumAt(healthy(), -1, leaderNow, map[int32]int64{1: leaderNow, 2: leaderNow, 3: leaderNow}),
			down: []int32{3}, now: leaderNow,
			reasons: []string{"KRaft quorum has no leader right now"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckGate(tt.snap, tt.down, time.UnixMilli(tt.now), GateOptions{QuorumMaxLag: tt.lag})
			want := GateResult{OK: tt.ok, Reasons: tt.reasons}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("CheckGate(down %v)\n got %#v\nwant %#v", tt.down, got, want)
			}
		})
	}
}

func TestCheckGateZooKeeperEnsemble(t *testing.T) {
	withZK := func(h *ZooKeeperHealth) *Snapshot {
		s := gateSnap(3, gateTopicDef{"orders", 1, rf3})
		s.ZooKeeper = h
		return s
	}
	tests := []struct {
		name    string
		snap    *Snapshot
		ok      bool
		reasons []string
	}{
		{name: "a healthy ensemble lets a broker go", snap: withZK(&ZooKeeperHealth{Healthy: true, Leader: 2, Voters: 3, Synced: 3}), ok: true},
		{name: "KRaft (no ensemble read) is judged on partitions alone", snap: withZK(nil), ok: true},
		{name: "a follower down: a synced majority remains, brokers may go",
			snap: withZK(&ZooKeeperHealth{Leader: 2, Voters: 3, Synced: 2, Problems: []string{"zookeeper node 3 (zk3:2181) is down"}}), ok: true},
		{name: "two of three down: no quorum, closed, naming them",
			snap:    withZK(&ZooKeeperHealth{Leader: 2, Voters: 3, Synced: 1, Problems: []string{"zookeeper node 1 (zk1:2181) is down", "zookeeper node 3 (zk3:2181) is down"}}),
			reasons: []string{"ZooKeeper ensemble has no synced majority under one leader (1 of 3 voters in sync, a quorum needs 2): zookeeper node 1 (zk1:2181) is down; zookeeper node 3 (zk3:2181) is down"}},
		{name: "no leader closes it",
			snap: withZK(&ZooKeeperHealth{Leader: -1, Voters: 3, Synced: 0}), reasons: []string{"ZooKeeper ensemble has no synced majority under one leader (0 of 3 voters in sync, a quorum needs 2)"}},
		{name: "nothing read closes it",
			snap: withZK(&ZooKeeperHealth{Leader: -1}), reasons: []string{"ZooKeeper ensemble has no synced majority under one leader (0 of 0 voters in sync, a quorum needs 1)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := GateResult{OK: tt.ok, Reasons: tt.reasons}
			if got := CheckGate(tt.snap, []int32{3}, time.Now(), GateOptions{}); !reflect.DeepEqual(got, want) {
				t.Errorf("CheckGate\n got %#v\nwant %#v", got, want)
			}
			if got := NewGateIndex(tt.snap).Check([]int32{3}, time.Now(), GateOptions{}); !reflect.DeepEqual(got, want) {
				t.Errorf("GateIndex.Check\n got %#v\nwant %#v", got, want)
			}
		})
	}
}

// TestGateIndexMatchesCheckGate pins that the planner's indexed gate answers exactly what the
// full scan answers, over random clusters with every kind of trouble and random broker sets.
func TestGateIndexMatchesCheckGate(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 7))
	for c := 0; c < 200; c++ {
		s := gateRandomSnapshot(rng)
		x := NewGateIndex(s)
		for k := 0; k < 20; k++ {
			var down []int32
			for range rng.IntN(4) {
				if rng.IntN(8) == 0 {
					down = append(down, 8) // never registered
				} else {
					down = append(down, gateRandomIDs[rng.IntN(len(gateRandomIDs))])
				}
			}
			o := GateOptions{AllowUnavailable: rng.IntN(2) == 0, MaxNamed: rng.IntN(4)}
			want := CheckGate(s, down, time.Unix(100, 0), o)
			if got := x.Check(down, time.Unix(100, 0), o); !reflect.DeepEqual(got, want) {
				t.Fatalf("cluster %d, down %v: index\n got %#v\nwant %#v", c, down, got, want)
			}
		}
	}
}

// TestGateConflictsAreExact pins what lets a planner skip the gate for a conflicting pair: a
// pair the table names is refused by CheckGate, and for a pair it does not name, every partition
// that blocks the pair already blocks one of the two alone.
func TestGateConflictsAreExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 11))
	ids := append(slices.Clone(gateRandomIDs), 8)
	for c := 0; c < 200; c++ {
		s := gateRandomSnapshot(rng)
		o := GateOptions{AllowUnavailable: rng.IntN(2) == 0}
		conflicts := NewGateConflicts(s, o)
		for _, a := range ids {
			for _, b := range ids {
				pair := CheckGate(s, []int32{a, b}, time.Unix(100, 0), o)
				if conflicts.Has(a, b) {
					if pair.OK {
						t.Fatalf("cluster %d: %d,%d named conflicting but the gate accepts them", c, a, b)
					}
					continue
				}
				alone := append(CheckGate(s, []int32{a}, time.Unix(100, 0), o).Blocking,
					CheckGate(s, []int32{b}, time.Unix(100, 0), o).Blocking...)
				for _, p := range pair.Blocking {
					if !slices.Contains(alone, p) {
						t.Fatalf("cluster %d: %s blocks %d,%d together but the pair is not named conflicting", c, p, a, b)
					}
				}
			}
		}
	}
}

// TestCheckGateOnlyGetsStricter pins the monotonicity the planner's pruning relies on: on a
// cluster with nothing under-replicated (the state the engine waits for before every batch),
// stopping more brokers never unblocks a partition nor opens a closed gate. (With URP present,
// adding the lagging broker itself can unblock a partition; the planner then merely misses a
// larger batch, and the engine's own CheckGate of the chosen batch stays exact.)
func TestCheckGateOnlyGetsStricter(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 17))
	for c := 0; c < 500; c++ {
		s := gateRandomSnapshot(rng)
		for i := range s.Partitions {
			s.Partitions[i].ISR = slices.Clone(s.Partitions[i].Replicas)
		}
		o := GateOptions{AllowUnavailable: rng.IntN(2) == 0}
		var small []int32
		for range rng.IntN(3) {
			small = append(small, gateRandomIDs[rng.IntN(len(gateRandomIDs))])
		}
		large := append(slices.Clone(small), gateRandomIDs[rng.IntN(len(gateRandomIDs))])
		rs, rl := CheckGate(s, small, time.Unix(100, 0), o), CheckGate(s, large, time.Unix(100, 0), o)
		if rl.OK && !rs.OK {
			t.Fatalf("cluster %d: %v accepted but its subset %v refused: %v", c, large, small, rs.Reasons)
		}
		for _, p := range rs.Blocking {
			if !slices.Contains(rl.Blocking, p) {
				t.Fatalf("cluster %d: %s blocks %v but not %v", c, p, small, large)
			}
		}
	}
}

func TestGateWithoutSnapshot(t *testing.T) {
	want := GateResult{Reasons: []string{"no cluster snapshot to check the gate against"}}
	if got := CheckGate(nil, []int32{1}, time.Unix(0, 0), GateOptions{}); !reflect.DeepEqual(got, want) {
		t.Errorf("CheckGate(nil) = %#v", got)
	}
	if got := NewGateIndex(nil).Check([]int32{1}, time.Unix(0, 0), GateOptions{}); !reflect.DeepEqual(got, want) {
		t.Errorf("GateIndex(nil).Check = %#v", got)
	}
	if NewGateConflicts(nil, GateOptions{}).Has(1, 2) {
		t.Errorf("no snapshot, no conflicts")
	}
}

// gateRandomIDs are the random clusters' brokers: ids across bitmap words, and one too large
// for the bitmap.
var gateRandomIDs = []int32{0, 1, 2, 3, 63, 64, 1001, 100_000}

// gateRandomSnapshot is a small cluster of gateRandomIDs, some fenced, with topics of random
// replication factor, min ISR (0 = unknown), ISR and leaders, some offline, duplicated replica
// ids included, and a quorum some of the time.
func gateRandomSnapshot(rng *rand.Rand) *Snapshot {
	s := &Snapshot{Controller: 0}
	for _, id := range gateRandomIDs {
		s.Brokers = append(s.Brokers, Broker{ID: id, Fenced: rng.IntN(8) == 0})
	}
	for ti := range rng.IntN(4) + 1 {
		s.Topics = append(s.Topics, Topic{Name: fmt.Sprintf("t%d", rng.IntN(3)), MinISR: rng.IntN(4)})
		for range rng.IntN(12) {
			p := Partition{Topic: int32(ti), ID: int32(rng.IntN(20))}
			for range rng.IntN(4) + 1 {
				p.Replicas = append(p.Replicas, gateRandomIDs[rng.IntN(len(gateRandomIDs))])
			}
			for _, r := range p.Replicas {
				if rng.IntN(4) > 0 {
					p.ISR = append(p.ISR, r)
				}
			}
			p.Leader = -1
			if len(p.ISR) > 0 && rng.IntN(10) > 0 {
				p.Leader = p.ISR[0]
			}
			s.Partitions = append(s.Partitions, p)
		}
	}
	if rng.IntN(2) == 0 {
		q := &Quorum{LeaderID: int32(rng.IntN(3))}
		for id := range int32(3) {
			q.Voters = append(q.Voters, QuorumReplica{ID: id, LastFetchMs: 100_000, LastCaughtUpMs: 100_000 - int64(rng.IntN(10_000))})
		}
		s.Quorum = q
	}
	return s
}

// gateSyntheticSnapshot is a cluster of n partitions over brokers 0..brokers-1, RF3 on
// consecutive brokers, min ISR 2, 20 partitions a topic.
func gateSyntheticSnapshot(partitions, brokers int) *Snapshot {
	s := &Snapshot{Cluster: "bench", Controller: 0}
	for id := range brokers {
		s.Brokers = append(s.Brokers, Broker{ID: int32(id)})
	}
	for i := range partitions {
		if i%20 == 0 {
			s.Topics = append(s.Topics, Topic{Name: fmt.Sprintf("topic-%05d", i/20), MinISR: 2})
		}
		r := []int32{int32(i % brokers), int32((i + 1) % brokers), int32((i + 2) % brokers)}
		s.Partitions = append(s.Partitions, Partition{Topic: int32(len(s.Topics) - 1), ID: int32(i % 20),
			Leader: r[0], Replicas: r, ISR: slices.Clone(r)})
	}
	s.Counts = s.Count()
	return s
}

// BenchmarkCheckGate200k measures one gate decision over 200k partitions x RF3 on 100 brokers:
// a broker that may go, and a pair of neighbours that may not (about 4,000 partitions blocking).
func BenchmarkCheckGate200k(b *testing.B) {
	s := gateSyntheticSnapshot(200_000, 100)
	for _, bc := range []struct {
		name string
		down []int32
		ok   bool
	}{{"one-broker-ok", []int32{7}, true}, {"neighbours-refused", []int32{7, 8}, false}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if r := CheckGate(s, bc.down, time.Unix(0, 0), GateOptions{}); r.OK != bc.ok {
					b.Fatal(r.Reasons)
				}
			}
		})
	}
}
