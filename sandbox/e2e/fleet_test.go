//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kfleet/kfleet/ops/lease"
)

// The fleet scenarios run against the sandbox fleet (sandbox/fleet.sh: clusters fleet-a on
// 127.0.0.11-13 and fleet-b on 127.0.0.21-23, one inventory, fleet-a labelled the canary), with
// SANDBOX_DIR=.sandbox-fleet and KFLEET_E2E_FLEET=1 (make test runs them).

// fleetCluster is one cluster of the sandbox fleet.
type fleetCluster struct {
	name   string
	letter string
	base   int // host N is 127.0.0.(base+N)
}

var fleetClusters = []fleetCluster{{"fleet-a", "a", 10}, {"fleet-b", "b", 20}}

func needFleet(t *testing.T) {
	t.Helper()
	if os.Getenv("KFLEET_E2E_FLEET") != "1" {
		t.Skip("needs the sandbox fleet: SANDBOX_DIR=.sandbox-fleet KFLEET_E2E_FLEET=1 (make test runs it)")
	}
	needSandbox(t)
}

func (c fleetCluster) opts() []kgo.Opt {
	var seeds []string
	for id := 1; id <= 3; id++ {
		seeds = append(seeds, fmt.Sprintf("127.0.0.%d:9092", c.base+id))
	}
	return []kgo.Opt{kgo.SeedBrokers(seeds...)}
}

// pids reads the pid each broker of the cluster runs.
func (c fleetCluster) pids(t *testing.T) map[int]string {
	t.Helper()
	out := map[int]string{}
	for id := 1; id <= 3; id++ {
		data, _ := os.ReadFile(filepath.Join(sandboxDir, c.letter, "hosts", fmt.Sprint(id), "run", "kafka.pid"))
		out[id] = strings.TrimSpace(string(data))
	}
	return out
}

// healFleet brings every broker of the fleet back and waits until both clusters are healthy.
func healFleet(t *testing.T) {
	t.Helper()
	cmd := exec.Command("bash", filepath.Join(root, "sandbox", "fleet.sh"), "up")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "SANDBOX_FLEET_DIR="+sandboxDir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sandbox/fleet.sh up: %v\n%s", err, out)
	}
	if err := waitHealthy(2 * time.Minute); err != nil {
		t.Fatalf("after heal: %v", err)
	}
}

// fleetInventory is the fleet's inventory with change applied to cluster name's entry.
func fleetInventory(t *testing.T, name string, change func(c map[string]any)) string {
	t.Helper()
	inv := sandboxInventory(t)
	for _, c := range inv["clusters"].([]any) {
		if c := c.(map[string]any); c["name"] == name {
			change(c)
		}
	}
	return writeInventory(t, inv)
}

// results reads the summary (the last event) of a fleet run's JSON stream: cluster -> outcome.
func fleetResults(t *testing.T, evs []map[string]any) (string, map[string]string) {
	t.Helper()
	if len(evs) == 0 {
		t.Fatal("no events")
	}
	last := evs[len(evs)-1]
	out := map[string]string{}
	rs, _ := last["results"].([]any)
	for _, r := range rs {
		r := r.(map[string]any)
		out[r["cluster"].(string)] = r["outcome"].(string)
	}
	return last["event"].(string), out
}

// The promise of a fleet run: the canary cluster alone first, then the other, both under
// acks=all load, no acknowledged record lost and no partition below min ISR on either; every
// event of the JSON stream names its cluster and the fleet operation, and the last is the summary.
func TestFleetRestartCanaryFirstUnderLoadLosesNothing(t *testing.T) {
	needFleet(t)
	t.Cleanup(func() { healFleet(t) })
	var prods []*producer
	var obs []*observer
	before := map[string]map[int]string{}
	for _, c := range fleetClusters {
		createTopicWith(t, c.opts(), "e2e-fleet", 6, 3, "2")
		obs = append(obs, watchMinISRWith(t, c.opts(), "e2e-fleet"))
		prods = append(prods, produceWith(t, c.opts(), "e2e-fleet"))
		before[c.name] = c.pids(t)
	}
	time.Sleep(time.Second)
	began := time.Now()
	r := kfleet(t, "--state-dir", t.TempDir(), "restart", "--yes", "-o", "json")
	took := time.Since(began)
	for i, c := range fleetClusters {
		prods[i].finish(t, "e2e-fleet")
		obs[i].finish(t)
		after := c.pids(t)
		for id, pid := range before[c.name] {
			if after[id] == pid {
				t.Errorf("%s broker %d still runs process %s", c.name, id, pid)
			}
		}
	}
	if r.code != 0 {
		t.Fatalf("fleet restart: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	t.Logf("fleet restart of 2 clusters x 3 brokers took %s", took.Round(time.Second))
	evs := events(t, r.stdout)
	var order []string
	fleetOp := ""
	for _, ev := range evs {
		op, hasOp := ev["fleet_op"].(string)
		if _, hasCluster := ev["cluster"]; !hasOp || !hasCluster || op == "" {
			t.Fatalf("event without cluster or fleet_op: %v", ev)
		}
		if fleetOp == "" {
			fleetOp = op
		} else if op != fleetOp {
			t.Fatalf("two fleet ops in one run: %s, %s", fleetOp, op)
		}
		if k := ev["event"]; k == "cluster-start" || k == "cluster-done" {
			order = append(order, fmt.Sprintf("%s:%s", k, ev["cluster"]))
		}
	}
	want := "cluster-start:fleet-a cluster-done:fleet-a cluster-start:fleet-b cluster-done:fleet-b"
	if got := strings.Join(order, " "); got != want {
		t.Errorf("order %s, want the canary fleet-a done before fleet-b starts: %s", got, want)
	}
	kind, res := fleetResults(t, evs)
	if kind != "finished" || res["fleet-a"] != "done" || res["fleet-b"] != "done" {
		t.Errorf("summary %s %v", kind, res)
	}
	if got := batchesDone(evs); len(got) != 6 {
		t.Errorf("batches done %v, want 6", got)
	}
}

// A failure in the second cluster (a post-start hook exits 1) halts the fleet with the canary
// done and exit 1; resume, once the hook is fixed, finishes the second cluster alone.
func TestFleetFailureHaltsThenResumeFinishes(t *testing.T) {
	needFleet(t)
	t.Cleanup(func() { healFleet(t) })
	dir := t.TempDir()
	flag := filepath.Join(dir, "fail")
	hook := filepath.Join(dir, "smoke-test.sh")
	if err := os.WriteFile(hook, []byte("#!/bin/sh\nif [ -e "+flag+" ]; then echo smoke test failed >&2; exit 1; fi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	inv := fleetInventory(t, "fleet-b", func(c map[string]any) {
		c["hooks"] = map[string]any{"post_start": []any{hook}}
	})
	state := t.TempDir()
	r := kfleet(t, "-i", inv, "--state-dir", state, "restart", "--yes", "-o", "json")
	if r.code != 1 {
		t.Fatalf("want exit 1 (fleet-b failed), got %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	kind, res := fleetResults(t, events(t, r.stdout))
	if kind != "halted" || res["fleet-a"] != "done" || res["fleet-b"] != "failed" {
		t.Fatalf("summary %s %v", kind, res)
	}
	fleetOp := ""
	for _, ev := range events(t, r.stdout) {
		fleetOp, _ = ev["fleet_op"].(string)
	}
	if !strings.Contains(r.stderr, "kfleet resume "+fleetOp) {
		t.Errorf("the error must say how to go on:\n%s", r.stderr)
	}
	aPids := fleetClusters[0].pids(t)

	if err := os.Remove(flag); err != nil { // the operator fixes what the smoke test found
		t.Fatal(err)
	}
	r = kfleet(t, "--state-dir", state, "resume", fleetOp, "--yes", "-o", "json")
	if r.code != 0 {
		t.Fatalf("resume: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	kind, res = fleetResults(t, events(t, r.stdout))
	if kind != "finished" || res["fleet-a"] != "done" || res["fleet-b"] != "done" {
		t.Errorf("resume summary %s %v", kind, res)
	}
	for _, ev := range events(t, r.stdout) {
		if ev["event"] == "cluster-start" && ev["cluster"] == "fleet-a" {
			t.Error("resume started fleet-a again, which the first run finished")
		}
	}
	if after := fleetClusters[0].pids(t); fmt.Sprint(after) != fmt.Sprint(aPids) {
		t.Errorf("resume restarted fleet-a's brokers: %v -> %v", aPids, after)
	}
	h := kfleet(t, "--state-dir", state, "history")
	if !strings.Contains(h.stdout, fleetOp) || !strings.Contains(h.stdout, "fleet restart") || !strings.Contains(h.stdout, "2/2 clusters") {
		t.Errorf("history does not show the fleet operation done:\n%s", h.stdout)
	}
}

// A cluster outside its maintenance windows is not touched (the others are): exit 75.
func TestFleetClusterOutsideItsWindowIsUntouched(t *testing.T) {
	needFleet(t)
	t.Cleanup(func() { healFleet(t) })
	day := time.Now().UTC().AddDate(0, 0, 3).Weekday().String()[:3]
	inv := fleetInventory(t, "fleet-b", func(c map[string]any) {
		c["maintenance"] = map[string]any{"windows": []any{day + " 00:00-00:30"}, "timezone": "UTC"}
	})
	bBefore := fleetClusters[1].pids(t)
	r := kfleet(t, "-i", inv, "--state-dir", t.TempDir(), "restart", "--yes", "-o", "json")
	if r.code != 75 {
		t.Fatalf("want exit 75 (fleet-b outside its window), got %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if _, res := fleetResults(t, events(t, r.stdout)); res["fleet-a"] != "done" || res["fleet-b"] != "outside-window" {
		t.Errorf("results %v", res)
	}
	if after := fleetClusters[1].pids(t); fmt.Sprint(after) != fmt.Sprint(bBefore) {
		t.Errorf("fleet-b was touched outside its window: %v -> %v", bBefore, after)
	}
}

// A cluster whose lease another operation holds is refused (75) and the others still complete.
func TestFleetLeaseHeldOnOneClusterOthersComplete(t *testing.T) {
	needFleet(t)
	t.Cleanup(func() { healFleet(t) })
	a := fleetClusters[0]
	cl, _ := adminClientWith(t, a.opts())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	held, err := lease.Acquire(ctx, cl, a.name, lease.Request{Holder: "e2e@test", OpID: "op-e2e-holder",
		Purpose: "another operation", TTL: 2 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		rctx, rcancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer rcancel()
		_ = held.Release(rctx)
	}()
	aBefore := a.pids(t)
	r := kfleet(t, "--state-dir", t.TempDir(), "restart", "--yes", "-o", "json")
	if r.code != 75 {
		t.Fatalf("want exit 75 (fleet-a's lease held), got %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if _, res := fleetResults(t, events(t, r.stdout)); res["fleet-a"] != "refused" || res["fleet-b"] != "done" {
		t.Errorf("results %v", res)
	}
	if after := a.pids(t); fmt.Sprint(after) != fmt.Sprint(aBefore) {
		t.Errorf("fleet-a was touched while another operation held its lease: %v -> %v", aBefore, after)
	}
}

// fleetVersions reads the Kafka version every broker of the fleet runs (status asks each host).
func fleetVersions(t *testing.T) map[string][]string {
	t.Helper()
	r := kfleet(t, "status", "-o", "json")
	var s struct {
		Clusters []struct {
			Name    string `json:"name"`
			Brokers []struct {
				Version string `json:"version"`
			} `json:"brokers"`
		} `json:"clusters"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil || len(s.Clusters) != len(fleetClusters) {
		t.Fatalf("status -o json (exit %d): %v\n%s\n%s", r.code, err, r.stdout, r.stderr)
	}
	out := map[string][]string{}
	for _, c := range s.Clusters {
		for _, b := range c.Brokers {
			out[c.Name] = append(out[c.Name], b.Version)
		}
	}
	return out
}

func expectFleetVersion(t *testing.T, v string) {
	t.Helper()
	for c, vs := range fleetVersions(t) {
		if len(vs) != 3 || vs[0] != v || vs[1] != v || vs[2] != v {
			t.Errorf("%s runs %v, want %s on every broker", c, vs, v)
		}
	}
}

// A fleet deploy stages the release on every cluster's hosts, checksums verified, before wave 1
// starts; then the canary, then the other; a fleet rollback brings both back.
func TestFleetDeployStagesEverywhereFirstThenRollsBack(t *testing.T) {
	needFleet(t)
	t.Cleanup(func() { healFleet(t) })
	const from, to = "4.1.1", "4.2.0"
	expectFleetVersion(t, from)
	state := t.TempDir()
	art := filepath.Join(sandboxDir, "artifacts", "kafka_2.13-"+to+".tgz")
	r := kfleet(t, "--state-dir", state, "deploy", "--yes", "-o", "json", "--artifact", art)
	if r.code != 0 {
		t.Fatalf("fleet deploy: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	evs := events(t, r.stdout)
	firstStart, lastStaged, staged := -1, -1, 0
	for i, ev := range evs {
		if _, ok := ev["fleet_op"]; !ok {
			t.Fatalf("event without fleet_op: %v", ev)
		}
		switch {
		case ev["event"] == "cluster-start" && firstStart < 0:
			firstStart = i
		case ev["event"] == "stage" && ev["phase"] == "done":
			staged++
			lastStaged = i
		}
	}
	if staged != 6 || firstStart < 0 || lastStaged > firstStart {
		t.Errorf("every host of both clusters must be staged (6, got %d) before the first cluster starts (last staged at event %d, first start at %d)",
			staged, lastStaged, firstStart)
	}
	if kind, res := fleetResults(t, evs); kind != "finished" || res["fleet-a"] != "done" || res["fleet-b"] != "done" {
		t.Errorf("deploy summary %s %v", kind, res)
	}
	expectFleetVersion(t, to)

	r = kfleet(t, "--state-dir", state, "deploy", "rollback", "--yes", "-o", "json")
	if r.code != 0 {
		t.Fatalf("fleet rollback: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if kind, res := fleetResults(t, events(t, r.stdout)); kind != "finished" || res["fleet-a"] != "done" || res["fleet-b"] != "done" {
		t.Errorf("rollback summary %s %v", kind, res)
	}
	expectFleetVersion(t, from)
}
