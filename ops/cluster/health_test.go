package cluster

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

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

// A host whose Kafka process was started as another broker (the inventory's ids swapped) is a
// warning naming both, carried on the broker for -o json; a process whose node id is unknown or
// right is not.
func TestAssessWarnsWhenAHostRunsAnotherBroker(t *testing.T) {
	withID := func(id int32) BrokerProcess {
		return BrokerProcess{Running: true, Version: "4.1.1", NodeID: id, HasNodeID: true}
	}
	procs := map[int32]BrokerProcess{1: withID(1), 2: withID(3), 3: running("4.1.1")}
	h := Assess(healthCluster(), healthSnapshot(nil, []int32{1, 2, 3}), procs, nil)
	if !h.Healthy {
		t.Errorf("a misaddressed inventory is a warning, not a problem: %v", h.Problems)
	}
	want := "broker 2 (k2): the Kafka process on its host was started as broker 3, not broker 2: check the inventory"
	if !slices.Contains(h.Warnings, want) {
		t.Errorf("warnings %q lack %q", h.Warnings, want)
	}
	for _, b := range h.Brokers {
		switch got := b.NodeIDMismatch; {
		case b.ID == 2 && (got == nil || *got != 3):
			t.Errorf("broker 2: node id mismatch %v, want 3", got)
		case b.ID != 2 && got != nil:
			t.Errorf("broker %d: node id mismatch %d, want none", b.ID, *got)
		}
		if b.ID == 2 && !slices.Equal(b.IdentityWarnings(), []string{want}) {
			t.Errorf("broker 2 identity warnings = %q", b.IdentityWarnings())
		}
	}
}

func TestMarkEndpointMismatch(t *testing.T) {
	h := Assess(healthCluster(), healthSnapshot(nil, []int32{1, 2, 3}), nil, nil)
	before := len(h.Warnings)
	h.MarkEndpointMismatch(2, "k3:9092")
	h.MarkEndpointMismatch(9, "k9:9092") // not a broker of the cluster: nothing to mark
	want := "broker 2 (k2): Kafka has it registered at k3:9092; the inventory's host differs: check the inventory"
	if len(h.Warnings) != before+1 || h.Warnings[before] != want {
		t.Errorf("warnings = %q, want %q added", h.Warnings, want)
	}
	for _, b := range h.Brokers {
		if got := b.EndpointMismatch; (b.ID == 2) != (got == "k3:9092") || (b.ID != 2 && got != "") {
			t.Errorf("broker %d: endpoint mismatch %q", b.ID, got)
		}
	}
	if got := h.Brokers[1].IdentityWarnings(); !slices.Equal(got, []string{want}) {
		t.Errorf("broker 2 identity warnings = %q", got)
	}
}

// Status names the operation that left a broker down, and only for brokers that are down.
func TestMarkStoppedNamesTheOperationOfADownBroker(t *testing.T) {
	h := Health{Brokers: []BrokerHealth{{ID: 1, Alive: true}, {ID: 2, Registered: true, Fenced: true}}}
	at := time.Date(2026, 12, 1, 12, 1, 7, 0, time.UTC)
	h.MarkStopped([]StoppedBroker{
		{Broker: 1, OpID: "op-old", Holder: "a@h pid 1", At: at},                           // up again: not news
		{Broker: 2, OpID: "op-x", Holder: "a@h pid 2", At: at, Gone: "pid 2 on h is gone"}, // down, holder dead
	})
	if len(h.Stopped) != 1 || h.Stopped[0].Broker != 2 || len(h.Problems) != 1 ||
		!strings.Contains(h.Problems[0], "broker 2 stopped by op op-x") || !strings.Contains(h.Problems[0], "run `kfleet resume op-x`") {
		t.Fatalf("stopped %+v, problems %q", h.Stopped, h.Problems)
	}
}

func TestHealthJSONListsAreNeverNull(t *testing.T) {
	data, err := json.Marshal(Health{Name: "c"})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"events", "versions", "brokers", "problems", "problem_partitions", "warnings"} {
		if l, ok := got[key].([]any); !ok || len(l) != 0 {
			t.Errorf("%s is %v, want []", key, got[key])
		}
	}
}
