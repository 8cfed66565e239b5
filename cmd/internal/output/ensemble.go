package output

import (
	"fmt"
	"strings"

	"github.com/kfleet/kfleet/rollout/ensemble"
)

// EnsemblePlan shows the order of a ZooKeeper ensemble restart and the gate's verdict on its first
// node; with -o json|yaml a dry run prints the plan as one object (event "zookeeper-restart-plan").
func (pr Printer) EnsemblePlan(p *ensemble.Plan, dryRun bool) error {
	w := pr.IO.Out
	if pr.Format != FormatTable {
		if !dryRun {
			return nil
		}
		plan := *p
		plan.Order = orEmpty(p.Order) // a resumed restart with every node done
		return Render(w, pr.Format, struct {
			Event string `json:"event" yaml:"event"`
			*ensemble.Plan
			Settings any `json:"settings" yaml:"settings"` // durations as text
		}{"zookeeper-restart-plan", &plan, SettingsView(p.Settings)}, nil)
	}
	s := p.Settings
	fmt.Fprintf(w, "restart of the ZooKeeper ensemble of cluster %s: %d node(s), one at a time\n", p.Cluster, len(p.Order))
	t := NewTable(w, "STEP", "NODE", "ADDRESS", "NOW")
	for i, n := range p.Order {
		_ = t.Append([]string{Cell(i + 1), Cell(n.ID), n.Address, n.Mode})
	}
	_ = t.Render()
	if len(p.Done) > 0 {
		fmt.Fprintf(w, "already restarted by this operation: node(s) %s\n", joinInts(p.Done))
	}
	if len(p.Problems) > 0 {
		fmt.Fprintf(w, "ensemble now: %s\n", strings.Join(p.Problems, "; "))
	}
	if len(p.Order) > 0 {
		if p.GateNow.OK {
			fmt.Fprintf(w, "gate now: zookeeper node %d may stop\n", p.Order[0].ID)
		} else {
			fmt.Fprintf(w, "gate now: zookeeper node %d may not stop: %s\n", p.Order[0].ID, strings.Join(p.GateNow.Reasons, "; "))
		}
	}
	fmt.Fprintf(w, "timeouts: gate %s, stop %s, start and sync %s; poll every %s\n", s.GateTimeout, s.StopTimeout, s.StartTimeout, s.Poll)
	fmt.Fprintln(w, "the order is formed again before each node from the ensemble's state then: nodes that are down first, the leader last")
	return nil
}

func joinInts(ids []int) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprint(id)
	}
	return strings.Join(parts, ",")
}
