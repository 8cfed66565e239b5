package fleet

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/cluster"
	"github.com/kfleet/kfleet/ops/host"
	"github.com/kfleet/kfleet/ops/lease"
	"github.com/kfleet/kfleet/ops/ssh"
)

// clockSkew is how far apart kfleet's clock and the brokers' may be when an event in the
// cluster's log (broker time) is compared with when a host was asked (kfleet's time).
const clockSkew = time.Minute

// hostFacts is what the brokers' hosts say of their Kafka processes, asked while Kafka is read.
// A process the cache has confirmed within Options.HostFactsMaxAge is not asked about at once:
// once Kafka has answered, its facts are reused unless Kafka shows a sign that it may have
// restarted since or does not answer (kept), and only then is its host asked.
type hostFacts struct {
	ctx    context.Context
	o      Options
	recent map[int32]cluster.BrokerProcess // confirmed within the max age: asked only if needed
	byID   map[int32]*inventory.Broker
	done   chan struct{}
	procs  map[int32]cluster.BrokerProcess
	errs   map[int32]error
}

// askHosts starts asking the hosts of c's brokers (nil when o has no SSH runner: no facts).
func askHosts(ctx context.Context, c *inventory.Cluster, o Options) *hostFacts {
	if o.SSH == nil {
		return nil
	}
	f := &hostFacts{ctx: ctx, o: o, recent: map[int32]cluster.BrokerProcess{},
		byID: map[int32]*inventory.Broker{}, done: make(chan struct{})}
	var ask []*inventory.Broker
	now := time.Now()
	for _, b := range c.Brokers {
		f.byID[b.ID] = b
		if p, ok := o.Processes.Recent(ssh.TargetFor(b).Host, b.Install.ConfigFile, o.HostFactsMaxAge, now); ok {
			f.recent[b.ID] = p
			continue
		}
		ask = append(ask, b)
	}
	go func() {
		defer close(f.done)
		f.procs, f.errs = f.probe(ask)
	}()
	return f
}

// probe asks brokers' hosts, each within the host timeout (none when brokers is empty).
func (f *hostFacts) probe(brokers []*inventory.Broker) (map[int32]cluster.BrokerProcess, map[int32]error) {
	if len(brokers) == 0 {
		return map[int32]cluster.BrokerProcess{}, map[int32]error{}
	}
	limit := cmp.Or(f.o.HostTimeout, defaultHostTimeout)
	hctx, cancel := context.WithTimeout(f.ctx, limit)
	defer cancel()
	procs, errs := host.ProbeBrokersCached(hctx, f.o.SSH, brokers, f.o.SSHConcurrency, f.o.Processes)
	if hctx.Err() != nil && f.ctx.Err() == nil {
		for id := range errs {
			errs[id] = fmt.Errorf("its host did not answer within %s", limit)
		}
	}
	return procs, errs
}

// wait returns once the hosts asked at the start have answered (or timed out).
func (f *hostFacts) wait() {
	if f != nil {
		<-f.done
	}
}

// result is every broker's facts once Kafka has answered (read): the hosts asked at the start,
// the recent facts Kafka gives no reason to doubt (kept), and the hosts of the others, asked now.
func (f *hostFacts) result(read kafkaRead) (map[int32]cluster.BrokerProcess, map[int32]error) {
	if f == nil {
		return nil, nil
	}
	f.wait()
	var again []*inventory.Broker
	kept := f.kept(read)
	for id, p := range f.recent {
		if kept[id] {
			f.procs[id] = p
		} else {
			again = append(again, f.byID[id])
		}
	}
	slices.SortFunc(again, func(a, b *inventory.Broker) int { return cmp.Compare(a.ID, b.ID) })
	if len(again) > 0 {
		procs, errs := f.probe(again)
		for id, p := range procs {
			f.procs[id] = p
		}
		for id, err := range errs {
			f.errs[id] = err
		}
	}
	return f.procs, f.errs
}

// confirm is the ids of the brokers whose recent facts may stand, which Kafka must find answering
// (kafka.Answering, sent during the read); none for nil.
func (f *hostFacts) confirm() []int32 {
	if f == nil {
		return nil
	}
	return slices.Sorted(maps.Keys(f.recent))
}

// kept is which of the recent brokers' facts stand after Kafka's answer: reusable by what Kafka
// said, and the broker answered (a process that died refuses the connection at once, so a crash
// is seen before Kafka fences the broker, as when the host is asked). With no lease log read
// there is no telling whether an operation ran since: none.
func (f *hostFacts) kept(read kafkaRead) map[int32]bool {
	kept := map[int32]bool{}
	if !read.leaseRead {
		return kept
	}
	for id, p := range f.recent {
		kept[id] = read.answering[id] && reusable(p, id, read.snap, read.lease)
	}
	return kept
}

// reusable says whether a broker's process facts, confirmed on its host at p.Checked, still
// stand without asking the host again: only while Kafka shows none of what a restart leaves
// behind. The broker must be registered and unfenced now (a process that stopped is fenced
// within the broker session timeout), no operation may hold the cluster's lease, and none may
// have written to the cluster's log since p.Checked (less clockSkew). What it cannot see: a
// process restarted outside kfleet that was back and unfenced before this read; its facts are
// then reused until they are older than the max age.
func reusable(p cluster.BrokerProcess, id int32, snap *cluster.Snapshot, st lease.State) bool {
	if snap == nil || st.Held {
		return false
	}
	i := slices.IndexFunc(snap.Brokers, func(b cluster.Broker) bool { return b.ID == id })
	if i < 0 || snap.Brokers[i].Fenced {
		return false
	}
	for _, e := range st.Events {
		if e.Time.After(p.Checked.Add(-clockSkew)) {
			return false
		}
	}
	return true
}
