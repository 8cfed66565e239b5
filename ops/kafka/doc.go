// Package kafka is kfleet's Kafka transport: the client with its TLS and SASL settings
// (NewClient), the errors kfleet reports for failed requests with the ACL each needs (Op,
// Failure, DeniedError, UnreachableError), the ACL checks made ahead of a change
// (RequireClusterOps, RequireTopicOps), reading a cluster into a snapshot (TakeSnapshot) and the
// cluster admin operations rollouts use (ClusterAdmin).
//
// It may import ops/cluster and inventory; never the lease, SSH, host or anything above them.
package kafka
