// Package zookeeper reads and judges the ZooKeeper ensemble of a cluster that keeps its metadata
// in ZooKeeper (Kafka 3.x in ZooKeeper mode), for status and for the safety gate.
//
// Reading: ReadNode asks one node ZooKeeper's own admin commands, the four-letter words "srvr"
// and "mntr", over its client port (write the word, read until ZooKeeper closes the connection),
// under the context's deadline. "srvr" gives the mode (leader, follower, observer, standalone,
// read-only, or not serving), the zxid, latencies, outstanding requests, connections and znode
// count; "mntr" adds the leader's count of synced followers, pending syncs and the voting
// ensemble's size. ZooKeeper always allows "srvr" (zkServer.sh needs it); "mntr" must be listed in
// 4lw.commands.whitelist, and a node that refuses it is still read, with NodeState.MntrError
// saying so. ReadNodeVia asks the same words through a command run on the node's own host (an
// Exec the caller wires to SSH), for client ports that kfleet cannot reach directly; ReadAll reads
// every node at once and falls back to it. The whitelist is checked by ZooKeeper for every client,
// wherever it connects from, so SSH does not get around a refused word.
//
// Judging: Assess turns what was read into an Ensemble: who leads, who is in sync, the quorum,
// problems (status exits 3 when there are any) and warnings. CanStop is the gate's rule for
// taking ZooKeeper nodes down, RestartOrder the order of an ensemble restart (followers, then
// the leader) and GateForBrokers the rule that brokers of a ZooKeeper-mode cluster go down only
// while the ensemble keeps a synced majority. They are pure functions of an Ensemble.
//
// It imports ops/fault, ops/ssh (shell quoting only) and the standard library; never inventory
// (the caller turns the inventory's ZooKeeper block into []Node), Kafka, or anything above.
package zookeeper
