package reassign

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"
)

// StatusReport is what `kfleet reassign status` shows of a cluster: every reassignment in
// flight, whoever started it, with its progress, and the kfleet reassignments of this state dir
// that are not over (with the throttles they still have set).
type StatusReport struct {
	Cluster string `json:"cluster" yaml:"cluster"`
	// Error says why the cluster could not be read (a read of many clusters reports each); the
	// counts are then zero and the lists empty.
	Error           string     `json:"error,omitempty" yaml:"error,omitempty"`
	UnderReplicated int        `json:"under_replicated" yaml:"under_replicated"`
	UnderMinISR     int        `json:"under_min_isr" yaml:"under_min_isr"`
	Offline         int        `json:"offline" yaml:"offline"`
	InFlight        []InFlight `json:"in_flight" yaml:"in_flight"`
	Operations      []OpStatus `json:"operations" yaml:"operations"`
	Warnings        []string   `json:"warnings,omitempty" yaml:"warnings,omitempty"`
}

// InFlight is one reassignment in flight.
type InFlight struct {
	TopicPartition `yaml:",inline"`
	Replicas       []int32 `json:"replicas" yaml:"replicas"`
	Adding         []int32 `json:"adding" yaml:"adding"`
	Removing       []int32 `json:"removing" yaml:"removing"`
	Bytes          int64   `json:"bytes" yaml:"bytes"`     // the largest existing replica; -1 unknown
	Copied         int64   `json:"copied" yaml:"copied"`   // the least advanced new replica; -1 unknown
	Percent        float64 `json:"percent" yaml:"percent"` // -1 unknown
	Op             string  `json:"op" yaml:"op"`           // the kfleet operation that started it; "" if none of this state dir
}

// OpStatus is a kfleet reassignment of this state dir that is not over.
type OpStatus struct {
	ID        string    `json:"id" yaml:"id"`
	Status    string    `json:"status" yaml:"status"` // running (or died), halted, interrupted, cancelled
	Created   time.Time `json:"created" yaml:"created"`
	Moves     int       `json:"moves" yaml:"moves"`
	Done      int       `json:"done" yaml:"done"`
	Running   int       `json:"running" yaml:"running"` // submitted and not known finished, per the journal
	Throttles Throttles `json:"throttles" yaml:"throttles"`
	Last      string    `json:"last" yaml:"last"`
}

func opStatus(oj *OpJournal) string {
	switch {
	case oj.Cancelled:
		return "cancelled"
	case oj.Ended == "":
		return "running"
	case oj.Ended == EventHalted:
		return "halted"
	case oj.Ended == EventFinished:
		return "done"
	}
	return "interrupted"
}

// Unread is the report of a cluster that could not be read: why, and nothing else.
func Unread(cluster string, err error) *StatusReport {
	return &StatusReport{Cluster: cluster, Error: err.Error(), InFlight: []InFlight{}, Operations: []OpStatus{}}
}

// Status reads the cluster and the state dir; it changes nothing.
func Status(ctx context.Context, k Kafka, stateDir, cluster string) (*StatusReport, error) {
	snap, err := k.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	r := &StatusReport{Cluster: cluster, UnderReplicated: snap.Counts.UnderReplicated, UnderMinISR: snap.Counts.UnderMinISR,
		Offline: snap.Counts.Offline, InFlight: []InFlight{}, Operations: []OpStatus{}}
	r.Warnings = append(r.Warnings, snap.Warnings...)

	owner := map[TopicPartition]string{}
	journals, err := ListJournals(stateDir, cluster)
	if err != nil {
		r.Warnings = append(r.Warnings, "state dir: "+err.Error())
	}
	for _, oj := range journals {
		left := oj.Throttles.Outstanding()
		running := oj.Running()
		if left.Empty() && len(running) == 0 && (oj.Ended == EventFinished || oj.Cancelled) {
			continue // over
		}
		for _, tp := range running {
			owner[tp] = oj.Op.ID
		}
		r.Operations = append(r.Operations, OpStatus{ID: oj.Op.ID, Status: opStatus(oj), Created: oj.Op.Created,
			Moves: len(oj.Args.Moves), Done: len(oj.Done), Running: len(running), Throttles: left, Last: oj.Last})
	}

	alive := map[int32]bool{}
	for _, b := range snap.Brokers {
		alive[b.ID] = b.Alive()
	}
	var tps []TopicPartition
	brokers := map[int32]bool{}
	for _, re := range snap.Reassignments {
		tp := TopicPartition{re.Topic, re.Partition}
		tps = append(tps, tp)
		for _, b := range re.Replicas {
			if alive[b] {
				brokers[b] = true
			}
		}
		r.InFlight = append(r.InFlight, InFlight{TopicPartition: tp, Replicas: brokerIDs(re.Replicas), Adding: brokerIDs(re.Adding),
			Removing: brokerIDs(re.Removing), Bytes: -1, Copied: -1, Percent: -1, Op: owner[tp]})
	}
	if len(tps) > 0 {
		var ids []int32
		for b := range brokers {
			ids = append(ids, b)
		}
		slices.Sort(ids)
		sctx, cancel := context.WithTimeout(ctx, sizesTimeout)
		sizes, err := k.ReplicaSizes(sctx, ids, tps)
		cancel()
		if err != nil {
			r.Warnings = append(r.Warnings, "replica sizes unknown: "+err.Error())
		}
		for i := range r.InFlight {
			f := &r.InFlight[i]
			fillProgress(f, sizes)
		}
	}
	slices.SortFunc(r.InFlight, func(a, b InFlight) int {
		return cmp.Or(strings.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
	return r, nil
}

// brokerIDs is a broker list as -o json prints it: [] when Kafka sent none (a move that only adds
// replicas removes none), never null.
func brokerIDs(s []int32) []int32 {
	if s == nil {
		return []int32{}
	}
	return s
}

// fillProgress compares the new replicas with the largest old one.
func fillProgress(f *InFlight, sizes map[int32]map[TopicPartition]int64) {
	var have bool
	for _, b := range f.Replicas {
		if slices.Contains(f.Adding, b) {
			continue
		}
		if s, ok := sizes[b][f.TopicPartition]; ok {
			f.Bytes, have = max(f.Bytes, s), true
		}
	}
	if !have {
		return
	}
	copied := int64(-1)
	for _, a := range f.Adding {
		s, ok := sizes[a][f.TopicPartition]
		if !ok {
			return
		}
		if copied < 0 || s < copied {
			copied = s
		}
	}
	if copied < 0 {
		return
	}
	f.Copied = min(copied, f.Bytes)
	f.Percent = 100
	if f.Bytes > 0 {
		f.Percent = float64(f.Copied) * 100 / float64(f.Bytes)
	}
}
