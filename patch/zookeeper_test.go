package patch

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/host"
	"github.com/kfleet/kfleet/ops/zookeeper"
)

// zkFake is a three-node ensemble led by node 3; a node stopped stops answering, one started
// answers in sync at once.
type zkFake struct {
	up  map[int]bool
	log []string
}

func (f *zkFake) Read(context.Context) zookeeper.Ensemble {
	e := zookeeper.Ensemble{Leader: 3, Voters: 3, Quorum: 2, SyncedFollowers: 0}
	for id := 1; id <= 3; id++ {
		m := zookeeper.Member{Node: zookeeper.Node{ID: id, Host: "h", ClientPort: 2180 + id}, Voter: true, Up: f.up[id], Synced: f.up[id]}
		if f.up[id] {
			m.Mode = zookeeper.ModeFollower
			if id == 3 {
				m.Mode = zookeeper.ModeLeader
			} else {
				e.SyncedFollowers++
			}
			e.Synced++
		}
		e.Members = append(e.Members, m)
	}
	e.Healthy = e.Synced == 3
	return e
}

func (f *zkFake) Service(_ context.Context, n *inventory.ZooKeeperNode, a host.ServiceAction) error {
	f.log = append(f.log, string(a)+" zk"+string(rune('0'+n.ID)))
	f.up[n.ID] = a != host.ServiceStop
	return nil
}

func (f *zkFake) CheckService(context.Context, *inventory.ZooKeeperNode) error { return nil }

func zkPatchCluster() *inventory.Cluster {
	zk := &inventory.ZooKeeper{}
	for id := 1; id <= 3; id++ {
		zk.Nodes = append(zk.Nodes, &inventory.ZooKeeperNode{ID: id, Host: "k" + string(rune('0'+id)), ClientPort: 2181})
	}
	return &inventory.Cluster{Name: "legacy", Metadata: inventory.Metadata{ZooKeeper: zk},
		Brokers: []*inventory.Broker{{ID: 1, Host: "k1"}, {ID: 2, Host: "k2"}, {ID: 4, Host: "k4"}}}
}

func TestPatchTakesTheHostsZooKeeperNodeDownAndBack(t *testing.T) {
	c := zkPatchCluster()
	f := &zkFake{up: map[int]bool{1: true, 2: true, 3: true}}
	z := zooKeeperAround{cluster: c, ens: f, timeout: time.Second, poll: time.Millisecond}
	patched := func(_ context.Context, b *inventory.Broker) error {
		f.log = append(f.log, "patch "+b.Host)
		return nil
	}
	if err := z.wrap(patched)(context.Background(), c.Brokers[0]); err != nil {
		t.Fatal(err)
	}
	if want := []string{"stop zk1", "patch k1", "start zk1"}; !slices.Equal(f.log, want) {
		t.Fatalf("steps %v, want %v", f.log, want)
	}
	f.log = nil
	if err := z.wrap(patched)(context.Background(), c.Brokers[2]); err != nil || !slices.Equal(f.log, []string{"patch k4"}) {
		t.Fatalf("a host without a ZooKeeper node: %v, steps %v", err, f.log)
	}
}

func TestPatchRefusesTheZooKeeperNodeWhileAnotherIsDown(t *testing.T) {
	c := zkPatchCluster()
	f := &zkFake{up: map[int]bool{1: true, 2: false, 3: true}}
	z := zooKeeperAround{cluster: c, ens: f, timeout: time.Second, poll: time.Millisecond}
	err := z.wrap(func(context.Context, *inventory.Broker) error {
		t.Fatal("patched a host whose ZooKeeper node may not stop")
		return nil
	})(context.Background(), c.Brokers[0])
	if err == nil || !strings.Contains(err.Error(), "may not stop") || len(f.log) != 0 {
		t.Fatalf("got %v, steps %v: want a refusal with nothing touched", err, f.log)
	}
}

func TestPatchRunTakesZooKeeperHostsOneAtATime(t *testing.T) {
	c := zkPatchCluster()
	err := CheckZooKeeperHosts(c, c.Brokers, 2)
	if k, _ := fault.KindOf(err); k != fault.Usage || !strings.Contains(err.Error(), "k1, k2") {
		t.Fatalf("got %v: want exit 2 naming k1 and k2", err)
	}
	if err := CheckZooKeeperHosts(c, c.Brokers, 1); err != nil {
		t.Fatal(err)
	}
	if err := CheckZooKeeperHosts(c, c.Brokers[2:], 3); err != nil {
		t.Fatalf("k4 carries no ZooKeeper node: %v", err)
	}
}
