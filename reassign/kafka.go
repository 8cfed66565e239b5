package reassign

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kfleet/kfleet/ops/cluster"
	"github.com/kfleet/kfleet/ops/kafka"
)

// Kafka is what reassignment needs from a cluster. KafkaAdmin is the real one; tests use a
// fake that plays a controller moving replicas.
type Kafka interface {
	Snapshot(ctx context.Context) (*cluster.Snapshot, error)
	// Brokers lists the registered brokers, fenced ones included.
	Brokers(ctx context.Context) ([]cluster.Broker, error)
	// Reassigning lists the reassignments in flight among tps (nil: all of them).
	Reassigning(ctx context.Context, tps []TopicPartition) (map[TopicPartition]cluster.Reassignment, error)
	// Replicas reads the replica lists of tps from metadata.
	Replicas(ctx context.Context, tps []TopicPartition) (map[TopicPartition][]int32, error)
	// Alter submits new replica lists (nil cancels the partition's reassignment) and returns
	// each partition's error.
	Alter(ctx context.Context, assign map[TopicPartition][]int32) (map[TopicPartition]error, error)
	// ReplicaSizes reads the size of tps' replicas on each of brokers; brokers that do not
	// answer are left out.
	ReplicaSizes(ctx context.Context, brokers []int32, tps []TopicPartition) (map[int32]map[TopicPartition]int64, error)
	// TopicConfigs reads the named configs of topics (unset ones are absent).
	TopicConfigs(ctx context.Context, topics []string, names ...string) (map[string]map[string]string, error)
	// AppendTopicConfigs / SubtractTopicConfigs add or remove list entries, per topic and key.
	AppendTopicConfigs(ctx context.Context, entries map[string]map[string][]string) error
	SubtractTopicConfigs(ctx context.Context, entries map[string]map[string][]string) error
	// BrokerDynamicConfigs reads the named configs set on the broker itself (not defaults or
	// the cluster-wide value).
	BrokerDynamicConfigs(ctx context.Context, broker int32, names ...string) (map[string]string, error)
	// SetBrokerConfigs sets (non-nil) or deletes (nil) configs of one broker.
	SetBrokerConfigs(ctx context.Context, broker int32, configs map[string]*string) error
	ElectPreferred(ctx context.Context, partitions map[string][]int32) error
	// PartitionSizes reads every live broker's log dirs: each partition's largest replica.
	PartitionSizes(ctx context.Context) (Sizes, error)
}

// KafkaAdmin is Kafka over franz-go for one cluster.
type KafkaAdmin struct {
	*kafka.ClusterAdmin
	adm *kadm.Client
}

// NewKafkaAdmin wraps a client for the cluster named name.
func NewKafkaAdmin(name string, cl *kgo.Client) *KafkaAdmin {
	return &KafkaAdmin{ClusterAdmin: &kafka.ClusterAdmin{Name: name, Client: cl}, adm: kadm.NewClient(cl)}
}

// Brokers reads DescribeCluster with fenced brokers included.
func (k *KafkaAdmin) Brokers(ctx context.Context) ([]cluster.Broker, error) {
	req := kmsg.NewPtrDescribeClusterRequest()
	req.IncludeFencedBrokers = true
	req.EndpointType = 1
	resp, err := req.RequestWith(ctx, k.Client)
	if err != nil {
		return nil, err
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return nil, err
	}
	out := make([]cluster.Broker, 0, len(resp.Brokers))
	for _, b := range resp.Brokers {
		ob := cluster.Broker{ID: b.NodeID, Host: b.Host, Port: b.Port, Fenced: b.IsFenced}
		if b.Rack != nil {
			ob.Rack = *b.Rack
		}
		out = append(out, ob)
	}
	return out, nil
}

func topicsSet(tps []TopicPartition) kadm.TopicsSet {
	s := kadm.TopicsSet{}
	for _, tp := range tps {
		s.Add(tp.Topic, tp.Partition)
	}
	return s
}

// Reassigning reads ListPartitionReassignments.
func (k *KafkaAdmin) Reassigning(ctx context.Context, tps []TopicPartition) (map[TopicPartition]cluster.Reassignment, error) {
	req := kmsg.NewPtrListPartitionReassignmentsRequest()
	req.TimeoutMillis = 15_000
	if tps != nil {
		if len(tps) == 0 {
			return map[TopicPartition]cluster.Reassignment{}, nil
		}
		for t, ps := range topicsSet(tps) {
			rt := kmsg.NewListPartitionReassignmentsRequestTopic()
			rt.Topic = t
			for p := range ps {
				rt.Partitions = append(rt.Partitions, p)
			}
			req.Topics = append(req.Topics, rt)
		}
	}
	resp, err := req.RequestWith(ctx, k.Client)
	if err != nil {
		return nil, err
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return nil, withMessage(err, resp.ErrorMessage)
	}
	out := map[TopicPartition]cluster.Reassignment{}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			out[TopicPartition{t.Topic, p.Partition}] = cluster.Reassignment{Topic: t.Topic, Partition: p.Partition,
				Replicas: p.Replicas, Adding: p.AddingReplicas, Removing: p.RemovingReplicas}
		}
	}
	return out, nil
}

// Replicas reads metadata for the topics of tps.
func (k *KafkaAdmin) Replicas(ctx context.Context, tps []TopicPartition) (map[TopicPartition][]int32, error) {
	set := topicsSet(tps)
	md, err := k.adm.Metadata(ctx, set.Topics()...)
	if err != nil {
		return nil, err
	}
	out := make(map[TopicPartition][]int32, len(tps))
	for _, t := range md.Topics {
		for _, p := range t.Partitions {
			if set.Lookup(t.Topic, p.Partition) {
				out[TopicPartition{t.Topic, p.Partition}] = p.Replicas
			}
		}
	}
	return out, nil
}

// Alter sends AlterPartitionAssignments.
func (k *KafkaAdmin) Alter(ctx context.Context, assign map[TopicPartition][]int32) (map[TopicPartition]error, error) {
	var req kadm.AlterPartitionAssignmentsReq
	for tp, rs := range assign {
		req.Assign(tp.Topic, tp.Partition, rs)
	}
	res, err := k.adm.AlterPartitionAssignments(ctx, req)
	if err != nil {
		return nil, err
	}
	out := make(map[TopicPartition]error, len(assign))
	res.Each(func(r kadm.AlterPartitionAssignmentsResponse) {
		e := r.Err
		if e != nil && r.ErrMessage != "" {
			e = fmt.Errorf("%w: %s", e, r.ErrMessage)
		}
		out[TopicPartition{r.Topic, r.Partition}] = e
	})
	for tp := range assign {
		if _, ok := out[tp]; !ok {
			out[tp] = errors.New("no answer for this partition")
		}
	}
	return out, nil
}

// ReplicaSizes asks each broker (DescribeLogDirs) about tps.
func (k *KafkaAdmin) ReplicaSizes(ctx context.Context, brokers []int32, tps []TopicPartition) (map[int32]map[TopicPartition]int64, error) {
	set := topicsSet(tps)
	out := map[int32]map[TopicPartition]int64{}
	var errs []error
	for _, b := range brokers {
		dirs, err := k.adm.DescribeBrokerLogDirs(ctx, b, set)
		if err != nil {
			errs = append(errs, fmt.Errorf("broker %d: %w", b, err))
			continue
		}
		m := map[TopicPartition]int64{}
		dirs.EachPartition(func(p kadm.DescribedLogDirPartition) {
			if !p.IsFuture {
				m[TopicPartition{p.Topic, p.Partition}] = p.Size
			}
		})
		out[b] = m
	}
	if len(out) == 0 && len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// PartitionSizes reads every live broker's log dirs and keeps, per partition, its largest
// replica: what a new replica will have to copy. Brokers that do not answer are skipped; an
// error means no broker answered.
func (k *KafkaAdmin) PartitionSizes(ctx context.Context) (Sizes, error) {
	all, err := k.adm.DescribeAllLogDirs(ctx, nil)
	if len(all) == 0 {
		if err == nil {
			err = errors.New("no broker described its log dirs")
		}
		return nil, err
	}
	sizes := Sizes{}
	all.Each(func(d kadm.DescribedLogDir) {
		d.Topics.Each(func(p kadm.DescribedLogDirPartition) {
			if p.IsFuture {
				return
			}
			m := sizes[p.Topic]
			if m == nil {
				m = map[int32]int64{}
				sizes[p.Topic] = m
			}
			m[p.Partition] = max(m[p.Partition], p.Size)
		})
	})
	return sizes, nil
}

// TopicConfigs reads DescribeConfigs for topics.
func (k *KafkaAdmin) TopicConfigs(ctx context.Context, topics []string, names ...string) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	if len(topics) == 0 {
		return out, nil
	}
	rcs, err := k.adm.DescribeTopicConfigs(ctx, topics...)
	if err != nil {
		return nil, err
	}
	for _, rc := range rcs {
		if rc.Err != nil {
			return nil, fmt.Errorf("topic %s configs: %w", rc.Name, rc.Err)
		}
		m := map[string]string{}
		for _, c := range rc.Configs {
			for _, n := range names {
				if c.Key == n && c.Value != nil && *c.Value != "" {
					m[n] = *c.Value
				}
			}
		}
		out[rc.Name] = m
	}
	return out, nil
}

// AppendTopicConfigs sends IncrementalAlterConfigs APPEND for each topic's list entries.
func (k *KafkaAdmin) AppendTopicConfigs(ctx context.Context, entries map[string]map[string][]string) error {
	return k.alterTopicLists(ctx, kmsg.IncrementalAlterConfigOpAppend, entries)
}

// SubtractTopicConfigs sends IncrementalAlterConfigs SUBTRACT for each topic's list entries.
func (k *KafkaAdmin) SubtractTopicConfigs(ctx context.Context, entries map[string]map[string][]string) error {
	return k.alterTopicLists(ctx, kmsg.IncrementalAlterConfigOpSubtract, entries)
}

func (k *KafkaAdmin) alterTopicLists(ctx context.Context, op kmsg.IncrementalAlterConfigOp, entries map[string]map[string][]string) error {
	if len(entries) == 0 {
		return nil
	}
	req := kmsg.NewPtrIncrementalAlterConfigsRequest()
	for topic, keys := range entries {
		r := kmsg.NewIncrementalAlterConfigsRequestResource()
		r.ResourceType = kmsg.ConfigResourceTypeTopic
		r.ResourceName = topic
		for key, vals := range keys {
			if len(vals) == 0 {
				continue
			}
			c := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
			c.Name = key
			c.Op = op
			v := joinComma(vals)
			c.Value = &v
			r.Configs = append(r.Configs, c)
		}
		req.Resources = append(req.Resources, r)
	}
	var errs []error
	for _, sh := range k.Client.RequestSharded(ctx, req) {
		if sh.Err != nil {
			errs = append(errs, sh.Err)
			continue
		}
		for _, r := range sh.Resp.(*kmsg.IncrementalAlterConfigsResponse).Resources {
			if err := kerr.ErrorForCode(r.ErrorCode); err != nil {
				errs = append(errs, fmt.Errorf("topic %s: %w", r.ResourceName, withMessage(err, r.ErrorMessage)))
			}
		}
	}
	return errors.Join(errs...)
}

// BrokerDynamicConfigs reads configs set on this broker alone.
func (k *KafkaAdmin) BrokerDynamicConfigs(ctx context.Context, broker int32, names ...string) (map[string]string, error) {
	rcs, err := k.adm.DescribeBrokerConfigs(ctx, broker)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, rc := range rcs {
		if rc.Err != nil {
			return nil, fmt.Errorf("broker %s configs: %w", rc.Name, rc.Err)
		}
		for _, c := range rc.Configs {
			for _, n := range names {
				if c.Key == n && c.Value != nil && c.Source == kmsg.ConfigSourceDynamicBrokerConfig {
					out[n] = *c.Value
				}
			}
		}
	}
	return out, nil
}

// SetBrokerConfigs sends IncrementalAlterConfigs SET or DELETE to that broker.
func (k *KafkaAdmin) SetBrokerConfigs(ctx context.Context, broker int32, configs map[string]*string) error {
	var alter []kadm.AlterConfig
	for name, v := range configs {
		op := kadm.SetConfig
		if v == nil {
			op = kadm.DeleteConfig
		}
		alter = append(alter, kadm.AlterConfig{Op: op, Name: name, Value: v})
	}
	res, err := k.adm.AlterBrokerConfigs(ctx, alter, broker)
	if err != nil {
		return fmt.Errorf("broker %d: %w", broker, err)
	}
	for _, r := range res {
		if r.Err != nil {
			msg := r.Err.Error()
			if r.ErrMessage != "" {
				msg += ": " + r.ErrMessage
			}
			return fmt.Errorf("broker %s: %s", r.Name, msg)
		}
	}
	return nil
}

func withMessage(err error, msg *string) error {
	if err == nil || msg == nil || *msg == "" {
		return err
	}
	return fmt.Errorf("%w: %s", err, *msg)
}

func joinComma(vals []string) string {
	n := 0
	for _, v := range vals {
		n += len(v) + 1
	}
	b := make([]byte, 0, n)
	for i, v := range vals {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, v...)
	}
	return string(b)
}

func itoa(id int32) string { return strconv.Itoa(int(id)) }
