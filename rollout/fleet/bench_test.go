package fleet_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/cluster"
	"github.com/kfleet/kfleet/ops/host"
	"github.com/kfleet/kfleet/rollout"
	"github.com/kfleet/kfleet/rollout/fleet"
	"github.com/kfleet/kfleet/rollout/operation"
	"github.com/kfleet/kfleet/rollout/restart"
	"github.com/kfleet/kfleet/rollout/rollouttest"
)

// slowHosts is a fake host runner whose service actions take delay, as SSH round trips and
// service scripts do.
type slowHosts struct {
	*rollouttest.Cluster
	delay time.Duration
}

func (h slowHosts) Service(ctx context.Context, b *inventory.Broker, a host.ServiceAction) error {
	time.Sleep(h.delay)
	return h.Cluster.Service(ctx, b, a)
}

func (h slowHosts) Process(ctx context.Context, b *inventory.Broker) (cluster.BrokerProcess, error) {
	return h.Cluster.Process(ctx, b)
}

// benchFleet is n clusters of 3 brokers, each with its own kfake cluster for its lease and event
// log and rollouttest's model of its brokers and hosts.
type benchFleet struct {
	clusters []*inventory.Cluster
	deps     map[string]operation.Deps
}

func newBenchFleet(b *testing.B, n int, delay time.Duration) *benchFleet {
	f := &benchFleet{deps: map[string]operation.Deps{}}
	state := b.TempDir()
	for i := range n {
		c := &inventory.Cluster{Name: fmt.Sprintf("c%03d", i), Labels: map[string]string{}}
		for id := int32(1); id <= 3; id++ {
			c.Brokers = append(c.Brokers, &inventory.Broker{ID: id, Host: fmt.Sprintf("h%d-%d", i, id)})
		}
		_, cl := rollouttest.Kafka(b, 1)
		model := rollouttest.New(3, 3, 6)
		h := slowHosts{Cluster: model, delay: delay}
		f.clusters = append(f.clusters, c)
		f.deps[c.Name] = operation.Deps{Client: cl, Hosts: h, Admin: model, StateDir: state}
	}
	return f
}

// run restarts every cluster of the fleet as one fleet run with wave options wo.
func (f *benchFleet) run(b *testing.B, wo fleet.WaveOptions) {
	waves, err := fleet.Plan(f.clusters, wo)
	if err != nil {
		b.Fatal(err)
	}
	args, _ := json.Marshal(restart.Settings{Settings: rollout.Settings{MaxParallel: 1, GateTimeout: 10 * time.Second,
		StopTimeout: 10 * time.Second, StartTimeout: 10 * time.Second, HealthyTimeout: 10 * time.Second,
		Poll: time.Millisecond, HealthyPolls: 2, LeaseTTL: time.Minute}})
	by := map[string]*inventory.Cluster{}
	for _, c := range f.clusters {
		by[c.Name] = c
	}
	r, err := fleet.New(fleet.Spec{Kind: restart.Kind, Args: args, Waves: waves}, by, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	r.StateDir = f.deps[f.clusters[0].Name].StateDir
	r.Deps = func(c *inventory.Cluster) (operation.Deps, error) { return f.deps[c.Name], nil }
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if _, err := r.Plan(ctx); err != nil {
		b.Fatal(err)
	}
	if err := r.Execute(ctx, nil); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkFleetRestart100 restarts 100 clusters of 3 brokers (kfake for the leases and event
// logs, a fake host runner whose service actions take 20 ms): one cluster at a time, then ten
// at a time. The wall time of --max-clusters 10 should be about a tenth of the sequential one.
func BenchmarkFleetRestart100(b *testing.B) {
	for _, tc := range []struct {
		name string
		wo   fleet.WaveOptions
	}{
		{"sequential", fleet.WaveOptions{Canary: []string{"0"}, MaxClusters: "1"}},
		{"max-clusters-10", fleet.WaveOptions{Canary: []string{"0"}, MaxClusters: "10"}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				f := newBenchFleet(b, 100, 20*time.Millisecond)
				b.StartTimer()
				f.run(b, tc.wo)
			}
		})
	}
}

// noopKind is an operation that does nothing at once: a fleet run of it costs only the
// orchestrator (planning, journaling, events, goroutines).
const noopKind = "fleet-bench-noop"

type noopOp struct{ id string }

func (o noopOp) OpID() string                                 { return o.id }
func (o noopOp) Plan(context.Context) (operation.Plan, error) { return fakePlan{n: 3}, nil }
func (o noopOp) Execute(context.Context, <-chan struct{}) error {
	return nil
}

func init() {
	n := 0
	operation.RegisterStarter(noopKind, func(context.Context, *inventory.Cluster, operation.Deps, json.RawMessage) (operation.Operation, error) {
		n++
		return noopOp{id: fmt.Sprintf("op-noop-%d", n)}, nil
	})
}

// BenchmarkFleetOverheadPerCluster is the orchestrator's own cost per cluster: a fleet run of
// 100 clusters whose operations do nothing, ten at a time (reported as ns/cluster).
func BenchmarkFleetOverheadPerCluster(b *testing.B) {
	cs := clusters(100)
	by := map[string]*inventory.Cluster{}
	for _, c := range cs {
		by[c.Name] = c
	}
	waves, err := fleet.Plan(cs, fleet.WaveOptions{MaxClusters: "10"})
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	b.ReportAllocs()
	for b.Loop() {
		r, err := fleet.New(fleet.Spec{Kind: noopKind, Args: json.RawMessage(`{}`), Waves: waves}, by, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		r.StateDir = dir
		r.Deps = func(c *inventory.Cluster) (operation.Deps, error) { return operation.Deps{StateDir: dir}, nil }
		ctx := context.Background()
		if _, err := r.Plan(ctx); err != nil {
			b.Fatal(err)
		}
		if err := r.Execute(ctx, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100, "ns/cluster")
}
