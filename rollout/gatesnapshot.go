package rollout

import (
	"context"

	"github.com/kfleet/kfleet/ops/cluster"
)

// GateSnapshot is the snapshot the safety gate judges: the cluster's, and in ZooKeeper mode
// (ensemble not nil) its ensemble read at the same time (Snapshot.ZooKeeper). Only the gate needs
// the ensemble: the waits after a stop or start read the cluster alone.
func GateSnapshot(ctx context.Context, k Kafka, ensemble func(ctx context.Context) *cluster.ZooKeeperHealth) (*cluster.Snapshot, error) {
	if ensemble == nil {
		return k.Snapshot(ctx)
	}
	zk := make(chan *cluster.ZooKeeperHealth, 1)
	go func() { zk <- ensemble(ctx) }()
	snap, err := k.Snapshot(ctx)
	read := <-zk
	if err != nil {
		return nil, err
	}
	snap.ZooKeeper = read
	return snap, nil
}
