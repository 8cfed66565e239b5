package inventory

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestLabelKeySyntax(t *testing.T) {
	long := strings.Repeat("a", 63)
	tests := []struct {
		key  string
		want string // "" for valid, else part of the problem
	}{
		{"env", ""},
		{"kfleet.io/canary", ""},
		{"app.kubernetes.io/part-of", ""},
		{"Tier_1", ""},
		{"a", ""},
		{"9", ""},
		{"a.b-c_d", ""},
		{long, ""},
		{strings.Repeat("a", 253) + "/x", ""},
		{"", "must not be empty"},
		{long + "a", "longer than 63"},
		{"-env", "starting and ending with a letter or digit"},
		{"env-", "starting and ending with a letter or digit"},
		{"e nv", "letters, digits"},
		{"env:prod", "letters, digits"},
		{"/env", "prefix before '/' must not be empty"},
		{"kfleet.io/", "name after '/' must not be empty"},
		{"a/b/c", "at most one '/'"},
		{"Kfleet.io/canary", "lowercase DNS subdomain"},
		{"kfleet_io/canary", "lowercase DNS subdomain"},
		{"kfleet..io/canary", "lowercase DNS subdomain"},
		{strings.Repeat("a", 254) + "/x", "longer than 253"},
	}
	for _, tt := range tests {
		got := checkLabelKey(tt.key)
		if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
			t.Errorf("checkLabelKey(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}

func TestLabelValueSyntax(t *testing.T) {
	tests := []struct {
		value string
		ok    bool
	}{
		{"", true},
		{"prod", true},
		{"true", true},
		{"1.5", true},
		{"sg1_a-b.c", true},
		{strings.Repeat("v", 63), true},
		{strings.Repeat("v", 64), false},
		{"-prod", false},
		{"prod.", false},
		{"a b", false},
		{"a/b", false},
		{"ü", false},
	}
	for _, tt := range tests {
		if got := checkLabelValue(tt.value); (got == "") != tt.ok {
			t.Errorf("checkLabelValue(%q) = %q, want ok=%v", tt.value, got, tt.ok)
		}
	}
}

func TestLabelsMergeOverDefaults(t *testing.T) {
	fleet, err := Parse("fleet.yaml", []byte(`defaults:
  labels: {team: sre, env: dev, kfleet.io/canary: "false"}
clusters:
  - name: a
    labels:
      env: prod
      kfleet.io/canary: true
      shard: 7
      ratio: 1.5
      note: ""
    bootstrap: [k1:9092]
    brokers: [{id: 1, host: k1}]
  - name: b
    bootstrap: [k2:9092]
    brokers: [{id: 1, host: k2}]
  - name: c
    labels: null
    bootstrap: [k3:9092]
    brokers: [{id: 1, host: k3}]
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]string{
		// The cluster wins key by key; unquoted scalars are taken as written.
		{"team": "sre", "env": "prod", "kfleet.io/canary": "true", "shard": "7", "ratio": "1.5", "note": ""},
		{"team": "sre", "env": "dev", "kfleet.io/canary": "false"},
		{"team": "sre", "env": "dev", "kfleet.io/canary": "false"},
	}
	for i, c := range fleet.Clusters {
		if !reflect.DeepEqual(c.Labels, want[i]) {
			t.Errorf("cluster %s labels = %v, want %v", c.Name, c.Labels, want[i])
		}
	}
}

func TestClustersWithoutLabelsRenderEmptyLabels(t *testing.T) {
	fleet, err := Parse("fleet.yaml", []byte("clusters:\n  - {name: a, bootstrap: [k1:9092], brokers: [{id: 1, host: k1}]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(fleet.Clusters[0])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(js), `"labels":{}`) {
		t.Errorf("json = %s, want \"labels\":{}", js)
	}
}

// Every label problem names file:line:column and the field, like any other inventory problem.
func TestLabelProblems(t *testing.T) {
	tests := []struct {
		name, labels string // written as the value of clusters[0].labels, on line 3
		col          int
		field        string
		msg          string
	}{
		{"bad key", "{env: prod, -dc: sg1}", 25, "clusters[0].labels.-dc", `invalid label key "-dc": the name must be letters, digits`},
		{"bad prefix", "{Kfleet.io/canary: x}", 14, `clusters[0].labels["Kfleet.io/canary"]`, "prefix before '/' must be a lowercase DNS subdomain"},
		{"key too long", "{" + strings.Repeat("k", 64) + ": x}", 14, "clusters[0].labels." + strings.Repeat("k", 64), "the name is longer than 63 characters"},
		{"bad value", "{env: prod/eu}", 19, "clusters[0].labels.env", `invalid label value "prod/eu"`},
		{"value too long", "{env: " + strings.Repeat("v", 64) + "}", 19, "clusters[0].labels.env", "a label value is longer than 63 characters"},
		{"value is a list", "{dc: [sg1, sg2]}", 18, "clusters[0].labels.dc", "a label value must be a string, got a list"},
		{"value is a mapping", "{dc: {a: b}}", 18, "clusters[0].labels.dc", "got a mapping"},
		{"value is null", "{env: }", 19, "clusters[0].labels.env", `got nothing (write "" for an empty value)`},
		{"labels is a list", "[env=prod]", 13, "clusters[0].labels", "must be a mapping of label key to value"},
		{"labels is a string", "env=prod", 13, "clusters[0].labels", "must be a mapping of label key to value"},
		{"duplicate key", "{env: prod, env: dev}", 25, "clusters[0].labels.env", "duplicate key (first at line 3)"},
		{"secret-looking key", "{api_token: x}", 14, "clusters[0].labels.api_token", "inline secrets are not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := fmt.Sprintf("clusters:\n  - name: a\n    labels: %s\n    bootstrap: [k1:9092]\n    brokers: [{id: 1, host: k1}]\n", tt.labels)
			_, err := Parse("fleet.yaml", []byte(src))
			es, ok := err.(Errors)
			if !ok || len(es) != 1 {
				t.Fatalf("Parse = %v, want exactly one problem", err)
			}
			e := es[0]
			if e.Pos.File != "fleet.yaml" || e.Pos.Line != 3 || e.Pos.Column != tt.col || e.Field != tt.field || !strings.Contains(e.Msg, tt.msg) {
				t.Errorf("got  %v\nwant fleet.yaml:3:%d: %s: ...%s...", e, tt.col, tt.field, tt.msg)
			}
		})
	}
}

func TestLabelsInDefaultsAreCheckedAndNotAllowedOnBrokers(t *testing.T) {
	_, err := Parse("fleet.yaml", []byte(`defaults:
  labels: {env: "prod eu"}
clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers: [{id: 1, host: k1, labels: {env: prod}}]
`))
	want := []string{
		`fleet.yaml:2:17: defaults.labels.env: invalid label value "prod eu"`,
		"fleet.yaml:6:33: clusters[0].brokers[0].labels: labels are set per cluster or in defaults, not per broker; move this to the cluster",
	}
	if err == nil {
		t.Fatal("Parse accepted bad labels")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Fatalf("got:\n%v\nwant %d problems", err, len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("problem %d = %q, want it to start with %q", i, lines[i], w)
		}
	}
}

func TestUnknownClusterKeyNearLabels(t *testing.T) {
	_, err := Parse("fleet.yaml", []byte("clusters:\n  - name: a\n    lables: {env: prod}\n    bootstrap: [k1:9092]\n    brokers: [{id: 1, host: k1}]\n"))
	if err == nil || err.Error() != `fleet.yaml:3:5: clusters[0].lables: unknown key; did you mean "labels"?` {
		t.Errorf("got %v", err)
	}
}
