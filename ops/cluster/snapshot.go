package cluster

import (
	"slices"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Snapshot is one consistent-enough picture of a cluster: who is registered, who leads what, and
// which partitions are in trouble. Planners and gates are pure functions of it.
type Snapshot struct {
	Cluster       string
	ClusterID     string
	TakenAt       time.Time
	Controller    int32 // -1 when unknown
	Brokers       []Broker
	Topics        []Topic
	Partitions    []Partition // grouped by topic in Topics order, each group sorted by partition id
	Reassignments []Reassignment
	Quorum        *Quorum // nil when the cluster is not KRaft or the quorum could not be read
	// ZooKeeper is a ZooKeeper-mode cluster's ensemble, read beside Kafka for the safety gate;
	// nil in KRaft mode, or when the reader was not asked for it.
	ZooKeeper *ZooKeeperHealth
	Counts    Counts
	Warnings  []string // things the snapshot could not see fully (e.g. a topic's config)
}

// Broker is a registered broker as the cluster sees it.
type Broker struct {
	ID     int32
	Host   string
	Port   int32
	Rack   string
	Fenced bool
}

// Alive reports whether the broker is registered and unfenced, i.e. serving.
func (b Broker) Alive() bool { return !b.Fenced }

// Topic is one topic with its effective min.insync.replicas.
type Topic struct {
	Name     string
	Internal bool
	MinISR   int // effective value; 0 when it could not be read
}

// Partition is one partition's replica state. Leader is -1 when the partition has no leader.
type Partition struct {
	Topic    int32 // index into Snapshot.Topics
	ID       int32
	Leader   int32
	Replicas []int32
	ISR      []int32
	Offline  []int32
}

// Reassignment is an in-flight partition reassignment.
type Reassignment struct {
	Topic     string
	Partition int32
	Replicas  []int32
	Adding    []int32
	Removing  []int32
}

// Counts summarises the partitions that need attention.
type Counts struct {
	Partitions      int
	UnderReplicated int // ISR smaller than the replica set
	UnderMinISR     int // ISR smaller than the topic's min.insync.replicas: producers with acks=all fail
	Offline         int // no leader: nobody can read or write
	Reassigning     int
}

// UnderReplicated reports whether some replica is out of sync.
func (p *Partition) UnderReplicated() bool { return len(p.ISR) < len(p.Replicas) }

// IsOffline reports whether the partition has no leader.
func (p *Partition) IsOffline() bool { return p.Leader < 0 }

// UnderMinISR reports whether acks=all writes would be refused; minISR 0 means unknown.
func (p *Partition) UnderMinISR(minISR int) bool { return minISR > 0 && len(p.ISR) < minISR }

// Count walks every partition once; it is linear in partitions and allocates nothing.
func (s *Snapshot) Count() Counts {
	c := Counts{Partitions: len(s.Partitions), Reassigning: len(s.Reassignments)}
	for i := range s.Partitions {
		p := &s.Partitions[i]
		if p.UnderReplicated() {
			c.UnderReplicated++
		}
		if p.UnderMinISR(s.Topics[p.Topic].MinISR) {
			c.UnderMinISR++
		}
		if p.IsOffline() {
			c.Offline++
		}
	}
	return c
}

// Broker returns the registered broker with this id.
func (s *Snapshot) Broker(id int32) (Broker, bool) {
	i, ok := slices.BinarySearchFunc(s.Brokers, id, func(b Broker, id int32) int { return int(b.ID - id) })
	if !ok {
		return Broker{}, false
	}
	return s.Brokers[i], true
}

// PartitionName renders a partition as topic-N, the way Kafka's tools print it.
func (s *Snapshot) PartitionName(p *Partition) string {
	return s.Topics[p.Topic].Name + "-" + strconv.Itoa(int(p.ID))
}

// BrokerLoad is what one broker carries, for per-broker views.
type BrokerLoad struct {
	Leaders, Replicas, UnderReplicated int
}

// Load counts leaders, replicas and under-replicated partitions per broker id.
func (s *Snapshot) Load() map[int32]BrokerLoad {
	load := make(map[int32]BrokerLoad, len(s.Brokers))
	for i := range s.Partitions {
		p := &s.Partitions[i]
		urp := p.UnderReplicated()
		for _, r := range p.Replicas {
			l := load[r]
			l.Replicas++
			if urp {
				l.UnderReplicated++
			}
			if r == p.Leader {
				l.Leaders++
			}
			load[r] = l
		}
	}
	return load
}

// OnlyReassigning is a copy of the snapshot that keeps, of its partitions, only those under
// reassignment: what a view of the reassignments in flight needs, without holding every partition
// of a large cluster. Counts, brokers, topics and the rest are kept as they are.
func (s *Snapshot) OnlyReassigning() *Snapshot {
	out := *s
	out.Partitions = nil
	if len(s.Reassignments) == 0 {
		return &out
	}
	moving := make(map[string]map[int32]bool, len(s.Reassignments))
	for _, r := range s.Reassignments {
		if moving[r.Topic] == nil {
			moving[r.Topic] = map[int32]bool{}
		}
		moving[r.Topic][r.Partition] = true
	}
	for _, p := range s.Partitions {
		if int(p.Topic) < len(s.Topics) && moving[s.Topics[p.Topic].Name][p.ID] {
			out.Partitions = append(out.Partitions, p)
		}
	}
	return &out
}

// Problems lists up to limit partitions (every one when limit <= 0) that are offline, under min
// ISR or under-replicated, worst first and in snapshot order within a kind, so messages can name
// them. Only what it returns is built: an unhealthy cluster of a million partitions costs a scan.
func (s *Snapshot) Problems(limit int) []PartitionProblem {
	var byKind [3][]PartitionProblem // the first limit of each kind, in snapshot order
	for i := range s.Partitions {
		p := &s.Partitions[i]
		var kind ProblemKind
		switch {
		case p.IsOffline():
			kind = ProblemOffline
		case p.UnderMinISR(s.Topics[p.Topic].MinISR):
			kind = ProblemUnderMinISR
		case p.UnderReplicated():
			kind = ProblemUnderReplicated
		default:
			continue
		}
		if limit > 0 && len(byKind[kind]) >= limit {
			continue
		}
		byKind[kind] = append(byKind[kind], PartitionProblem{Partition: s.PartitionName(p), Kind: kind,
			Leader: p.Leader, Replicas: p.Replicas, ISR: p.ISR})
	}
	out := slices.Concat(byKind[:]...)
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

// ProblemKind orders problems from worst to least bad.
type ProblemKind int

const (
	ProblemOffline ProblemKind = iota
	ProblemUnderMinISR
	ProblemUnderReplicated
)

func (k ProblemKind) String() string {
	return [...]string{"offline", "under-min-isr", "under-replicated"}[k]
}

// MarshalText makes the kind render as its name in JSON and YAML.
func (k ProblemKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// PartitionProblem names one partition in trouble.
type PartitionProblem struct {
	Partition string      `json:"partition" yaml:"partition"`
	Kind      ProblemKind `json:"problem" yaml:"problem"`
	Leader    int32       `json:"leader" yaml:"leader"`
	Replicas  []int32     `json:"replicas" yaml:"replicas"`
	ISR       []int32     `json:"isr" yaml:"isr"`
}

// SnapshotInput is the raw material a snapshot is built from: Kafka's own responses.
type SnapshotInput struct {
	Cluster       string
	TakenAt       time.Time
	Describe      *kmsg.DescribeClusterResponse // nil when the cluster predates DescribeCluster
	Metadata      *kmsg.MetadataResponse
	MinISR        map[string]int // effective min.insync.replicas per topic
	Reassignments *kmsg.ListPartitionReassignmentsResponse
	Quorum        *Quorum
	Warnings      []string
}

// BuildSnapshot turns raw responses into a Snapshot and counts it. It is pure: no I/O.
func BuildSnapshot(in SnapshotInput) *Snapshot {
	md := in.Metadata
	s := &Snapshot{Cluster: in.Cluster, TakenAt: in.TakenAt, Controller: md.ControllerID,
		Quorum: in.Quorum, Warnings: in.Warnings}
	if md.ClusterID != nil {
		s.ClusterID = *md.ClusterID
	}
	if d := in.Describe; d != nil {
		s.Controller = d.ControllerID
		s.ClusterID = d.ClusterID
		for _, b := range d.Brokers {
			s.Brokers = append(s.Brokers, Broker{ID: b.NodeID, Host: b.Host, Port: b.Port,
				Rack: deref(b.Rack), Fenced: b.IsFenced})
		}
	} else {
		for _, b := range md.Brokers {
			s.Brokers = append(s.Brokers, Broker{ID: b.NodeID, Host: b.Host, Port: b.Port, Rack: deref(b.Rack)})
		}
	}
	slices.SortFunc(s.Brokers, func(a, b Broker) int { return int(a.ID - b.ID) })
	if in.Quorum != nil {
		// Under KRaft the quorum leader is the active controller; DescribeCluster and Metadata
		// only name a broker that forwards to it.
		s.Controller = in.Quorum.LeaderID
	}

	topics := slices.Clone(md.Topics)
	slices.SortFunc(topics, func(a, b kmsg.MetadataResponseTopic) int {
		switch an, bn := deref(a.Topic), deref(b.Topic); {
		case an < bn:
			return -1
		case an > bn:
			return 1
		}
		return 0
	})
	total := 0
	for i := range topics {
		total += len(topics[i].Partitions)
	}
	s.Topics = make([]Topic, 0, len(topics))
	s.Partitions = make([]Partition, 0, total)
	for i := range topics {
		t := &topics[i]
		name := deref(t.Topic)
		ti := int32(len(s.Topics))
		s.Topics = append(s.Topics, Topic{Name: name, Internal: t.IsInternal, MinISR: in.MinISR[name]})
		start := len(s.Partitions)
		for j := range t.Partitions {
			p := &t.Partitions[j]
			s.Partitions = append(s.Partitions, Partition{Topic: ti, ID: p.Partition, Leader: p.Leader,
				Replicas: p.Replicas, ISR: p.ISR, Offline: p.OfflineReplicas})
		}
		group := s.Partitions[start:]
		slices.SortFunc(group, func(a, b Partition) int { return int(a.ID - b.ID) })
	}
	if r := in.Reassignments; r != nil {
		for _, t := range r.Topics {
			for _, p := range t.Partitions {
				s.Reassignments = append(s.Reassignments, Reassignment{Topic: t.Topic, Partition: p.Partition,
					Replicas: p.Replicas, Adding: p.AddingReplicas, Removing: p.RemovingReplicas})
			}
		}
	}
	s.Counts = s.Count()
	return s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// PreferredElsewhere lists, by topic, the partitions whose preferred replica (the first) is one
// of ids but which another broker leads: what a preferred leader election gives back to ids.
func (s *Snapshot) PreferredElsewhere(ids []int32) map[string][]int32 {
	out := map[string][]int32{}
	for i := range s.Partitions {
		p := &s.Partitions[i]
		if len(p.Replicas) > 0 && slices.Contains(ids, p.Replicas[0]) && p.Leader != p.Replicas[0] {
			t := s.Topics[p.Topic].Name
			out[t] = append(out[t], p.ID)
		}
	}
	return out
}
