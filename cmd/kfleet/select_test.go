package main

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/kfleet/kfleet/ops/journal"
	"github.com/kfleet/kfleet/rollout/rollouttest"
)

// labelledFleet is three labelled clusters: pay-live is a kfake cluster, the other two cannot be
// reached, so a command that touched them would fail with exit 69 rather than pass.
func labelledFleet(t *testing.T) string {
	t.Helper()
	fc, _ := rollouttest.Kafka(t, 1)
	return writeFile(t, "fleet.yaml", fmt.Sprintf(`defaults:
  labels: {team: sre}
clusters:
  - name: pay-live
    labels: {env: test, dc: sg1}
    bootstrap: [%q]
    brokers: [{id: 0, host: 127.0.0.10}]
  - name: pay-gone
    labels: {env: prod, dc: sg2}
    bootstrap: ["127.0.0.1:1"]
    brokers: [{id: 1, host: 127.0.0.11}]
  - name: logs-gone
    labels: {env: prod, dc: sg1, kfleet.io/canary: "true"}
    bootstrap: ["127.0.0.1:1"]
    brokers: [{id: 1, host: 127.0.0.12}]
`, fc.ListenAddrs()[0]))
}

// shown is what inventory show and status print per cluster, as far as selection goes.
type shown struct {
	Clusters []struct {
		Name   string            `json:"name"`
		Labels map[string]string `json:"labels"`
	} `json:"clusters"`
}

func (s shown) names() []string {
	var out []string
	for _, c := range s.Clusters {
		out = append(out, c.Name)
	}
	return out
}

func TestSelectionFlagsSelectClusters(t *testing.T) {
	inv := labelledFleet(t)
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"inventory", "show"}, []string{"pay-live", "pay-gone", "logs-gone"}},
		{[]string{"inventory", "show", "-l", "env=prod"}, []string{"pay-gone", "logs-gone"}},
		{[]string{"inventory", "show", "--selector", "env=prod", "-l", "dc=sg1"}, []string{"logs-gone"}},
		{[]string{"inventory", "show", "-l", "!kfleet.io/canary"}, []string{"pay-live", "pay-gone"}},
		{[]string{"inventory", "show", "-l", "dc notin (sg2), team"}, []string{"pay-live", "logs-gone"}},
		{[]string{"inventory", "show", "-c", "pay-*"}, []string{"pay-live", "pay-gone"}},
		{[]string{"inventory", "show", "-c", "logs-gone", "-c", "pay-live"}, []string{"pay-live", "logs-gone"}},
		{[]string{"inventory", "show", "-c", "pay-*", "-l", "env in (prod)"}, []string{"pay-gone"}},
		// Read-only commands that talk to Kafka select the same way; only pay-live answers.
		{[]string{"status", "--no-hosts", "--timeout", "5s", "-l", "env=test"}, []string{"pay-live"}},
		{[]string{"status", "--no-hosts", "--timeout", "5s", "-c", "*-live", "-l", "team=sre"}, []string{"pay-live"}},
	}
	for _, tt := range tests {
		args := append([]string{"-i", inv, "-o", "json"}, tt.args...)
		out, errOut, code := runCLI(t, args...)
		if code != 0 {
			t.Errorf("kfleet %v: exit %d, want 0\n%s%s", tt.args, code, out, errOut)
			continue
		}
		var got shown
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("kfleet %v: %v\n%s", tt.args, err, out)
		}
		if !reflect.DeepEqual(got.names(), tt.want) {
			t.Errorf("kfleet %v selected %v, want %v", tt.args, got.names(), tt.want)
		}
	}
}

func TestInventoryShowPrintsMergedLabels(t *testing.T) {
	out, errOut, code := runCLI(t, "-i", labelledFleet(t), "inventory", "show", "-c", "logs-gone", "-o", "json")
	var got shown
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || len(got.Clusters) != 1 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	want := map[string]string{"team": "sre", "env": "prod", "dc": "sg1", "kfleet.io/canary": "true"}
	if !reflect.DeepEqual(got.Clusters[0].Labels, want) {
		t.Errorf("labels = %v, want %v", got.Clusters[0].Labels, want)
	}
	// The default (table) format prints YAML.
	out, _, _ = runCLI(t, "-i", labelledFleet(t), "inventory", "show", "-c", "logs-gone")
	if !strings.Contains(out, "  labels:\n      dc: sg1\n      env: prod\n      kfleet.io/canary: \"true\"\n      team: sre\n") {
		t.Errorf("inventory show lacks the labels:\n%s", out)
	}
}

func TestInventoryValidateNamesTheSelection(t *testing.T) {
	out, errOut, code := runCLI(t, "-i", labelledFleet(t), "inventory", "validate", "-l", "env=prod")
	if code != 0 || !strings.Contains(out, "valid (3 clusters, 3 brokers)\nselected: pay-gone, logs-gone\n") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	out, _, _ = runCLI(t, "-i", labelledFleet(t), "inventory", "validate")
	if strings.Contains(out, "selected") {
		t.Errorf("validate without -c or -l names a selection:\n%s", out)
	}
}

// Selecting nothing, or selecting badly, is a usage error (exit 2) that names the selection.
func TestSelectionErrorsExitTwo(t *testing.T) {
	inv := labelledFleet(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"status", "-l", "env=staging"}, `kfleet: no cluster matches -l "env=staging"; label env has the values: prod, test`},
		{[]string{"status", "-c", "pay-*", "-l", "kfleet.io/canary"}, `kfleet: no cluster matches -l "kfleet.io/canary" among the clusters -c "pay-*" selects (pay-live, pay-gone)`},
		{[]string{"inventory", "show", "-c", "db-*"}, `kfleet: pattern "db-*" matches no cluster; the inventory has: pay-live, pay-gone, logs-gone`},
		{[]string{"inventory", "show", "-c", "pay-lvie"}, `unknown cluster "pay-lvie" (did you mean "pay-live"?)`},
		{[]string{"inventory", "validate", "-l", "env=nope"}, `no cluster matches -l "env=nope"`},
		{[]string{"exec", "-l", "env in (prod", "--", "true"}, `kfleet: invalid selector "env in (prod": at character 8 ("(prod"): '(' is not closed`},
		{[]string{"config", "diff", "-l", ""}, "kfleet: empty selector"},
		// One-cluster commands keep refusing several clusters, whichever flag selected them.
		{[]string{"reassign", "plan", "-l", "env=prod"}, "reassign plan acts on one cluster at a time; pick one with -c or narrow -l (selected: pay-gone, logs-gone)"},
	}
	for _, tt := range tests {
		args := append([]string{"-i", inv}, tt.args...)
		out, errOut, code := runCLI(t, args...)
		if code != 2 || !strings.Contains(errOut, tt.want) {
			t.Errorf("kfleet %q: exit %d, stderr %q; want exit 2 and %q\n%s", tt.args, code, errOut, tt.want, out)
		}
	}
}

// -l narrows a one-cluster command to its cluster: reassign plan runs on pay-live alone.
func TestSelectorNarrowsOneClusterCommands(t *testing.T) {
	out, errOut, code := runCLI(t, "-i", labelledFleet(t), "reassign", "plan", "-l", "env=test")
	if code != 0 || !strings.Contains(out, "reassignment plan for cluster pay-live") {
		t.Errorf("exit %d, want 0 and a plan for pay-live\n%s%s", code, out, errOut)
	}
}

// history selects by -l and -c globs through the inventory, and by exact -c names as given (a
// cluster gone from the inventory still has a history).
func TestHistorySelectsByLabelsAndGlobs(t *testing.T) {
	inv, state := labelledFleet(t), t.TempDir()
	for i, c := range []string{"pay-live", "pay-gone", "logs-gone", "retired"} {
		j, err := journal.Create(state, journal.Record{ID: fmt.Sprintf("op-%d", i), Kind: "restart", Cluster: c})
		if err != nil {
			t.Fatal(err)
		}
		j.Close()
	}
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"-l", "env=prod"}, []string{"logs-gone", "pay-gone"}},
		{[]string{"-c", "pay-*"}, []string{"pay-gone", "pay-live"}},
		{[]string{"-c", "retired"}, []string{"retired"}},
	} {
		out, errOut, code := runCLI(t, append([]string{"-i", inv, "--state-dir", state, "-o", "json", "history"}, tt.args...)...)
		var got struct {
			Ops []struct {
				Op struct {
					Cluster string `json:"cluster"`
				} `json:"op"`
			} `json:"operations"`
		}
		if code != 0 || json.Unmarshal([]byte(out), &got) != nil {
			t.Fatalf("history %v: exit %d\n%s%s", tt.args, code, out, errOut)
		}
		var names []string
		for _, o := range got.Ops {
			names = append(names, o.Op.Cluster)
		}
		slices.Sort(names)
		if !reflect.DeepEqual(names, tt.want) {
			t.Errorf("history %v lists %v, want %v", tt.args, names, tt.want)
		}
	}
}

// history -c NAME of a name that neither the inventory nor any journal knows is a typo: exit 2,
// as status says; a name only the journal knows (a retired cluster) still lists.
func TestHistoryUnknownClusterIsUsage(t *testing.T) {
	inv, state := labelledFleet(t), t.TempDir()
	j, err := journal.Create(state, journal.Record{ID: "op-1", Kind: "restart", Cluster: "retired"})
	if err != nil {
		t.Fatal(err)
	}
	j.Close()
	if _, errOut, code := runCLI(t, "-i", inv, "--state-dir", state, "history", "-c", "nope"); code != 2 || !strings.Contains(errOut, `unknown cluster "nope"`) {
		t.Errorf("history -c nope: exit %d, %q; want 2 naming it", code, errOut)
	}
	for _, name := range []string{"retired", "pay-live"} {
		if out, errOut, code := runCLI(t, "-i", inv, "--state-dir", state, "history", "-c", name); code != 0 {
			t.Errorf("history -c %s: exit %d\n%s%s", name, code, out, errOut)
		}
	}
}
