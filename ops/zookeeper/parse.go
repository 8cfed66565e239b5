package zookeeper

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/kfleet/kfleet/ops/fault"
)

// What ZooKeeper prints instead of an answer (AbstractFourLetterCommand.ZK_NOT_SERVING and the
// NopCommand message of NIOServerCnxn/NettyServerCnxn, 3.5.3 to 3.9).
const (
	notServingText  = "This ZooKeeper instance is not currently serving requests"
	notAllowedText  = " is not executed because it is not in the whitelist."
	whitelistConfig = "4lw.commands.whitelist"
)

// ErrNotServing is ParseMntr's answer for a node that is not serving (electing, syncing,
// starting). ParseSrvr reports it as ModeNotServing instead, since that is a state to show.
var ErrNotServing = errors.New(notServingText)

// NotWhitelistedError says a node refused a four-letter word because its zoo.cfg does not list
// it in 4lw.commands.whitelist. Asking over SSH gets the same refusal: the list applies to every
// client.
type NotWhitelistedError struct {
	Node    Node   // zero when the error comes straight from a parser
	Command string // the refused word, e.g. "mntr"
}

func (e *NotWhitelistedError) Error() string {
	return fmt.Sprintf("%srefuses the four-letter word %q: it is not in %s; add it to that line of zoo.cfg (e.g. %s=srvr,mntr; or the JVM flag -Dzookeeper.%s) and restart the node",
		nodePrefix(e.Node), e.Command, whitelistConfig, whitelistConfig, whitelistConfig)
}

// FaultKind: ZooKeeper refused kfleet; nothing was changed.
func (e *NotWhitelistedError) FaultKind() fault.Kind { return fault.Unreachable }

// AnswerError says an answer is not what ZooKeeper prints for the word: something else listens
// on the port, or the connection was cut mid-answer.
type AnswerError struct {
	Node    Node // zero when the error comes straight from a parser
	Command string
	Reason  string
	Answer  string // the start of what came back
}

func (e *AnswerError) Error() string {
	return fmt.Sprintf("%sthe answer to %s is not ZooKeeper's: %s (it begins %q); is this a ZooKeeper client port?",
		nodePrefix(e.Node), e.Command, e.Reason, excerpt(e.Answer))
}

// FaultKind: kfleet could not read the node; nothing was changed.
func (e *AnswerError) FaultKind() fault.Kind { return fault.Unreachable }

func nodePrefix(n Node) string {
	if n.Host == "" {
		return ""
	}
	return n.String() + ": "
}

func excerpt(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

// refused tells whether answer is ZooKeeper's refusal of word.
func refused(answer, word string) bool {
	return strings.TrimSpace(answer) == word+notAllowedText
}

// ParseSrvr reads the answer to srvr (or stat, whose client list it skips):
//
//	Zookeeper version: 3.9.3-c26634f34490bb0ea7a09cc51e05ede3b4e320ee, built on 2024-10-17 23:21 UTC
//	Latency min/avg/max: 0/0.0/0
//	Received: 2
//	Sent: 1
//	Connections: 1
//	Outstanding: 0
//	Zxid: 0x200000002
//	Mode: leader
//	Node count: 5
//	Proposal sizes last/min/max: 48/48/48
//
// A node that is not serving gives a NodeState with ModeNotServing; a refusal gives a
// *NotWhitelistedError, anything else that has no Mode line an *AnswerError.
func ParseSrvr(answer string) (NodeState, error) {
	if refused(answer, "srvr") {
		return NodeState{}, &NotWhitelistedError{Command: "srvr"}
	}
	if strings.HasPrefix(strings.TrimSpace(answer), notServingText) {
		return NodeState{Mode: ModeNotServing}, nil
	}
	bad := func(reason string) (NodeState, error) {
		return NodeState{}, &AnswerError{Command: "srvr", Reason: reason, Answer: answer}
	}
	var st NodeState
	for _, line := range strings.Split(answer, "\n") {
		key, value, ok := strings.Cut(strings.TrimRight(line, "\r"), ": ")
		if !ok {
			continue // "Clients:", the client lines of stat, "READ-ONLY mode; ...", blank lines
		}
		value = strings.TrimSpace(value)
		var err error
		switch key {
		case "Zookeeper version":
			st.Version = shortVersion(value)
		case "Latency min/avg/max":
			st.LatencyMinMs, st.LatencyAvgMs, st.LatencyMaxMs, err = parseLatency(value)
		case "Connections":
			st.Connections, err = strconv.ParseInt(value, 10, 64)
		case "Outstanding":
			st.Outstanding, err = strconv.ParseInt(value, 10, 64)
		case "Zxid":
			var z uint64
			z, err = strconv.ParseUint(strings.TrimPrefix(value, "0x"), 16, 64)
			st.Zxid = Zxid(z)
		case "Mode":
			st.Mode = Mode(value)
		case "Node count":
			st.NodeCount, err = strconv.ParseInt(value, 10, 64)
		}
		if err != nil {
			return bad(fmt.Sprintf("bad %q line", key))
		}
	}
	if st.Mode == "" {
		return bad("no Mode line")
	}
	return st, nil
}

// shortVersion keeps the release of "3.9.3-c266..., built on ...": "3.9.3".
func shortVersion(v string) string {
	if i := strings.IndexAny(v, "-,"); i >= 0 {
		v = v[:i]
	}
	return strings.TrimSpace(v)
}

// parseLatency reads "min/avg/max" in milliseconds; avg is a decimal since 3.6 ("0/0.2837/20").
func parseLatency(v string) (minMs int64, avgMs float64, maxMs int64, err error) {
	parts := strings.Split(v, "/")
	if len(parts) != 3 {
		return 0, 0, 0, errors.New("want min/avg/max")
	}
	if minMs, err = strconv.ParseInt(parts[0], 10, 64); err != nil {
		return
	}
	if avgMs, err = strconv.ParseFloat(parts[1], 64); err != nil {
		return
	}
	maxMs, err = strconv.ParseInt(parts[2], 10, 64)
	return
}

// ParseMntr reads the answer to mntr: one "zk_<key><TAB><value>" line per key, in no fixed
// order, many more keys than kfleet reads. A leader's gauges print "null" while it has no
// leader object yet; those count as absent. A node that is not serving gives ErrNotServing, a
// refusal a *NotWhitelistedError, an answer without zk_server_state an *AnswerError.
func ParseMntr(answer string) (Monitor, error) {
	if refused(answer, "mntr") {
		return Monitor{}, &NotWhitelistedError{Command: "mntr"}
	}
	if strings.HasPrefix(strings.TrimSpace(answer), notServingText) {
		return Monitor{}, ErrNotServing
	}
	var m Monitor
	leader := LeaderStats{Learners: -1, SyncedFollowers: -1, PendingSyncs: -1}
	isLeader := false
	for _, line := range strings.Split(answer, "\n") {
		line = strings.TrimRight(line, "\r")
		key, value, ok := strings.Cut(line, "\t")
		if !ok {
			// The documentation shows spaces; the server prints a tab. Take either.
			key, value, ok = strings.Cut(line, " ")
		}
		value = strings.TrimSpace(value)
		if !ok || !strings.HasPrefix(key, "zk_") || value == "null" {
			continue
		}
		var err error
		switch key {
		case "zk_version":
			m.Version = value
		case "zk_server_state":
			m.ServerState = Mode(value)
		case "zk_peer_state":
			m.PeerState = value
		case "zk_outstanding_requests":
			m.OutstandingRequests, err = strconv.ParseInt(value, 10, 64)
		case "zk_znode_count":
			m.ZnodeCount, err = strconv.ParseInt(value, 10, 64)
		case "zk_quorum_size":
			m.QuorumSize, err = strconv.Atoi(value)
		case "zk_learners", "zk_followers":
			leader.Learners, err = strconv.Atoi(value)
			isLeader = true
		case "zk_synced_followers":
			leader.SyncedFollowers, err = strconv.Atoi(value)
			isLeader = true
		case "zk_pending_syncs":
			leader.PendingSyncs, err = strconv.Atoi(value)
			isLeader = true
		}
		if err != nil {
			return Monitor{}, &AnswerError{Command: "mntr", Reason: fmt.Sprintf("bad %s line", key), Answer: answer}
		}
	}
	if m.ServerState == "" {
		return Monitor{}, &AnswerError{Command: "mntr", Reason: "no zk_server_state line", Answer: answer}
	}
	if isLeader && leader.SyncedFollowers >= 0 {
		m.Leader = &leader
	}
	return m, nil
}
