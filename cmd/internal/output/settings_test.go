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
