package output

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/kfleet/kfleet/rollout"
	"github.com/kfleet/kfleet/rollout/restart"
)

// Settings print their durations as Go duration strings, with the journal's keys, embedded
// settings flattened.
func TestSettingsViewPrintsDurationsAsText(t *testing.T) {
	s := restart.Settings{Settings: rollout.Settings{MaxParallel: 2, GateTimeout: 10 * time.Minute, Poll: 250 * time.Millisecond,
		PreStop: []string{"./drain.sh"}, PostStop: []string{}}}
	data, err := json.Marshal(SettingsView(s))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if got["gate_timeout"] != "10m0s" || got["poll"] != "250ms" || got["max_parallel"] != float64(2) || got["lease_wait"] != "0s" {
		t.Errorf("%s", data)
	}
	if _, ok := got["post_stop"]; ok {
		t.Errorf("an omitempty list that is empty is left out, as in the journal: %s", data)
	}
	if pre, _ := got["pre_stop"].([]any); len(pre) != 1 {
		t.Errorf("pre_stop: %s", data)
	}
}

// History shows each kind's journaled settings through the kind's own reader: a fleet run's
// clusters' settings nested in its spec, durations as text at every level; a kind with no
// reader keeps its args as journaled.
func TestJournaledSettingsShowDurationsAsText(t *testing.T) {
	fleetArgs := `{"kind":"restart","args":{"max_parallel":2,"gate_timeout":600000000000},"waves":[],"policy":{"bake":300000000000}}`
	var got struct {
		Args   map[string]any `json:"args"`
		Policy map[string]any `json:"policy"`
	}
	if err := json.Unmarshal(JournaledSettings("fleet", json.RawMessage(fleetArgs)), &got); err != nil {
		t.Fatal(err)
	}
	if got.Args["gate_timeout"] != "10m0s" || got.Args["max_parallel"] != float64(2) || got.Policy["bake"] != "5m0s" {
		t.Errorf("fleet args %+v", got)
	}
	raw := json.RawMessage(`{"x":1}`)
	if out := JournaledSettings("no-such-kind", raw); string(out) != string(raw) {
		t.Errorf("unknown kind's args %s, want them as journaled", out)
	}
	type withTimes struct {
		At    *time.Time    `json:"at"`
		Every time.Duration `json:"every"`
	}
	at := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	data, _ := json.Marshal(SettingsView(withTimes{At: &at, Every: time.Second}))
	if string(data) != `{"at":"2026-12-02T03:00:00Z","every":"1s"}` {
		t.Errorf("a time behind a pointer: %s", data)
	}
}
