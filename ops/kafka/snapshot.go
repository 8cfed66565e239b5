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
// The visibility probe comes first, alone; then every other read at once (Metadata for every
// topic and then min.insync.replicas, DescribeCluster, DescribeQuorum, reassignments). So a
// cluster costs about three round trips, not one per request. Errors and warnings come out in the same order whatever
// order the answers came in.
func TakeSnapshot(ctx context.Context, cl *kgo.Client, clusterName string) (*cluster.Snapshot, error) {
	return TakeSnapshotWith(ctx, cl, clusterName, SnapshotOptions{})
}

// SnapshotOptions adds to what TakeSnapshotWith reads.
type SnapshotOptions struct {
	// Beside runs other reads of the same cluster (e.g. its lease log) at the same time as the
	// snapshot's own, once the client knows the brokers; it does not run when the cluster cannot
	// be reached.
	Beside func(ctx context.Context)
	// ZooKeeper: the cluster keeps its metadata in ZooKeeper, so it has no KRaft quorum to
	// describe (the controller is the broker Metadata names).
	ZooKeeper bool
}

// TakeSnapshotWith is TakeSnapshot with options.
func TakeSnapshotWith(ctx context.Context, cl *kgo.Client, clusterName string, o SnapshotOptions) (*cluster.Snapshot, error) {
	beside := o.Beside
	in := cluster.SnapshotInput{Cluster: clusterName, TakenAt: time.Now()}
	var (
		wg     sync.WaitGroup
		mresp  *kmsg.MetadataResponse
		merr   error
		dresp  *kmsg.DescribeClusterResponse
		derr   error
		quorum *cluster.Quorum
		qerr   error
		rresp  *kmsg.ListPartitionReassignmentsResponse
		rerr   error
		minISR map[string]int
		minErr error
	)
	// First the visibility probe, through the client, alone: a fresh client's first metadata
	// request is the one franz-go retries across the seed brokers when one is down (restarting,
	// killed), and its answer tells the client the brokers. A principal without Describe on every
	// topic gets a metadata answer that silently leaves topics out, and the safety math would
	// pass over their partitions.
	if err := probeTopicVisibility(ctx, cl); err != nil {
		return nil, Failure(clusterName, OpMetadata, err)
	}
	// Then every topic, asked of one of those brokers directly (through the client, franz-go
	// would keep the whole answer in its metadata cache, which kfleet never reads), and
	// min.insync.replicas once the topics are known; beside them everything else at once.
	wg.Go(func() {
		if mresp, merr = allTopicsMetadata(ctx, cl); merr == nil {
			minISR, minErr = minISRByTopic(ctx, cl, mresp.Topics)
		}
	})
	if beside != nil {
		wg.Go(func() { beside(ctx) })
	}
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
	if !o.ZooKeeper {
		wg.Go(func() { quorum, qerr = describeQuorum(ctx, cl) })
	}
	wg.Go(func() {
		rreq := kmsg.NewPtrListPartitionReassignmentsRequest() // nil Topics: all reassignments
		rreq.TimeoutMillis = 10_000
		rresp, rerr = rreq.RequestWith(ctx, cl)
		if rerr == nil {
			rerr = withMessage(kerr.ErrorForCode(rresp.ErrorCode), rresp.ErrorMessage)
		}
	})
	wg.Wait()
	if merr != nil {
		return nil, Failure(clusterName, OpMetadata, merr)
	}
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
	case o.ZooKeeper:
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

// allTopicsMetadata asks one broker the client knows for the metadata of every topic, directly.
func allTopicsMetadata(ctx context.Context, cl *kgo.Client) (*kmsg.MetadataResponse, error) {
	resp, err := AskAnyBroker(ctx, cl, kmsg.NewPtrMetadataRequest()) // nil Topics: every topic
	if err != nil {
		return nil, err
	}
	return resp.(*kmsg.MetadataResponse), nil
}

// AskAnyBroker sends req to the brokers the client knows (from its last metadata), in turn,
// until one answers: for a request any broker can answer, when one of them may be down.
func AskAnyBroker(ctx context.Context, cl *kgo.Client, req kmsg.Request) (kmsg.Response, error) {
	var last error = errors.New("no broker known")
	for _, b := range cl.DiscoveredBrokers() {
		resp, err := b.Request(ctx, req)
		if err == nil {
			return resp, nil
		}
		if last = err; ctx.Err() != nil {
			break
		}
	}
	return nil, last
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
