// Package deploy deploys Kafka binaries: it checks a release artifact, stages it on every broker
// host (SFTP, verified, unpacked atomically), activates it broker by broker on the rolling engine
// (Release: deploy, rollback and their resume), prunes old releases, and finalizes the cluster's
// metadata.version (KRaft) or inter.broker.protocol.version (ZooKeeper mode) once every broker
// runs the new release (Finalizer). CheckUpgrade refuses moves Kafka does not support before
// anything is staged.
//
// It may import inventory, ops/..., rollout, rollout/operation and rollout/brokerconfig (the
// server.properties edits of a ZooKeeper-mode finalize); never cmd/ or tui/.
package deploy
