package rollout

import (
	"strconv"
	"time"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/cluster"
)

// Progress is where a rolling operation stands, as the cluster's event log carries it with every
// milestone (cluster.ProgressFields) so that status, its watch and the TUI of any operator can
// show batch k of n, the step, and when it should end.
type Progress struct {
	Started time.Time // the run's start
	Batches int       // planned so far
	Done    int       // batches finished by this run
}

// Fields are the event log fields of ev at now: its batch, the step, the batches done and the
// expected end, from the mean batch of this run so far (none until one finished).
func (p Progress) Fields(ev Event, now time.Time) map[string]string {
	f := cluster.ProgressFields{Batch: ev.Batch, Batches: max(p.Batches, ev.Batches, ev.Batch), Done: p.Done,
		Step: ev.Step, Started: p.Started}
	if p.Done > 0 && f.Batches > p.Done {
		mean := now.Sub(p.Started) / time.Duration(p.Done)
		f.ETA = now.Add(mean * time.Duration(f.Batches-p.Done))
	}
	m := f.Map()
	if len(ev.Brokers) > 0 {
		m[cluster.FieldBrokers] = inventory.JoinIDs(ev.Brokers)
	}
	if ev.ZooKeeperNode > 0 {
		m[cluster.FieldZooKeeperNode] = strconv.Itoa(ev.ZooKeeperNode)
	}
	return m
}
