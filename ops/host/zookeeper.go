package host

import (
	"context"
	"fmt"
	"strings"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/cluster"
	"github.com/kfleet/kfleet/ops/ssh"
	"github.com/kfleet/kfleet/ops/zookeeper"
)

// ZooKeeperService runs a ZooKeeper node's start, stop or status command from the inventory on
// its host, as RunService does a broker's.
func ZooKeeperService(ctx context.Context, r *ssh.Runner, n *inventory.ZooKeeperNode, action ServiceAction) error {
	return runService(ctx, r, ssh.TargetForZooKeeper(n), n.Service, action,
		ServiceError{Subject: fmt.Sprintf("zookeeper node %d", n.ID), Host: n.Host})
}

// ZooKeeperNodes are the ensemble's nodes of a ZooKeeper-mode cluster as ops/zookeeper reads
// them; nil for a KRaft cluster.
func ZooKeeperNodes(c *inventory.Cluster) []zookeeper.Node {
	zk := c.Metadata.ZooKeeper
	if zk == nil {
		return nil
	}
	nodes := make([]zookeeper.Node, len(zk.Nodes))
	for i, n := range zk.Nodes {
		nodes[i] = zookeeper.Node{ID: n.ID, Host: n.Host, ClientPort: n.ClientPort}
	}
	return nodes
}

// ReadEnsemble reads and judges the ensemble of a ZooKeeper-mode cluster: every node over its
// client port at once, else (with r) through a command on the node's host over SSH.
func ReadEnsemble(ctx context.Context, c *inventory.Cluster, r *ssh.Runner) zookeeper.Ensemble {
	nodes := ZooKeeperNodes(c)
	var via zookeeper.Exec
	if r != nil {
		byID := make(map[int]*inventory.ZooKeeperNode, len(nodes))
		for _, n := range c.Metadata.ZooKeeper.Nodes {
			byID[n.ID] = n
		}
		via = func(ctx context.Context, node zookeeper.Node, command string) (string, error) {
			out, code, err := r.Output(ctx, ssh.TargetForZooKeeper(byID[node.ID]), command)
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
	return zookeeper.Assess(nodes, states, errs)
}

// EnsembleHealth is the verdict as status shows it and the safety gate reads it.
func EnsembleHealth(e zookeeper.Ensemble) *cluster.ZooKeeperHealth {
	h := &cluster.ZooKeeperHealth{Healthy: e.Healthy, Leader: e.Leader, Voters: e.Voters, Serving: e.Serving,
		Synced: e.Synced, Nodes: make([]cluster.ZooKeeperNodeHealth, 0, len(e.Members)),
		Problems: e.Problems, Warnings: e.Warnings}
	for _, m := range e.Members {
		nh := cluster.ZooKeeperNodeHealth{ID: m.ID, Address: m.Addr(), Up: m.Up, Mode: string(m.Mode), Synced: m.Synced, Error: m.Error}
		if m.State != nil {
			nh.Outstanding = m.State.Outstanding
		}
		h.Nodes = append(h.Nodes, nh)
	}
	return h
}

// EnsembleReader reads c's ensemble for each snapshot the safety gate judges (see
// rollout.GateSnapshot); nil for a KRaft cluster.
func EnsembleReader(c *inventory.Cluster, r *ssh.Runner) func(ctx context.Context) *cluster.ZooKeeperHealth {
	if c.Metadata.Mode() != inventory.MetadataZooKeeper || c.Metadata.ZooKeeper == nil {
		return nil
	}
	return func(ctx context.Context) *cluster.ZooKeeperHealth { return EnsembleHealth(ReadEnsemble(ctx, c, r)) }
}
