package operation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/journal"
	"github.com/kfleet/kfleet/ops/kafka"
	"github.com/kfleet/kfleet/ops/lease"
)

// releaseTimeout bounds releasing the lease once the run is over; abortReleaseTimeout after an
// abort (the run's context cancelled by a second Ctrl-C), so that kfleet exits within seconds
// however Kafka behaves; an unreleased lease runs out by its TTL.
const (
	releaseTimeout      = 15 * time.Second
	mirrorDrain         = 10 * time.Second // the journal's last lines on their way to the ops log
	abortReleaseTimeout = 2 * time.Second
)

// Guard is what surrounds every operation's changes, in this order: the ACL preflight, the
// cluster lease, the journal; then the body; then the lease is released, however the body ended.
type Guard struct {
	Cluster *inventory.Cluster
	Deps    Deps
	OpID    string
	Kind    string
	Purpose string // shown to other operators while the lease is held
	// Needs are the Cluster ACL operations the run must be allowed before it changes anything.
	Needs []kafka.Op
	// Preflight runs after Needs, before the lease (e.g. topic ACLs); nil: none.
	Preflight func(ctx context.Context) error
	LeaseTTL  time.Duration
	LeaseWait time.Duration
	// Brokers and Settings go into a new journal's record.
	Brokers  []int32
	Settings any
	// UnderLease runs once the lease is held, before the journal is opened: a last check that
	// may still refuse with nothing changed and nothing journaled. Nil: none.
	UnderLease func(ctx context.Context) error
	// Resuming reopens OpID's journal instead of creating one.
	Resuming bool
	// NoJournal runs without a local journal (patch pre records its decision in the cluster's
	// log, where post finds it).
	NoJournal bool
	// KeepLease leaves the lease held when the body succeeds (patch pre: until post or the
	// lease's TTL ends it); it is released whenever the run fails or is refused.
	KeepLease bool
}

// EventNote is the kind of a Note in the journal.
const EventNote = "note"

// Note is a line of Deps.Notes as the journal records it.
type Note struct {
	Time    time.Time `json:"time"`
	Op      string    `json:"op"`
	Cluster string    `json:"cluster"`
	Kind    string    `json:"event"`
	Message string    `json:"message"`
}

// Session is what the body of a guarded run holds.
type Session struct {
	Lease   *lease.Lease
	Journal *journal.Journal // nil with NoJournal
}

// Run opens the journal, checks, takes the lease and runs body. The lease is released when body
// returns, whatever it returned. The journal comes first, so that every run that started is in
// history with how it ended, even one refused (the lease held, the gate closed) or failed before
// it changed anything; its copy in the cluster's log starts once the lease is held.
func (g Guard) Run(ctx context.Context, body func(ctx context.Context, s *Session) error) (err error) {
	cl, name := g.Deps.Client, g.Cluster.Name
	s := &Session{}
	if !g.NoJournal {
		if s.Journal, err = g.openJournal(); err != nil {
			return err
		}
	}
	// Until the body runs, an error ends the run here: the journal says so, and closes.
	early := func(err error) error {
		if s.Journal != nil {
			kind := journal.EventFailed
			if k, _ := fault.KindOf(err); k == fault.RefusedForNow {
				kind = journal.EventRefused
			}
			_ = s.Journal.Append(Note{Time: g.Deps.Clock().UTC(), Op: g.OpID, Cluster: name, Kind: kind, Message: err.Error()})
			s.Journal.Close()
		}
		return err
	}
	if len(g.Needs) > 0 {
		if err := kafka.RequireClusterOps(ctx, cl, name, g.Needs...); err != nil {
			return early(err)
		}
	}
	if g.Preflight != nil {
		if err := g.Preflight(ctx); err != nil {
			return early(err)
		}
	}
	purpose := g.Purpose
	if g.Deps.Parent != "" {
		purpose += " (fleet op " + g.Deps.Parent + ")" // other operators see whose wave this is
	}
	holder := lease.HolderString()
	if g.KeepLease {
		holder = lease.DetachedHolderString() // the lease outlives this process
	}
	held, err := lease.Acquire(ctx, cl, name, lease.Request{
		Holder: holder, OpID: g.OpID, Purpose: purpose, TTL: g.LeaseTTL, Wait: g.LeaseWait,
		Detached: g.KeepLease, TakeOver: g.Resuming,
	})
	if err != nil {
		return early(err)
	}
	s.Lease = held
	if held.TookOver != "" {
		g.Deps.Sayf("cluster %s: %s", name, held.TookOver)
	}
	// After an abort, the journal's copy and the release share one short deadline.
	var abortBy time.Time
	windDown := func(normal time.Duration) (context.Context, context.CancelFunc) {
		if ctx.Err() == nil {
			return context.WithTimeout(context.WithoutCancel(ctx), normal)
		}
		if abortBy.IsZero() {
			abortBy = time.Now().Add(abortReleaseTimeout)
		}
		return context.WithDeadline(context.WithoutCancel(ctx), abortBy)
	}
	defer func() {
		if g.KeepLease && err == nil {
			return
		}
		rctx, cancel := windDown(releaseTimeout)
		defer cancel()
		switch rerr := held.Release(rctx); {
		case rerr == nil:
		case err == nil:
			err = fmt.Errorf("releasing the cluster lease: %w", rerr)
		default:
			// Say what could not be recorded, keeping the run's own error first.
			err = fmt.Errorf("%w; and the cluster lease was not released: %v", err, rerr)
		}
	}()
	if g.UnderLease != nil {
		if err := g.UnderLease(ctx); err != nil {
			return early(err)
		}
	}
	if s.Journal != nil {
		mirror := newOpsMirror(held)
		s.Journal.MirrorTo(mirror)
		defer func() {
			s.Journal.Close()
			mctx, cancel := windDown(mirrorDrain)
			defer cancel()
			if ctx.Err() != nil {
				// Leave the release a second of the shared deadline.
				var c2 context.CancelFunc
				mctx, c2 = context.WithDeadline(mctx, abortBy.Add(-time.Second))
				defer c2()
			}
			if merr := mirror.Close(mctx); merr != nil {
				g.Deps.Sayf("warning: cluster %s: %v (the local journal %s has every line)", name, merr, s.Journal.Path())
			}
		}()
		for _, n := range g.Deps.Notes {
			if err := s.Journal.Append(Note{Time: g.Deps.Clock().UTC(), Op: g.OpID, Cluster: name, Kind: EventNote, Message: n}); err != nil {
				return err
			}
		}
	}
	return body(ctx, s)
}

// Check is what a dry run asks of the guard, changing nothing: are the ACLs and the preflight
// satisfied, and is the lease free (or this operation's)? Every problem is returned, joined.
func (g Guard) Check(ctx context.Context) error {
	cl, name := g.Deps.Client, g.Cluster.Name
	var errs []error
	if len(g.Needs) > 0 {
		if err := kafka.RequireClusterOps(ctx, cl, name, g.Needs...); err != nil {
			errs = append(errs, err)
		}
	}
	if g.Preflight != nil {
		if err := g.Preflight(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	st, err := lease.Read(ctx, cl, name)
	switch {
	case err != nil:
		errs = append(errs, kafka.Failure(name, lease.OpLease, err))
	case st.HeldBy(name, g.OpID) != nil:
		errs = append(errs, st.HeldBy(name, g.OpID))
	}
	return errors.Join(errs...)
}

func (g Guard) openJournal() (*journal.Journal, error) {
	if g.Resuming {
		return journal.Reopen(g.Deps.StateDir, g.OpID)
	}
	args, err := json.Marshal(g.Settings)
	if err != nil {
		return nil, err
	}
	return journal.Create(g.Deps.StateDir, journal.Record{ID: g.OpID, Kind: g.Kind, Cluster: g.Cluster.Name,
		Parent: g.Deps.Parent, Inventory: g.Deps.Inventory, Brokers: g.Brokers, Created: g.Deps.Clock().UTC(),
		Holder: lease.HolderString(), Args: args})
}
