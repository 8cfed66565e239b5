// Package operation is the one shape every disruptive kfleet operation has, and the one wrapper
// around its changes.
//
// An operation (restart, deploy, rollback, finalize, config apply, patch run, reassign apply) is
// built by its own package from a cluster, its Deps and a settings struct of its own, which is
// what its journal records. It plans without changing anything (for --dry-run and the
// confirmation question) and executes under a Guard: the ACLs it needs are checked first, the
// cluster lease is taken before the first change and released however the run ends, and the
// journal is opened (or reopened, on resume) under the lease. A journaled operation is resumed
// through the registry of kinds (Register, Resume), so that neither the command line nor a fleet
// run lists operation kinds.
//
// It may import inventory and ops/...; never rollout's engine, an operation's package, cmd/ or
// tui/.
package operation
