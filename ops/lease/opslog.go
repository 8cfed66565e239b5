package lease

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The ops log's I/O: one client per lease, appends acknowledged by every in-sync replica and bounded
// by their context, and fetches that follow the partition's leader through a rolling restart.

// opsLog reads and appends OpsTopic of one cluster.
type opsLog struct {
	cl      *kgo.Client
	cluster string
	leader  int32
	topicID [16]byte
}

// newOpsWriter makes a client of the lease's own from cl's options, with the producer settings
// the lease needs: every record acknowledged by all in-sync replicas, written once, in order, and
// given up on quickly rather than retried for minutes.
func newOpsWriter(cl *kgo.Client, cluster string) (*opsLog, error) {
	opts := append(slices.Clone(cl.Opts()),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(0),
		kgo.RecordDeliveryTimeout(10*time.Second),
	)
	w, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: lease client: %w", cluster, err)
	}
	return &opsLog{cl: w, cluster: cluster, leader: -1}, nil
}

func (o *opsLog) append(ctx context.Context, typ string, b opsBody) (int64, error) {
	v, err := json.Marshal(b)
	if err != nil {
		return 0, err
	}
	rec := &kgo.Record{Topic: OpsTopic, Partition: 0, Key: []byte(typ), Value: v}
	// Not ProduceSync: once a record is in flight, franz-go waits for the broker's answer
	// whatever the context says, and a broker that never answers would hold kfleet (an abort
	// included). Here the context bounds the wait; the record is failed when the client closes.
	acked := make(chan error, 1)
	o.cl.Produce(ctx, rec, func(_ *kgo.Record, err error) { acked <- err })
	select {
	case err := <-acked:
		if err != nil {
			return 0, err
		}
		return rec.Offset, nil
	case <-ctx.Done():
		return 0, fmt.Errorf("no acknowledgement from the partition leader: %w", ctx.Err())
	}
}

// abandon ends a claim whose outcome is unknown, best effort.
func (o *opsLog) abandon(k leaseKey, holder string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = o.append(ctx, recRelease, opsBody{OpID: k.opID, Nonce: k.nonce, By: holder})
}

// lookup finds the topic's id and its partition's leader; false if the topic does not exist.
// describeOpsTopic reads the topic's configs. Right after the topic is created a broker whose
// metadata has not caught up answers UNKNOWN_TOPIC_OR_PARTITION: that is retried until ctx ends.
func describeOpsTopic(ctx context.Context, adm *kadm.Client) (kadm.ResourceConfig, error) {
	for {
		rcs, err := adm.DescribeTopicConfigs(ctx, OpsTopic)
		var rc kadm.ResourceConfig
		if err == nil {
			rc, err = rcs.On(OpsTopic, nil)
		}
		if err == nil {
			err = rc.Err
		}
		if !errors.Is(err, kerr.UnknownTopicOrPartition) {
			return rc, err
		}
		select {
		case <-ctx.Done():
			return rc, fmt.Errorf("%w (%w)", err, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (o *opsLog) lookup(ctx context.Context) (bool, error) {
	for {
		req := kmsg.NewPtrMetadataRequest()
		t := kmsg.NewMetadataRequestTopic()
		t.Topic = kmsg.StringPtr(OpsTopic)
		req.Topics = append(req.Topics, t)
		resp, err := req.RequestWith(ctx, o.cl)
		if err != nil {
			return false, err
		}
		var why error = errors.New("topic missing from the metadata response")
		for _, t := range resp.Topics {
			if t.Topic == nil || *t.Topic != OpsTopic {
				continue
			}
			why = kerr.ErrorForCode(t.ErrorCode)
			if errors.Is(why, kerr.UnknownTopicOrPartition) {
				return false, nil
			}
			if why != nil && !kerr.IsRetriable(why) {
				return false, fmt.Errorf("topic %s: %w", OpsTopic, why)
			}
			if why != nil {
				break
			}
			why = errors.New("partition 0 has no leader")
			for _, p := range t.Partitions {
				if p.Partition == 0 && p.ErrorCode == 0 && p.Leader >= 0 {
					o.leader, o.topicID = p.Leader, t.TopicID
					return true, nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return false, fmt.Errorf("topic %s: %w (%w)", OpsTopic, why, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// ensureTopic creates OpsTopic if it is missing and waits for its leader; it refuses a topic
// that someone made without LogAppendTime, whose record times would be the clients' clocks.
func (o *opsLog) ensureTopic(ctx context.Context) error {
	exists, err := o.lookup(ctx)
	if err != nil {
		return err
	}
	adm := kadm.NewClient(o.cl)
	if !exists {
		brokers, err := adm.ListBrokers(ctx)
		if err != nil {
			return fmt.Errorf("listing brokers: %w", err)
		}
		rf := min(3, len(brokers))
		if rf == 0 {
			return errors.New("no live brokers")
		}
		// min.insync.replicas 2 of 3 lets one broker (or one rack) go down and the lease still be
		// written; with 2 replicas it must be 1, or the safety gate would refuse to restart
		// either broker of a 2-broker cluster because of this very topic.
		minISR := max(1, min(2, rf-1))
		configs := map[string]*string{
			"min.insync.replicas":    kadm.StringPtr(strconv.Itoa(minISR)),
			"message.timestamp.type": kadm.StringPtr("LogAppendTime"),
			"cleanup.policy":         kadm.StringPtr("delete"),
			"retention.ms":           kadm.StringPtr(strconv.FormatInt(opsRetention.Milliseconds(), 10)),
		}
		resp, err := adm.CreateTopic(ctx, 1, int16(rf), configs, OpsTopic)
		if err == nil {
			err = resp.Err
		}
		if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			return fmt.Errorf("creating topic %s: %w", OpsTopic, err)
		}
		for !exists {
			if exists, err = o.lookup(ctx); err != nil {
				return err
			}
			if !exists {
				select {
				case <-ctx.Done():
					return fmt.Errorf("topic %s was created but does not show in metadata: %w", OpsTopic, ctx.Err())
				case <-time.After(100 * time.Millisecond):
				}
			}
		}
	}
	rc, err := describeOpsTopic(ctx, adm)
	if err != nil {
		return fmt.Errorf("describing topic %s: %w", OpsTopic, err)
	}
	for _, c := range rc.Configs {
		if c.Key == "message.timestamp.type" && c.MaybeValue() != "LogAppendTime" {
			return fmt.Errorf("topic %s has message.timestamp.type=%s; the lease needs broker time, set it with: kafka-configs.sh --alter --entity-type topics --entity-name %s --add-config message.timestamp.type=LogAppendTime",
				OpsTopic, c.MaybeValue(), OpsTopic)
		}
	}
	return nil
}

// offsetAt is the first offset whose record time is at or after t, or the end of the log.
func (o *opsLog) offsetAt(ctx context.Context, t time.Time) (int64, error) {
	for _, ts := range []int64{t.UnixMilli(), -1} {
		req := kmsg.NewPtrListOffsetsRequest()
		req.ReplicaID = -1
		rt := kmsg.NewListOffsetsRequestTopic()
		rt.Topic = OpsTopic
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition, rp.Timestamp, rp.CurrentLeaderEpoch = 0, ts, -1
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		resp, err := req.RequestWith(ctx, o.cl)
		if err != nil {
			return 0, fmt.Errorf("listing offsets: %w", err)
		}
		if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
			return 0, errors.New("listing offsets: malformed response")
		}
		p := resp.Topics[0].Partitions[0]
		if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
			return 0, fmt.Errorf("listing offsets: %w", err)
		}
		if p.Offset >= 0 {
			return p.Offset, nil
		}
	}
	return 0, errors.New("listing offsets: no end offset")
}

var opsDecompressor = kgo.DefaultDecompressor()

// readInto applies records from r.next on, up to (not including) offset until, or with until < 0
// up to the high watermark the first fetch reports.
func (o *opsLog) readInto(ctx context.Context, r *leaseReplay, until int64) error {
	if o.leader < 0 {
		if _, err := o.lookup(ctx); err != nil {
			return err
		}
	}
	for until < 0 || r.next < until {
		req := kmsg.NewPtrFetchRequest()
		req.ReplicaID = -1
		req.MaxWaitMillis = 0
		req.MinBytes = 1
		req.MaxBytes = 16 << 20
		req.SessionEpoch = -1
		ft := kmsg.NewFetchRequestTopic()
		ft.Topic, ft.TopicID = OpsTopic, o.topicID
		fp := kmsg.NewFetchRequestTopicPartition()
		fp.Partition, fp.FetchOffset, fp.CurrentLeaderEpoch, fp.LogStartOffset = 0, r.next, -1, -1
		fp.PartitionMaxBytes = 8 << 20
		ft.Partitions = append(ft.Partitions, fp)
		req.Topics = append(req.Topics, ft)
		kresp, err := o.cl.Broker(int(o.leader)).Request(ctx, req)
		if err != nil {
			// The leader may be down (a rolling restart of this very cluster): find the new one.
			if err := o.relocate(ctx, fmt.Errorf("fetching from broker %d: %w", o.leader, err)); err != nil {
				return err
			}
			continue
		}
		resp := kresp.(*kmsg.FetchResponse)
		var part *kmsg.FetchResponseTopicPartition
		if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
			return fmt.Errorf("fetching from broker %d: %w", o.leader, err)
		}
		for i := range resp.Topics {
			for j := range resp.Topics[i].Partitions {
				if resp.Topics[i].Partitions[j].Partition == 0 {
					part = &resp.Topics[i].Partitions[j]
				}
			}
		}
		if part == nil {
			return fmt.Errorf("fetching from broker %d: partition 0 missing from the response", o.leader)
		}
		switch err := kerr.ErrorForCode(part.ErrorCode); {
		case err == nil:
		case errors.Is(err, kerr.OffsetOutOfRange) && r.next < part.LogStartOffset:
			r.next = part.LogStartOffset // retention deleted the window's first records
			continue
		case kerr.IsRetriable(err) || errors.Is(err, kerr.UnknownTopicID):
			if err := o.relocate(ctx, fmt.Errorf("fetching from broker %d: %w", o.leader, err)); err != nil {
				return err
			}
			continue
		default:
			return fmt.Errorf("fetching from broker %d: %w", o.leader, err)
		}
		if until < 0 {
			until = part.HighWatermark
		}
		got, _ := kgo.ProcessFetchPartition(kgo.ProcessFetchPartitionOpts{Offset: r.next, Topic: OpsTopic},
			part, opsDecompressor, nil)
		if got.Err != nil {
			return fmt.Errorf("fetching from broker %d: %w", o.leader, got.Err)
		}
		before := r.next
		for _, rec := range got.Records {
			if rec.Offset >= until {
				break
			}
			r.apply(decodeOpsRecord(rec.Offset, rec.Timestamp, rec.Key, rec.Value))
		}
		if r.next == before && r.next < until {
			// Nothing new yet: a new leader's high watermark can lag for a moment.
			if err := pause(ctx, 20*time.Millisecond); err != nil {
				return fmt.Errorf("fetching offset %d: %w", r.next, err)
			}
		}
	}
	return nil
}

// relocate finds the partition's leader again after a failed fetch, pausing first so a broker
// on its way down is not asked in a tight loop. It returns the fetch error once ctx ends.
func (o *opsLog) relocate(ctx context.Context, fetchErr error) error {
	if err := pause(ctx, 100*time.Millisecond); err != nil {
		return fmt.Errorf("%w (%w)", fetchErr, err)
	}
	if _, err := o.lookup(ctx); err != nil {
		return fmt.Errorf("%w; %w", fetchErr, err)
	}
	return nil
}

func pause(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
