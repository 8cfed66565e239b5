package fleet

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/kfleet/kfleet/ops/journal"
)

// Progress is a fleet operation as its journal tells it, for a live view (the TUI): its waves
// and each cluster's state, with the cluster's own operation read from its journal.
type Progress struct {
	Op      string         `json:"fleet_op"`
	Kind    string         `json:"kind"` // the clusters' operation kind
	Holder  string         `json:"holder"`
	Started time.Time      `json:"started"`
	Updated time.Time      `json:"updated"`
	Status  string         `json:"status"` // running, done, halted, interrupted
	Waves   []WaveProgress `json:"waves"`
	Counts  map[string]int `json:"counts"` // clusters by state
}

// WaveProgress is one wave of a fleet operation.
type WaveProgress struct {
	Wave
	Clusters []ClusterProgress `json:"cluster_states"`
}

// ClusterProgress is one cluster of a fleet operation.
type ClusterProgress struct {
	Cluster string `json:"cluster"`
	// State is pending (its wave has not started it), waiting (for its maintenance window),
	// running, or the outcome (done, failed, refused, ...).
	State string `json:"state"`
	Op    string `json:"op,omitempty"`
	// Detail is the cluster's own operation in a few words: "2/3 brokers done: batch 3/3 ...".
	Detail string `json:"detail,omitempty"`
}

// States of a cluster before it has an outcome.
const (
	StatePending = "pending"
	StateWaiting = "waiting"
	StateRunning = "running"
)

// ReadProgress reads the fleet operations in stateDir that are running (or ended less than
// keep ago), newest first.
func ReadProgress(stateDir string, keep time.Duration, now time.Time) ([]Progress, error) {
	entries, err := journal.List(stateDir, journal.Filter{Kind: Kind})
	if err != nil {
		return nil, err
	}
	var out []Progress
	for _, e := range entries {
		if e.Status != journal.StatusRunning && now.Sub(e.Updated) > keep {
			continue
		}
		out = append(out, progressOf(stateDir, e))
	}
	return out, nil
}

// progressOf replays a fleet operation's journal.
func progressOf(stateDir string, e *journal.Entry) Progress {
	var spec Spec
	_ = json.Unmarshal(e.Op.Args, &spec)
	p := Progress{Op: e.Op.ID, Kind: spec.Kind, Holder: e.Op.Holder, Started: e.Op.Created, Updated: e.Updated,
		Status: e.Status, Counts: map[string]int{}}
	state := map[string]*ClusterProgress{}
	for _, w := range spec.Waves {
		wp := WaveProgress{Wave: w, Clusters: make([]ClusterProgress, len(w.Clusters))}
		for i, name := range w.Clusters {
			wp.Clusters[i] = ClusterProgress{Cluster: name, State: StatePending}
		}
		p.Waves = append(p.Waves, wp)
	}
	for wi := range p.Waves {
		for i := range p.Waves[wi].Clusters {
			c := &p.Waves[wi].Clusters[i]
			state[c.Cluster] = c
		}
	}
	for _, raw := range e.Events {
		var ev Event
		if json.Unmarshal(raw, &ev) != nil {
			continue
		}
		for _, r := range ev.Results { // the run's end: clusters it never reached
			if c := state[r.Cluster]; c != nil && c.State == StatePending {
				c.State, c.Detail = r.Outcome, r.Message
			}
		}
		c := state[ev.Cluster]
		if c == nil {
			continue
		}
		switch ev.Kind {
		case EventWaiting:
			if c.State == StatePending {
				c.State, c.Detail = StateWaiting, ev.Message
			}
		case EventClusterStart:
			c.State, c.Op, c.Detail = StateRunning, ev.ClusterOp, ""
		case EventClusterDone:
			c.State, c.Detail = ev.Outcome, ev.Message
			if ev.ClusterOp != "" {
				c.Op = ev.ClusterOp
			}
		}
	}
	for _, c := range state {
		if c.State == StateRunning && c.Op != "" {
			if ce, err := journal.Load(stateDir, c.Op); err == nil {
				c.Detail = fmt.Sprintf("%d/%d brokers done: %s", len(ce.Done), len(ce.Op.Brokers), ce.Last)
			}
		}
		p.Counts[c.State]++
	}
	return p
}
