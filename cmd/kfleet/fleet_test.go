package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// A disruptive command over two clusters is one fleet run: its dry run shows the waves (the
// canary first), each cluster's plan and window, and the policy, and exits with the code the
// real run would give now (the hosts cannot be reached: 69).
func TestGoldenFleetOutputs(t *testing.T) {
	time.Local = time.UTC
	inv := goldenFleet(t, "golden-a", "golden-b")
	state := t.TempDir()
	runGoldens(t, inv, state, []goldenCase{
		{"fleet-restart-dry-run-table", []string{"restart", "--dry-run", "--max-failed-clusters", "1", "--bake", "5m"}, 69},
		{"fleet-restart-dry-run-json", []string{"restart", "--dry-run", "-o", "json", "--canary", "golden-b"}, 69},
		{"fleet-restart-brokers-refused", []string{"restart", "--brokers", "1", "-l", "env=golden"}, 2},
		{"fleet-patch-hosts-refused", []string{"patch", "run", "--hosts", "127.0.0.10", "--", "true"}, 2},
		// Without --hosts a fleet patch run plans every cluster (the hosts cannot be reached: 69).
		{"fleet-patch-dry-run", []string{"patch", "run", "--dry-run", "--", "true"}, 69},
		{"fleet-reassign-from-refused", []string{"reassign", "apply", "--auto", "--from-brokers", "1"}, 2},
		{"fleet-reassign-dry-run", []string{"reassign", "apply", "--auto", "--dry-run"}, 0},
		{"fleet-restart-bad-waves", []string{"restart", "--dry-run", "--waves", "1", "--max-clusters", "2"}, 2},
	})
}

// The JSON dry run of a fleet starts with the fleet's plan: waves in order, the canary alone.
func TestFleetDryRunJSONPlansWaves(t *testing.T) {
	inv := goldenFleet(t, "golden-a", "golden-b", "golden-c")
	out, errOut, code := runCLI(t, "-i", inv, "--state-dir", t.TempDir(), "restart", "--dry-run", "-o", "json", "--max-clusters", "2")
	if code != 69 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	var plan struct {
		Event string `json:"event"`
		Op    string `json:"fleet_op"`
		Waves []struct {
			Canary   bool     `json:"canary"`
			Clusters []string `json:"clusters"`
			Plans    []struct {
				Cluster string `json:"cluster"`
				Window  string `json:"window"`
			} `json:"plans"`
		} `json:"waves"`
	}
	if err := json.NewDecoder(strings.NewReader(out)).Decode(&plan); err != nil || plan.Event != "fleet-plan" {
		t.Fatalf("the first object is not the fleet's plan: %v\n%s", err, out)
	}
	if len(plan.Waves) != 2 || !plan.Waves[0].Canary || strings.Join(plan.Waves[0].Clusters, ",") != "golden-a" ||
		strings.Join(plan.Waves[1].Clusters, ",") != "golden-b,golden-c" || plan.Waves[1].Plans[1].Window != "any time" {
		t.Errorf("waves %+v", plan.Waves)
	}
	// Each cluster's own plan follows, naming its cluster; every host is named unreachable.
	for _, c := range []string{"golden-a", "golden-b", "golden-c"} {
		if !strings.Contains(out, `"cluster": "`+c+`"`) || !strings.Contains(errOut, c) {
			t.Errorf("%s: no plan or preflight line\n%s%s", c, out, errOut)
		}
	}
}

// The TUI's panel reads the fleet operations of the state dir: the fixture's halted fleet
// restart, its canary done and its second cluster outside its window, shown until 10 minutes
// after it ended.
func TestTUIReadsFleetOperations(t *testing.T) {
	state := fixtureState(t)
	ops, err := fleetOps(state, time.Date(2026, 11, 30, 12, 5, 0, 0, time.UTC))
	if err != nil || len(ops) != 1 {
		t.Fatalf("%v %v", ops, err)
	}
	op := ops[0]
	if op.ID != "op-fixture-fleet" || op.Kind != "restart" || op.Status != "halted" || len(op.Waves) != 2 {
		t.Fatalf("%+v", op)
	}
	a, b := op.Waves[0].Clusters[0], op.Waves[1].Clusters[0]
	if !op.Waves[0].Canary || a.Name != "golden" || a.State != "done" || a.Op != "op-fixture-fleet-golden" ||
		b.Name != "golden-b" || b.State != "outside-window" || !strings.Contains(b.Detail, "Sat 01:00-05:00") {
		t.Errorf("waves %+v", op.Waves)
	}
	if ops, _ := fleetOps(state, time.Date(2026, 11, 30, 13, 0, 0, 0, time.UTC)); len(ops) != 0 {
		t.Errorf("an operation that ended an hour ago is still shown: %+v", ops)
	}
}
