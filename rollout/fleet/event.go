package fleet

import (
	"time"

	"github.com/kfleet/kfleet/ops/journal"
)

// Event kinds of a fleet run, in the order they come. The run ends with finished (every cluster
// done), halted (a cluster failed, or one was left undone) or interrupted (Ctrl-C); that last
// event carries every cluster's result: it is the summary.
const (
	EventPlan         = journal.EventPlan
	EventWaveStart    = "wave-start"
	EventWaiting      = "cluster-waiting" // for its maintenance window
	EventClusterStart = "cluster-start"
	EventClusterDone  = "cluster-done"
	EventProgress     = "progress" // the wave's counts changed
	EventBake         = "bake"
	EventWaveDone     = "wave-done"
	EventHalted       = journal.EventHalted
	EventInterrupted  = journal.EventInterrupted
	EventFinished     = journal.EventFinished
)

// Event is one step of a fleet run: to the terminal, the JSON event stream and the fleet's
// journal. The clusters' own events go their own way, each carrying the fleet op too.
type Event struct {
	Time    time.Time `json:"time"`
	Op      string    `json:"op"`       // the fleet operation
	FleetOp string    `json:"fleet_op"` // the same, under the key every event of a fleet run has
	Cluster string    `json:"cluster"`  // "" for the wave's and the run's own events
	Kind    string    `json:"event"`
	Wave    int       `json:"wave,omitempty"`
	Waves   int       `json:"waves,omitempty"`
	// ClusterOp is the cluster's own operation (cluster-start, cluster-done).
	ClusterOp string `json:"cluster_op,omitempty"`
	Outcome   string `json:"outcome,omitempty"`
	Message   string `json:"message,omitempty"`
	// Counts are the wave's clusters by state (progress, wave-done).
	Counts *Counts `json:"counts,omitempty"`
	// Results are every cluster's result (the last event).
	Results []ClusterResult `json:"results,omitempty"`
}

// Counts are a wave's clusters by state.
type Counts struct {
	Done    int `json:"done"`
	Running int `json:"running"`
	Failed  int `json:"failed"`
	Waiting int `json:"waiting"` // not started yet, or waiting for a window
	Other   int `json:"other"`   // refused, outside window, stopped, not started
}
