package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// shape is what each simulated cluster looks like.
type shape struct {
	clusters        int
	brokers         int
	partitions      int // per cluster
	topicPartitions int // per topic; the last topic takes what is left
	latency         time.Duration
	underMinISR     bool
}

// replication is the topics' replication factor and min.insync.replicas: 3 and 2 from three
// brokers up, as a production cluster has them.
func (s shape) replication() (rf, minISR int) {
	rf = min(3, s.brokers)
	return rf, min(2, rf)
}

func (s shape) check() error {
	switch {
	case s.clusters < 1:
		return errors.New("-clusters must be at least 1")
	case s.brokers < 1 || s.brokers > 254:
		return errors.New("-brokers must be 1 to 254 (one loopback address each)")
	case s.clusters > 100*256:
		return errors.New("-clusters must be at most 25600 (one loopback /24 each)")
	case s.partitions < 1:
		return errors.New("-partitions must be at least 1")
	case s.topicPartitions < 1:
		return errors.New("-topic-partitions must be at least 1")
	case s.latency < 0:
		return errors.New("-latency must not be negative")
	case s.underMinISR && s.brokers < 2:
		return errors.New("-under-min-isr needs at least 2 brokers: with one, min.insync.replicas is 1 and the leader alone meets it")
	}
	return nil
}

// simCluster is one kfake cluster of the fleet. kfake numbers its brokers 0..n-1 and listens for
// broker i at addrs[i], on its own loopback address hosts[i], so Kafka registers each broker at
// the host the inventory names.
type simCluster struct {
	name  string
	kf    *kfake.Cluster
	hosts []string
	addrs []string
}

// simFleet is the running simulation.
type simFleet struct {
	shape    shape
	clusters []*simCluster
}

// clusterName is the i-th cluster's name: sim-000, sim-001, ...
func clusterName(i, n int) string {
	width := max(3, len(strconv.Itoa(n-1)))
	return fmt.Sprintf("sim-%0*d", width, i)
}

// brokerHost is the loopback address of broker b of cluster i: 127.(100+i/256).(i%256).(b+1),
// away from the sandbox's 127.0.0.x.
func brokerHost(i, b int) string {
	return fmt.Sprintf("127.%d.%d.%d", 100+i/256, i%256, b+1)
}

// startFleet starts every cluster and creates its topics, several clusters at once. On error
// (or ctx done) whatever was started is closed.
func startFleet(ctx context.Context, s shape) (*simFleet, error) {
	f := &simFleet{shape: s, clusters: make([]*simCluster, s.clusters)}
	errs := make([]error, s.clusters)
	sem := make(chan struct{}, 4*runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i := range s.clusters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := ctx.Err(); err != nil {
				errs[i] = err
				return
			}
			f.clusters[i], errs[i] = startCluster(ctx, i, s)
		}()
	}
	wg.Wait()
	var failed []error
	for _, err := range errs {
		if err != nil {
			failed = append(failed, err)
		}
	}
	switch {
	case len(failed) == 0:
		return f, nil
	case ctx.Err() != nil:
		failed = []error{fmt.Errorf("starting the fleet: %w", ctx.Err())}
	case len(failed) > 1:
		failed = []error{fmt.Errorf("%w (and %d more clusters failed)", failed[0], len(failed)-1)}
	}
	f.Close()
	return nil, failed[0]
}

// Close stops every cluster.
func (f *simFleet) Close() {
	var wg sync.WaitGroup
	for _, c := range f.clusters {
		if c != nil {
			wg.Go(c.kf.Close)
		}
	}
	wg.Wait()
}

func startCluster(ctx context.Context, i int, s shape) (*simCluster, error) {
	c := &simCluster{name: clusterName(i, s.clusters)}
	for b := range s.brokers {
		c.hosts = append(c.hosts, brokerHost(i, b))
	}
	// kfake calls listen once per broker, in node id order, while NewCluster runs.
	next := 0
	listen := func(network, _ string) (net.Listener, error) {
		if next >= len(c.hosts) {
			return nil, fmt.Errorf("kfake asked for listener %d of %d", next+1, len(c.hosts))
		}
		ln, err := net.Listen(network, net.JoinHostPort(c.hosts[next], "0"))
		if err != nil {
			return nil, err
		}
		next++
		c.addrs = append(c.addrs, ln.Addr().String())
		return withLatency(ln, s.latency), nil
	}
	kf, err := kfake.NewCluster(kfake.NumBrokers(s.brokers), kfake.ListenFn(listen), kfake.ClusterID(c.name))
	if err != nil {
		return nil, fmt.Errorf("cluster %s: starting kfake: %w", c.name, err)
	}
	c.kf = kf
	if err := c.populate(ctx, s); err != nil {
		kf.Close()
		return nil, fmt.Errorf("cluster %s: %w", c.name, err)
	}
	return c, nil
}

// populate creates the cluster's topics and, for -under-min-isr, installs the shrunken answer.
func (c *simCluster) populate(ctx context.Context, s shape) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.addrs...), kgo.ClientID("fleetsim"))
	if err != nil {
		return err
	}
	defer cl.Close()
	if err := createTopics(ctx, cl, s); err != nil {
		return err
	}
	if s.underMinISR {
		return installUnderMinISR(ctx, c.kf, cl)
	}
	return nil
}

// topicSizes splits a cluster's partitions into topics of per partitions, the last one taking
// the remainder.
func topicSizes(partitions, per int) []int {
	var sizes []int
	for left := partitions; left > 0; left -= per {
		sizes = append(sizes, min(per, left))
	}
	return sizes
}

// createTopics creates the cluster's topics t0000, t0001, ... in one request, each with
// min.insync.replicas as a topic config.
func createTopics(ctx context.Context, cl *kgo.Client, s shape) error {
	rf, minISR := s.replication()
	minISRValue := strconv.Itoa(minISR)
	sizes := topicSizes(s.partitions, s.topicPartitions)
	width := max(4, len(strconv.Itoa(len(sizes)-1)))
	req := kmsg.NewPtrCreateTopicsRequest()
	req.TimeoutMillis = 60_000
	for ti, n := range sizes {
		t := kmsg.NewCreateTopicsRequestTopic()
		t.Topic = fmt.Sprintf("t%0*d", width, ti)
		t.NumPartitions = int32(n)
		t.ReplicationFactor = int16(rf)
		cfg := kmsg.NewCreateTopicsRequestTopicConfig()
		cfg.Name, cfg.Value = "min.insync.replicas", &minISRValue
		t.Configs = append(t.Configs, cfg)
		req.Topics = append(req.Topics, t)
	}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("creating %d topics: %w", len(sizes), err)
	}
	for _, t := range resp.Topics {
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil {
			return fmt.Errorf("creating topic %s: %w", t.Topic, err)
		}
	}
	return nil
}
