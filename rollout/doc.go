// Package rollout is kfleet's rolling engine: it takes a cluster's brokers down in batches and
// brings them back healthy, one batch at a time, and carries the operations that ride on it
// (restart, deploy, config apply, patch run).
//
// Deciding and doing are kept apart. PlanBatches is pure: from one cluster snapshot it forms
// the largest batches the safety gate (cluster.CheckGate) accepts, up to --max-parallel, rack by rack
// under rack-aware placement, with the active controller's batch last. The engine does the I/O:
// before every batch it takes a fresh snapshot, re-plans and re-checks the gate, waiting
// (bounded) and saying why while it is refused; then it runs the hooks, stops and starts the
// brokers, waits for them to rejoin and for URP to return to zero, re-elects preferred leaders,
// and journals every step so an interrupted run can be resumed.
//
// Rolling is one such run as an operation (restart, deploy, rollback, patch run, and config
// apply's restarts are made of it): its plan, and its execution under operation.Guard. Each
// operation lives in a package of its own (rollout/restart, rollout/deploy,
// rollout/brokerconfig, patch) with the shape of rollout/operation.
//
// It may import ops/..., rollout/operation and inventory; it must never import an operation's
// package, cmd/ or tui/.
package rollout
