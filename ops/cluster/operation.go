package cluster

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kfleet/kfleet/inventory"
)

// Fields of the events an operation writes to its cluster's event log (the ops log) with every
// milestone: where it stands, so that any operator's status can show it.
const (
	FieldBrokers       = "brokers"        // the batch's brokers, "1,2"
	FieldZooKeeperNode = "zookeeper_node" // the ZooKeeper node a step acts on
	FieldBatch         = "batch"          // 1-based
	FieldBatches       = "batches"        // planned so far
	FieldDone          = "batches_done"   // finished by this run
	FieldStep          = "step"           // the step under way
	FieldStarted       = "started"        // the run's start, RFC 3339
	FieldETA           = "eta"            // expected end, RFC 3339; absent until a batch finished
)

// ProgressFields is where an operation stands, as its event log fields carry it.
type ProgressFields struct {
	Batch, Batches, Done int
	Step                 string
	Started, ETA         time.Time
}

// Map is the fields as written; zero values are left out.
func (p ProgressFields) Map() map[string]string {
	m := map[string]string{}
	put := func(k string, n int) {
		if n > 0 {
			m[k] = strconv.Itoa(n)
		}
	}
	put(FieldBatch, p.Batch)
	put(FieldBatches, p.Batches)
	put(FieldDone, p.Done)
	if p.Step != "" {
		m[FieldStep] = p.Step
	}
	for k, t := range map[string]time.Time{FieldStarted: p.Started, FieldETA: p.ETA} {
		if !t.IsZero() {
			m[k] = t.UTC().Format(time.RFC3339)
		}
	}
	return m
}

// Operation is the operation that holds a cluster's lease, as its latest event tells it: what
// `status` shows while it runs.
type Operation struct {
	OpID    string `json:"op_id" yaml:"op_id"`
	Purpose string `json:"purpose" yaml:"purpose"`
	Holder  string `json:"holder" yaml:"holder"`
	// HolderAlive is false when the holder's process is known to be gone (HolderGone says how);
	// a holder on another machine counts as alive while it renews the lease.
	HolderAlive  bool      `json:"holder_alive" yaml:"holder_alive"`
	HolderGone   string    `json:"holder_gone,omitempty" yaml:"holder_gone,omitempty"`
	Since        time.Time `json:"since" yaml:"since"`
	ElapsedS     float64   `json:"elapsed_s" yaml:"elapsed_s"`
	LeaseExpires time.Time `json:"lease_expires" yaml:"lease_expires"`
	// Batch of Batches is under way (0: none started yet), Done finished; Step is its step.
	Batch   int    `json:"batch" yaml:"batch"`
	Batches int    `json:"batches" yaml:"batches"`
	Done    int    `json:"batches_done" yaml:"batches_done"`
	Step    string `json:"step" yaml:"step"`
	// Brokers are the batch's brokers (ZooKeeperNode the ensemble node, for a ZooKeeper restart).
	Brokers       []int32 `json:"brokers" yaml:"brokers"`
	ZooKeeperNode int     `json:"zookeeper_node,omitempty" yaml:"zookeeper_node,omitempty"`
	// ETA is the expected end from the batches so far; null until one finished.
	ETA  *time.Time `json:"eta" yaml:"eta"`
	Last string     `json:"last" yaml:"last"` // the latest message of its events
}

// InFlight is the operation holding lease l, from its events (newest last): nil when nobody holds
// the lease. gone says why its holder is known dead ("": not known to be).
func InFlight(l *LeaseHolder, gone string, events []OpEvent, now time.Time) *Operation {
	if l == nil {
		return nil
	}
	op := &Operation{OpID: l.OpID, Purpose: l.Purpose, Holder: l.Holder, HolderAlive: gone == "", HolderGone: gone,
		Since: l.Since, ElapsedS: now.Sub(l.Since).Seconds(), LeaseExpires: l.Expires, Brokers: []int32{}}
	for k := len(events) - 1; k >= 0 && op.Last == ""; k-- {
		if e := events[k]; e.OpID == l.OpID {
			op.Last = e.Message // steps say nothing: the latest milestone that did
		}
	}
	for k := len(events) - 1; k >= 0; k-- {
		e := events[k]
		if e.OpID != l.OpID {
			continue
		}
		f := e.Fields
		op.Batch, op.Batches, op.Done = atoi(f[FieldBatch]), atoi(f[FieldBatches]), atoi(f[FieldDone])
		op.Step, op.ZooKeeperNode = f[FieldStep], atoi(f[FieldZooKeeperNode])
		if ids, err := inventory.ParseBrokerIDs([]string{f[FieldBrokers]}); err == nil && f[FieldBrokers] != "" {
			op.Brokers = ids
		}
		if t, err := time.Parse(time.RFC3339, f[FieldETA]); err == nil {
			op.ETA = &t
		}
		break
	}
	return op
}

// Progress says where the operation stands in a few words: "batch 2/3 stop, 1m10s, ETA 23:41",
// or that its holder is gone.
func (o *Operation) Progress(now time.Time) string {
	var parts []string
	switch {
	case o.Batch > 0 && o.Step != "":
		parts = append(parts, fmt.Sprintf("batch %d/%d %s", o.Batch, o.Batches, o.Step))
	case o.Batch > 0:
		parts = append(parts, fmt.Sprintf("batch %d/%d", o.Batch, o.Batches))
	}
	parts = append(parts, now.Sub(o.Since).Round(time.Second).String())
	if o.ETA != nil && o.HolderAlive {
		parts = append(parts, "ETA "+o.ETA.Local().Format("15:04"))
	}
	if !o.HolderAlive {
		parts = append(parts, "HOLDER GONE")
	}
	return strings.Join(parts, ", ")
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
