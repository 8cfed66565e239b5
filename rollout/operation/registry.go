package operation

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/journal"
)

// Resumer rebuilds a journaled operation of one kind so that it continues where it stopped.
// dryRun asks only for what it would still do.
type Resumer func(ctx context.Context, c *inventory.Cluster, d Deps, e *journal.Entry) (Operation, error)

// Starter builds a new operation of one kind on cluster c from its settings as a fleet run
// records them (args): what the command line would have built for one cluster. Settings the
// inventory adds per cluster (its hooks) are added by the starter, not recorded in args.
type Starter func(ctx context.Context, c *inventory.Cluster, d Deps, args json.RawMessage) (Operation, error)

var (
	mu       sync.RWMutex
	resumers = map[string]Resumer{}
	starters = map[string]Starter{}
	settings = map[string]func(json.RawMessage) (any, error){}
)

// RegisterSettings says how the settings a kind journals (the op record's args) are read, so
// that they can be shown with their durations as text (history -o json); see DecodeInto.
func RegisterSettings(kind string, decode func(json.RawMessage) (any, error)) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := settings[kind]; dup {
		panic("operation: settings of kind " + kind + " registered twice")
	}
	settings[kind] = decode
}

// StartArgsKind is the key a kind registers its fleet start args' reader under (RegisterSettings)
// when they are not what it journals (a fleet deploy records the artifact beside the settings).
func StartArgsKind(kind string) string { return kind + "/start-args" }

// DecodeInto is the settings reader of a kind that journals a T.
func DecodeInto[T any](args json.RawMessage) (any, error) {
	var v T
	if err := json.Unmarshal(args, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// Settings reads the settings a kind journaled; false when the kind registered no reader or its
// args do not read.
func Settings(kind string, args json.RawMessage) (any, bool) {
	mu.RLock()
	decode, ok := settings[kind]
	mu.RUnlock()
	if !ok || len(args) == 0 {
		return nil, false
	}
	v, err := decode(args)
	return v, err == nil
}

// RegisterStarter makes operations of kind startable by a fleet run (and by its resume, for the
// clusters it had not started).
func RegisterStarter(kind string, s Starter) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := starters[kind]; dup {
		panic("operation: starter of kind " + kind + " registered twice")
	}
	starters[kind] = s
}

// Start builds a new operation of kind on cluster c from its recorded settings.
func Start(ctx context.Context, kind string, c *inventory.Cluster, d Deps, args json.RawMessage) (Operation, error) {
	mu.RLock()
	s, ok := starters[kind]
	mu.RUnlock()
	if !ok {
		return nil, fault.Usagef("%s operations cannot run over a fleet in this version", kind)
	}
	return s(ctx, c, d, args)
}

// Register makes operations of kind resumable; each operation package registers its kinds
// when it is loaded.
func Register(kind string, r Resumer) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := resumers[kind]; dup {
		panic("operation: kind " + kind + " registered twice")
	}
	resumers[kind] = r
}

// Kinds lists the resumable kinds, sorted.
func Kinds() []string {
	mu.RLock()
	defer mu.RUnlock()
	var out []string
	for k := range resumers {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Resume rebuilds the operation a journal entry records, on cluster c (the inventory's cluster
// of that name).
func Resume(ctx context.Context, c *inventory.Cluster, d Deps, e *journal.Entry) (Operation, error) {
	if e.Status == journal.StatusDone {
		return nil, fault.Usagef("operation %s is already done", e.Op.ID)
	}
	mu.RLock()
	r, ok := resumers[e.Op.Kind]
	mu.RUnlock()
	if !ok {
		return nil, fault.Usagef("operation %s is a %s; only %s operations can be resumed in this version",
			e.Op.ID, e.Op.Kind, kindList(Kinds()))
	}
	return r(ctx, c, d, e)
}

func kindList(kinds []string) string {
	if len(kinds) < 2 {
		return strings.Join(kinds, "")
	}
	return strings.Join(kinds[:len(kinds)-1], ", ") + " and " + kinds[len(kinds)-1]
}

// Recorded reads what a journaled operation was asked to do: its settings (into settings) and
// its brokers, found in the inventory's cluster c.
func Recorded(c *inventory.Cluster, e *journal.Entry, settings any) ([]*inventory.Broker, error) {
	if err := json.Unmarshal(e.Op.Args, settings); err != nil {
		return nil, fmt.Errorf("operation %s: journal settings unreadable: %w", e.Op.ID, err)
	}
	return c.SelectBrokers(e.Op.Brokers)
}
