//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

type patchResult struct {
	Decision string   `json:"decision"`
	Host     string   `json:"host"`
	Brokers  []int    `json:"brokers"`
	Holder   string   `json:"holder"`
	Reasons  []string `json:"reasons"`
	Message  string   `json:"message"`
}

func parsePatch(t *testing.T, r result) patchResult {
	t.Helper()
	var p patchResult
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
		t.Fatalf("patch -o json printed %q (stderr %q): %v", r.stdout, r.stderr, err)
	}
	return p
}

func host(id int) string { return hostIP(id) }

// releasePatches makes sure no patch lease is left: post every host (it only verifies when
// nothing is held) and heal.
func releasePatches(t *testing.T) {
	t.Helper()
	heal(t)
	for id := 1; id <= brokerCount(); id++ {
		kfleet(t, "patch", "post", "--host", host(id), "--timeout", "1m")
	}
	kfleet(t, "lease", "release", "--force", "--yes")
}

func TestPatchPreExactlyOneOfNineThenPostThenNext(t *testing.T) {
	needSandbox(t)
	t.Cleanup(func() { releasePatches(t) })

	var wg sync.WaitGroup
	results := make([]result, 9)
	start := make(chan struct{})
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i] = kfleet(t, "patch", "pre", "--host", host(i%3+1), "-o", "json")
		}()
	}
	close(start)
	wg.Wait()

	winner := -1
	for i, r := range results {
		switch r.code {
		case 0:
			if winner >= 0 {
				t.Errorf("two pre calls said go: %d and %d", winner, i)
			}
			winner = i
		case 75:
			if p := parsePatch(t, r); p.Decision != "held" || p.Holder == "" {
				t.Errorf("refused pre should say held and name the holder: %+v", p)
			}
		default:
			t.Errorf("pre %d exit %d, want 0 or 75\n%s%s", i, r.code, r.stdout, r.stderr)
		}
	}
	if winner < 0 {
		t.Fatalf("no pre said go:\n%+v", results)
	}
	wonHost := winner%3 + 1
	if pid := brokerPID(t, wonHost); pid != 0 {
		t.Errorf("broker %d on the winning host still runs (pid %d)", wonHost, pid)
	}
	// A patching system retrying pre for the same host gets go again, and nothing else happens.
	if again := kfleet(t, "patch", "pre", "--host", host(wonHost), "-o", "json"); again.code != 0 || parsePatch(t, again).Decision != "go" {
		t.Errorf("retried pre: exit %d %s %s", again.code, again.stdout, again.stderr)
	}
	ps := kfleet(t, "patch", "status", "-o", "json")
	if !strings.Contains(ps.stdout, "patch "+host(wonHost)) {
		t.Errorf("patch status should show the lease for patch %s:\n%s", host(wonHost), ps.stdout)
	}

	post := kfleet(t, "patch", "post", "--host", host(wonHost), "-o", "json", "--timeout", "3m")
	if post.code != 0 || parsePatch(t, post).Decision != "healthy" {
		t.Fatalf("post: exit %d\n%s%s", post.code, post.stdout, post.stderr)
	}
	if brokerPID(t, wonHost) == 0 {
		t.Errorf("broker %d not started by post", wonHost)
	}
	next := wonHost%3 + 1
	if r := kfleet(t, "patch", "pre", "--host", host(next), "-o", "json"); r.code != 0 {
		t.Fatalf("pre for the next host after post: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := kfleet(t, "patch", "post", "--host", host(next), "--timeout", "3m"); r.code != 0 {
		t.Fatalf("post for host %s: exit %d\n%s%s", host(next), r.code, r.stdout, r.stderr)
	}
}

func TestPatchPreRefusedWhileAnotherBrokerIsDown(t *testing.T) {
	needSandbox(t)
	t.Cleanup(func() { releasePatches(t) })
	killBroker(t, 3)
	// Wait until Kafka sees it (fenced, partitions under-replicated).
	deadline := time.Now().Add(45 * time.Second)
	for {
		s, _, _, err := runStatus("--no-hosts")
		if err == nil && s.Clusters[0].UnderReplicated > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("broker 3's death never showed as under-replicated partitions")
		}
		time.Sleep(250 * time.Millisecond)
	}
	r := kfleet(t, "patch", "pre", "--host", host(1), "-o", "json")
	if r.code != 75 {
		t.Fatalf("exit %d, want 75\n%s%s", r.code, r.stdout, r.stderr)
	}
	p := parsePatch(t, r)
	if p.Decision != "refused" || !strings.Contains(strings.Join(p.Reasons, " "), "would drop below min.insync.replicas=2") {
		t.Errorf("refusal should name the partitions at risk: %+v", p)
	}
	if brokerPID(t, 1) == 0 {
		t.Errorf("broker 1 was stopped although the gate refused")
	}
	ps := kfleet(t, "patch", "status", "-o", "json")
	if strings.Contains(ps.stdout, `"holder"`) {
		t.Errorf("a refused pre must release the lease:\n%s", ps.stdout)
	}
}

func TestPatchPostTimeoutKeepsTheLease(t *testing.T) {
	needSandbox(t)
	t.Cleanup(func() { releasePatches(t) })
	if r := kfleet(t, "patch", "pre", "--host", host(2)); r.code != 0 {
		t.Fatalf("pre: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	bad := badStartInventory(t, 2)
	r := kfleet(t, "-i", bad, "patch", "post", "--host", host(2), "--timeout", "15s", "-o", "json")
	if r.code != 1 {
		t.Fatalf("post with a broken start: exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	if p := parsePatch(t, r); p.Decision != "unhealthy" || !strings.Contains(p.Message, "stays held") {
		t.Errorf("post result: %+v", p)
	}
	ps := kfleet(t, "patch", "status", "-o", "json")
	if ps.code != 0 || !strings.Contains(ps.stdout, "patch "+host(2)) {
		t.Errorf("patch status should still show the lease:\n%s", ps.stdout)
	}
	st := kfleet(t, "status", "-o", "json", "--no-hosts")
	if !strings.Contains(st.stdout, "patch "+host(2)) {
		t.Errorf("status should show the lease too:\n%s", st.stdout)
	}
	// Fixed: post with the good inventory brings it back and releases.
	if r := kfleet(t, "patch", "post", "--host", host(2), "--timeout", "3m"); r.code != 0 {
		t.Fatalf("post after the fix: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if ps := kfleet(t, "patch", "status", "-o", "json"); strings.Contains(ps.stdout, `"holder"`) {
		t.Errorf("lease still held after a healthy post:\n%s", ps.stdout)
	}
}

func bootIDs(t *testing.T) map[int]string {
	t.Helper()
	out := map[int]string{}
	for id := 1; id <= brokerCount(); id++ {
		data, err := os.ReadFile(filepath.Join(sandboxDir, "hosts", fmt.Sprint(id), "run", "boot_id"))
		if err != nil {
			t.Fatal(err)
		}
		out[id] = strings.TrimSpace(string(data))
	}
	return out
}

// TestPatchRunWithReboots patches every host with a command that simulates a reboot (new boot
// id, sshd down a few seconds, the connection dropped) under acks=all load.
func TestPatchRunWithReboots(t *testing.T) {
	needSandbox(t)
	t.Cleanup(func() { heal(t) })
	createTopic(t, "e2e-patch", 6, 3, "2")
	n := brokerCount()
	pids, boots := brokerPIDs(t, n), bootIDs(t)
	obs := watchMinISR(t, "e2e-patch", "sandbox-demo")
	prod := produce(t, "e2e-patch")
	time.Sleep(time.Second)

	reboot := filepath.Join(sandboxDir, "bin", "simulate-reboot")
	r := kfleet(t, "--state-dir", t.TempDir(), "patch", "run", "--yes", "-o", "json", "--reboot-timeout", "2m", "--", reboot)
	prod.finish(t, "e2e-patch")
	obs.finish(t)
	if r.code != 0 {
		t.Fatalf("patch run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "connection dropped during the patch command") {
		t.Errorf("the reboot was not noticed:\n%s", r.stderr)
	}
	afterPIDs, afterBoots := brokerPIDs(t, n), bootIDs(t)
	for id := 1; id <= n; id++ {
		if afterPIDs[id] == pids[id] {
			t.Errorf("broker %d not restarted", id)
		}
		if afterBoots[id] == boots[id] {
			t.Errorf("host %d was not 'rebooted'", id)
		}
	}
	if got := batchesDone(events(t, r.stdout)); len(got) != n {
		t.Errorf("batches done %v, want %d", got, n)
	}
}
