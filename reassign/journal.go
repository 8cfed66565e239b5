package reassign

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/kfleet/kfleet/ops/journal"
)

// Kind is the operation kind in the journal and in `kfleet history`.
const Kind = "reassign"

// Event kinds of a reassignment. The terminal ones are the journal's, so `kfleet history` shows
// a reassignment's status like any other operation's.
const (
	EventPlan            = journal.EventPlan
	EventSubmitted       = "submitted"
	EventSubmitFailed    = "submit-failed"
	EventThrottleSet     = "throttle-set"
	EventThrottleRemoved = "throttle-removed"
	EventDone            = "done"
	EventReverted        = "reverted" // cancelled by someone: replicas back to what they were
	EventProgress        = "progress"
	EventWarning         = "warning"
	EventElect           = "elect-leaders"
	EventCancelRequested = "cancel-requested"
	EventCancelled       = "cancelled"
	EventOrderRestored   = "order-restored"
	EventFinished        = journal.EventFinished
	EventHalted          = journal.EventHalted
	EventInterrupted     = journal.EventInterrupted
	EventAborted         = journal.EventAborted
)

// Event is one thing a reassignment did: the same value goes to the terminal, the JSON event
// stream (-o json, one per line), the journal and (milestones) the cluster's event log. Its
// time, op, cluster, event and message keys are every operation's, so history reads it.
type Event struct {
	Time       time.Time        `json:"time"`
	Op         string           `json:"op"`
	Cluster    string           `json:"cluster"`
	Kind       string           `json:"event"`
	Message    string           `json:"message,omitempty"`
	Partitions []TopicPartition `json:"partitions,omitempty"`
	Throttles  *Throttles       `json:"throttles,omitempty"`
	Progress   *Progress        `json:"progress,omitempty"`
}

// Progress is how far a run is.
type Progress struct {
	Partitions int     `json:"partitions"`
	Done       int     `json:"done"`
	InFlight   int     `json:"in_flight"`
	Failed     int     `json:"failed,omitempty"`
	Bytes      int64   `json:"bytes"`      // to copy in all; 0 when sizes are unknown
	BytesDone  int64   `json:"bytes_done"` // copied so far (finished moves and in-flight replicas)
	Rate       float64 `json:"rate_bytes_per_s"`
	ETA        float64 `json:"eta_s"` // -1 when unknown
}

// Settings are apply's own settings, journaled so resume replays them.
type Settings struct {
	MaxMoves     int           `json:"max_moves"`
	MaxPerBroker int           `json:"max_moves_per_broker"`
	Throttle     int64         `json:"throttle"` // bytes/s; 0: none
	Timeout      time.Duration `json:"timeout"`
	Poll         time.Duration `json:"poll"`
	NoWait       bool          `json:"no_wait"`
	Additional   bool          `json:"additional"`
	LeaseTTL     time.Duration `json:"lease_ttl"`
	LeaseWait    time.Duration `json:"lease_wait"`
}

// Args is what a reassignment was asked to do: the journal's op record carries it.
type Args struct {
	Source   string   `json:"source"` // "auto" or the plan file
	From     []int32  `json:"from_brokers,omitempty"`
	Settings Settings `json:"settings"`
	// SizesKnown says the moves' bytes are real sizes (0 is an empty partition, not unknown).
	SizesKnown bool   `json:"sizes_known"`
	Moves      []Move `json:"moves"`
}

// Journal appends a reassignment's events to its operation journal. It also notices a cancel
// requested by another process (kfleet reassign cancel) through it.
type Journal struct {
	j    *journal.Journal
	mu   sync.Mutex
	seen int64 // bytes read back by CancelRequested
}

// CreateJournal starts the journal of a new reassignment.
func CreateJournal(stateDir string, rec journal.Record) (*Journal, error) {
	rj, err := journal.Create(stateDir, rec)
	if err != nil {
		return nil, err
	}
	return newJournal(rj), nil
}

// OpenJournal continues an existing operation's journal.
func OpenJournal(stateDir, id string) (*Journal, error) {
	rj, err := journal.Reopen(stateDir, id)
	if err != nil {
		return nil, err
	}
	return newJournal(rj), nil
}

// Wrap continues a journal opened by the operation's guard.
func Wrap(rj *journal.Journal) *Journal { return newJournal(rj) }

func newJournal(rj *journal.Journal) *Journal {
	j := &Journal{j: rj}
	if st, err := os.Stat(rj.Path()); err == nil {
		j.seen = st.Size() // a cancel requested before this run does not stop it
	}
	return j
}

// Path is where the journal is written.
func (j *Journal) Path() string { return j.j.Path() }

// Record appends one event.
func (j *Journal) Record(e Event) error { return j.j.Append(e) }

// FlushIntent waits, bounded by journal.IntentFlush, until the cluster's copy of the journal has
// every line recorded so far: a submission journaled here must be in the cluster before it is
// sent, or a resume from another machine would take the moves for someone else's.
func (j *Journal) FlushIntent(ctx context.Context) error { return j.j.FlushIntent(ctx) }

// Close closes the file.
func (j *Journal) Close() error { return j.j.Close() }

// CancelRequested reads what was appended since the last call and reports whether someone
// (kfleet reassign cancel, from another process) asked this operation to stop.
func (j *Journal) CancelRequested() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	f, err := os.Open(j.Path())
	if err != nil {
		return false
	}
	defer f.Close()
	if _, err := f.Seek(j.seen, io.SeekStart); err != nil {
		return false
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return false
	}
	end := bytes.LastIndexByte(data, '\n')
	if end < 0 {
		return false
	}
	j.seen += int64(end + 1)
	found := false
	for line := range bytes.SplitSeq(data[:end], []byte("\n")) {
		var l struct {
			Event *Event `json:"event"`
		}
		if json.Unmarshal(line, &l) == nil && l.Event != nil && l.Event.Kind == EventCancelRequested {
			found = true
		}
	}
	return found
}

// OpJournal is a reassignment as its journal tells it.
type OpJournal struct {
	Op        journal.Record
	Args      Args
	Events    []Event
	Submitted map[TopicPartition]bool
	Done      map[TopicPartition]bool
	Reverted  map[TopicPartition]bool
	Failed    map[TopicPartition]bool
	Throttles *Throttler // the throttles set and not removed, per the journal (no Kafka attached)
	Cancelled bool       // reassign cancel ran on it
	Ended     string     // the last terminal event: finished, halted, interrupted, aborted; "" while running
	Last      string
	moveIdx   map[TopicPartition]int
}

// ErrNotReassign says the operation is not a reassignment.
var ErrNotReassign = errors.New("not a reassignment")

// LoadJournal reads a reassignment's journal.
func LoadJournal(stateDir, id string) (*OpJournal, error) {
	e, err := journal.Load(stateDir, id)
	if err != nil {
		return nil, err
	}
	return readJournal(e)
}

func readJournal(e *journal.Entry) (*OpJournal, error) {
	id := e.Op.ID
	if e.Op.Kind != Kind {
		return nil, fmt.Errorf("operation %s is a %s: %w", id, e.Op.Kind, ErrNotReassign)
	}
	oj := &OpJournal{Op: e.Op, Submitted: map[TopicPartition]bool{}, Done: map[TopicPartition]bool{},
		Reverted: map[TopicPartition]bool{}, Failed: map[TopicPartition]bool{}, Throttles: &Throttler{}}
	oj.Throttles.init()
	if err := json.Unmarshal(e.Op.Args, &oj.Args); err != nil {
		return nil, fmt.Errorf("journal %s: settings unreadable: %w", id, err)
	}
	for _, raw := range e.Events {
		var ev Event
		if json.Unmarshal(raw, &ev) == nil {
			oj.apply(ev)
		}
	}
	return oj, nil
}

func (oj *OpJournal) apply(e Event) {
	oj.Events = append(oj.Events, e)
	if e.Message != "" {
		oj.Last = e.Message
	}
	mark := func(m map[TopicPartition]bool) {
		for _, tp := range e.Partitions {
			m[tp] = true
		}
	}
	t := oj.Throttles
	switch e.Kind {
	case EventSubmitted:
		mark(oj.Submitted)
	case EventSubmitFailed:
		mark(oj.Failed)
	case EventDone:
		mark(oj.Done)
	case EventReverted:
		mark(oj.Reverted)
	case EventThrottleSet:
		if e.Throttles != nil {
			t.Restore(*e.Throttles)
			t.Rate = e.Throttles.Rate
		}
	case EventThrottleRemoved:
		if e.Throttles != nil {
			for _, en := range e.Throttles.Entries {
				delete(t.entries, en)
			}
			for _, b := range e.Throttles.Brokers {
				delete(t.rated, b)
			}
		}
	case EventCancelled:
		oj.Cancelled = true
		mark(oj.Reverted)
	case EventFinished, EventHalted, EventInterrupted, EventAborted:
		oj.Ended = e.Kind
	}
}

// Running lists the partitions submitted and not known to be finished, per the journal.
func (oj *OpJournal) Running() []TopicPartition {
	var out []TopicPartition
	for _, m := range oj.Args.Moves {
		tp := m.TopicPartition
		if oj.Submitted[tp] && !oj.Done[tp] && !oj.Reverted[tp] && !oj.Failed[tp] {
			out = append(out, tp)
		}
	}
	return out
}

// Move returns the journaled move of tp.
func (oj *OpJournal) Move(tp TopicPartition) (*Move, bool) {
	if oj.moveIdx == nil {
		oj.moveIdx = make(map[TopicPartition]int, len(oj.Args.Moves))
		for i, m := range oj.Args.Moves {
			oj.moveIdx[m.TopicPartition] = i
		}
	}
	i, ok := oj.moveIdx[tp]
	if !ok {
		return nil, false
	}
	return &oj.Args.Moves[i], true
}

// ListJournals reads the reassignments journaled in the state dir for cluster, newest first.
func ListJournals(stateDir, cluster string) ([]*OpJournal, error) {
	entries, err := journal.List(stateDir, journal.Filter{Clusters: []string{cluster}, Kind: Kind})
	if err != nil {
		return nil, err
	}
	var out []*OpJournal
	for _, e := range entries {
		oj, err := readJournal(e)
		if err != nil {
			continue
		}
		out = append(out, oj)
	}
	return out, nil
}
