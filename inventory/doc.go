// Package inventory loads, validates and queries the fleet inventory: the YAML file that lists
// every Kafka cluster kfleet operates, how to reach its brokers over Kafka and SSH, and how each
// broker's service is controlled and installed, when each cluster may be worked on (its
// maintenance windows), and where each cluster keeps its metadata (KRaft, or a ZooKeeper ensemble
// whose nodes are reached like broker hosts).
//
// Loading resolves the three levels of settings (defaults, cluster, broker) into one flat,
// fully-defaulted value per broker and per ZooKeeper node, so callers never merge anything
// themselves. Every problem is
// reported with the file, line, column and field path it concerns, all of them at once.
//
// Secrets are never stored in the inventory, only references to them (password_env,
// password_file); SASL.Password reads them when a connection needs one.
//
// This package is a leaf: it must not import any other kfleet package, and it does no network
// or SSH I/O.
package inventory
