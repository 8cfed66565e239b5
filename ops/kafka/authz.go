package kafka

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// RequireClusterOps asks Kafka which operations on the Cluster resource kfleet's principal may
// perform (DescribeCluster with its authorized operations) and returns a *DeniedError for
// the first op it may not. Disruptive commands call it before they change anything: an ACL
// missing for the leader election after the first batch would otherwise halt a rollout with a
// broker already restarted. Brokers that do not report authorized operations pass.
func RequireClusterOps(ctx context.Context, cl *kgo.Client, cluster string, ops ...Op) error {
	req := kmsg.NewPtrDescribeClusterRequest()
	req.IncludeClusterAuthorizedOperations = true
	resp, err := req.RequestWith(ctx, cl)
	if err == nil {
		err = withMessage(kerr.ErrorForCode(resp.ErrorCode), resp.ErrorMessage)
	}
	if err != nil {
		return Failure(cluster, OpDescribeCluster, err)
	}
	allowed := resp.ClusterAuthorizedOperations
	if allowed == authorizedOpsUnknown {
		return nil
	}
	for _, op := range ops {
		if op.ClusterOp == 0 {
			continue
		}
		if allowed&(1<<uint(op.ClusterOp)) == 0 {
			return &DeniedError{Cluster: cluster, Op: op,
				Err: fmt.Errorf("%w: checked before changing anything", kerr.ClusterAuthorizationFailed)}
		}
	}
	return nil
}

// authorizedOpsUnknown is what a broker answers when it does not report authorized operations.
const authorizedOpsUnknown = -2147483648

// RequireTopicOps checks, the same way, that the principal may perform op on each of topics
// (Metadata with the topics' authorized operations). It returns a *DeniedError naming the
// first topic it may not, with what.ACL extended by that topic.
func RequireTopicOps(ctx context.Context, cl *kgo.Client, cluster string, topics []string, op kmsg.ACLOperation, what Op) error {
	if len(topics) == 0 {
		return nil
	}
	req := kmsg.NewPtrMetadataRequest()
	req.IncludeTopicAuthorizedOperations = true
	for _, name := range topics {
		t := kmsg.NewMetadataRequestTopic()
		t.Topic = kmsg.StringPtr(name)
		req.Topics = append(req.Topics, t)
	}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return Failure(cluster, OpMetadata, err)
	}
	for _, t := range resp.Topics {
		name := orEmpty(t.Topic)
		denied := what
		denied.ACL = fmt.Sprintf("%s (refused for topic %s)", what.ACL, name)
		err := kerr.ErrorForCode(t.ErrorCode)
		switch {
		case IsAuthorizationError(err):
			return &DeniedError{Cluster: cluster, Op: denied, Err: err}
		case err != nil, t.AuthorizedOperations == authorizedOpsUnknown:
			continue // a missing topic is the plan's business; an old broker says nothing
		case t.AuthorizedOperations&(1<<uint(op)) == 0:
			return &DeniedError{Cluster: cluster, Op: denied,
				Err: fmt.Errorf("%w: checked before changing anything", kerr.TopicAuthorizationFailed)}
		}
	}
	return nil
}
