package patch

import (
	"time"

	"github.com/kfleet/kfleet/ops/journal"
	"github.com/kfleet/kfleet/ops/lease"
	"github.com/kfleet/kfleet/rollout/operation"
)

// HookKind is a patch pre or post call's kind in the local journal, so that history lists every
// call the patching system made, with its outcome; it is not resumable (the patching system calls
// again).
const HookKind = "patch-hook"

// Record writes the call's outcome to a journal of its own in stateDir ("" records nothing):
// go and healthy are done, refused and held refused, anything else failed. A journal that
// cannot be written does not change the call's answer.
func (h *Hook) Record(stateDir, call string, r Result) {
	if stateDir == "" {
		return
	}
	now := time.Now().UTC()
	id := journal.NewID(now)
	j, err := journal.Create(stateDir, journal.Record{ID: id, Kind: HookKind, Cluster: h.Cluster.Name,
		Brokers: h.ids(), Created: now, Holder: lease.HolderString()})
	if err != nil {
		return
	}
	defer j.Close()
	kind := journal.EventFailed
	switch r.Decision {
	case DecisionGo, DecisionHealthy:
		kind = journal.EventFinished
	case DecisionRefused, DecisionHeld:
		kind = journal.EventRefused
	}
	// The one event: how the call ended, as any operation's journal says it.
	_ = j.Append(operation.Note{Time: now, Op: id, Cluster: h.Cluster.Name, Kind: kind,
		Message: "patch " + call + " --host " + h.Host + ": " + r.Decision + ": " + r.Message})
}
