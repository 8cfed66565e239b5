package rollout

import (
	"time"

	"github.com/kfleet/kfleet/ops/cluster"
	"github.com/kfleet/kfleet/ops/journal"
)

// Event kinds, in the order an operation emits them.
const (
	EventPlan        = journal.EventPlan
	EventBatchStart  = journal.EventBatchStart
	EventStep        = journal.EventStep
	EventWaiting     = "waiting"
	EventBatchDone   = journal.EventBatchDone
	EventHalted      = journal.EventHalted
	EventRefused     = journal.EventRefused // the gate never opened: nothing in the batch touched
	EventInterrupted = journal.EventInterrupted
	EventAborted     = journal.EventAborted
	EventFinished    = journal.EventFinished
)

// Steps of one batch.
const (
	StepGate           = "gate"
	StepPreStop        = "pre-stop-hooks"
	StepStop           = journal.StepStop
	StepConfirmStopped = "confirm-stopped"
	StepPostStop       = "post-stop-hooks"
	StepBetween        = "between"        // Options.Between's step, unless Options.BetweenStep names it
	StepSwitchRelease  = "switch-release" // deploy's Between
	StepPatchHost      = "patch-host"     // patch run's Between
	StepStart          = journal.StepStart
	StepConfirmStarted = "confirm-started"
	StepHealthy        = "wait-healthy"
	StepElect          = "elect-leaders"
	StepPostStart      = "post-start-hooks"
)

// Step statuses.
const (
	StatusStarted = journal.StatusStarted
	StatusOK      = journal.StatusOK
	StatusFailed  = journal.StatusFailed
)

// Event is one thing an operation did or waits for. The same value goes to the terminal, to the
// JSON event stream (-o json, one per line), to the journal and to the cluster's event log.
type Event struct {
	Time    time.Time `json:"time"`
	Op      string    `json:"op"`
	Cluster string    `json:"cluster"`
	Kind    string    `json:"event"`
	Batch   int       `json:"batch,omitempty"`   // 1-based
	Batches int       `json:"batches,omitempty"` // planned so far, for "batch 2/3"
	Brokers []int32   `json:"brokers,omitempty"`
	// ZooKeeperNode is the ensemble node (its myid, 1-255) a step of a ZooKeeper restart acts on
	// (rollout/ensemble); such events name no broker.
	ZooKeeperNode int    `json:"zookeeper_node,omitempty"`
	Step          string `json:"step,omitempty"`
	Status        string `json:"status,omitempty"`
	Message       string `json:"message,omitempty"`
	URP           *int   `json:"urp,omitempty"`
	// Plan is the batch plan (plan events).
	Plan []Batch `json:"plan,omitempty"`
	// Before holds the brokers' processes just before they were stopped (stop events), so
	// resume can tell whether a broker was already restarted.
	Before map[int32]cluster.BrokerProcess `json:"before,omitempty"`
	// Timings of a finished batch, in seconds (batch-done events).
	Timings *BatchTimings `json:"timings,omitempty"`
}

// BatchTimings measures one batch; docs/benchmarks.md reports them.
type BatchTimings struct {
	Gate      float64   `json:"gate_s"`     // waiting for the safety gate
	Stop      float64   `json:"stop_s"`     // stop command until confirmed stopped
	Start     float64   `json:"start_s"`    // start command until registered and unfenced
	CatchUp   float64   `json:"catch_up_s"` // registered until URP first back to zero
	Confirm   float64   `json:"confirm_s"`  // first zero-URP poll until the healthy verdict
	Total     float64   `json:"total_s"`    // batch start to done
	HealthyAt time.Time `json:"healthy_at"` // first poll that saw the cluster healthy again
}
