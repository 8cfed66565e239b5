// Package ensemble is the rolling restart of a ZooKeeper-mode cluster's ZooKeeper ensemble
// (`kfleet restart --zookeeper`): one node at a time, the followers first and the leader last, each
// back, serving and in sync with a leader before the next goes down, under the cluster lease,
// journaled and resumable. Before each node the gate (zookeeper.CanStop on a fresh read) must
// say that the ensemble keeps a synced majority without it.
//
// Its events are rollout.Events whose ZooKeeperNode names the node (no brokers), so the journal,
// the cluster's event log and the printers treat them as any rolling operation's, and nothing
// mistakes a ZooKeeper node for a broker that was left down.
//
// It may import inventory, ops/... and rollout; never cmd/ or tui/.
package ensemble
