package cluster

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kfleet/kfleet/inventory"
)

// GateOptions tunes CheckGate. The zero value is the strict default.
type GateOptions struct {
	// AllowUnavailable accepts the partitions that no restart can keep writable: those whose
	// replication factor is <= their min.insync.replicas (RF1 included), which go read-only or
	// offline while a replica restarts. The operator takes that outage knowingly. It relaxes
	// nothing else: a partition with RF > min ISR must still keep min ISR and a live leader.
	AllowUnavailable bool
	// QuorumMaxLag: a voter counts as caught up when the quorum leader saw it caught up within
	// this long; 0 means 5s.
	QuorumMaxLag time.Duration
	// MaxNamed is how many partitions one reason names; 0 means 5.
	MaxNamed int
}

// GateResult is the verdict on taking a set of brokers down at once.
type GateResult struct {
	OK bool `json:"ok" yaml:"ok"`
	// Reasons says why not: one short sentence per kind of problem, worst first, each naming
	// partitions. Empty when OK.
	Reasons []string `json:"reasons,omitempty" yaml:"reasons,omitempty"`
	// Blocking names every partition (topic-N) that blocks, sorted by topic, then partition.
	Blocking []string `json:"blocking,omitempty" yaml:"blocking,omitempty"`
	// NeverWritable names the touched partitions whose replication factor is <= their
	// min.insync.replicas, sorted like Blocking. They block unless AllowUnavailable and are
	// listed either way, so the caller can say what goes unavailable.
	NeverWritable []string `json:"never_writable,omitempty" yaml:"never_writable,omitempty"`
}

const (
	gateDefaultQuorumMaxLag = 5 * time.Second
	gateDefaultMaxNamed     = 5
)

// CheckGate decides whether the brokers in down may be stopped together now (SPEC section 5).
// For every partition with a replica in down, the in-sync replicas outside down that sit on
// live (registered, unfenced) brokers must number at least the topic's min.insync.replicas
// (1 when unknown), so at least one of them can lead; the partition must not be
// under-replicated already; and its replication factor must exceed min ISR unless
// AllowUnavailable. No partition anywhere may be offline, and the KRaft quorum, when known,
// must keep a caught-up majority of all voters without down; in ZooKeeper mode the ensemble,
// when read, must have a synced majority under one leader. Brokers in down that are fenced or
// unregistered are fine: they count as down like the others.
//
// In-sync replicas on brokers that are not alive do not count towards min ISR: the metadata can
// lag a broker's death, and such a replica acknowledges nothing.
//
// It is pure and linear in partitions; now is only used when the quorum leader's own clock is
// not in the snapshot.
func CheckGate(s *Snapshot, down []int32, now time.Time, o GateOptions) GateResult {
	if s == nil {
		return gateNoSnapshot()
	}
	c := newGateCheck(s, down, o)
	for i := range s.Partitions {
		c.visit(int32(i))
	}
	return c.result(now)
}

// GateIndex answers CheckGate for many candidate sets over one snapshot, as a planner asks: it
// remembers which partitions each broker hosts, so a check visits only the partitions the set
// touches and the offline ones instead of the whole cluster. Its answers equal CheckGate's on
// the snapshot it was built from; the snapshot must not change afterwards.
type GateIndex struct {
	s       *Snapshot
	hosted  [][]int32         // partition indices by broker id, for ids below gateBitmapIDs
	other   map[int32][]int32 // the same for any other id
	offline []int32
}

// NewGateIndex indexes a snapshot's partitions by broker, in one pass.
func NewGateIndex(s *Snapshot) *GateIndex {
	x := &GateIndex{s: s}
	if s == nil {
		return x
	}
	for i := range s.Partitions {
		p := &s.Partitions[i]
		if p.Leader < 0 {
			x.offline = append(x.offline, int32(i))
		}
		for k, r := range p.Replicas {
			if slices.Contains(p.Replicas[:k], r) {
				continue
			}
			switch {
			case r >= 0 && r < gateBitmapIDs:
				if int(r) >= len(x.hosted) {
					x.hosted = append(x.hosted, make([][]int32, int(r)+1-len(x.hosted))...)
				}
				x.hosted[r] = append(x.hosted[r], int32(i))
			default:
				if x.other == nil {
					x.other = map[int32][]int32{}
				}
				x.other[r] = append(x.other[r], int32(i))
			}
		}
	}
	return x
}

// Check is CheckGate(snapshot, down, now, o), visiting only what down can affect.
func (x *GateIndex) Check(down []int32, now time.Time, o GateOptions) GateResult {
	if x.s == nil {
		return gateNoSnapshot()
	}
	c := newGateCheck(x.s, down, o)
	for _, i := range x.offline {
		if !c.stopping.hasAny(x.s.Partitions[i].Replicas) {
			c.visit(i)
		}
	}
	ids := slices.Clone(down)
	slices.Sort(ids)
	for _, b := range slices.Compact(ids) {
		var hosted []int32
		if b >= 0 && int(b) < len(x.hosted) {
			hosted = x.hosted[b]
		} else {
			hosted = x.other[b]
		}
		for _, i := range hosted {
			// A partition on several stopping brokers is visited once: from the first of them
			// in its replica list.
			if c.firstStopping(&x.s.Partitions[i]) == b {
				c.visit(i)
			}
		}
	}
	return c.result(now)
}

// GateConflicts are the pairs of brokers that no batch may hold together: some partition
// hosted by both blocks the gate when both stop. The gate only gets stricter as the set grows,
// so a set holding such a pair is refused whatever else it holds; a planner may skip it without
// asking CheckGate, and plans exactly as if it had asked.
type GateConflicts struct {
	pairs map[uint64]struct{}
}

// NewGateConflicts finds the conflicting pairs in one pass, judging each partition with each
// pair of its replicas stopped (RF3: three judgements a partition).
func NewGateConflicts(s *Snapshot, o GateOptions) GateConflicts {
	g := GateConflicts{pairs: map[uint64]struct{}{}}
	if s == nil {
		return g
	}
	c := newGateCheck(s, nil, o)
	// One stopping set, switched from pair to pair; its bitmap covers every replica id.
	top := int32(-1)
	for i := range s.Partitions {
		for _, r := range s.Partitions[i].Replicas {
			if r < gateBitmapIDs {
				top = max(top, r)
			}
		}
	}
	if top >= 0 {
		c.stopping.bits = make([]uint64, top/64+1)
	}
	for i := range s.Partitions {
		p := &s.Partitions[i]
		for k, a := range p.Replicas {
			for _, b := range p.Replicas[k+1:] {
				if a == b {
					continue
				}
				key := gatePairKey(a, b)
				if _, known := g.pairs[key]; known {
					continue
				}
				c.stopping.add(a)
				c.stopping.add(b)
				if c.judge(p).blocks {
					g.pairs[key] = struct{}{}
				}
				c.stopping.remove(a)
				c.stopping.remove(b)
			}
		}
	}
	return g
}

// Has reports whether brokers a and b can never stop together.
func (g GateConflicts) Has(a, b int32) bool {
	_, ok := g.pairs[gatePairKey(a, b)]
	return ok
}

func gatePairKey(a, b int32) uint64 {
	if a > b {
		a, b = b, a
	}
	return uint64(uint32(a))<<32 | uint64(uint32(b))
}

func gateNoSnapshot() GateResult {
	return GateResult{Reasons: []string{"no cluster snapshot to check the gate against"}}
}

// gateKind is why a partition blocks, worst first. A partition is reported under its worst kind
// only, so reasons stay short.
type gateKind uint8

const (
	gateOffline         gateKind = iota // no leader now, touched or not
	gateNoLeaderLeft                    // no in-sync replica outside the set on a live broker
	gateNeverWritable                   // RF <= min ISR and unavailability not allowed
	gateBelowMinISR                     // fewer live in-sync replicas than min ISR would remain
	gateUnderReplicated                 // under-replicated already and touched
)

// gateGroup gathers the partitions that block for the same reason.
type gateGroup struct {
	kind    gateKind
	minISR  int     // effective min ISR the sentence quotes; 0 when the kind does not quote one
	parts   []int32 // indices into Snapshot.Partitions
	uniform bool    // all parts have the same replicas and ISR, so one detail describes them all
}

// gateCheck is one evaluation of the gate: the per-partition rules fed partition by partition,
// then the quorum rule and the wording.
type gateCheck struct {
	s        *Snapshot
	o        GateOptions
	stopping gateIDSet
	alive    gateIDSet
	groups   []gateGroup
	never    []int32
	unknown  []bool // by topic index: a blocking partition's min ISR was unknown; nil until needed
}

func newGateCheck(s *Snapshot, down []int32, o GateOptions) *gateCheck {
	if o.QuorumMaxLag <= 0 {
		o.QuorumMaxLag = gateDefaultQuorumMaxLag
	}
	if o.MaxNamed <= 0 {
		o.MaxNamed = gateDefaultMaxNamed
	}
	alive := make([]int32, 0, len(s.Brokers))
	for _, b := range s.Brokers {
		if b.Alive() {
			alive = append(alive, b.ID)
		}
	}
	return &gateCheck{s: s, o: o, stopping: newGateIDSet(down), alive: newGateIDSet(alive)}
}

// gateVerdict is what the per-partition rules say about one partition.
type gateVerdict struct {
	never   bool // touched, and RF <= min ISR
	blocks  bool
	kind    gateKind // why it blocks
	minISR  int      // the effective min ISR the reason quotes, or 0
	unknown bool     // the reason rests on min ISR being unknown, taken as 1
}

// judge applies the per-partition rules to one partition against the stopping set. It only
// reads, so the pair table can ask it about sets that are never checked whole.
func (c *gateCheck) judge(p *Partition) gateVerdict {
	if !c.stopping.hasAny(p.Replicas) {
		return gateVerdict{blocks: p.Leader < 0, kind: gateOffline}
	}
	minISR, unknown := c.s.Topics[p.Topic].MinISR, false
	if minISR <= 0 {
		minISR, unknown = 1, true
	}
	v := gateVerdict{never: len(p.Replicas) <= minISR, blocks: true}
	left := 0 // in-sync replicas that stay up and can acknowledge writes
	for _, r := range p.ISR {
		if !c.stopping.has(r) && c.alive.has(r) {
			left++
		}
	}
	exempt := v.never && c.o.AllowUnavailable
	switch {
	case p.Leader < 0:
		v.kind = gateOffline
	case !exempt && left == 0:
		v.kind, v.unknown = gateNoLeaderLeft, unknown
	case !exempt && v.never:
		v.kind, v.minISR, v.unknown = gateNeverWritable, minISR, unknown
	case !exempt && left < minISR:
		v.kind, v.minISR = gateBelowMinISR, minISR
	case p.UnderReplicated() && !c.laggingOnlyInStopping(p):
		// Under-replicated because of a broker being stopped (e.g. one already down, being
		// restarted again) is no reason to wait: the ISR checks above already hold without it.
		v.kind = gateUnderReplicated
	default:
		v.blocks = false
	}
	return v
}

// laggingOnlyInStopping reports whether every replica missing from the ISR is in the stopping set.
func (c *gateCheck) laggingOnlyInStopping(p *Partition) bool {
	for _, r := range p.Replicas {
		if !c.stopping.has(r) && !slices.Contains(p.ISR, r) {
			return false
		}
	}
	return true
}

// visit judges one partition and records the verdict.
func (c *gateCheck) visit(i int32) {
	v := c.judge(&c.s.Partitions[i])
	if v.never {
		c.never = append(c.never, i)
	}
	if !v.blocks {
		return
	}
	if v.unknown {
		if c.unknown == nil {
			c.unknown = make([]bool, len(c.s.Topics))
		}
		c.unknown[c.s.Partitions[i].Topic] = true
	}
	c.block(i, v.kind, v.minISR)
}

func (c *gateCheck) block(i int32, kind gateKind, minISR int) {
	p := &c.s.Partitions[i]
	for gi := range c.groups {
		g := &c.groups[gi]
		if g.kind != kind || g.minISR != minISR {
			continue
		}
		if g.uniform {
			q := &c.s.Partitions[g.parts[0]]
			g.uniform = slices.Equal(q.Replicas, p.Replicas) && slices.Equal(q.ISR, p.ISR)
		}
		g.parts = append(g.parts, i)
		return
	}
	c.groups = append(c.groups, gateGroup{kind: kind, minISR: minISR, parts: []int32{i}, uniform: true})
}

// firstStopping is the first replica of p in the stopping set, or -1.
func (c *gateCheck) firstStopping(p *Partition) int32 {
	for _, r := range p.Replicas {
		if c.stopping.has(r) {
			return r
		}
	}
	return -1
}

func (c *gateCheck) result(now time.Time) GateResult {
	var r GateResult
	slices.SortFunc(c.groups, func(a, b gateGroup) int {
		return cmp.Or(cmp.Compare(a.kind, b.kind), cmp.Compare(a.minISR, b.minISR))
	})
	var blocking []int32
	for gi := range c.groups {
		g := &c.groups[gi]
		slices.SortFunc(g.parts, c.comparePartitions)
		r.Reasons = append(r.Reasons, c.describe(g))
		blocking = append(blocking, g.parts...)
	}
	quorumReason, quorumOK := c.checkQuorum(now)
	if !quorumOK {
		r.Reasons = append(r.Reasons, quorumReason)
	}
	ensembleReason, ensembleOK := c.checkEnsemble()
	if !ensembleOK {
		r.Reasons = append(r.Reasons, ensembleReason)
	}
	if note := c.unknownNote(); note != "" {
		r.Reasons = append(r.Reasons, note)
	}
	slices.SortFunc(blocking, c.comparePartitions)
	r.Blocking = c.names(blocking)
	slices.SortFunc(c.never, c.comparePartitions)
	r.NeverWritable = c.names(c.never)
	r.OK = len(c.groups) == 0 && quorumOK && ensembleOK
	return r
}

// comparePartitions orders partitions by topic name, then partition id, the way people read
// them (orders-2 before orders-10).
func (c *gateCheck) comparePartitions(a, b int32) int {
	pa, pb := &c.s.Partitions[a], &c.s.Partitions[b]
	if pa.Topic != pb.Topic {
		if d := strings.Compare(c.s.Topics[pa.Topic].Name, c.s.Topics[pb.Topic].Name); d != 0 {
			return d
		}
	}
	return cmp.Or(cmp.Compare(pa.Topic, pb.Topic), cmp.Compare(pa.ID, pb.ID), cmp.Compare(a, b))
}

func (c *gateCheck) names(parts []int32) []string {
	if len(parts) == 0 {
		return nil
	}
	out := make([]string, len(parts))
	for k, i := range parts {
		out[k] = c.s.PartitionName(&c.s.Partitions[i])
	}
	return out
}

// nameList names the first MaxNamed partitions and counts the rest.
func (c *gateCheck) nameList(parts []int32) string {
	n := min(len(parts), c.o.MaxNamed)
	var b strings.Builder
	for k, i := range parts[:n] {
		if k > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.s.PartitionName(&c.s.Partitions[i]))
	}
	if more := len(parts) - n; more > 0 {
		fmt.Fprintf(&b, " (+%d more)", more)
	}
	return b.String()
}

func (c *gateCheck) describe(g *gateGroup) string {
	p := &c.s.Partitions[g.parts[0]]
	names := c.nameList(g.parts)
	one := len(g.parts) == 1
	detail := c.detail(g.kind, p)
	if !g.uniform {
		detail = "e.g. " + c.s.PartitionName(p) + ": " + detail
	}
	switch g.kind {
	case gateOffline:
		return fmt.Sprintf("%s %s offline now, no leader (%s)", names, gateVerb(one, "is", "are"), detail)
	case gateNoLeaderLeft:
		return fmt.Sprintf("%s would have no in-sync replica left on a live broker to lead (%s)", names, detail)
	case gateNeverWritable:
		return fmt.Sprintf("%s can never stay writable through a restart: replication factor <= min.insync.replicas=%d (%s); only allowing unavailability accepts that",
			names, g.minISR, detail)
	case gateBelowMinISR:
		return fmt.Sprintf("%s would drop below min.insync.replicas=%d (%s)", names, g.minISR, detail)
	default:
		return fmt.Sprintf("%s %s under-replicated already and %s a replica on a stopping broker (%s)",
			names, gateVerb(one, "is", "are"), gateVerb(one, "has", "have"), detail)
	}
}

// detail shows one partition's replica state as the kind needs it.
func (c *gateCheck) detail(kind gateKind, p *Partition) string {
	var stopping, dead []int32
	for _, r := range p.Replicas {
		if c.stopping.has(r) {
			stopping = append(stopping, r)
		}
	}
	switch kind {
	case gateOffline:
		return fmt.Sprintf("replicas %v, isr %v", p.Replicas, p.ISR)
	case gateNeverWritable:
		return fmt.Sprintf("replicas %v, stopping %v", p.Replicas, stopping)
	case gateUnderReplicated:
		return fmt.Sprintf("replicas %v, isr %v, stopping %v", p.Replicas, p.ISR, stopping)
	}
	for _, r := range p.ISR {
		if !c.stopping.has(r) && !c.alive.has(r) {
			dead = append(dead, r)
		}
	}
	d := fmt.Sprintf("isr %v, stopping %v", p.ISR, stopping)
	if len(dead) > 0 {
		d += fmt.Sprintf(", not alive %v", dead)
	}
	return d
}

func (c *gateCheck) unknownNote() string {
	var topics []string
	for t, u := range c.unknown {
		if u {
			topics = append(topics, c.s.Topics[t].Name)
		}
	}
	if len(topics) == 0 {
		return ""
	}
	slices.Sort(topics)
	n := min(len(topics), c.o.MaxNamed)
	list := strings.Join(topics[:n], ", ")
	if more := len(topics) - n; more > 0 {
		list += fmt.Sprintf(" (+%d more)", more)
	}
	return fmt.Sprintf("min.insync.replicas of %s %s could not be read; assumed 1",
		gateVerb(len(topics) == 1, "topic", "topics"), list)
}

// checkQuorum applies the KRaft rule: the voters outside the stopping set that are caught up
// must be a majority of all voters. The timestamps are the quorum leader's clock, so they are
// compared with the leader's own entry, not with this machine's clock, when the leader has one.
func (c *gateCheck) checkQuorum(now time.Time) (string, bool) {
	q := c.s.Quorum
	if q == nil {
		return "", true
	}
	if len(q.Voters) == 0 {
		return "KRaft quorum reports no voters, so its majority cannot be checked", false
	}
	if q.LeaderID < 0 {
		return "KRaft quorum has no leader right now", false
	}
	voters := slices.Clone(q.Voters)
	slices.SortFunc(voters, func(a, b QuorumReplica) int { return cmp.Compare(a.ID, b.ID) })
	ref := now.UnixMilli()
	for _, v := range voters {
		if v.ID == q.LeaderID {
			if t := max(v.LastCaughtUpMs, v.LastFetchMs); t > 0 {
				ref = t
			}
		}
	}
	maxLag := c.o.QuorumMaxLag.Milliseconds()
	need := len(voters)/2 + 1
	up := 0
	var stopping []int32
	var lagging []string
	for _, v := range voters {
		caughtUp := v.ID == q.LeaderID || (v.LastCaughtUpMs >= 0 && v.LastCaughtUpMs >= ref-maxLag)
		switch {
		case c.stopping.has(v.ID):
			stopping = append(stopping, v.ID)
		case caughtUp:
			up++
		case v.LastCaughtUpMs < 0:
			lagging = append(lagging, fmt.Sprintf("voter %d lagging (never seen caught up)", v.ID))
		default:
			lag := time.Duration(ref-v.LastCaughtUpMs) * time.Millisecond
			lagging = append(lagging, fmt.Sprintf("voter %d lagging (last caught up %s ago, allowed %s)",
				v.ID, lag, c.o.QuorumMaxLag))
		}
	}
	if up >= need {
		return "", true
	}
	var why []string
	if len(stopping) > 0 {
		why = append(why, fmt.Sprintf("stopping %s %s", gateVerb(len(stopping) == 1, "voter", "voters"), strings.ReplaceAll(inventory.JoinIDs(stopping), ",", ", ")))
	}
	why = append(why, lagging...)
	return fmt.Sprintf("KRaft quorum would keep %d of %d voters caught up, needs %d (%s)",
		up, len(voters), need, strings.Join(why, "; ")), false
}

// checkEnsemble applies ZooKeeper mode's quorum rule: brokers go down only while the ensemble
// keeps a synced majority under one leader. A broker restarted while ZooKeeper has no quorum
// cannot register again. Stopping brokers never changes the ensemble, so the rule does not
// depend on which brokers stop; a node down while a majority stays in sync (one more failure
// from no quorum) is a warning of status, not a refusal, so that brokers can be patched while a
// ZooKeeper host is.
func (c *gateCheck) checkEnsemble() (string, bool) {
	zk := c.s.ZooKeeper
	if zk == nil {
		return "", true
	}
	quorum := zk.Voters/2 + 1
	if zk.Leader >= 0 && zk.Voters > 0 && zk.Synced >= quorum {
		return "", true
	}
	why := fmt.Sprintf("ZooKeeper ensemble has no synced majority under one leader (%d of %d voters in sync, a quorum needs %d)", zk.Synced, zk.Voters, quorum)
	if len(zk.Problems) > 0 {
		why += ": " + strings.Join(zk.Problems, "; ")
	}
	return why, false
}

func gateVerb(one bool, singular, plural string) string {
	if one {
		return singular
	}
	return plural
}

// gateBitmapIDs bounds the broker ids kept in a bitmap; Kafka clusters use small ids in
// practice, and any other id still works through a sorted slice.
const gateBitmapIDs = 1 << 16

// gateIDSet is a set of broker ids with constant-time membership for the ids clusters use, so
// the per-replica hot path neither hashes nor allocates.
type gateIDSet struct {
	bits  []uint64
	other []int32 // sorted ids outside the bitmap's range
}

func newGateIDSet(ids []int32) gateIDSet {
	var s gateIDSet
	top := int32(-1)
	for _, id := range ids {
		if id >= 0 && id < gateBitmapIDs {
			top = max(top, id)
		}
	}
	if top >= 0 {
		s.bits = make([]uint64, top/64+1)
	}
	for _, id := range ids {
		if id >= 0 && id < gateBitmapIDs {
			s.bits[id/64] |= 1 << (id % 64)
		} else {
			s.other = append(s.other, id)
		}
	}
	slices.Sort(s.other)
	return s
}

func (s *gateIDSet) has(id int32) bool {
	if w := uint32(id) / 64; w < uint32(len(s.bits)) {
		return s.bits[w]&(1<<(uint32(id)%64)) != 0
	}
	if len(s.other) == 0 {
		return false
	}
	_, ok := slices.BinarySearch(s.other, id)
	return ok
}

func (s *gateIDSet) add(id int32) {
	if w := uint32(id) / 64; w < uint32(len(s.bits)) {
		s.bits[w] |= 1 << (uint32(id) % 64)
		return
	}
	if i, found := slices.BinarySearch(s.other, id); !found {
		s.other = slices.Insert(s.other, i, id)
	}
}

func (s *gateIDSet) remove(id int32) {
	if w := uint32(id) / 64; w < uint32(len(s.bits)) {
		s.bits[w] &^= 1 << (uint32(id) % 64)
		return
	}
	if i, found := slices.BinarySearch(s.other, id); found {
		s.other = slices.Delete(s.other, i, i+1)
	}
}

func (s *gateIDSet) hasAny(ids []int32) bool {
	for _, id := range ids {
		if s.has(id) {
			return true
		}
	}
	return false
}
