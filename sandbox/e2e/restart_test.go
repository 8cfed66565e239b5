//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// brokerPIDs reads every sandbox broker's pid.
func brokerPIDs(t *testing.T, n int) map[int]int {
	t.Helper()
	out := map[int]int{}
	for id := 1; id <= n; id++ {
		out[id] = brokerPID(t, id)
	}
	return out
}

func bootstrap() []string {
	var bs []string
	for id := 1; id <= brokerCount(); id++ {
		bs = append(bs, hostIP(id)+":9092")
	}
	return bs
}

// brokerCount is how many hosts the sandbox has.
func brokerCount() int {
	entries, _ := os.ReadDir(filepath.Join(sandboxDir, "hosts"))
	return len(entries)
}

func adminClient(t *testing.T) (*kgo.Client, *kadm.Client) {
	t.Helper()
	return adminClientWith(t, sandboxOpts(t))
}

// adminClientWith is a client of the cluster opts reach (a fleet sandbox has several).
func adminClientWith(t *testing.T, opts []kgo.Opt) (*kgo.Client, *kadm.Client) {
	t.Helper()
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl, kadm.NewClient(cl)
}

// createTopic makes a topic and removes it when the test ends.
func createTopic(t *testing.T, name string, partitions int32, rf int16, minISR string) {
	t.Helper()
	createTopicWith(t, sandboxOpts(t), name, partitions, rf, minISR)
}

// createTopicWith makes a topic on the cluster opts reach.
func createTopicWith(t *testing.T, opts []kgo.Opt, name string, partitions int32, rf int16, minISR string) {
	t.Helper()
	_, adm := adminClientWith(t, opts)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, _ = adm.DeleteTopics(ctx, name)
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := adm.CreateTopic(ctx, partitions, rf, map[string]*string{"min.insync.replicas": &minISR}, name)
		if err == nil && res.Err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("create topic %s: %v %v", name, err, res.Err)
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = adm.DeleteTopics(ctx, name)
	})
	// Wait until every partition has a full ISR.
	if err := waitHealthy(time.Minute); err != nil {
		t.Fatal(err)
	}
}

// observer polls metadata every 200 ms and records any partition of the watched topics whose
// ISR is smaller than its min ISR (2 for every topic the tests create).
type observer struct {
	violations atomic.Int64
	polls      atomic.Int64
	first      atomic.Value
	stop       chan struct{}
	done       chan struct{}
}

func watchMinISR(t *testing.T, topics ...string) *observer {
	t.Helper()
	return watchMinISRWith(t, sandboxOpts(t), topics...)
}

// watchMinISRWith watches the topics of the cluster opts reach.
func watchMinISRWith(t *testing.T, opts []kgo.Opt, topics ...string) *observer {
	t.Helper()
	_, adm := adminClientWith(t, opts)
	o := &observer{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(o.done)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-o.stop:
				return
			case <-tick.C:
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			md, err := adm.Metadata(ctx, topics...)
			cancel()
			if err != nil {
				continue
			}
			o.polls.Add(1)
			for _, td := range md.Topics {
				for _, p := range td.Partitions {
					if len(p.ISR) < 2 {
						if o.violations.Add(1) == 1 {
							o.first.Store(fmt.Sprintf("%s-%d isr %v at %s", td.Topic, p.Partition, p.ISR, time.Now().Format("15:04:05.000")))
						}
					}
				}
			}
		}
	}()
	return o
}

func (o *observer) finish(t *testing.T) {
	t.Helper()
	close(o.stop)
	<-o.done
	if n := o.violations.Load(); n > 0 {
		t.Errorf("observer saw %d partition-polls below min ISR (first: %v) in %d polls", n, o.first.Load(), o.polls.Load())
	} else {
		t.Logf("observer: %d metadata polls, never below min ISR", o.polls.Load())
	}
}

// producer writes numbered records with acks=all until stopped and remembers what was acked.
type producer struct {
	opts  []kgo.Opt // how to reach the cluster (to read back)
	cl    *kgo.Client
	mu    sync.Mutex
	acked map[string]bool
	fails atomic.Int64
	stop  chan struct{}
	done  chan struct{}
}

func produce(t *testing.T, topic string) *producer {
	t.Helper()
	return produceWith(t, sandboxOpts(t), topic)
}

// produceWith writes to the cluster opts reach.
func produceWith(t *testing.T, opts []kgo.Opt, topic string) *producer {
	t.Helper()
	cl, err := kgo.NewClient(append(slices.Clone(opts), kgo.DefaultProduceTopic(topic),
		kgo.RequiredAcks(kgo.AllISRAcks()), kgo.RecordDeliveryTimeout(60*time.Second))...)
	if err != nil {
		t.Fatal(err)
	}
	p := &producer{opts: opts, cl: cl, acked: map[string]bool{}, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		var wg sync.WaitGroup
		for i := 0; ; i++ {
			select {
			case <-p.stop:
				wg.Wait()
				return
			default:
			}
			v := fmt.Sprintf("r-%07d", i)
			wg.Add(1)
			cl.Produce(context.Background(), &kgo.Record{Value: []byte(v)}, func(r *kgo.Record, err error) {
				defer wg.Done()
				if err != nil {
					p.fails.Add(1)
					return
				}
				p.mu.Lock()
				p.acked[v] = true
				p.mu.Unlock()
			})
			time.Sleep(5 * time.Millisecond)
		}
	}()
	return p
}

// finish stops producing and checks every acknowledged record can be read back.
func (p *producer) finish(t *testing.T, topic string) {
	t.Helper()
	close(p.stop)
	<-p.done
	p.cl.Close()
	p.mu.Lock()
	want := len(p.acked)
	p.mu.Unlock()
	if want == 0 {
		t.Fatal("no record was acknowledged")
	}
	cons, err := kgo.NewClient(append(slices.Clone(p.opts), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	seen := map[string]bool{}
	deadline := time.Now().Add(90 * time.Second)
	for len(seen) < want && time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		fs := cons.PollFetches(ctx)
		cancel()
		fs.EachRecord(func(r *kgo.Record) {
			if p.acked[string(r.Value)] {
				seen[string(r.Value)] = true
			}
		})
	}
	if len(seen) != want {
		t.Errorf("read back %d of %d acknowledged records: acknowledged writes were lost", len(seen), want)
	} else {
		t.Logf("all %d acknowledged records read back (%d sends failed and were not acknowledged)", want, p.fails.Load())
	}
}

// events parses kfleet's -o json event stream.
func events(t *testing.T, out string) []map[string]any {
	t.Helper()
	var evs []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("bad event line %q: %v", line, err)
		}
		evs = append(evs, ev)
	}
	return evs
}

func batchesDone(evs []map[string]any) [][]int {
	var out [][]int
	for _, ev := range evs {
		if ev["event"] != "batch-done" {
			continue
		}
		var ids []int
		for _, b := range ev["brokers"].([]any) {
			ids = append(ids, int(b.(float64)))
		}
		out = append(out, ids)
	}
	return out
}

// TestRestartUnderLoadLosesNothing is the core promise: a full rolling restart under acks=all
// load, every broker process new afterwards, every acknowledged record readable, no partition
// ever below min ISR.
func TestRestartUnderLoadLosesNothing(t *testing.T) {
	needSandbox(t)
	t.Cleanup(func() { heal(t) })
	createTopic(t, "e2e-restart", 6, 3, "2")
	n := brokerCount()
	before := brokerPIDs(t, n)

	obs := watchMinISR(t, "e2e-restart", "sandbox-demo")
	prod := produce(t, "e2e-restart")
	time.Sleep(time.Second)

	r := kfleet(t, "--state-dir", t.TempDir(), "restart", "--yes", "-o", "json")
	prod.finish(t, "e2e-restart")
	obs.finish(t)
	if r.code != 0 {
		t.Fatalf("restart: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}

	after := brokerPIDs(t, n)
	for id := 1; id <= n; id++ {
		if after[id] == before[id] {
			t.Errorf("broker %d still runs process %d", id, before[id])
		}
	}
	evs := events(t, r.stdout)
	if got := batchesDone(evs); len(got) != n {
		t.Errorf("batches done = %v, want %d", got, n)
	}
	logTimings(t, evs)
}

// logTimings prints each batch's timings and the lag between "healthy again" and the next
// batch's first stop, for docs/benchmarks.md.
func logTimings(t *testing.T, evs []map[string]any) {
	t.Helper()
	var lastHealthy time.Time
	var sum float64
	for _, ev := range evs {
		switch {
		case ev["event"] == "batch-done":
			tm := ev["timings"].(map[string]any)
			lastHealthy, _ = time.Parse(time.RFC3339Nano, tm["healthy_at"].(string))
			sum += tm["total_s"].(float64)
			t.Logf("batch %v brokers %v: gate %.2fs stop %.2fs start %.2fs catch-up %.2fs confirm %.2fs total %.2fs",
				ev["batch"], ev["brokers"], tm["gate_s"], tm["stop_s"], tm["start_s"], tm["catch_up_s"], tm["confirm_s"], tm["total_s"])
		case ev["event"] == "step" && ev["step"] == "stop" && ev["status"] == "started" && !lastHealthy.IsZero():
			at, _ := time.Parse(time.RFC3339Nano, ev["time"].(string))
			t.Logf("detection lag: next batch stopped %.3fs after the cluster was first seen healthy", at.Sub(lastHealthy).Seconds())
		}
	}
	t.Logf("sum of batch times %.1fs", sum)
}

func TestRestartSecondContenderIsRefused(t *testing.T) {
	needSandbox(t)
	t.Cleanup(func() { heal(t) })
	// A slow pre-stop hook keeps the first restart holding the lease while the second tries.
	hook := filepath.Join(t.TempDir(), "slow.sh")
	if err := os.WriteFile(hook, []byte("#!/bin/sh\nsleep 4\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	kfleet(t, "lease", "release", "--force", "--yes") // no lease left over from an earlier run
	first := exec.Command(kfleetBin, "-i", inventory, "--state-dir", t.TempDir(), "restart", "--yes", "--pre-stop-hook", hook)
	var firstOut strings.Builder
	first.Stdout, first.Stderr = &firstOut, &firstOut
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	defer first.Wait()
	// Wait until the lease shows up in status, then contend.
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := kfleet(t, "status", "--no-hosts", "-o", "json")
		if strings.Contains(r.stdout, `"purpose": "restart brokers`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the first restart never showed as lease holder:\n%s\n%s", r.stdout, firstOut.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	second := kfleet(t, "--state-dir", t.TempDir(), "restart", "--yes")
	if second.code != 75 {
		t.Errorf("second restart exit %d, want 75\n%s%s", second.code, second.stdout, second.stderr)
	}
	if !strings.Contains(second.stderr, "lease held by") || !strings.Contains(second.stderr, "restart brokers") {
		t.Errorf("refusal should name the holder and its purpose:\n%s", second.stderr)
	}
	// An operator breaks the lease: it names what it released, and the cluster is free.
	rel := kfleet(t, "lease", "release", "--force", "--yes")
	if rel.code != 0 || !strings.Contains(rel.stdout, "released the lease held by") || !strings.Contains(rel.stdout, "restart brokers") {
		t.Errorf("lease release --force: exit %d\n%s%s", rel.code, rel.stdout, rel.stderr)
	}
	if st := kfleet(t, "status", "--no-hosts", "-o", "json"); !strings.Contains(st.stdout, `"lease": null`) {
		t.Errorf("after the forced release status should show no lease:\n%s", st.stdout)
	}
	if noForce := kfleet(t, "lease", "release", "--yes"); noForce.code != 2 {
		t.Errorf("lease release without --force: exit %d, want 2", noForce.code)
	}
	if err := first.Wait(); err == nil {
		t.Errorf("the first restart's hook fails: it should have halted")
	}
	if code := first.ProcessState.ExitCode(); code != 1 {
		t.Errorf("first restart exit %d, want 1 (failing pre-stop hook)\n%s", code, firstOut.String())
	}
}

func TestRestartFailingPreStopHookHaltsBeforeAnyStop(t *testing.T) {
	needSandbox(t)
	before := brokerPIDs(t, brokerCount())
	hook := filepath.Join(t.TempDir(), "refuse.sh")
	if err := os.WriteFile(hook, []byte("#!/bin/sh\necho \"not now: broker $KFLEET_BROKER_ID\" >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := kfleet(t, "--state-dir", t.TempDir(), "restart", "--yes", "--pre-stop-hook", hook)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "pre-stop hook") || !strings.Contains(r.stderr, "not now: broker") || !strings.Contains(r.stderr, "kfleet resume") {
		t.Errorf("message should name the hook, its output and how to resume:\n%s", r.stderr)
	}
	after := brokerPIDs(t, brokerCount())
	for id, pid := range before {
		if after[id] != pid {
			t.Errorf("broker %d was restarted (%d -> %d) although the pre-stop hook failed", id, pid, after[id])
		}
	}
}

func TestRestartRefusesNeverWritablePartitions(t *testing.T) {
	needSandbox(t)
	createTopic(t, "e2e-rf2", 3, 2, "2")
	before := brokerPIDs(t, brokerCount())
	r := kfleet(t, "--state-dir", t.TempDir(), "restart", "--yes")
	if r.code != 75 {
		t.Fatalf("exit %d, want 75\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "e2e-rf2-") {
		t.Errorf("refusal should name the RF=2/min ISR=2 partitions:\n%s", r.stderr)
	}
	if after := brokerPIDs(t, brokerCount()); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("brokers were restarted: %v -> %v", before, after)
	}

	// With --allow-unavailable it goes ahead (one broker is enough to prove it).
	t.Cleanup(func() { heal(t) })
	r = kfleet(t, "--state-dir", t.TempDir(), "restart", "--yes", "--allow-unavailable", "--brokers", "1")
	if r.code != 0 {
		t.Fatalf("--allow-unavailable: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if brokerPID(t, 1) == before[1] {
		t.Errorf("broker 1 was not restarted")
	}
}

// badStartInventory breaks one broker's start command.
func badStartInventory(t *testing.T, broker int) string {
	t.Helper()
	inv := sandboxInventory(t)
	c := inv["clusters"].([]any)[0].(map[string]any)
	for _, b := range c["brokers"].([]any) {
		bm := b.(map[string]any)
		if bm["id"].(int) == broker {
			svc := bm["service"].(map[string]any)
			svc["start"] = "echo 'start refused by test' >&2; exit 7"
		}
	}
	return writeInventory(t, inv)
}

// firstBatch asks the dry run which broker goes first.
func firstBatch(t *testing.T) int {
	t.Helper()
	r := kfleet(t, "restart", "--dry-run", "-o", "json")
	var d struct {
		Batches []struct {
			Brokers []int `json:"brokers"`
		} `json:"batches"`
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &d) != nil || len(d.Batches) == 0 {
		t.Fatalf("dry run: exit %d %s %s", r.code, r.stdout, r.stderr)
	}
	return d.Batches[0].Brokers[0]
}

func opIDFrom(t *testing.T, stderr string) string {
	t.Helper()
	i := strings.Index(stderr, "kfleet resume ")
	if i < 0 {
		t.Fatalf("no resume hint in:\n%s", stderr)
	}
	return strings.Fields(stderr[i+len("kfleet resume "):])[0]
}

func TestRestartStartFailureHaltsThenResumeCompletes(t *testing.T) {
	needSandbox(t)
	t.Cleanup(func() { heal(t) })
	n := brokerCount()
	before := brokerPIDs(t, n)
	victim := firstBatch(t)
	state := t.TempDir()
	bad := badStartInventory(t, victim)

	r := kfleet(t, "-i", bad, "--state-dir", state, "restart", "--yes")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "start refused by test") || !strings.Contains(r.stderr, fmt.Sprintf("broker(s) %d left STOPPED", victim)) {
		t.Errorf("halt message should carry the start error and say the broker is down:\n%s", r.stderr)
	}
	mid := brokerPIDs(t, n)
	for id := 1; id <= n; id++ {
		if id != victim && mid[id] != before[id] {
			t.Errorf("broker %d was touched after broker %d failed to start", id, victim)
		}
	}
	op := opIDFrom(t, r.stderr)

	h := kfleet(t, "--state-dir", state, "history", "-o", "json")
	if h.code != 0 || !strings.Contains(h.stdout, op) || !strings.Contains(h.stdout, `"halted"`) {
		t.Errorf("history should list %s as halted:\n%s", op, h.stdout)
	}

	// The operator fixes the start command (the good inventory) and resumes.
	res := kfleet(t, "-i", inventory, "--state-dir", state, "resume", op, "--yes")
	if res.code != 0 {
		t.Fatalf("resume: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	after := brokerPIDs(t, n)
	for id := 1; id <= n; id++ {
		if after[id] == before[id] {
			t.Errorf("broker %d not restarted after resume", id)
		}
	}
	h = kfleet(t, "--state-dir", state, "history", "-o", "json")
	if !strings.Contains(h.stdout, `"done"`) {
		t.Errorf("history should show %s done:\n%s", op, h.stdout)
	}
}

func TestRestartInterruptBringsBatchBackThenResumeCompletes(t *testing.T) {
	needSandbox(t)
	t.Cleanup(func() { heal(t) })
	n := brokerCount()
	before := brokerPIDs(t, n)
	state := t.TempDir()
	run := startKfleet(t, "--state-dir", state, "restart", "--yes", "-o", "json")
	run.await(t, 3*time.Minute, `"step":"stop","status":"started"`)
	_ = run.cmd.Process.Signal(syscall.SIGINT)
	if !run.exit(8 * time.Minute) {
		t.Fatal("kfleet did not end after finishing its batch")
	}
	if code := run.cmd.ProcessState.ExitCode(); code != 130 {
		t.Fatalf("exit %d, want 130\n%s\n%s", code, run.out.String(), run.stderr.String())
	}
	out, stderr := &run.out, &run.stderr
	done := batchesDone(events(t, out.String()))
	if len(done) != 1 {
		t.Errorf("the interrupted run should finish exactly its current batch, finished %v", done)
	}
	// No broker is left stopped.
	s, code, _, err := runStatus("--no-hosts")
	if err != nil || code != 0 {
		t.Errorf("after the interrupt: status exit %d %v %+v", code, err, s)
	}
	op := opIDFrom(t, stderr.String())
	res := kfleet(t, "--state-dir", state, "resume", op, "--yes")
	if res.code != 0 {
		t.Fatalf("resume: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	after := brokerPIDs(t, n)
	for id := 1; id <= n; id++ {
		if after[id] == before[id] {
			t.Errorf("broker %d not restarted", id)
		}
	}
}
