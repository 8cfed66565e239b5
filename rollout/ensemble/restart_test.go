package ensemble

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/host"
	"github.com/kfleet/kfleet/ops/journal"
	"github.com/kfleet/kfleet/ops/zookeeper"
	"github.com/kfleet/kfleet/rollout"
	"github.com/kfleet/kfleet/rollout/operation"
)

// fakeEnsemble is three (or more) voting nodes: a stopped node stops answering; a started one
// answers as a follower not yet in sync for syncReads reads, then in sync. When the leader stops,
// the highest id still up leads from the next read on.
type fakeEnsemble struct {
	mu        sync.Mutex
	ids       []int
	up        map[int]bool
	synced    map[int]bool
	pending   map[int]int // reads left until a started node is in sync
	leader    int
	syncReads int
	stops     []int
	starts    []int
	failStop  int // this node's stop command fails
	onStop    func(id int)
}

func newFake(leader int, ids ...int) *fakeEnsemble {
	f := &fakeEnsemble{ids: ids, up: map[int]bool{}, synced: map[int]bool{}, pending: map[int]int{}, leader: leader, syncReads: 2}
	for _, id := range ids {
		f.up[id], f.synced[id] = true, true
	}
	return f
}

func (f *fakeEnsemble) Read(context.Context) zookeeper.Ensemble {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.leader < 0 || !f.up[f.leader] {
		f.leader = -1
		for _, id := range f.ids {
			if f.up[id] && f.synced[id] {
				f.leader = id
			}
		}
	}
	for id, n := range f.pending {
		if n--; n <= 0 {
			delete(f.pending, id)
			f.synced[id] = true
		} else {
			f.pending[id] = n
		}
	}
	e := zookeeper.Ensemble{Leader: f.leader, Voters: len(f.ids), Quorum: len(f.ids)/2 + 1, SyncedFollowers: -1}
	followers := 0
	for _, id := range f.ids {
		m := zookeeper.Member{Node: zookeeper.Node{ID: id, Host: "zk", ClientPort: 2180 + id}, Voter: true, Up: f.up[id]}
		switch {
		case !f.up[id]:
			m.Error = "connection refused"
			e.Problems = append(e.Problems, m.Node.String()+" is down")
		case id == f.leader:
			m.Mode, m.Synced = zookeeper.ModeLeader, true
		default:
			m.Mode, m.Synced = zookeeper.ModeFollower, f.synced[id]
		}
		if m.Up {
			e.Serving++
		}
		if m.Synced {
			e.Synced++
			if id != f.leader {
				followers++
			}
		}
		e.Members = append(e.Members, m)
	}
	if f.leader >= 0 {
		e.SyncedFollowers = followers
	}
	e.Healthy = len(e.Problems) == 0 && f.leader >= 0 && e.Synced == len(f.ids)
	return e
}

func (f *fakeEnsemble) Service(_ context.Context, n *inventory.ZooKeeperNode, action host.ServiceAction) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch action {
	case host.ServiceStop:
		if n.ID == f.failStop {
			return errors.New("stop failed")
		}
		f.stops = append(f.stops, n.ID)
		f.up[n.ID], f.synced[n.ID] = false, false
		if f.onStop != nil {
			f.onStop(n.ID)
		}
	case host.ServiceStart:
		f.starts = append(f.starts, n.ID)
		if !f.up[n.ID] {
			f.up[n.ID] = true
			f.pending[n.ID] = f.syncReads
		}
	}
	return nil
}

func (f *fakeEnsemble) CheckService(context.Context, *inventory.ZooKeeperNode) error { return nil }

func zkCluster(ids ...int) *inventory.Cluster {
	zk := &inventory.ZooKeeper{Chroot: "/kafka"}
	for _, id := range ids {
		zk.Nodes = append(zk.Nodes, &inventory.ZooKeeperNode{ID: id, Host: "zk", ClientPort: 2180 + id})
	}
	return &inventory.Cluster{Name: "payments", Metadata: inventory.Metadata{ZooKeeper: zk}}
}

type recorder struct {
	mu     sync.Mutex
	events []rollout.Event
}

func (r *recorder) emit(e any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e.(rollout.Event))
}

func (r *recorder) done() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []int
	for _, e := range r.events {
		if e.Kind == rollout.EventBatchDone {
			out = append(out, e.ZooKeeperNode)
		}
	}
	return out
}

func newRestart(t *testing.T, f *fakeEnsemble, rec *recorder, ids ...int) *Restart {
	t.Helper()
	r, err := New(zkCluster(ids...), operation.Deps{Emit: rec.emit}, Settings{Poll: time.Millisecond,
		GateTimeout: 200 * time.Millisecond, StopTimeout: time.Second, StartTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	r.Ensemble = f
	return r
}

func runIt(r *Restart, soft <-chan struct{}) error {
	return (&runner{r: r, ens: r.ensemble()}).run(context.Background(), soft)
}

func TestFollowersFirstLeaderLast(t *testing.T) {
	f := newFake(2, 1, 2, 3)
	rec := &recorder{}
	if err := runIt(newRestart(t, f, rec, 1, 2, 3), nil); err != nil {
		t.Fatal(err)
	}
	if want := []int{1, 3, 2}; !slices.Equal(f.stops, want) {
		t.Fatalf("stopped %v, want %v (followers by id, then the leader)", f.stops, want)
	}
	if want := []int{1, 3, 2}; !slices.Equal(rec.done(), want) {
		t.Fatalf("batch-done for %v, want %v", rec.done(), want)
	}
	for _, e := range rec.events {
		if len(e.Brokers) > 0 {
			t.Fatalf("event %s names brokers %v: a ZooKeeper restart must never look like a broker stop", e.Kind, e.Brokers)
		}
	}
	if last := rec.events[len(rec.events)-1]; last.Kind != rollout.EventFinished {
		t.Fatalf("last event %s, want finished", last.Kind)
	}
}

func TestNextNodeWaitsUntilThePreviousIsInSync(t *testing.T) {
	f := newFake(3, 1, 2, 3)
	f.syncReads = 5
	// When node 2 stops, node 1 must already be back in sync: CanStop on a fresh read said so.
	f.onStop = func(id int) {
		if id == 2 && !f.synced[1] {
			t.Errorf("node 2 stopped while node 1 was not in sync yet")
		}
	}
	if err := runIt(newRestart(t, f, &recorder{}, 1, 2, 3), nil); err != nil {
		t.Fatal(err)
	}
	if want := []int{1, 2, 3}; !slices.Equal(f.stops, want) {
		t.Fatalf("stopped %v, want %v", f.stops, want)
	}
}

func TestANodeThatIsDownIsBroughtBackFirst(t *testing.T) {
	f := newFake(2, 1, 2, 3)
	f.up[3], f.synced[3] = false, false
	if err := runIt(newRestart(t, f, &recorder{}, 1, 2, 3), nil); err != nil {
		t.Fatal(err)
	}
	if want := []int{3, 1, 2}; !slices.Equal(f.stops, want) {
		t.Fatalf("stopped %v, want %v: a node already down costs nothing, a healthy follower may not stop before it is back", f.stops, want)
	}
}

func TestRefusedWhenTwoOfFiveAreDownAndTheLeaderIsNext(t *testing.T) {
	f := newFake(1, 1, 2, 3, 4, 5)
	// Nodes 2..5 restarted by a run that died; 2 and 3 never came back... and are not in the
	// order any more (done), so only the leader is left: it may not stop while they are out.
	f.up[2], f.synced[2], f.up[3], f.synced[3] = false, false, false, false
	r := newRestart(t, f, &recorder{}, 1, 2, 3, 4, 5)
	r.done = map[int]bool{2: true, 3: true, 4: true, 5: true}
	err := runIt(r, nil)
	var refused *RefusedError
	if !errors.As(err, &refused) || refused.Node != 1 {
		t.Fatalf("got %v, want the gate to refuse the leader (node 1)", err)
	}
	if k, _ := fault.KindOf(err); k != fault.RefusedForNow {
		t.Fatalf("fault kind %v, want refused for now (exit 75)", k)
	}
	if len(f.stops) != 0 {
		t.Fatalf("stopped %v after a refusal", f.stops)
	}
}

func TestResumeSkipsFinishedNodes(t *testing.T) {
	f := newFake(2, 1, 2, 3)
	rec := &recorder{}
	r := newRestart(t, f, rec, 1, 2, 3)
	// A journal whose run finished node 1, then died in node 3's restart.
	raw := func(e rollout.Event) json.RawMessage { b, _ := json.Marshal(e); return b }
	entry := &journal.Entry{Op: journal.Record{ID: "op-1", Kind: Kind, Args: json.RawMessage(`{"poll":1000000,"gate_timeout":200000000,"stop_timeout":1000000000,"start_timeout":1000000000}`)},
		Events: []json.RawMessage{
			raw(rollout.Event{Kind: rollout.EventBatchDone, ZooKeeperNode: 1}),
			raw(rollout.Event{Kind: rollout.EventBatchStart, ZooKeeperNode: 3}),
		}}
	op, err := resume(context.Background(), r.Cluster, operation.Deps{Emit: rec.emit}, entry)
	if err != nil {
		t.Fatal(err)
	}
	rr := op.(*Restart)
	rr.Ensemble = f
	if rr.OpID() != "op-1" {
		t.Fatalf("resumed as %s", rr.OpID())
	}
	if err := runIt(rr, nil); err != nil {
		t.Fatal(err)
	}
	if want := []int{3, 2}; !slices.Equal(f.stops, want) {
		t.Fatalf("stopped %v, want %v (node 1 was done)", f.stops, want)
	}
}

func TestSoftStopEndsBetweenNodes(t *testing.T) {
	f := newFake(2, 1, 2, 3)
	soft := make(chan struct{})
	f.onStop = func(int) {
		select {
		case <-soft:
		default:
			close(soft)
		}
	}
	err := runIt(newRestart(t, f, &recorder{}, 1, 2, 3), soft)
	var ie *InterruptedError
	if !errors.As(err, &ie) || !slices.Equal(ie.Done, []int{1}) {
		t.Fatalf("got %v, want interrupted after node 1", err)
	}
	if !f.up[1] || len(f.stops) != 1 {
		t.Fatalf("stops %v, node 1 up %v: the node under way must be brought back, no other stopped", f.stops, f.up[1])
	}
}

func TestFailedStopHaltsAndStartsTheNodeAgain(t *testing.T) {
	f := newFake(2, 1, 2, 3)
	f.failStop = 1
	err := runIt(newRestart(t, f, &recorder{}, 1, 2, 3), nil)
	var h *HaltError
	if !errors.As(err, &h) || h.Node != 1 || h.Step != rollout.StepStop || h.Down {
		t.Fatalf("got %#v, want a halt at node 1's stop with the node up", err)
	}
	if !slices.Equal(f.starts, []int{1}) || len(f.stops) != 0 {
		t.Fatalf("starts %v stops %v: the failed node must be started again and nothing else touched", f.starts, f.stops)
	}
}

func TestKRaftClusterHasNoEnsembleToRestart(t *testing.T) {
	_, err := New(&inventory.Cluster{Name: "orders"}, operation.Deps{}, Settings{})
	if k, _ := fault.KindOf(err); k != fault.Usage {
		t.Fatalf("got %v (%v), want a usage error (exit 2)", err, k)
	}
}
