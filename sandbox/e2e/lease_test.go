//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kfleet/kfleet/ops/kafka"
	"github.com/kfleet/kfleet/ops/lease"
)

// leaseClient is a Kafka client for the sandbox cluster, built the way kfleet builds it. It waits
// (bounded) until nobody holds the sandbox lease, so a test starts from a free lease.
func leaseClient(t *testing.T) *kgo.Client {
	t.Helper()
	needSandbox(t)
	cl, err := kafka.NewClient(sandboxCluster(t), kafka.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	deadline := time.Now().Add(3 * time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		st, err := lease.Read(ctx, cl, "sandbox")
		cancel()
		if err == nil && !st.Held {
			return cl
		}
		if time.Now().After(deadline) {
			t.Fatalf("sandbox lease not free within 3m: %+v, %v", st, err)
		}
		time.Sleep(time.Second)
	}
}

// releaseAtEnd makes sure the test leaves no lease held.
func releaseAtEnd(t *testing.T, l *lease.Lease) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := l.Release(ctx); err != nil {
			t.Errorf("release %s: %v", l.OpID, err)
		}
	})
}

func opID(t *testing.T, n int) string {
	return fmt.Sprintf("e2e-%s-%d-%d", t.Name(), time.Now().UnixNano()%1e9, n)
}

func TestLeaseContendersExactlyOneWins(t *testing.T) {
	cl := leaseClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	const n = 8
	var (
		leases  [n]*lease.Lease
		errs    [n]error
		took    [n]time.Duration
		wg      sync.WaitGroup
		startGo = make(chan struct{})
	)
	for i := range n {
		wg.Go(func() {
			<-startGo
			t0 := time.Now()
			leases[i], errs[i] = lease.Acquire(ctx, cl, "sandbox", lease.Request{
				Holder: fmt.Sprintf("tester%d@e2e pid %d", i, 1000+i), OpID: opID(t, i), Purpose: "restart", TTL: 20 * time.Second})
			took[i] = time.Since(t0)
		})
	}
	close(startGo)
	wg.Wait()
	t.Logf("acquire latencies with 8 contenders: %v", took)

	var winner *lease.Lease
	for i, l := range leases {
		if l == nil {
			continue
		}
		releaseAtEnd(t, l)
		if winner != nil {
			t.Fatalf("two winners: %s and %s", winner.OpID, l.OpID)
		}
		winner = leases[i]
	}
	if winner == nil {
		t.Fatalf("no winner: %v", errs)
	}
	for i, err := range errs {
		if leases[i] != nil {
			continue
		}
		var held *lease.HeldError
		if !errors.As(err, &held) {
			t.Fatalf("contender %d: %v, want *LeaseHeldError", i, err)
		}
		if held.OpID != winner.OpID || held.Holder != winner.Holder || held.Purpose != "restart" {
			t.Errorf("contender %d: held by %s (%s), want %s (%s)", i, held.OpID, held.Holder, winner.OpID, winner.Holder)
		}
	}

	if err := winner.Event(ctx, "started", "rolling restart of 3 brokers", map[string]string{"brokers": "1,2,3"}); err != nil {
		t.Fatal(err)
	}
	if err := winner.Event(ctx, "batch-done", "broker 1 back", map[string]string{"broker": "1"}); err != nil {
		t.Fatal(err)
	}
	st, err := lease.Read(ctx, cl, "sandbox")
	if err != nil {
		t.Fatal(err)
	}
	if !st.Held || st.OpID != winner.OpID || st.Holder != winner.Holder || st.Purpose != "restart" {
		t.Fatalf("ReadLease: %+v, want held by %s", st, winner.OpID)
	}
	if !st.Since.Equal(winner.Since) || !st.Expires.After(time.Now()) {
		t.Errorf("since %s (want %s), expires %s", st.Since, winner.Since, st.Expires)
	}
	if len(st.Events) < 2 {
		t.Fatalf("events %+v, want the winner's two", st.Events)
	}
	last := st.Events[len(st.Events)-2:]
	if last[0].Kind != "started" || last[1].Kind != "batch-done" || last[1].OpID != winner.OpID ||
		last[1].Holder != winner.Holder || last[1].Fields["broker"] != "1" {
		t.Errorf("latest events %+v", last)
	}
	if h := st.LeaseHolder(); h == nil || h.Holder != winner.Holder || h.OpID != winner.OpID {
		t.Errorf("LeaseHolder() = %+v", h)
	}

	if err := winner.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if st, err := lease.Read(ctx, cl, "sandbox"); err != nil || st.Held {
		t.Fatalf("after release: %+v, %v", st, err)
	}
	next, err := lease.Acquire(ctx, cl, "sandbox", lease.Request{OpID: opID(t, 99), Purpose: "deploy"})
	if err != nil {
		t.Fatalf("acquire after release: %v", err)
	}
	releaseAtEnd(t, next)
	if st, err := lease.Read(ctx, cl, "sandbox"); err != nil || st.OpID != next.OpID || st.Holder != lease.HolderString() {
		t.Fatalf("after re-acquire: %+v, %v", st, err)
	}
}

func TestLeaseRenewalKeepsItAndExpiryFreesIt(t *testing.T) {
	cl := leaseClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// A holder that renews keeps a 2s lease well past 2s.
	aCtx, crash := context.WithCancel(ctx)
	a, err := lease.Acquire(aCtx, cl, "sandbox", lease.Request{Holder: "alice@e2e pid 1", OpID: opID(t, 1), Purpose: "patch", TTL: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	releaseAtEnd(t, a)
	time.Sleep(5 * time.Second)
	select {
	case <-a.Lost():
		t.Fatalf("renewed lease lost: %v", a.Err())
	default:
	}
	_, err = lease.Acquire(ctx, cl, "sandbox", lease.Request{OpID: opID(t, 2), Purpose: "restart", TTL: 2 * time.Second})
	var held *lease.HeldError
	if !errors.As(err, &held) || held.OpID != a.OpID {
		t.Fatalf("while renewed: %v, want held by %s", err, a.OpID)
	}

	// The holder dies without releasing: the lease is free once its TTL runs out.
	crash()
	crashed := time.Now()
	select {
	case <-a.Lost():
		t.Logf("crashed holder's Lost closed after %s: %v", time.Since(crashed).Round(time.Millisecond), a.Err())
	case <-time.After(3 * time.Second):
		t.Fatal("Lost not closed within the TTL after renewal stopped")
	}
	b, err := lease.Acquire(ctx, cl, "sandbox", lease.Request{Holder: "bob@e2e pid 2", OpID: opID(t, 3), Purpose: "restart",
		TTL: 2 * time.Second, Wait: 10 * time.Second})
	if err != nil {
		t.Fatalf("acquire after the crashed holder's TTL: %v", err)
	}
	releaseAtEnd(t, b)
	t.Logf("taken over %s after the holder stopped renewing", time.Since(crashed).Round(time.Millisecond))
	st, err := lease.Read(ctx, cl, "sandbox")
	if err != nil || st.OpID != b.OpID {
		t.Fatalf("after takeover: %+v, %v", st, err)
	}
	// The old holder's release after the takeover must not free the new holder's lease.
	if err := a.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if st, err := lease.Read(ctx, cl, "sandbox"); err != nil || st.OpID != b.OpID {
		t.Fatalf("after the old holder's release: %+v, %v", st, err)
	}
}

func TestLeaseForceRelease(t *testing.T) {
	cl := leaseClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	a, err := lease.Acquire(ctx, cl, "sandbox", lease.Request{Holder: "alice@e2e pid 1", OpID: opID(t, 1), Purpose: "deploy",
		TTL: time.Minute, Renew: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	releaseAtEnd(t, a)
	if _, err := lease.Acquire(ctx, cl, "sandbox", lease.Request{OpID: opID(t, 2)}); !errors.As(err, new(*lease.HeldError)) {
		t.Fatalf("while held: %v, want *LeaseHeldError", err)
	}
	rel, err := lease.ForceRelease(ctx, cl, "sandbox", "admin@e2e pid 9")
	if err != nil {
		t.Fatal(err)
	}
	if !rel.Held || rel.OpID != a.OpID || rel.Holder != "alice@e2e pid 1" {
		t.Fatalf("released %+v, want alice's lease", rel)
	}
	select {
	case <-a.Lost():
		t.Logf("holder told: %v", a.Err())
	case <-time.After(5 * time.Second):
		t.Fatal("holder did not notice the forced release")
	}
	b, err := lease.Acquire(ctx, cl, "sandbox", lease.Request{OpID: opID(t, 3), Purpose: "restart"})
	if err != nil {
		t.Fatalf("acquire after forced release: %v", err)
	}
	releaseAtEnd(t, b)
	if rel, err := lease.ForceRelease(ctx, cl, "sandbox", "admin@e2e pid 9"); err != nil || rel.OpID != b.OpID {
		t.Fatalf("second force release: %+v, %v", rel, err)
	}
	if rel, err := lease.ForceRelease(ctx, cl, "sandbox", "admin@e2e pid 9"); err != nil || rel.Held {
		t.Fatalf("force release of a free lease: %+v, %v", rel, err)
	}
}

// TestLeaseAcquireLatency measures uncontended acquire and release against the sandbox.
func TestLeaseAcquireLatency(t *testing.T) {
	cl := leaseClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var acq, rel []time.Duration
	for i := range 20 {
		t0 := time.Now()
		l, err := lease.Acquire(ctx, cl, "sandbox", lease.Request{OpID: opID(t, i), Purpose: "latency"})
		if err != nil {
			t.Fatal(err)
		}
		t1 := time.Now()
		if err := l.Release(ctx); err != nil {
			t.Fatal(err)
		}
		acq, rel = append(acq, t1.Sub(t0)), append(rel, time.Since(t1))
	}
	q := func(ds []time.Duration, p int) time.Duration {
		s := slices.Clone(ds)
		slices.Sort(s)
		return s[(len(s)-1)*p/100].Round(10 * time.Microsecond)
	}
	t.Logf("acquire: p50 %s p90 %s max %s; release: p50 %s p90 %s", q(acq, 50), q(acq, 90), q(acq, 100), q(rel, 50), q(rel, 90))
}
