package inventory

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// hookCases write hooks under defaults and under the first of two clusters ("" writes no hooks
// key at all); want is what the first cluster resolves to, other what the second, which writes
// no hooks, inherits. They also seed FuzzParse.
var hookCases = []struct {
	name              string
	defaults, cluster string
	want, other       Hooks
}{
	{"no hooks anywhere", "", "",
		Hooks{Timeout: 5 * time.Minute},
		Hooks{Timeout: 5 * time.Minute}},
	{"defaults only", "{pre_stop: [/usr/local/bin/drain-check], post_start: [/usr/local/bin/smoke-test, checks/lag.sh], timeout: 2m}", "",
		Hooks{PreStop: []string{"/usr/local/bin/drain-check"}, PostStart: []string{"/usr/local/bin/smoke-test", "/etc/kfleet/checks/lag.sh"}, Timeout: 2 * time.Minute},
		Hooks{PreStop: []string{"/usr/local/bin/drain-check"}, PostStart: []string{"/usr/local/bin/smoke-test", "/etc/kfleet/checks/lag.sh"}, Timeout: 2 * time.Minute}},
	{"cluster only", "", "{post_start: [~/bin/smoke-test]}",
		Hooks{PostStart: []string{testHome + "/bin/smoke-test"}, Timeout: 5 * time.Minute},
		Hooks{Timeout: 5 * time.Minute}},
	{"cluster list replaces the defaults' list for one phase", "{pre_stop: [/a], post_start: [/b]}", "{pre_stop: [/c, /d]}",
		Hooks{PreStop: []string{"/c", "/d"}, PostStart: []string{"/b"}, Timeout: 5 * time.Minute},
		Hooks{PreStop: []string{"/a"}, PostStart: []string{"/b"}, Timeout: 5 * time.Minute}},
	{"explicit empty list clears a phase", "{pre_stop: [/a], post_stop: [/b]}", "{post_stop: []}",
		Hooks{PreStop: []string{"/a"}, Timeout: 5 * time.Minute},
		Hooks{PreStop: []string{"/a"}, PostStop: []string{"/b"}, Timeout: 5 * time.Minute}},
	{"null phase inherits", "{pre_stop: [/a], post_stop: [/b]}", "{pre_stop: null, post_stop: ~}",
		Hooks{PreStop: []string{"/a"}, PostStop: []string{"/b"}, Timeout: 5 * time.Minute},
		Hooks{PreStop: []string{"/a"}, PostStop: []string{"/b"}, Timeout: 5 * time.Minute}},
	{"null hooks inherit", "{post_start: [/b]}", "null",
		Hooks{PostStart: []string{"/b"}, Timeout: 5 * time.Minute},
		Hooks{PostStart: []string{"/b"}, Timeout: 5 * time.Minute}},
	{"empty hooks mapping inherits", "{post_start: [/b]}", "{}",
		Hooks{PostStart: []string{"/b"}, Timeout: 5 * time.Minute},
		Hooks{PostStart: []string{"/b"}, Timeout: 5 * time.Minute}},
	{"timeout merges like a scalar", "{pre_stop: [/a], timeout: 30s}", "{timeout: 1h30m}",
		Hooks{PreStop: []string{"/a"}, Timeout: 90 * time.Minute},
		Hooks{PreStop: []string{"/a"}, Timeout: 30 * time.Second}},
	{"paths expand like other local paths", "", "{pre_stop: [~/bin/x, bin/y, ../z, /opt//w/./v, 42]}",
		Hooks{PreStop: []string{testHome + "/bin/x", "/etc/kfleet/bin/y", "/etc/z", "/opt/w/v", "/etc/kfleet/42"}, Timeout: 5 * time.Minute},
		Hooks{Timeout: 5 * time.Minute}},
	{"anchors and aliases", "{pre_stop: &drain [/a, /b]}", "{post_stop: *drain}",
		Hooks{PreStop: []string{"/a", "/b"}, PostStop: []string{"/a", "/b"}, Timeout: 5 * time.Minute},
		Hooks{PreStop: []string{"/a", "/b"}, Timeout: 5 * time.Minute}},
}

func hookCaseSource(defaults, cluster string) string {
	return twoClusterSource("hooks", defaults, cluster)
}

// twoClusterSource is an inventory of two clusters, a and b, where key is set to defaults under
// defaults and to cluster under a ("" leaves it out).
func twoClusterSource(key, defaults, cluster string) string {
	var b strings.Builder
	if defaults != "" {
		b.WriteString("defaults:\n  " + key + ": " + defaults + "\n")
	}
	b.WriteString("clusters:\n  - name: a\n    bootstrap: [k1:9092]\n")
	if cluster != "" {
		b.WriteString("    " + key + ": " + cluster + "\n")
	}
	b.WriteString("    brokers: [{id: 1, host: k1}]\n  - name: b\n    bootstrap: [k2:9092]\n    brokers: [{id: 1, host: k2}]\n")
	return b.String()
}

func TestHooksMerge(t *testing.T) {
	t.Setenv("HOME", testHome)
	for _, tt := range hookCases {
		t.Run(tt.name, func(t *testing.T) {
			src := hookCaseSource(tt.defaults, tt.cluster)
			fleet, err := Parse("/etc/kfleet/fleet.yaml", []byte(src))
			if err != nil {
				t.Fatalf("Parse:\n%s\n%v", src, err)
			}
			a, b := fleet.Clusters[0].Hooks, fleet.Clusters[1].Hooks
			if !reflect.DeepEqual(a, tt.want) {
				t.Errorf("clusters[0].hooks = %#v\nwant %#v", a, tt.want)
			}
			if !reflect.DeepEqual(b, tt.other) {
				t.Errorf("clusters[1].hooks = %#v\nwant %#v", b, tt.other)
			}
			// Clusters inheriting the same list must not share it.
			if len(a.PreStop) > 0 && len(b.PreStop) > 0 && &a.PreStop[0] == &b.PreStop[0] {
				t.Errorf("clusters share one pre_stop slice")
			}
		})
	}
}

func TestHooksRender(t *testing.T) {
	fleet, err := Parse("/etc/kfleet/fleet.yaml", []byte(hookCaseSource("{pre_stop: [/a], post_stop: [], timeout: 90s}", "{post_start: [/b]}")))
	if err != nil {
		t.Fatal(err)
	}
	assertRenders(t, fleet, []string{
		`"hooks":{"pre_stop":["/a"],"post_start":["/b"],"timeout":"1m30s"}`,
		`"hooks":{"pre_stop":["/a"],"timeout":"1m30s"}`,
	}, "hooks:\n    pre_stop:\n        - /a\n    post_start:\n        - /b\n    timeout: 1m30s\n")
	js, err := json.Marshal(Hooks{Timeout: defaultHookTimeout})
	if err != nil || string(js) != `{"timeout":"5m"}` {
		t.Errorf("json of hooks with nothing set = %s, %v; want {\"timeout\":\"5m\"}", js, err)
	}
}

// assertRenders checks what `inventory show` prints: the fleet as JSON holds each of jsonWant,
// and its first cluster as YAML holds yamlWant.
func assertRenders(t *testing.T, fleet *Fleet, jsonWant []string, yamlWant string) {
	t.Helper()
	js, err := json.Marshal(fleet)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range jsonWant {
		if !strings.Contains(string(js), want) {
			t.Errorf("json lacks %s:\n%s", want, js)
		}
	}
	ys, err := yaml.Marshal(fleet.Clusters[0])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ys), yamlWant) {
		t.Errorf("yaml lacks %q:\n%s", yamlWant, ys)
	}
}
