package lease

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

var leaseT0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// rec builds an ops-log record at leaseT0+ms; offsets are filled in by logOf.
func rec(ms int64, typ string, b opsBody) opsRecord {
	return opsRecord{Time: leaseT0.Add(time.Duration(ms) * time.Millisecond), Type: typ, Body: b}
}

func claimAt(ms int64, op, nonce string, ttlMs int64) opsRecord {
	return rec(ms, recClaim, opsBody{OpID: op, Nonce: nonce, Holder: op + "@host pid 1", Purpose: "restart", TTLms: ttlMs})
}

func renewAt(ms int64, op, nonce string) opsRecord {
	return rec(ms, recRenew, opsBody{OpID: op, Nonce: nonce, Holder: op + "@host pid 1", Purpose: "restart", TTLms: 1000})
}

func releaseAt(ms int64, op, nonce string, force bool) opsRecord {
	return rec(ms, recRelease, opsBody{OpID: op, Nonce: nonce, Force: force, By: "bob@host pid 9"})
}

func eventAt(ms int64, op, kind string) opsRecord {
	return rec(ms, recEvent, opsBody{OpID: op, Holder: op + "@host pid 1", Kind: kind, Message: kind + " of " + op})
}

// logOf numbers recs from offset start on.
func logOf(start int64, recs ...opsRecord) []opsRecord {
	for i := range recs {
		recs[i].Offset = start + int64(i)
	}
	return recs
}

func TestLeaseReplay(t *testing.T) {
	adopted := renewAt(100, "old", "n0")
	adopted.Body.ClaimOffset = new(int64(3))
	adopted.Body.SinceMs = leaseT0.Add(-time.Hour).UnixMilli()
	inWindow := renewAt(100, "ghost", "n0")
	inWindow.Body.ClaimOffset = new(int64(12))

	tests := []struct {
		name      string
		start     int64
		recs      []opsRecord
		at        int64  // evaluate at leaseT0+at ms
		holder    string // op id holding, "" when free
		nonce     string
		sinceMs   int64
		expiresMs int64
	}{
		{name: "empty log", recs: nil, holder: ""},
		{name: "one claim", recs: logOf(0, claimAt(0, "a", "n1", 1000)), at: 500,
			holder: "a", nonce: "n1", expiresMs: 1000},
		{name: "two claims in the same ms: first offset wins",
			recs: logOf(0, claimAt(7, "a", "n1", 1000), claimAt(7, "b", "n2", 1000)), at: 7,
			holder: "a", nonce: "n1", sinceMs: 7, expiresMs: 1007},
		{name: "claim after expiry wins",
			recs: logOf(0, claimAt(0, "a", "n1", 1000), claimAt(1001, "b", "n2", 1000)), at: 1001,
			holder: "b", nonce: "n2", sinceMs: 1001, expiresMs: 2001},
		{name: "claim at the expiry ms is void: live until then inclusive",
			recs: logOf(0, claimAt(0, "a", "n1", 1000), claimAt(1000, "b", "n2", 1000)), at: 1000,
			holder: "a", nonce: "n1", expiresMs: 1000},
		{name: "claim during a live lease is void",
			recs: logOf(0, claimAt(0, "a", "n1", 10000), claimAt(5000, "b", "n2", 1000)), at: 5000,
			holder: "a", nonce: "n1", expiresMs: 10000},
		{name: "void claim does not come back when the lease ends",
			recs: logOf(0, claimAt(0, "a", "n1", 1000), claimAt(500, "b", "n2", 1000), releaseAt(600, "a", "n1", false)),
			at:   700, holder: ""},
		{name: "release then claim",
			recs: logOf(0, claimAt(0, "a", "n1", 10000), releaseAt(100, "a", "n1", false), claimAt(200, "b", "n2", 1000)),
			at:   300, holder: "b", nonce: "n2", sinceMs: 200, expiresMs: 1200},
		{name: "release with another nonce does nothing",
			recs: logOf(0, claimAt(0, "a", "n1", 10000), releaseAt(100, "a", "other", false), claimAt(200, "b", "n2", 1000)),
			at:   300, holder: "a", nonce: "n1", expiresMs: 10000},
		{name: "forced release frees the lease",
			recs: logOf(0, claimAt(0, "a", "n1", 10000), releaseAt(100, "a", "n1", true), claimAt(200, "b", "n2", 1000)),
			at:   300, holder: "b", nonce: "n2", sinceMs: 200, expiresMs: 1200},
		{name: "renew extends",
			recs: logOf(0, claimAt(0, "a", "n1", 1000), renewAt(900, "a", "n1"), claimAt(1500, "b", "n2", 1000)),
			at:   1500, holder: "a", nonce: "n1", expiresMs: 1900},
		{name: "renewed lease can be taken after its extended expiry",
			recs: logOf(0, claimAt(0, "a", "n1", 1000), renewAt(900, "a", "n1"), claimAt(1901, "b", "n2", 1000)),
			at:   1901, holder: "b", nonce: "n2", sinceMs: 1901, expiresMs: 2901},
		{name: "re-claim by the same op and nonce extends",
			recs: logOf(0, claimAt(0, "a", "n1", 1000), claimAt(800, "a", "n1", 1000), claimAt(1500, "b", "n2", 1000)),
			at:   1500, holder: "a", nonce: "n1", expiresMs: 1800},
		{name: "same op with a new nonce is another contender",
			recs: logOf(0, claimAt(0, "a", "n1", 1000), claimAt(800, "a", "n2", 1000)),
			at:   900, holder: "a", nonce: "n1", expiresMs: 1000},
		{name: "events interleaved do not change the lease",
			recs: logOf(0, eventAt(0, "z", "finished"), claimAt(10, "a", "n1", 1000), eventAt(20, "a", "started"),
				claimAt(30, "b", "n2", 1000), eventAt(40, "b", "started"), eventAt(50, "a", "batch-done")),
			at: 50, holder: "a", nonce: "n1", sinceMs: 10, expiresMs: 1010},
		{name: "renew by another op is void",
			recs: logOf(0, claimAt(0, "a", "n1", 1000), renewAt(900, "b", "n2"), claimAt(1500, "c", "n3", 1000)),
			at:   1500, holder: "c", nonce: "n3", sinceMs: 1500, expiresMs: 2500},
		{name: "late renew does not revive an expired lease",
			recs: logOf(0, claimAt(0, "a", "n1", 1000), eventAt(1200, "x", "tick"), renewAt(1300, "a", "n1")),
			at:   1300, holder: ""},
		{name: "late duplicate claim does not revive a released lease",
			recs: logOf(0, claimAt(0, "a", "n1", 1000), releaseAt(10, "a", "n1", false), claimAt(20, "a", "n1", 1000)),
			at:   20, holder: ""},
		{name: "renew after a forced release does not revive the lease",
			recs: logOf(0, claimAt(0, "a", "n1", 1000), releaseAt(10, "a", "n1", true), renewAt(20, "a", "n1")),
			at:   20, holder: ""},
		{name: "released op id with a fresh nonce may claim again",
			recs: logOf(0, claimAt(0, "a", "n1", 1000), releaseAt(10, "a", "n1", false), claimAt(20, "a", "n2", 1000)),
			at:   20, holder: "a", nonce: "n2", sinceMs: 20, expiresMs: 1020},
		{name: "leader clock stepping back cannot revive an expired lease",
			recs: logOf(0, claimAt(0, "a", "n1", 1000), eventAt(2000, "x", "tick"), claimAt(500, "b", "n2", 1000)),
			at:   2000, holder: "b", nonce: "n2", sinceMs: 2000, expiresMs: 3000},
		{name: "lease past its expiry reads as free",
			recs: logOf(0, claimAt(0, "a", "n1", 1000)), at: 1001, holder: ""},
		{name: "renew of a lease claimed before the window re-establishes it",
			start: 10, recs: logOf(10, eventAt(0, "x", "tick"), adopted, claimAt(200, "b", "n2", 1000)), at: 200,
			holder: "old", nonce: "n0", sinceMs: -3600000, expiresMs: 1100},
		{name: "renew whose claim should be in the window but is not there is void",
			start: 10, recs: logOf(10, inWindow, claimAt(200, "b", "n2", 1000)), at: 200,
			holder: "b", nonce: "n2", sinceMs: 200, expiresMs: 1200},
		{name: "records below the start and duplicates are skipped",
			start: 5, recs: append(logOf(3, claimAt(0, "a", "n1", 1000), claimAt(0, "a", "n1", 1000), claimAt(1, "b", "n2", 1000)),
				opsRecord{Offset: 5, Time: leaseT0, Type: recClaim, Body: opsBody{OpID: "c", Nonce: "n3", TTLms: 1000}}),
			at: 1, holder: "b", nonce: "n2", sinceMs: 1, expiresMs: 1001},
		{name: "malformed and unknown records are ignored",
			recs: logOf(0, claimAt(0, "a", "n1", 1000), rec(1, "malformed", opsBody{}), rec(2, "vote", opsBody{OpID: "b"}),
				claimAt(3, "b", "", 1000), claimAt(4, "", "n", 1000)),
			at: 4, holder: "a", nonce: "n1", expiresMs: 1000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := replayLease(tc.start, tc.recs).state(leaseT0.Add(time.Duration(tc.at) * time.Millisecond))
			if tc.holder == "" {
				if st.Held {
					t.Fatalf("held by %s (nonce %s), want free", st.OpID, st.nonce)
				}
				return
			}
			if !st.Held || st.OpID != tc.holder || st.nonce != tc.nonce {
				t.Fatalf("held=%v by %s/%s, want %s/%s", st.Held, st.OpID, st.nonce, tc.holder, tc.nonce)
			}
			if want := leaseT0.Add(time.Duration(tc.sinceMs) * time.Millisecond); !st.Since.Equal(want) {
				t.Errorf("since %s, want %s", st.Since, want)
			}
			if want := leaseT0.Add(time.Duration(tc.expiresMs) * time.Millisecond); !st.Expires.Equal(want) {
				t.Errorf("expires %s, want %s", st.Expires, want)
			}
			if st.Holder != tc.holder+"@host pid 1" || st.Purpose != "restart" {
				t.Errorf("holder %q purpose %q", st.Holder, st.Purpose)
			}
		})
	}
}

// Every contender decides by replaying up to its own claim: exactly one of them must win, and all
// must name the same winner, whatever mix of claims, renewals and releases came before.
func TestLeaseReplayContendersAgree(t *testing.T) {
	prefix := logOf(0, claimAt(0, "old", "n0", 1000), renewAt(600, "old", "n0"), eventAt(700, "old", "batch-done"))
	var recs []opsRecord
	recs = append(recs, prefix...)
	// Eight contenders: the first three land while "old" is live, the rest after it expires.
	for i := range 8 {
		ms := int64(1700 + 10*i)
		if i < 3 {
			ms = int64(1000 + i)
		}
		r := claimAt(ms, fmt.Sprintf("c%d", i), "n", 1000)
		r.Offset = int64(len(recs))
		recs = append(recs, r)
	}
	winners := map[string]bool{}
	for i := range 8 {
		off := int64(len(prefix) + i)
		s := replayLease(0, recs[:off+1])
		k := leaseKey{fmt.Sprintf("c%d", i), "n"}
		if s.holds(k) {
			winners[k.opID] = true
		} else if s.cur == nil {
			t.Fatalf("contender %d lost to nobody", i)
		} else if s.cur.key.opID != "old" && s.cur.key.opID != "c3" {
			t.Errorf("contender %d lost to %s", i, s.cur.key.opID)
		}
	}
	if len(winners) != 1 || !winners["c3"] {
		t.Fatalf("winners %v, want exactly c3 (the first claim after old expired)", winners)
	}
}

func TestLeaseReplayKeepsLatestEvents(t *testing.T) {
	var recs []opsRecord
	for i := range 45 {
		recs = append(recs, eventAt(int64(i), "a", fmt.Sprintf("e%d", i)))
	}
	st := replayLease(0, logOf(0, recs...)).state(leaseT0)
	if len(st.Events) != maxEvents {
		t.Fatalf("%d events, want %d", len(st.Events), maxEvents)
	}
	if first, last := st.Events[0].Kind, st.Events[maxEvents-1].Kind; first != "e25" || last != "e44" {
		t.Fatalf("events %s..%s, want e25..e44 (newest last)", first, last)
	}
	if e := st.Events[0]; e.OpID != "a" || e.Holder != "a@host pid 1" || e.Message != "e25 of a" {
		t.Fatalf("event %+v", e)
	}
}

func TestDecodeOpsRecord(t *testing.T) {
	r := decodeOpsRecord(4, leaseT0, []byte("claim"), []byte(`{"op_id":"op-1","nonce":"x","holder":"h","purpose":"p","ttl_ms":2000}`))
	if r.Type != recClaim || r.Offset != 4 || r.Body.OpID != "op-1" || r.Body.TTLms != 2000 {
		t.Fatalf("%+v", r)
	}
	if r := decodeOpsRecord(5, leaseT0, []byte("claim"), []byte("{")); r.Type == recClaim {
		t.Fatalf("malformed JSON decoded as a claim: %+v", r)
	}
}

func TestLeaseRequestDefaults(t *testing.T) {
	r, err := Request{OpID: "op-1"}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if r.TTL != 30*time.Second || r.Renew != 10*time.Second || !strings.Contains(r.Holder, " pid ") {
		t.Fatalf("%+v", r)
	}
	for _, bad := range []Request{
		{},
		{OpID: "x", TTL: 500 * time.Millisecond},
		{OpID: "x", TTL: 2 * time.Hour},
		{OpID: "x", TTL: time.Minute, Renew: 30 * time.Second},
	} {
		if _, err := bad.withDefaults(); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}

func TestLeaseHeldErrorMessage(t *testing.T) {
	since := time.Date(2026, 11, 23, 10, 2, 3, 0, time.Local)
	e := &HeldError{Cluster: "payments", Holder: "alice@host1 pid 42", Purpose: "restart",
		OpID: "op-20261123-1", Since: since, Expires: since.Add(2 * time.Minute)}
	want := "cluster payments: lease held by alice@host1 pid 42 for \"restart\" (op op-20261123-1) since 10:02:03, expires 10:04:03 unless renewed; retry later, or wait for it with --lease-wait"
	if e.Error() != want {
		t.Fatalf("got  %s\nwant %s", e.Error(), want)
	}
	// A patch pre's lease is ended by its post, not broken.
	e = &HeldError{Cluster: "payments", Holder: "alice@host1", Purpose: "patch k2.example", OpID: "patch-payments-k2.example",
		Since: since, Expires: since.Add(time.Hour)}
	want = "cluster payments: lease held by alice@host1 for \"patch k2.example\" (op patch-payments-k2.example) since 10:02:03, until `kfleet patch post --host k2.example` ends it (or it expires at 11:02:03); retry later"
	if e.Error() != want {
		t.Fatalf("got  %s\nwant %s", e.Error(), want)
	}
}

// fakeKafka is a 3-broker kfake cluster in process and a client for it.
func fakeKafka(t *testing.T) (*kfake.Cluster, *kgo.Client, context.Context) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(3))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c, cl, ctx
}

// TestLeaseOnKfake runs the real I/O path against kfake, a fake Kafka cluster in process.
func TestLeaseOnKfake(t *testing.T) {
	_, cl, ctx := fakeKafka(t)

	st, err := Read(ctx, cl, "fake")
	if err != nil || st.Held {
		t.Fatalf("before first use: %+v, %v; want free, no error", st, err)
	}

	// Concurrent contenders: exactly one wins, the others name it.
	const n = 5
	leases := make([]*Lease, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			leases[i], errs[i] = Acquire(ctx, cl, "fake", Request{
				Holder: fmt.Sprintf("u%d@h pid %d", i, i), OpID: fmt.Sprintf("op-%d", i), Purpose: "restart", TTL: 5 * time.Second})
		})
	}
	wg.Wait()
	var winner *Lease
	for i := range n {
		if leases[i] != nil {
			if winner != nil {
				t.Fatalf("two winners: %s and %s", winner.OpID, leases[i].OpID)
			}
			winner = leases[i]
		}
	}
	if winner == nil {
		t.Fatalf("no winner: %v", errs)
	}
	for i := range n {
		if leases[i] != nil {
			continue
		}
		var held *HeldError
		if !errors.As(errs[i], &held) || held.OpID != winner.OpID {
			t.Fatalf("contender %d: %v, want held by %s", i, errs[i], winner.OpID)
		}
	}
	if err := winner.Event(ctx, "started", "restarting 3 brokers", map[string]string{"brokers": "1,2,3"}); err != nil {
		t.Fatal(err)
	}
	st, err = Read(ctx, cl, "fake")
	if err != nil || !st.Held || st.OpID != winner.OpID || len(st.Events) != 1 || st.Events[0].Fields["brokers"] != "1,2,3" {
		t.Fatalf("read: %+v, %v", st, err)
	}
	if err := winner.Release(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-winner.Lost():
	default:
		t.Fatal("Lost not closed after Release")
	}
	if st, err := Read(ctx, cl, "fake"); err != nil || st.Held {
		t.Fatalf("after release: %+v, %v", st, err)
	}

	// A forced release is noticed by the holder at its next renewal.
	l, err := Acquire(ctx, cl, "fake", Request{OpID: "op-x", Purpose: "deploy", TTL: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release(context.Background())
	rel, err := ForceRelease(ctx, cl, "fake", "admin@h pid 1")
	if err != nil || rel.OpID != "op-x" {
		t.Fatalf("force release: %+v, %v", rel, err)
	}
	select {
	case <-l.Lost():
		if !strings.Contains(l.Err().Error(), "force-released by admin@h pid 1") {
			t.Fatalf("lost: %v", l.Err())
		}
	case <-time.After(3 * time.Second):
		t.Fatal("holder did not notice the forced release")
	}
}

func TestLeaseWaitsForRelease(t *testing.T) {
	_, cl, ctx := fakeKafka(t)
	a, err := Acquire(ctx, cl, "fake", Request{OpID: "op-a", Purpose: "restart", TTL: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(700*time.Millisecond, func() { _ = a.Release(context.Background()) })
	t0 := time.Now()
	b, err := Acquire(ctx, cl, "fake", Request{OpID: "op-b", Purpose: "deploy", Wait: 10 * time.Second})
	if err != nil {
		t.Fatalf("waiting acquire: %v", err)
	}
	defer b.Release(context.Background())
	if d := time.Since(t0); d < 600*time.Millisecond || d > 3*time.Second {
		t.Fatalf("acquired after %s, want soon after the release at 700ms", d)
	}
	// Without Wait, one try.
	_, err = Acquire(ctx, cl, "fake", Request{OpID: "op-c"})
	var held *HeldError
	if !errors.As(err, &held) || held.OpID != "op-b" || held.Purpose != "deploy" {
		t.Fatalf("got %v, want held by op-b", err)
	}
}

// The lease's own partition moves when its leader restarts (the very thing kfleet does): the
// holder must keep renewing through it.
func TestLeaseSurvivesLeaderMoves(t *testing.T) {
	c, cl, ctx := fakeKafka(t)
	l, err := Acquire(ctx, cl, "fake", Request{OpID: "op-a", TTL: 3 * time.Second, Renew: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release(context.Background())
	for range 2 {
		old := c.LeaderFor(OpsTopic, 0)
		if err := c.RemoveNode(old); err != nil {
			t.Fatal(err)
		}
		for c.LeaderFor(OpsTopic, 0) == old {
			c.ShufflePartitionLeaders()
		}
		time.Sleep(1500 * time.Millisecond)
		select {
		case <-l.Lost():
			t.Fatalf("lost after broker %d left: %v", old, l.Err())
		default:
		}
		st, err := Read(ctx, cl, "fake")
		if err != nil || st.OpID != "op-a" || !st.Expires.After(time.Now()) {
			t.Fatalf("after broker %d left: %+v, %v", old, st, err)
		}
		if _, _, err := c.AddNode(-1, 0); err != nil {
			t.Fatal(err)
		}
	}
}

// With Kafka gone silent, releasing must not wait for a renewal stuck in a produce: a second
// Ctrl-C has to end kfleet within seconds whatever Kafka does.
func TestReleaseIsBoundedWhenKafkaStalls(t *testing.T) {
	c, cl, ctx := fakeKafka(t)
	l, err := Acquire(ctx, cl, "fake", Request{OpID: "op-stall", Purpose: "stall", TTL: 3 * time.Second, Renew: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	stalled := make(chan struct{}, 1)
	c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		select {
		case stalled <- struct{}{}:
		default:
		}
		return nil, nil, true // never answered: the renewal hangs in its produce
	})
	select {
	case <-stalled:
	case <-time.After(5 * time.Second):
		t.Fatal("no renewal was attempted")
	}
	rctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	began := time.Now()
	err = l.Release(rctx)
	if took := time.Since(began); took > 2500*time.Millisecond {
		t.Errorf("Release took %s with Kafka silent; want about its 1s context", took.Round(100*time.Millisecond))
	}
	if err == nil || !strings.Contains(err.Error(), "expires by itself") {
		t.Errorf("Release = %v; want an error saying the lease expires by itself", err)
	}
}
