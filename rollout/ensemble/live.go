package ensemble

import (
	"context"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/host"
	"github.com/kfleet/kfleet/ops/zookeeper"
	"github.com/kfleet/kfleet/rollout/operation"
)

// liveEnsemble reads the nodes over their client ports (else over SSH) and runs their service
// commands over SSH.
type liveEnsemble struct {
	c *inventory.Cluster
	d operation.Deps
}

func (l liveEnsemble) Read(ctx context.Context) zookeeper.Ensemble {
	return host.ReadEnsemble(ctx, l.c, l.d.SSH)
}

func (l liveEnsemble) Service(ctx context.Context, n *inventory.ZooKeeperNode, action host.ServiceAction) error {
	return host.ZooKeeperService(ctx, l.d.SSH, n, action)
}

func (l liveEnsemble) CheckService(ctx context.Context, n *inventory.ZooKeeperNode) error {
	return host.CheckZooKeeperService(ctx, l.d.SSH, n)
}
