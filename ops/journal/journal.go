// Package journal is kfleet's write-ahead record of operations: one JSON-lines file per operation
// in the state dir, the operation's record (what it was asked to do) first, then every event,
// synced line by line, so that a run killed at any point can be inspected and resumed.
//
// It knows nothing of Kafka, hosts or any one operation: an operation kind writes its own events
// (any value with the keys time, op, cluster, event, message) and reads them back from an Entry.
// It may import only the standard library.
package journal

import (
	"bufio"
	"context"
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
	Parent string `json:"parent,omitempty"`
	// Clusters are a fleet operation's clusters (Cluster is then empty).
	Clusters  []string  `json:"clusters,omitempty"`
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
	mu     sync.Mutex
	f      *os.File
	path   string
	head   []byte // the record line
	mirror Mirror
}

// Mirror receives a copy of every line once it is on disk: the cluster's ops log keeps one, so
// that another operator can see and resume the operation when this machine is gone.
type Mirror interface {
	// Mirror queues one line; it must not block on the network.
	Mirror(line []byte)
	// Flush waits until every line queued so far is written, or ctx ends.
	Flush(ctx context.Context) error
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

// Adopt writes a local journal from lines read elsewhere (the cluster's ops log), so that an
// operation started on another machine can be resumed here; an id already journaled here is
// refused. The first line must be the operation's record.
func Adopt(stateDir string, lines [][]byte) error {
	if len(lines) == 0 {
		return fmt.Errorf("journal: nothing to adopt")
	}
	var first line
	if err := json.Unmarshal(lines[0], &first); err != nil || first.Op == nil || first.Op.ID == "" {
		return fmt.Errorf("journal: the first line to adopt is not an operation record")
	}
	if err := os.MkdirAll(filepath.Join(stateDir, "ops"), 0o700); err != nil {
		return fmt.Errorf("state dir: %w", err)
	}
	p := Path(stateDir, first.Op.ID)
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	w := bufio.NewWriter(f)
	for _, l := range lines {
		w.Write(l)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("journal %s: %w", p, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("journal %s: %w", p, err)
	}
	return f.Close()
}

// Reopen continues an existing operation's journal (resume).
func Reopen(stateDir, id string) (*Journal, error) {
	p := Path(stateDir, id)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal of %s: %w", id, err)
	}
	j := &Journal{f: f, path: p}
	if r, err := os.Open(p); err == nil {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64*1024), 64<<20)
		if sc.Scan() {
			j.head = append([]byte(nil), sc.Bytes()...)
		}
		r.Close()
	}
	return j, nil
}

// MirrorTo sends every line written from now on to m as well, starting with the operation's
// record (again, on a resumed journal: the cluster's copy may have aged out).
func (j *Journal) MirrorTo(m Mirror) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.mirror = m
	if j.head != nil {
		m.Mirror(j.head)
	}
}

// IntentFlush bounds how long a change waits for its journaled intent to reach the mirror; the
// local journal already has it, so a slow mirror only delays a change, never blocks it.
const IntentFlush = 5 * time.Second

// FlushIntent is Flush bounded by IntentFlush: an operation calls it after journaling the intent
// of a step that changes a broker, a file or a config, and before the change.
func (j *Journal) FlushIntent(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, IntentFlush)
	defer cancel()
	return j.Flush(ctx)
}

// Flush waits (bounded by ctx) until the mirror holds every line written so far.
func (j *Journal) Flush(ctx context.Context) error {
	j.mu.Lock()
	m := j.mirror
	j.mu.Unlock()
	if m == nil {
		return nil
	}
	return m.Flush(ctx)
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
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	if l.Op != nil {
		j.head = data
	}
	if j.mirror != nil {
		j.mirror.Mirror(data)
	}
	return nil
}

// Close closes the file.
func (j *Journal) Close() error { return j.f.Close() }
