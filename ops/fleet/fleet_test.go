package fleet

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kfleet/kfleet/inventory"
)

// Collect drops each cluster's partition-level snapshot once it is assessed, unless asked to
// keep it; the counts stay either way.
func TestCollectKeepsTheSnapshotOnlyWhenAsked(t *testing.T) {
	var clusters []*inventory.Cluster
	for i := range 3 {
		fc, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(4, "t"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(fc.Close)
		clusters = append(clusters, &inventory.Cluster{Name: fmt.Sprintf("c%d", i), Bootstrap: fc.ListenAddrs(),
			Brokers: []*inventory.Broker{{ID: 0, Host: "127.0.0.1"}}})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, keep := range []bool{false, true} {
		hs := Collect(ctx, clusters, Options{KeepSnapshot: keep, Concurrency: 2})
		for _, h := range hs {
			if h.Unreachable || h.Partitions < 4 {
				t.Fatalf("%s: %+v", h.Name, h)
			}
			if (h.Snapshot != nil) != keep {
				t.Errorf("%s: KeepSnapshot %v, snapshot kept: %v", h.Name, keep, h.Snapshot != nil)
			}
		}
	}
}
