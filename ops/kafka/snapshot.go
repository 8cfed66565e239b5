package kafka

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kfleet/kfleet/ops/cluster"
)

// configBatch bounds one DescribeConfigs request; very large clusters are asked in slices.
const configBatch = 1000

// TakeSnapshot reads one cluster's state with raw requests: DescribeCluster (fenced brokers
// included), Metadata for every topic, each topic's effective min.insync.replicas and the
// in-flight reassignments. Failing to reach the cluster at all is a *UnreachableError.
//
// The reads run in two steps, each at once: Metadata and the visibility probe, then the rest.
// So a cluster costs about two round trips, not one per request. Errors and warnings come out in the same order whatever order the answers came in.
func TakeSnapshot(ctx context.Context, cl *kgo.Client, clusterName string) (*cluster.Snapshot, error) {
	in := cluster.SnapshotInput{Cluster: clusterName, TakenAt: time.Now()}
	var (
		wg             sync.WaitGroup
		mresp          *kmsg.MetadataResponse
		merr, probeErr error
		dresp          *kmsg.DescribeClusterResponse
		derr           error
		quorum         *cluster.Quorum
		qerr           error
		rresp          *kmsg.ListPartitionReassignmentsResponse
		rerr           error
		minISR         map[string]int
		minErr         error
	)
	// First the topics, asked of one broker directly, beside the visibility probe, which goes
	// through the client: its answer tells the client which brokers are alive, so the requests
	// after it are not sent to a broker that is down (restarting, killed) among the seeds.
	wg.Go(func() { mresp, merr = allTopicsMetadata(ctx, cl) })
	// A principal without Describe on every topic gets a metadata answer that silently leaves
	// topics out, and the safety math would pass over their partitions.
	wg.Go(func() { probeErr = probeTopicVisibility(ctx, cl) })
	wg.Wait()
	if merr != nil {
		return nil, Failure(clusterName, OpMetadata, merr)
	}
	if probeErr != nil {
		return nil, Failure(clusterName, OpMetadata, probeErr)
	}
	// Then everything else at once.
	wg.Go(func() { minISR, minErr = minISRByTopic(ctx, cl, mresp.Topics) })
	// Metadata lists only live brokers; DescribeCluster v2 also names the fenced ones.
	wg.Go(func() {
		dreq := kmsg.NewPtrDescribeClusterRequest()
		dreq.IncludeFencedBrokers = true
		dreq.EndpointType = 1 // brokers, not controllers
		dresp, derr = dreq.RequestWith(ctx, cl)
		if derr == nil {
			derr = withMessage(kerr.ErrorForCode(dresp.ErrorCode), dresp.ErrorMessage)
		}
	})
	wg.Go(func() { quorum, qerr = describeQuorum(ctx, cl) })
	wg.Go(func() {
		rreq := kmsg.NewPtrListPartitionReassignmentsRequest() // nil Topics: all reassignments
		rreq.TimeoutMillis = 10_000
		rresp, rerr = rreq.RequestWith(ctx, cl)
		if rerr == nil {
			rerr = withMessage(kerr.ErrorForCode(rresp.ErrorCode), rresp.ErrorMessage)
		}
	})
	wg.Wait()

	in.Metadata = mresp
	for _, t := range mresp.Topics {
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil && !errors.Is(err, kerr.LeaderNotAvailable) {
			in.Warnings = append(in.Warnings, fmt.Sprintf("topic %s: %v", orEmpty(t.Topic), err))
		}
	}
	switch {
	case IsAuthorizationError(derr):
		return nil, Failure(clusterName, OpDescribeCluster, derr)
	case derr != nil:
		in.Warnings = append(in.Warnings, "describe cluster (fenced brokers unknown): "+derr.Error())
	default:
		in.Describe = dresp
	}
	in.MinISR = minISR
	if IsAuthorizationError(minErr) {
		// Without min.insync.replicas the gate cannot tell which partitions a stop would take
		// below it.
		return nil, Failure(clusterName, OpTopicConfigs, minErr)
	}
	if minErr != nil {
		in.Warnings = append(in.Warnings, "min.insync.replicas: "+minErr.Error())
	}
	switch {
	case IsAuthorizationError(qerr):
		return nil, Failure(clusterName, OpDescribeCluster, qerr)
	case qerr != nil:
		in.Warnings = append(in.Warnings, "controller quorum: "+qerr.Error())
	default:
		in.Quorum = quorum
	}
	switch {
	case IsAuthorizationError(rerr):
		return nil, Failure(clusterName, OpListReassignments, rerr)
	case rerr != nil:
		in.Warnings = append(in.Warnings, "reassignments: "+rerr.Error())
	default:
		in.Reassignments = rresp
	}
	return cluster.BuildSnapshot(in), nil
}

// allTopicsMetadata asks one broker for the metadata of every topic, directly: through the
// client, franz-go would keep the whole answer in its own metadata cache, which kfleet never
// reads (a fifth of a status's CPU and half its allocations on a large cluster). The brokers the
// client knows are tried first, then the seeds; the first that answers is used.
func allTopicsMetadata(ctx context.Context, cl *kgo.Client) (*kmsg.MetadataResponse, error) {
	req := kmsg.NewPtrMetadataRequest() // nil Topics: every topic
	var errs []error
	for _, b := range append(cl.DiscoveredBrokers(), cl.SeedBrokers()...) {
		resp, err := b.Request(ctx, req)
		if err == nil {
			return resp.(*kmsg.MetadataResponse), nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	if len(errs) == 0 {
		return nil, errors.New("no broker to ask")
	}
	return nil, errs[len(errs)-1]
}

// probeTopicVisibility asks for the metadata of a topic name nobody uses. A principal allowed to
// describe any topic hears that it does not exist; one that is not is refused, which means the
// full metadata answer just read may be missing topics.
func probeTopicVisibility(ctx context.Context, cl *kgo.Client) error {
	req := kmsg.NewPtrMetadataRequest()
	t := kmsg.NewMetadataRequestTopic()
	t.Topic = kmsg.StringPtr(visibilityProbeTopic)
	req.Topics = append(req.Topics, t)
	req.AllowAutoTopicCreation = false
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return err
	}
	for _, t := range resp.Topics {
		if err := kerr.ErrorForCode(t.ErrorCode); IsAuthorizationError(err) {
			return fmt.Errorf("describing a topic that does not exist (%s) was refused, so topics may be hidden: %w", visibilityProbeTopic, err)
		}
	}
	return nil
}

// visibilityProbeTopic is a name no one creates; its metadata answer says whether the principal may
// describe every topic.
const visibilityProbeTopic = "__kfleet_visibility_probe_never_created"

// minISRByTopic asks for the one config it needs; the broker answers with the effective value,
// whether it comes from the topic, the cluster default or server.properties.
func minISRByTopic(ctx context.Context, cl *kgo.Client, topics []kmsg.MetadataResponseTopic) (map[string]int, error) {
	out := make(map[string]int, len(topics))
	var errs []error
	for start := 0; start < len(topics); start += configBatch {
		end := min(start+configBatch, len(topics))
		req := kmsg.NewPtrDescribeConfigsRequest()
		for _, t := range topics[start:end] {
			r := kmsg.NewDescribeConfigsRequestResource()
			r.ResourceType = kmsg.ConfigResourceTypeTopic
			r.ResourceName = orEmpty(t.Topic)
			r.ConfigNames = []string{"min.insync.replicas"}
			req.Resources = append(req.Resources, r)
		}
		shards := cl.RequestSharded(ctx, req)
		for _, sh := range shards {
			if sh.Err != nil {
				errs = append(errs, sh.Err)
				continue
			}
			resp := sh.Resp.(*kmsg.DescribeConfigsResponse)
			for _, r := range resp.Resources {
				if err := kerr.ErrorForCode(r.ErrorCode); err != nil {
					errs = append(errs, fmt.Errorf("topic %s: %w", r.ResourceName, withMessage(err, r.ErrorMessage)))
					continue
				}
				for _, c := range r.Configs {
					if c.Name != "min.insync.replicas" || c.Value == nil {
						continue
					}
					if n, err := strconv.Atoi(*c.Value); err == nil {
						out[r.ResourceName] = n
					}
				}
			}
		}
	}
	return out, errors.Join(errs...)
}

func withMessage(err error, msg *string) error {
	if err == nil || msg == nil || *msg == "" {
		return err
	}
	return fmt.Errorf("%w: %s", err, *msg)
}

// orEmpty is *s, or "" for nil.
func orEmpty(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
