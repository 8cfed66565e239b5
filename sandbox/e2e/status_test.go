//go:build e2e

package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestStatusHealthySandbox(t *testing.T) {
	needSandbox(t)
	r := kfleet(t, "status", "-o", "json")
	if r.code != 0 {
		t.Fatalf("status exit %d, want 0\n%s%s", r.code, r.stdout, r.stderr)
	}
	// The SPEC's JSON contract: these keys must be present.
	var raw struct {
		Clusters []map[string]json.RawMessage `json:"clusters"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &raw); err != nil {
		t.Fatal(err)
	}
	if len(raw.Clusters) != 1 {
		t.Fatalf("want 1 cluster, got %d", len(raw.Clusters))
	}
	for _, k := range []string{"name", "healthy", "error", "controller", "partitions", "under_replicated",
		"under_min_isr", "offline", "reassigning", "lease", "brokers"} {
		if _, ok := raw.Clusters[0][k]; !ok {
			t.Errorf("status -o json lacks clusters[0].%s", k)
		}
	}
	s, _, _, err := runStatus()
	if err != nil {
		t.Fatal(err)
	}
	c := s.Clusters[0]
	if c.Name != "sandbox" || !c.Healthy || c.Controller < 1 || c.Partitions == 0 {
		t.Errorf("cluster = %+v", c)
	}
	if len(c.Brokers) != 3 {
		t.Fatalf("brokers = %+v, want 3", c.Brokers)
	}
	for i, b := range c.Brokers {
		if b.ID != int32(i+1) || !b.Alive || b.Version == "" || b.Rack != string(rune('a'+i)) {
			t.Errorf("broker %+v: want id %d alive with a version and rack %c", b, i+1, 'a'+i)
		}
	}

	table := kfleet(t, "status")
	if table.code != 0 || !strings.Contains(table.stdout, "sandbox") || !strings.Contains(table.stdout, "3/3") {
		t.Errorf("status table (exit %d):\n%s%s", table.code, table.stdout, table.stderr)
	}
}

// TestStatusSeesAKilledBroker kills one broker with SIGKILL, expects status to turn unhealthy
// (exit 3) within seconds with that broker not alive and under-replicated partitions counted,
// then heals the sandbox the way an SRE would: make sandbox.
func TestStatusSeesAKilledBroker(t *testing.T) {
	needSandbox(t)
	t.Cleanup(func() { heal(t) })

	killed := killBroker(t, 2)
	var last status
	deadline := killed.Add(45 * time.Second)
	for {
		s, code, stderr, err := runStatus()
		if err != nil {
			t.Fatal(err)
		}
		last = s
		c := s.Clusters[0]
		if code == 3 && !c.Brokers[1].Alive && c.UnderReplicated > 0 {
			t.Logf("unhealthy after %s: broker 2 not alive, %d under-replicated, %d under min ISR",
				time.Since(killed).Round(100*time.Millisecond), c.UnderReplicated, c.UnderMinISR)
			if c.Healthy {
				t.Errorf("exit 3 but healthy=true")
			}
			break
		}
		if code != 0 && code != 3 {
			t.Fatalf("status exit %d: %s", code, stderr)
		}
		if time.Now().After(deadline) {
			t.Fatalf("status did not report broker 2 down with URP within 45s; last: %+v", last)
		}
		time.Sleep(250 * time.Millisecond)
	}

	heal(t)
	s, code, _, err := runStatus()
	if err != nil || code != 0 || !s.Clusters[0].Brokers[1].Alive || s.Clusters[0].Brokers[1].Version == "" {
		t.Fatalf("after make sandbox: exit %d %v %+v", code, err, s)
	}
}

func TestStatusUnreachableCluster(t *testing.T) {
	needSandbox(t)
	inv := sandboxInventory(t)
	c := inv["clusters"].([]any)[0].(map[string]any)
	down := map[string]any{"name": "gone", "bootstrap": []any{"127.0.0.1:1"},
		"brokers": []any{map[string]any{"id": 1, "host": "127.0.0.1"}}}
	inv["clusters"] = []any{c, down}
	path := writeInventory(t, inv)

	start := time.Now()
	r := kfleet(t, "-i", path, "status", "--timeout", "5s", "--no-hosts")
	if r.code != 69 {
		t.Fatalf("exit %d, want 69\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "gone") || !strings.Contains(r.stdout, "UNREACHABLE") ||
		!strings.Contains(r.stdout, "healthy") {
		t.Errorf("want the sandbox healthy and gone unreachable in one table:\n%s", r.stdout)
	}
	if el := time.Since(start); el > 20*time.Second {
		t.Errorf("took %s: the unreachable cluster held the run back", el)
	}
}
