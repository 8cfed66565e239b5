package reassign

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/kfleet/kfleet/ops/cluster"
)

// fakeKafka plays a cluster's controller for the executor: a reassignment finishes after a
// number of ListPartitionReassignments polls, throttle configs are lists and maps, and every
// call that would reach a broker checks that the broker is serving.
type fakeKafka struct {
	mu      sync.Mutex
	t       *testing.T
	brokers []cluster.Broker
	parts   map[TopicPartition][]int32
	moving  map[TopicPartition]*fakeMove
	// finishAfter is how many polls a move takes; per partition, else defaultPolls.
	finishAfter  map[TopicPartition]int
	defaultPolls int
	topicCfg     map[string]map[string][]string
	brokerCfg    map[int32]map[string]string
	alterErr     map[TopicPartition]error
	sizes        Sizes
	elected      map[string][]int32
	submitted    []TopicPartition
	polls        int
	onPoll       func(f *fakeKafka) // called (locked) at the start of every Reassigning
	maxInFlight  int
	maxPerBroker int
	deadCalls    []string
}

type fakeMove struct {
	target, original []int32
	left             int
	foreign          bool
}

func newFake(t *testing.T, bs []cluster.Broker, parts map[TopicPartition][]int32) *fakeKafka {
	return &fakeKafka{t: t, brokers: bs, parts: parts, moving: map[TopicPartition]*fakeMove{},
		finishAfter: map[TopicPartition]int{}, defaultPolls: 2, topicCfg: map[string]map[string][]string{},
		brokerCfg: map[int32]map[string]string{}, alterErr: map[TopicPartition]error{}, elected: map[string][]int32{}}
}

func (f *fakeKafka) alive(id int32) bool {
	for _, b := range f.brokers {
		if b.ID == id {
			return b.Alive()
		}
	}
	return false
}

func (f *fakeKafka) Snapshot(ctx context.Context) (*cluster.Snapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := &cluster.Snapshot{Cluster: "fake", Brokers: slices.Clone(f.brokers)}
	var tps []TopicPartition
	for tp := range f.parts {
		tps = append(tps, tp)
	}
	slices.SortFunc(tps, func(a, b TopicPartition) int {
		if c := strings.Compare(a.Topic, b.Topic); c != 0 {
			return c
		}
		return int(a.Partition - b.Partition)
	})
	topics := map[string]int32{}
	for _, tp := range tps {
		ti, ok := topics[tp.Topic]
		if !ok {
			ti = int32(len(s.Topics))
			topics[tp.Topic] = ti
			s.Topics = append(s.Topics, cluster.Topic{Name: tp.Topic, MinISR: 2})
		}
		reps := f.replicasLocked(tp)
		var isr []int32
		for _, r := range reps {
			if f.alive(r) {
				isr = append(isr, r)
			}
		}
		leader := int32(-1)
		if len(isr) > 0 {
			leader = isr[0]
		}
		s.Partitions = append(s.Partitions, cluster.Partition{Topic: ti, ID: tp.Partition, Leader: leader, Replicas: reps, ISR: isr})
	}
	for tp, m := range f.moving {
		s.Reassignments = append(s.Reassignments, cluster.Reassignment{Topic: tp.Topic, Partition: tp.Partition,
			Replicas: f.replicasLocked(tp), Adding: minus(m.target, m.original), Removing: minus(m.original, m.target)})
	}
	s.Counts = s.Count()
	return s, nil
}

func (f *fakeKafka) Brokers(ctx context.Context) ([]cluster.Broker, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.brokers), nil
}

// replicasLocked is what metadata shows: during a move, the target then the replicas leaving.
func (f *fakeKafka) replicasLocked(tp TopicPartition) []int32 {
	if m, ok := f.moving[tp]; ok {
		return append(slices.Clone(m.target), minus(m.original, m.target)...)
	}
	return f.parts[tp]
}

func (f *fakeKafka) Reassigning(ctx context.Context, tps []TopicPartition) (map[TopicPartition]cluster.Reassignment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.polls++
	if f.onPoll != nil {
		f.onPoll(f)
	}
	for tp, m := range f.moving {
		if m.foreign {
			continue
		}
		m.left--
		if m.left <= 0 {
			f.parts[tp] = m.target
			delete(f.moving, tp)
		}
	}
	out := map[TopicPartition]cluster.Reassignment{}
	for tp, m := range f.moving {
		if tps != nil && !slices.Contains(tps, tp) {
			continue
		}
		out[tp] = cluster.Reassignment{Topic: tp.Topic, Partition: tp.Partition, Replicas: f.replicasLocked(tp),
			Adding: minus(m.target, m.original), Removing: minus(m.original, m.target)}
	}
	return out, nil
}

func (f *fakeKafka) Replicas(ctx context.Context, tps []TopicPartition) (map[TopicPartition][]int32, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[TopicPartition][]int32{}
	for _, tp := range tps {
		if _, ok := f.parts[tp]; ok {
			out[tp] = f.replicasLocked(tp)
		}
	}
	return out, nil
}

func (f *fakeKafka) Alter(ctx context.Context, assign map[TopicPartition][]int32) (map[TopicPartition]error, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.alterLocked(assign), nil
}

func (f *fakeKafka) alterLocked(assign map[TopicPartition][]int32) map[TopicPartition]error {
	out := map[TopicPartition]error{}
	for tp, target := range assign {
		if err := f.alterErr[tp]; err != nil {
			out[tp] = err
			continue
		}
		if target == nil {
			m, ok := f.moving[tp]
			if !ok {
				out[tp] = kerr.NoReassignmentInProgress
				continue
			}
			// Like Kafka: the list in flight (target first, then the replicas leaving) minus the
			// ones being added. The old replicas come back, not necessarily in their old order.
			f.parts[tp] = minus(f.replicasLocked(tp), minus(m.target, m.original))
			delete(f.moving, tp)
			out[tp] = nil
			continue
		}
		if sameSet(target, f.parts[tp]) {
			f.parts[tp] = target // a reorder: nothing to copy, done at once
			out[tp] = nil
			continue
		}
		polls := f.defaultPolls
		if n, ok := f.finishAfter[tp]; ok {
			polls = n
		}
		f.moving[tp] = &fakeMove{target: target, original: f.parts[tp], left: polls}
		f.submitted = append(f.submitted, tp)
		out[tp] = nil
	}
	f.maxInFlight = max(f.maxInFlight, len(f.moving))
	per := map[int32]int{}
	for _, m := range f.moving {
		mv := Move{Replicas: m.original, Target: m.target}
		for _, b := range participants(&mv, f.alive) {
			per[b]++
			f.maxPerBroker = max(f.maxPerBroker, per[b])
		}
	}
	return out
}

// cancelOne reverts one of kfleet's moves in flight, as another tool would.
func (f *fakeKafka) cancelOne() (TopicPartition, bool) {
	for tp, m := range f.moving {
		if !m.foreign {
			f.alterLocked(map[TopicPartition][]int32{tp: nil})
			return tp, true
		}
	}
	return TopicPartition{}, false
}

func (f *fakeKafka) ReplicaSizes(ctx context.Context, brokers []int32, tps []TopicPartition) (map[int32]map[TopicPartition]int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[int32]map[TopicPartition]int64{}
	for _, b := range brokers {
		if !f.alive(b) {
			f.deadCalls = append(f.deadCalls, fmt.Sprintf("DescribeLogDirs to dead broker %d", b))
			continue
		}
		out[b] = map[TopicPartition]int64{}
		for _, tp := range tps {
			size := f.sizes.of(tp.Topic, tp.Partition)
			if m, ok := f.moving[tp]; ok && slices.Contains(minus(m.target, m.original), b) {
				size /= 2
			}
			out[b][tp] = size
		}
	}
	return out, nil
}

func (f *fakeKafka) TopicConfigs(ctx context.Context, topics []string, names ...string) (map[string]map[string]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]map[string]string{}
	for _, t := range topics {
		out[t] = map[string]string{}
		for _, n := range names {
			if v := f.topicCfg[t][n]; len(v) > 0 {
				out[t][n] = strings.Join(v, ",")
			}
		}
	}
	return out, nil
}

func (f *fakeKafka) AppendTopicConfigs(ctx context.Context, entries map[string]map[string][]string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for t, keys := range entries {
		if f.topicCfg[t] == nil {
			f.topicCfg[t] = map[string][]string{}
		}
		for k, vals := range keys {
			for _, v := range vals {
				if !slices.Contains(f.topicCfg[t][k], v) {
					f.topicCfg[t][k] = append(f.topicCfg[t][k], v)
				}
			}
		}
	}
	return nil
}

func (f *fakeKafka) SubtractTopicConfigs(ctx context.Context, entries map[string]map[string][]string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for t, keys := range entries {
		for k, vals := range keys {
			f.topicCfg[t][k] = slices.DeleteFunc(f.topicCfg[t][k], func(v string) bool { return slices.Contains(vals, v) })
		}
	}
	return nil
}

func (f *fakeKafka) BrokerDynamicConfigs(ctx context.Context, broker int32, names ...string) (map[string]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.alive(broker) {
		f.deadCalls = append(f.deadCalls, fmt.Sprintf("DescribeConfigs to dead broker %d", broker))
		return nil, errors.New("dead broker")
	}
	out := map[string]string{}
	for _, n := range names {
		if v, ok := f.brokerCfg[broker][n]; ok {
			out[n] = v
		}
	}
	return out, nil
}

func (f *fakeKafka) SetBrokerConfigs(ctx context.Context, broker int32, configs map[string]*string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.alive(broker) {
		f.deadCalls = append(f.deadCalls, fmt.Sprintf("IncrementalAlterConfigs to dead broker %d", broker))
		return errors.New("dead broker")
	}
	if f.brokerCfg[broker] == nil {
		f.brokerCfg[broker] = map[string]string{}
	}
	for k, v := range configs {
		if v == nil {
			delete(f.brokerCfg[broker], k)
		} else {
			f.brokerCfg[broker][k] = *v
		}
	}
	return nil
}

func (f *fakeKafka) ElectPreferred(ctx context.Context, partitions map[string][]int32) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for t, ps := range partitions {
		f.elected[t] = append(f.elected[t], ps...)
	}
	return nil
}

func (f *fakeKafka) PartitionSizes(ctx context.Context) (Sizes, error) {
	if f.sizes == nil {
		return nil, errors.New("no sizes")
	}
	return f.sizes, nil
}

// throttleState renders every throttle config, for assertions: "t/leader.replication.throttled.replicas=0:1,0:2".
func (f *fakeKafka) throttleState() []string {
	var out []string
	for t, keys := range f.topicCfg {
		for k, v := range keys {
			if len(v) > 0 {
				out = append(out, t+"/"+k+"="+strings.Join(v, ","))
			}
		}
	}
	for b, cfg := range f.brokerCfg {
		for k, v := range cfg {
			out = append(out, fmt.Sprintf("broker %d/%s=%s", b, k, v))
		}
	}
	slices.Sort(out)
	return out
}
