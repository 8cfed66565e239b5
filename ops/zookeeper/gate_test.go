package zookeeper

import (
	"slices"
	"testing"
)

func TestCanStop(t *testing.T) {
	three, five := ensembleOf(3), ensembleOf(5)
	healthy3 := Assess(three, map[int]NodeState{1: leaderOf(3, 2), 2: follower(), 3: follower()}, nil)
	healthy5 := Assess(five, map[int]NodeState{1: follower(), 2: follower(), 3: leaderOf(5, 4), 4: follower(), 5: follower()}, nil)
	tests := []struct {
		name    string
		e       Ensemble
		stop    []int
		ok      bool
		reasons []string // each a substring of the reason in that place
	}{
		{name: "3: one follower", e: healthy3, stop: []int{2}, ok: true},
		{name: "3: two followers", e: healthy3, stop: []int{2, 3},
			reasons: []string{"stopping zookeeper nodes 2 (zk2:2181) and 3 (zk3:2181) leaves 1 of 3 voting members in sync, a quorum needs 2"}},
		{name: "3: the leader once every follower is back in sync", e: healthy3, stop: []int{1}, ok: true},
		{name: "3: the leader while a follower restart is pending",
			e:    Assess(three, map[int]NodeState{1: leaderOf(3, 1), 2: follower(), 3: notServing()}, nil),
			stop: []int{1},
			reasons: []string{"the leader zookeeper node 1 (zk1:2181) goes last: zookeeper node 3 (zk3:2181) not back in sync yet",
				"stopping zookeeper node 1 (zk1:2181) leaves 1 of 3 voting members in sync, a quorum needs 2"}},
		{name: "3: the leader with a follower", e: healthy3, stop: []int{1, 2},
			reasons: []string{"the leader zookeeper node 1 (zk1:2181) goes last and alone: stop zookeeper node 2 (zk2:2181) first, then the leader",
				"leaves 1 of 3"}},
		{name: "3: a follower not in sync counts as down",
			e:       Assess(three, map[int]NodeState{1: leaderOf(3, 1), 2: follower(), 3: syncing()}, nil),
			stop:    []int{2},
			reasons: []string{"stopping zookeeper node 2 (zk2:2181) leaves 1 of 3 voting members in sync, a quorum needs 2"}},
		{name: "3: the follower that is not in sync may restart",
			e:    Assess(three, map[int]NodeState{1: leaderOf(3, 1), 2: follower(), 3: syncing()}, nil),
			stop: []int{3}, ok: true},
		{name: "3: a follower down", e: Assess(three, map[int]NodeState{1: leaderOf(3, 1), 2: follower()}, map[int]error{3: down(three[2])}),
			stop: []int{2}, reasons: []string{"leaves 1 of 3"}},
		{name: "3: the leader counts one synced follower of two serving: either may be the one",
			e:    Assess(three, map[int]NodeState{1: leaderOf(3, 1), 2: follower(), 3: follower()}, nil),
			stop: []int{2}, reasons: []string{"stopping zookeeper node 2 (zk2:2181) leaves 1 of 3"}},
		{name: "3: judged by srvr alone when mntr is refused",
			e:    Assess(three, map[int]NodeState{1: withoutMntr(leaderOf(3, 2), three[0]), 2: withoutMntr(follower(), three[1]), 3: withoutMntr(follower(), three[2])}, nil),
			stop: []int{3}, ok: true},
		{name: "3: no leader", e: Assess(three, map[int]NodeState{1: notServing(), 2: notServing(), 3: notServing()}, nil),
			stop: []int{2}, reasons: []string{"zookeeper ensemble has no single leader: no node may stop until it has one"}},
		{name: "a node not in the ensemble", e: healthy3, stop: []int{7},
			reasons: []string{"zookeeper node 7 is not one of the ensemble's configured nodes"}},
		{name: "nothing to stop", e: healthy3, stop: nil, ok: true},
		{name: "the same node twice counts once", e: healthy3, stop: []int{2, 2}, ok: true},
		{name: "a lone standalone node", e: Assess(ensembleOf(1), map[int]NodeState{1: {Mode: ModeStandalone}}, nil),
			stop: []int{1}, reasons: []string{"zookeeper node 1 (zk1:2181) runs standalone: stopping it stops ZooKeeper for the whole cluster"}},
		{name: "observers do not count", e: Assess(ensembleOf(4), map[int]NodeState{1: leaderOf(3, 2), 2: follower(), 3: follower(), 4: {Mode: ModeObserver}}, nil),
			stop: []int{2, 4}, ok: true},
		{name: "5: two followers while the rest are in sync", e: healthy5, stop: []int{1, 2}, ok: true},
		{name: "5: two followers while another is down",
			e:       Assess(five, map[int]NodeState{1: follower(), 2: follower(), 3: leaderOf(5, 3), 4: follower()}, map[int]error{5: down(five[4])}),
			stop:    []int{1, 2},
			reasons: []string{"stopping zookeeper nodes 1 (zk1:2181) and 2 (zk2:2181) leaves 2 of 5 voting members in sync, a quorum needs 3"}},
		{name: "5: two followers while the leader counts one fewer than serve",
			e:    Assess(five, map[int]NodeState{1: follower(), 2: follower(), 3: leaderOf(5, 3), 4: follower(), 5: follower()}, nil),
			stop: []int{1, 2}, reasons: []string{"leaves 2 of 5"}},
		{name: "5: three followers", e: healthy5, stop: []int{1, 2, 4}, reasons: []string{"leaves 2 of 5"}},
		{name: "5: the leader alone, all in sync", e: healthy5, stop: []int{3}, ok: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, reasons := CanStop(tt.e, tt.stop)
			if ok != tt.ok {
				t.Errorf("ok %v, want %v (reasons %q)", ok, tt.ok, reasons)
			}
			matchAll(t, "reasons", reasons, tt.reasons)
		})
	}
}

func TestRestartOrder(t *testing.T) {
	tests := []struct {
		name string
		e    Ensemble
		want []int
	}{
		{"3, leader 2", Assess(ensembleOf(3), map[int]NodeState{1: follower(), 2: leaderOf(3, 2), 3: follower()}, nil), []int{1, 3, 2}},
		{"5, leader 3, one down", Assess(ensembleOf(5), map[int]NodeState{1: follower(), 2: follower(), 3: leaderOf(5, 3), 5: follower()},
			map[int]error{4: down(ensembleOf(5)[3])}), []int{1, 2, 4, 5, 3}},
		{"no leader: by id", Assess(ensembleOf(3), map[int]NodeState{1: notServing(), 2: notServing(), 3: notServing()}, nil), []int{1, 2, 3}},
		{"an observer goes with the followers", Assess(ensembleOf(4), map[int]NodeState{1: leaderOf(3, 2), 2: follower(), 3: follower(), 4: {Mode: ModeObserver}}, nil), []int{2, 3, 4, 1}},
		{"standalone", Assess(ensembleOf(1), map[int]NodeState{1: {Mode: ModeStandalone}}, nil), []int{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RestartOrder(tt.e); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestGateForBrokers(t *testing.T) {
	three := ensembleOf(3)
	tests := []struct {
		name    string
		e       Ensemble
		ok      bool
		reasons []string
	}{
		{name: "healthy", e: Assess(three, map[int]NodeState{1: leaderOf(3, 2), 2: follower(), 3: follower()}, nil), ok: true},
		{name: "warnings only (mntr refused)", ok: true,
			e: Assess(three, map[int]NodeState{1: withoutMntr(leaderOf(3, 2), three[0]), 2: follower(), 3: follower()}, nil)},
		{name: "a ZooKeeper node down: a synced majority remains", ok: true,
			e: Assess(three, map[int]NodeState{1: leaderOf(3, 1), 2: follower()}, map[int]error{3: down(three[2])})},
		{name: "the quorum is lost",
			e: Assess(three, map[int]NodeState{1: notServing(), 2: notServing()}, map[int]error{3: down(three[2])}),
			reasons: []string{"zookeeper node 1 (zk1:2181) is not serving", "zookeeper node 2 (zk2:2181) is not serving",
				"zookeeper node 3 (zk3:2181) is down", "zookeeper ensemble has no leader", "has 0 in sync, a quorum needs 2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, reasons := GateForBrokers(tt.e)
			if ok != tt.ok {
				t.Errorf("ok %v, want %v", ok, tt.ok)
			}
			matchAll(t, "reasons", reasons, tt.reasons)
		})
	}
}
