//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// With the inventory's ids of brokers 2 and 3 swapped, the safety gate judges broker 2 while the
// host kfleet would stop runs broker 3. Every rolling operation confirms each host's broker first:
// restart and its dry run exit 2 naming both brokers and the host, and no broker is restarted;
// status warns that broker 2's host runs broker 3 and that Kafka has broker 2 registered elsewhere.
func TestSwappedBrokerIDsAreRefused(t *testing.T) {
	needSandbox(t)
	tree := sandboxInventory(t)
	brokers := tree["clusters"].([]any)[0].(map[string]any)["brokers"].([]any)
	b2, b3 := brokers[1].(map[string]any), brokers[2].(map[string]any)
	if fmt.Sprint(b2["id"]) != "2" || fmt.Sprint(b3["id"]) != "3" {
		t.Fatalf("the sandbox inventory's second and third brokers are %v and %v, want 2 and 3", b2["id"], b3["id"])
	}
	b2["id"], b3["id"] = b3["id"], b2["id"]
	inv := writeInventory(t, tree)
	state := t.TempDir()
	pids := brokerPIDs(t, 3)

	says2 := "broker 2: host " + hostIP(3) + " runs broker 3, not broker 2"
	says3 := "broker 3: host " + hostIP(2) + " runs broker 2, not broker 3"
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"restart", "--brokers", "2", "--yes"}, []string{says2, "fix the inventory"}},
		// A dry run exits with the code the real run would give now.
		{[]string{"restart", "--brokers", "2", "--dry-run"}, []string{says2}},
		{[]string{"restart", "--dry-run"}, []string{says2, says3}},
	} {
		r := kfleet(t, append([]string{"-i", inv, "--state-dir", state, "-c", "sandbox"}, tc.args...)...)
		if r.code != 2 {
			t.Errorf("kfleet %s with brokers 2 and 3 swapped: exit %d, want 2\n%s%s", strings.Join(tc.args, " "), r.code, r.stdout, r.stderr)
		}
		for _, w := range tc.want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("kfleet %s: stderr does not say %q\n%s", strings.Join(tc.args, " "), w, r.stderr)
			}
		}
	}
	if got := brokerPIDs(t, 3); fmt.Sprint(got) != fmt.Sprint(pids) {
		t.Errorf("brokers restarted although the inventory's ids are swapped: %v -> %v", pids, got)
	}
	h := kfleet(t, "--state-dir", state, "history", "-o", "json")
	expectHistoryAll(t, h, "failed")

	// status: a misaddressed inventory is a warning on a healthy cluster, printed without -v.
	r := kfleet(t, "-i", inv, "status")
	for _, w := range []string{
		fmt.Sprintf("! broker 2 (%s): Kafka has it registered at %s:9092; the inventory's host differs", hostIP(3), hostIP(2)),
		fmt.Sprintf("! broker 2 (%s): the Kafka process on its host was started as broker 3, not broker 2", hostIP(3)),
		fmt.Sprintf("! broker 3 (%s): Kafka has it registered at %s:9092", hostIP(2), hostIP(3)),
	} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("status with brokers 2 and 3 swapped does not warn %q (exit %d)\n%s%s", w, r.code, r.stdout, r.stderr)
		}
	}
	if r.code != 0 {
		t.Errorf("status with brokers 2 and 3 swapped: exit %d, want 0 (a warning)\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = kfleet(t, "-i", inv, "status", "-o", "json")
	var st struct {
		Clusters []struct {
			Brokers []struct {
				ID               int32  `json:"id"`
				Host             string `json:"host"`
				EndpointMismatch string `json:"endpoint_mismatch"`
				NodeIDMismatch   *int32 `json:"node_id_mismatch"`
			} `json:"brokers"`
		} `json:"clusters"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || len(st.Clusters) != 1 {
		t.Fatalf("status -o json: %v\n%s%s", err, r.stdout, r.stderr)
	}
	for _, b := range st.Clusters[0].Brokers {
		want, wantID := "", int32(-1)
		switch b.ID {
		case 2:
			want, wantID = hostIP(2)+":9092", 3
		case 3:
			want, wantID = hostIP(3)+":9092", 2
		}
		gotID := int32(-1)
		if b.NodeIDMismatch != nil {
			gotID = *b.NodeIDMismatch
		}
		if b.EndpointMismatch != want || gotID != wantID {
			t.Errorf("status -o json broker %d (%s): endpoint_mismatch %q, node_id_mismatch %d; want %q, %d",
				b.ID, b.Host, b.EndpointMismatch, gotID, want, wantID)
		}
	}
}
