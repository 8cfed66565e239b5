package main

import (
	"encoding/json"
	"testing"
)

// The multi-cluster reads' -o json, real output against kfake clusters and one that cannot be
// reached, validates against its schema: every kind of row (a lease held by a live holder and
// by a dead one, a free lease, reassignments in flight with a kfleet operation under way, a
// cluster that could not be read) and the one-cluster form, which is an array too.
func TestMultiClusterReadsMatchTheirSchemas(t *testing.T) {
	held, orphan := goldenKafka(t), goldenKafka(t)
	leases := goldenInventory(t, []string{"golden", "gone", "idle", "orphan"}, []string{held, "127.0.0.1:1", goldenKafka(t), orphan})
	holdLease(t, held, "golden")
	holdLeaseAndDie(t, orphan, "orphan")
	reassigning, state := reassignFleet(t), movingState(t)
	for _, tc := range []struct {
		name   string
		schema string
		args   []string
		code   int
		rows   int
	}{
		{"lease show, every kind of row", "lease", []string{"-i", leases, "lease", "show", "-o", "json"}, 69, 4},
		{"lease show, one free cluster", "lease", []string{"-i", leases, "-c", "idle", "lease", "show", "-o", "json"}, 0, 1},
		{"reassign status, every kind of row", "reassign-status", []string{"-i", reassigning, "--state-dir", state, "reassign", "status", "-o", "json"}, 69, 3},
		{"reassign status, one cluster reassigning", "reassign-status", []string{"-i", reassigning, "--state-dir", state, "-c", "golden", "reassign", "status", "-o", "json"}, 0, 1},
		{"reassign status, one idle cluster", "reassign-status", []string{"-i", reassigning, "-c", "idle", "reassign", "status", "-o", "json"}, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runCLI(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out, errOut)
			}
			validate(t, tc.schema, []byte(out))
			var doc struct{ Clusters []json.RawMessage }
			if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Clusters) != tc.rows {
				t.Errorf("want {\"clusters\": [...]} of %d clusters (%v):\n%s", tc.rows, err, out)
			}
		})
	}
}
