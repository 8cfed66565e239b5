package inventory

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds Parse arbitrary bytes: it must never panic, must report problems only as
// Errors with real positions, and must never accept an inventory without brokers.
func FuzzParse(f *testing.F) {
	good, err := os.ReadFile(filepath.Join("testdata", "fleet.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	for _, c := range problemCases {
		f.Add([]byte(c.in))
	}
	for _, c := range hookCases {
		f.Add([]byte(hookCaseSource(c.defaults, c.cluster)))
	}
	for _, c := range metadataCases {
		f.Add([]byte(metadataSource(c.meta)))
	}
	for _, c := range metadataProblemCases {
		f.Add([]byte(c.in))
	}
	if zk, err := os.ReadFile(filepath.Join("testdata", "zookeeper.yaml")); err == nil {
		f.Add(zk)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fleet, err := Parse("fleet.yaml", data)
		if err != nil {
			var es Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("error is %T %v, want non-empty Errors", err, err)
			}
			for _, e := range es {
				if e.Pos.Line < 1 || e.Pos.Column < 1 || e.Pos.File != "fleet.yaml" {
					t.Fatalf("problem without a position: %#v", e)
				}
			}
			return
		}
		if fleet == nil || len(fleet.Clusters) == 0 {
			t.Fatalf("accepted an inventory without clusters")
		}
		for _, c := range fleet.Clusters {
			if c.Name == "" || len(c.Bootstrap) == 0 || len(c.Brokers) == 0 || c.Labels == nil {
				t.Fatalf("accepted an incomplete cluster %+v", c)
			}
			if m := c.Maintenance; m != nil && (len(m.Windows) == 0 || m.Location == nil) {
				t.Fatalf("accepted a schedule without windows or zone instead of nil: %#v", m)
			}
			if c.Hooks.Timeout <= 0 {
				t.Fatalf("accepted hooks without a timeout %+v", c.Hooks)
			}
			for _, phase := range [][]string{c.Hooks.PreStop, c.Hooks.PostStop, c.Hooks.PostStart} {
				if phase != nil && len(phase) == 0 {
					t.Fatalf("a phase without hooks is an empty slice, not nil: %+v", c.Hooks)
				}
				for _, h := range phase {
					if !filepath.IsAbs(h) {
						t.Fatalf("accepted a hook path that is not absolute: %q", h)
					}
				}
			}
			for _, b := range c.Brokers {
				if b.Host == "" || b.SSH.Port < 1 || b.SSH.HostKeyPolicy == "" || b.SSH.ConnectTimeout <= 0 {
					t.Fatalf("accepted an incomplete broker %+v", b)
				}
			}
			if zk := c.Metadata.ZooKeeper; zk != nil {
				if len(zk.Nodes) == 0 {
					t.Fatalf("accepted a ZooKeeper ensemble without nodes")
				}
				for _, n := range zk.Nodes {
					if n.Host == "" || n.ID < 1 || n.ID > maxZooKeeperID || n.ClientPort < 1 || n.ClientPort > 65535 ||
						n.SSH.Port < 1 || n.SSH.HostKeyPolicy == "" || n.Service.Stop == "" {
						t.Fatalf("accepted an incomplete ZooKeeper node %+v", n)
					}
				}
			}
		}
	})
}
