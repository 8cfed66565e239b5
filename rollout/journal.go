package rollout

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// OpRecord is what an operation was asked to do: the first line of its journal, and all that
// resume needs to run it again.
type OpRecord struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"` // restart, ...
	Cluster   string    `json:"cluster"`
	Inventory string    `json:"inventory"`
	Brokers   []int32   `json:"brokers"`
	Created   time.Time `json:"created"`
	Holder    string    `json:"holder"`
	// Args are the operation's own settings (max parallel, timeouts, hooks), replayed by resume.
	Args json.RawMessage `json:"args,omitempty"`
}

// journalLine is one line of a journal file: the op record first, then events.
type journalLine struct {
	Op    *OpRecord `json:"op,omitempty"`
	Event *Event    `json:"event,omitempty"`
}

// Journal appends an operation's plan and every step to <state-dir>/ops/<op-id>.jsonl, synced
// line by line, so an interrupted run can be inspected and resumed.
type Journal struct {
	mu   sync.Mutex
	f    *os.File
	path string
}

// NewOpID names an operation: op-YYYYMMDD-HHMMSS-xxxx (UTC, random suffix).
func NewOpID(now time.Time) string {
	var b [2]byte
	_, _ = rand.Read(b[:])
	return "op-" + now.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}

// DefaultStateDir is $XDG_STATE_HOME/kfleet, else ~/.local/state/kfleet.
func DefaultStateDir() string {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "kfleet")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ".kfleet-state"
	}
	return filepath.Join(home, ".local", "state", "kfleet")
}

func journalPath(stateDir, id string) string {
	return filepath.Join(stateDir, "ops", id+".jsonl")
}

// CreateJournal starts the journal of a new operation.
func CreateJournal(stateDir string, rec OpRecord) (*Journal, error) {
	if err := os.MkdirAll(filepath.Join(stateDir, "ops"), 0o700); err != nil {
		return nil, fmt.Errorf("state dir: %w", err)
	}
	p := journalPath(stateDir, rec.ID)
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	j := &Journal{f: f, path: p}
	if err := j.write(journalLine{Op: &rec}); err != nil {
		f.Close()
		return nil, err
	}
	return j, nil
}

// ReopenJournal continues an existing operation's journal (resume).
func ReopenJournal(stateDir, id string) (*Journal, error) {
	p := journalPath(stateDir, id)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal of %s: %w", id, err)
	}
	return &Journal{f: f, path: p}, nil
}

// Path is where the journal is written.
func (j *Journal) Path() string { return j.path }

// Record appends one event.
func (j *Journal) Record(e Event) error { return j.Append(e) }

// Append appends one event of an operation kind with events of its own (reassign): any value
// that marshals to an object with the event keys (time, op, event, message) history reads.
func (j *Journal) Append(event any) error {
	return j.write(struct {
		Event any `json:"event"`
	}{event})
}

func (j *Journal) write(l any) error {
	data, err := json.Marshal(l)
	if err != nil {
		return err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, err := j.f.Write(append(data, '\n')); err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	return j.f.Sync()
}

// Close closes the file.
func (j *Journal) Close() error { return j.f.Close() }

// Op statuses as history shows them.
const (
	OpRunning     = "running" // no end recorded: still running, or the process died
	OpDone        = "done"
	OpHalted      = "halted"
	OpInterrupted = "interrupted"
)

// OpState is an operation as its journal tells it.
type OpState struct {
	Op      OpRecord `json:"op"`
	Status  string   `json:"status"`
	Done    []int32  `json:"done"`    // brokers whose batch finished
	Pending []int32  `json:"pending"` // brokers not yet done
	// InFlight are brokers of a batch that started and did not finish, with their process
	// before the stop (if the stop was reached).
	InFlight map[int32]*processBefore `json:"-"`
	Updated  time.Time                `json:"updated"`
	Last     string                   `json:"last"` // the last message
	Events   []Event                  `json:"-"`
}

type processBefore struct {
	PID        int
	StartTicks uint64
	Known      bool
}

// ErrNoSuchOp is returned for an unknown operation id.
var ErrNoSuchOp = errors.New("no such operation")

// LoadOp reads one operation's journal.
func LoadOp(stateDir, id string) (*OpState, error) {
	if strings.ContainsAny(id, `/\`) || id == "" {
		return nil, fmt.Errorf("%w: %q", ErrNoSuchOp, id)
	}
	f, err := os.Open(journalPath(stateDir, id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s (journals are in %s)", ErrNoSuchOp, id, filepath.Join(stateDir, "ops"))
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st := &OpState{InFlight: map[int32]*processBefore{}}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	line := 0
	for sc.Scan() {
		line++
		var l journalLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			// A torn last line (crash mid-write) is expected; anything else is not.
			if line > 1 {
				continue
			}
			return nil, fmt.Errorf("journal %s line %d: %w", id, line, err)
		}
		switch {
		case l.Op != nil:
			st.Op = *l.Op
		case l.Event != nil:
			st.apply(*l.Event)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("journal %s: %w", id, err)
	}
	if st.Op.ID == "" {
		return nil, fmt.Errorf("journal %s has no operation record", id)
	}
	if st.Status == "" {
		st.Status = OpRunning
	}
	for _, b := range st.Op.Brokers {
		if !slices.Contains(st.Done, b) {
			st.Pending = append(st.Pending, b)
		}
	}
	return st, nil
}

func (st *OpState) apply(e Event) {
	st.Events = append(st.Events, e)
	st.Updated = e.Time
	if e.Message != "" {
		st.Last = e.Message
	}
	switch e.Kind {
	case EventBatchStart:
		for _, b := range e.Brokers {
			st.InFlight[b] = &processBefore{}
		}
		st.Status = OpRunning
	case EventStep:
		if e.Step == StepStop && e.Status == StatusStarted {
			for id, p := range e.Before {
				if pb := st.InFlight[id]; pb != nil && p.Running {
					*pb = processBefore{PID: p.PID, StartTicks: p.StartTicks, Known: true}
				}
			}
		}
	case EventBatchDone:
		for _, b := range e.Brokers {
			delete(st.InFlight, b)
			if !slices.Contains(st.Done, b) {
				st.Done = append(st.Done, b)
			}
		}
	case EventFinished:
		st.Status = OpDone
	case EventHalted:
		st.Status = OpHalted
	case EventInterrupted, EventAborted:
		st.Status = OpInterrupted
	}
}

// ListOps reads every journal in the state dir, newest first.
func ListOps(stateDir string) ([]*OpState, error) {
	entries, err := os.ReadDir(filepath.Join(stateDir, "ops"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*OpState
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".jsonl")
		if !ok {
			continue
		}
		st, err := LoadOp(stateDir, id)
		if err != nil {
			continue
		}
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b *OpState) int { return b.Op.Created.Compare(a.Op.Created) })
	return out, nil
}
