//go:build e2e

package e2e

import (
	"os"
	"testing"
	"time"
)

// TestSixBrokerRackBatches runs on a 6-broker sandbox (racks a,b,c twice; `make test` brings one
// up after the 3-broker suite): with rack-aware RF3 / min ISR 2 topics, --max-parallel 2
// restarts one rack at a time in 3 batches of 2 with the same safety as one at a time, and the
// wall times of both are logged for docs/benchmarks.md.
func TestSixBrokerRackBatches(t *testing.T) {
	if os.Getenv("KFLEET_E2E_SIX") != "1" {
		t.Skip("needs the 6-broker sandbox: KFLEET_E2E_SIX=1 (make test runs it)")
	}
	needSandbox(t)
	if n := brokerCount(); n != 6 {
		t.Fatalf("sandbox has %d brokers, want 6", n)
	}
	t.Cleanup(func() { heal(t) })
	createTopic(t, "e2e-racks", 12, 3, "2")
	racks := map[int]string{1: "a", 2: "b", 3: "c", 4: "a", 5: "b", 6: "c"}

	run := func(maxParallel string) ([][]int, time.Duration) {
		before := brokerPIDs(t, 6)
		obs := watchMinISR(t, "e2e-racks", "sandbox-demo")
		prod := produce(t, "e2e-racks")
		start := time.Now()
		r := kfleet(t, "--state-dir", t.TempDir(), "restart", "--yes", "--max-parallel", maxParallel, "-o", "json")
		wall := time.Since(start)
		prod.finish(t, "e2e-racks")
		obs.finish(t)
		if r.code != 0 {
			t.Fatalf("--max-parallel %s: exit %d\n%s%s", maxParallel, r.code, r.stdout, r.stderr)
		}
		after := brokerPIDs(t, 6)
		for id := 1; id <= 6; id++ {
			if after[id] == before[id] {
				t.Errorf("--max-parallel %s: broker %d not restarted", maxParallel, id)
			}
		}
		evs := events(t, r.stdout)
		logTimings(t, evs)
		return batchesDone(evs), wall
	}

	batches, wall2 := run("2")
	if len(batches) != 3 {
		t.Errorf("--max-parallel 2: batches %v, want 3", batches)
	}
	for _, b := range batches {
		if len(b) != 2 || racks[b[0]] != racks[b[1]] {
			t.Errorf("batch %v is not two brokers of one rack", b)
		}
	}
	single, wall1 := run("1")
	if len(single) != 6 {
		t.Errorf("--max-parallel 1: batches %v, want 6", single)
	}
	t.Logf("wall time: --max-parallel 2 %.1fs (%d batches), --max-parallel 1 %.1fs (%d batches), ratio %.2f",
		wall2.Seconds(), len(batches), wall1.Seconds(), len(single), wall2.Seconds()/wall1.Seconds())
}
