package output

import (
	"fmt"
	"io"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/rollout/brokerconfig"
)

// printConfigDiffs is the one table for config differences; notes follow it.
func ConfigDiffs(w io.Writer, diffs []brokerconfig.Diff) error {
	t := NewTable(w, "CLUSTER", "BROKER", "KEY", "LIVE", "SOURCE", "DESIRED", "DECLARED", "APPLY")
	for _, d := range diffs {
		if err := t.Append([]string{d.Cluster, Cell(d.Broker), d.Key, liveCell(d.Live), d.LiveSource, d.Desired, d.Declared, d.Apply}); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, d := range diffs {
		if n := fmt.Sprintf("%s: %s", d.Key, d.Note); d.Note != "" && !seen[n] {
			seen[n] = true
			fmt.Fprintf(w, "note: broker %d: %s\n", d.Broker, n)
		}
	}
	return nil
}

func liveCell(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func ConfigPlan(w io.Writer, p *brokerconfig.Plan) {
	if p.Empty() {
		fmt.Fprintf(w, "nothing to change on cluster %s\n", p.Cluster)
		return
	}
	fmt.Fprintf(w, "config apply on cluster %s:\n", p.Cluster)
	_ = ConfigDiffs(w, p.Changes)
	for _, e := range p.Files {
		fmt.Fprintf(w, "\nbroker %d (%s): %s\n", e.Broker, e.Host, e.Path)
		for _, l := range e.Diff {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
	if len(p.Restart) > 0 {
		fmt.Fprintf(w, "\nrestart: broker(s) %s, through the gated rolling engine\n", inventory.JoinIDs(p.Restart))
	} else {
		fmt.Fprintln(w, "\nrestart: none")
	}
}
