package fleet

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/cluster"
	"github.com/kfleet/kfleet/ops/host"
	"github.com/kfleet/kfleet/ops/lease"
	"github.com/kfleet/kfleet/ops/ssh"
	"github.com/kfleet/kfleet/ops/ssh/sshtest"
)

// What a host said recently is reused only while Kafka shows nothing a restart leaves behind.
func TestReusableNeedsKafkaToShowNoSignOfARestart(t *testing.T) {
	checked := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	p := cluster.BrokerProcess{Running: true, PID: 7, Version: "4.1.1", Checked: checked}
	snap := &cluster.Snapshot{Brokers: []cluster.Broker{{ID: 1, Host: "k1", Port: 9092}, {ID: 2, Host: "k2", Port: 9092, Fenced: true}}}
	event := func(at time.Time) lease.State {
		return lease.State{Events: []cluster.OpEvent{{Time: at, Kind: "finished"}}}
	}
	for _, tc := range []struct {
		name string
		id   int32
		snap *cluster.Snapshot
		st   lease.State
		want bool
	}{
		{"registered, unfenced, nothing logged", 1, snap, lease.State{}, true},
		{"an event long before the host answered", 1, snap, event(checked.Add(-2 * clockSkew)), true},
		{"Kafka not read", 1, nil, lease.State{}, false},
		{"fenced", 2, snap, lease.State{}, false},
		{"not registered", 3, snap, lease.State{}, false},
		{"a lease held", 1, snap, lease.State{Held: true}, false},
		{"an event after the host answered", 1, snap, event(checked.Add(time.Second)), false},
		{"an event within the clock skew before it", 1, snap, event(checked.Add(-clockSkew / 2)), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if ok := reusable(p, tc.id, tc.snap, tc.st); ok != tc.want {
				t.Fatalf("reusable = %v, want %v", ok, tc.want)
			}
		})
	}
}

// A status within the max age asks no host when Kafka gives no reason to doubt what the host
// said; past it, or with a max age of 0, or once the broker stops listening, the host is asked.
func TestCollectReusesRecentHostFacts(t *testing.T) {
	c, s := hostFactsCluster(t)
	b := c.Brokers[0]
	r := ssh.NewRunner(nil)
	t.Cleanup(func() { r.Close() })

	cache := func(checked time.Time) *host.ProcessCache { return stateDirCache(t, b, checked) }
	collect := func(cl *inventory.Cluster, p *host.ProcessCache, maxAge time.Duration) (cluster.BrokerHealth, int32) {
		before := s.Execs()
		h := CollectCluster(context.Background(), cl, Options{SSH: r, Processes: p, HostFactsMaxAge: maxAge})
		if h.Unreachable || len(h.Brokers) != 1 {
			t.Fatalf("health %+v", h)
		}
		return h.Brokers[0], s.Execs() - before
	}

	if bh, execs := collect(c, cache(time.Now().Add(-5*time.Second)), 30*time.Second); execs != 0 || bh.Version != "9.9.9" || bh.HostCheckedAt.IsZero() {
		t.Errorf("within the max age: %d execs, version %q checked %v; want none, the cached 9.9.9 and its time", execs, bh.Version, bh.HostCheckedAt)
	}
	for name, tc := range map[string]struct {
		p      *host.ProcessCache
		maxAge time.Duration
	}{
		"past the max age": {cache(time.Now().Add(-time.Minute)), 30 * time.Second},
		"max age 0":        {cache(time.Now()), 0},
	} {
		if bh, execs := collect(c, tc.p, tc.maxAge); execs != 1 || bh.Version == "9.9.9" {
			t.Errorf("%s: %d execs, version %q; want the host asked once (it runs no such process)", name, execs, bh.Version)
		}
	}

	// Facts stand only for a broker that answered, and only when the lease log was read.
	f := &hostFacts{recent: map[int32]cluster.BrokerProcess{0: {Running: true, Checked: time.Now()}, 1: {Running: true, Checked: time.Now()}}}
	read := kafkaRead{snap: &cluster.Snapshot{Brokers: []cluster.Broker{{ID: 0}, {ID: 1}}}, leaseRead: true, answering: map[int32]bool{0: true}}
	if kept := f.kept(read); !kept[0] || kept[1] {
		t.Errorf("kept %v; want broker 0's facts (it answered), not broker 1's (it did not)", kept)
	}
	read.leaseRead = false
	if kept := f.kept(read); kept[0] {
		t.Errorf("kept %v with no lease log read; want none", kept)
	}
	if got := f.confirm(); !slices.Equal(got, []int32{0, 1}) {
		t.Errorf("brokers to confirm %v, want [0 1]", got)
	}
}

// BenchmarkCollectHostFacts reads one kfake cluster with its broker's host behind the in-process
// SSH server: asking the host every time (max age 0) against reusing what it said recently.
func BenchmarkCollectHostFacts(b *testing.B) {
	c, _ := hostFactsCluster(b)
	for _, bc := range []struct {
		name   string
		maxAge time.Duration
	}{{"ask", 0}, {"reuse", 24 * time.Hour}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				p := stateDirCache(b, c.Brokers[0], time.Now())
				// A fresh runner per read, as one-shot status has: its SSH connection is dialled.
				r := ssh.NewRunner(nil)
				b.StartTimer()
				h := CollectCluster(context.Background(), c, Options{SSH: r, Processes: p, HostFactsMaxAge: bc.maxAge})
				b.StopTimer()
				r.Close()
				if h.Unreachable {
					b.Fatal(h.Error)
				}
				b.StartTimer()
			}
		})
	}
}

// hostFactsCluster is a kfake cluster of one broker whose host is the in-process SSH server s
// (where no Kafka process runs).
func hostFactsCluster(tb testing.TB) (*inventory.Cluster, *sshtest.Server) {
	fc, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "t"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(fc.Close)
	e := sshtest.NewEnv(tb)
	s := e.Server(sshtest.Options{})
	e.Trust(s)
	b := &inventory.Broker{ID: 0, Host: "127.0.0.1", Install: inventory.Install{ConfigFile: "/nonexistent/server.properties"},
		SSH: inventory.SSH{User: "kafka", Port: s.Port, IdentityFile: e.KeyFile, KnownHosts: e.KnownHosts,
			HostKeyPolicy: ssh.HostKeyStrict, ConnectTimeout: 5 * time.Second}}
	return &inventory.Cluster{Name: "c", Bootstrap: fc.ListenAddrs(), Brokers: []*inventory.Broker{b}}, s
}

// stateDirCache is what a state dir holds after a status that found version 9.9.9 running on b's
// host at checked.
func stateDirCache(tb testing.TB, b *inventory.Broker, checked time.Time) *host.ProcessCache {
	file := filepath.Join(tb.TempDir(), "processes.json")
	data, _ := json.Marshal([]map[string]any{{"host": b.Host, "config_file": b.Install.ConfigFile,
		"pid": 4242, "start_ticks": 1, "version": "9.9.9", "boot_id": "b", "checked": checked}})
	if err := os.WriteFile(file, data, 0o600); err != nil {
		tb.Fatal(err)
	}
	return host.LoadProcessCache(file)
}
