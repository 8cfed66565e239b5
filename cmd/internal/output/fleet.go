package output

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kfleet/kfleet/rollout/fleet"
)

// FleetPlan shows a fleet run's plan: the policy, then wave by wave each cluster's maintenance
// window and its own plan, as one cluster's run would show it. With -o json|yaml the fleet's
// plan (waves, windows, policy) comes first as one object, then each cluster's own plan.
func (pr Printer) FleetPlan(p *fleet.FleetPlan, dryRun bool) error {
	w := pr.IO.Out
	if pr.Format != FormatTable {
		// A real run's event stream says its plan in its first event, one object per line.
		if !dryRun {
			return nil
		}
		if err := Render(w, pr.Format, struct {
			Event string `json:"event"`
			*fleet.FleetPlan
			Policy any `json:"policy"` // durations as text
		}{"fleet-plan", p, SettingsView(p.Policy)}, nil); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(w, "fleet operation %s: %s\n", p.Op, p.Summary)
	}
	for _, wave := range p.Waves {
		if pr.Format == FormatTable {
			fmt.Fprintf(w, "\n=== wave %d/%d%s: %s\n", wave.Number, len(p.Waves), wave.Label(), strings.Join(wave.Clusters, ", "))
		}
		for _, c := range wave.Plans {
			if pr.Format == FormatTable {
				fmt.Fprintf(w, "\n--- %s: maintenance window %s\n", c.Cluster, c.Window)
				switch {
				case c.Done:
					fmt.Fprintf(w, "done by an earlier run (%s): skipped\n", c.Op)
					continue
				case c.Resumed:
					fmt.Fprintf(w, "resumes %s\n", c.Op)
				}
			}
			if c.Plan == nil {
				continue
			}
			if err := pr.Plan(dryRun)(c.Plan); err != nil {
				return err
			}
			if pr.Format == FormatTable && c.Plan.Work() == 0 {
				if msg := NothingToDo(c.Plan); msg != "" {
					fmt.Fprintln(w, msg)
				}
			}
		}
	}
	return nil
}

// fleetEventLine writes a fleet run's event as readable progress; the wave's counts only on a
// terminal, where they are the live summary.
func fleetEventLine(w io.Writer, e fleet.Event, tty bool) {
	ts := e.Time.Local().Format("15:04:05")
	switch e.Kind {
	case fleet.EventPlan:
		// The plan was printed before confirmation.
	case fleet.EventWaveStart:
		fmt.Fprintf(w, "\n%s === %s\n", ts, e.Message)
	case fleet.EventProgress:
		if tty {
			fmt.Fprintf(w, "%s --- %s\n", ts, e.Message)
		}
	case fleet.EventWaveDone, fleet.EventBake:
		fmt.Fprintf(w, "%s === %s\n", ts, e.Message)
	case fleet.EventFinished, fleet.EventHalted, fleet.EventInterrupted:
		fmt.Fprintln(w)
		_ = FleetResults(w, e.Results)
		if e.Kind == fleet.EventFinished {
			fmt.Fprintf(w, "%s %s\n", ts, e.Message)
		} // else the error itself is printed on exit
	default: // cluster-start, cluster-done, cluster-waiting
		msg := e.Message
		if e.Kind == fleet.EventClusterDone {
			msg = e.Outcome
			if e.Message != "" && e.Message != e.Outcome {
				msg += ": " + e.Message
			}
		}
		fmt.Fprintf(w, "[%s] %s %s\n", e.Cluster, ts, msg)
	}
}

// FleetResults is the final table of a fleet run: each cluster's result, brokers, duration and
// operation id.
func FleetResults(w io.Writer, results []fleet.ClusterResult) error {
	t := NewTable(w, "CLUSTER", "WAVE", "RESULT", "BROKERS", "DURATION", "OP", "NOTE")
	for _, r := range results {
		dur := "-"
		if r.Seconds > 0 {
			dur = (time.Duration(r.Seconds * float64(time.Second))).Round(time.Second).String()
		}
		note := ""
		if r.Outcome != fleet.OutcomeDone || r.Message != "done" {
			note = truncateText(r.Message, 70)
		}
		op := r.Op
		if op == "" {
			op = "-"
		}
		_ = t.Append([]string{r.Cluster, Cell(r.Wave), r.Outcome, Cell(r.Brokers), dur, op, note})
	}
	return t.Render()
}
