//go:build e2e

package e2e

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// kafkaPlan is Kafka's reassignment JSON.
type kafkaPlan struct {
	Version    int `json:"version"`
	Partitions []struct {
		Topic     string  `json:"topic"`
		Partition int32   `json:"partition"`
		Replicas  []int32 `json:"replicas"`
	} `json:"partitions"`
}

// reassignPlan runs `kfleet ... reassign plan ARGS -o json` and reads Kafka's format from it.
func reassignPlan(t *testing.T, args ...string) kafkaPlan {
	t.Helper()
	args = append(args, "-o", "json")
	r := kfleet(t, args...)
	if r.code != 0 {
		t.Fatalf("%v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
	}
	var plan kafkaPlan
	if err := json.Unmarshal([]byte(r.stdout), &plan); err != nil || plan.Version != 1 {
		t.Fatalf("%v is not Kafka's format: %v\n%s", args, err, r.stdout)
	}
	return plan
}

// TestSixBrokerReassign runs on the 6-broker sandbox (racks a,b,c twice): broker 6 is killed and
// kept down; kfleet's plan replaces exactly its replicas; apply with a throttle repairs every
// under-replicated partition without losing an acknowledged record and leaves no throttle; then
// a slow drain of broker 5 is cancelled mid-move and everything is as before. It also counts the
// replicas Kafka's own --generate would move on the same state, for docs/benchmarks.md.
//
// It leaves broker 6 dead (the 6-broker sandbox is torn down after it) and restores nothing.
func TestSixBrokerReassign(t *testing.T) {
	if os.Getenv("KFLEET_E2E_SIX") != "1" {
		t.Skip("needs the 6-broker sandbox: KFLEET_E2E_SIX=1 (make test runs it)")
	}
	needSandbox(t)
	if n := brokerCount(); n != 6 {
		t.Fatalf("sandbox has %d brokers, want 6", n)
	}
	stateDir := t.TempDir()
	topics := map[string]int{"e2e-reassign-a": 12, "e2e-reassign-b": 6}
	for name, n := range topics {
		createTopic(t, name, int32(n), 3, "2")
	}
	// Data to copy: 1 MiB per partition of a, 512 KiB per partition of b.
	fillTopic(t, "e2e-reassign-a", 12, 1<<20)
	fillTopic(t, "e2e-reassign-b", 6, 512<<10)
	before := replicaMap(t)

	killed := killBroker(t, 6)
	waitFencedWithURP(t, 6)
	t.Logf("broker 6 fenced and partitions under-replicated %.1fs after kill -9", time.Since(killed).Seconds())

	// The plan: exactly the partitions that had a replica on 6, only that replica changed.
	plan := reassignPlan(t, "--state-dir", stateDir, "reassign", "plan")
	want := map[string]bool{}
	for name, reps := range before {
		if slices.Contains(reps, 6) {
			want[name] = true
		}
	}
	got := map[string][]int32{}
	kfleetMoved := 0
	for _, e := range plan.Partitions {
		name := fmt.Sprintf("%s-%d", e.Topic, e.Partition)
		got[name] = e.Replicas
		old, ok := before[name]
		if !ok || !want[name] {
			t.Errorf("plan moves %s %v, which had no replica on broker 6 (before: %v)", name, e.Replicas, old)
			continue
		}
		changed := 0
		for i := range old {
			if i >= len(e.Replicas) || old[i] != e.Replicas[i] {
				changed++
				if old[i] != 6 || i >= len(e.Replicas) || e.Replicas[i] == 6 {
					t.Errorf("%s: %v -> %v changes position %d, which was not broker 6's", name, old, e.Replicas, i)
				}
			}
		}
		if changed != 1 || len(e.Replicas) != len(old) {
			t.Errorf("%s: %v -> %v: want exactly broker 6's replica replaced", name, old, e.Replicas)
		}
		kfleetMoved += changed
	}
	for name := range want {
		if _, ok := got[name]; !ok {
			t.Errorf("plan leaves out %s %v, which had a replica on broker 6", name, before[name])
		}
	}
	t.Logf("kfleet plan: %d partition(s), %d replica(s) moved (the %d replicas broker 6 held)", len(plan.Partitions), kfleetMoved, len(want))
	logKafkaGenerate(t, before, want)

	// Apply with a throttle, under acks=all load; throttles must show while it runs and be gone after.
	prod := produce(t, "e2e-reassign-a")
	watch := watchThrottles(t, slices.Sorted(maps.Keys(topics)))
	start := time.Now()
	// kfleet dies (SIGKILL) once its first moves are submitted under a throttle; another
	// operator (another state dir) resumes it: the moves finish and no throttle is left behind.
	op, _ := runUntil(t, []string{`"event":"submitted"`},
		"--state-dir", t.TempDir(), "reassign", "apply", "--auto", "--yes", "--throttle", "1MB/s", "-o", "json")
	r := kfleet(t, "--state-dir", stateDir, "resume", op, "--yes", "-o", "json")
	if !strings.Contains(r.stderr, "took over the lease of op "+op) {
		t.Errorf("resume of the killed apply did not take its dead holder's lease over:\n%s", r.stderr)
	}
	wall := time.Since(start)
	seen := watch.finish()
	prod.finish(t, "e2e-reassign-a")
	if r.code != 0 {
		t.Fatalf("resume of the killed reassign apply --auto: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	evs := events(t, r.stdout)
	if len(evs) == 0 || evs[len(evs)-1]["event"] != "finished" {
		t.Fatalf("the resumed apply's last event is not finished:\n%s", r.stdout)
	}
	logReassignProgress(t, evs)
	t.Logf("apply: %.1fs wall; throttles seen while moving: %d topic entries (max), rate on brokers %v", wall.Seconds(), seen.maxEntries, seen.rateBrokers)
	if seen.maxEntries == 0 || len(seen.rateBrokers) == 0 {
		t.Errorf("no throttle seen during the move: %+v", seen)
	}
	if slices.Contains(seen.rateBrokers, 6) {
		t.Errorf("a rate was set on dead broker 6")
	}
	assertNoThrottles(t, slices.Sorted(maps.Keys(topics)))
	after := replicaMap(t)
	for name, target := range got {
		if !slices.Equal(after[name], target) {
			t.Errorf("%s: replicas %v after apply, plan said %v", name, after[name], target)
		}
	}
	for name, reps := range after {
		if !want[name] && !slices.Equal(reps, before[name]) {
			t.Errorf("%s: replicas %v -> %v, but it had no replica on broker 6", name, before[name], reps)
		}
	}
	st, _, _, err := runStatus("--no-hosts")
	if err != nil {
		t.Fatal(err)
	}
	if c := st.Clusters[0]; c.UnderReplicated != 0 || c.UnderMinISR != 0 || c.Offline != 0 {
		t.Errorf("after apply: %d under-replicated, %d under min ISR, %d offline", c.UnderReplicated, c.UnderMinISR, c.Offline)
	}
	r = kfleet(t, "--state-dir", stateDir, "reassign", "status", "-o", "json")
	var rs struct {
		Clusters []struct {
			UnderReplicated int               `json:"under_replicated"`
			InFlight        []json.RawMessage `json:"in_flight"`
		} `json:"clusters"`
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &rs) != nil || len(rs.Clusters) != 1 ||
		rs.Clusters[0].UnderReplicated != 0 || len(rs.Clusters[0].InFlight) != 0 {
		t.Errorf("reassign status after apply: exit %d, %s", r.code, r.stdout)
	}

	// A slow drain of broker 5, cancelled mid-move: back to exactly as before.
	cancelledDrain(t, stateDir, slices.Sorted(maps.Keys(topics)))
}

// cancelledDrain starts `apply --auto --from-brokers 5` with a tiny throttle, cancels it once
// moves of the test topics are in flight, and checks: nothing is reassigning, every move in
// flight went back to its old replicas (only moves that had already finished, e.g. of small
// internal partitions, keep their new ones), the test topics (1 MiB per partition at 10 KB/s:
// none can have finished) are exactly as before, and no throttle is left.
func cancelledDrain(t *testing.T, stateDir string, topics []string) {
	cl, adm := adminClient(t)
	before := replicaMap(t)
	drain := reassignPlan(t, "--state-dir", stateDir, "reassign", "plan", "--from-brokers", "5")
	if len(drain.Partitions) == 0 {
		t.Fatal("reassign plan --from-brokers 5: nothing to move")
	}
	target := map[string][]int32{}
	for _, e := range drain.Partitions {
		target[fmt.Sprintf("%s-%d", e.Topic, e.Partition)] = e.Replicas
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan result, 1)
	go func() {
		done <- kfleetCtx(t, ctx, "--state-dir", stateDir, "reassign", "apply", "--auto", "--from-brokers", "5", "--yes",
			"--throttle", "10KB/s", "-o", "json")
	}()
	deadline := time.Now().Add(90 * time.Second)
	for {
		live, err := reassigning(cl)
		if err == nil && len(live) > 0 && countThrottleEntries(t, adm, topics) > 0 {
			break
		}
		select {
		case r := <-done:
			t.Fatalf("the drain ended before it could be cancelled: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no move of the test topics in flight under a throttle within 90s (last err %v)", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // mid-move: some bytes copied
	r := kfleet(t, "--state-dir", stateDir, "reassign", "cancel", "--yes", "-o", "json")
	if r.code != 0 {
		t.Fatalf("reassign cancel: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	var res struct {
		Cancelled []struct {
			Topic     string `json:"topic"`
			Partition int32  `json:"partition"`
		} `json:"cancelled"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || len(res.Cancelled) == 0 {
		t.Errorf("reassign cancel reverted nothing: %v\n%s", err, r.stdout)
	}
	cancelled := map[string]bool{}
	for _, c := range res.Cancelled {
		cancelled[fmt.Sprintf("%s-%d", c.Topic, c.Partition)] = true
	}
	t.Logf("cancel reverted %d move(s) in flight", len(cancelled))
	var applyRes result
	select {
	case applyRes = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("the cancelled apply did not exit within 60s")
	}
	if applyRes.code != 1 || !strings.Contains(applyRes.stderr, "cancelled") {
		t.Errorf("cancelled apply: exit %d (want 1 saying cancelled)\n%s", applyRes.code, applyRes.stderr)
	}
	live, err := reassigning(cl)
	if err != nil || len(live) != 0 {
		t.Errorf("after cancel: reassignments %v, %v", live, err)
	}
	after := replicaMap(t)
	finished := 0
	for name, reps := range before {
		testTopic := slices.Contains(topics, name[:strings.LastIndexByte(name, '-')])
		switch {
		case slices.Equal(after[name], reps):
		case !testTopic && !cancelled[name] && slices.Equal(after[name], target[name]):
			finished++ // moved before the cancel (small internal partition)
		default:
			t.Errorf("%s: replicas %v after cancel, %v before (plan target %v, cancelled %v)", name, after[name], reps, target[name], cancelled[name])
		}
	}
	t.Logf("after cancel: %d partition(s) as before, %d small ones had finished moving before it", len(before)-finished, finished)
	assertNoThrottles(t, topics)

	// History has the cancel as a run of its own, done, beside the apply it cancelled.
	h := kfleet(t, "--state-dir", stateDir, "history", "--kind", "reassign-cancel", "-o", "json")
	var hist struct {
		Operations []struct {
			Kind   string `json:"kind"`
			Status string `json:"status"`
		} `json:"operations"`
	}
	if err := json.Unmarshal([]byte(h.stdout), &hist); err != nil || len(hist.Operations) != 1 ||
		hist.Operations[0].Kind != "reassign-cancel" || hist.Operations[0].Status != "done" {
		t.Errorf("history of the cancel (exit %d, %v): want one reassign-cancel, done\n%s", h.code, err, h.stdout)
	}
}

// reassigning lists every reassignment in flight ("topic-N"). kadm's ListPartitionReassignments
// lists nothing for an empty set, so this asks with no topic list: all of them.
func reassigning(cl *kgo.Client) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req := kmsg.NewPtrListPartitionReassignmentsRequest()
	req.TimeoutMillis = 10_000
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			out = append(out, fmt.Sprintf("%s-%d", t.Topic, p.Partition))
		}
	}
	return out, nil
}

// fillTopic writes size bytes per partition with acks=all, 1 KiB records.
func fillTopic(t *testing.T, topic string, partitions int, size int) {
	t.Helper()
	cl, err := kgo.NewClient(append(sandboxOpts(t), kgo.DefaultProduceTopic(topic),
		kgo.RequiredAcks(kgo.AllISRAcks()), kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerLinger(5*time.Millisecond))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	// Random bytes: the producer compresses, and repeated bytes would shrink to nothing on disk.
	const recSize = 1024
	data := make([]byte, partitions*size+recSize)
	_, _ = rand.Read(data)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	off := 0
	for p := range partitions {
		for range size / recSize {
			wg.Add(1)
			val := data[off : off+recSize]
			off += recSize
			cl.Produce(ctx, &kgo.Record{Partition: int32(p), Value: val}, func(_ *kgo.Record, err error) {
				defer wg.Done()
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	if firstErr != nil {
		t.Fatalf("filling %s: %v", topic, firstErr)
	}
}

// replicaMap reads every partition's replica list: "topic-N" -> replicas.
func replicaMap(t *testing.T) map[string][]int32 {
	t.Helper()
	out := map[string][]int32{}
	for name, p := range partitionStates(t) {
		out[name] = p.replicas
	}
	return out
}

func waitFencedWithURP(t *testing.T, id int32) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		s, _, _, err := runStatus("--no-hosts")
		if err == nil && len(s.Clusters) == 1 {
			c := s.Clusters[0]
			dead := false
			for _, b := range c.Brokers {
				if b.ID == id && !b.Alive {
					dead = true
				}
			}
			if dead && c.UnderReplicated > 0 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("broker %d not seen fenced with URP within 60s (%v)", id, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

type throttlesSeen struct {
	maxEntries  int
	rateBrokers []int32
}

type throttleWatch struct {
	stop chan struct{}
	done chan throttlesSeen
}

// watchThrottles polls DescribeConfigs every 200 ms: the topics' throttled-replica lists and the
// live brokers' own throttle rates.
func watchThrottles(t *testing.T, topics []string) *throttleWatch {
	_, adm := adminClient(t)
	w := &throttleWatch{stop: make(chan struct{}), done: make(chan throttlesSeen, 1)}
	go func() {
		var seen throttlesSeen
		for {
			select {
			case <-w.stop:
				w.done <- seen
				return
			case <-time.After(200 * time.Millisecond):
			}
			seen.maxEntries = max(seen.maxEntries, countThrottleEntries(t, adm, topics))
			for _, b := range brokersWithRate(adm) {
				if !slices.Contains(seen.rateBrokers, b) {
					seen.rateBrokers = append(seen.rateBrokers, b)
				}
			}
		}
	}()
	return w
}

func (w *throttleWatch) finish() throttlesSeen {
	close(w.stop)
	s := <-w.done
	slices.Sort(s.rateBrokers)
	return s
}

func countThrottleEntries(t *testing.T, adm *kadm.Client, topics []string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rcs, err := adm.DescribeTopicConfigs(ctx, topics...)
	if err != nil {
		return 0
	}
	n := 0
	for _, rc := range rcs {
		for _, c := range rc.Configs {
			if (c.Key == "leader.replication.throttled.replicas" || c.Key == "follower.replication.throttled.replicas") &&
				c.Source == kmsg.ConfigSourceDynamicTopicConfig && c.MaybeValue() != "" {
				n += len(strings.Split(c.MaybeValue(), ","))
			}
		}
	}
	return n
}

// brokersWithRate lists the live brokers (1-5) that have a throttle rate of their own.
func brokersWithRate(adm *kadm.Client) []int32 {
	var out []int32
	for id := int32(1); id <= 5; id++ {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		rcs, err := adm.DescribeBrokerConfigs(ctx, id)
		cancel()
		if err != nil {
			continue
		}
		for _, rc := range rcs {
			for _, c := range rc.Configs {
				if (c.Key == "leader.replication.throttled.rate" || c.Key == "follower.replication.throttled.rate") &&
					c.Source == kmsg.ConfigSourceDynamicBrokerConfig && !slices.Contains(out, id) {
					out = append(out, id)
				}
			}
		}
	}
	return out
}

// assertNoThrottles checks that no topic of the cluster has a throttled-replica entry and no
// live broker a throttle rate of its own.
func assertNoThrottles(t *testing.T, topics []string) {
	t.Helper()
	_, adm := adminClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	all, err := adm.ListTopicsWithInternal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := countThrottleEntries(t, adm, all.Names()); n > 0 {
		t.Errorf("%d throttled-replica entries left on the cluster's topics", n)
	}
	if bs := brokersWithRate(adm); len(bs) > 0 {
		t.Errorf("brokers %v still have a throttle rate", bs)
	}
}

// logKafkaGenerate runs Kafka's own kafka-reassign-partitions --generate for the (non-internal)
// topics that had a replica on broker 6, moving them to brokers 1-5, and logs how many replicas
// it would move against kfleet's one per lost replica. --generate places at random: three runs.
func logKafkaGenerate(t *testing.T, before map[string][]int32, affected map[string]bool) {
	t.Helper()
	topicSet := map[string]bool{}
	kfleetMoves := 0
	for name := range affected {
		if topic := name[:strings.LastIndexByte(name, '-')]; !strings.HasPrefix(topic, "__") {
			topicSet[topic] = true
			kfleetMoves++
		}
	}
	var tl []map[string]string
	for _, tn := range slices.Sorted(maps.Keys(topicSet)) {
		tl = append(tl, map[string]string{"topic": tn})
	}
	data, _ := json.Marshal(map[string]any{"version": 1, "topics": tl})
	f := filepath.Join(t.TempDir(), "topics.json")
	if err := os.WriteFile(f, data, 0o600); err != nil {
		t.Fatal(err)
	}
	tool := filepath.Join(sandboxDir, "hosts", "1", "current", "bin", "kafka-reassign-partitions.sh")
	partitions := 0
	for name := range before {
		if topicSet[name[:strings.LastIndexByte(name, '-')]] {
			partitions++
		}
	}
	for run := 1; run <= 3; run++ {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		out, err := exec.CommandContext(ctx, tool, "--bootstrap-server", "127.0.0.11:9092", "--topics-to-move-json-file", f,
			"--broker-list", "1,2,3,4,5", "--generate").CombinedOutput()
		cancel()
		if err != nil {
			t.Errorf("kafka-reassign-partitions --generate: %v\n%s", err, out)
			return
		}
		_, proposed, ok := strings.Cut(string(out), "Proposed partition reassignment configuration")
		var kp kafkaPlan
		if !ok || json.Unmarshal([]byte(strings.TrimSpace(proposed)), &kp) != nil {
			t.Errorf("cannot read --generate's proposal:\n%s", out)
			return
		}
		moved, changed := 0, 0
		for _, e := range kp.Partitions {
			old := before[fmt.Sprintf("%s-%d", e.Topic, e.Partition)]
			n := 0
			for _, r := range e.Replicas {
				if !slices.Contains(old, r) {
					n++
				}
			}
			moved += n
			if !slices.Equal(old, e.Replicas) {
				changed++
			}
		}
		t.Logf("kafka-reassign-partitions --generate (run %d) for %d topic(s), %d partitions: %d partitions changed, %d replicas moved (kfleet: %d)",
			run, len(topicSet), partitions, changed, moved, kfleetMoves)
	}
}

func logReassignProgress(t *testing.T, evs []map[string]any) {
	for _, ev := range evs {
		switch ev["event"] {
		case "plan", "finished", "elect-leaders":
			t.Logf("apply %s: %v", ev["event"], ev["message"])
		case "progress":
			if p, ok := ev["progress"].(map[string]any); ok && p["in_flight"] == float64(0) {
				t.Logf("apply progress: %v", p)
			}
		}
	}
}
