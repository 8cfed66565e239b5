// Package reassign is kfleet's targeted partition reassignment: it repairs under-replicated
// partitions by moving only the replicas that sit on dead or named brokers, never a
// cluster-wide shuffle.
//
// Deciding and doing are kept apart. PlanMoves is pure and fast: from one cluster snapshot (and
// partition sizes when known) it replaces each replica on an affected broker, in place, with the
// least loaded eligible broker, preferring the lost replica's rack. ParseKafkaPlan and
// ValidateMoves read and check Kafka's own reassignment JSON against the live cluster.
// NextBatch picks which moves may start now under the per-broker and per-cluster limits.
//
// The executor (Executor) does the I/O: it submits moves with AlterPartitionAssignments in
// bounded batches, sets exact replication throttles and removes each as soon as its partitions
// finish, follows progress, elects preferred leaders at the end and journals every step so
// resume and cancel know what kfleet started. Reassignment is reassign apply as an operation
// (rollout/operation's shape): it plans with Prepare and runs Apply under the operation guard
// (ACLs, cluster lease, journal); Status and Cancel read and revert what is in flight.
//
// It may import ops/..., rollout/operation and inventory; it must never import the rolling
// engine, cmd/ or tui/.
package reassign
