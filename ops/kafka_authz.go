package ops

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// RequireClusterOps asks Kafka which operations on the Cluster resource kfleet's principal may
// perform (DescribeCluster with its authorized operations) and returns a *KafkaDeniedError for
// the first op it may not. Disruptive commands call it before they change anything: an ACL
// missing for the leader election after the first batch would otherwise halt a rollout with a
// broker already restarted. Brokers that do not report authorized operations pass.
func RequireClusterOps(ctx context.Context, cl *kgo.Client, cluster string, ops ...KafkaOp) error {
	req := kmsg.NewPtrDescribeClusterRequest()
	req.IncludeClusterAuthorizedOperations = true
	resp, err := req.RequestWith(ctx, cl)
	if err == nil {
		err = withMessage(kerr.ErrorForCode(resp.ErrorCode), resp.ErrorMessage)
	}
	if err != nil {
		return KafkaFailure(cluster, OpDescribeCluster, err)
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
			return &KafkaDeniedError{Cluster: cluster, Op: op,
				Err: fmt.Errorf("%w: checked before changing anything", kerr.ClusterAuthorizationFailed)}
		}
	}
	return nil
}

// authorizedOpsUnknown is what a broker answers when it does not report authorized operations.
const authorizedOpsUnknown = -2147483648
