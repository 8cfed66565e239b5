//go:build e2e

package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kfleet/kfleet/ops/lease"
)

// propsHashes fingerprints every host's server.properties.
func propsHashes(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for id := 1; id <= 3; id++ {
		data, err := os.ReadFile(filepath.Join(sandboxDir, "hosts", fmt.Sprint(id), "config", "server.properties"))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%d:%x ", id, sha256.Sum256(data))
	}
	return b.String()
}

// Every operation takes the cluster lease before its first change. With another operator's
// patch holding the sandbox, config apply (which used to set dynamic values and rewrite
// server.properties first), deploy (which used to upload first), restart and patch run all exit
// 75 naming the holder, and Kafka, the hosts and the journal are as they were.
func TestOperationsTakeTheLeaseBeforeAnyChange(t *testing.T) {
	cl := leaseClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	holder := "e2e-other-operator@patching"
	l, err := lease.Acquire(ctx, cl, "sandbox", lease.Request{Holder: holder, OpID: opID(t, 1),
		Purpose: "patch " + hostIP(2), TTL: 2 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	releaseAtEnd(t, l)

	tree := sandboxInventory(t)
	tree["clusters"].([]any)[0].(map[string]any)["config"] = map[string]any{
		"dynamic": map[string]any{"log.cleaner.threads": "2"},
		"static":  map[string]any{"num.io.threads": "7"},
	}
	inv := writeInventory(t, tree)
	before, _ := configDiff(t, inv)
	if len(before) < 2 {
		t.Fatalf("the test inventory should differ from the sandbox in a dynamic and a static key: %+v", before)
	}
	props, hosts, pids := propsHashes(t), hostState(t), brokerPIDs(t, 3)
	state := t.TempDir()

	for _, args := range [][]string{
		// A dry run exits with the code the real run would give now.
		{"restart", "--dry-run"},
		{"config", "apply", "--dry-run"},
		{"deploy", "--dry-run", "--artifact", artifact("4.2.0")},
		{"config", "apply", "--yes"},
		{"deploy", "--yes", "--artifact", artifact("4.2.0")},
		{"restart", "--yes"},
		{"patch", "run", "--yes", "--", "true"},
	} {
		r := kfleet(t, append([]string{"-i", inv, "--state-dir", state}, args...)...)
		if r.code != 75 || !strings.Contains(r.stderr, holder) {
			t.Errorf("kfleet %s with the lease held: exit %d, want 75 naming %s\n%s%s", strings.Join(args, " "), r.code, holder, r.stdout, r.stderr)
		}
	}

	after, _ := configDiff(t, inv)
	if len(after) != len(before) {
		t.Errorf("config changed although the lease was held: %d difference(s) before, %d after", len(before), len(after))
	}
	if got := propsHashes(t); got != props {
		t.Errorf("server.properties rewritten although the lease was held:\n%s\n%s", props, got)
	}
	if got := hostState(t); got != hosts {
		t.Errorf("hosts changed (staged, switched or restarted) although the lease was held:\n%s\n%s", hosts, got)
	}
	if got := brokerPIDs(t, 3); fmt.Sprint(got) != fmt.Sprint(pids) {
		t.Errorf("brokers restarted although the lease was held: %v -> %v", pids, got)
	}
	h := kfleet(t, "--state-dir", state, "history", "-o", "json")
	expectHistoryAll(t, h, "refused")
}

// expectHistoryAll checks that every operation `history -o json` lists ended as status (refused
// runs are listed too, with how they ended and nothing done).
func expectHistoryAll(t *testing.T, h result, status string) {
	t.Helper()
	var hist struct {
		Operations []struct {
			Status string  `json:"status"`
			Done   []int32 `json:"done"`
		} `json:"operations"`
	}
	if err := json.Unmarshal([]byte(h.stdout), &hist); err != nil || len(hist.Operations) == 0 {
		t.Fatalf("history -o json (%v):\n%s", err, h.stdout)
	}
	for _, o := range hist.Operations {
		if o.Status != status || len(o.Done) != 0 {
			t.Errorf("history lists an operation %s with %v done; want every one %s with nothing done:\n%s", o.Status, o.Done, status, h.stdout)
		}
	}
}

// A dry run checks what the real run needs, and the real run checks it before its first change:
// with a host that cannot be reached both exit 69 naming it, and no broker is restarted.
func TestDryRunChecksTheHosts(t *testing.T) {
	needSandbox(t)
	tree := sandboxInventory(t)
	b := tree["clusters"].([]any)[0].(map[string]any)["brokers"].([]any)[2].(map[string]any)
	b["host"] = "127.0.0.99" // nothing listens there
	inv := writeInventory(t, tree)
	r := kfleet(t, "-i", inv, "restart", "--dry-run")
	if r.code != 69 || !strings.Contains(r.stderr, "127.0.0.99") || !strings.Contains(r.stdout, "restart of cluster sandbox") {
		t.Errorf("restart --dry-run with host 3 unreachable: exit %d, want 69 naming 127.0.0.99 after the plan\n%s%s", r.code, r.stdout, r.stderr)
	}
	// The real run checks the same before its first change (it used to restart brokers 1 and 2
	// and then fail on host 3).
	pids := brokerPIDs(t, 3)
	if r := kfleet(t, "-i", inv, "--state-dir", t.TempDir(), "restart", "--yes"); r.code != 69 || !strings.Contains(r.stderr, "127.0.0.99") {
		t.Errorf("restart with host 3 unreachable: exit %d, want 69 naming 127.0.0.99\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := brokerPIDs(t, 3); fmt.Sprint(got) != fmt.Sprint(pids) {
		t.Errorf("brokers restarted although host 3 cannot be reached: %v -> %v", pids, got)
	}
	if r := kfleet(t, "restart", "--dry-run"); r.code != 0 {
		t.Errorf("restart --dry-run on the healthy sandbox: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// A service command whose program is not on its host refuses the run (2) before any stop,
// instead of stopping the broker and then failing to start it.
func TestMissingServiceCommandIsRefusedBeforeAnyStop(t *testing.T) {
	needSandbox(t)
	tree := sandboxInventory(t)
	b := tree["clusters"].([]any)[0].(map[string]any)["brokers"].([]any)[1].(map[string]any)
	b["service"].(map[string]any)["start"] = "/nonexistent/kafka-service start"
	inv := writeInventory(t, tree)
	pids := brokerPIDs(t, 3)
	for _, args := range [][]string{{"restart", "--dry-run"}, {"--state-dir", t.TempDir(), "restart", "--yes"}} {
		r := kfleet(t, append([]string{"-i", inv}, args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, "start: /nonexistent/kafka-service") || !strings.Contains(r.stderr, "broker 2") {
			t.Errorf("%v: exit %d, want 2 naming broker 2's missing start program\n%s%s", args, r.code, r.stdout, r.stderr)
		}
	}
	if got := brokerPIDs(t, 3); fmt.Sprint(got) != fmt.Sprint(pids) {
		t.Errorf("brokers restarted although broker 2 could not be started again: %v -> %v", pids, got)
	}
}
