package output

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/kfleet/kfleet/reassign"
	"github.com/kfleet/kfleet/rollout"
)

// Events of several clusters interleave on one stream: each names its cluster, as a JSON line
// with -o json and as a YAML document with the same keys with -o yaml.
func TestEventStreamsNameTheirCluster(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	events := []any{
		rollout.Event{Time: t0, Op: "op-1", Cluster: "pay", Kind: rollout.EventBatchStart, Batch: 1, Batches: 2, Brokers: []int32{3}},
		reassign.Event{Time: t0, Op: "op-2", Cluster: "orders", Kind: reassign.EventSubmitted, Message: "moving"},
	}
	for _, format := range []string{FormatJSON, FormatYAML} {
		streams, out, _ := TestIO(false)
		p := NewEventPrinter(streams, format)
		for _, e := range events {
			p.Print(e)
		}
		var got []map[string]any
		if format == FormatJSON {
			for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
				var m map[string]any
				if err := json.Unmarshal([]byte(line), &m); err != nil {
					t.Fatalf("json line %q: %v", line, err)
				}
				got = append(got, m)
			}
		} else {
			dec := yaml.NewDecoder(strings.NewReader(out.String()))
			for {
				var m map[string]any
				if err := dec.Decode(&m); err != nil {
					break
				}
				got = append(got, m)
			}
		}
		if len(got) != 2 || got[0]["cluster"] != "pay" || got[0]["event"] != "batch-start" ||
			got[1]["cluster"] != "orders" || got[1]["op"] != "op-2" {
			t.Errorf("-o %s: %v from\n%s", format, got, out)
		}
	}
}

func TestEventLinesAreReadable(t *testing.T) {
	streams, out, _ := TestIO(false)
	p := NewEventPrinter(streams, FormatTable)
	p.Print(rollout.Event{Time: time.Date(2026, 12, 1, 10, 0, 0, 0, time.Local), Cluster: "pay", Kind: rollout.EventBatchStart,
		Batch: 1, Batches: 2, Brokers: []int32{3, 4}, Message: "rack a"})
	if want := "\n10:00:00 batch 1/2: broker(s) 3,4 (rack a)\n"; out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

// A fleet run's clusters say things at once (staging runs on every cluster together): each line
// comes out whole, prefixed with its cluster, whatever the interleaving. Run with -race.
func TestFleetClustersSayWholeLines(t *testing.T) {
	io, _, errOut := TestIO(false)
	p := NewEventPrinter(io, FormatTable)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, c := range []string{"a", "b", "c"} {
		cp := p.ForCluster(c, "op-fleet")
		wg.Go(func() {
			<-start
			for i := range 500 {
				cp.Say("staged %d of 500 on %s", i+1, c)
			}
		})
	}
	close(start)
	wg.Wait()
	lines := strings.Split(strings.TrimSpace(errOut.String()), "\n")
	if len(lines) != 1500 {
		t.Fatalf("%d lines, want 1500", len(lines))
	}
	for _, l := range lines {
		c := strings.TrimSuffix(strings.TrimPrefix(strings.Fields(l)[0], "["), "]")
		if !strings.HasSuffix(l, " on "+c) {
			t.Errorf("line %q is not whole, or not its cluster's", l)
		}
	}
}
