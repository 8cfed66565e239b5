package kafka

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kfleet/kfleet/ops/cluster"
)

// metadataTopic is KRaft's own log.
const metadataTopic = "__cluster_metadata"

// describeQuorum asks for the metadata quorum; brokers forward the request to the controllers.
func describeQuorum(ctx context.Context, cl *kgo.Client) (*cluster.Quorum, error) {
	req := kmsg.NewPtrDescribeQuorumRequest()
	t := kmsg.NewDescribeQuorumRequestTopic()
	t.Topic = metadataTopic
	p := kmsg.NewDescribeQuorumRequestTopicPartition()
	p.Partition = 0
	t.Partitions = append(t.Partitions, p)
	req.Topics = append(req.Topics, t)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, err
	}
	return quorumFromResponse(resp)
}

func quorumFromResponse(resp *kmsg.DescribeQuorumResponse) (*cluster.Quorum, error) {
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return nil, withMessage(err, resp.ErrorMessage)
	}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				return nil, withMessage(err, p.ErrorMessage)
			}
			q := &cluster.Quorum{LeaderID: p.LeaderID, LeaderEpoch: p.LeaderEpoch, HighWatermark: p.HighWatermark}
			for _, v := range p.CurrentVoters {
				q.Voters = append(q.Voters, cluster.QuorumReplica{ID: v.ReplicaID, LogEndOffset: v.LogEndOffset,
					LastFetchMs: v.LastFetchTimestamp, LastCaughtUpMs: v.LastCaughtUpTimestamp})
			}
			for _, v := range p.Observers {
				q.Observers = append(q.Observers, cluster.QuorumReplica{ID: v.ReplicaID, LogEndOffset: v.LogEndOffset,
					LastFetchMs: v.LastFetchTimestamp, LastCaughtUpMs: v.LastCaughtUpTimestamp})
			}
			return q, nil
		}
	}
	return nil, fmt.Errorf("describe quorum: no answer for %s-0", metadataTopic)
}
