package operation

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/cluster"
	"github.com/kfleet/kfleet/ops/host"
	"github.com/kfleet/kfleet/ops/ssh"
)

// Operation is one disruptive operation on one cluster.
type Operation interface {
	// OpID is the operation's id in the journal, history and the cluster's log.
	OpID() string
	// Plan reads the cluster and says what Execute would do now; it changes nothing.
	Plan(ctx context.Context) (Plan, error)
	// Execute runs the operation under its Guard. Closing soft (the first Ctrl-C) asks it to
	// finish the step under way and stop cleanly.
	Execute(ctx context.Context, soft <-chan struct{}) error
}

// Preflighter is an operation that can tell, changing nothing, whether its real run could start
// now: SSH to every host involved, the ACLs, the lease and the gate. A dry run asks it, so that
// it exits with the code the real run would give.
type Preflighter interface {
	Preflight(ctx context.Context) error
}

// Plan is what an operation would do. Each operation's plan is a type of its own that the
// command line renders; this is what a caller that only drives operations needs of it.
type Plan interface {
	// Work counts the changes the plan makes (brokers to roll, moves, keys); 0: nothing to do.
	Work() int
	// Question is the confirmation asked before Execute, e.g. "restart 3 broker(s) of c in 3
	// batch(es)?".
	Question() string
}

// Deps are what an operation needs from outside, built once by the caller and shared by the
// operations it runs.
type Deps struct {
	// Client is the cluster's Kafka client; the caller owns and closes it.
	Client *kgo.Client
	// SSH reaches the brokers' hosts.
	SSH *ssh.Runner
	// Hosts and Admin replace the brokers' service control and the cluster's admin surface
	// (tests, simulations); nil: over SSH and Client.
	Hosts Hosts
	Admin Admin
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// StateDir holds the journals; Inventory is the inventory's path, recorded for resume.
	StateDir  string
	Inventory string
	// Parent is the operation that owns this one (a fleet run), recorded in the journal.
	Parent string
	// Notes are lines the operation's journal records first, and so the cluster's event log:
	// e.g. that a fleet run ignored the cluster's maintenance windows.
	Notes []string
	// Emit receives the operation's events as they happen (rollout.Event, reassign.Event, ...):
	// the JSON event stream or the readable progress lines. Nil: not shown.
	Emit func(event any)
	// Say shows one line of human progress that is not an event (staging, reboots). Nil: quiet.
	Say func(format string, args ...any)
}

// Hosts starts and stops brokers and reads their processes.
type Hosts interface {
	Service(ctx context.Context, b *inventory.Broker, action host.ServiceAction) error
	Process(ctx context.Context, b *inventory.Broker) (cluster.BrokerProcess, error)
}

// Admin is what the rolling engine reads and asks of the cluster.
type Admin interface {
	Snapshot(ctx context.Context) (*cluster.Snapshot, error)
	ElectPreferred(ctx context.Context, partitions map[string][]int32) error
}

// Clock returns d.Now or time.Now.
func (d Deps) Clock() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// Sayf shows a progress line when Say is set.
func (d Deps) Sayf(format string, args ...any) {
	if d.Say != nil {
		d.Say(format, args...)
	}
}

// Event hands an event to Emit when it is set.
func (d Deps) Event(e any) {
	if d.Emit != nil {
		d.Emit(e)
	}
}
