package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/rollout"
)

// eventPrinter shows an operation's events as they happen: one JSON object per line with
// -o json|yaml (so CI logs parse), the readable line that line writes otherwise. Events may come
// from several goroutines.
type eventPrinter[E any] struct {
	mu     sync.Mutex
	io     *IOStreams
	format string
	line   func(w io.Writer, e E)
}

func (p *eventPrinter[E]) print(e E) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.format != formatTable {
		_ = json.NewEncoder(p.io.Out).Encode(e)
		return
	}
	p.line(p.io.Out, e)
}

// newEventPrinter prints a rollout's events.
func newEventPrinter(streams *IOStreams, format string) *eventPrinter[rollout.Event] {
	return &eventPrinter[rollout.Event]{io: streams, format: format, line: rolloutEventLine}
}

// rolloutEventLine writes a rollout event as readable progress.
func rolloutEventLine(w io.Writer, e rollout.Event) {
	ts := e.Time.Format("15:04:05")
	switch e.Kind {
	case rollout.EventPlan:
		// The plan was printed before confirmation.
	case rollout.EventBatchStart:
		fmt.Fprintf(w, "\n%s batch %d/%d: broker(s) %s (%s)\n", ts, e.Batch, e.Batches, inventory.JoinIDs(e.Brokers), e.Message)
	case rollout.EventStep:
		switch e.Status {
		case rollout.StatusStarted:
			if e.Step == rollout.StepGate {
				return
			}
			fmt.Fprintf(w, "%s   %s ...\n", ts, e.Step)
		case rollout.StatusOK:
			if e.Step == rollout.StepGate {
				fmt.Fprintf(w, "%s   safety gate open for broker(s) %s\n", ts, inventory.JoinIDs(e.Brokers))
			}
		case rollout.StatusFailed:
			fmt.Fprintf(w, "%s   %s FAILED: %s\n", ts, e.Step, e.Message)
		}
	case rollout.EventWaiting:
		fmt.Fprintf(w, "%s   %s\n", ts, e.Message)
	case rollout.EventBatchDone:
		t := e.Timings
		fmt.Fprintf(w, "%s   batch %d done in %.1fs (gate %.1fs, stop %.1fs, start %.1fs, catch-up %.1fs, confirm %.1fs)\n",
			ts, e.Batch, t.Total, t.Gate, t.Stop, t.Start, t.CatchUp, t.Confirm)
	case rollout.EventFinished:
		fmt.Fprintf(w, "\n%s %s\n", ts, e.Message)
	default: // halted, interrupted, aborted: the error itself is printed on exit
	}
}
