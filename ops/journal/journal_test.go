package journal

import (
	"errors"
	"os"
	"slices"
	"testing"
	"time"
)

// Dozens of clusters of a fleet run start their operations in the same second: their ids must
// not collide, and each journal must be created.
func TestIDsDoNotCollideInOneSecond(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	seen := map[string]bool{}
	for i := range 5000 {
		id := NewID(now)
		if seen[id] {
			t.Fatalf("id %s repeated after %d ids", id, i)
		}
		seen[id] = true
		if i < 200 {
			j, err := Create(dir, Record{ID: id, Kind: "restart", Cluster: "c", Created: now})
			if err != nil {
				t.Fatal(err)
			}
			j.Close()
		}
	}
}

func TestCreateRefusesAnIDTwice(t *testing.T) {
	dir := t.TempDir()
	rec := Record{ID: "op-1", Kind: "restart", Cluster: "c"}
	j, err := Create(dir, rec)
	if err != nil {
		t.Fatal(err)
	}
	j.Close()
	if _, err := Create(dir, rec); err == nil {
		t.Fatal("a second journal with the same id was created")
	}
}

type event struct {
	Time    time.Time `json:"time"`
	Op      string    `json:"op"`
	Cluster string    `json:"cluster"`
	Kind    string    `json:"event"`
	Brokers []int32   `json:"brokers,omitempty"`
	Message string    `json:"message,omitempty"`
}

func write(t *testing.T, dir string, rec Record, events ...event) {
	t.Helper()
	j, err := Create(dir, rec)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	for _, e := range events {
		if err := j.Append(e); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoadReadsStatusProgressAndATornLastLine(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	write(t, dir, Record{ID: "op-a", Kind: "restart", Cluster: "c", Parent: "fleet-1", Brokers: []int32{1, 2, 3}, Created: t0},
		event{Time: t0, Kind: EventBatchStart, Brokers: []int32{1}},
		event{Time: t0.Add(time.Second), Kind: EventBatchDone, Brokers: []int32{1}, Message: "batch 1 done"},
		event{Time: t0.Add(2 * time.Second), Kind: EventHalted, Brokers: []int32{2}, Message: "start failed"})
	f, err := os.OpenFile(Path(dir, "op-a"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"event":{"time":"2026-12-01T10:00:0`) // killed mid-write
	f.Close()

	e, err := Load(dir, "op-a")
	if err != nil {
		t.Fatal(err)
	}
	if e.Status != StatusHalted || !slices.Equal(e.Done, []int32{1}) || !slices.Equal(e.Pending, []int32{2, 3}) ||
		e.Last != "start failed" || e.Op.Parent != "fleet-1" || len(e.Events) != 3 {
		t.Errorf("entry = %+v", e)
	}
	if _, err := Load(dir, "op-none"); !errors.Is(err, ErrNoSuchOp) {
		t.Errorf("unknown id: %v", err)
	}
	if _, err := Load(dir, "../op-a"); !errors.Is(err, ErrNoSuchOp) {
		t.Errorf("a path as id: %v", err)
	}
}

func TestListFiltersByClusterKindAndParent(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	write(t, dir, Record{ID: "op-1", Kind: "restart", Cluster: "a", Parent: "fleet-1", Created: t0})
	write(t, dir, Record{ID: "op-2", Kind: "deploy", Cluster: "b", Parent: "fleet-1", Created: t0.Add(time.Minute)},
		event{Time: t0, Kind: EventFinished})
	write(t, dir, Record{ID: "op-3", Kind: "restart", Cluster: "b", Created: t0.Add(2 * time.Minute)})
	ids := func(f Filter) []string {
		es, err := List(dir, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range es {
			out = append(out, e.Op.ID)
		}
		return out
	}
	tests := []struct {
		f    Filter
		want []string
	}{
		{Filter{}, []string{"op-3", "op-2", "op-1"}},
		{Filter{Clusters: []string{"b"}}, []string{"op-3", "op-2"}},
		{Filter{Kind: "restart"}, []string{"op-3", "op-1"}},
		{Filter{Parent: "fleet-1"}, []string{"op-2", "op-1"}},
		{Filter{Parent: "fleet-1", Clusters: []string{"a", "c"}}, []string{"op-1"}},
	}
	for _, tt := range tests {
		if got := ids(tt.f); !slices.Equal(got, tt.want) {
			t.Errorf("List(%+v) = %v, want %v", tt.f, got, tt.want)
		}
	}
	if es, err := List(t.TempDir(), Filter{}); err != nil || len(es) != 0 {
		t.Errorf("empty state dir: %v, %v", es, err)
	}
}

// History says how each operation ended in the words of its exit code, names its kind as users
// know it, and filters by both.
func TestHistoryOutcomesKindsAndFilters(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ id, kind, last string }{
		{"op-1", "restart", EventFinished},
		{"op-2", "restart", EventHalted},
		{"op-3", "config", EventRefused},
		{"op-4", "patch", EventFailed},
		{"op-5", "reassign", EventInterrupted},
		{"op-6", "deploy", EventAborted},
		{"op-7", "restart", ""},
	} {
		j, err := Create(dir, Record{ID: tc.id, Kind: tc.kind, Cluster: "c"})
		if err != nil {
			t.Fatal(err)
		}
		if tc.last != "" {
			if err := j.Append(map[string]any{"event": tc.last, "message": tc.last}); err != nil {
				t.Fatal(err)
			}
		}
		j.Close()
	}
	want := map[string][2]string{"op-1": {"restart", StatusDone}, "op-2": {"restart", StatusHalted},
		"op-3": {"config-apply", StatusRefused}, "op-4": {"patch-run", StatusFailed}, "op-5": {"reassign-apply", StatusInterrupted},
		"op-6": {"deploy", StatusAborted}, "op-7": {"restart", StatusRunning}}
	all, err := List(dir, Filter{})
	if err != nil || len(all) != len(want) {
		t.Fatalf("%d listed, %v", len(all), err)
	}
	for _, e := range all {
		if got := [2]string{e.Kind, e.Status}; got != want[e.Op.ID] {
			t.Errorf("%s: %v, want %v", e.Op.ID, got, want[e.Op.ID])
		}
	}
	for _, f := range []Filter{{Kind: "config-apply"}, {Kind: "config"}, {Status: StatusRefused}} {
		got, _ := List(dir, f)
		if len(got) != 1 || got[0].Op.ID != "op-3" {
			t.Errorf("filter %+v: %d listed, want op-3 alone", f, len(got))
		}
	}
}
