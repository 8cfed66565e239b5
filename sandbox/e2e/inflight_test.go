//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// inflight is what `status -o json` says of the operation holding the sandbox's lease.
type inflight struct {
	Clusters []struct {
		Operation *struct {
			OpID        string  `json:"op_id"`
			HolderAlive bool    `json:"holder_alive"`
			HolderGone  string  `json:"holder_gone"`
			Batch       int     `json:"batch"`
			Batches     int     `json:"batches"`
			Step        string  `json:"step"`
			Brokers     []int32 `json:"brokers"`
		} `json:"operation"`
		Brokers []struct {
			ID        int32  `json:"id"`
			Alive     bool   `json:"alive"`
			StoppedBy string `json:"stopped_by"`
		} `json:"brokers"`
	} `json:"clusters"`
}

func readInflight(t *testing.T) inflight {
	t.Helper()
	r := kfleet(t, "status", "-c", "sandbox", "-o", "json")
	var s inflight
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil || len(s.Clusters) != 1 {
		t.Fatalf("status -o json (exit %d): %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	return s
}

// TestOperationInFlightIsVisible: a restart of broker 2 runs in one process (held in its
// post-stop hook, the broker down) while status -o json and the TUI, in others, show its batch
// 1/1, its step, its holder alive, and broker 2 down as planned (stopped by it); after the
// restart is killed (SIGKILL) both show its holder gone, and resume brings broker 2 back.
func TestOperationInFlightIsVisible(t *testing.T) {
	needSandbox(t)
	t.Cleanup(func() { heal(t) })
	// The hook holds the batch (broker 2 down) while the marker exists; the resume passes it.
	dir := t.TempDir()
	hook, marker := filepath.Join(dir, "hold.sh"), filepath.Join(dir, "hold")
	if err := os.WriteFile(hook, []byte("#!/bin/sh\n[ -e "+marker+" ] && sleep 60\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(marker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tm := startTmux(t, 220, 50)
	tm.send(fmt.Sprintf("%s -i %s -c sandbox tui --interval 1s", kfleetBin, inventory), "Enter")
	tm.waitFor(t, 60*time.Second, "the fleet view", func(s string) bool { return strings.Contains(s, "sandbox") && strings.Contains(s, "CLUSTER") })

	state := t.TempDir()
	run := startKfleet(t, "--state-dir", state, "-c", "sandbox", "restart", "--brokers", "2", "--post-stop-hook", hook,
		"--hook-timeout", "2m", "--yes", "-o", "json")
	run.await(t, 3*time.Minute, `"step":"post-stop-hooks","status":"started"`)
	op := run.opID(t)

	// Another process sees where the operation stands, from the cluster's log.
	var s inflight
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		s = readInflight(t)
		if o := s.Clusters[0].Operation; o != nil && o.Step == "post-stop-hooks" || time.Now().After(deadline) {
			break
		}
	}
	o := s.Clusters[0].Operation
	if o == nil || o.OpID != op || !o.HolderAlive || o.Batch != 1 || o.Batches != 1 || o.Step != "post-stop-hooks" ||
		!slices.Equal(o.Brokers, []int32{2}) {
		t.Errorf("status operation %+v; want %s, holder alive, batch 1/1, step post-stop-hooks, broker 2", o, op)
	}
	for _, b := range s.Clusters[0].Brokers {
		if planned := b.StoppedBy == op; planned != (b.ID == 2) || (b.ID == 2 && b.Alive) {
			t.Errorf("broker %d: alive %v, stopped_by %q; want only broker 2 down, stopped by %s", b.ID, b.Alive, b.StoppedBy, op)
		}
	}
	tm.waitFor(t, 30*time.Second, "the TUI row with batch 1/1 post-stop-hooks", func(s string) bool {
		return strings.Contains(s, "batch 1/1 post-stop-hooks")
	})
	tm.send("Enter")
	tm.waitFor(t, 30*time.Second, "the cluster view with broker 2 down as planned", func(s string) bool {
		return strings.Contains(s, "(planned)")
	})

	// The laptop dies: both see the holder gone.
	_ = run.cmd.Process.Kill()
	run.exit(time.Minute)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		s = readInflight(t)
		if o := s.Clusters[0].Operation; o != nil && !o.HolderAlive || time.Now().After(deadline) {
			break
		}
	}
	if o := s.Clusters[0].Operation; o == nil || o.HolderAlive || o.HolderGone == "" {
		t.Errorf("status after SIGKILL: operation %+v; want the holder gone, saying why", o)
	}
	tm.send("Escape")
	tm.waitFor(t, 30*time.Second, "the TUI row saying the holder is gone", func(s string) bool {
		return strings.Contains(s, "HOLDER GONE")
	})
	tm.send("q")

	if err := os.Remove(marker); err != nil {
		t.Fatal(err)
	}
	res := kfleet(t, "--state-dir", state, "resume", op, "--yes")
	if res.code != 0 {
		t.Fatalf("resume: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if s := readInflight(t); s.Clusters[0].Operation != nil {
		t.Errorf("an operation is still in flight after the resume: %+v", s.Clusters[0].Operation)
	}
}
