// Package fleet collects the health of many clusters at once (Collect): for each, a snapshot
// over Kafka, its lease and latest events, and (with an SSH runner) the Kafka process on every
// broker's host, judged by cluster.Assess, plus a warning for each inventory broker Kafka has
// registered at another host (flagEndpoints). One slow or unreachable cluster never holds the
// others back.
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

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/cluster"
	"github.com/kfleet/kfleet/ops/host"
	"github.com/kfleet/kfleet/ops/kafka"
	"github.com/kfleet/kfleet/ops/lease"
	"github.com/kfleet/kfleet/ops/ssh"
)

// Options bounds a fleet-wide collection.
type Options struct {
	Concurrency int           // clusters read at once; <= 0 -> 8
	Timeout     time.Duration // per cluster, Kafka and hosts together; 0 -> 15s
	Kafka       kafka.Options
	// SSH, when set, asks every broker's host which Kafka process and version runs there.
	SSH            *ssh.Runner
	SSHConcurrency int // hosts asked at once per cluster; <= 0 -> 16
}

// Collect reads every cluster concurrently, each under its own deadline, and assesses it.
// An unreachable cluster gets a verdict carrying its error; it never holds the others back.
// Results come back in the order of clusters.
func Collect(ctx context.Context, clusters []*inventory.Cluster, o Options) []cluster.Health {
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	if o.Timeout <= 0 {
		o.Timeout = 15 * time.Second
	}
	out := make([]cluster.Health, len(clusters))
	sem := make(chan struct{}, o.Concurrency)
	var wg sync.WaitGroup
	for i, c := range clusters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			start := time.Now()
			out[i] = collectCluster(ctx, c, o)
			out[i].Elapsed = time.Since(start)
		}()
	}
	wg.Wait()
	return out
}

func collectCluster(ctx context.Context, c *inventory.Cluster, o Options) cluster.Health {
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()

	var procs map[int32]cluster.BrokerProcess
	var procErrs map[int32]error
	var wg sync.WaitGroup
	if o.SSH != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			procs, procErrs = host.ProbeBrokers(ctx, o.SSH, c.Brokers, o.SSHConcurrency)
		}()
	}

	snap, lease, mv, err := readCluster(ctx, c, o.Kafka)
	wg.Wait()
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("%w (no answer within %s)", err, o.Timeout)
		}
		return cluster.Unreachable(c, err)
	}
	h := cluster.Assess(c, snap, procs, procErrs)
	flagEndpoints(ctx, &h, net.DefaultResolver.LookupHost)
	h.Lease = lease.LeaseHolder()
	h.MarkStopped(lease.Stopped)
	h.MetadataVersion = mv
	h.Events = lease.Events
	return h
}

// readCluster connects to one cluster, reads a snapshot, its lease log and its finalized
// cluster.metadata.version, and disconnects. A lease log or feature level that cannot be read is a
// warning: the cluster's health does not depend on it.
func readCluster(ctx context.Context, c *inventory.Cluster, ko kafka.Options) (*cluster.Snapshot, lease.State, *int16, error) {
	cl, err := kafka.NewClient(c, ko)
	if err != nil {
		return nil, lease.State{}, nil, err
	}
	defer cl.Close()
	snap, err := kafka.TakeSnapshot(ctx, cl, c.Name)
	if err != nil {
		return nil, lease.State{}, nil, err
	}
	held, err := lease.Read(ctx, cl, c.Name)
	if err != nil {
		snap.Warnings = append(snap.Warnings, "lease log: "+err.Error())
	}
	mv, err := finalizedMetadataVersion(ctx, cl)
	if err != nil {
		snap.Warnings = append(snap.Warnings, "metadata.version: "+err.Error())
	}
	return snap, held, mv, nil
}

// finalizedMetadataVersion asks one broker (ApiVersions) for the cluster's finalized
// cluster.metadata.version level; nil when the cluster reports none.
func finalizedMetadataVersion(ctx context.Context, cl *kgo.Client) (*int16, error) {
	req := kmsg.NewPtrApiVersionsRequest()
	req.ClientSoftwareName, req.ClientSoftwareVersion = "kfleet", "1"
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, err
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return nil, err
	}
	for _, f := range resp.FinalizedFeatures {
		if f.Name == "metadata.version" {
			v := f.MaxVersionLevel
			return &v, nil
		}
	}
	return nil, nil
}
