package zookeeper

import (
	"fmt"
	"net"
	"strconv"
)

// Node is one ZooKeeper server as kfleet reaches it: its server id (the N of zoo.cfg's
// server.N, the number in its myid file), its host and its client port.
type Node struct {
	ID         int    `json:"id" yaml:"id"`
	Host       string `json:"host" yaml:"host"`
	ClientPort int    `json:"client_port" yaml:"client_port"`
}

// Addr is the client port's host:port.
func (n Node) Addr() string { return net.JoinHostPort(n.Host, strconv.Itoa(n.ClientPort)) }

// String names the node as every message does: "zookeeper node 2 (zk2:2181)".
func (n Node) String() string { return fmt.Sprintf("zookeeper node %d (%s)", n.ID, n.Addr()) }

// Mode is what a node says it is doing ("Mode:" of srvr, zk_server_state of mntr).
type Mode string

const (
	ModeLeader     Mode = "leader"
	ModeFollower   Mode = "follower"
	ModeObserver   Mode = "observer"   // a non-voting member: serves reads, never counts in the quorum
	ModeStandalone Mode = "standalone" // a single server with no ensemble
	ModeReadOnly   Mode = "read-only"  // cut off from the quorum, serving read-only clients (readonlymode.enabled)
	// ModeNotServing: the node answered "This ZooKeeper instance is not currently serving
	// requests": it is electing a leader, or syncing with one, or starting.
	ModeNotServing Mode = "not-serving"
)

// Zxid is a ZooKeeper transaction id: the leader's epoch in the high 32 bits, a counter in the
// low 32. It prints, and marshals, in hex as ZooKeeper does ("0x470000003e").
type Zxid uint64

func (z Zxid) String() string { return "0x" + strconv.FormatUint(uint64(z), 16) }

// Epoch is the leader epoch the transaction was proposed in.
func (z Zxid) Epoch() uint32 { return uint32(uint64(z) >> 32) }

// MarshalText writes the hex form, so JSON carries it without losing precision.
func (z Zxid) MarshalText() ([]byte, error) { return []byte(z.String()), nil }

// NodeState is one node as it answered srvr (and mntr, in Monitor).
type NodeState struct {
	Mode    Mode   `json:"mode" yaml:"mode"`
	Version string `json:"version" yaml:"version"` // e.g. "3.9.3", from "Zookeeper version: 3.9.3-<git sha>, built on ..."
	// The fields below are srvr's; they are zero for a node that is not serving.
	Zxid         Zxid    `json:"zxid" yaml:"zxid"` // the last transaction the node applied
	LatencyMinMs int64   `json:"latency_min_ms" yaml:"latency_min_ms"`
	LatencyAvgMs float64 `json:"latency_avg_ms" yaml:"latency_avg_ms"`
	LatencyMaxMs int64   `json:"latency_max_ms" yaml:"latency_max_ms"`
	Outstanding  int64   `json:"outstanding_requests" yaml:"outstanding_requests"`
	Connections  int64   `json:"connections" yaml:"connections"`
	NodeCount    int64   `json:"znode_count" yaml:"znode_count"`
	// Monitor is what mntr adds; nil when the node refused mntr or its answer could not be read
	// (MntrError says which).
	Monitor   *Monitor `json:"mntr" yaml:"mntr"`
	MntrError string   `json:"mntr_error,omitempty" yaml:"mntr_error,omitempty"`
}

// Monitor is the part of mntr that kfleet reads. mntr prints many more keys (histograms,
// per-learner queues); new ones come with every release and are ignored.
type Monitor struct {
	Version             string `json:"version" yaml:"version"`           // zk_version, the full string
	ServerState         Mode   `json:"server_state" yaml:"server_state"` // zk_server_state
	PeerState           string `json:"peer_state,omitempty" yaml:"peer_state,omitempty"`
	OutstandingRequests int64  `json:"outstanding_requests" yaml:"outstanding_requests"`
	ZnodeCount          int64  `json:"znode_count" yaml:"znode_count"`
	// QuorumSize is zk_quorum_size (3.6+): the voting members this node's configuration has;
	// 0 when the node does not say (standalone, or before 3.6).
	QuorumSize int `json:"quorum_size,omitempty" yaml:"quorum_size,omitempty"`
	// Leader holds the keys only the leader prints; nil on any other node.
	Leader *LeaderStats `json:"leader,omitempty" yaml:"leader,omitempty"`
}

// LeaderStats are the leader's view of its learners, from mntr.
type LeaderStats struct {
	// Learners are the followers and observers connected to the leader: zk_learners since 3.6,
	// zk_followers before (3.4, 3.5); -1 when the answer has neither.
	Learners int `json:"learners" yaml:"learners"`
	// SyncedFollowers are the voting followers that finished syncing and receive proposals
	// (zk_synced_followers; observers are not counted).
	SyncedFollowers int `json:"synced_followers" yaml:"synced_followers"`
	// PendingSyncs are clients' sync() requests the leader has not completed (zk_pending_syncs).
	PendingSyncs int `json:"pending_syncs" yaml:"pending_syncs"`
}
