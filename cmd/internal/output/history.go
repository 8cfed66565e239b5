package output

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kfleet/kfleet/ops/journal"
	"github.com/kfleet/kfleet/rollout/fleet"
)

func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}

// History is the table of journaled operations, newest first. A fleet operation's row names
// its clusters and counts those done; its clusters' operations follow it, indented.
func History(w io.Writer, ops []*journal.Entry) error {
	t := NewTable(w, "OP", "KIND", "CLUSTER", "STATUS", "STARTED", "DONE", "LAST")
	listed := map[string]bool{}
	for _, o := range ops {
		listed[o.Op.ID] = true
	}
	children := map[string][]*journal.Entry{}
	for _, o := range ops {
		if o.Op.Parent != "" && listed[o.Op.Parent] {
			children[o.Op.Parent] = append(children[o.Op.Parent], o)
		}
	}
	row := func(o *journal.Entry, indent string) {
		kind, cluster, done := o.Kind, o.Op.Cluster, "-"
		if len(o.Op.Brokers) > 0 { // a reassignment, a ZooKeeper restart or a config apply names none up front
			done = fmt.Sprintf("%d/%d brokers", len(o.Done), len(o.Op.Brokers))
		}
		if o.Op.Kind == fleet.Kind {
			k, d, n := fleet.Summary(o)
			kind, cluster, done = "fleet "+k, truncateText(strings.Join(o.Op.Clusters, ","), 30), fmt.Sprintf("%d/%d clusters", d, n)
		}
		_ = t.Append([]string{indent + o.Op.ID, kind, cluster, o.Status,
			o.Op.Created.Local().Format(time.DateTime), done, truncateText(o.Last, 70)})
	}
	for _, o := range ops {
		if o.Op.Parent != "" && listed[o.Op.Parent] {
			continue
		}
		row(o, "")
		for i := len(children[o.Op.ID]) - 1; i >= 0; i-- { // a fleet's clusters in the order they started
			row(children[o.Op.ID][i], "  ")
		}
	}
	return t.Render()
}
