package fleet

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/cluster"
	"github.com/kfleet/kfleet/ops/kafka"
	"github.com/kfleet/kfleet/ops/ssh"
	"github.com/kfleet/kfleet/ops/ssh/sshtest"
)

// Collect drops each cluster's partition-level snapshot once it is assessed, or keeps only its
// reassignments and their partitions; the counts stay either way.
func TestCollectKeepsOnlyReassigningPartitions(t *testing.T) {
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
		hs := Collect(ctx, clusters, Options{KeepReassigning: keep, Concurrency: 2})
		for _, h := range hs {
			if h.Unreachable || h.Partitions < 4 {
				t.Fatalf("%s: %+v", h.Name, h)
			}
			if (h.Snapshot != nil) != keep {
				t.Errorf("%s: KeepReassigning %v, snapshot kept: %v", h.Name, keep, h.Snapshot != nil)
			}
			if keep && (len(h.Snapshot.Partitions) != 0 || h.Snapshot.Counts.Partitions < 4) {
				t.Errorf("%s: kept %d partitions of a cluster with nothing reassigning (counts %+v)", h.Name, len(h.Snapshot.Partitions), h.Snapshot.Counts)
			}
		}
	}
}

// CollectEach hands over each cluster as soon as it is done, with its index in the inventory:
// the fast clusters' verdicts come while a slow one (each Metadata request delayed) is still being
// read.
func TestCollectEachHandsOverClustersAsTheyAnswer(t *testing.T) {
	var clusters []*inventory.Cluster
	for _, name := range []string{"fast0", "slow", "fast1"} {
		fc, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "t"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(fc.Close)
		if name == "slow" {
			fc.ControlKey(int16(kmsg.Metadata), func(kmsg.Request) (kmsg.Response, error, bool) {
				fc.KeepControl()
				time.Sleep(300 * time.Millisecond)
				return nil, nil, false // then answered as usual
			})
		}
		clusters = append(clusters, &inventory.Cluster{Name: name, Bootstrap: fc.ListenAddrs(),
			Brokers: []*inventory.Broker{{ID: 0, Host: "127.0.0.1"}}})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	type done struct {
		name  string
		after time.Duration
		h     cluster.Health
	}
	var (
		mu   sync.Mutex
		seen []done
	)
	start := time.Now()
	CollectEach(ctx, clusters, Options{Timeout: 20 * time.Second}, func(i int, h cluster.Health) {
		if h.Name != clusters[i].Name {
			t.Errorf("index %d is %s, got %s's verdict", i, clusters[i].Name, h.Name)
		}
		mu.Lock()
		seen = append(seen, done{h.Name, time.Since(start), h})
		mu.Unlock()
	})
	if len(seen) != 3 {
		t.Fatalf("%d verdicts, want 3", len(seen))
	}
	for _, d := range seen {
		t.Logf("%s after %s: unreachable %v %s", d.name, d.after.Round(time.Millisecond), d.h.Unreachable, d.h.Error)
		if d.h.Unreachable || d.h.Partitions != 2 {
			t.Errorf("%s: %+v", d.name, d.h)
		}
	}
	if seen[2].name != "slow" || seen[1].after > seen[2].after/2 {
		t.Errorf("order %s, %s, %s: the fast clusters should come well before the slow one", seen[0].name, seen[1].name, seen[2].name)
	}
}

// A cluster whose broker accepts connections and never answers is unreachable at its deadline,
// not when the Kafka client gives up on its own (about 20 s).
func TestCollectHonoursTheDeadlineOfAHungCluster(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			defer conn.Close() // held open, never answered
		}
	}()
	c := &inventory.Cluster{Name: "hung", Bootstrap: []string{ln.Addr().String()},
		Brokers: []*inventory.Broker{{ID: 0, Host: "127.0.0.1"}}}
	start := time.Now()
	h := Collect(context.Background(), []*inventory.Cluster{c}, Options{Timeout: 500 * time.Millisecond})[0]
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("a hung cluster took %s to give up, want about its 500ms deadline", took)
	}
	if !h.Unreachable || !strings.Contains(h.Error, "no answer within 500ms") {
		t.Errorf("verdict %+v", h)
	}
}

// With a client of the caller's, reads reuse it and leave it open.
func TestCollectUsesTheCallersClient(t *testing.T) {
	fc, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "t"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fc.Close)
	c := &inventory.Cluster{Name: "c", Bootstrap: fc.ListenAddrs(), Brokers: []*inventory.Broker{{ID: 0, Host: "127.0.0.1"}}}
	cl, err := kafka.NewClient(c, kafka.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	asked := 0
	o := Options{Client: func(*inventory.Cluster) (*kgo.Client, error) { asked++; return cl, nil }}
	for range 2 {
		if h := CollectCluster(context.Background(), c, o); h.Unreachable || h.Partitions < 2 {
			t.Fatalf("%+v", h)
		}
	}
	if asked != 2 {
		t.Errorf("the caller's client was asked for %d times, want 2", asked)
	}
	if err := cl.Ping(context.Background()); err != nil {
		t.Errorf("the caller's client was closed: %v", err)
	}
}

// fakeZooKeeper answers ZooKeeper's four-letter words on a loopback port with the answers of
// ops/zookeeper's captured outputs; it returns the node's port.
func fakeZooKeeper(t *testing.T, answers map[string]string) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				buf := make([]byte, 4)
				if _, err := io.ReadFull(conn, buf); err == nil {
					_, _ = conn.Write([]byte(answers[string(buf)]))
				}
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

func capture(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "zookeeper", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// A ZooKeeper-mode cluster's status carries its ensemble: a leader and a follower answer, the
// third node is down; the cluster is unhealthy and the problem names the node; there is no
// KRaft quorum warning.
func TestCollectReadsTheZooKeeperEnsemble(t *testing.T) {
	fc, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "t"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fc.Close)
	leader := fakeZooKeeper(t, map[string]string{"srvr": capture(t, "srvr-3.9.3-leader.txt"), "mntr": "zk_server_state\tleader\nzk_synced_followers\t1\nzk_quorum_size\t3\n"})
	follower := fakeZooKeeper(t, map[string]string{"srvr": capture(t, "srvr-3.9.3-follower.txt"), "mntr": "zk_server_state\tfollower\nzk_peer_state\tfollowing - broadcast\n"})
	down, err := net.Listen("tcp", "127.0.0.1:0") // a port nothing answers on
	if err != nil {
		t.Fatal(err)
	}
	downPort := down.Addr().(*net.TCPAddr).Port
	down.Close()
	c := &inventory.Cluster{Name: "zk", Bootstrap: fc.ListenAddrs(), Brokers: []*inventory.Broker{{ID: 0, Host: "127.0.0.1"}},
		Metadata: inventory.Metadata{ZooKeeper: &inventory.ZooKeeper{Nodes: []*inventory.ZooKeeperNode{
			{ID: 1, Host: "127.0.0.1", ClientPort: leader}, {ID: 2, Host: "127.0.0.1", ClientPort: follower},
			{ID: 3, Host: "127.0.0.1", ClientPort: downPort}}}}}
	h := Collect(context.Background(), []*inventory.Cluster{c}, Options{Timeout: 5 * time.Second})[0]
	if h.MetadataMode != "zookeeper" || h.ZooKeeper == nil || len(h.ZooKeeper.Nodes) != 3 {
		t.Fatalf("%+v", h)
	}
	z := h.ZooKeeper
	if z.Leader != 1 || !z.Nodes[0].Up || z.Nodes[0].Mode != "leader" || z.Nodes[1].Mode != "follower" || z.Nodes[2].Up {
		t.Errorf("ensemble %+v", z)
	}
	if h.Healthy || !slices.ContainsFunc(h.Problems, func(p string) bool { return strings.Contains(p, "zookeeper node 3") }) {
		t.Errorf("a node down must make the cluster unhealthy, naming it: %v", h.Problems)
	}
	if slices.ContainsFunc(h.Warnings, func(w string) bool { return strings.HasPrefix(w, "controller quorum") }) {
		t.Errorf("a ZooKeeper-mode cluster has no KRaft quorum to warn about: %v", h.Warnings)
	}
}

// A host that does not answer holds its cluster's row up only HostTimeout, not the cluster's
// whole Timeout: the cluster is read, and the broker's version is unknown, saying why.
func TestCollectBoundsASlowHost(t *testing.T) {
	fc, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "t"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fc.Close)
	e := sshtest.NewEnv(t)
	// The host's grep hangs: the process probe never ends.
	slow := filepath.Join(e.Dir, "slowbin")
	if err := os.MkdirAll(slow, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(slow, "grep"), []byte("#!/bin/sh\nexec sleep 30\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	s := e.Server(sshtest.Options{Env: []string{"PATH=" + slow + ":" + os.Getenv("PATH")}})
	e.Trust(s)
	c := &inventory.Cluster{Name: "slow", Bootstrap: fc.ListenAddrs(), Brokers: []*inventory.Broker{{ID: 0, Host: "127.0.0.1",
		SSH: inventory.SSH{User: "kafka", Port: s.Port, IdentityFile: e.KeyFile, KnownHosts: e.KnownHosts,
			HostKeyPolicy: ssh.HostKeyStrict, ConnectTimeout: 5 * time.Second}}}}
	r := ssh.NewRunner(nil)
	t.Cleanup(func() { r.Close() })
	start := time.Now()
	h := Collect(context.Background(), []*inventory.Cluster{c}, Options{Timeout: 20 * time.Second, SSH: r, HostTimeout: 500 * time.Millisecond})[0]
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the row took %s: a slow host held it up", took)
	}
	if h.Unreachable || len(h.Brokers) != 1 || !strings.Contains(h.Brokers[0].VersionError, "did not answer within 500ms") {
		t.Errorf("health %+v", h.Brokers)
	}
}
