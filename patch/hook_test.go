package patch

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/cluster"
	"github.com/kfleet/kfleet/ops/journal"
	"github.com/kfleet/kfleet/ops/lease"
	"github.com/kfleet/kfleet/ops/ssh"
)

func TestFindHost(t *testing.T) {
	fleet := &inventory.Fleet{File: "fleet.yaml", Clusters: []*inventory.Cluster{
		{Name: "a", Brokers: []*inventory.Broker{{ID: 1, Host: "k1"}, {ID: 2, Host: "k2"}, {ID: 3, Host: "K2"}}},
		{Name: "b", Brokers: []*inventory.Broker{{ID: 1, Host: "k9"}, {ID: 2, Host: "k1"}}},
	}}
	c, bs, _, err := FindHost(fleet, "k2")
	if err != nil || c.Name != "a" || len(bs) != 2 {
		t.Errorf("k2: %v %v %v (want cluster a, brokers 2 and 3 matched case-insensitively)", c, bs, err)
	}
	var sel *inventory.SelectionError
	if _, _, _, err := FindHost(fleet, "k1"); !errors.As(err, &sel) || !strings.Contains(err.Error(), "clusters a and b") {
		t.Errorf("k1 in two clusters: %v", err)
	}
	if _, _, _, err := FindHost(fleet, "nope"); !errors.As(err, &sel) || !strings.Contains(err.Error(), "not in the inventory fleet.yaml") {
		t.Errorf("unknown host: %v", err)
	}
}

func TestFindHostWithZooKeeperNodes(t *testing.T) {
	zk := &inventory.ZooKeeper{Nodes: []*inventory.ZooKeeperNode{{ID: 1, Host: "k1", ClientPort: 2181}, {ID: 2, Host: "z2", ClientPort: 2181}}}
	fleet := &inventory.Fleet{File: "fleet.yaml", Clusters: []*inventory.Cluster{
		{Name: "legacy", Metadata: inventory.Metadata{ZooKeeper: zk}, Brokers: []*inventory.Broker{{ID: 1, Host: "k1"}}},
		{Name: "b", Brokers: []*inventory.Broker{{ID: 1, Host: "k9"}}},
	}}
	c, bs, nodes, err := FindHost(fleet, "K1")
	if err != nil || c.Name != "legacy" || len(bs) != 1 || len(nodes) != 1 || nodes[0].ID != 1 {
		t.Errorf("k1: %v %v %v %v (want broker 1 and zookeeper node 1 of legacy)", c, bs, nodes, err)
	}
	c, bs, nodes, err = FindHost(fleet, "z2")
	if err != nil || c.Name != "legacy" || len(bs) != 0 || len(nodes) != 1 || nodes[0].ID != 2 {
		t.Errorf("z2, a ZooKeeper-only host: %v %v %v %v", c, bs, nodes, err)
	}
}

func TestPreDoneOnlyCountsThisLease(t *testing.T) {
	since := time.Unix(1000, 0)
	op := OpID("c", "K1")
	if op != "patch-c-k1" {
		t.Fatalf("op id %q", op)
	}
	st := lease.State{Held: true, OpID: op, Since: since, Events: []cluster.OpEvent{
		{OpID: op, Kind: eventPreDone, Time: since.Add(-time.Hour)}, // an earlier patch of the host
		{OpID: "other", Kind: eventPreDone, Time: since.Add(time.Second)},
	}}
	if preDone(st, op) {
		t.Errorf("an earlier cycle's pre-done must not count")
	}
	st.Events = append(st.Events, cluster.OpEvent{OpID: op, Kind: eventPreDone, Time: since.Add(2 * time.Second)})
	if !preDone(st, op) {
		t.Errorf("this cycle's pre-done should count")
	}
}

func TestDroppedConnection(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{errors.New("host h: the command ended without an exit status (connection lost)"), true},
		{&ssh.HostKeyError{Host: "h"}, false},
		{&ssh.ConfigError{Host: "h"}, false},
		{&ssh.CommandError{Host: "h", ExitCode: 1}, false},
		{&ssh.CommandError{Host: "h", ExitCode: -1, Signal: "TERM"}, true},
		{fmt.Errorf("command timed out after 1h0m0s on host h: %w", context.DeadlineExceeded), false},
	}
	for _, tt := range tests {
		if got := droppedConnection(tt.err); got != tt.want {
			t.Errorf("droppedConnection(%v) = %v", tt.err, got)
		}
	}
}

// Every pre and post call is in history as a patch-hook operation with how it ended.
func TestHookCallsAreRecorded(t *testing.T) {
	dir := t.TempDir()
	h := &Hook{Cluster: &inventory.Cluster{Name: "c"}, Host: "k1", Brokers: []*inventory.Broker{{ID: 1, Host: "k1"}}}
	h.Record(dir, "pre", Result{Decision: DecisionGo, Message: "go ahead"})
	h.Record(dir, "pre", Result{Decision: DecisionRefused, Message: "not safe"})
	h.Record(dir, "post", Result{Decision: DecisionNotReady, Message: "not healthy"})
	h.Record("", "post", Result{Decision: DecisionHealthy}) // no state dir: nothing
	ops, err := journal.List(dir, journal.Filter{Kind: HookKind})
	if err != nil || len(ops) != 3 {
		t.Fatalf("%d recorded, %v", len(ops), err)
	}
	got := map[string]int{}
	for _, o := range ops {
		got[o.Status]++
		if o.Kind != "patch-hook" || !strings.Contains(o.Last, "--host k1") {
			t.Errorf("%+v", o)
		}
	}
	if got[journal.StatusDone] != 1 || got[journal.StatusRefused] != 1 || got[journal.StatusFailed] != 1 {
		t.Errorf("outcomes %v", got)
	}
}
