package rollout

import (
	"context"
	"encoding/json"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/journal"
)

// processBefore is a broker's process just before the engine stopped it, as journaled.
type processBefore struct {
	PID        int
	StartTicks uint64
	Known      bool
}

// inFlight reads from a journal the brokers of a batch that started and did not finish, with
// their process before the stop (when the stop was reached).
func inFlight(e *journal.Entry) map[int32]*processBefore {
	out := map[int32]*processBefore{}
	for _, raw := range e.Events {
		var ev Event
		if json.Unmarshal(raw, &ev) != nil {
			continue
		}
		switch ev.Kind {
		case EventBatchStart:
			for _, b := range ev.Brokers {
				out[b] = &processBefore{}
			}
		case EventStep:
			if ev.Step == StepStop && ev.Status == StatusStarted {
				for id, p := range ev.Before {
					if pb := out[id]; pb != nil && p.Running {
						*pb = processBefore{PID: p.PID, StartTicks: p.StartTicks, Known: true}
					}
				}
			}
		case EventBatchDone:
			for _, b := range ev.Brokers {
				delete(out, b)
			}
		}
	}
	return out
}

// ResumeSkips decides which brokers of an interrupted operation need no restart: those whose
// batch finished, and those of the cut-short batch that already run a new process. The latter
// are also closing: their batch never confirmed the cluster healthy nor gave them their leaders
// back, which the resumed run still owes.
func ResumeSkips(ctx context.Context, e *journal.Entry, hosts Hosts, brokers []*inventory.Broker) (skip map[int32]bool, closing []int32, err error) {
	skip = map[int32]bool{}
	for _, id := range e.Done {
		skip[id] = true
	}
	before := inFlight(e)
	for _, b := range brokers {
		pb, ok := before[b.ID]
		if !ok || !pb.Known {
			continue
		}
		p, err := hosts.Process(ctx, b)
		if err != nil {
			return nil, nil, err
		}
		if p.Running && (p.PID != pb.PID || p.StartTicks != pb.StartTicks) {
			skip[b.ID] = true
			closing = append(closing, b.ID)
		}
	}
	return skip, closing, nil
}
