package inventory

import (
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"testing"
)

func TestBrokerConfigOverridesMergeKeyByKey(t *testing.T) {
	fleet, err := Parse("fleet.yaml", []byte(`
clusters:
  - name: c
    bootstrap: [k1:9092]
    config:
      dynamic: {log.cleaner.threads: 2, message.max.bytes: 1048588}
      static: {num.network.threads: 8}
    brokers:
      - {id: 1, host: k1}
      - id: 2
        host: k2
        config:
          dynamic: {log.cleaner.threads: 4}
          static: {queued.max.requests: 600, num.network.threads: 3}
`))
	if err != nil {
		t.Fatal(err)
	}
	c := fleet.Clusters[0]
	if c.Brokers[0].Config != nil {
		t.Errorf("broker 1 has no overrides, got %+v", c.Brokers[0].Config)
	}
	got1, got2 := c.Desired(c.Brokers[0]), c.Desired(c.Brokers[1])
	want1 := Config{Dynamic: map[string]string{"log.cleaner.threads": "2", "message.max.bytes": "1048588"},
		Static: map[string]string{"num.network.threads": "8"}}
	want2 := Config{Dynamic: map[string]string{"log.cleaner.threads": "4", "message.max.bytes": "1048588"},
		Static: map[string]string{"num.network.threads": "3", "queued.max.requests": "600"}}
	for _, tt := range []struct{ got, want Config }{{got1, want1}, {got2, want2}} {
		if !maps.Equal(tt.got.Dynamic, tt.want.Dynamic) || !maps.Equal(tt.got.Static, tt.want.Static) {
			t.Errorf("Desired = %+v, want %+v", tt.got, tt.want)
		}
	}
	// The cluster's own maps are not touched by the merge.
	if c.Config.Dynamic["log.cleaner.threads"] != "2" {
		t.Errorf("cluster config changed by Desired: %+v", c.Config)
	}
	out, _ := json.Marshal(c.Brokers[1])
	if !strings.Contains(string(out), `"config":{"dynamic":{"log.cleaner.threads":"4"}`) {
		t.Errorf("inventory show lacks the broker's overrides: %s", out)
	}
}

func TestConfigPlacementProblems(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		line, col int
		field     string
		msg       string
	}{
		{"key both dynamic and static", `clusters:
  - name: a
    bootstrap: [k1:9092]
    config:
      dynamic: {log.cleaner.threads: 2}
      static: {log.cleaner.threads: 2}
    brokers: [{id: 1, host: k1}]
`, 6, 16, `clusters[0].config.static["log.cleaner.threads"]`, "is also under dynamic (line 5)"},
		{"broker override on the other side", `clusters:
  - name: a
    bootstrap: [k1:9092]
    config:
      dynamic: {log.cleaner.threads: 2}
    brokers:
      - id: 1
        host: k1
        config:
          static: {log.cleaner.threads: 3}
`, 10, 20, `clusters[0].brokers[0].config.static["log.cleaner.threads"]`, "is dynamic for the cluster (line 5)"},
		{"broker dynamic over cluster static", `clusters:
  - name: a
    bootstrap: [k1:9092]
    config: {static: {num.io.threads: 8}}
    brokers:
      - {id: 1, host: k1, config: {dynamic: {num.io.threads: 4}}}
`, 6, 46, `clusters[0].brokers[0].config.dynamic["num.io.threads"]`, "is static for the cluster (line 4)"},
		{"unknown key under broker config", `clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers:
      - {id: 1, host: k1, config: {dynamc: {a: 1}}}
`, 5, 36, "clusters[0].brokers[0].config.dynamc", `did you mean "dynamic"?`},
		{"secret in a broker override", `clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers:
      - {id: 1, host: k1, config: {static: {ssl.key.password: x}}}
`, 5, 45, `clusters[0].brokers[0].config.static["ssl.key.password"]`, "inline secrets are not allowed"},
		{"broker config value is a mapping", `clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers:
      - id: 1
        host: k1
        config:
          dynamic:
            log.cleaner.threads: {value: 2}
`, 9, 34, `clusters[0].brokers[0].config.dynamic["log.cleaner.threads"]`, "must be a value, got a mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("fleet.yaml", []byte(tt.in))
			var es Errors
			if !errors.As(err, &es) || len(es) != 1 {
				t.Fatalf("want exactly one problem, got %v", err)
			}
			e := es[0]
			if e.Pos.Line != tt.line || e.Pos.Column != tt.col || e.Field != tt.field || !strings.Contains(e.Msg, tt.msg) {
				t.Errorf("got  %d:%d %q: %s\nwant %d:%d %q: ...%s...", e.Pos.Line, e.Pos.Column, e.Field, e.Msg, tt.line, tt.col, tt.field, tt.msg)
			}
		})
	}
}

func TestConfigCustomNamesConfigsSetOnPurpose(t *testing.T) {
	fleet, err := Parse("fleet.yaml", []byte(`
clusters:
  - name: c
    bootstrap: [k1:9092]
    config:
      static: {my.plugin.setting: on}
      custom: [my.plugin.setting]
    brokers:
      - {id: 1, host: k1, config: {custom: [other.plugin.key], static: {other.plugin.key: 1}}}
`))
	if err != nil {
		t.Fatal(err)
	}
	c := fleet.Clusters[0]
	if got := c.Desired(c.Brokers[0]).Custom; strings.Join(got, ",") != "my.plugin.setting,other.plugin.key" {
		t.Errorf("custom = %v", got)
	}
	_, err = Parse("fleet.yaml", []byte("clusters:\n  - name: c\n    bootstrap: [k1:9092]\n    config: {custom: my.key}\n    brokers: [{id: 1, host: k1}]\n"))
	if err == nil || !strings.Contains(err.Error(), "fleet.yaml:4:") || !strings.Contains(err.Error(), "clusters[0].config.custom: must be a list of config names") {
		t.Errorf("custom as a string: %v", err)
	}
}
