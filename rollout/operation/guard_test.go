package operation

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/journal"
	"github.com/kfleet/kfleet/ops/lease"
	"github.com/kfleet/kfleet/rollout/rollouttest"
)

func guardOn(t *testing.T) (Guard, context.Context) {
	t.Helper()
	_, cl := rollouttest.Kafka(t, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return Guard{Cluster: &inventory.Cluster{Name: "c"}, Deps: Deps{Client: cl, StateDir: t.TempDir()},
		OpID: journal.NewID(time.Now()), Kind: "test", Purpose: "guard test", LeaseTTL: time.Minute}, ctx
}

func held(t *testing.T, ctx context.Context, g Guard) bool {
	t.Helper()
	st, err := lease.Read(ctx, g.Deps.Client, g.Cluster.Name)
	if err != nil {
		t.Fatal(err)
	}
	return st.Held
}

// ended is how the run's journal says it ended; "" when there is none.
func ended(g Guard) string {
	e, err := journal.Load(g.Deps.StateDir, g.OpID)
	if err != nil {
		return ""
	}
	return e.Status
}

// The order is the safety model's: the journal, the checks, then the lease, then changes; the
// lease is released however the body ends, and a run refused or failed before the body changed
// nothing and is in history with how it ended.
func TestGuardOrder(t *testing.T) {
	boom := errors.New("boom")
	t.Run("preflight refusal takes no lease", func(t *testing.T) {
		g, ctx := guardOn(t)
		ran := false
		g.Preflight = func(context.Context) error { return boom }
		err := g.Run(ctx, func(context.Context, *Session) error { ran = true; return nil })
		if !errors.Is(err, boom) || ran || held(t, ctx, g) || ended(g) != journal.StatusFailed {
			t.Errorf("err %v, body ran %v, lease held %v, journal ended %q", err, ran, held(t, ctx, g), ended(g))
		}
	})
	t.Run("a held lease refuses: journaled as refused", func(t *testing.T) {
		g, ctx := guardOn(t)
		other, err := lease.Acquire(ctx, g.Deps.Client, "c", lease.Request{Holder: "other", OpID: "op-other", Purpose: "x", TTL: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		defer other.Release(context.Background())
		ran := false
		err = g.Run(ctx, func(context.Context, *Session) error { ran = true; return nil })
		var h *lease.HeldError
		if !errors.As(err, &h) || ran || ended(g) != journal.StatusRefused {
			t.Errorf("err %v, body ran %v, journal ended %q", err, ran, ended(g))
		}
	})
	t.Run("a refusal under the lease releases it, journaled", func(t *testing.T) {
		g, ctx := guardOn(t)
		ran := false
		g.UnderLease = func(ctx context.Context) error {
			if !held(t, ctx, g) {
				t.Error("UnderLease ran without the lease")
			}
			return boom
		}
		err := g.Run(ctx, func(context.Context, *Session) error { ran = true; return nil })
		if !errors.Is(err, boom) || ran || held(t, ctx, g) || ended(g) != journal.StatusFailed {
			t.Errorf("err %v, body ran %v, lease held %v, journal ended %q", err, ran, held(t, ctx, g), ended(g))
		}
	})
	t.Run("the body runs under the lease with its journal; the lease goes when it fails", func(t *testing.T) {
		g, ctx := guardOn(t)
		g.Settings = map[string]int{"max_parallel": 2}
		g.Brokers = []int32{1, 2}
		g.Deps.Parent = "fleet-7"
		err := g.Run(ctx, func(ctx context.Context, s *Session) error {
			if !held(t, ctx, g) || s.Lease == nil || s.Journal == nil {
				t.Error("body ran without the lease or the journal")
			}
			return boom
		})
		if !errors.Is(err, boom) || held(t, ctx, g) {
			t.Errorf("err %v, lease held after the run %v", err, held(t, ctx, g))
		}
		e, err := journal.Load(g.Deps.StateDir, g.OpID)
		if err != nil || e.Op.Kind != "test" || e.Op.Parent != "fleet-7" || string(e.Op.Args) != `{"max_parallel":2}` {
			t.Errorf("journal %+v, %v", e, err)
		}
	})
	t.Run("resuming an operation without a journal refuses and releases", func(t *testing.T) {
		g, ctx := guardOn(t)
		g.Resuming = true
		ran := false
		err := g.Run(ctx, func(context.Context, *Session) error { ran = true; return nil })
		if err == nil || ran || held(t, ctx, g) {
			t.Errorf("err %v, body ran %v, lease held %v", err, ran, held(t, ctx, g))
		}
	})
}

// A second Ctrl-C with every broker gone silent: the guard gives up releasing within seconds
// (the lease then runs out by its TTL) instead of waiting on Kafka.
func TestGuardAbortIsBoundedWhenKafkaIsSilent(t *testing.T) {
	fc, cl := rollouttest.Kafka(t, 1)
	g := Guard{Cluster: &inventory.Cluster{Name: "c"}, Deps: Deps{Client: cl, StateDir: t.TempDir()},
		OpID: journal.NewID(time.Now()), Kind: "test", Purpose: "abort test", LeaseTTL: 3 * time.Second}
	ctx, abort := context.WithCancel(context.Background())
	defer abort()
	var aborted time.Time
	err := g.Run(ctx, func(ctx context.Context, s *Session) error {
		stalled := make(chan struct{}, 1)
		fc.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
			fc.KeepControl()
			select {
			case stalled <- struct{}{}:
			default:
			}
			return nil, nil, true // Kafka never answers again
		})
		select {
		case <-stalled: // a renewal is now stuck
		case <-time.After(5 * time.Second):
			t.Error("no renewal was attempted")
		}
		aborted = time.Now()
		abort()
		return ctx.Err()
	})
	if took := time.Since(aborted); took > 5*time.Second {
		t.Errorf("the guard took %s to give up after the abort; want a few seconds", took.Round(100*time.Millisecond))
	}
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "expires by itself") {
		t.Errorf("err = %v, want the abort and that the lease expires by itself", err)
	}
}
