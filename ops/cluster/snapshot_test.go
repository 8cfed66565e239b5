package cluster

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// part builds one metadata partition: leader, replicas, isr.
func part(id, leader int32, replicas, isr []int32) kmsg.MetadataResponseTopicPartition {
	p := kmsg.NewMetadataResponseTopicPartition()
	p.Partition, p.Leader, p.Replicas, p.ISR = id, leader, replicas, isr
	return p
}

func topic(name string, parts ...kmsg.MetadataResponseTopicPartition) kmsg.MetadataResponseTopic {
	t := kmsg.NewMetadataResponseTopic()
	t.Topic = &name
	t.Partitions = parts
	return t
}

func metadata(topics ...kmsg.MetadataResponseTopic) *kmsg.MetadataResponse {
	m := kmsg.NewPtrMetadataResponse()
	m.ControllerID = 1
	m.Topics = topics
	return m
}

func TestCountClassifiesPartitions(t *testing.T) {
	tests := []struct {
		name   string
		minISR int
		p      kmsg.MetadataResponseTopicPartition
		want   Counts
	}{
		{"healthy", 2, part(0, 1, []int32{1, 2, 3}, []int32{1, 2, 3}), Counts{Partitions: 1}},
		{"one replica out of sync", 2, part(0, 1, []int32{1, 2, 3}, []int32{1, 2}),
			Counts{Partitions: 1, UnderReplicated: 1}},
		{"below min isr", 2, part(0, 1, []int32{1, 2, 3}, []int32{1}),
			Counts{Partitions: 1, UnderReplicated: 1, UnderMinISR: 1}},
		{"min isr 3 with two in sync", 3, part(0, 1, []int32{1, 2, 3}, []int32{1, 2}),
			Counts{Partitions: 1, UnderReplicated: 1, UnderMinISR: 1}},
		{"offline keeps its last isr", 2, part(0, -1, []int32{1, 2, 3}, []int32{3}),
			Counts{Partitions: 1, UnderReplicated: 1, UnderMinISR: 1, Offline: 1}},
		{"min isr unknown is not counted", 0, part(0, 1, []int32{1, 2, 3}, []int32{1}),
			Counts{Partitions: 1, UnderReplicated: 1}},
		{"rf1 healthy", 1, part(0, 2, []int32{2}, []int32{2}), Counts{Partitions: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := BuildSnapshot(SnapshotInput{Cluster: "c", Metadata: metadata(topic("orders", tt.p)),
				MinISR: map[string]int{"orders": tt.minISR}})
			if s.Counts != tt.want {
				t.Fatalf("counts = %+v, want %+v", s.Counts, tt.want)
			}
		})
	}
}

func TestBuildSnapshotMixedTopicsAndBrokers(t *testing.T) {
	md := metadata(
		topic("payments", part(1, 2, []int32{2, 3, 1}, []int32{2, 3}), part(0, 1, []int32{1, 2, 3}, []int32{1, 2, 3})),
		topic("audit", part(0, 3, []int32{3, 1}, []int32{3})),
	)
	rack := "a"
	d := kmsg.NewPtrDescribeClusterResponse()
	d.ControllerID = 2
	for _, b := range []struct {
		id     int32
		fenced bool
	}{{3, true}, {1, false}, {2, false}} {
		rb := kmsg.NewDescribeClusterResponseBroker()
		rb.NodeID, rb.Host, rb.Rack, rb.IsFenced = b.id, fmt.Sprintf("k%d", b.id), &rack, b.fenced
		d.Brokers = append(d.Brokers, rb)
	}
	ra := kmsg.NewPtrListPartitionReassignmentsResponse()
	rt := kmsg.NewListPartitionReassignmentsResponseTopic()
	rt.Topic = "payments"
	rp := kmsg.NewListPartitionReassignmentsResponseTopicPartition()
	rp.Partition, rp.Replicas, rp.AddingReplicas = 1, []int32{2, 3, 1, 4}, []int32{4}
	rt.Partitions = append(rt.Partitions, rp)
	ra.Topics = append(ra.Topics, rt)

	s := BuildSnapshot(SnapshotInput{Cluster: "c", Metadata: md, Describe: d, Reassignments: ra,
		MinISR: map[string]int{"payments": 2, "audit": 2}, TakenAt: time.Unix(1, 0)})

	want := Counts{Partitions: 3, UnderReplicated: 2, UnderMinISR: 1, Reassigning: 1}
	if s.Counts != want {
		t.Errorf("counts = %+v, want %+v", s.Counts, want)
	}
	if s.Controller != 2 {
		t.Errorf("controller = %d, want 2 (from DescribeCluster)", s.Controller)
	}
	if got := [3]int32{s.Brokers[0].ID, s.Brokers[1].ID, s.Brokers[2].ID}; got != [3]int32{1, 2, 3} {
		t.Errorf("brokers not sorted by id: %v", got)
	}
	if b, ok := s.Broker(3); !ok || !b.Fenced || b.Alive() {
		t.Errorf("broker 3 = %+v, %v; want registered and fenced", b, ok)
	}
	if _, ok := s.Broker(4); ok {
		t.Errorf("broker 4 is not registered")
	}
	if got := s.PartitionName(&s.Partitions[0]); got != "audit-0" {
		t.Errorf("first partition = %s, want audit-0 (topics sorted by name)", got)
	}
	if got := s.PartitionName(&s.Partitions[1]); got != "payments-0" {
		t.Errorf("second partition = %s, want payments-0 (partitions sorted by id)", got)
	}
	probs := s.Problems(0)
	if len(probs) != 2 || probs[0].Partition != "audit-0" || probs[0].Kind != ProblemUnderMinISR ||
		probs[1].Partition != "payments-1" || probs[1].Kind != ProblemUnderReplicated {
		t.Errorf("problems = %+v", probs)
	}
	load := s.Load()
	if l := load[3]; l.Leaders != 1 || l.Replicas != 3 || l.UnderReplicated != 2 {
		t.Errorf("broker 3 load = %+v, want 1 leader, 3 replicas, 2 under-replicated", l)
	}
}

func TestBuildSnapshotWithoutDescribeClusterUsesMetadataBrokers(t *testing.T) {
	md := metadata()
	for _, id := range []int32{2, 1} {
		b := kmsg.NewMetadataResponseBroker()
		b.NodeID = id
		md.Brokers = append(md.Brokers, b)
	}
	s := BuildSnapshot(SnapshotInput{Metadata: md})
	if len(s.Brokers) != 2 || s.Brokers[0].ID != 1 || s.Brokers[0].Fenced {
		t.Fatalf("brokers = %+v", s.Brokers)
	}
}

// syntheticMetadata builds a cluster of n partitions over brokers, RF3, one broker in ten
// lagging, so counting has real work to do.
func syntheticMetadata(partitions, perTopic, brokers int) (*kmsg.MetadataResponse, map[string]int) {
	md := kmsg.NewPtrMetadataResponse()
	minISR := map[string]int{}
	for t := 0; t*perTopic < partitions; t++ {
		name := fmt.Sprintf("topic-%05d", t)
		minISR[name] = 2
		tp := kmsg.NewMetadataResponseTopic()
		tp.Topic = &name
		for p := 0; p < perTopic && t*perTopic+p < partitions; p++ {
			i := t*perTopic + p
			r := []int32{int32(i % brokers), int32((i + 1) % brokers), int32((i + 2) % brokers)}
			isr := r
			if i%10 == 0 {
				isr = r[:2]
			}
			tp.Partitions = append(tp.Partitions, part(int32(p), r[0], r, isr))
		}
		md.Topics = append(md.Topics, tp)
	}
	return md, minISR
}

func TestSyntheticMetadataCounts(t *testing.T) {
	md, minISR := syntheticMetadata(1000, 10, 6)
	s := BuildSnapshot(SnapshotInput{Metadata: md, MinISR: minISR})
	if s.Counts.Partitions != 1000 || s.Counts.UnderReplicated != 100 || s.Counts.UnderMinISR != 0 {
		t.Fatalf("counts = %+v", s.Counts)
	}
}

// BenchmarkBuildSnapshot100k measures turning Metadata for 100k partitions into a counted
// snapshot (SPEC target: under 2 s per 100k partitions on 2 cores).
func BenchmarkBuildSnapshot100k(b *testing.B) {
	md, minISR := syntheticMetadata(100_000, 20, 100)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s := BuildSnapshot(SnapshotInput{Metadata: md, MinISR: minISR})
		if s.Counts.Partitions != 100_000 {
			b.Fatal(s.Counts)
		}
	}
}

// BenchmarkCount100k measures the counting pass alone.
func BenchmarkCount100k(b *testing.B) {
	md, minISR := syntheticMetadata(100_000, 20, 100)
	s := BuildSnapshot(SnapshotInput{Metadata: md, MinISR: minISR})
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if c := s.Count(); c.UnderReplicated != 10_000 {
			b.Fatal(c)
		}
	}
}

// BenchmarkDecodeAndBuildSnapshot100k adds decoding the Metadata response off the wire, the
// larger share of a real snapshot's CPU cost.
func BenchmarkDecodeAndBuildSnapshot100k(b *testing.B) {
	md, minISR := syntheticMetadata(100_000, 20, 100)
	md.Version = 12
	wire := md.AppendTo(nil)
	b.SetBytes(int64(len(wire)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		resp := kmsg.NewPtrMetadataResponse()
		resp.Version = 12
		if err := resp.ReadFrom(wire); err != nil {
			b.Fatal(err)
		}
		if s := BuildSnapshot(SnapshotInput{Metadata: resp, MinISR: minISR}); s.Counts.Partitions != 100_000 {
			b.Fatal(s.Counts)
		}
	}
}

func TestPreferredElsewhere(t *testing.T) {
	s := &Snapshot{Topics: []Topic{{Name: "t"}}, Partitions: []Partition{
		{Topic: 0, ID: 0, Leader: 2, Replicas: []int32{1, 2, 3}}, // preferred 1, led by 2: elect
		{Topic: 0, ID: 1, Leader: 1, Replicas: []int32{1, 2, 3}}, // already preferred
		{Topic: 0, ID: 2, Leader: 3, Replicas: []int32{2, 3, 1}}, // preferred 2: not ours
	}}
	got := s.PreferredElsewhere([]int32{1})
	if len(got) != 1 || len(got["t"]) != 1 || got["t"][0] != 0 {
		t.Errorf("PreferredElsewhere = %v, want t:[0]", got)
	}
}

// Problems keeps only the first limit of each kind while it scans; what it returns must be what
// listing every problem, sorting worst first (stable) and cutting at limit returns.
func TestProblemsKeepsTheWorstFirstInSnapshotOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 17))
	for i := range 2000 {
		s := gateRandomSnapshot(rng)
		// The reference: every problem in snapshot order, then a stable sort, worst first.
		var want []PartitionProblem
		for j := range s.Partitions {
			p := &s.Partitions[j]
			kind := ProblemKind(-1)
			switch {
			case p.IsOffline():
				kind = ProblemOffline
			case p.UnderMinISR(s.Topics[p.Topic].MinISR):
				kind = ProblemUnderMinISR
			case p.UnderReplicated():
				kind = ProblemUnderReplicated
			}
			if kind >= 0 {
				want = append(want, PartitionProblem{Partition: s.PartitionName(p), Kind: kind, Leader: p.Leader, Replicas: p.Replicas, ISR: p.ISR})
			}
		}
		slices.SortStableFunc(want, func(a, b PartitionProblem) int { return int(a.Kind - b.Kind) })
		if got := s.Problems(0); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("snapshot %d: every problem:\n got %v\nwant %v", i, got, want)
		}
		for _, limit := range []int{1, 2, 3, 10} {
			got := s.Problems(limit)
			w := want
			if len(w) > limit {
				w = w[:limit]
			}
			if fmt.Sprint(got) != fmt.Sprint(w) {
				t.Fatalf("snapshot %d limit %d:\n got %v\nwant %v", i, limit, got, w)
			}
		}
	}
}

func TestOnlyReassigningKeepsTheMovingPartitions(t *testing.T) {
	s := gateSyntheticSnapshot(100, 6)
	moving := []Partition{s.Partitions[3], s.Partitions[57]}
	for _, p := range moving {
		s.Reassignments = append(s.Reassignments, Reassignment{Topic: s.Topics[p.Topic].Name, Partition: p.ID, Adding: []int32{5}})
	}
	got := s.OnlyReassigning()
	if len(got.Partitions) != 2 || s.PartitionName(&got.Partitions[0]) != s.PartitionName(&moving[0]) ||
		s.PartitionName(&got.Partitions[1]) != s.PartitionName(&moving[1]) {
		t.Errorf("kept %v", got.Partitions)
	}
	if len(s.Partitions) != 100 || got.Counts != s.Counts || len(got.Topics) != len(s.Topics) {
		t.Error("the original must be left whole and the counts kept")
	}
}
