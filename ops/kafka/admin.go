package kafka

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kfleet/kfleet/ops/cluster"
)

// ClusterAdmin is one cluster's Kafka side for operations: snapshots and leader elections.
type ClusterAdmin struct {
	Name   string
	Client *kgo.Client
	// ZooKeeper: the cluster keeps its metadata in ZooKeeper, so its snapshots describe no KRaft
	// quorum (the safety gate reads the ensemble instead: rollout.GateSnapshot).
	ZooKeeper bool
}

// Snapshot reads the cluster now.
func (a *ClusterAdmin) Snapshot(ctx context.Context) (*cluster.Snapshot, error) {
	return TakeSnapshotWith(ctx, a.Client, a.Name, SnapshotOptions{ZooKeeper: a.ZooKeeper})
}

// ElectPreferred runs a preferred-leader election for these partitions. Partitions already led
// by their preferred replica are fine; any other failure names the partitions.
func (a *ClusterAdmin) ElectPreferred(ctx context.Context, partitions map[string][]int32) error {
	set := kadm.TopicsSet{}
	for t, ps := range partitions {
		set.Add(t, ps...)
	}
	res, err := kadm.NewClient(a.Client).ElectLeaders(ctx, kadm.ElectPreferredReplica, set)
	if err != nil {
		return fmt.Errorf("preferred leader election: %w", err)
	}
	var failed []string
	for t, ps := range res {
		for p, r := range ps {
			if r.Err == nil || errors.Is(r.Err, kerr.ElectionNotNeeded) {
				continue
			}
			failed = append(failed, fmt.Sprintf("%s-%d (%v)", t, p, r.Err))
		}
	}
	if len(failed) > 0 {
		sort.Strings(failed)
		if len(failed) > 5 {
			failed = append(failed[:5], fmt.Sprintf("+%d more", len(failed)-5))
		}
		return fmt.Errorf("preferred leader election failed for %s", strings.Join(failed, ", "))
	}
	return nil
}
