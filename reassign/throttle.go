package reassign

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/kfleet/kfleet/inventory"
)

// Kafka's replication throttle configs: the throttled-replica lists are topic configs, the
// rates broker configs.
const (
	LeaderThrottledReplicas   = "leader.replication.throttled.replicas"
	FollowerThrottledReplicas = "follower.replication.throttled.replicas"
	LeaderThrottledRate       = "leader.replication.throttled.rate"
	FollowerThrottledRate     = "follower.replication.throttled.rate"
)

// ThrottleEntry is one "partition:broker" entry of a topic's throttled-replica list.
type ThrottleEntry struct {
	Topic     string `json:"topic" yaml:"topic"`
	Key       string `json:"key" yaml:"key"` // LeaderThrottledReplicas or FollowerThrottledReplicas
	Partition int32  `json:"partition" yaml:"partition"`
	Broker    int32  `json:"broker" yaml:"broker"`
}

func (e ThrottleEntry) value() string { return itoa(e.Partition) + ":" + itoa(e.Broker) }

// Throttles is a set of throttle settings kfleet made (or removes): exact entries in topics'
// throttled-replica lists and the rate on brokers.
type Throttles struct {
	Entries []ThrottleEntry `json:"entries,omitempty" yaml:"entries,omitempty"`
	Brokers []int32         `json:"rate_brokers,omitempty" yaml:"rate_brokers,omitempty"`
	Rate    int64           `json:"rate,omitempty" yaml:"rate,omitempty"`
}

// Empty says there is nothing in it.
func (t Throttles) Empty() bool { return len(t.Entries) == 0 && len(t.Brokers) == 0 }

// Summary renders it for messages: "12 replica entries on 2 topics; rate on brokers 1,2,3".
func (t Throttles) Summary() string {
	if t.Empty() {
		return "none"
	}
	topics := map[string]bool{}
	for _, e := range t.Entries {
		topics[e.Topic] = true
	}
	s := fmt.Sprintf("%d throttled-replica entries on %d topic(s)", len(t.Entries), len(topics))
	if len(t.Brokers) > 0 {
		s += "; rate on broker(s) " + inventory.JoinIDs(t.Brokers)
	}
	return s
}

// throttleEntries are what one move needs: the leader side on every live replica it has now
// (any of them may serve the copy), the follower side on every replica it adds. A dead broker
// gets no entry: it serves nothing.
func throttleEntries(m *Move, alive func(int32) bool) []ThrottleEntry {
	var out []ThrottleEntry
	for _, r := range m.Replicas {
		if alive(r) {
			out = append(out, ThrottleEntry{Topic: m.Topic, Key: LeaderThrottledReplicas, Partition: m.Partition, Broker: r})
		}
	}
	for _, a := range m.Adding() {
		out = append(out, ThrottleEntry{Topic: m.Topic, Key: FollowerThrottledReplicas, Partition: m.Partition, Broker: a})
	}
	return out
}

// throttleBrokers are the live brokers a move's replication runs through: its live replicas
// now and the ones it adds. They get the rate; a dead broker never does (Kafka's own tool hangs
// trying to configure one).
func throttleBrokers(m *Move, alive func(int32) bool) []int32 {
	var out []int32
	for _, r := range m.Replicas {
		if alive(r) {
			out = append(out, r)
		}
	}
	for _, a := range m.Adding() {
		if alive(a) && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// Throttler sets replication throttles for moves and removes exactly what it set. An entry or
// a rate someone else had already set is left alone: kfleet neither adds a duplicate (that it
// would later subtract) nor overrides another rate.
type Throttler struct {
	Kafka Kafka
	Rate  int64
	// Record journals a change: "throttle-set" before it is applied (so a crash leaves a record
	// to clean up, never an unknown config), "throttle-removed" after.
	Record func(kind string, t Throttles)
	Warn   func(msg string)

	entries map[ThrottleEntry]bool // set by kfleet and not removed yet
	rated   map[int32]bool
	foreign map[int32]bool // brokers with a rate kfleet did not set
	warned  map[string]bool
}

// Restore continues with throttles a journal says are still set.
func (t *Throttler) Restore(out Throttles) {
	t.init()
	for _, e := range out.Entries {
		t.entries[e] = true
	}
	for _, b := range out.Brokers {
		t.rated[b] = true
	}
	if t.Rate == 0 {
		t.Rate = out.Rate
	}
}

func (t *Throttler) init() {
	if t.entries == nil {
		t.entries, t.rated, t.foreign, t.warned = map[ThrottleEntry]bool{}, map[int32]bool{}, map[int32]bool{}, map[string]bool{}
	}
}

func (t *Throttler) warn(msg string) {
	if t.warned[msg] {
		return
	}
	t.warned[msg] = true
	if t.Warn != nil {
		t.Warn(msg)
	}
}

func (t *Throttler) record(kind string, ch Throttles) {
	if t.Record != nil && !ch.Empty() {
		t.Record(kind, ch)
	}
}

// Outstanding is what kfleet has set and not removed.
func (t *Throttler) Outstanding() Throttles {
	t.init()
	out := Throttles{Rate: t.Rate}
	for e := range t.entries {
		out.Entries = append(out.Entries, e)
	}
	for b := range t.rated {
		out.Brokers = append(out.Brokers, b)
	}
	sortThrottles(&out)
	return out
}

func sortThrottles(th *Throttles) {
	slices.SortFunc(th.Entries, func(a, b ThrottleEntry) int {
		return cmp.Or(strings.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition),
			strings.Compare(a.Key, b.Key), cmp.Compare(a.Broker, b.Broker))
	})
	slices.Sort(th.Brokers)
}

// Add throttles the moves about to start. With Rate 0 it does nothing.
func (t *Throttler) Add(ctx context.Context, moves []*Move, alive func(int32) bool) error {
	t.init()
	if t.Rate <= 0 {
		return nil
	}
	var want []ThrottleEntry
	var topics []string
	var brokers []int32
	for _, m := range moves {
		for _, e := range throttleEntries(m, alive) {
			if !t.entries[e] {
				want = append(want, e)
				if !slices.Contains(topics, e.Topic) {
					topics = append(topics, e.Topic)
				}
			}
		}
		for _, b := range throttleBrokers(m, alive) {
			if !t.rated[b] && !t.foreign[b] && !slices.Contains(brokers, b) {
				brokers = append(brokers, b)
			}
		}
	}
	cur, err := t.Kafka.TopicConfigs(ctx, topics, LeaderThrottledReplicas, FollowerThrottledReplicas)
	if err != nil {
		return fmt.Errorf("reading throttled-replica lists: %w", err)
	}
	var ch Throttles
	ch.Rate = t.Rate
	for _, e := range want {
		list := cur[e.Topic][e.Key]
		if list == "*" {
			t.warn(fmt.Sprintf("topic %s: %s is already \"*\" (every replica throttled) by someone else; kfleet adds nothing there", e.Topic, e.Key))
			continue
		}
		if slices.Contains(strings.Split(list, ","), e.value()) {
			continue // someone else's entry: not ours to add or remove
		}
		ch.Entries = append(ch.Entries, e)
	}
	for _, b := range brokers {
		dyn, err := t.Kafka.BrokerDynamicConfigs(ctx, b, LeaderThrottledRate, FollowerThrottledRate)
		if err != nil {
			return fmt.Errorf("reading broker %d's throttle rate: %w", b, err)
		}
		if len(dyn) > 0 {
			t.foreign[b] = true
			t.warn(fmt.Sprintf("broker %d already has a replication throttle rate set by someone else (%s); kfleet leaves it as is", b, formatConfigs(dyn)))
			continue
		}
		ch.Brokers = append(ch.Brokers, b)
	}
	sortThrottles(&ch)
	if ch.Empty() {
		return nil
	}
	t.record("throttle-set", ch)
	for _, e := range ch.Entries {
		t.entries[e] = true
	}
	for _, b := range ch.Brokers {
		t.rated[b] = true
	}
	if err := t.Kafka.AppendTopicConfigs(ctx, groupEntries(ch.Entries)); err != nil {
		return fmt.Errorf("adding throttled replicas: %w", err)
	}
	rate := strconv.FormatInt(t.Rate, 10)
	for _, b := range ch.Brokers {
		if err := t.Kafka.SetBrokerConfigs(ctx, b, map[string]*string{LeaderThrottledRate: &rate, FollowerThrottledRate: &rate}); err != nil {
			return fmt.Errorf("setting the throttle rate: %w", err)
		}
	}
	return nil
}

// Release removes kfleet's entries for the finished partitions and its rate from brokers no
// longer in needed. A broker that is down keeps its rate (nothing can reach it); it stays
// outstanding, and the error says so.
func (t *Throttler) Release(ctx context.Context, finished []TopicPartition, needed map[int32]bool, alive func(int32) bool) error {
	t.init()
	fin := make(map[TopicPartition]bool, len(finished))
	for _, tp := range finished {
		fin[tp] = true
	}
	var ch Throttles
	for e := range t.entries {
		if fin[TopicPartition{e.Topic, e.Partition}] {
			ch.Entries = append(ch.Entries, e)
		}
	}
	var errs []error
	sortThrottles(&ch)
	if len(ch.Entries) > 0 {
		if err := t.Kafka.SubtractTopicConfigs(ctx, groupEntries(ch.Entries)); err != nil {
			errs = append(errs, fmt.Errorf("removing throttled replicas: %w", err))
			ch.Entries = nil
		}
		for _, e := range ch.Entries {
			delete(t.entries, e)
		}
	}
	var down []int32
	for b := range t.rated {
		if needed[b] {
			continue
		}
		if !alive(b) {
			down = append(down, b)
			continue
		}
		if err := t.Kafka.SetBrokerConfigs(ctx, b, map[string]*string{LeaderThrottledRate: nil, FollowerThrottledRate: nil}); err != nil {
			errs = append(errs, fmt.Errorf("removing the throttle rate: %w", err))
			continue
		}
		delete(t.rated, b)
		ch.Brokers = append(ch.Brokers, b)
	}
	sortThrottles(&ch)
	t.record("throttle-removed", ch)
	if len(down) > 0 {
		slices.Sort(down)
		errs = append(errs, fmt.Errorf("broker(s) %s are down and keep kfleet's throttle rate until they are back (then kfleet reassign cancel or resume removes it)", inventory.JoinIDs(down)))
	}
	return errors.Join(errs...)
}

// ReleaseAll removes everything kfleet set.
func (t *Throttler) ReleaseAll(ctx context.Context, alive func(int32) bool) error {
	t.init()
	var all []TopicPartition
	seen := map[TopicPartition]bool{}
	for e := range t.entries {
		tp := TopicPartition{e.Topic, e.Partition}
		if !seen[tp] {
			seen[tp] = true
			all = append(all, tp)
		}
	}
	return t.Release(ctx, all, nil, alive)
}

// groupEntries shapes entries for IncrementalAlterConfigs: topic -> key -> values.
func groupEntries(es []ThrottleEntry) map[string]map[string][]string {
	out := map[string]map[string][]string{}
	for _, e := range es {
		if out[e.Topic] == nil {
			out[e.Topic] = map[string][]string{}
		}
		out[e.Topic][e.Key] = append(out[e.Topic][e.Key], e.value())
	}
	return out
}

func formatConfigs(m map[string]string) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, k+"="+v)
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

// ParseRate reads a replication rate in bytes per second: a plain number of bytes, or a number
// with a unit, SI (KB, MB, GB: powers of 1000) or binary (KiB, MiB, GiB: powers of 1024),
// optionally followed by "/s": 10485760, 50MB/s, 512KiB.
func ParseRate(s string) (int64, error) {
	in := strings.TrimSpace(s)
	v := strings.TrimSuffix(strings.TrimSuffix(in, "/s"), "ps")
	i := strings.IndexFunc(v, func(r rune) bool { return !unicode.IsDigit(r) && r != '.' })
	num, unit := v, ""
	if i >= 0 {
		num, unit = v[:i], strings.TrimSpace(v[i:])
	}
	mult := map[string]float64{"": 1, "b": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "k": 1e3, "m": 1e6, "g": 1e9,
		"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30}[strings.ToLower(unit)]
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || mult == 0 {
		return 0, fmt.Errorf("rate %q: want bytes per second, e.g. 10485760, 50MB/s or 512KiB/s", s)
	}
	r := int64(f * mult)
	if r < 1 {
		return 0, fmt.Errorf("rate %q: must be at least 1 byte per second", s)
	}
	return r, nil
}
