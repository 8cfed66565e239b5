// Package lease is a cluster's operation lease and its journal of operation events, both kept
// in Kafka's internal topic OpsTopic: Acquire, Read and ForceRelease the lease; a held Lease
// renews itself and records events. The log is replayed the same way by every contender, so
// they agree on who holds it.
//
// It may import ops/kafka, ops/cluster, ops/journal (which brokers an operation left stopped) and
// inventory; never SSH, host probes or fleet collection.
package lease

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kfleet/kfleet/ops/cluster"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/kafka"
)

// The cluster lease (SPEC section 5): one holder per cluster for disruptive operations, stored in
// the cluster itself so every operator sees it.
//
// The lease is a log, not a register. Contenders append a claim to OpsTopic (one partition,
// replicated, acks=all, LogAppendTime) and replay the log up to their own claim (lease_log.go):
// the first claim that finds no live lease wins, later ones are void. The partition orders all
// claims, so every contender reaches the same verdict about every claim.
//
// Replay window: a reader replays from the first record of the last 24h (ListOffsets by time),
// not from the start of the log. A lease lasts longer than that only by renewals, and each renew
// repeats the lease's holder, purpose, TTL and claim offset, so a window that starts after the
// claim still sees the lease at its next renewal. TTLs are capped at 1h, so two readers whose
// windows start at different offsets agree about any record written more than about 2h after
// both windows start; that is, about everything now.
//
// Time: expiry is judged by the partition leader's clock (LogAppendTime), the same for every
// contender. The holder judges its own lease by its local monotonic clock from the moment it
// sent its latest confirmed claim or renew, minus a margin, which is never later than what
// others see. Readers (status) judge expiry with the local wall clock: a skew of a few seconds
// only shifts when an unrenewed lease shows as expired.

// OpsTopic is the internal topic holding cluster leases and operation events.
const OpsTopic = "__kfleet_ops"

// OpLease is the lease's requests and the ACLs they need on OpsTopic.
var OpLease = kafka.Op{Request: "the cluster lease in " + OpsTopic, ACL: "Create, Describe, DescribeConfigs, Write and Read on Topic:" + OpsTopic}

// DefaultTTL is how long a lease outlives its last renewal when nobody says otherwise: short, so
// that a kfleet killed mid-operation blocks its cluster for seconds (and resume on the same host
// takes over at once, see Request.TakeOver); renewals every TTL/3 keep a live holder's lease.
const DefaultTTL = 30 * time.Second

const (
	minLeaseTTL  = time.Second
	maxLeaseTTL  = time.Hour
	leaseWindow  = 24 * time.Hour
	opsRetention = 7 * 24 * time.Hour
	leasePoll    = 500 * time.Millisecond // re-read while waiting for a held lease
	leaseRetry   = 500 * time.Millisecond // retry of a failed renewal
	leaseStep    = 15 * time.Second       // bound on one lease I/O step (produce, read)
	maxClockSkew = time.Hour
)

// Request asks for a cluster's lease.
type Request struct {
	Holder  string        // who: "user@host pid N"; "" -> HolderString()
	OpID    string        // the operation's id (required)
	Purpose string        // what for: "restart", "deploy 4.1.1", "patch k3.example"
	TTL     time.Duration // 0 -> DefaultTTL; between 1s and 1h
	Wait    time.Duration // how long to keep trying while another holds it; 0 = one try
	Renew   time.Duration // renewal interval; 0 -> TTL/3; under TTL/2
	// Detached leases are meant to outlive this process (patch pre holds the cluster until post):
	// they record no holder process, so nobody takes them over as a dead holder's.
	Detached bool
	// TakeOver is for resuming OpID: a lease OpID still holds is taken over at once when its
	// holder process is provably gone (same host: pid gone or reused, or a reboot), and otherwise
	// waited for until it expires, however short Wait is.
	TakeOver bool
}

func (r Request) withDefaults() (Request, error) {
	if r.OpID == "" {
		return r, errors.New("lease: an op id is required")
	}
	if r.Holder == "" {
		r.Holder = HolderString()
	}
	if r.TTL == 0 {
		r.TTL = DefaultTTL
	}
	if r.TTL < minLeaseTTL || r.TTL > maxLeaseTTL {
		return r, fmt.Errorf("lease: ttl %s is outside %s..%s", r.TTL, minLeaseTTL, maxLeaseTTL)
	}
	if r.Renew == 0 {
		r.Renew = r.TTL / 3
	}
	if r.Renew <= 0 || r.Renew >= r.TTL/2 {
		return r, fmt.Errorf("lease: renewal interval %s must be positive and under half the ttl %s", r.Renew, r.TTL)
	}
	if r.Wait < 0 {
		r.Wait = 0
	}
	return r, nil
}

// leaseMargin is how much earlier than the log the holder gives up its lease: room for a leader
// change to a broker whose clock is a little ahead, and for the engine to notice.
func leaseMargin(ttl time.Duration) time.Duration { return min(ttl/5, 5*time.Second) }

// HeldError says another operation holds the cluster's lease. Exit code 75: retry later.
type HeldError struct {
	Cluster               string
	Holder, Purpose, OpID string
	Since, Expires        time.Time
	Gone                  string // why its holder process is provably dead; "": not known to be
}

func (e *HeldError) Error() string {
	if e.Gone != "" {
		return fmt.Sprintf("cluster %s: lease held by %s for %q (op %s) since %s, but its holder is gone (%s); run `kfleet resume %s` to take it over and finish, or wait until %s",
			e.Cluster, e.Holder, e.Purpose, e.OpID, clock(e.Since), e.Gone, e.OpID, clock(e.Expires))
	}
	held := fmt.Sprintf("cluster %s: lease held by %s for %q (op %s) since %s", e.Cluster, e.Holder, e.Purpose, e.OpID, clock(e.Since))
	if host, ok := strings.CutPrefix(e.Purpose, "patch "); ok && strings.HasPrefix(e.OpID, "patch-") {
		// A patch pre's lease outlives the pre by design, until its post.
		return fmt.Sprintf("%s, until `kfleet patch post --host %s` ends it (or it expires at %s); retry later", held, host, clock(e.Expires))
	}
	// Its holder runs and renews it, or runs on another machine: breaking it is not the advice.
	return fmt.Sprintf("%s, expires %s unless renewed; retry later, or wait for it with --lease-wait", held, clock(e.Expires))
}

// FaultKind says what kind of failure this is (refused for now: retry later).
func (e *HeldError) FaultKind() fault.Kind { return fault.RefusedForNow }

func clock(t time.Time) string { return t.Local().Format("15:04:05") }

func heldError(cluster string, st State) *HeldError {
	_, gone := st.HolderGone()
	return &HeldError{Cluster: cluster, Holder: st.Holder, Purpose: st.Purpose, OpID: st.OpID,
		Since: st.Since, Expires: st.Expires, Gone: gone}
}

// State is a cluster's lease as read from its ops log, with the latest operation events.
type State struct {
	Held    bool      `json:"held" yaml:"held"`
	Holder  string    `json:"holder" yaml:"holder"`
	Purpose string    `json:"purpose" yaml:"purpose"`
	OpID    string    `json:"op_id" yaml:"op_id"`
	Since   time.Time `json:"since" yaml:"since"`
	Expires time.Time `json:"expires" yaml:"expires"`
	Proc    *Proc     `json:"holder_process,omitempty" yaml:"holder_process,omitempty"`
	// Stopped are brokers that operations journaled stopping and not starting again.
	Stopped []cluster.StoppedBroker `json:"stopped,omitempty" yaml:"stopped,omitempty"`
	Events  []cluster.OpEvent       `json:"events" yaml:"events"` // the latest ones (last 24h), newest last, up to 20
	nonce   string
}

// HeldBy is the refusal an operation other than opID gets while the lease is held (nil when it
// is free or opID holds it): what a dry run reports without trying to take the lease.
func (s State) HeldBy(cluster, opID string) error {
	if !s.Held || s.OpID == opID {
		return nil
	}
	return heldError(cluster, s)
}

// HolderGone says whether the lease's holder process is provably dead, and why (see Proc.Gone):
// false when nobody holds it, or the lease is detached, or its holder is on another host.
func (s State) HolderGone() (bool, string) {
	if !s.Held || s.Proc == nil {
		return false, ""
	}
	return s.Proc.Gone()
}

// LeaseHolder is the lease for `status`, nil when nobody holds it.
func (s State) LeaseHolder() *cluster.LeaseHolder {
	if !s.Held {
		return nil
	}
	return &cluster.LeaseHolder{Holder: s.Holder, Purpose: s.Purpose, OpID: s.OpID, Since: s.Since, Expires: s.Expires}
}

// DetachedHolderString names who holds a lease that outlives this process (patch pre's, until its
// post): "user@hostname", without a pid that will soon mean nothing.
func DetachedHolderString() string {
	h := HolderString()
	return h[:strings.LastIndex(h, " pid ")]
}

// HolderString names this process as a lease holder: "user@hostname pid N".
func HolderString() string {
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	if name == "" {
		name = "uid" + strconv.Itoa(os.Getuid())
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown-host"
	}
	return fmt.Sprintf("%s@%s pid %d", name, host, os.Getpid())
}

// Lease is a held cluster lease. A goroutine renews it until Release or until the context given
// to Acquire ends; pass a context that lives as long as the operation (not one that Ctrl-C
// cancels before the current batch is back), and always call Release.
type Lease struct {
	Cluster string
	Holder  string
	OpID    string
	Purpose string
	TTL     time.Duration
	Since   time.Time // broker time of the winning claim
	// TookOver says whose lease this one replaced (Request.TakeOver of a dead holder's); "": none.
	TookOver string

	key         leaseKey
	proc        *Proc
	claimOffset int64
	every       time.Duration
	log         *opsLog // on a client of its own, closed by Release

	replay *leaseReplay // the renewal goroutine's, after Acquire returns

	mu         sync.Mutex
	validUntil time.Time // local: after this, others may hold the lease
	watchdog   *time.Timer
	lastErr    error // latest failed renewal, for the message when the lease runs out
	stopped    bool  // the renewal goroutine ended with its context
	lost       chan struct{}
	lostErr    error
	released   bool

	stop context.CancelFunc
	done chan struct{}
}

// Acquire takes the cluster's lease for req.OpID, creating OpsTopic on first use. When
// another operation holds it, it keeps trying for req.Wait and then returns *HeldError. cl
// is only used as a template: the lease runs on a client of its own.
func Acquire(ctx context.Context, cl *kgo.Client, cluster string, req Request) (*Lease, error) {
	req, err := req.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", cluster, err)
	}
	log, err := newOpsWriter(cl, cluster)
	if err != nil {
		return nil, err
	}
	l, err := acquire(ctx, log, req)
	if err != nil {
		log.cl.Close()
		if kafka.IsAuthorizationError(err) {
			return nil, kafka.Failure(cluster, OpLease, err)
		}
		return nil, err
	}
	return l, nil
}

func acquire(ctx context.Context, log *opsLog, req Request) (*Lease, error) {
	if err := step(ctx, "creating or finding topic "+OpsTopic, log.ensureTopic); err != nil {
		return nil, fmt.Errorf("cluster %s: lease: %w", log.cluster, err)
	}
	deadline := time.Now().Add(req.Wait)
	var replay *leaseReplay
	takenOver, waitedOut := 0, false
	var tookOver string
	for {
		l, holder, err := tryClaim(ctx, log, req, &replay)
		if l != nil {
			l.TookOver = tookOver
		}
		if err != nil || l != nil {
			return l, err
		}
		// Someone holds it: watch the log (without writing) until it looks free, then claim again.
		for {
			if req.TakeOver && holder.OpID == req.OpID {
				if gone, why := holder.HolderGone(); gone && takenOver < 3 {
					takenOver++
					if err := takeOver(ctx, log, replay, holder, req.Holder, why); err != nil {
						return nil, err
					}
					tookOver = fmt.Sprintf("took over the lease of op %s from %s: %s", holder.OpID, holder.Holder, why)
					break
				}
				if !waitedOut {
					// Its holder may live on another host: wait (once) for its lease to run out. A
					// holder that renews meanwhile is alive, and is refused below.
					waitedOut = true
					deadline = later(deadline, holder.Expires.Add(time.Second))
				}
			}
			if !time.Now().Before(deadline) {
				return nil, heldError(log.cluster, holder)
			}
			select {
			case <-ctx.Done():
				return nil, fmt.Errorf("cluster %s: waiting for the lease: %w (%v)", log.cluster, ctx.Err(), heldError(log.cluster, holder))
			case <-time.After(min(leasePoll, time.Until(deadline))):
			}
			if err := step(ctx, "reading the lease log", func(ctx context.Context) error {
				return log.readInto(ctx, replay, -1)
			}); err != nil {
				return nil, fmt.Errorf("cluster %s: waiting for the lease: %w", log.cluster, err)
			}
			st := replay.state(time.Now())
			if !st.Held {
				break
			}
			holder = st
		}
	}
}

// tryClaim appends one claim and replays the log up to it. It returns the lease if the claim
// won, or who holds it.
func tryClaim(ctx context.Context, log *opsLog, req Request, replay **leaseReplay) (*Lease, State, error) {
	k := leaseKey{req.OpID, newNonce()}
	var proc *Proc
	if !req.Detached {
		self := Self()
		proc = &self
	}
	sent := time.Now()
	var off int64
	err := step(ctx, "writing the claim", func(ctx context.Context) (err error) {
		off, err = log.append(ctx, recClaim, opsBody{OpID: k.opID, Nonce: k.nonce, Holder: req.Holder,
			Purpose: req.Purpose, TTLms: req.TTL.Milliseconds(), Proc: proc})
		return err
	})
	if err != nil {
		// The claim may still have been written: end it so it cannot hold the lease unseen.
		log.abandon(k, req.Holder)
		return nil, State{}, fmt.Errorf("cluster %s: lease: %w", log.cluster, err)
	}
	err = step(ctx, "replaying the lease log", func(ctx context.Context) error {
		if *replay == nil {
			start, err := log.offsetAt(ctx, sent.Add(-leaseWindow))
			if err != nil {
				return err
			}
			*replay = newLeaseReplay(min(start, off))
		}
		return log.readInto(ctx, *replay, off+1)
	})
	if err == nil && (*replay).next != off+1 {
		err = fmt.Errorf("replay stopped at offset %d before the claim at %d", (*replay).next, off)
	}
	if err != nil {
		log.abandon(k, req.Holder)
		return nil, State{}, fmt.Errorf("cluster %s: lease: %w", log.cluster, err)
	}
	r := *replay
	if skew := sent.Sub(r.clock); skew > maxClockSkew {
		log.abandon(k, req.Holder)
		return nil, State{}, fmt.Errorf("cluster %s: lease: this host's clock is %s ahead of the partition leader's; fix the clock (NTP) first",
			log.cluster, skew.Round(time.Second))
	}
	if !r.holds(k) {
		if r.cur == nil {
			// Only possible if the log holds records this replay does not understand.
			return nil, State{}, fmt.Errorf("cluster %s: lease: claim at offset %d neither won nor lost to a holder; inspect topic %s",
				log.cluster, off, OpsTopic)
		}
		return nil, r.state(r.clock), nil
	}
	l := &Lease{Cluster: log.cluster, Holder: req.Holder, OpID: req.OpID, Purpose: req.Purpose,
		TTL: req.TTL, Since: r.cur.since, key: k, proc: proc, claimOffset: off, every: req.Renew, log: log,
		replay: r, lost: make(chan struct{}), done: make(chan struct{})}
	l.mu.Lock()
	l.validUntil = sent.Add(l.TTL - leaseMargin(l.TTL))
	l.watchdog = time.AfterFunc(time.Until(l.validUntil), l.expired)
	l.mu.Unlock()
	rctx, stop := context.WithCancel(ctx)
	l.stop = stop
	go l.renewLoop(rctx)
	return l, State{}, nil
}

// Lost is closed when this process can no longer be sure it holds the lease: a renewal was not
// confirmed before the lease would expire, the log shows it released (forced) or taken, or
// Release was called. The engine must not start new steps after that.
func (l *Lease) Lost() <-chan struct{} { return l.lost }

// Err says why Lost was closed; nil while the lease is held.
func (l *Lease) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lostErr
}

func (l *Lease) markLost(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lostErr != nil {
		return
	}
	l.lostErr = err
	l.watchdog.Stop()
	close(l.lost)
}

func (l *Lease) expired() {
	l.mu.Lock()
	why := "renewal was not confirmed in time"
	switch {
	case l.lastErr != nil:
		why += ": " + l.lastErr.Error()
	case l.stopped:
		why = "renewal stopped because the operation's context ended"
	}
	until := l.validUntil
	l.mu.Unlock()
	l.markLost(fmt.Errorf("cluster %s: lease of op %s lost: %s; since %s another operation may hold it",
		l.Cluster, l.OpID, why, clock(until)))
}

func (l *Lease) renewLoop(ctx context.Context) {
	defer close(l.done)
	t := time.NewTimer(l.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			l.mu.Lock()
			l.stopped = true
			l.mu.Unlock()
			return
		case <-l.lost:
			return
		case <-t.C:
		}
		next := l.every
		if err := l.renew(ctx); err != nil {
			if lost := (*leaseLostError)(nil); errors.As(err, &lost) {
				l.markLost(err)
				return
			}
			l.mu.Lock()
			l.lastErr = err
			l.mu.Unlock()
			next = min(next, leaseRetry)
		}
		t.Reset(next)
	}
}

// leaseLostError says the log shows the lease is no longer ours.
type leaseLostError struct{ msg string }

func (e *leaseLostError) Error() string { return e.msg }

func (l *Lease) renew(ctx context.Context) error {
	l.mu.Lock()
	until := l.validUntil
	l.mu.Unlock()
	ctx, cancel := context.WithDeadline(ctx, until)
	defer cancel()
	sent := time.Now()
	off, err := l.log.append(ctx, recRenew, opsBody{OpID: l.OpID, Nonce: l.key.nonce, Holder: l.Holder,
		Purpose: l.Purpose, TTLms: l.TTL.Milliseconds(), ClaimOffset: &l.claimOffset, SinceMs: l.Since.UnixMilli(),
		Proc: l.proc})
	if err != nil {
		return fmt.Errorf("renewing: %w", err)
	}
	if err := l.log.readInto(ctx, l.replay, off+1); err != nil {
		return fmt.Errorf("reading back the renewal: %w", err)
	}
	if !l.replay.holds(l.key) {
		return &leaseLostError{l.lostReason()}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lostErr == nil {
		l.validUntil = sent.Add(l.TTL - leaseMargin(l.TTL))
		l.watchdog.Reset(time.Until(l.validUntil))
		l.lastErr = nil
	}
	return nil
}

func (l *Lease) lostReason() string {
	r := l.replay
	msg := fmt.Sprintf("cluster %s: lease of op %s lost", l.Cluster, l.OpID)
	if e := r.last; e != nil && e.key == l.key {
		msg += fmt.Sprintf(": %s at %s", e.how, clock(e.at))
	}
	if c := r.cur; c != nil {
		msg += fmt.Sprintf("; now held by %s for %q (op %s)", c.holder, c.purpose, c.key.opID)
	}
	return msg
}

// Event appends an operation event to the ops log, with this lease's holder and op id.
func (l *Lease) Event(ctx context.Context, kind, message string, fields map[string]string) error {
	l.mu.Lock()
	released := l.released
	l.mu.Unlock()
	if released {
		return fmt.Errorf("cluster %s: event %q of op %s: the lease was already released", l.Cluster, kind, l.OpID)
	}
	err := step(ctx, "writing an event", func(ctx context.Context) error {
		_, err := l.log.append(ctx, recEvent, opsBody{OpID: l.OpID, Holder: l.Holder, Kind: kind,
			Message: message, Fields: fields})
		return err
	})
	if err != nil {
		return fmt.Errorf("cluster %s: event %q of op %s: %w", l.Cluster, kind, l.OpID, err)
	}
	return nil
}

// Release stops renewing and appends the release. A second call does nothing. If the release
// cannot be written the lease still expires by itself within its TTL; the error says when.
func (l *Lease) Release(ctx context.Context) error {
	l.mu.Lock()
	if l.released {
		l.mu.Unlock()
		return nil
	}
	l.released = true
	until := l.validUntil
	l.mu.Unlock()
	l.stop()
	select {
	case <-l.done:
	case <-ctx.Done():
		// A renewal is stuck on a Kafka that does not answer: do not wait for it (a second
		// Ctrl-C must end kfleet at once). The log stays as it is; the lease runs out by its TTL.
		l.markLost(fmt.Errorf("cluster %s: lease of op %s abandoned", l.Cluster, l.OpID))
		go l.log.cl.Close()
		return fmt.Errorf("cluster %s: releasing the lease of op %s: a renewal is still waiting on Kafka (%w); it expires by itself by %s",
			l.Cluster, l.OpID, ctx.Err(), clock(until.Add(leaseMargin(l.TTL))))
	}
	l.markLost(fmt.Errorf("cluster %s: lease of op %s released", l.Cluster, l.OpID))
	err := step(ctx, "writing the release", func(ctx context.Context) error {
		_, err := l.log.append(ctx, recRelease, opsBody{OpID: l.OpID, Nonce: l.key.nonce, By: l.Holder})
		return err
	})
	if err != nil {
		go l.log.cl.Close() // a record may still be in flight to a silent broker: do not wait
	} else {
		l.log.cl.Close()
	}
	if err != nil {
		return fmt.Errorf("cluster %s: releasing the lease of op %s: %w; it expires by itself by %s",
			l.Cluster, l.OpID, err, clock(until.Add(leaseMargin(l.TTL))))
	}
	return nil
}

// Read reads the cluster's lease and latest operation events. A cluster whose ops topic
// does not exist has never been leased: that is not an error.
func Read(ctx context.Context, cl *kgo.Client, cluster string) (State, error) {
	_, r, err := readLease(ctx, &opsLog{cl: cl, cluster: cluster})
	if err != nil || r == nil {
		return State{}, err
	}
	return r.state(time.Now()), nil
}

func readLease(ctx context.Context, log *opsLog) (exists bool, r *leaseReplay, err error) {
	err = step(ctx, "reading the lease log", func(ctx context.Context) error {
		if exists, err = log.lookup(ctx); err != nil || !exists {
			return err
		}
		start, err := log.offsetAt(ctx, time.Now().Add(-leaseWindow))
		if err != nil {
			return err
		}
		r = newLeaseReplay(start)
		return log.readInto(ctx, r, -1)
	})
	if err != nil {
		return false, nil, fmt.Errorf("cluster %s: lease: %w", log.cluster, err)
	}
	return exists, r, nil
}

// ForceRelease ends whatever lease is held now, for an operator who knows its holder is
// gone. It returns the lease it released (Held false if none was held). If yet another operation
// took the lease in between, it returns that one as *HeldError.
func ForceRelease(ctx context.Context, cl *kgo.Client, cluster, by string) (State, error) {
	if by == "" {
		by = HolderString()
	}
	log, err := newOpsWriter(cl, cluster)
	if err != nil {
		return State{}, err
	}
	defer log.cl.Close()
	exists, r, err := readLease(ctx, log)
	if err != nil || !exists {
		return State{}, err
	}
	st := r.state(time.Now())
	if !st.Held {
		return st, nil
	}
	err = step(ctx, "writing the forced release", func(ctx context.Context) error {
		off, err := log.append(ctx, recRelease, opsBody{OpID: st.OpID, Nonce: st.nonce, Force: true, By: by})
		if err != nil {
			return err
		}
		return log.readInto(ctx, r, off+1)
	})
	if err != nil {
		return st, fmt.Errorf("cluster %s: force-releasing the lease of op %s: %w", cluster, st.OpID, err)
	}
	if now := r.state(r.clock); now.Held {
		return st, heldError(cluster, now)
	}
	return st, nil
}

func newNonce() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// step runs one lease I/O step under a bounded deadline, so no step waits forever.
func step(ctx context.Context, what string, f func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, leaseStep)
	defer cancel()
	if err := f(ctx); err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
			return fmt.Errorf("%s: no answer within %s: %w", what, leaseStep, err)
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
