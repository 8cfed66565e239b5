package cluster

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kfleet/kfleet/inventory"
)

// Health is the verdict on one cluster: the inventory compared with what Kafka reports.
// Its JSON shape is the `status -o json` contract (SPEC section 4).
type Health struct {
	Name            string       `json:"name" yaml:"name"`
	Healthy         bool         `json:"healthy" yaml:"healthy"`
	Error           string       `json:"error" yaml:"error"`
	Controller      int32        `json:"controller" yaml:"controller"`
	Partitions      int          `json:"partitions" yaml:"partitions"`
	UnderReplicated int          `json:"under_replicated" yaml:"under_replicated"`
	UnderMinISR     int          `json:"under_min_isr" yaml:"under_min_isr"`
	Offline         int          `json:"offline" yaml:"offline"`
	Reassigning     int          `json:"reassigning" yaml:"reassigning"`
	Lease           *LeaseHolder `json:"lease" yaml:"lease"`
	// Operation is the operation holding the lease, where it stands (null when none).
	Operation *Operation `json:"operation" yaml:"operation"`
	// Stopped are the brokers down now that an operation journaled stopping and never started
	// again (MarkStopped): who left them down and what to run.
	Stopped         []StoppedBroker `json:"stopped_by_operations,omitempty" yaml:"stopped_by_operations,omitempty"`
	Events          []OpEvent       `json:"events" yaml:"events"` // latest operation events, newest last
	Versions        []string        `json:"versions" yaml:"versions"`
	MetadataVersion *int16          `json:"metadata_version" yaml:"metadata_version"` // finalized feature level; null: unknown
	// MetadataVersionSupported is the higher level the brokers' one release supports when a
	// deploy was not finalized yet (`kfleet deploy finalize` raises it); absent otherwise.
	MetadataVersionSupported *int16 `json:"metadata_version_supported,omitempty" yaml:"metadata_version_supported,omitempty"`
	// ProtocolVersion is, in ZooKeeper mode, the lowest inter.broker.protocol.version a broker
	// runs (what deploy finalize raises there); absent in KRaft or when no broker answered.
	ProtocolVersion string `json:"inter_broker_protocol_version,omitempty" yaml:"inter_broker_protocol_version,omitempty"`
	// MetadataMode is how the cluster keeps its metadata: kraft, or zookeeper (then ZooKeeper is
	// its ensemble's health).
	MetadataMode      string             `json:"metadata_mode" yaml:"metadata_mode"`
	ZooKeeper         *ZooKeeperHealth   `json:"zookeeper,omitempty" yaml:"zookeeper,omitempty"`
	Brokers           []BrokerHealth     `json:"brokers" yaml:"brokers"`
	Problems          []string           `json:"problems" yaml:"problems"`
	ProblemPartitions []PartitionProblem `json:"problem_partitions" yaml:"problem_partitions"`
	Warnings          []string           `json:"warnings" yaml:"warnings"`
	TakenAt           time.Time          `json:"taken_at" yaml:"taken_at"`
	Elapsed           time.Duration      `json:"-" yaml:"-"`
	Unreachable       bool               `json:"-" yaml:"-"`
	Snapshot          *Snapshot          `json:"-" yaml:"-"`
}

// ZooKeeperHealth is the verdict on a ZooKeeper-mode cluster's ensemble (ops/zookeeper reads it).
type ZooKeeperHealth struct {
	Healthy bool                  `json:"healthy" yaml:"healthy"`
	Leader  int                   `json:"leader" yaml:"leader"` // the leader's id; -1: none, or more than one
	Voters  int                   `json:"voters" yaml:"voters"`
	Serving int                   `json:"serving" yaml:"serving"` // voters serving as leader or follower
	Synced  int                   `json:"synced" yaml:"synced"`   // voters in sync with the leader, the leader included
	Nodes   []ZooKeeperNodeHealth `json:"nodes" yaml:"nodes"`
	// Problems and Warnings say, node by node, why it is unhealthy or fragile; status lists them
	// with the cluster's own.
	Problems []string `json:"-" yaml:"-"`
	Warnings []string `json:"-" yaml:"-"`
}

// ZooKeeperNodeHealth is one node of an ensemble.
type ZooKeeperNodeHealth struct {
	ID      int    `json:"id" yaml:"id"`
	Address string `json:"address" yaml:"address"`
	Up      bool   `json:"up" yaml:"up"`
	Mode    string `json:"mode" yaml:"mode"` // leader, follower, observer, standalone, not-serving; "" when down
	Synced  bool   `json:"synced" yaml:"synced"`
	// Outstanding is the node's outstanding requests (srvr).
	Outstanding int64  `json:"outstanding_requests" yaml:"outstanding_requests"`
	Error       string `json:"error,omitempty" yaml:"error,omitempty"`
}

// MarshalJSON writes every list as a list, [] when empty, never null: scripts read
// `.problems[]` whatever the cluster's state.
func (h Health) MarshalJSON() ([]byte, error) {
	type plain Health // without this method
	p := plain(h)
	p.Events = orEmpty(p.Events)
	p.Versions = orEmpty(p.Versions)
	p.Brokers = orEmpty(p.Brokers)
	p.Problems = orEmpty(p.Problems)
	p.ProblemPartitions = orEmpty(p.ProblemPartitions)
	p.Warnings = orEmpty(p.Warnings)
	return json.Marshal(p)
}

// orEmpty is s, or an empty list when s is nil.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// MetadataLabel says in a few cells how the cluster keeps its metadata: "kraft mv 27" (the
// finalized metadata.version level), or "zookeeper 3/3" (ensemble nodes in sync of the voters).
func (h *Health) MetadataLabel() string {
	switch {
	case h.ZooKeeper != nil:
		return fmt.Sprintf("zookeeper %d/%d", h.ZooKeeper.Synced, h.ZooKeeper.Voters)
	case h.MetadataMode == "zookeeper":
		return "zookeeper"
	case h.MetadataVersion != nil:
		return fmt.Sprintf("kraft mv %d", *h.MetadataVersion)
	case h.MetadataMode != "":
		return h.MetadataMode
	}
	return "-"
}

// State is the node's state in one word or two: its mode, "DOWN", or "follower (not synced)".
func (n ZooKeeperNodeHealth) State() string {
	switch {
	case !n.Up:
		return "DOWN"
	case !n.Synced && n.Mode == "follower":
		return n.Mode + " (not synced)"
	}
	return n.Mode
}

// LeaseHolder names who holds a cluster's operation lease (see lease.go); status reports null
// when nobody does. lease.State.LeaseHolder builds it.
type LeaseHolder struct {
	Holder  string    `json:"holder" yaml:"holder"`
	Purpose string    `json:"purpose" yaml:"purpose"`
	Expires time.Time `json:"expires" yaml:"expires"`
	OpID    string    `json:"op_id" yaml:"op_id"`
	Since   time.Time `json:"since" yaml:"since"`
}

// OpEvent is one operation event in the ops log.
type OpEvent struct {
	Time    time.Time         `json:"time" yaml:"time"`
	OpID    string            `json:"op_id" yaml:"op_id"`
	Holder  string            `json:"holder" yaml:"holder"`
	Kind    string            `json:"kind" yaml:"kind"` // plan, batch-start, batch-done, halted, finished, ...
	Message string            `json:"message" yaml:"message"`
	Fields  map[string]string `json:"fields,omitempty" yaml:"fields,omitempty"`
}

// BrokerProcess is what a broker's host says about the Kafka process running there.
type BrokerProcess struct {
	Running    bool
	PID        int
	StartTicks uint64 // process start time in clock ticks since boot: a restart changes it
	Version    string // from the running process's classpath, e.g. kafka_2.13-4.1.1.jar -> 4.1.1
	BootID     string // the host's boot id: a reboot changes it
	// KafkaProcesses counts kafka.Kafka processes on the host, so "not running" can say whether
	// another broker process (started with a different config) was there.
	KafkaProcesses int
	// NodeID is the node id the process was started with (node.id, else broker.id, in its config
	// file or a --override), when HasNodeID: it tells whether the host runs the broker the
	// inventory says it does.
	NodeID    int32
	HasNodeID bool
	// Checked is when the host last said all this (a probe, or a confirmation that the same
	// process still runs); a fact reused from the cache keeps the time it was confirmed.
	Checked time.Time `json:"-"`
}

// BrokerHealth is one broker: the inventory's view joined with Kafka's and the host's.
type BrokerHealth struct {
	ID           int32  `json:"id" yaml:"id"`
	Host         string `json:"host" yaml:"host"`
	Rack         string `json:"rack" yaml:"rack"`
	Alive        bool   `json:"alive" yaml:"alive"`           // registered and unfenced
	Registered   bool   `json:"registered" yaml:"registered"` // known to the controller, maybe fenced
	Fenced       bool   `json:"fenced" yaml:"fenced"`
	InInventory  bool   `json:"in_inventory" yaml:"in_inventory"`
	Version      string `json:"version" yaml:"version"`
	VersionError string `json:"version_error,omitempty" yaml:"version_error,omitempty"`
	// HostCheckedAt is when the broker's host last said which process runs there (its version,
	// node id): a status may reuse what a host said shortly before (fleet.Options.HostFactsMaxAge).
	HostCheckedAt   time.Time `json:"host_checked_at,omitzero" yaml:"host_checked_at,omitempty"`
	Leaders         int       `json:"leaders" yaml:"leaders"`
	Replicas        int       `json:"replicas" yaml:"replicas"`
	UnderReplicated int       `json:"under_replicated" yaml:"under_replicated"`
	// Identity: set only when the broker's host or Kafka disagree with the inventory about which
	// broker this is. NodeIDMismatch is the node id the Kafka process on the inventory's host was
	// started with; EndpointMismatch is where Kafka has this broker id registered (host:port).
	NodeIDMismatch   *int32 `json:"node_id_mismatch,omitempty" yaml:"node_id_mismatch,omitempty"`
	EndpointMismatch string `json:"endpoint_mismatch,omitempty" yaml:"endpoint_mismatch,omitempty"`
	// StoppedBy is the operation in flight that has this broker down on purpose (its batch under
	// way): a planned outage, not an unplanned one.
	StoppedBy string `json:"stopped_by,omitempty" yaml:"stopped_by,omitempty"`
}

// problemSample is how many partitions a verdict names.
const problemSample = 10

// Assess compares a cluster's inventory with its snapshot and the brokers' processes. It is pure.
// procs and procErrs are keyed by broker id; either may be nil when hosts were not asked.
func Assess(c *inventory.Cluster, s *Snapshot, procs map[int32]BrokerProcess, procErrs map[int32]error) Health {
	h := Health{Name: c.Name, Controller: s.Controller, Partitions: s.Counts.Partitions,
		UnderReplicated: s.Counts.UnderReplicated, UnderMinISR: s.Counts.UnderMinISR,
		Offline: s.Counts.Offline, Reassigning: s.Counts.Reassigning, TakenAt: s.TakenAt,
		Snapshot: s, Warnings: s.Warnings}
	load := s.Load()
	versions := map[string]bool{}
	for _, ib := range c.Brokers {
		b := BrokerHealth{ID: ib.ID, Host: ib.Host, Rack: ib.Rack, InInventory: true}
		if kb, ok := s.Broker(ib.ID); ok {
			b.Registered, b.Fenced, b.Alive = true, kb.Fenced, kb.Alive()
			if ib.Rack != "" && kb.Rack != ib.Rack {
				h.Warnings = append(h.Warnings, fmt.Sprintf("broker %d: inventory rack %q, Kafka says %q", ib.ID, ib.Rack, kb.Rack))
			}
		}
		l := load[ib.ID]
		b.Leaders, b.Replicas, b.UnderReplicated = l.Leaders, l.Replicas, l.UnderReplicated
		processGone := false
		switch p, err := procs[ib.ID], procErrs[ib.ID]; {
		case err != nil:
			b.VersionError = err.Error()
		case p.Running:
			b.Version, b.HostCheckedAt = p.Version, p.Checked
			versions[p.Version] = true
			if p.HasNodeID && p.NodeID != ib.ID {
				id := p.NodeID
				b.NodeIDMismatch = &id
				h.Warnings = append(h.Warnings, b.nodeIDWarning())
			}
		case procs != nil:
			b.VersionError = "no Kafka process running"
			processGone = true
		}
		switch {
		case !b.Alive:
			h.Problems = append(h.Problems, fmt.Sprintf("broker %d (%s) is %s", ib.ID, ib.Host, brokerState(b)))
		case processGone:
			// The host knows first: the controller fences a dead broker only after its session
			// times out.
			b.Alive = false
			h.Problems = append(h.Problems, fmt.Sprintf("broker %d (%s): no Kafka process runs on its host (Kafka has not fenced it yet)", ib.ID, ib.Host))
		}
		h.Brokers = append(h.Brokers, b)
	}
	for _, kb := range s.Brokers {
		if c.Broker(kb.ID) != nil {
			continue
		}
		l := load[kb.ID]
		h.Brokers = append(h.Brokers, BrokerHealth{ID: kb.ID, Host: kb.Host, Rack: kb.Rack, Alive: kb.Alive(),
			Registered: true, Fenced: kb.Fenced, Leaders: l.Leaders, Replicas: l.Replicas, UnderReplicated: l.UnderReplicated})
		h.Warnings = append(h.Warnings, fmt.Sprintf("broker %d (%s) is registered but not in the inventory", kb.ID, kb.Host))
	}
	slices.SortFunc(h.Brokers, func(a, b BrokerHealth) int { return int(a.ID - b.ID) })
	for v := range versions {
		if v != "" {
			h.Versions = append(h.Versions, v)
		}
	}
	slices.Sort(h.Versions)
	if len(h.Versions) > 1 {
		h.Warnings = append(h.Warnings, fmt.Sprintf("mixed Kafka versions: %v", h.Versions))
	}
	if n := h.Offline; n > 0 {
		h.Problems = append(h.Problems, fmt.Sprintf("%d partitions offline (no leader)", n))
	}
	if n := h.UnderMinISR; n > 0 {
		h.Problems = append(h.Problems, fmt.Sprintf("%d partitions under min.insync.replicas", n))
	}
	if n := h.UnderReplicated; n > 0 {
		h.Problems = append(h.Problems, fmt.Sprintf("%d partitions under-replicated", n))
	}
	h.ProblemPartitions = s.Problems(problemSample)
	h.Healthy = len(h.Problems) == 0
	return h
}

// Unreachable is the verdict on a cluster that could not be read.
func Unreachable(c *inventory.Cluster, err error) Health {
	h := Health{Name: c.Name, Error: err.Error(), Controller: -1, Unreachable: true,
		TakenAt: time.Now()}
	for _, ib := range c.Brokers {
		h.Brokers = append(h.Brokers, BrokerHealth{ID: ib.ID, Host: ib.Host, Rack: ib.Rack, InInventory: true})
	}
	h.Problems = []string{err.Error()}
	return h
}

// MarkStopped keeps, of the brokers the ops log says operations stopped and did not start
// again, those that are down now, and names each (and what to run) among the problems.
func (h *Health) MarkStopped(stopped []StoppedBroker) {
	for _, s := range stopped {
		i := slices.IndexFunc(h.Brokers, func(b BrokerHealth) bool { return b.ID == s.Broker })
		if i >= 0 && h.Brokers[i].Alive {
			continue
		}
		h.Stopped = append(h.Stopped, s)
		h.Problems = append(h.Problems, s.Explain())
	}
}

// MarkOperation records the operation in flight and marks the brokers of its batch that are
// down as stopped by it, their problem lines saying so; a dead holder's batch is not planned.
func (h *Health) MarkOperation(op *Operation) {
	h.Operation = op
	if op == nil || !op.HolderAlive {
		return
	}
	for i := range h.Brokers {
		b := &h.Brokers[i]
		if b.Alive || !slices.Contains(op.Brokers, b.ID) {
			continue
		}
		b.StoppedBy = op.OpID
		prefix := fmt.Sprintf("broker %d (%s)", b.ID, b.Host)
		for k, p := range h.Problems {
			if strings.HasPrefix(p, prefix) {
				h.Problems[k] = fmt.Sprintf("%s [planned: stopped by op %s, batch %d/%d, step %s]", p, op.OpID, op.Batch, op.Batches, op.Step)
			}
		}
	}
}

// MarkEndpointMismatch records that Kafka has inventory broker id registered at registeredAt
// (host:port), which is not its inventory host, and warns. The caller decides that the two are
// different machines (names resolve, and this package does no I/O).
func (h *Health) MarkEndpointMismatch(id int32, registeredAt string) {
	for i := range h.Brokers {
		if b := &h.Brokers[i]; b.ID == id && b.InInventory {
			b.EndpointMismatch = registeredAt
			h.Warnings = append(h.Warnings, b.endpointWarning())
			return
		}
	}
}

// IdentityWarnings are the broker's identity problems in words, as its cluster's Warnings carry
// them: status prints them even when it prints no other warning, since acting on a broker whose
// inventory entry is wrong would act on another broker.
func (b BrokerHealth) IdentityWarnings() []string {
	var out []string
	if b.NodeIDMismatch != nil {
		out = append(out, b.nodeIDWarning())
	}
	if b.EndpointMismatch != "" {
		out = append(out, b.endpointWarning())
	}
	return out
}

func (b BrokerHealth) nodeIDWarning() string {
	return fmt.Sprintf("broker %d (%s): the Kafka process on its host was started as broker %d, not broker %d: check the inventory",
		b.ID, b.Host, *b.NodeIDMismatch, b.ID)
}

func (b BrokerHealth) endpointWarning() string {
	return fmt.Sprintf("broker %d (%s): Kafka has it registered at %s; the inventory's host differs: check the inventory",
		b.ID, b.Host, b.EndpointMismatch)
}

func brokerState(b BrokerHealth) string {
	switch {
	case b.Fenced:
		return "fenced (registered but not serving)"
	case !b.Registered:
		return "not registered"
	}
	return "alive"
}

// StateLabel is how status and the TUI show a broker in a table: "yes", "?" while its cluster
// cannot be read, "FENCED", "NO" (not registered) or "NO PROCESS" (registered and unfenced, but
// its host runs no Kafka process: Kafka has not noticed yet).
func (b BrokerHealth) StateLabel(clusterUnreachable bool) string {
	switch {
	case clusterUnreachable:
		return "?"
	case b.Fenced:
		return "FENCED"
	case !b.Registered:
		return "NO"
	case !b.Alive:
		return "NO PROCESS"
	}
	return "yes"
}

// AliveLabel is StateLabel, with "(planned)" for a broker an operation in flight has down.
func (b BrokerHealth) AliveLabel(clusterUnreachable bool) string {
	s := b.StateLabel(clusterUnreachable)
	if b.StoppedBy != "" {
		s += " (planned)"
	}
	return s
}
