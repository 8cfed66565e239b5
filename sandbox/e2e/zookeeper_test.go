//go:build e2e

package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestZooKeeperMode runs kfleet against Kafka 3.8.1 in ZooKeeper mode: 4 brokers and a real
// 3-node ZooKeeper ensemble on 127.0.1.(base+1..3), a sandbox of its own (it finalizes
// inter.broker.protocol.version):
//
//	SANDBOX_DIR=$PWD/.sandbox-zk3 SANDBOX_KAFKA_VERSION=3.8.1 SANDBOX_METADATA=zookeeper SANDBOX_BROKERS=4 bash sandbox/up.sh
//	SANDBOX_DIR=$PWD/.sandbox-zk3 SANDBOX_KAFKA_VERSION=3.8.1 SANDBOX_METADATA=zookeeper SANDBOX_BROKERS=4 \
//	  KFLEET_E2E=1 KFLEET_E2E_ZK=1 go test -tags e2e -count=1 -run TestZooKeeperMode -v ./sandbox/e2e/
//
// The scenarios run in order; each leaves the sandbox healthy, but the last leaves a broker dead.
func TestZooKeeperMode(t *testing.T) {
	sb := threeX{mode: "zookeeper", brokers: 4}
	needThreeX(t, "KFLEET_E2E_ZK", sb)
	t.Run("deploy", func(t *testing.T) { deployWithinThree(t, "3.8.1", "3.9.1") })
	t.Run("status", func(t *testing.T) { statusScenario(t, sb, 3, 0) })
	t.Run("restart", func(t *testing.T) { restartScenario(t, sb) })
	t.Run("restart-zookeeper", func(t *testing.T) { zooKeeperRestartScenario(t, sb) })
	t.Run("restart-zookeeper-killed", func(t *testing.T) { zooKeeperKilledScenario(t) })
	t.Run("patch-zookeeper-host", func(t *testing.T) { zooKeeperPatchScenario(t) })
	// Broker 1 (rack a) dies: the dead broker is unregistered (its ZooKeeper session ends) rather
	// than fenced as under KRaft. Rack-aware placement puts a replica of every partition on
	// brokers 2 (rack b) and 3 (rack c), and the third on 1 or 4 (rack a): only a rack-a victim
	// leaves partitions that must not move.
	t.Run("reassign-after-broker-death", func(t *testing.T) { reassignScenario(t, sb, 1) })
}

// zooKeeperKilledScenario: kfleet dies (SIGKILL) right after it stopped the first ZooKeeper node
// of an ensemble restart, the node left down. status names the node (exit 3); a broker restart
// meanwhile is refused (75) naming the dead operation to resume; `resume` from another state dir
// takes the dead holder's lease over, brings the node back and restarts the rest, and the
// ensemble ends with one leader, two followers and every node on a new process.
func zooKeeperKilledScenario(t *testing.T) {
	healOnFailure(t)
	before := zkPIDs(t)
	op, _ := runUntil(t, []string{`"step":"stop","status":"ok"`}, "--state-dir", t.TempDir(), "-c", "sandbox",
		"restart", "--zookeeper", "--yes", "-o", "json")
	modes := zkModes()
	if down := slices.Index(modes[1:], "down"); down < 0 {
		t.Fatalf("srvr: modes %v after kfleet died with a node stopped; want one down", modes[1:])
	}
	s := kfleet(t, "-c", "sandbox", "status")
	if s.code != 3 || !strings.Contains(s.stdout, "zookeeper 2/3") {
		t.Errorf("status with a ZooKeeper node left down: exit %d, want 3 and zookeeper 2/3\n%s%s", s.code, s.stdout, s.stderr)
	}
	r := kfleet(t, "--state-dir", t.TempDir(), "-c", "sandbox", "restart", "--yes")
	if r.code != 75 || !strings.Contains(r.stderr, "kfleet resume "+op) {
		t.Errorf("a broker restart meanwhile: exit %d, want 75 naming `kfleet resume %s`:\n%s", r.code, op, r.stderr)
	}
	res := kfleet(t, "--state-dir", t.TempDir(), "-c", "sandbox", "resume", op, "--yes")
	if res.code != 0 || !strings.Contains(res.stderr, "took over the lease of op "+op) {
		t.Fatalf("resume: exit %d, want 0 and the dead holder's lease taken over\n%s%s", res.code, res.stdout, res.stderr)
	}
	after := zkPIDs(t)
	for n := 1; n <= 3; n++ {
		if after[n] == 0 || after[n] == before[n] || !processAlive(after[n]) {
			t.Errorf("zookeeper node %d: pid %d before, %d after; want a new running process", n, before[n], after[n])
		}
	}
	modes = zkModes()
	if slices.Index(modes[:], "leader") < 1 || strings.Count(strings.Join(modes[1:], ","), "follower") != 2 {
		t.Errorf("srvr after the resume: %v, want a leader and two followers", modes[1:])
	}
	if err := waitHealthy(time.Minute); err != nil {
		t.Fatal(err)
	}
}

// zooKeeperPatchScenario: the patching system asks for a host that carries only a ZooKeeper
// follower. pre says go and stops the node; while it is down, pre for another ZooKeeper host is
// held off by the lease (75); post brings the node back in sync and releases the lease; then
// pre for the leader's host alone is allowed too, and its post brings the ensemble back whole.
func zooKeeperPatchScenario(t *testing.T) {
	healOnFailure(t)
	modes := zkModes()
	leader := slices.Index(modes[:], "leader")
	follower := slices.Index(modes[1:], "follower") + 1
	if leader < 1 || follower < 1 {
		t.Fatalf("srvr: modes %v, want a leader and followers", modes[1:])
	}
	for _, n := range []int{follower, leader} {
		pre := kfleet(t, "patch", "pre", "--host", zkIP(n), "-o", "json")
		var p struct {
			Decision string `json:"decision"`
			Brokers  []int  `json:"brokers"`
			Nodes    []int  `json:"zookeeper_nodes"`
		}
		if err := json.Unmarshal([]byte(pre.stdout), &p); err != nil || pre.code != 0 || p.Decision != "go" || len(p.Brokers) != 0 || !slices.Equal(p.Nodes, []int{n}) {
			t.Fatalf("patch pre --host %s: exit %d, %+v; want go for zookeeper node %d alone\n%s%s", zkIP(n), pre.code, p, n, pre.stdout, pre.stderr)
		}
		if m := zkMode(n); m != "down" {
			t.Errorf("zookeeper node %d after pre: %s, want down", n, m)
		}
		other := n%3 + 1
		if held := kfleet(t, "patch", "pre", "--host", zkIP(other)); held.code != 75 {
			t.Errorf("patch pre --host %s while %s is patched: exit %d, want 75\n%s", zkIP(other), zkIP(n), held.code, held.stderr)
		}
		post := kfleet(t, "patch", "post", "--host", zkIP(n))
		if post.code != 0 {
			t.Fatalf("patch post --host %s: exit %d\n%s%s", zkIP(n), post.code, post.stdout, post.stderr)
		}
		if m := zkMode(n); m != "follower" && m != "leader" {
			t.Errorf("zookeeper node %d after post: %s, want serving", n, m)
		}
	}
	if err := waitHealthy(time.Minute); err != nil {
		t.Fatal(err)
	}
}

// zkIP is ZooKeeper node n's address: 127.0.1.(SANDBOX_IP_BASE+n).
func zkIP(n int) string { return fmt.Sprintf("127.0.1.%d", ipBase()+n) }

// zkMode asks node n "srvr" on its client port: leader, follower, ..., "not-serving" (it answers
// but serves no client: electing, syncing or starting), or "down" (no answer).
func zkMode(n int) string {
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(zkIP(n), "2181"), time.Second)
	if err != nil {
		return "down"
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := conn.Write([]byte("srvr")); err != nil {
		return "down"
	}
	b, _ := io.ReadAll(conn)
	for _, line := range strings.Split(string(b), "\n") {
		if m, ok := strings.CutPrefix(line, "Mode: "); ok {
			return strings.TrimSpace(m)
		}
	}
	if strings.Contains(string(b), "not currently serving") {
		return "not-serving"
	}
	return "down"
}

// zkModes is every node's mode, by id (index 0 unused).
func zkModes() [4]string {
	var out [4]string
	for n := 1; n <= 3; n++ {
		out[n] = zkMode(n)
	}
	return out
}

// zkPID reads the pid node n's service script recorded; 0 when it is stopped.
func zkPID(t *testing.T, n int) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(sandboxDir, "zookeeper", fmt.Sprint(n), "run", "zookeeper.pid"))
	if errors.Is(err, fs.ErrNotExist) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	var pid int
	fmt.Sscan(strings.TrimSpace(string(data)), &pid)
	return pid
}

func zkPIDs(t *testing.T) map[int]int {
	t.Helper()
	return map[int]int{1: zkPID(t, 1), 2: zkPID(t, 2), 3: zkPID(t, 3)}
}

func killZooKeeper(t *testing.T, n int) {
	t.Helper()
	pid := zkPID(t, n)
	if pid == 0 || !processAlive(pid) {
		t.Fatalf("zookeeper node %d is not running (pid %d)", n, pid)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 zookeeper node %d (pid %d): %v", n, pid, err)
	}
}

// processAlive: pid exists and is not a zombie.
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] != 'Z'
}

// ensembleWatch follows a ZooKeeper restart from outside kfleet, every 100 ms: when each node's
// old process ended, when a new one ran, when the new one served again (srvr), how many nodes
// were down at once, and which did not serve at each poll.
type ensembleWatch struct {
	before                       map[int]int
	stoppedAt, startedAt, served map[int]time.Time
	maxDown                      int // nodes without a process at once
	polls                        []ensemblePoll
	stop, done                   chan struct{}
}

type ensemblePoll struct {
	at         time.Time
	notServing []int // nodes not serving as leader or follower
}

func watchEnsemble(t *testing.T, before map[int]int) *ensembleWatch {
	t.Helper()
	w := &ensembleWatch{before: before, stoppedAt: map[int]time.Time{}, startedAt: map[int]time.Time{},
		served: map[int]time.Time{}, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-w.stop:
				return
			case <-tick.C:
			}
			now := time.Now()
			down, notServing := 0, []int(nil)
			for n := 1; n <= 3; n++ {
				if _, ok := w.stoppedAt[n]; !ok && !processAlive(w.before[n]) {
					w.stoppedAt[n] = now
				}
				if _, ok := w.stoppedAt[n]; ok {
					if _, ok := w.startedAt[n]; !ok {
						data, _ := os.ReadFile(filepath.Join(sandboxDir, "zookeeper", fmt.Sprint(n), "run", "zookeeper.pid"))
						var pid int
						fmt.Sscan(strings.TrimSpace(string(data)), &pid)
						if pid != w.before[n] && processAlive(pid) {
							w.startedAt[n] = now
						}
					}
					if _, ok := w.startedAt[n]; !ok {
						down++
					}
				}
				mode := zkMode(n)
				if mode != "leader" && mode != "follower" {
					notServing = append(notServing, n)
				} else if _, ok := w.startedAt[n]; ok {
					if _, ok := w.served[n]; !ok {
						w.served[n] = now
					}
				}
			}
			w.maxDown = max(w.maxDown, down)
			w.polls = append(w.polls, ensemblePoll{now, notServing})
		}
	}()
	return w
}

func (w *ensembleWatch) finish() {
	close(w.stop)
	<-w.done
}

// zooKeeperRestartScenario: `kfleet restart --zookeeper` under acks=all load restarts every
// ZooKeeper node one at a time, followers first and the leader last, each back and serving before
// the next goes down; no acknowledged record is lost, no partition below min ISR, no broker
// restarted, and the ensemble ends with a leader and two followers.
func zooKeeperRestartScenario(t *testing.T, sb threeX) {
	healOnFailure(t)
	modes := zkModes()
	leader := slices.Index(modes[:], "leader")
	if leader < 1 || slices.Contains(modes[1:], "down") {
		t.Fatalf("srvr: ensemble modes %v, want a leader and two followers", modes[1:])
	}
	if leader == 3 {
		// An ensemble started together elects its highest id, so "the leader last" would be
		// id order too: hand the lead to another node first, so that the test tells them apart.
		leader = moveZooKeeperLead(t, leader)
		t.Logf("zookeeper node 3 led; restarted it by its service script: node %d leads now", leader)
	}
	const topic = "e2e-zk-restart"
	createTopic(t, topic, 6, 3, "2")
	before := zkPIDs(t)
	brokersBefore := brokerPIDs(t, sb.brokers)

	w := watchEnsemble(t, before)
	obs := watchMinISR(t, topic, "sandbox-demo")
	prod := produce(t, topic)
	time.Sleep(time.Second)
	start := time.Now()
	r := kfleet(t, "--state-dir", t.TempDir(), "-c", "sandbox", "restart", "--zookeeper", "--yes", "-o", "json")
	wall := time.Since(start)
	// Let the watch see the last node serve, bounded.
	for deadline := time.Now().Add(10 * time.Second); len(zkServing()) < 3 && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	w.finish()
	prod.finish(t, topic)
	obs.finish(t)
	if r.code != 0 {
		t.Fatalf("restart --zookeeper: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	t.Logf("restart --zookeeper: %.1fs wall (leader before: node %d)", wall.Seconds(), leader)

	// Every node runs a new process.
	after := zkPIDs(t)
	for n := 1; n <= 3; n++ {
		if after[n] == before[n] || !processAlive(after[n]) {
			t.Errorf("zookeeper node %d: pid %d before, %d after: not restarted", n, before[n], after[n])
		}
		if w.stoppedAt[n].IsZero() || w.startedAt[n].IsZero() {
			t.Errorf("zookeeper node %d: stop at %v, new process at %v: not seen restarting", n, w.stoppedAt[n], w.startedAt[n])
		}
	}
	// One at a time, in the order they stopped: each back and serving before the next stopped,
	// and the one that led before stopped last.
	order := []int{1, 2, 3}
	slices.SortFunc(order, func(a, b int) int { return w.stoppedAt[a].Compare(w.stoppedAt[b]) })
	t.Logf("zookeeper nodes restarted in the order %v", order)
	for i, n := range order {
		t.Logf("node %d: stopped +%.2fs, new process +%.2fs, serving +%.2fs", n,
			w.stoppedAt[n].Sub(start).Seconds(), w.startedAt[n].Sub(start).Seconds(), w.served[n].Sub(start).Seconds())
		if i == 0 {
			continue
		}
		prev := order[i-1]
		if w.served[prev].IsZero() || !w.stoppedAt[n].After(w.served[prev]) {
			t.Errorf("zookeeper node %d stopped (+%.2fs) before node %d served again (+%.2fs)", n,
				w.stoppedAt[n].Sub(start).Seconds(), prev, w.served[prev].Sub(start).Seconds())
		}
	}
	if order[2] != leader {
		t.Errorf("restart order %v: the leader (node %d) was not last", order, leader)
	}
	if w.maxDown > 1 {
		t.Errorf("%d zookeeper nodes were down at once", w.maxDown)
	}
	// kfleet's own events name the nodes, in the order seen from outside.
	evs := events(t, r.stdout)
	// Until the leader is told to stop, the nodes not being restarted serve throughout. Once it
	// is, the followers elect a new one: not serving for a moment is what a leader restart costs.
	leaderStop := zkStepTime(evs, order[2], "stop")
	if leaderStop.IsZero() {
		t.Errorf("no stop event for zookeeper node %d", order[2])
	}
	for _, p := range w.polls {
		if p.at.Before(leaderStop) && len(p.notServing) > 1 {
			t.Errorf("zookeeper nodes %v were not serving at once at +%.2fs, before the leader's stop (+%.2fs)",
				p.notServing, p.at.Sub(start).Seconds(), leaderStop.Sub(start).Seconds())
			break
		}
	}
	if got := zkEventOrder(evs); !slices.Equal(got, order) {
		t.Errorf("batch-done events name zookeeper nodes %v, seen restarting from outside in the order %v", got, order)
	}
	if len(evs) == 0 || evs[len(evs)-1]["event"] != "finished" {
		t.Errorf("the last event is not finished:\n%s", r.stdout)
	}

	// The brokers were not touched, and the ensemble is whole again.
	if after := brokerPIDs(t, sb.brokers); fmt.Sprint(after) != fmt.Sprint(brokersBefore) {
		t.Errorf("restart --zookeeper restarted brokers: pids %v -> %v", brokersBefore, after)
	}
	final := zkModes()
	leaders, followers := 0, 0
	for _, m := range final[1:] {
		switch m {
		case "leader":
			leaders++
		case "follower":
			followers++
		}
	}
	if leaders != 1 || followers != 2 {
		t.Errorf("ensemble after the restart: %v, want one leader and two followers", final[1:])
	}
	if err := waitHealthy(time.Minute); err != nil {
		t.Fatal(err)
	}
	s, _, _ := readStatus3x(t)
	checkMetadataMode(t, sb, s, 0, 0)
}

// moveZooKeeperLead restarts leading node n with its service script (as an operator would, not
// through kfleet) so that another node leads, waits for the ensemble to be whole again with n
// following, and returns the new leader.
func moveZooKeeperLead(t *testing.T, n int) int {
	t.Helper()
	zkService(t, n, "stop")
	waitZooKeeper(t, 30*time.Second, "led by another node", func(m [4]string) bool { return slices.Contains(m[1:], "leader") })
	zkService(t, n, "start")
	m := waitZooKeeper(t, time.Minute, fmt.Sprintf("whole again with node %d following", n), func(m [4]string) bool {
		return m[n] == "follower" && len(zkServing()) == 3 && slices.Contains(m[1:], "leader")
	})
	if err := waitHealthy(time.Minute); err != nil {
		t.Fatal(err)
	}
	return slices.Index(m[:], "leader")
}

// zkService runs node n's service script (start or stop), as up.sh does.
func zkService(t *testing.T, n int, action string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(sandboxDir, "zookeeper", fmt.Sprint(n), "bin", "zookeeper-service"), action)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("zookeeper-service %s (node %d): %v\n%s", action, n, err, out)
	}
}

// waitZooKeeper polls srvr until ok holds of the nodes' modes, and returns them.
func waitZooKeeper(t *testing.T, d time.Duration, what string, ok func(modes [4]string) bool) [4]string {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		m := zkModes()
		if ok(m) {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("zookeeper ensemble not %s within %s: modes %v", what, d, m[1:])
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// zkStepTime is when the restart's events say step started on zookeeper node n; zero if never.
func zkStepTime(evs []map[string]any, n int, step string) time.Time {
	for _, ev := range evs {
		if ev["event"] == "step" && ev["step"] == step && ev["status"] == "started" && ev["zookeeper_node"] == float64(n) {
			at, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(ev["time"]))
			return at
		}
	}
	return time.Time{}
}

// zkServing lists the nodes serving as leader or follower.
func zkServing() []int {
	var out []int
	for n, m := range zkModes() {
		if m == "leader" || m == "follower" {
			out = append(out, n)
		}
	}
	return out
}

// zkEventOrder is the order of the ZooKeeper nodes in the restart's batch-done events (each
// names its node in zookeeper_node).
func zkEventOrder(evs []map[string]any) []int {
	var out []int
	for _, ev := range evs {
		if n, ok := ev["zookeeper_node"].(float64); ok && ev["event"] == "batch-done" {
			out = append(out, int(n))
		}
	}
	return out
}
