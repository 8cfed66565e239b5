package output

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/kfleet/kfleet/rollout/deploy"
)

// -o json says which feature finalize raised, from and to, in both metadata modes.
func TestFinalizeResultJSON(t *testing.T) {
	cases := []struct {
		plan deploy.FinalizePlan
		want map[string]any
		text string
	}{
		{deploy.FinalizePlan{Cluster: "c", Version: "4.2.0", Feature: deploy.MetadataVersionFeature, From: 27, To: 29, FromVersion: "4.1-IV1", ToVersion: "4.2-IV1"},
			map[string]any{"feature": "metadata.version", "from": 27.0, "to": 29.0, "from_version": "4.1-IV1", "to_version": "4.2-IV1"},
			"metadata.version raised from 27 to 29"},
		{deploy.FinalizePlan{Cluster: "c", Version: "3.9.1", Feature: deploy.ProtocolVersionFeature, FromVersion: "3.8", ToVersion: "3.9", Raise: []int32{1, 2}},
			map[string]any{"feature": "inter.broker.protocol.version", "from_version": "3.8", "to_version": "3.9"},
			"inter.broker.protocol.version raised from 3.8 to 3.9 on broker(s) 1,2"},
	}
	for _, tc := range cases {
		r := &FinalizeResult{FinalizePlan: tc.plan, Finalized: true}
		var buf bytes.Buffer
		if err := Render(&buf, FormatJSON, r, r.Text); err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("%s: %s = %v, want %v\n%s", tc.plan.Feature, k, got[k], v, buf.String())
			}
		}
		if tc.plan.Feature == deploy.ProtocolVersionFeature {
			if _, ok := got["from"]; ok {
				t.Errorf("ZooKeeper mode prints a metadata.version level: %s", buf.String())
			}
		}
		buf.Reset()
		_ = r.Text(&buf)
		if !strings.Contains(buf.String(), tc.text) {
			t.Errorf("text %q, want %q", buf.String(), tc.text)
		}
	}
}

// A resumed finalize's dry run (through the plan printer) prints the result deploy finalize
// --dry-run prints; the real run prints nothing before its result.
func TestResumedFinalizeDryRunPrintsItsPlan(t *testing.T) {
	plan := &deploy.FinalizePlan{Cluster: "c", Version: "3.9.1", Feature: deploy.ProtocolVersionFeature, FromVersion: "3.8", ToVersion: "3.9", Raise: []int32{1, 2}}
	for _, dryRun := range []bool{true, false} {
		io, out, _ := TestIO(false)
		if err := (Printer{IO: io, Format: FormatJSON}).Plan(dryRun)(plan); err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		switch err := json.Unmarshal(out.Bytes(), &got); {
		case dryRun && (err != nil || got["dry_run"] != true || got["to_version"] != "3.9"):
			t.Errorf("dry run printed %q (%v), want the finalize result", out, err)
		case !dryRun && out.Len() != 0:
			t.Errorf("the real run printed %q before its result", out)
		}
	}
}
