package zookeeper

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Member is one configured node as Assess judged it.
type Member struct {
	Node
	Up   bool `json:"up" yaml:"up"`     // it answered srvr
	Mode Mode `json:"mode" yaml:"mode"` // "" when it did not answer
	// Voter: it counts toward the quorum. Observers do not; a node that did not answer does, since
	// kfleet cannot tell what it is.
	Voter bool `json:"voter" yaml:"voter"`
	// Synced: the leader; a follower serving in the broadcast phase (its own mntr's peer state,
	// when it has one: a follower serves only after the leader's UPTODATE); a standalone node
	// that is the whole ensemble.
	Synced bool       `json:"synced" yaml:"synced"`
	Error  string     `json:"error" yaml:"error"` // why it could not be read
	State  *NodeState `json:"state" yaml:"state"`
}

// Ensemble is the verdict on a cluster's ZooKeeper ensemble.
type Ensemble struct {
	Members []Member `json:"members" yaml:"members"` // by id
	Leader  int      `json:"leader" yaml:"leader"`   // the leader's id; -1 when none, or more than one
	// Voters is the size of the voting ensemble: the largest zk_quorum_size a node reports, or
	// the configured nodes less those that say they are observers, whichever is larger.
	Voters  int `json:"voters" yaml:"voters"`
	Quorum  int `json:"quorum" yaml:"quorum"`   // a majority of Voters
	Serving int `json:"serving" yaml:"serving"` // voters serving as leader or follower
	// Synced counts the voters in sync: the leader and its synced followers. When the leader's
	// zk_synced_followers is lower than the followers that serve, it counts the leader's number.
	Synced int `json:"synced" yaml:"synced"`
	// SyncedFollowers is the leader's zk_synced_followers; -1 when unknown (no leader, or the
	// leader refused mntr).
	SyncedFollowers int `json:"synced_followers" yaml:"synced_followers"`
	// Standalone: the ensemble is one node in standalone mode; it has no quorum to keep.
	Standalone bool     `json:"standalone" yaml:"standalone"`
	Healthy    bool     `json:"healthy" yaml:"healthy"`
	Problems   []string `json:"problems" yaml:"problems"`
	Warnings   []string `json:"warnings" yaml:"warnings"`
}

// Assess judges the ensemble from what ReadAll (or ReadNode per node) read: states and errs are
// keyed by node id; a node in neither was not read. It is unhealthy (status exits 3) when any of
// these holds, each a problem naming the node:
//
//   - a configured node is down, unreachable, refuses srvr, or was not read;
//   - a node is not serving (electing, syncing, starting), serves read-only, or reports an
//     unknown mode; a node of a multi-node ensemble runs standalone;
//   - a follower's own mntr says it is not in the broadcast phase;
//   - there is no leader, or more than one node says it leads;
//   - the leader's zk_synced_followers is lower than the followers that serve;
//   - fewer than a majority of the voters are in sync.
//
// Warnings do not make it unhealthy: one more failure would lose the quorum; an even number of
// voters; a lone standalone node; the inventory and zk_quorum_size disagree; a node refused mntr;
// the leader has pending syncs.
func Assess(nodes []Node, states map[int]NodeState, errs map[int]error) Ensemble {
	e := Ensemble{Members: []Member{}, Leader: -1, SyncedFollowers: -1, Problems: []string{}, Warnings: []string{}}
	problem := func(format string, args ...any) { e.Problems = append(e.Problems, fmt.Sprintf(format, args...)) }
	warn := func(format string, args ...any) { e.Warnings = append(e.Warnings, fmt.Sprintf(format, args...)) }
	if len(nodes) == 0 {
		problem("no ZooKeeper nodes to assess")
		return e
	}
	sorted := slices.SortedFunc(slices.Values(nodes), func(a, b Node) int { return cmp.Compare(a.ID, b.ID) })
	single := len(sorted) == 1
	reportedVoters := 0
	for _, n := range sorted {
		m := Member{Node: n, Voter: true}
		st, read := states[n.ID]
		err := errs[n.ID]
		var refused *NotWhitelistedError
		switch {
		case err != nil && errors.As(err, &refused):
			m.Error = err.Error()
			problem("%s", m.Error) // it names the node and the setting
		case err != nil:
			m.Error = err.Error()
			problem("%v is down or unreachable: %s", n, strings.TrimPrefix(m.Error, n.String()+": "))
		case !read:
			m.Error = "not read"
			problem("%v was not read", n)
		default:
			m.Up, m.Mode, m.State = true, st.Mode, &st
			if st.MntrError != "" {
				warn("%s", st.MntrError)
			}
			if st.Monitor != nil {
				reportedVoters = max(reportedVoters, st.Monitor.QuorumSize)
			}
			switch st.Mode {
			case ModeLeader:
				// Decided below, once every node is known.
			case ModeFollower:
				m.Synced = followerInSync(st)
				if !m.Synced {
					problem("%v follows the leader but is not in sync yet (peer state %q)", n, st.Monitor.PeerState)
				}
			case ModeObserver:
				m.Voter = false
			case ModeStandalone:
				if single {
					m.Synced, e.Standalone = true, true
				} else {
					problem("%v runs standalone, outside the ensemble: its zoo.cfg lists no other servers", n)
				}
			case ModeNotServing:
				problem("%v is not serving: it is electing a leader, syncing with one, or starting", n)
			case ModeReadOnly:
				problem("%v serves read-only clients only: it has lost touch with the quorum", n)
			default:
				problem("%v reports mode %q", n, st.Mode)
			}
		}
		e.Members = append(e.Members, m)
	}

	var leaders []int
	for i, m := range e.Members {
		if m.Mode == ModeLeader {
			leaders = append(leaders, i)
		}
	}
	switch {
	case len(leaders) == 1:
		lm := &e.Members[leaders[0]]
		lm.Synced = true
		e.Leader = lm.ID
		if mon := lm.State.Monitor; mon != nil && mon.Leader != nil {
			e.SyncedFollowers = mon.Leader.SyncedFollowers
			if mon.Leader.PendingSyncs > 0 {
				warn("the leader %v has %d client sync requests pending", lm.Node, mon.Leader.PendingSyncs)
			}
		}
	case len(leaders) > 1:
		var names []string
		for _, i := range leaders {
			names = append(names, e.Members[i].Node.String())
		}
		problem("zookeeper ensemble has more than one node saying it leads (%s): a stale leader that lost its quorum, or nodes that belong to different ensembles", strings.Join(names, ", "))
	case !e.Standalone:
		problem("zookeeper ensemble has no leader: without one it serves no client, and brokers cannot register or elect a controller")
	}

	inventoryVoters, followers := 0, 0
	for _, m := range e.Members {
		if m.Voter {
			inventoryVoters++
		}
		if m.Voter && (m.Mode == ModeLeader || m.Mode == ModeFollower || m.Mode == ModeStandalone && e.Standalone) {
			e.Serving++
		}
		if m.Mode == ModeFollower && m.Synced {
			followers++
		}
	}
	e.Voters = max(inventoryVoters, reportedVoters)
	if reportedVoters > 0 && reportedVoters != inventoryVoters {
		warn("zookeeper ensemble has %d voting members by its own count (zk_quorum_size), the inventory lists %d: kfleet judges %d", reportedVoters, inventoryVoters, e.Voters)
	}
	e.Quorum = e.Voters/2 + 1

	switch {
	case e.Standalone:
		e.Synced = 1
		warn("%v runs standalone: a single ZooKeeper server tolerates no failure, and restarting it stops the cluster's metadata", e.Members[0].Node)
	case e.Leader >= 0:
		e.Synced = 1 + followers
		if k := e.SyncedFollowers; k >= 0 && k < followers {
			e.Synced = 1 + k
			problem("the leader %v counts %d synced followers while %d followers serve: %d of them is not in sync", e.Members[leaders[0]].Node, k, followers, followers-k)
		}
	}
	if !e.Standalone {
		switch {
		case e.Synced < e.Quorum:
			problem("zookeeper ensemble of %d voting members has %d in sync, a quorum needs %d: ZooKeeper cannot serve", e.Voters, e.Synced, e.Quorum)
		case e.Synced == e.Quorum:
			warn("zookeeper ensemble of %d voting members has %d in sync: one more failure loses the quorum", e.Voters, e.Synced)
		}
		if e.Voters%2 == 0 {
			warn("zookeeper ensemble has %d voting members: it survives %d failure(s), as one of %d does", e.Voters, (e.Voters-1)/2, e.Voters-1)
		}
	}
	e.Healthy = len(e.Problems) == 0
	return e
}

// followerInSync: a follower serves only once the leader sent UPTODATE; its own mntr, when it
// has one, also says whether it is still in the broadcast phase.
func followerInSync(st NodeState) bool {
	if st.Monitor == nil || st.Monitor.PeerState == "" {
		return true
	}
	return strings.Contains(st.Monitor.PeerState, "broadcast")
}

// member finds a member by id.
func (e Ensemble) member(id int) (Member, bool) {
	i := slices.IndexFunc(e.Members, func(m Member) bool { return m.ID == id })
	if i < 0 {
		return Member{}, false
	}
	return e.Members[i], true
}
