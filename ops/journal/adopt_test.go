package journal

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

type copied struct{ lines []string }

func (c *copied) Mirror(line []byte)          { c.lines = append(c.lines, string(line)) }
func (c *copied) Flush(context.Context) error { return nil }

// What the mirror receives is a journal another machine can adopt and resume from.
func TestMirroredLinesAreAdoptable(t *testing.T) {
	here, there := t.TempDir(), t.TempDir()
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	j, err := Create(here, Record{ID: "op-1", Kind: "restart", Cluster: "c", Brokers: []int32{1, 2, 3}, Created: now})
	if err != nil {
		t.Fatal(err)
	}
	m := &copied{}
	j.MirrorTo(m)
	for _, e := range []map[string]any{
		{"time": now, "event": EventBatchStart, "brokers": []int32{1}},
		{"time": now, "event": EventBatchDone, "brokers": []int32{1}},
		{"time": now, "event": EventInterrupted, "brokers": []int32{2, 3}},
	} {
		if err := j.Append(e); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
	if len(m.lines) != 4 || !strings.HasPrefix(m.lines[0], `{"op":`) {
		t.Fatalf("mirrored %d lines, first %q; want the record then 3 events", len(m.lines), m.lines[0])
	}

	var raw [][]byte
	for _, l := range m.lines {
		raw = append(raw, []byte(l))
	}
	if err := Adopt(there, raw); err != nil {
		t.Fatal(err)
	}
	a, err := Load(there, "op-1")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Load(here, "op-1")
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != StatusInterrupted || a.Status != b.Status || !slices.Equal(a.Done, b.Done) || !slices.Equal(a.Pending, b.Pending) {
		t.Fatalf("adopted %+v, original %+v", a, b)
	}
	if err := Adopt(there, raw); err == nil {
		t.Fatal("adopting an operation already journaled here was not refused")
	}
	if err := Adopt(t.TempDir(), raw[1:]); err == nil {
		t.Fatal("adopting lines without the record was not refused")
	}

	// A resumed journal sends its record again first: the cluster's copy may have aged out.
	r, err := Reopen(there, "op-1")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	m2 := &copied{}
	r.MirrorTo(m2)
	if len(m2.lines) != 1 || m2.lines[0] != m.lines[0] {
		t.Fatalf("reopened journal mirrored %q first, want the record %q", m2.lines, m.lines[0])
	}
}
