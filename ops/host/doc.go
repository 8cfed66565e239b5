// Package host asks and tells a broker's host over SSH: the Kafka process probe
// (ProbeBrokerProcess, which reports a cluster.BrokerProcess), the broker's service commands
// (RunService) and Control, which operations hold to do both. Control refuses a host that runs
// another broker than the inventory says (CheckIdentity, IdentityError).
//
// It may import ops/ssh, ops/cluster, ops/fault and inventory; never Kafka, the lease or anything
// above.
package host
