// Package tui is kfleet's live fleet view (`kfleet tui`): a bubbletea program that shows every
// cluster worst first and drills into one cluster's brokers, problem partitions, reassignments
// and operation events.
//
// It reads ops snapshots only. It never talks to Kafka or SSH itself: the command injects a
// Reader of one cluster (fleet.CollectCluster), which the model calls for each cluster when
// fleet.Schedule says it is due, from goroutines started by a tea.Cmd and under a deadline, so
// input never blocks and a slow cluster holds up only its own row; answers come back to Update
// in batches (refresh.go). The fleet operations in progress come the same way, from an
// injected FleetOpsReader, as this package's own FleetOp values (the command converts the fleet
// journal's progress), so it needs nothing of the rollout packages. The root Model routes
// messages to two child views (fleet and cluster); key bindings live in keys.go; diagnostics go
// to the injected slog.Logger, which the command points at a file, never at the screen. It may
// import ops but not cmd/ or other domain packages.
package tui
