package lease

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

func journalRec(off int64, op, event, step, status string, brokers ...int32) opsRecord {
	line, _ := json.Marshal(map[string]any{"event": map[string]any{"time": time.Unix(off, 0).UTC(), "event": event,
		"step": step, "status": status, "brokers": brokers}})
	return opsRecord{Offset: off, Time: time.Unix(off, 0), Type: recJournal, Body: opsBody{OpID: op, Holder: "h " + op, Line: line}}
}

// The replay names the brokers an operation stopped and did not start; a later stop or start
// of the same broker by another operation supersedes it.
func TestReplayNamesStoppedBrokers(t *testing.T) {
	r := replayLease(0, []opsRecord{
		journalRec(0, "op-a", "step", "stop", "started", 2, 3),
		journalRec(1, "op-b", "step", "stop", "started", 2), // op-b stopped 2 after op-a
		journalRec(2, "op-b", "step", "start", "ok", 2),     // ... and started it
		journalRec(3, "op-c", "step", "stop", "started", 1),
		journalRec(4, "op-c", "finished", "", ""),
	})
	st := r.state(time.Unix(5, 0))
	if len(st.Stopped) != 1 || st.Stopped[0].Broker != 3 || st.Stopped[0].OpID != "op-a" || st.Stopped[0].Holder != "h op-a" {
		t.Fatalf("stopped = %+v; want only broker 3 by op-a", st.Stopped)
	}
}

// BenchmarkReplayADayOfJournals replays what a busy day leaves in the ops log: 200 restarts of
// 12 brokers, about 20 journal lines per broker (4,800 per op... here 48,000 lines in all), the
// replay status and every lease contender run.
func BenchmarkReplayADayOfJournals(b *testing.B) {
	var recs []opsRecord
	off := int64(0)
	for op := range 200 {
		id := "op-" + string(rune('a'+op%26)) + itoa(op)
		for broker := int32(1); broker <= 12; broker++ {
			for _, st := range [][2]string{{"stop", "started"}, {"stop", "ok"}, {"start", "started"}, {"start", "ok"}} {
				recs = append(recs, journalRec(off, id, "step", st[0], st[1], broker))
				off++
			}
			for range 16 {
				recs = append(recs, journalRec(off, id, "waiting", "wait-healthy", "", broker))
				off++
			}
		}
		recs = append(recs, journalRec(off, id, "finished", "", ""))
		off++
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r := replayLease(0, recs)
		if st := r.state(time.Unix(off, 0)); len(st.Stopped) != 0 {
			b.Fatal(st.Stopped)
		}
	}
	b.ReportMetric(float64(len(recs)), "lines/op")
}

func itoa(i int) string { return fmt.Sprint(i) }
