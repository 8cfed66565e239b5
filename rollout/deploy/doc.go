// Package deploy deploys Kafka binaries: it checks a release artifact, stages it on every broker
// host (SFTP, verified, unpacked atomically), activates it broker by broker on the rolling engine
// (Release: deploy, rollback and their resume), prunes old releases, and finalizes the cluster's
// metadata.version once every broker runs the new release (Finalizer).
//
// It may import inventory, ops/..., rollout and rollout/operation; never cmd/ or tui/.
package deploy
