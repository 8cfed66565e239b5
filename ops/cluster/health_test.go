package cluster

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/kfleet/kfleet/inventory"
)

func healthCluster() *inventory.Cluster {
	return &inventory.Cluster{Name: "payments", Brokers: []*inventory.Broker{
		{ID: 1, Host: "k1", Rack: "a"}, {ID: 2, Host: "k2", Rack: "b"}, {ID: 3, Host: "k3", Rack: "c"}}}
}

func healthSnapshot(fenced map[int32]bool, isr []int32) *Snapshot {
	s := &Snapshot{Cluster: "payments", Controller: 1, Topics: []Topic{{Name: "orders", MinISR: 2}}}
	for id, rack := range map[int32]string{1: "a", 2: "b", 3: "c"} {
		s.Brokers = append(s.Brokers, Broker{ID: id, Rack: rack, Fenced: fenced[id]})
	}
	sortBrokers(s)
	s.Partitions = []Partition{{Topic: 0, ID: 0, Leader: 1, Replicas: []int32{1, 2, 3}, ISR: isr}}
	s.Counts = s.Count()
	return s
}

func sortBrokers(s *Snapshot) {
	slices.SortFunc(s.Brokers, func(a, b Broker) int { return int(a.ID - b.ID) })
}

func running(v string) BrokerProcess { return BrokerProcess{Running: true, Version: v} }

func TestAssess(t *testing.T) {
	all := map[int32]BrokerProcess{1: running("4.1.1"), 2: running("4.1.1"), 3: running("4.1.1")}
	tests := []struct {
		name      string
		snap      *Snapshot
		procs     map[int32]BrokerProcess
		errs      map[int32]error
		healthy   bool
		problems  []string
		versions  string
		notAlive  []int32
		warnMatch string
	}{
		{name: "healthy", snap: healthSnapshot(nil, []int32{1, 2, 3}), procs: all, healthy: true, versions: "4.1.1"},
		{name: "fenced broker and URP", snap: healthSnapshot(map[int32]bool{2: true}, []int32{1, 3}), procs: all,
			problems: []string{"broker 2 (k2) is fenced", "1 partitions under-replicated"}, notAlive: []int32{2}, versions: "4.1.1"},
		{name: "process gone before Kafka fences it",
			snap:     healthSnapshot(nil, []int32{1, 2, 3}),
			procs:    map[int32]BrokerProcess{1: running("4.1.1"), 2: {}, 3: running("4.1.1")},
			problems: []string{"broker 2 (k2): no Kafka process runs on its host"}, notAlive: []int32{2}, versions: "4.1.1"},
		{name: "host unreachable does not make the broker dead", snap: healthSnapshot(nil, []int32{1, 2, 3}),
			procs: map[int32]BrokerProcess{1: running("4.1.1"), 3: running("4.1.1")},
			errs:  map[int32]error{2: errors.New("host k2: cannot connect")}, healthy: true, versions: "4.1.1"},
		{name: "mixed versions are a warning", snap: healthSnapshot(nil, []int32{1, 2, 3}),
			procs:   map[int32]BrokerProcess{1: running("4.1.1"), 2: running("4.2.0"), 3: running("4.1.1")},
			healthy: true, versions: "4.1.1,4.2.0", warnMatch: "mixed Kafka versions"},
		{name: "under min isr", snap: healthSnapshot(map[int32]bool{2: true, 3: true}, []int32{1}), procs: all,
			problems: []string{"1 partitions under min.insync.replicas"}, notAlive: []int32{2, 3}, versions: "4.1.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := Assess(healthCluster(), tt.snap, tt.procs, tt.errs)
			if h.Healthy != tt.healthy {
				t.Errorf("healthy = %v, want %v; problems %v", h.Healthy, tt.healthy, h.Problems)
			}
			all := strings.Join(h.Problems, "\n")
			for _, p := range tt.problems {
				if !strings.Contains(all, p) {
					t.Errorf("problems %q lack %q", all, p)
				}
			}
			if got := strings.Join(h.Versions, ","); got != tt.versions {
				t.Errorf("versions = %q, want %q", got, tt.versions)
			}
			for _, b := range h.Brokers {
				if b.Alive == slices.Contains(tt.notAlive, b.ID) {
					t.Errorf("broker %d alive = %v", b.ID, b.Alive)
				}
			}
			if tt.warnMatch != "" && !strings.Contains(strings.Join(h.Warnings, "\n"), tt.warnMatch) {
				t.Errorf("warnings %v lack %q", h.Warnings, tt.warnMatch)
			}
		})
	}
}

func TestAssessFlagsBrokersMissingFromTheInventory(t *testing.T) {
	c := healthCluster()
	c.Brokers = c.Brokers[:2]
	h := Assess(c, healthSnapshot(nil, []int32{1, 2, 3}), nil, nil)
	if len(h.Brokers) != 3 || h.Brokers[2].InInventory {
		t.Fatalf("brokers = %+v", h.Brokers)
	}
	if !strings.Contains(strings.Join(h.Warnings, "\n"), "broker 3 () is registered but not in the inventory") {
		t.Errorf("warnings = %v", h.Warnings)
	}
}

func TestBrokerStateLabel(t *testing.T) {
	tests := []struct {
		b           BrokerHealth
		unreachable bool
		want        string
	}{
		{BrokerHealth{Registered: true, Alive: true}, false, "yes"},
		{BrokerHealth{Registered: true, Alive: true}, true, "?"},
		{BrokerHealth{Registered: true, Fenced: true}, false, "FENCED"},
		{BrokerHealth{}, false, "NO"},
		{BrokerHealth{Registered: true}, false, "NO PROCESS"},
	}
	for _, tt := range tests {
		if got := tt.b.StateLabel(tt.unreachable); got != tt.want {
			t.Errorf("%+v (unreachable %v): %q, want %q", tt.b, tt.unreachable, got, tt.want)
		}
	}
}
