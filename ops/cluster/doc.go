// Package cluster is the pure model of one Kafka cluster and its safety math: the snapshot
// (brokers, topics, partitions, counts, problems), the safety gate (CheckGate, GateIndex,
// GateConflicts), the KRaft quorum, and the health verdict (Assess) with the small facts it reads
// from other levels (LeaseHolder, OpEvent, BrokerProcess). Nothing here does I/O: the Kafka
// transport fills a snapshot, the host probes and the lease report facts, and this package judges.
//
// It may import inventory only (of kfleet); everything else in kfleet imports it, never the
// other way round.
package cluster
