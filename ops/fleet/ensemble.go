package fleet

import (
	"context"
	"fmt"
	"strings"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/cluster"
	"github.com/kfleet/kfleet/ops/ssh"
	"github.com/kfleet/kfleet/ops/zookeeper"
)

// readEnsemble reads a ZooKeeper-mode cluster's ensemble: every node over its client port, else
// (with an SSH runner) through a command on its host, judged by zookeeper.Assess. Its problems
// and warnings name the node; they are the cluster's too.
func readEnsemble(ctx context.Context, c *inventory.Cluster, runner *ssh.Runner) (*cluster.ZooKeeperHealth, []string, []string) {
	zk := c.Metadata.ZooKeeper
	nodes := make([]zookeeper.Node, len(zk.Nodes))
	byID := make(map[int]*inventory.ZooKeeperNode, len(zk.Nodes))
	for i, n := range zk.Nodes {
		nodes[i] = zookeeper.Node{ID: n.ID, Host: n.Host, ClientPort: n.ClientPort}
		byID[n.ID] = n
	}
	var via zookeeper.Exec
	if runner != nil {
		via = func(ctx context.Context, node zookeeper.Node, command string) (string, error) {
			out, code, err := runner.Output(ctx, ssh.TargetForZooKeeper(byID[node.ID]), command)
			if err != nil {
				return "", err
			}
			if code != 0 {
				return "", fmt.Errorf("%s exited %d: %s", command, code, strings.TrimSpace(string(out)))
			}
			return string(out), nil
		}
	}
	states, errs := zookeeper.ReadAll(ctx, nodes, via)
	e := zookeeper.Assess(nodes, states, errs)
	h := &cluster.ZooKeeperHealth{Healthy: e.Healthy, Leader: e.Leader, Voters: e.Voters, Serving: e.Serving,
		Synced: e.Synced, Nodes: make([]cluster.ZooKeeperNodeHealth, 0, len(e.Members))}
	for _, m := range e.Members {
		nh := cluster.ZooKeeperNodeHealth{ID: m.ID, Address: m.Addr(), Up: m.Up, Mode: string(m.Mode), Synced: m.Synced, Error: m.Error}
		if m.State != nil {
			nh.Outstanding = m.State.Outstanding
		}
		h.Nodes = append(h.Nodes, nh)
	}
	return h, e.Problems, e.Warnings
}
