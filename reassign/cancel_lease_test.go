package reassign

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kfleet/kfleet/ops/journal"
	"github.com/kfleet/kfleet/ops/lease"
)

// A cancel while an unrelated operation holds the lease is refused with nothing reverted; with
// the lease free it takes the lease for its run and gives it back.
func TestCancelTakesTheLeaseUnlessItsOperationHoldsIt(t *testing.T) {
	kc, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(kc.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	f, moves := scenario(t)
	f.defaultPolls = 1 << 30
	dir := t.TempDir()
	a := &Apply{Kafka: f, Cluster: "fake", OpID: "op-1", StateDir: dir,
		Args: Args{Settings: Settings{MaxMoves: 3, MaxPerBroker: 2, Throttle: 1000, Poll: time.Millisecond, NoWait: true}, Moves: moves}}
	if err := a.Run(ctx, nil); err != nil {
		t.Fatal(err)
	}
	plan, err := FindCancel(ctx, f, dir, "fake", "")
	if err != nil || len(plan.InFlight) == 0 {
		t.Fatalf("cancel plan %+v, %v", plan, err)
	}

	other, err := lease.Acquire(ctx, cl, "fake", lease.Request{OpID: "op-restart", Purpose: "restart", TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	inFlight := len(f.moving)
	res, err := CancelUnderLease(ctx, cl, f, dir, plan, 5*time.Second)
	var held *lease.HeldError
	if !errors.As(err, &held) || res != nil || len(f.moving) != inFlight {
		t.Fatalf("cancel under another operation's lease: %v, %+v, %d of %d moves still in flight; want refused, nothing reverted",
			err, res, len(f.moving), inFlight)
	}
	if err := other.Release(ctx); err != nil {
		t.Fatal(err)
	}

	res, err = CancelUnderLease(ctx, cl, f, dir, plan, 5*time.Second)
	if err != nil || len(res.Cancelled) == 0 {
		t.Fatalf("cancel with the lease free: %+v, %v", res, err)
	}
	if st, err := lease.Read(ctx, cl, "fake"); err != nil || st.Held {
		t.Fatalf("lease after the cancel: %+v, %v; want released", st, err)
	}

	// Each cancel run is in history under a kind of its own, with how it ended.
	cancels, err := journal.List(dir, journal.Filter{Kind: CancelKind})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range cancels {
		got = append(got, e.Kind+" "+e.Status)
	}
	slices.Sort(got)
	if want := []string{"reassign-cancel done", "reassign-cancel refused"}; !slices.Equal(got, want) {
		t.Errorf("history of the cancels: %q, want %q", got, want)
	}
}
