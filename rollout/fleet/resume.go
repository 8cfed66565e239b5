package fleet

import (
	"encoding/json"
	"fmt"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/journal"
)

// Load rebuilds the fleet operation a journal entry records, to resume it in the same waves:
// clusters it finished are skipped, those it left halted or interrupted resume their own
// operation, and those it had not started start now. clusters is the inventory's, by name.
func Load(e *journal.Entry, clusters map[string]*inventory.Cluster) (*Run, error) {
	if e.Op.Kind != Kind {
		return nil, fmt.Errorf("operation %s is a %s, not a fleet operation", e.Op.ID, e.Op.Kind)
	}
	var spec Spec
	if err := json.Unmarshal(e.Op.Args, &spec); err != nil {
		return nil, fmt.Errorf("fleet operation %s: journal settings unreadable: %w", e.Op.ID, err)
	}
	for _, name := range spec.clusters() {
		if clusters[name] == nil {
			return nil, fault.Usagef("fleet operation %s: cluster %s is no longer in the inventory", e.Op.ID, name)
		}
	}
	r := &Run{ID: e.Op.ID, Spec: spec, Clusters: clusters, Inventory: e.Op.Inventory, resuming: true,
		prior: map[string]ClusterResult{}}
	for _, raw := range e.Events {
		var ev Event
		if json.Unmarshal(raw, &ev) != nil || ev.Cluster == "" {
			continue
		}
		p := r.prior[ev.Cluster]
		switch ev.Kind {
		case EventClusterStart:
			p.Op = ev.ClusterOp
		case EventClusterDone:
			if ev.ClusterOp != "" {
				p.Op = ev.ClusterOp
			}
			p.Outcome = ev.Outcome
		default:
			continue
		}
		r.prior[ev.Cluster] = p
	}
	return r, nil
}

// Summary reads a fleet operation's journal entry for history: the clusters' operation kind,
// and how many of its clusters are done.
func Summary(e *journal.Entry) (kind string, done, total int) {
	var spec Spec
	if json.Unmarshal(e.Op.Args, &spec) == nil {
		kind = spec.Kind
	}
	last := map[string]string{}
	for _, raw := range e.Events {
		var ev Event
		if json.Unmarshal(raw, &ev) == nil && ev.Kind == EventClusterDone {
			last[ev.Cluster] = ev.Outcome
		}
	}
	for _, o := range last {
		if o == OutcomeDone {
			done++
		}
	}
	return kind, done, len(e.Op.Clusters)
}
