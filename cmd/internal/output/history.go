package output

import (
	"fmt"
	"io"
	"time"

	"github.com/kfleet/kfleet/ops/journal"
)

func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}

// History is the table of journaled operations, newest first.
func History(w io.Writer, ops []*journal.Entry) error {
	t := NewTable(w, "OP", "KIND", "CLUSTER", "STATUS", "STARTED", "BROKERS DONE", "LAST")
	for _, o := range ops {
		_ = t.Append([]string{o.Op.ID, o.Op.Kind, o.Op.Cluster, o.Status,
			o.Op.Created.Local().Format(time.DateTime),
			fmt.Sprintf("%d/%d", len(o.Done), len(o.Op.Brokers)), truncateText(o.Last, 70)})
	}
	return t.Render()
}
