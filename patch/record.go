package patch

import (
	"time"

	"github.com/kfleet/kfleet/ops/journal"
	"github.com/kfleet/kfleet/ops/lease"
)

// HookKind is a patch pre or post call's kind in the local journal, so that history lists every
// call the patching system made, with its outcome; it is not resumable (the patching system calls
// again).
const HookKind = "patch-hook"

// hookEvent is the one event a patch hook call's journal holds: how it ended.
type hookEvent struct {
	Time    time.Time `json:"time"`
	Op      string    `json:"op"`
	Cluster string    `json:"cluster"`
	Kind    string    `json:"event"`
	Message string    `json:"message"`
	Host    string    `json:"host"`
	Call    string    `json:"call"` // pre or post
}

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
	_ = j.Append(hookEvent{Time: now, Op: id, Cluster: h.Cluster.Name, Kind: kind,
		Message: "patch " + call + " --host " + h.Host + ": " + r.Decision + ": " + r.Message, Host: h.Host, Call: call})
}
