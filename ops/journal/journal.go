// Package journal is kfleet's write-ahead record of operations: one JSON-lines file per operation
// in the state dir, the operation's record (what it was asked to do) first, then every event,
// synced line by line, so that a run killed at any point can be inspected and resumed.
//
// It knows nothing of Kafka, hosts or any one operation: an operation kind writes its own events
// (any value with the keys time, op, cluster, event, message) and reads them back from an Entry.
// It may import only the standard library.
package journal

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Record is what an operation was asked to do: the first line of its journal, and all that
// resume needs to run it again.
type Record struct {
	ID      string `json:"id"`
	Kind    string `json:"kind"` // restart, deploy, reassign, ...
	Cluster string `json:"cluster"`
	// Parent is the operation that owns this one (a fleet run owns its clusters' operations).
	Parent    string    `json:"parent,omitempty"`
	Inventory string    `json:"inventory"`
	Brokers   []int32   `json:"brokers"`
	Created   time.Time `json:"created"`
	Holder    string    `json:"holder"`
	// Args are the operation's own settings (max parallel, timeouts, hooks), replayed by resume.
	Args json.RawMessage `json:"args,omitempty"`
}

// line is one line of a journal file: the record first, then events.
type line struct {
	Op    *Record `json:"op,omitempty"`
	Event any     `json:"event,omitempty"`
}

// Journal appends an operation's events to <state-dir>/ops/<op-id>.jsonl.
type Journal struct {
	mu   sync.Mutex
	f    *os.File
	path string
}

// NewID names an operation: op-YYYYMMDD-HHMMSS-xxxxxxxxxx (UTC and 40 random bits), so that
// dozens of clusters starting in the same second do not collide.
func NewID(now time.Time) string {
	var b [5]byte
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

// Path is where the journal of operation id lives.
func Path(stateDir, id string) string {
	return filepath.Join(stateDir, "ops", id+".jsonl")
}

// Create starts the journal of a new operation; an id already journaled is refused.
func Create(stateDir string, rec Record) (*Journal, error) {
	if err := os.MkdirAll(filepath.Join(stateDir, "ops"), 0o700); err != nil {
		return nil, fmt.Errorf("state dir: %w", err)
	}
	p := Path(stateDir, rec.ID)
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	j := &Journal{f: f, path: p}
	if err := j.write(line{Op: &rec}); err != nil {
		f.Close()
		return nil, err
	}
	return j, nil
}

// Reopen continues an existing operation's journal (resume).
func Reopen(stateDir, id string) (*Journal, error) {
	p := Path(stateDir, id)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal of %s: %w", id, err)
	}
	return &Journal{f: f, path: p}, nil
}

// Path is where the journal is written.
func (j *Journal) Path() string { return j.path }

// Append appends one event: any value that marshals to an object with the event keys.
func (j *Journal) Append(event any) error {
	return j.write(line{Event: event})
}

func (j *Journal) write(l line) error {
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
