package main

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kfleet/kfleet/ops/cluster"
	"github.com/kfleet/kfleet/ops/fleet"
)

// BenchmarkStatus reads a simulated fleet with status's code path (fleet.Collect with status's
// defaults, no hosts) in this process. The kfake clusters run in the same process, so time and
// allocations per op include the brokers' side; the whole-process figures of `kfleet status`
// are in docs/benchmarks.md. Profile kfleet's side with -cpuprofile and look below
// fleet.Collect.
//
//	go test -run '^$' -bench Status -benchmem ./sandbox/fleetsim/
func BenchmarkStatus(b *testing.B) {
	for _, s := range []shape{
		{clusters: 20, brokers: 3, partitions: 5000, topicPartitions: 10},
		{clusters: 20, brokers: 3, partitions: 1000, topicPartitions: 10, latency: 20 * time.Millisecond},
		{clusters: 20, brokers: 3, partitions: 5000, topicPartitions: 10, underMinISR: true},
	} {
		name := fmt.Sprintf("clusters-%d/partitions-%d/latency-%s/under-min-isr-%t", s.clusters, s.partitions, s.latency, s.underMinISR)
		b.Run(name, func(b *testing.B) {
			_, inv := simulate(b, s)
			ctx := context.Background()
			for b.Loop() {
				for _, h := range fleet.Collect(ctx, inv.Clusters, fleet.Options{}) {
					if h.Error != "" || h.Partitions != s.partitions {
						b.Fatalf("%s: %d partitions, error %q", h.Name, h.Partitions, h.Error)
					}
				}
			}
			b.ReportMetric(float64(s.clusters*s.partitions), "partitions")
		})
	}
}

// BenchmarkTUIFirstRows is the TUI's read of a fleet of 300 clusters and 1M partitions: each
// cluster read on its own (fleet.CollectEach, the TUI's and status --watch's defaults, no hosts),
// its row shown as it answers. It reports when the first cluster answered (first-ms) and when
// the last did (all-ms). The simulated clusters run in this process and share its two cores.
//
//	go test -run '^$' -bench TUIFirstRows -benchtime 3x ./sandbox/fleetsim/
func BenchmarkTUIFirstRows(b *testing.B) {
	s := shape{clusters: 300, brokers: 3, partitions: 3333, topicPartitions: 10}
	_, inv := simulate(b, s)
	ctx := context.Background()
	var first, all time.Duration
	for b.Loop() {
		start := time.Now()
		var once sync.Once
		fleet.CollectEach(ctx, inv.Clusters, fleet.Options{KeepReassigning: true}, func(_ int, h cluster.Health) {
			once.Do(func() { first += time.Since(start) })
			if h.Error != "" {
				b.Errorf("%s: %s", h.Name, h.Error)
			}
		})
		all += time.Since(start)
	}
	b.ReportMetric(float64(first.Milliseconds())/float64(b.N), "first-ms")
	b.ReportMetric(float64(all.Milliseconds())/float64(b.N), "all-ms")
}
