//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The Kafka 3.x phases (issue 18): TestZooKeeperMode (zookeeper_test.go) and TestKRaftThree
// (kraft3_test.go) each run their scenarios in order on one 4-broker Kafka 3.8.1 sandbox of their
// own, which `make test` brings up before and removes after (the deploy scenario finalizes
// inter.broker.protocol.version or metadata.version, which cannot be undone). The scenarios here
// are shared by both; each leaves the sandbox healthy, except the broker death, which runs last.

// threeX is the sandbox a 3.x phase runs on.
type threeX struct {
	mode    string // kraft or zookeeper: the sandbox's metadata mode
	brokers int
}

// needThreeX skips unless gate is set, and refuses a sandbox that is not the phase's own: the
// phase finalizes a version, which must never happen to a sandbox someone else uses.
func needThreeX(t *testing.T, gate string, sb threeX) {
	t.Helper()
	if os.Getenv(gate) != "1" {
		t.Skipf("needs a 4-broker Kafka 3.8.1 sandbox in %s mode of its own: %s=1 (make test runs it)", sb.mode, gate)
	}
	needSandbox(t)
	if sandboxDir == filepath.Join(root, ".sandbox") {
		t.Fatalf("the %s phase finalizes a version, which cannot be undone: run it with a SANDBOX_DIR of its own, not %s", sb.mode, sandboxDir)
	}
	data, _ := os.ReadFile(filepath.Join(sandboxDir, "metadata"))
	if mode := strings.TrimSpace(string(data)); mode != sb.mode {
		t.Fatalf("%s: sandbox metadata mode %q, want %s (SANDBOX_METADATA)", sandboxDir, mode, sb.mode)
	}
	if n := brokerCount(); n != sb.brokers {
		t.Fatalf("sandbox has %d brokers, want %d", n, sb.brokers)
	}
	if v := os.Getenv("SANDBOX_KAFKA_VERSION"); !strings.HasPrefix(v, "3.") {
		t.Fatalf("SANDBOX_KAFKA_VERSION=%q: heal (up.sh) needs the 3.x sandbox's settings in the environment", v)
	}
}

// ipBase is SANDBOX_IP_BASE, 10 by default (see hostIP).
func ipBase() int {
	base := 10
	if v := os.Getenv("SANDBOX_IP_BASE"); v != "" {
		fmt.Sscan(v, &base)
	}
	return base
}

// status3x is what the 3.x scenarios read of `status -o json`.
type status3x struct {
	Name            string   `json:"name"`
	Healthy         bool     `json:"healthy"`
	Controller      int32    `json:"controller"`
	UnderReplicated int      `json:"under_replicated"`
	UnderMinISR     int      `json:"under_min_isr"`
	Offline         int      `json:"offline"`
	Versions        []string `json:"versions"`
	MetadataMode    string   `json:"metadata_mode"`
	MetadataVersion *int     `json:"metadata_version"`
	ZooKeeper       *struct {
		Healthy bool `json:"healthy"`
		Leader  int  `json:"leader"`
		Voters  int  `json:"voters"`
		Serving int  `json:"serving"`
		Synced  int  `json:"synced"`
		Nodes   []struct {
			ID      int    `json:"id"`
			Address string `json:"address"`
			Up      bool   `json:"up"`
			Mode    string `json:"mode"`
			Synced  bool   `json:"synced"`
			Error   string `json:"error"`
		} `json:"nodes"`
	} `json:"zookeeper"`
	Brokers []struct {
		ID      int32  `json:"id"`
		Alive   bool   `json:"alive"`
		Version string `json:"version"`
	} `json:"brokers"`
	Problems []string `json:"problems"`
}

// readStatus3x runs `status -c sandbox -o json` (hosts asked too) and returns its exit code.
func readStatus3x(t *testing.T) (status3x, int, string) {
	t.Helper()
	r := kfleet(t, "-c", "sandbox", "status", "-o", "json")
	var s struct {
		Clusters []status3x `json:"clusters"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil || len(s.Clusters) != 1 {
		t.Fatalf("status -o json (exit %d): %v\n%s\n%s", r.code, err, r.stdout, r.stderr)
	}
	return s.Clusters[0], r.code, r.stdout
}

func (s status3x) brokerAlive(id int) bool {
	for _, b := range s.Brokers {
		if int(b.ID) == id {
			return b.Alive
		}
	}
	return false
}

// healOnFailure heals the sandbox at the end of a scenario that failed, so the next one starts
// from a healthy sandbox; a scenario that passed leaves it healthy itself.
func healOnFailure(t *testing.T) {
	t.Cleanup(func() {
		if t.Failed() {
			heal(t)
		}
	})
}

// statusScenario: broker `broker` is killed with SIGKILL (and in ZooKeeper mode a ZooKeeper
// follower too); `status` must exit 3 and name both, in its table and in -o json, then
// everything comes back (up.sh) and status is healthy again. In KRaft mode status must say
// kraft and metadata.version wantMV throughout.
func statusScenario(t *testing.T, sb threeX, broker, wantMV int) {
	healed := false
	t.Cleanup(func() {
		if !healed {
			heal(t)
		}
	})
	s, code, out := readStatus3x(t)
	if code != 0 || !s.Healthy {
		t.Fatalf("status of the healthy sandbox: exit %d\n%s", code, out)
	}
	checkMetadataMode(t, sb, s, wantMV, 0)

	zkDown, zkLeader := 0, 0
	if sb.mode == "zookeeper" {
		modes := zkModes()
		for n := 1; n <= 3; n++ {
			switch modes[n] {
			case "leader":
				zkLeader = n
			case "follower":
				if zkDown == 0 {
					zkDown = n
				}
			}
		}
		if zkLeader == 0 || zkDown == 0 {
			t.Fatalf("srvr: ensemble modes %v, want a leader and followers", modes)
		}
		killZooKeeper(t, zkDown)
	}
	killed := killBroker(t, broker)

	// Poll until status sees both; it may see one before the other.
	deadline := killed.Add(60 * time.Second)
	for {
		s, code, out = readStatus3x(t)
		seen := code == 3 && !s.Healthy && !s.brokerAlive(broker) && s.UnderReplicated > 0
		if zkDown != 0 {
			seen = seen && s.ZooKeeper != nil && !s.ZooKeeper.Healthy && zkNodeDown(s, zkDown)
		}
		if seen {
			break
		}
		if code != 0 && code != 3 {
			t.Fatalf("status exit %d, want 0 or 3\n%s", code, out)
		}
		if time.Now().After(deadline) {
			t.Fatalf("status did not show broker %d (and zookeeper node %d) down within 60s; last (exit %d):\n%s", broker, zkDown, code, out)
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Logf("status exit 3 %.1fs after the kill: broker %d not alive, %d under-replicated", time.Since(killed).Seconds(), broker, s.UnderReplicated)
	checkMetadataMode(t, sb, s, wantMV, zkDown)
	if zkDown != 0 {
		z := s.ZooKeeper
		if z.Leader != zkLeader || z.Voters != 3 || z.Serving != 2 || z.Synced != 2 {
			t.Errorf("zookeeper = leader %d voters %d serving %d synced %d; want leader %d (srvr), 3 voters, 2 serving, 2 synced\n%s",
				z.Leader, z.Voters, z.Serving, z.Synced, zkLeader, out)
		}
		for _, n := range z.Nodes {
			wantMode := map[bool]string{true: "leader", false: "follower"}[n.ID == zkLeader]
			switch {
			case n.ID == zkDown && (n.Up || n.Mode != "" || n.Synced):
				t.Errorf("zookeeper node %d (killed): up %v mode %q synced %v, want down", n.ID, n.Up, n.Mode, n.Synced)
			case n.ID != zkDown && (!n.Up || n.Mode != wantMode || !n.Synced):
				t.Errorf("zookeeper node %d: up %v mode %q synced %v, want up, %s, synced", n.ID, n.Up, n.Mode, n.Synced, wantMode)
			}
		}
		if !hasProblem(s.Problems, fmt.Sprintf("zookeeper node %d (%s:2181)", zkDown, zkIP(zkDown))) {
			t.Errorf("problems do not name zookeeper node %d: %q", zkDown, s.Problems)
		}
	}
	if !hasProblem(s.Problems, fmt.Sprintf("broker %d (%s)", broker, hostIP(broker))) {
		t.Errorf("problems do not name broker %d: %q", broker, s.Problems)
	}

	// The table says the same to a human.
	tab := kfleet(t, "-c", "sandbox", "status")
	text := tab.stdout + tab.stderr
	want := []string{"UNHEALTHY", fmt.Sprintf("%d/%d", sb.brokers-1, sb.brokers), fmt.Sprintf("broker %d (%s)", broker, hostIP(broker))}
	if zkDown != 0 {
		want = append(want, "zookeeper 2/3", fmt.Sprintf("zookeeper node %d (%s:2181)", zkDown, zkIP(zkDown)))
	} else {
		want = append(want, fmt.Sprintf("kraft mv %d", wantMV))
	}
	if tab.code != 3 || !containsAll(text, want) {
		t.Errorf("status table: exit %d, want 3 and %q in:\n%s", tab.code, want, text)
	}

	heal(t)
	healed = true
	s, code, out = readStatus3x(t)
	if code != 0 || !s.Healthy || !s.brokerAlive(broker) {
		t.Fatalf("after heal: exit %d\n%s", code, out)
	}
	checkMetadataMode(t, sb, s, wantMV, 0)
	if zkDown != 0 {
		if m := zkModes(); m[zkDown] != "follower" && m[zkDown] != "leader" {
			t.Errorf("zookeeper node %d after heal: srvr mode %q", zkDown, m[zkDown])
		}
	}
}

// checkMetadataMode checks the metadata fields of status: kraft with metadata.version wantMV, or
// zookeeper with no metadata.version and the ensemble (zkDown: the node known to be down).
func checkMetadataMode(t *testing.T, sb threeX, s status3x, wantMV, zkDown int) {
	t.Helper()
	if s.MetadataMode != sb.mode {
		t.Errorf("status metadata_mode %q, want %s", s.MetadataMode, sb.mode)
	}
	switch sb.mode {
	case "kraft":
		if s.MetadataVersion == nil || *s.MetadataVersion != wantMV {
			t.Errorf("status metadata_version %v, want %d", s.MetadataVersion, wantMV)
		}
		if s.ZooKeeper != nil {
			t.Errorf("a KRaft cluster's status has a zookeeper object: %+v", *s.ZooKeeper)
		}
	case "zookeeper":
		if s.MetadataVersion != nil {
			t.Errorf("a ZooKeeper-mode cluster's status has metadata_version %d", *s.MetadataVersion)
		}
		if s.ZooKeeper == nil {
			t.Fatalf("a ZooKeeper-mode cluster's status has no zookeeper object")
		}
		if zkDown == 0 && (!s.ZooKeeper.Healthy || s.ZooKeeper.Serving != 3 || s.ZooKeeper.Synced != 3 || len(s.ZooKeeper.Nodes) != 3) {
			t.Errorf("healthy ensemble expected: %+v", *s.ZooKeeper)
		}
	}
}

func zkNodeDown(s status3x, id int) bool {
	for _, n := range s.ZooKeeper.Nodes {
		if n.ID == id {
			return !n.Up
		}
	}
	return false
}

func hasProblem(problems []string, sub string) bool {
	return slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, sub) })
}

// restartScenario: `kfleet restart` of every broker under acks=all load; every broker process
// is new, no acknowledged record is lost, no partition is ever below min ISR.
func restartScenario(t *testing.T, sb threeX) {
	healOnFailure(t)
	const topic = "e2e-3x-restart"
	createTopic(t, topic, 6, 3, "2")
	before := brokerPIDs(t, sb.brokers)
	var zkBefore map[int]int
	if sb.mode == "zookeeper" {
		zkBefore = zkPIDs(t)
	}

	obs := watchMinISR(t, topic, "sandbox-demo")
	prod := produce(t, topic)
	time.Sleep(time.Second)
	r := kfleet(t, "--state-dir", t.TempDir(), "-c", "sandbox", "restart", "--yes", "-o", "json")
	prod.finish(t, topic)
	obs.finish(t)
	if r.code != 0 {
		t.Fatalf("restart: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	after := brokerPIDs(t, sb.brokers)
	for id := 1; id <= sb.brokers; id++ {
		if after[id] == before[id] || after[id] == 0 {
			t.Errorf("broker %d: pid %d before, %d after: not restarted", id, before[id], after[id])
		}
	}
	if zkBefore != nil {
		if zkAfter := zkPIDs(t); fmt.Sprint(zkAfter) != fmt.Sprint(zkBefore) {
			t.Errorf("a broker restart restarted ZooKeeper: pids %v -> %v", zkBefore, zkAfter)
		}
	}
	evs := events(t, r.stdout)
	if got := batchesDone(evs); len(got) != sb.brokers {
		t.Errorf("batches done = %v, want %d", got, sb.brokers)
	}
	logTimings(t, evs)
	if err := waitHealthy(time.Minute); err != nil {
		t.Fatal(err)
	}
}

// partitionState is every partition's replicas and ISR as Kafka's metadata says.
type partitionState struct {
	replicas, isr []int32
}

func partitionStates(t *testing.T) map[string]partitionState {
	t.Helper()
	_, adm := adminClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	md, err := adm.Metadata(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]partitionState{}
	for _, td := range md.Topics {
		for _, p := range td.Partitions {
			out[fmt.Sprintf("%s-%d", td.Topic, p.Partition)] = partitionState{p.Replicas, p.ISR}
		}
	}
	return out
}

// reassignScenario: broker victim dies for good (SIGKILL, never restarted); `kfleet reassign
// plan` moves exactly its replicas, each onto the one live broker the partition does not use
// yet, and `reassign apply --plan` (under acks=all load) carries it out. Kafka's metadata then
// lists the dead broker nowhere, no partition is under-replicated, and no partition that had no
// replica on it moved. It leaves the victim dead: it runs last.
func reassignScenario(t *testing.T, sb threeX, victim int) {
	const topic = "e2e-3x-reassign"
	createTopic(t, topic, 12, 3, "2")
	fillTopic(t, topic, 12, 64<<10)
	before := partitionStates(t)
	stateDir := t.TempDir()

	killed := killBroker(t, victim)
	waitFencedWithURP(t, int32(victim))
	t.Logf("broker %d seen dead with partitions under-replicated %.1fs after kill -9", victim, time.Since(killed).Seconds())

	// The plan: exactly the partitions with a replica on the victim, that replica alone
	// replaced, by the only live broker the partition does not use (4 brokers, RF 3).
	plan := reassignPlan(t, "--state-dir", stateDir, "-c", "sandbox", "reassign", "plan")
	affected := map[string]bool{}
	for name, p := range before {
		if slices.Contains(p.replicas, int32(victim)) {
			affected[name] = true
		}
	}
	if len(affected) == 0 || len(affected) == len(before) {
		t.Fatalf("%d of %d partitions had a replica on broker %d: the scenario needs some of each", len(affected), len(before), victim)
	}
	target := map[string][]int32{}
	for _, e := range plan.Partitions {
		name := fmt.Sprintf("%s-%d", e.Topic, e.Partition)
		target[name] = e.Replicas
		old := before[name].replicas
		if !affected[name] {
			t.Errorf("plan moves %s %v -> %v, which had no replica on broker %d", name, old, e.Replicas, victim)
			continue
		}
		want := spareFor(old, int32(victim), sb.brokers)
		if !slices.Equal(e.Replicas, want) {
			t.Errorf("plan moves %s %v -> %v, want %v (broker %d's replica replaced in place by the spare)", name, old, e.Replicas, want, victim)
		}
	}
	for name := range affected {
		if _, ok := target[name]; !ok {
			t.Errorf("plan leaves out %s %v, which had a replica on broker %d", name, before[name].replicas, victim)
		}
	}
	t.Logf("plan: %d partition(s) of %d move, each one replica", len(plan.Partitions), len(before))
	planFile := filepath.Join(t.TempDir(), "plan.json")
	planJSON, err := json.Marshal(plan)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(planFile, planJSON, 0o600); err != nil {
		t.Fatal(err)
	}

	prod := produce(t, topic)
	start := time.Now()
	r := kfleet(t, "--state-dir", stateDir, "-c", "sandbox", "reassign", "apply", "--plan", planFile, "--yes", "-o", "json")
	prod.finish(t, topic)
	if r.code != 0 {
		t.Fatalf("reassign apply --plan: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	evs := events(t, r.stdout)
	if len(evs) == 0 || evs[len(evs)-1]["event"] != "finished" {
		t.Errorf("apply's last event is not finished:\n%s", r.stdout)
	}
	t.Logf("apply: %.1fs", time.Since(start).Seconds())

	// Kafka itself: the dead broker is in no replica list and every ISR is full. apply returns
	// once the moves are done; the new replicas' ISR entries may trail by a poll.
	var after map[string]partitionState
	var bad []string
	deadline := time.Now().Add(30 * time.Second)
	for {
		after, bad = partitionStates(t), nil
		for name, p := range after {
			if slices.Contains(p.replicas, int32(victim)) || len(p.isr) < len(p.replicas) {
				bad = append(bad, fmt.Sprintf("%s replicas %v isr %v", name, p.replicas, p.isr))
			}
		}
		if len(bad) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	slices.Sort(bad)
	if len(bad) > 0 {
		t.Errorf("after apply, %d partition(s) still name broker %d or are under-replicated: %v", len(bad), victim, bad)
	}
	for name, p := range after {
		b, ok := before[name]
		switch {
		case !ok:
			// A topic made since (none is expected); nothing to compare.
		case affected[name] && !slices.Equal(p.replicas, target[name]):
			t.Errorf("%s: replicas %v after apply, plan said %v", name, p.replicas, target[name])
		case !affected[name] && !slices.Equal(p.replicas, b.replicas):
			t.Errorf("%s: replicas %v -> %v, but it had no replica on broker %d", name, b.replicas, p.replicas, victim)
		}
	}
	s, _, out := readStatus3x(t)
	if s.UnderReplicated != 0 || s.UnderMinISR != 0 || s.Offline != 0 || s.brokerAlive(victim) {
		t.Errorf("status after apply: %d under-replicated, %d under min ISR, %d offline, broker %d alive %v\n%s",
			s.UnderReplicated, s.UnderMinISR, s.Offline, victim, s.brokerAlive(victim), out)
	}
}

// spareFor is replicas with victim replaced by the one broker of 1..n not in the list.
func spareFor(replicas []int32, victim int32, n int) []int32 {
	var spare int32
	for id := int32(1); id <= int32(n); id++ {
		if !slices.Contains(replicas, id) {
			spare = id
		}
	}
	out := slices.Clone(replicas)
	if i := slices.Index(out, victim); i >= 0 {
		out[i] = spare
	}
	return out
}
