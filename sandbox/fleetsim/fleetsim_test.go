package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/fleet"
)

// serveEnv makes the test binary run fleetsim's main, so that startServer can start it as the
// server of a fleet.
const serveEnv = "FLEETSIM_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(serveEnv) == "1" {
		main()
	}
	os.Exit(m.Run())
}

// simulate starts a fleet of shape s for the test and writes its inventory; it returns the fleet
// and the inventory as kfleet loads it.
func simulate(t testing.TB, s shape) (*simFleet, *inventory.Fleet) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	f, err := startFleet(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	path := filepath.Join(t.TempDir(), "fleet.yaml")
	if err := writeInventory(path, f); err != nil {
		t.Fatal(err)
	}
	inv, err := inventory.Load(path)
	if err != nil {
		t.Fatalf("the inventory fleetsim wrote does not load: %v", err)
	}
	if errs := inventory.CheckFiles(inv); len(errs) > 0 {
		t.Fatalf("the inventory fleetsim wrote does not validate: %v", errs)
	}
	return f, inv
}

func client(t testing.TB, addrs []string) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// The inventory names every cluster, and each broker by the node id and at the address Kafka
// registers it with; the topics hold exactly the partitions asked for.
func TestInventoryMatchesTheFleet(t *testing.T) {
	_, inv := simulate(t, shape{clusters: 2, brokers: 3, partitions: 25, topicPartitions: 10})
	if got := len(inv.Clusters); got != 2 {
		t.Fatalf("%d clusters in the inventory, want 2", got)
	}
	for i, c := range inv.Clusters {
		if want := clusterName(i, 2); c.Name != want {
			t.Errorf("cluster %d is named %s, want %s", i, c.Name, want)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		m, err := kmsg.NewPtrMetadataRequest().RequestWith(ctx, client(t, c.Bootstrap))
		if err != nil {
			t.Fatal(err)
		}
		registered := map[int32]string{}
		for _, b := range m.Brokers {
			registered[b.NodeID] = b.Host
		}
		if len(registered) != len(c.Brokers) {
			t.Errorf("%s: Kafka has %d brokers, the inventory %d", c.Name, len(registered), len(c.Brokers))
		}
		for _, b := range c.Brokers {
			if registered[b.ID] != b.Host {
				t.Errorf("%s: broker %d is %s in the inventory, Kafka has it at %q", c.Name, b.ID, b.Host, registered[b.ID])
			}
		}
		var sizes []int
		for _, tp := range m.Topics {
			sizes = append(sizes, len(tp.Partitions))
			for _, p := range tp.Partitions {
				if len(p.Replicas) != 3 || len(p.ISR) != 3 {
					t.Errorf("%s: %s-%d has replicas %v, isr %v; want 3 of each", c.Name, *tp.Topic, p.Partition, p.Replicas, p.ISR)
				}
			}
		}
		slices.Sort(sizes)
		if !slices.Equal(sizes, []int{5, 10, 10}) {
			t.Errorf("%s: topic sizes %v, want [5 10 10]", c.Name, sizes)
		}
	}
}

func TestTopicSizes(t *testing.T) {
	tests := []struct {
		partitions, per int
		want            []int
	}{
		{25, 10, []int{10, 10, 5}},
		{30, 10, []int{10, 10, 10}},
		{5, 10, []int{5}},
		{3, 1, []int{1, 1, 1}},
	}
	for _, tt := range tests {
		if got := topicSizes(tt.partitions, tt.per); !slices.Equal(got, tt.want) {
			t.Errorf("topicSizes(%d, %d) = %v, want %v", tt.partitions, tt.per, got, tt.want)
		}
	}
	if got := topicSizes(3333, 10); len(got) != 334 || got[333] != 3 {
		t.Errorf("3333 partitions in topics of 10: %d topics, the last of %d; want 334, the last of 3", len(got), got[len(got)-1])
	}
}

// Every request pays the round trip, a new connection pays it once more, and requests in flight
// together pay it together, as on a network: a sleep in kfake's request loop would make eight
// requests take eight round trips.
func TestLatencyAddsARoundTripPerRequest(t *testing.T) {
	const rtt = 50 * time.Millisecond
	f, _ := simulate(t, shape{clusters: 1, brokers: 1, partitions: 1, topicPartitions: 1, latency: rtt})
	cl := client(t, f.clusters[0].addrs)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Every request to broker 0 itself, so all go over one connection.
	metadata := func() time.Duration {
		start := time.Now()
		if _, err := cl.Broker(0).Request(ctx, kmsg.NewPtrMetadataRequest()); err != nil {
			t.Error(err)
		}
		return time.Since(start)
	}
	// Connecting, ApiVersions, Metadata.
	if first := metadata(); first < 3*rtt {
		t.Errorf("the first request took %v, want at least 3 round trips (%v)", first, 3*rtt)
	}
	if again := metadata(); again < rtt || again > 3*rtt {
		t.Errorf("a request on an open connection took %v, want about one round trip (%v)", again, rtt)
	}
	start := time.Now()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if d := metadata(); d < rtt {
				t.Errorf("a request took %v, less than the round trip", d)
			}
		})
	}
	wg.Wait()
	if all := time.Since(start); all > 4*rtt {
		t.Errorf("8 requests in flight together took %v, want about one round trip (%v), far under 8 (%v)", all, rtt, 8*rtt)
	}
}

// kfleet's own status reads every partition of an -under-min-isr fleet as under min ISR (so
// also the topics' min.insync.replicas), and of a plain fleet as healthy.
func TestStatusSeesUnderMinISR(t *testing.T) {
	for _, under := range []bool{false, true} {
		f, inv := simulate(t, shape{clusters: 2, brokers: 3, partitions: 30, topicPartitions: 10, underMinISR: under})
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		for _, h := range fleet.Collect(ctx, inv.Clusters, fleet.Options{}) {
			want := 0
			if under {
				want = 30
			}
			if h.Error != "" || h.Partitions != 30 || h.UnderMinISR != want || h.UnderReplicated != want || h.Offline != 0 || h.Healthy == under {
				t.Errorf("under-min-isr %t: %s: error %q, %d partitions, %d under min ISR, %d under-replicated, %d offline, healthy %t; want 30, %d, %d, 0, %t",
					under, h.Name, h.Error, h.Partitions, h.UnderMinISR, h.UnderReplicated, h.Offline, h.Healthy, want, want, !under)
			}
		}
		if !under {
			continue
		}
		// A request for named topics is kfake's own: its ISRs are whole.
		req := kmsg.NewPtrMetadataRequest()
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr("t0000")
		req.Topics = append(req.Topics, rt)
		m, err := req.RequestWith(ctx, client(t, f.clusters[0].addrs))
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Topics) != 1 || len(m.Topics[0].Partitions) != 10 || len(m.Topics[0].Partitions[0].ISR) != 3 {
			t.Errorf("metadata of t0000 alone: %+v, want 10 partitions with 3 in sync each", m.Topics)
		}
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
		command []string
	}{
		{args: []string{"-clusters", "3", "--", "kfleet", "status", "-o", "json"}, command: []string{"kfleet", "status", "-o", "json"}},
		{args: []string{"-brokers", "1", "-under-min-isr"}, wantErr: "needs at least 2 brokers"},
		{args: []string{"-runs", "3"}, wantErr: "give it after --"},
		{args: []string{"-warmup", "1", "--", "true"}, wantErr: "-warmup needs -runs"},
		{args: []string{"-partitions", "0"}, wantErr: "-partitions must be at least 1"},
		{args: []string{"-latency", "-1ms"}, wantErr: "-latency must not be negative"},
	}
	for _, tt := range tests {
		o, err := parseFlags(tt.args, &bytes.Buffer{})
		switch {
		case tt.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%v: error %v, want one saying %q", tt.args, err, tt.wantErr)
			}
		case err != nil:
			t.Errorf("%v: %v", tt.args, err)
		case !slices.Equal(o.command, tt.command):
			t.Errorf("%v: command %q, want %q", tt.args, o.command, tt.command)
		}
	}
}

// The command finds the inventory in KFLEET_INVENTORY and in place of {inventory}; measuring
// reports every run and the median.
func TestCommandGetsTheInventory(t *testing.T) {
	const path = "/some/fleet.yaml"
	argv := commandArgs([]string{"sh", "-c", `test "$KFLEET_INVENTORY" = "$0" && test "$0" = /some/fleet.yaml`, inventoryPlaceholder}, path)
	sigs, release := commandSignals()
	defer release()
	r, err := runCommand(argv, path, &bytes.Buffer{}, sigs)
	if err != nil || r.exit != 0 {
		t.Fatalf("the command did not see the inventory path: exit %d, %v", r.exit, err)
	}
	var out bytes.Buffer
	code, err := measure(&out, []string{"sh", "-c", "exit 3"}, path, 1, 2, sigs, func() time.Duration { return 0 })
	if err != nil || code != 3 {
		t.Fatalf("measure: exit %d, %v; want 3", code, err)
	}
	for _, want := range []string{"2 runs (after 1 warm-up)", "\n1 ", "\n2 ", "\nmedian ", "peak RSS MiB"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("measure printed no %q:\n%s", want, out.String())
		}
	}
}

// With a command, the fleet runs in a fleetsim process of its own, shaped by the same flags; the
// inventory is there while it runs and gone when it is stopped.
func TestServerServesTheFleetInItsOwnProcess(t *testing.T) {
	t.Setenv(serveEnv, "1")
	o, err := parseFlags([]string{"-clusters", "2", "-partitions", "30", "-under-min-isr", "--", "true"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "fleet.yaml")
	sigs, release := commandSignals()
	defer release()
	srv, err := startServer(o, path, sigs)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := inventory.Load(path)
	if err != nil {
		_ = srv.stop()
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, h := range fleet.Collect(ctx, inv.Clusters, fleet.Options{}) {
		if h.Partitions != 30 || h.UnderMinISR != 30 {
			t.Errorf("%s: %d partitions, %d under min ISR; want 30 and 30 (error %q)", h.Name, h.Partitions, h.UnderMinISR, h.Error)
		}
	}
	if len(inv.Clusters) != 2 {
		t.Errorf("%d clusters, want 2", len(inv.Clusters))
	}
	if err := srv.stop(); err != nil {
		t.Errorf("the server did not end cleanly on SIGTERM: %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the inventory is still there after the server stopped: %v", err)
	}
}
