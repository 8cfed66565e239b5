package fleet

import (
	"strings"
	"testing"

	"github.com/kfleet/kfleet/ops/cluster"
)

// Status says a deploy waits to be finalized only once every broker runs one release, in the
// words of the cluster's mode: metadata.version in KRaft, inter.broker.protocol.version in
// ZooKeeper mode.
func TestFinalizeStateMarksAPendingFinalize(t *testing.T) {
	level := func(v int16) *int16 { return &v }
	for _, tc := range []struct {
		name     string
		f        finalizeState
		versions []string
		want     string // a warning containing it; "" for none
	}{
		{"kraft pending", finalizeState{finalized: level(21), supported: level(27)}, []string{"4.1.1"}, "metadata.version 21 is finalized"},
		{"kraft finalized", finalizeState{finalized: level(27), supported: level(27)}, []string{"4.1.1"}, ""},
		{"kraft mid-deploy", finalizeState{finalized: level(21), supported: level(27)}, []string{"4.0.0", "4.1.1"}, ""},
		{"zookeeper pending", finalizeState{protocol: "3.8"}, []string{"3.9.1"}, "inter.broker.protocol.version is 3.8 and every broker runs 3.9.1: `kfleet deploy finalize -c c` raises it to 3.9"},
		{"zookeeper pending, IV spelling", finalizeState{protocol: "3.8-IV0"}, []string{"3.9.1"}, "raises it to 3.9"},
		{"zookeeper finalized", finalizeState{protocol: "3.9-IV0"}, []string{"3.9.1"}, ""},
		{"zookeeper mid-deploy", finalizeState{protocol: "3.8"}, []string{"3.8.1", "3.9.1"}, ""},
		{"zookeeper, no broker answered", finalizeState{}, []string{"3.9.1"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := cluster.Health{Versions: tc.versions}
			tc.f.mark(&h, "c")
			got := strings.Join(h.Warnings, "\n")
			if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
				t.Errorf("warnings %q, want one containing %q", got, tc.want)
			}
			if h.ProtocolVersion != tc.f.protocol {
				t.Errorf("protocol version %q, want %q", h.ProtocolVersion, tc.f.protocol)
			}
		})
	}
}
