package fleet

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/cluster"
)

// fakeDNS answers lookups from a table and counts them; a name it does not know fails.
type fakeDNS struct {
	mu    sync.Mutex
	addrs map[string][]string
	asked []string
}

func (d *fakeDNS) lookup(_ context.Context, host string) ([]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.asked = append(d.asked, host)
	if a, ok := d.addrs[host]; ok {
		return a, nil
	}
	return nil, errors.New("no such host")
}

// endpointHealth is a cluster whose inventory names hosts inv and whose Kafka has the same ids
// registered at reg (port 9092).
func endpointHealth(inv, reg map[int32]string) cluster.Health {
	c := &inventory.Cluster{Name: "payments"}
	s := &cluster.Snapshot{Cluster: "payments", Controller: 1}
	for id := int32(1); id <= int32(len(inv)); id++ {
		c.Brokers = append(c.Brokers, &inventory.Broker{ID: id, Host: inv[id]})
		if h, ok := reg[id]; ok {
			s.Brokers = append(s.Brokers, cluster.Broker{ID: id, Host: h, Port: 9092})
		}
	}
	return cluster.Assess(c, s, nil, nil)
}

func TestFlagEndpoints(t *testing.T) {
	dns := map[string][]string{
		"k1.example": {"10.0.0.1"}, "10.0.0.1": {"10.0.0.1"},
		"k2.example": {"10.0.0.2", "fd00::2"}, "k2-data.example": {"fd00:0:0::2"},
		"10.0.0.2": {"10.0.0.2"}, "10.0.0.3": {"10.0.0.3"},
	}
	tests := []struct {
		name     string
		inv, reg map[int32]string
		want     map[int32]string // broker -> endpoint_mismatch
		noLookup bool
	}{
		{name: "same names", inv: map[int32]string{1: "k1.example", 2: "k2.example"},
			reg: map[int32]string{1: "k1.example", 2: "k2.example"}, noLookup: true},
		{name: "spelled differently", inv: map[int32]string{1: "K1.Example."}, reg: map[int32]string{1: "k1.example"}, noLookup: true},
		{name: "a name and its address", inv: map[int32]string{1: "k1.example"}, reg: map[int32]string{1: "10.0.0.1"}},
		{name: "two names sharing an address", inv: map[int32]string{1: "k1.example", 2: "k2.example"},
			reg: map[int32]string{1: "k1.example", 2: "k2-data.example"}},
		{name: "ids swapped", inv: map[int32]string{1: "10.0.0.1", 2: "10.0.0.3", 3: "10.0.0.2"},
			reg:  map[int32]string{1: "10.0.0.1", 2: "10.0.0.2", 3: "10.0.0.3"},
			want: map[int32]string{2: "10.0.0.2:9092", 3: "10.0.0.3:9092"}},
		{name: "a name that does not resolve proves nothing", inv: map[int32]string{1: "gone.example"}, reg: map[int32]string{1: "10.0.0.1"}},
		{name: "not registered: nothing to compare", inv: map[int32]string{1: "10.0.0.1", 2: "10.0.0.3"}, reg: map[int32]string{1: "10.0.0.1"}, noLookup: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &fakeDNS{addrs: dns}
			h := endpointHealth(tt.inv, tt.reg)
			flagEndpoints(context.Background(), &h, d.lookup)
			if tt.noLookup && len(d.asked) > 0 {
				t.Errorf("looked up %v, want no lookup", d.asked)
			}
			var warned []string
			for _, b := range h.Brokers {
				if b.EndpointMismatch != tt.want[b.ID] {
					t.Errorf("broker %d: endpoint mismatch %q, want %q", b.ID, b.EndpointMismatch, tt.want[b.ID])
				}
				warned = append(warned, b.IdentityWarnings()...)
			}
			if len(warned) != len(tt.want) {
				t.Errorf("identity warnings %q, want %d", warned, len(tt.want))
			}
			for _, w := range warned {
				if !slices.Contains(h.Warnings, w) {
					t.Errorf("cluster warnings %q lack %q", h.Warnings, w)
				}
			}
		})
	}
}

// A resolver that does not answer does not hold status back beyond the cluster's deadline, and
// proves nothing.
func TestFlagEndpointsDoesNotWaitForASlowResolver(t *testing.T) {
	h := endpointHealth(map[int32]string{1: "10.0.0.3"}, map[int32]string{1: "10.0.0.2"})
	hang := func(ctx context.Context, _ string) ([]string, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	flagEndpoints(ctx, &h, hang)
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %s", d)
	}
	if h.Brokers[0].EndpointMismatch != "" || strings.Contains(strings.Join(h.Warnings, "\n"), "registered at") {
		t.Errorf("flagged without an answer: %+v %q", h.Brokers[0], h.Warnings)
	}
}
