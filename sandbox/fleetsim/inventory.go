package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// writeInventory writes the fleet's kfleet inventory to path (its directory created), replacing
// any file there in one rename so a reader never sees half of it.
func writeInventory(path string, f *simFleet) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("writing the inventory: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, inventoryYAML(f), 0o644); err != nil {
		return fmt.Errorf("writing the inventory: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing the inventory: %w", err)
	}
	return nil
}

// inventoryYAML is the fleet as a kfleet inventory: each cluster bootstrapped from all its
// brokers, each broker's host the loopback address Kafka registered it at. Nothing answers SSH
// there, so host probes fail: kfleet runs against it with --no-hosts.
func inventoryYAML(f *simFleet) []byte {
	s := f.shape
	rf, minISR := s.replication()
	var b strings.Builder
	fmt.Fprintf(&b, "# Written by sandbox/fleetsim: %d kfake clusters of %d brokers, %d partitions each\n",
		s.clusters, s.brokers, s.partitions)
	fmt.Fprintf(&b, "# (topics of %d, RF %d, min.insync.replicas %d), latency %s, under-min-isr %t.\n",
		s.topicPartitions, rf, minISR, s.latency, s.underMinISR)
	b.WriteString("# It lasts as long as the simulation. No SSH behind the hosts: use kfleet status --no-hosts.\n")
	b.WriteString("clusters:\n")
	for _, c := range f.clusters {
		fmt.Fprintf(&b, "  - name: %s\n", c.name)
		b.WriteString("    labels: {env: sim}\n")
		b.WriteString("    bootstrap: [")
		for i, a := range c.addrs {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%q", a)
		}
		b.WriteString("]\n    brokers:\n")
		for id, h := range c.hosts {
			fmt.Fprintf(&b, "      - {id: %d, host: %s}\n", id, h)
		}
	}
	return []byte(b.String())
}
