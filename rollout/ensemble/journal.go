package ensemble

import (
	"encoding/json"
	"slices"

	"github.com/kfleet/kfleet/ops/journal"
	"github.com/kfleet/kfleet/rollout"
)

// finishedNodes reads from a journal the nodes whose restart finished (batch-done).
func finishedNodes(e *journal.Entry) []int {
	var out []int
	for _, raw := range e.Events {
		var ev rollout.Event
		if json.Unmarshal(raw, &ev) != nil {
			continue
		}
		if ev.Kind == rollout.EventBatchDone && ev.ZooKeeperNode > 0 && !slices.Contains(out, ev.ZooKeeperNode) {
			out = append(out, ev.ZooKeeperNode)
		}
	}
	return out
}
