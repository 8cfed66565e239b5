package journal

import (
	"encoding/json"
	"maps"
	"slices"
	"testing"
	"time"
)

func ev(kind, step, status string, brokers ...int32) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"time": time.Unix(100, 0).UTC(), "event": kind, "step": step,
		"status": status, "brokers": brokers})
	return b
}

func TestTrailFollowsStoppedBrokers(t *testing.T) {
	var tr Trail
	tr.Apply(ev(EventBatchStart, "", "", 1, 2))
	tr.Apply(ev(EventStep, StepStop, StatusStarted, 1, 2)) // the intent: they may be down from now
	if got := slices.Sorted(maps.Keys(tr.Down)); !slices.Equal(got, []int32{1, 2}) {
		t.Fatalf("after the stop intent: %v, want [1 2]", got)
	}
	tr.Apply(ev(EventStep, StepStart, StatusStarted, 1, 2)) // an intent to start is not a start
	tr.Apply(ev(EventStep, StepStart, StatusOK, 2))
	if got := slices.Sorted(maps.Keys(tr.Down)); !slices.Equal(got, []int32{1}) {
		t.Fatalf("after broker 2 started: %v, want [1]", got)
	}
	tr.ApplyLine([]byte(`not json`))
	tr.Apply(ev(EventFinished, "", ""))
	if !tr.Finished || len(tr.Down) != 0 {
		t.Fatalf("after finished: %+v", tr)
	}
}
