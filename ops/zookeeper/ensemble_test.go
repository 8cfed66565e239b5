package zookeeper

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// ensembleOf is n nodes zk1..zkn on port 2181.
func ensembleOf(n int) []Node {
	nodes := make([]Node, n)
	for i := range nodes {
		nodes[i] = Node{ID: i + 1, Host: fmt.Sprintf("zk%d", i+1), ClientPort: 2181}
	}
	return nodes
}

// The states a node can be read in, as ReadNode would return them.
func leaderOf(voters, synced int) NodeState {
	return NodeState{Mode: ModeLeader, Version: "3.9.3", Monitor: &Monitor{ServerState: ModeLeader,
		PeerState: "leading - broadcast", QuorumSize: voters,
		Leader: &LeaderStats{Learners: synced, SyncedFollowers: synced}}}
}

func follower() NodeState {
	return NodeState{Mode: ModeFollower, Version: "3.9.3", Monitor: &Monitor{ServerState: ModeFollower, PeerState: "following - broadcast"}}
}

func syncing() NodeState {
	return NodeState{Mode: ModeFollower, Version: "3.9.3", Monitor: &Monitor{ServerState: ModeFollower, PeerState: "following - synchronization - diff"}}
}

func notServing() NodeState { return NodeState{Mode: ModeNotServing} }

func withoutMntr(st NodeState, n Node) NodeState {
	st.Monitor = nil
	st.MntrError = (&NotWhitelistedError{Node: n, Command: "mntr"}).Error()
	return st
}

func down(n Node) error {
	return &ReadError{Node: n, Command: "srvr", Err: errors.New("dial tcp 10.0.0.3:2181: connect: connection refused")}
}

func TestAssess(t *testing.T) {
	three, five := ensembleOf(3), ensembleOf(5)
	tests := []struct {
		name   string
		nodes  []Node
		states map[int]NodeState
		errs   map[int]error
		// want
		healthy                        bool
		leader, voters, quorum, synced int
		problems, warnings             []string // each a substring of the problem or warning in that place
		memberSynced                   map[int]bool
		standalone                     bool
		sf                             int // the leader's synced followers as Assess reports them
	}{
		{name: "3 nodes, all in sync", sf: 2, nodes: three,
			states:  map[int]NodeState{1: leaderOf(3, 2), 2: follower(), 3: follower()},
			healthy: true, leader: 1, voters: 3, quorum: 2, synced: 3,
			memberSynced: map[int]bool{1: true, 2: true, 3: true}},
		{name: "a follower down", sf: 1, nodes: three,
			states: map[int]NodeState{1: leaderOf(3, 1), 2: follower()},
			errs:   map[int]error{3: down(three[2])},
			leader: 1, voters: 3, quorum: 2, synced: 2,
			problems: []string{"zookeeper node 3 (zk3:2181) is down or unreachable: srvr: dial tcp 10.0.0.3:2181: connect: connection refused"},
			warnings: []string{"zookeeper ensemble of 3 voting members has 2 in sync: one more failure loses the quorum"}},
		{name: "a follower not serving", sf: 1, nodes: three,
			states: map[int]NodeState{1: leaderOf(3, 1), 2: follower(), 3: notServing()},
			leader: 1, voters: 3, quorum: 2, synced: 2,
			problems: []string{"zookeeper node 3 (zk3:2181) is not serving: it is electing a leader, syncing with one, or starting"},
			warnings: []string{"one more failure loses the quorum"}},
		{name: "a follower still syncing", sf: 1, nodes: three,
			states: map[int]NodeState{1: leaderOf(3, 1), 2: follower(), 3: syncing()},
			leader: 1, voters: 3, quorum: 2, synced: 2,
			problems:     []string{`zookeeper node 3 (zk3:2181) follows the leader but is not in sync yet (peer state "following - synchronization - diff")`},
			warnings:     []string{"one more failure loses the quorum"},
			memberSynced: map[int]bool{1: true, 2: true, 3: false}},
		{name: "no leader: the quorum is lost", sf: -1, nodes: three,
			states: map[int]NodeState{1: notServing(), 2: notServing()},
			errs:   map[int]error{3: down(three[2])},
			leader: -1, voters: 3, quorum: 2, synced: 0,
			problems: []string{"zookeeper node 1 (zk1:2181) is not serving", "zookeeper node 2 (zk2:2181) is not serving",
				"zookeeper node 3 (zk3:2181) is down", "zookeeper ensemble has no leader",
				"zookeeper ensemble of 3 voting members has 0 in sync, a quorum needs 2: ZooKeeper cannot serve"}},
		{name: "two leaders", sf: -1, nodes: three,
			states: map[int]NodeState{1: leaderOf(3, 1), 2: follower(), 3: leaderOf(3, 0)},
			leader: -1, voters: 3, quorum: 2, synced: 0,
			problems: []string{"zookeeper ensemble has more than one node saying it leads (zookeeper node 1 (zk1:2181), zookeeper node 3 (zk3:2181))",
				"has 0 in sync"}},
		{name: "the leader counts fewer synced followers than serve", sf: 1, nodes: three,
			states: map[int]NodeState{1: leaderOf(3, 1), 2: follower(), 3: follower()},
			leader: 1, voters: 3, quorum: 2, synced: 2,
			problems: []string{"the leader zookeeper node 1 (zk1:2181) counts 1 synced followers while 2 followers serve: 1 of them is not in sync"},
			warnings: []string{"one more failure loses the quorum"}},
		{name: "mntr refused everywhere: judged by srvr alone", sf: -1, nodes: three,
			states:  map[int]NodeState{1: withoutMntr(leaderOf(3, 2), three[0]), 2: withoutMntr(follower(), three[1]), 3: withoutMntr(follower(), three[2])},
			healthy: true, leader: 1, voters: 3, quorum: 2, synced: 3,
			warnings: []string{`zookeeper node 1 (zk1:2181): refuses the four-letter word "mntr": it is not in 4lw.commands.whitelist`,
				"zookeeper node 2 (zk2:2181): refuses", "zookeeper node 3 (zk3:2181): refuses"}},
		{name: "srvr refused", sf: 1, nodes: three,
			states: map[int]NodeState{1: leaderOf(3, 1), 2: follower()},
			errs:   map[int]error{3: &NotWhitelistedError{Node: three[2], Command: "srvr"}},
			leader: 1, voters: 3, quorum: 2, synced: 2,
			problems: []string{`zookeeper node 3 (zk3:2181): refuses the four-letter word "srvr": it is not in 4lw.commands.whitelist`},
			warnings: []string{"one more failure"}},
		{name: "a node not read", sf: 2, nodes: three,
			states: map[int]NodeState{1: leaderOf(3, 2), 2: follower()},
			leader: 1, voters: 3, quorum: 2, synced: 2,
			problems: []string{"zookeeper node 3 (zk3:2181) was not read"},
			warnings: []string{"one more failure"}},
		{name: "read-only", sf: 1, nodes: three,
			states: map[int]NodeState{1: leaderOf(3, 1), 2: follower(), 3: {Mode: ModeReadOnly}},
			leader: 1, voters: 3, quorum: 2, synced: 2,
			problems: []string{"zookeeper node 3 (zk3:2181) serves read-only clients only"},
			warnings: []string{"one more failure"}},
		{name: "a lone standalone node", sf: -1, nodes: ensembleOf(1),
			states:  map[int]NodeState{1: {Mode: ModeStandalone}},
			healthy: true, leader: -1, voters: 1, quorum: 1, synced: 1, standalone: true,
			warnings: []string{"zookeeper node 1 (zk1:2181) runs standalone: a single ZooKeeper server tolerates no failure"}},
		{name: "a standalone node in an ensemble", sf: 1, nodes: three,
			states: map[int]NodeState{1: leaderOf(3, 1), 2: follower(), 3: {Mode: ModeStandalone}},
			leader: 1, voters: 3, quorum: 2, synced: 2,
			problems: []string{"zookeeper node 3 (zk3:2181) runs standalone, outside the ensemble"},
			warnings: []string{"one more failure"}},
		{name: "an observer does not vote", sf: 2, nodes: ensembleOf(4),
			states:  map[int]NodeState{1: leaderOf(3, 2), 2: follower(), 3: follower(), 4: {Mode: ModeObserver}},
			healthy: true, leader: 1, voters: 3, quorum: 2, synced: 3},
		{name: "5 nodes, one down", sf: 3, nodes: five,
			states: map[int]NodeState{1: follower(), 2: follower(), 3: leaderOf(5, 3), 4: follower()},
			errs:   map[int]error{5: down(five[4])},
			leader: 3, voters: 5, quorum: 3, synced: 4,
			problems: []string{"zookeeper node 5 (zk5:2181) is down or unreachable"}},
		{name: "the ensemble counts more voters than the inventory lists", sf: 4, nodes: three,
			states:  map[int]NodeState{1: leaderOf(5, 4), 2: follower(), 3: follower()},
			healthy: true, leader: 1, voters: 5, quorum: 3, synced: 3,
			warnings: []string{"zookeeper ensemble has 5 voting members by its own count (zk_quorum_size), the inventory lists 3: kfleet judges 5",
				"zookeeper ensemble of 5 voting members has 3 in sync: one more failure loses the quorum"}},
		{name: "an even ensemble", sf: 3, nodes: ensembleOf(4),
			states:  map[int]NodeState{1: follower(), 2: leaderOf(4, 3), 3: follower(), 4: follower()},
			healthy: true, leader: 2, voters: 4, quorum: 3, synced: 4,
			warnings: []string{"zookeeper ensemble has 4 voting members: it survives 1 failure(s), as one of 3 does"}},
		{name: "no nodes", sf: -1, nodes: nil, leader: -1,
			problems: []string{"no ZooKeeper nodes to assess"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Assess(tt.nodes, tt.states, tt.errs)
			if e.Healthy != tt.healthy || e.Leader != tt.leader || e.Voters != tt.voters || e.Quorum != tt.quorum ||
				e.Synced != tt.synced || e.Standalone != tt.standalone {
				t.Errorf("healthy %v leader %d voters %d quorum %d synced %d standalone %v; want %v %d %d %d %d %v",
					e.Healthy, e.Leader, e.Voters, e.Quorum, e.Synced, e.Standalone,
					tt.healthy, tt.leader, tt.voters, tt.quorum, tt.synced, tt.standalone)
			}
			if e.SyncedFollowers != tt.sf {
				t.Errorf("synced followers %d, want %d", e.SyncedFollowers, tt.sf)
			}
			matchAll(t, "problems", e.Problems, tt.problems)
			matchAll(t, "warnings", e.Warnings, tt.warnings)
			for id, want := range tt.memberSynced {
				if m, _ := e.member(id); m.Synced != want {
					t.Errorf("member %d synced %v, want %v", id, m.Synced, want)
				}
			}
		})
	}
}

// matchAll checks that got has exactly as many entries as want and each contains its want.
func matchAll(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s:\n  %s\nwant %d like:\n  %s", what, strings.Join(got, "\n  "), len(want), strings.Join(want, "\n  "))
		return
	}
	for i := range want {
		if !strings.Contains(got[i], want[i]) {
			t.Errorf("%s[%d] = %q, want it to contain %q", what, i, got[i], want[i])
		}
	}
}

func TestAssessMembers(t *testing.T) {
	nodes := ensembleOf(4)
	e := Assess(nodes, map[int]NodeState{1: leaderOf(3, 1), 2: follower(), 4: {Mode: ModeObserver}}, map[int]error{3: down(nodes[2])})
	want := []struct {
		up, voter, synced bool
		mode              Mode
	}{
		{true, true, true, ModeLeader},
		{true, true, true, ModeFollower},
		{false, true, false, ""},
		{true, false, false, ModeObserver},
	}
	for i, w := range want {
		m := e.Members[i]
		if m.ID != i+1 || m.Up != w.up || m.Voter != w.voter || m.Synced != w.synced || m.Mode != w.mode {
			t.Errorf("member %d: %+v, want %+v", i+1, m, w)
		}
	}
	if e.Serving != 2 || e.Voters != 3 {
		t.Errorf("serving %d voters %d, want 2 and 3 (the observer serves but does not vote)", e.Serving, e.Voters)
	}
	if e.Members[2].Error == "" || e.Members[2].State != nil || e.Members[0].State == nil {
		t.Errorf("a member's error and state: %+v", e.Members)
	}
}

func TestAssessJSONHasEmptyListsNotNull(t *testing.T) {
	nodes := ensembleOf(3)
	b, err := json.Marshal(Assess(nodes, map[int]NodeState{1: leaderOf(3, 2), 2: follower(), 3: follower()}, nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"problems":[]`, `"warnings":[]`, `"leader":1`, `"synced_followers":2`, `"healthy":true`, `"zxid":"0x0"`, `"client_port":2181`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s: %s", want, b)
		}
	}
}
