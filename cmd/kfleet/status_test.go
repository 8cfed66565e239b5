package main

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kfleet/kfleet/cmd/internal/factory"
	"github.com/kfleet/kfleet/cmd/internal/output"
	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/cluster"
)

func TestStatusIntervalNeedsWatch(t *testing.T) {
	inv := writeFile(t, "fleet.yaml", "clusters:\n  - name: a\n    bootstrap: [\"127.0.0.1:1\"]\n    brokers:\n      - {id: 1, host: 127.0.0.1}\n")
	_, errOut, code := runCLI(t, "-i", inv, "status", "--interval", "5s")
	if code != 2 || !strings.Contains(errOut, "--interval applies only with --watch") {
		t.Fatalf("exit %d, stderr %q; want 2 and why", code, errOut)
	}
}

// watchRead is a fake fleet for status --watch: a and b answer at once; slow answers its first
// read after 250ms, unreachable, and its next one only when the watch ends. It counts reads and
// the most reads of one cluster ever in flight at once.
type watchRead struct {
	mu       sync.Mutex
	reads    map[string]int
	inFlight map[string]int
	overlap  atomic.Bool
}

func (f *watchRead) read(ctx context.Context, c *inventory.Cluster) cluster.Health {
	f.mu.Lock()
	f.reads[c.Name]++
	n := f.reads[c.Name]
	if f.inFlight[c.Name]++; f.inFlight[c.Name] > 1 {
		f.overlap.Store(true)
	}
	f.mu.Unlock()
	defer func() { f.mu.Lock(); f.inFlight[c.Name]--; f.mu.Unlock() }()
	h := cluster.Health{Name: c.Name, Healthy: true, Controller: 1, Partitions: 6, TakenAt: time.Now(),
		Brokers: []cluster.BrokerHealth{{ID: 1, Host: "h", Alive: true, Registered: true, InInventory: true}}}
	if c.Name == "slow" {
		if n > 1 {
			<-ctx.Done()
		} else {
			time.Sleep(250 * time.Millisecond)
		}
		return cluster.Health{Name: c.Name, Unreachable: true, Controller: -1, Error: "no answer within 250ms", TakenAt: time.Now()}
	}
	return h
}

func watchClusters(names ...string) []*inventory.Cluster {
	var cs []*inventory.Cluster
	for _, n := range names {
		cs = append(cs, &inventory.Cluster{Name: n, Brokers: []*inventory.Broker{{ID: 1, Host: "h"}}})
	}
	return cs
}

// TestStatusWatchDrawsEachIntervalWithoutWaitingForSlowClusters: the first table comes one
// interval in with the clusters that answered; the fast clusters are read again every interval
// while the slow one's read still runs; no cluster is read twice at once; every row has its age,
// and one not renewed for three intervals is stale.
func TestStatusWatchDrawsEachIntervalWithoutWaitingForSlowClusters(t *testing.T) {
	io, out, _ := output.TestIO(false)
	o := &statusOptions{f: &factory.Factory{IO: io, Output: output.FormatTable}, watch: true,
		interval: 100 * time.Millisecond, concurrency: 8}
	f := &watchRead{reads: map[string]int{}, inFlight: map[string]int{}}
	ctx, cancel := context.WithTimeout(context.Background(), 900*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := o.watchFleet(ctx, watchClusters("a", "slow", "b"), nil, f.read)
	if time.Since(start) > 2*time.Second {
		t.Fatalf("the watch ended %s after its context", time.Since(start)-900*time.Millisecond)
	}
	if err == nil || !strings.Contains(err.Error(), "slow") {
		t.Errorf("verdict %v: want slow's unreachability", err)
	}
	tables := strings.Split(out.String(), "kfleet status  ")[1:]
	t.Logf("first and last of %d tables:\n%s\n...\n%s", len(tables), tables[0], tables[len(tables)-1])
	if len(tables) < 4 || len(tables) > 12 {
		t.Fatalf("%d tables in 900ms at an interval of 100ms", len(tables))
	}
	first := tables[0]
	if !strings.Contains(first, "(every 100ms; Ctrl-C to stop)") || !strings.Contains(first, "AGE") ||
		!strings.Contains(first, "\na ") || !strings.Contains(first, "\nb ") || strings.Contains(first, "\nslow ") ||
		!strings.Contains(first, "no answer yet from 1 cluster(s): slow") {
		t.Errorf("first table, drawn before slow answered:\n%s", first)
	}
	last := tables[len(tables)-1]
	if line := lineOf(last, "slow"); !strings.Contains(line, "UNREACHABLE") || !strings.HasSuffix(line, "(stale)") {
		t.Errorf("slow's last row %q: want unreachable and stale", line)
	}
	if line := lineOf(last, "a"); strings.HasSuffix(line, "(stale)") || !strings.HasSuffix(line, "ms") && !strings.HasSuffix(line, " 0s") {
		t.Errorf("a's last row %q: want fresh", line)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.reads["slow"] != 2 || f.reads["a"] < 4 || f.reads["b"] < 4 {
		t.Errorf("reads %v: want slow read twice, a and b every interval", f.reads)
	}
	if f.overlap.Load() {
		t.Error("a cluster was read twice at once")
	}
}

// TestStatusWatchJSONIsOneDocumentPerDraw: -o json prints one compact document per draw, each
// with the clusters that have answered.
func TestStatusWatchJSONIsOneDocumentPerDraw(t *testing.T) {
	io, out, _ := output.TestIO(false)
	o := &statusOptions{f: &factory.Factory{IO: io, Output: output.FormatJSON}, watch: true,
		interval: 100 * time.Millisecond, concurrency: 8}
	f := &watchRead{reads: map[string]int{}, inFlight: map[string]int{}}
	ctx, cancel := context.WithTimeout(context.Background(), 350*time.Millisecond)
	defer cancel()
	_ = o.watchFleet(ctx, watchClusters("a", "b"), nil, f.read)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) < 2 {
		t.Fatalf("%d documents:\n%s", len(lines), out.String())
	}
	for _, l := range lines {
		var rep struct {
			Clusters []struct {
				Name string `json:"name"`
			} `json:"clusters"`
		}
		if err := json.Unmarshal([]byte(l), &rep); err != nil || len(rep.Clusters) != 2 {
			t.Fatalf("document %q: %v", l, err)
		}
	}
}

// lineOf is the table row of cluster name.
func lineOf(table, name string) string {
	for _, l := range strings.Split(table, "\n") {
		if f := strings.Fields(l); len(f) > 0 && f[0] == name {
			return strings.TrimSpace(l)
		}
	}
	return ""
}
