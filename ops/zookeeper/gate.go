package zookeeper

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// CanStop is the safety gate's rule for taking the nodes ids of the ensemble down at once: it
// must leave a majority of the voting ensemble (Quorum) up and in sync with a leader. Counting
// what is left, a node that is down, not serving or not in sync counts as gone already, and
// when the leader's zk_synced_followers is lower than the followers that serve, the followers
// it does not count are taken to be those left running (kfleet cannot tell which they are).
// Observers count for nothing either way.
//
// The leader goes last and alone (RestartOrder): it is refused in a batch with other nodes,
// and while any other voting member is not back in sync, which is how a follower restart that
// is still pending shows. Nothing is allowed while the ensemble has no single leader, and a
// standalone node is never stopped by the gate (that stops ZooKeeper for the whole cluster).
func CanStop(e Ensemble, ids []int) (ok bool, reasons []string) {
	if len(ids) == 0 {
		return true, nil
	}
	stop := map[int]bool{}
	var stopping []Member
	for _, id := range ids {
		m, found := e.member(id)
		if !found {
			reasons = append(reasons, fmt.Sprintf("zookeeper node %d is not one of the ensemble's configured nodes", id))
			continue
		}
		if !stop[id] {
			stop[id] = true
			stopping = append(stopping, m)
		}
	}
	if len(reasons) > 0 {
		return false, reasons
	}
	if e.Standalone {
		return false, []string{fmt.Sprintf("%v runs standalone: stopping it stops ZooKeeper for the whole cluster", e.Members[0].Node)}
	}
	if e.Leader < 0 {
		return false, []string{"zookeeper ensemble has no single leader: no node may stop until it has one"}
	}

	followers, stoppedFollowers := 0, 0
	for _, m := range e.Members {
		if m.Mode == ModeFollower && m.Synced {
			followers++
			if stop[m.ID] {
				stoppedFollowers++
			}
		}
	}
	if stop[e.Leader] {
		leader, _ := e.member(e.Leader)
		if len(stopping) > 1 {
			var others []Member
			for _, m := range stopping {
				if m.ID != e.Leader {
					others = append(others, m)
				}
			}
			reasons = append(reasons, fmt.Sprintf("the leader %v goes last and alone: stop %s first, then the leader", leader.Node, names(others)))
		}
		var pending []Member
		for _, m := range e.Members {
			if m.Voter && m.ID != e.Leader && !m.Synced {
				pending = append(pending, m)
			}
		}
		if len(pending) > 0 {
			reasons = append(reasons, fmt.Sprintf("the leader %v goes last: %s not back in sync yet", leader.Node, names(pending)))
		}
		if k := e.SyncedFollowers; k >= 0 && k < followers {
			reasons = append(reasons, fmt.Sprintf("the leader %v goes last: it counts %d synced followers while %d serve", leader.Node, k, followers))
		}
	}

	// Worst case: the followers the leader's count leaves out are among those left running.
	synced := followers
	if k := e.SyncedFollowers; k >= 0 && k < followers {
		synced = k
	}
	left := min(followers-stoppedFollowers, max(0, synced-stoppedFollowers))
	if !stop[e.Leader] {
		left++
	}
	if left < e.Quorum {
		reasons = append(reasons, fmt.Sprintf("stopping %s leaves %d of %d voting members in sync, a quorum needs %d", names(stopping), left, e.Voters, e.Quorum))
	}
	return len(reasons) == 0, reasons
}

// RestartOrder is the order of a rolling restart of the whole ensemble: every node but the
// leader by id (followers, observers and nodes that are down alike), then the leader, so that the
// ensemble elects a new leader once, at the end, among followers already restarted. Each node
// must be back and in sync (CanStop on a fresh Assess) before the next goes down.
func RestartOrder(e Ensemble) []int {
	order := make([]int, 0, len(e.Members))
	for _, m := range e.Members {
		if m.ID != e.Leader {
			order = append(order, m.ID)
		}
	}
	if e.Leader >= 0 {
		order = append(order, e.Leader)
	}
	return order
}

// GateForBrokers is the rule for taking brokers of a ZooKeeper-mode cluster down: only while the
// ensemble keeps a synced majority under one leader, since a broker restarted while ZooKeeper has
// no quorum cannot register again. A node down while a majority stays in sync is allowed (status
// warns that one more failure loses the quorum). The reasons are the ensemble's problems. The
// safety gate applies the same rule to what status reads (cluster.ZooKeeperHealth).
func GateForBrokers(e Ensemble) (ok bool, reasons []string) {
	if e.Leader >= 0 && e.Quorum > 0 && e.Synced >= e.Quorum {
		return true, nil
	}
	return false, slices.Clone(e.Problems)
}

// names lists members as "zookeeper node 2 (zk2:2181)" or "zookeeper nodes 2 (zk2:2181) and
// 3 (zk3:2181)".
func names(ms []Member) string {
	if len(ms) == 1 {
		return ms[0].Node.String()
	}
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = strconv.Itoa(m.ID) + " (" + m.Addr() + ")"
	}
	return "zookeeper nodes " + strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}
