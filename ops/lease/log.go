package lease

import (
	"cmp"
	"encoding/json"
	"slices"
	"time"

	"github.com/kfleet/kfleet/ops/cluster"
	"github.com/kfleet/kfleet/ops/journal"
)

// The cluster lease lives in the ops log, a single-partition topic in the cluster itself. The
// partition's total order decides races and the partition leader's clock (LogAppendTime) decides
// expiry, so every reader that replays the same records reaches the same verdict. This file is
// the replay: pure, no I/O.

// Record types, stored as the record key.
const (
	recClaim   = "claim"
	recRenew   = "renew"
	recRelease = "release"
	recEvent   = "event"
	// recJournal is one line of an operation's local journal, copied so that status and resume
	// work from any machine.
	recJournal = "journal"
)

// opsBody is the JSON value of every ops-log record; each type uses some of the fields.
type opsBody struct {
	OpID  string `json:"op_id"`
	Nonce string `json:"nonce,omitempty"` // one lease attempt of an op: op_id+nonce is the lease's identity

	Holder  string `json:"holder,omitempty"`
	Purpose string `json:"purpose,omitempty"`
	TTLms   int64  `json:"ttl_ms,omitempty"`

	// A renew repeats the lease it extends (holder, purpose, ttl_ms and these two) so that a
	// reader whose window starts after the claim still sees who holds the lease.
	ClaimOffset *int64 `json:"claim_offset,omitempty"`
	SinceMs     int64  `json:"since_ms,omitempty"`
	// Proc is the holder's process (claim, renew), so that a resume on its host can prove it dead.
	Proc *Proc `json:"proc,omitempty"`

	Force bool   `json:"force,omitempty"` // release
	By    string `json:"by,omitempty"`    // release: who released

	Kind    string            `json:"kind,omitempty"` // event
	Message string            `json:"message,omitempty"`
	Fields  map[string]string `json:"fields,omitempty"`

	Line json.RawMessage `json:"line,omitempty"` // journal
}

// opsRecord is one record of the ops log as the replay sees it.
type opsRecord struct {
	Offset int64
	Time   time.Time // the partition leader's LogAppendTime
	Type   string    // the record key
	Body   opsBody
}

func decodeOpsRecord(offset int64, ts time.Time, key, value []byte) opsRecord {
	r := opsRecord{Offset: offset, Time: ts, Type: string(key)}
	if json.Unmarshal(value, &r.Body) != nil {
		// Every reader skips the same malformed record, so verdicts still agree.
		r.Type = "malformed"
	}
	return r
}

type leaseKey struct{ opID, nonce string }

// heldLease is the lease as the replay tracks it.
type heldLease struct {
	key         leaseKey
	holder      string
	proc        *Proc // nil: not recorded (a detached lease, or an older kfleet)
	purpose     string
	ttl         time.Duration
	since       time.Time // time of the claim
	claimOffset int64
	touched     time.Time // time of the latest claim or renew
}

func (h *heldLease) expires() time.Time { return h.touched.Add(h.ttl) }

// leaseEnd says how the latest lease ended, for messages.
type leaseEnd struct {
	key    leaseKey
	holder string
	how    string // "released", "force-released by X", "expired"
	at     time.Time
}

// maxEvents is how many operation events a replay keeps.
const maxEvents = 20

// stepEvent is the kind of an operation's "step started" event; a replay keeps only an
// operation's latest step between its milestones.
const stepEvent = "step"

// leaseReplay folds ops-log records, in offset order, into the lease state.
//
// Rules:
//   - Log time is the largest record time seen so far, so a leader whose clock steps back cannot
//     make an expired lease live again.
//   - A lease is live at log time t while t <= last claim/renew time + ttl. Once a record with a
//     later time is read the lease is over, for good: its op_id+nonce can never hold again.
//   - A claim wins when no lease is live. A claim while another lease is live is void; a claim
//     by the live lease itself (same op_id+nonce) re-claims and extends it.
//   - A renew extends the live lease if it is that lease's; otherwise it is void, except in one
//     case: a renew of a lease claimed before the replay's window (claim_offset < start) that no
//     record in the window has ended, read while nothing is held, re-establishes that lease. This
//     lets a bounded window see long-held leases; see lease.go for why windows still agree.
//   - A release (by the holder, or forced) ends the lease it names if that lease is live, and in
//     any case marks that op_id+nonce as over, so a late duplicate claim or renew cannot revive it.
//   - Events never change the lease.
type leaseReplay struct {
	start int64     // first offset of the window
	next  int64     // next offset to apply; lower ones are duplicates from a re-fetch
	clock time.Time // log time
	cur   *heldLease
	last  *leaseEnd
	over  map[leaseKey]bool
	evs   []cluster.OpEvent

	trails  map[string]*opTrail // unfinished operations' stopped brokers, by op id
	collect string              // an op id whose journal lines to keep (ReadJournal)
	lines   [][]byte
}

// opTrail is what the replay keeps of an unfinished operation's journal.
type opTrail struct {
	holder string
	trail  journal.Trail
}

func newLeaseReplay(start int64) *leaseReplay {
	return &leaseReplay{start: start, next: start, over: map[leaseKey]bool{}, trails: map[string]*opTrail{}}
}

// replayLease folds recs (in offset order, from offset start on) into a lease state.
func replayLease(start int64, recs []opsRecord) *leaseReplay {
	s := newLeaseReplay(start)
	for _, r := range recs {
		s.apply(r)
	}
	return s
}

func (s *leaseReplay) apply(r opsRecord) {
	if r.Offset < s.next {
		return
	}
	s.next = r.Offset + 1
	if r.Time.After(s.clock) {
		s.clock = r.Time
	}
	t := s.clock
	if s.cur != nil && t.After(s.cur.expires()) {
		s.end(s.cur.expires(), "expired")
	}
	b := r.Body
	k := leaseKey{b.OpID, b.Nonce}
	switch r.Type {
	case recClaim:
		if k.opID == "" || k.nonce == "" || b.TTLms <= 0 {
			return
		}
		if s.cur != nil {
			if s.cur.key == k {
				s.cur.touched = t
				s.cur.ttl = time.Duration(b.TTLms) * time.Millisecond
			}
			return
		}
		if s.over[k] {
			return
		}
		s.cur = &heldLease{key: k, holder: b.Holder, proc: b.Proc, purpose: b.Purpose,
			ttl: time.Duration(b.TTLms) * time.Millisecond, since: t, claimOffset: r.Offset, touched: t}
	case recRenew:
		if s.cur != nil {
			if s.cur.key == k {
				s.cur.touched = t
			}
			return
		}
		if s.over[k] || b.ClaimOffset == nil || *b.ClaimOffset >= s.start || b.TTLms <= 0 {
			return
		}
		s.cur = &heldLease{key: k, holder: b.Holder, proc: b.Proc, purpose: b.Purpose,
			ttl: time.Duration(b.TTLms) * time.Millisecond, since: time.UnixMilli(b.SinceMs),
			claimOffset: *b.ClaimOffset, touched: t}
	case recRelease:
		if s.cur != nil && s.cur.key == k {
			how := "released"
			if b.Force {
				how = "force-released by " + b.By
			}
			s.end(t, how)
		}
		s.over[k] = true
	case recJournal:
		if k.opID == "" || len(b.Line) == 0 {
			return
		}
		if k.opID == s.collect {
			s.lines = append(s.lines, b.Line)
		}
		t := s.trails[k.opID]
		if t == nil {
			t = &opTrail{}
		}
		t.holder = b.Holder
		for _, id := range t.trail.ApplyLine(b.Line) {
			// The latest stop or start of a broker is the one that counts.
			for op, other := range s.trails {
				if op != k.opID {
					delete(other.trail.Down, id)
					if len(other.trail.Down) == 0 {
						delete(s.trails, op)
					}
				}
			}
		}
		// Only an operation with brokers still down is worth keeping.
		if t.trail.Finished || len(t.trail.Down) == 0 {
			delete(s.trails, k.opID)
		} else {
			s.trails[k.opID] = t
		}
	case recEvent:
		ev := cluster.OpEvent{Time: r.Time, OpID: b.OpID, Holder: b.Holder, Kind: b.Kind, Message: b.Message, Fields: b.Fields}
		if n := len(s.evs); n > 0 && ev.Kind == stepEvent && s.evs[n-1].Kind == stepEvent && s.evs[n-1].OpID == ev.OpID {
			// Only the step under way matters: steps would crowd the milestones out.
			s.evs[n-1] = ev
			break
		}
		s.evs = append(s.evs, ev)
		if len(s.evs) > 2*maxEvents {
			s.evs = append(s.evs[:0], s.evs[len(s.evs)-maxEvents:]...)
		}
	}
}

func (s *leaseReplay) end(at time.Time, how string) {
	s.over[s.cur.key] = true
	s.last = &leaseEnd{key: s.cur.key, holder: s.cur.holder, how: how, at: at}
	s.cur = nil
}

// holds reports whether lease k held the lease at the last record applied.
func (s *leaseReplay) holds(k leaseKey) bool {
	return s.cur != nil && s.cur.key == k
}

// state is the lease as of the records applied, judged at time now.
func (s *leaseReplay) state(now time.Time) State {
	var st State
	if c := s.cur; c != nil && !now.After(c.expires()) {
		st = State{Held: true, Holder: c.holder, Proc: c.proc, Purpose: c.purpose, OpID: c.key.opID,
			Since: c.since, Expires: c.expires(), nonce: c.key.nonce}
	}
	evs := s.evs
	if len(evs) > maxEvents {
		evs = evs[len(evs)-maxEvents:]
	}
	st.Events = append([]cluster.OpEvent(nil), evs...)
	gone, goneWhy := st.HolderGone()
	for op, t := range s.trails {
		for b, at := range t.trail.Down {
			sb := cluster.StoppedBroker{Broker: b, OpID: op, Holder: t.holder, At: at}
			if st.Held && st.OpID == op {
				sb.Running = !gone
				sb.Gone = goneWhy
			}
			st.Stopped = append(st.Stopped, sb)
		}
	}
	slices.SortFunc(st.Stopped, func(a, b cluster.StoppedBroker) int { return cmp.Compare(a.Broker, b.Broker) })
	return st
}
