package journal

import (
	"bytes"
	"encoding/json"
	"time"
)

// Steps every broker-stopping operation journals the same way: the intent (status started)
// before the change, the outcome (ok or failed) after it. The rolling engine uses these names.
const (
	EventStep     = "step"
	StepStop      = "stop"
	StepStart     = "start"
	StatusStarted = "started"
	StatusOK      = "ok"
	StatusFailed  = "failed"
)

// Trail follows, event by event, which brokers an operation has stopped (or was about to stop)
// and not started again: what `status` names when such a broker is down and the operation's
// holder is gone, and what a new operation must not plan around.
type Trail struct {
	Down     map[int32]time.Time // broker -> when its stop was journaled
	Finished bool
}

type trailEvent struct {
	Time    time.Time `json:"time"`
	Kind    string    `json:"event"`
	Step    string    `json:"step"`
	Status  string    `json:"status"`
	Brokers []int32   `json:"brokers"`
}

// Apply folds one journaled event (the JSON of an event line's "event") into the trail, and
// returns the brokers the event stopped or started: whatever other operations' trails said of
// them is older news.
func (t *Trail) Apply(event json.RawMessage) []int32 {
	var ev trailEvent
	if json.Unmarshal(event, &ev) != nil {
		return nil
	}
	return t.apply(ev)
}

func (t *Trail) apply(ev trailEvent) []int32 {
	switch {
	case ev.Kind == EventFinished:
		t.Finished, t.Down = true, nil
	case ev.Kind == EventStep && ev.Step == StepStop && ev.Status == StatusStarted:
		if t.Down == nil {
			t.Down = map[int32]time.Time{}
		}
		for _, b := range ev.Brokers {
			t.Down[b] = ev.Time
		}
		return ev.Brokers
	case ev.Kind == EventStep && ev.Step == StepStart && ev.Status == StatusOK:
		for _, b := range ev.Brokers {
			delete(t.Down, b)
		}
		return ev.Brokers
	}
	return nil
}

// ApplyLine folds one journal line (record or event) into the trail, like Apply. Most lines
// (waits, progress) cannot change a trail and are not decoded at all.
func (t *Trail) ApplyLine(l []byte) []int32 {
	if !bytes.Contains(l, []byte(`"event":"`+EventStep+`"`)) && !bytes.Contains(l, []byte(`"event":"`+EventFinished+`"`)) {
		return nil
	}
	var line struct {
		Event *trailEvent `json:"event"`
	}
	if json.Unmarshal(l, &line) != nil || line.Event == nil {
		return nil
	}
	return t.apply(*line.Event)
}
