package journal

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Event kinds every operation shares: history reads an operation's status from them.
const (
	EventPlan        = "plan"
	EventBatchStart  = "batch-start"
	EventBatchDone   = "batch-done"
	EventHalted      = "halted"
	EventInterrupted = "interrupted"
	EventAborted     = "aborted"
	EventFinished    = "finished"
	// EventRefused: the run was refused with nothing changed by it (the lease held, the safety
	// gate closed): exit 75. EventFailed: it ended before it changed anything for another reason
	// (an ACL, an unreachable host or cluster).
	EventRefused = "refused"
	EventFailed  = "failed"
)

// Statuses as history shows them: how the operation's last run ended, in the words of its exit
// code (done 0, halted and failed 1, refused 75, interrupted and aborted 130).
const (
	StatusRunning     = "running" // no end recorded: still running, or the process died
	StatusDone        = "done"
	StatusHalted      = "halted"      // a step failed mid-way; resume continues
	StatusRefused     = "refused"     // nothing was changed: the lease or the gate said no
	StatusInterrupted = "interrupted" // Ctrl-C: the step under way finished
	StatusAborted     = "aborted"     // a second Ctrl-C cut a step short
	// StatusFailed (a step status too, "failed"): ended before any change, not refused.
)

// Statuses lists every status, for flags and docs.
var Statuses = []string{StatusRunning, StatusDone, StatusHalted, StatusRefused, StatusInterrupted, StatusAborted, StatusFailed}

// kindNames are the names history gives the kinds operations journal under (the journal keeps
// its kind, which resume looks up); a kind not listed is its own name.
var kindNames = map[string]string{
	"config":   "config-apply",
	"patch":    "patch-run",
	"reassign": "reassign-apply",
}

// KindName is the name history shows for a journaled kind: restart, deploy, rollback, finalize,
// config-apply, patch-run, patch-hook, reassign-apply, reassign-cancel, zookeeper-restart, fleet.
func KindName(kind string) string {
	if n, ok := kindNames[kind]; ok {
		return n
	}
	return kind
}

// ErrNoSuchOp is returned for an unknown operation id.
var ErrNoSuchOp = errors.New("no such operation")

// Entry is an operation as its journal tells it.
type Entry struct {
	Op Record `json:"op"`
	// Kind is the operation's name in history (KindName of Op.Kind).
	Kind    string    `json:"kind"`
	Status  string    `json:"status"`
	Done    []int32   `json:"done"`    // brokers whose batch finished
	Pending []int32   `json:"pending"` // brokers not yet done
	Updated time.Time `json:"updated"`
	Last    string    `json:"last"` // the last message
	// Events are the raw event lines, in order, for the operation kind's own reading.
	Events []json.RawMessage `json:"-"`
}

// MarshalJSON writes Done and Pending as lists, [] when empty (history -o json's contract).
func (e Entry) MarshalJSON() ([]byte, error) {
	type plain Entry
	p := plain(e)
	if p.Done == nil {
		p.Done = []int32{}
	}
	if p.Pending == nil {
		p.Pending = []int32{}
	}
	if p.Op.Brokers == nil {
		p.Op.Brokers = []int32{}
	}
	return json.Marshal(p)
}

// header is what every event carries.
type header struct {
	Time    time.Time `json:"time"`
	Kind    string    `json:"event"`
	Message string    `json:"message"`
	Brokers []int32   `json:"brokers"`
}

type rawLine struct {
	Op    *Record         `json:"op,omitempty"`
	Event json.RawMessage `json:"event,omitempty"`
}

// Load reads one operation's journal.
func Load(stateDir, id string) (*Entry, error) {
	if strings.ContainsAny(id, `/\`) || id == "" {
		return nil, fmt.Errorf("%w: %q", ErrNoSuchOp, id)
	}
	f, err := os.Open(Path(stateDir, id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s (journals are in %s)", ErrNoSuchOp, id, filepath.Join(stateDir, "ops"))
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	e := &Entry{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 256*1024*1024)
	n := 0
	for sc.Scan() {
		n++
		var l rawLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			// A torn last line (crash mid-write) is expected; anything else is not.
			if n > 1 {
				continue
			}
			return nil, fmt.Errorf("journal %s line %d: %w", id, n, err)
		}
		switch {
		case l.Op != nil:
			e.Op = *l.Op
		case len(l.Event) > 0:
			var h header
			if json.Unmarshal(l.Event, &h) != nil {
				continue
			}
			e.Events = append(e.Events, l.Event)
			e.apply(h)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("journal %s: %w", id, err)
	}
	if e.Op.ID == "" {
		return nil, fmt.Errorf("journal %s has no operation record", id)
	}
	if e.Status == "" {
		e.Status = StatusRunning
	}
	e.Kind = KindName(e.Op.Kind)
	for _, b := range e.Op.Brokers {
		if !slices.Contains(e.Done, b) {
			e.Pending = append(e.Pending, b)
		}
	}
	return e, nil
}

func (e *Entry) apply(h header) {
	e.Updated = h.Time
	if h.Message != "" {
		e.Last = h.Message
	}
	switch h.Kind {
	case EventBatchStart:
		e.Status = StatusRunning
	case EventBatchDone:
		for _, b := range h.Brokers {
			if !slices.Contains(e.Done, b) {
				e.Done = append(e.Done, b)
			}
		}
	case EventFinished:
		e.Status = StatusDone
	case EventHalted:
		e.Status = StatusHalted
	case EventRefused:
		e.Status = StatusRefused
	case EventFailed:
		e.Status = StatusFailed
	case EventInterrupted:
		e.Status = StatusInterrupted
	case EventAborted:
		e.Status = StatusAborted
	}
}

// Filter selects operations; an empty field matches any.
type Filter struct {
	Clusters []string // any of these clusters
	Kind     string   // the journaled kind or its history name (KindName)
	Parent   string
	Status   string // how it ended (Statuses); matched once the journal is read
}

func (f Filter) match(r Record) bool {
	inCluster := len(f.Clusters) == 0 || slices.Contains(f.Clusters, r.Cluster) ||
		slices.ContainsFunc(r.Clusters, func(c string) bool { return slices.Contains(f.Clusters, c) })
	return inCluster &&
		(f.Kind == "" || r.Kind == f.Kind || KindName(r.Kind) == f.Kind) && (f.Parent == "" || r.Parent == f.Parent)
}

// List reads the journals in the state dir that match f, newest first.
func List(stateDir string, f Filter) ([]*Entry, error) {
	entries, err := os.ReadDir(filepath.Join(stateDir, "ops"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*Entry
	for _, de := range entries {
		id, ok := strings.CutSuffix(de.Name(), ".jsonl")
		if !ok {
			continue
		}
		e, err := Load(stateDir, id)
		if err != nil || !f.match(e.Op) || (f.Status != "" && e.Status != f.Status) {
			continue
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b *Entry) int { return b.Op.Created.Compare(a.Op.Created) })
	return out, nil
}
