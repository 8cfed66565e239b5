package patch

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/host"
	"github.com/kfleet/kfleet/ops/zookeeper"
	"github.com/kfleet/kfleet/rollout/ensemble"
)

// zooKeeperHosts names the hosts of brokers that also carry ZooKeeper nodes of c.
func zooKeeperHosts(c *inventory.Cluster, brokers []*inventory.Broker) []string {
	var hosts []string
	for _, b := range brokers {
		if len(c.ZooKeeperNodesOn(b.Host)) > 0 {
			hosts = append(hosts, b.Host)
		}
	}
	return hosts
}

// CheckZooKeeperHosts refuses a patch run that could take two ZooKeeper nodes down at once: when
// some host to patch carries a ZooKeeper node, hosts go one at a time (--max-parallel 1), since a
// host patch takes down everything on it and the safety gate forms batches from brokers alone.
func CheckZooKeeperHosts(c *inventory.Cluster, brokers []*inventory.Broker, maxParallel int) error {
	if hosts := zooKeeperHosts(c, brokers); len(hosts) > 0 && maxParallel > 1 {
		return fault.Usagef("hosts %s of cluster %s also carry ZooKeeper nodes: patch run takes such hosts one at a time (--max-parallel 1)",
			strings.Join(hosts, ", "), c.Name)
	}
	return nil
}

// zooKeeperAround wraps the patch of one broker's host so that a ZooKeeper node on the same host
// goes down and comes back with it: before the command the ensemble must keep a synced majority
// without the node (the broker gate already wanted it healthy), the node is stopped and confirmed
// down; after, it is started unless it runs (a reboot may have started it) and the patch waits
// until it serves in sync with a leader, before the broker starts.
type zooKeeperAround struct {
	cluster *inventory.Cluster
	ens     ensemble.Ensemble
	timeout time.Duration // each node's stop, and its return in sync
	poll    time.Duration
	say     func(format string, args ...any)
}

func (z zooKeeperAround) wrap(patch func(context.Context, *inventory.Broker) error) func(context.Context, *inventory.Broker) error {
	return func(ctx context.Context, b *inventory.Broker) error {
		nodes := z.cluster.ZooKeeperNodesOn(b.Host)
		if len(nodes) == 0 {
			return patch(ctx, b)
		}
		ids := make([]int, len(nodes))
		for i, n := range nodes {
			ids[i] = n.ID
		}
		if ok, reasons := zookeeper.CanStop(z.ens.Read(ctx), ids); !ok {
			return fmt.Errorf("host %s carries ZooKeeper node(s) that may not stop now: %s", b.Host, strings.Join(reasons, "; "))
		}
		for _, n := range nodes {
			z.sayf("host %s: stopping zookeeper node %d", b.Host, n.ID)
			if err := ensemble.StopNode(ctx, z.ens, n, z.timeout, z.poll); err != nil {
				z.startAll(ctx, nodes)
				return fmt.Errorf("host %s: stopping zookeeper node %d: %w (started again)", b.Host, n.ID, err)
			}
		}
		err := patch(ctx, b)
		for _, n := range nodes {
			z.sayf("host %s: waiting (up to %s) for zookeeper node %d to serve in sync (starting it unless it runs)", b.Host, z.timeout, n.ID)
			if serr := ensemble.StartNode(ctx, z.ens, n, z.timeout, z.poll); serr != nil {
				err = errors.Join(err, fmt.Errorf("host %s: zookeeper node %d: %w", b.Host, n.ID, serr))
			}
		}
		return err
	}
}

func (z zooKeeperAround) startAll(ctx context.Context, nodes []*inventory.ZooKeeperNode) {
	for _, n := range nodes {
		_ = z.ens.Service(context.WithoutCancel(ctx), n, host.ServiceStart)
	}
}

func (z zooKeeperAround) sayf(format string, args ...any) {
	if z.say != nil {
		z.say(format, args...)
	}
}
