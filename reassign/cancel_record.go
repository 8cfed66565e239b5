package reassign

import (
	"fmt"
	"strings"
	"time"

	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/journal"
	"github.com/kfleet/kfleet/ops/lease"
	"github.com/kfleet/kfleet/rollout/operation"
)

// CancelKind is a reassign cancel's own journal, so that history lists every cancel with how it
// ended, beside the reassignments it cancelled (whose journals say they were cancelled). It is
// not resumable: a cancel that stopped short is run again.
const CancelKind = "reassign-cancel"

// cancelRecord is the journal of one cancel run; a nil one records nothing.
type cancelRecord struct {
	j       *journal.Journal
	id      string
	cluster string
}

// recordCancel opens the cancel's journal in stateDir under id (the id of the lease it takes)
// and journals its plan before anything changes. A journal that cannot be written does not stop
// the cancel: the cancelled operations' journals record what it does.
func recordCancel(stateDir, id string, plan *CancelPlan) *cancelRecord {
	now := time.Now().UTC()
	j, err := journal.Create(stateDir, journal.Record{ID: id, Kind: CancelKind, Cluster: plan.Cluster,
		Brokers: []int32{}, Created: now, Holder: lease.HolderString()})
	if err != nil {
		return nil
	}
	r := &cancelRecord{j: j, id: id, cluster: plan.Cluster}
	r.note(journal.EventPlan, fmt.Sprintf("revert %d kfleet move(s) in flight of %s; remove throttles (%s)",
		len(plan.InFlight), strings.Join(plan.Ops, ", "), plan.Throttles.Summary()))
	return r
}

func (r *cancelRecord) note(kind, msg string) {
	if r != nil {
		_ = r.j.Append(operation.Note{Time: time.Now().UTC(), Op: r.id, Cluster: r.cluster, Kind: kind, Message: msg})
	}
}

// end journals how the cancel ended, in history's words: done, refused (another operation held
// the lease: nothing changed), failed before any change, or halted part way (run it again).
func (r *cancelRecord) end(res *CancelResult, err error) {
	if r == nil {
		return
	}
	defer r.j.Close()
	switch {
	case err == nil:
		r.note(journal.EventFinished, fmt.Sprintf("cancelled %d move(s), order restored on %d", len(res.Cancelled), len(res.Reordered)))
	case res == nil && refused(err):
		r.note(journal.EventRefused, err.Error())
	case res == nil:
		r.note(journal.EventFailed, err.Error())
	default:
		r.note(journal.EventHalted, err.Error()+": run `kfleet reassign cancel` again")
	}
}

func refused(err error) bool {
	k, _ := fault.KindOf(err)
	return k == fault.RefusedForNow
}
