// Package host asks and tells a broker's host over SSH: the Kafka process probe
// (ProbeBrokerProcess, which reports a cluster.BrokerProcess), the broker's service commands
// (RunService) and Control, which operations hold to do both.
//
// It may import ops/ssh, ops/cluster and inventory; never Kafka, the lease or anything above.
package host
