// Package fleet collects the health of many clusters at once (Collect, or CollectEach as each
// cluster answers): for each, a snapshot over Kafka, its lease and latest events, and (with an SSH
// runner) the Kafka process on every broker's host, judged by cluster.Assess, plus a warning for
// each inventory broker Kafka has registered at another host (flagEndpoints). One slow or
// unreachable cluster never holds the others back. Schedule decides when the views that stay open
// (the TUI, status --watch) read each cluster again.
//
// It may import the other ops packages (cluster, kafka, lease, host, ssh) and inventory; none of
// them imports it.
package fleet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/cluster"
	"github.com/kfleet/kfleet/ops/host"
	"github.com/kfleet/kfleet/ops/kafka"
	"github.com/kfleet/kfleet/ops/lease"
	"github.com/kfleet/kfleet/ops/ssh"
)

// Options bounds a fleet-wide collection.
type Options struct {
	Concurrency int           // clusters read at once; <= 0 -> DefaultConcurrency
	Timeout     time.Duration // per cluster, Kafka and hosts together; 0 -> 15s
	Kafka       kafka.Options
	// SSH, when set, asks every broker's host which Kafka process and version runs there.
	SSH            *ssh.Runner
	SSHConcurrency int // hosts asked at once per cluster; <= 0 -> 16
	// HostTimeout bounds each host's answer, so that one slow host never holds up its cluster's
	// row for the whole Timeout: its broker shows the version unknown, saying why. 0 -> 5s.
	HostTimeout time.Duration
	// Processes remembers the brokers' processes between reads (host.ProcessCache): a process
	// already known is only confirmed on its host. Nil: every read probes in full.
	Processes *host.ProcessCache
	// HostFactsMaxAge, when positive, lets a read reuse a process Processes saw confirmed on its
	// host within it, without asking the host, unless Kafka shows a sign that it may have
	// restarted since (fenced or unregistered, a lease held, an operation logged since). 0: every
	// read asks every host.
	HostFactsMaxAge time.Duration
	// KeepReassigning keeps, of each cluster's snapshot, the reassignments in flight and their
	// partitions (the TUI's cluster view shows them); otherwise the snapshot is dropped once
	// assessed. Either way a fleet of a million partitions is not held in memory for a table.
	KeepReassigning bool
	// Client, when set, gives the cluster's Kafka client, kept by the caller between reads (the
	// TUI and status --watch re-read every cluster: its connections are reused, not dialled and
	// handshaken again each time); nil: a client per read, closed after it.
	Client func(c *inventory.Cluster) (*kgo.Client, error)
}

// defaultHostTimeout is how long status waits for one host's answer about its Kafka process.
const defaultHostTimeout = 5 * time.Second

// DefaultConcurrency is how many clusters are read at once unless told otherwise: reading is
// waiting on the network, so far more than the cores.
const DefaultConcurrency = 32

// Collect reads every cluster concurrently, each under its own deadline, and assesses it.
// An unreachable cluster gets a verdict carrying its error; it never holds the others back.
// Results come back in the order of clusters.
func Collect(ctx context.Context, clusters []*inventory.Cluster, o Options) []cluster.Health {
	out := make([]cluster.Health, len(clusters))
	CollectEach(ctx, clusters, o, func(i int, h cluster.Health) { out[i] = h })
	return out
}

// CollectEach is Collect that hands over each cluster's verdict as soon as that cluster is done,
// rather than all of them at the end: the first answers of a large fleet need not wait for its
// slowest cluster. fn gets the cluster's index in clusters; it is called once per cluster from
// the goroutine that read it, so up to o.Concurrency calls run at once and fn must guard what
// they share. A slow fn holds its reading slot. CollectEach returns when every call has returned.
func CollectEach(ctx context.Context, clusters []*inventory.Cluster, o Options, fn func(i int, h cluster.Health)) {
	o = o.withDefaults()
	sem := make(chan struct{}, o.Concurrency)
	var wg sync.WaitGroup
	for i, c := range clusters {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			fn(i, CollectCluster(ctx, c, o))
		})
	}
	wg.Wait()
}

// CollectCluster reads and assesses one cluster under o.Timeout; Elapsed says how long it took.
// An unreachable cluster gets a verdict carrying its error. The views that re-read clusters one
// at a time (see Schedule) call it directly; o.Concurrency does not apply.
func CollectCluster(ctx context.Context, c *inventory.Cluster, o Options) cluster.Health {
	o = o.withDefaults()
	start := time.Now()
	h := collectCluster(ctx, c, o)
	h.Elapsed = time.Since(start)
	return h
}

func (o Options) withDefaults() Options {
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Timeout <= 0 {
		o.Timeout = 15 * time.Second
	}
	return o
}

func collectCluster(ctx context.Context, c *inventory.Cluster, o Options) cluster.Health {
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()

	facts := askHosts(ctx, c, o)
	var wg sync.WaitGroup

	// A ZooKeeper-mode cluster's ensemble is read beside Kafka.
	var zk *cluster.ZooKeeperHealth
	if readEnsemble := host.EnsembleReader(c, o.SSH); readEnsemble != nil {
		wg.Go(func() { zk = readEnsemble(ctx) })
	}
	read, err := readClusterBy(ctx, c, o, facts.confirm())
	wg.Wait()
	if err != nil {
		facts.wait()
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("%w (no answer within %s)", err, o.Timeout)
		}
		h := cluster.Unreachable(c, err)
		h.MetadataMode, h.ZooKeeper = string(c.Metadata.Mode()), zk
		if zk != nil {
			h.Problems = append(h.Problems, zk.Problems...)
		}
		return h
	}
	procs, procErrs := facts.result(read)
	h := cluster.Assess(c, read.snap, procs, procErrs)
	h.MetadataMode = string(c.Metadata.Mode())
	if zk != nil {
		h.ZooKeeper = zk
		h.Problems = append(h.Problems, zk.Problems...)
		h.Warnings = append(h.Warnings, zk.Warnings...)
		h.Healthy = len(h.Problems) == 0
	}
	flagEndpoints(ctx, &h, net.DefaultResolver.LookupHost)
	h.Lease = read.lease.LeaseHolder()
	_, gone := read.lease.HolderGone()
	h.MarkOperation(cluster.InFlight(h.Lease, gone, read.lease.Events, time.Now()))
	h.MarkStopped(read.lease.Stopped)
	read.fin.mark(&h, c.Name)
	h.Events = read.lease.Events
	if o.KeepReassigning {
		h.Snapshot = h.Snapshot.OnlyReassigning()
	} else {
		h.Snapshot = nil
	}
	return h
}

// kafkaRead is what one read of a cluster's Kafka gives: a snapshot, its lease log (leaseRead
// false when the log could not be read: a warning then), what tells a pending finalize, and
// which of the brokers asked answered.
type kafkaRead struct {
	snap      *cluster.Snapshot
	lease     lease.State
	leaseRead bool
	fin       finalizeState
	answering map[int32]bool
}

// readClusterBy is readCluster that returns when ctx ends even if the Kafka client has not: a
// broker that accepts a connection and never answers holds franz-go's handshake for about 20 s
// whatever the context says. The abandoned read ends on its own and closes its client.
func readClusterBy(ctx context.Context, c *inventory.Cluster, o Options, ping []int32) (kafkaRead, error) {
	type result struct {
		r   kafkaRead
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := readCluster(ctx, c, o, ping)
		done <- result{r, err}
	}()
	select {
	case r := <-done:
		return r.r, r.err
	case <-ctx.Done():
		return kafkaRead{}, ctx.Err()
	}
}

// readCluster reads one cluster (with o.Client's client, else one of its own, closed after): a
// snapshot, its lease log, its finalized cluster.metadata.version and which brokers of ping
// answer. A lease log or feature level that cannot be read is a warning: the cluster's health
// does not depend on it.
func readCluster(ctx context.Context, c *inventory.Cluster, o Options, ping []int32) (kafkaRead, error) {
	var cl *kgo.Client
	var err error
	if o.Client != nil {
		cl, err = o.Client(c)
	} else {
		cl, err = kafka.NewClient(c, o.Kafka)
		if cl != nil {
			defer cl.Close()
		}
	}
	if err != nil {
		return kafkaRead{}, err
	}
	// The lease log and the feature level are read beside the snapshot's own reads, once its
	// first request (which franz-go retries across the seeds when one is down) has told the
	// client the brokers: sent beside that first request on a fresh client, a broker just killed
	// among the seeds made status call the cluster unreachable.
	var (
		r                kafkaRead
		leaseErr, finErr error
	)
	zk := c.Metadata.Mode() == inventory.MetadataZooKeeper
	r.snap, err = kafka.TakeSnapshotWith(ctx, cl, c.Name, kafka.SnapshotOptions{ZooKeeper: zk,
		Beside: func(ctx context.Context) {
			var wg sync.WaitGroup
			wg.Go(func() { r.lease, leaseErr = lease.Read(ctx, cl, c.Name) })
			wg.Go(func() { r.fin, finErr = readFinalizeState(ctx, cl, c, zk) })
			if len(ping) > 0 {
				wg.Go(func() { r.answering = kafka.Answering(ctx, cl, ping) })
			}
			wg.Wait()
		}})
	if err != nil {
		return kafkaRead{}, err
	}
	r.leaseRead = leaseErr == nil
	if leaseErr != nil {
		r.snap.Warnings = append(r.snap.Warnings, "lease log: "+leaseErr.Error())
	}
	if finErr != nil {
		r.snap.Warnings = append(r.snap.Warnings, finErr.Error())
	}
	return r, nil
}
