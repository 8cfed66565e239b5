package rollout

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/cluster"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/journal"
	"github.com/kfleet/kfleet/rollout/rollouttest"
)

func testCluster(n int) *inventory.Cluster {
	c := &inventory.Cluster{Name: "c"}
	for id := int32(1); id <= int32(n); id++ {
		c.Brokers = append(c.Brokers, &inventory.Broker{ID: id, Host: fmt.Sprintf("h%d", id)})
	}
	return c
}

func testEngine(t *testing.T, f *rollouttest.Cluster, c *inventory.Cluster, maxParallel int) (*Engine, *[]Event) {
	t.Helper()
	var mu sync.Mutex
	var events []Event
	e := &Engine{Kafka: f, Hosts: f, Opts: Options{OpID: "op-test", Cluster: c, Brokers: c.Brokers,
		MaxParallel: maxParallel, Poll: time.Millisecond, GateTimeout: 2 * time.Second,
		StopTimeout: time.Second, StartTimeout: time.Second, HealthyTimeout: 2 * time.Second}}
	e.Emit = func(ev Event) {
		mu.Lock()
		events = append(events, ev)
		mu.Unlock()
	}
	return e, &events
}

func TestEngineRestartsEveryBrokerControllerLast(t *testing.T) {
	f := rollouttest.New(3, 3, 12)
	f.Controller = 2
	c := testCluster(3)
	e, events := testEngine(t, f, c, 1)
	if err := e.Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	want := []string{"stop 1", "start 1", "stop 3", "start 3", "stop 2", "start 2"}
	if got := f.Actions(); !slices.Equal(got, want) {
		t.Errorf("actions = %v, want %v (controller 2 last)", got, want)
	}
	if f.WorstISR < 2 {
		t.Errorf("a partition went to ISR %d, below min ISR 2", f.WorstISR)
	}
	if f.Elections != 3 {
		t.Errorf("%d preferred elections, want one per batch", f.Elections)
	}
	last := (*events)[len(*events)-1]
	if last.Kind != EventFinished {
		t.Errorf("last event = %+v", last)
	}
}

func TestEngineStartFailureHaltsAndTouchesNoOtherBroker(t *testing.T) {
	f := rollouttest.New(3, 3, 6)
	f.StartFails[1] = true
	c := testCluster(3)
	e, _ := testEngine(t, f, c, 1)
	err := e.Run(context.Background(), nil)
	var h *HaltError
	if !errors.As(err, &h) {
		t.Fatalf("err = %v, want *HaltError", err)
	}
	if h.Step != StepStart || !slices.Equal(h.Stopped, []int32{1}) {
		t.Errorf("halt = %+v; want step start with broker 1 left stopped", h)
	}
	if op, next := h.NextStep(); op != "op-test" || next != fault.FixThenResume || !strings.Contains(err.Error(), "STOPPED") {
		t.Errorf("error should say how to resume (%s, %v) and what is down: %v", op, next, err)
	}
	for _, a := range f.Actions() {
		if !strings.HasSuffix(a, " 1") {
			t.Errorf("touched another broker: %v", f.Actions())
		}
	}
}

func TestEnginePreStopHookFailureHaltsBeforeAnyStop(t *testing.T) {
	f := rollouttest.New(3, 3, 6)
	c := testCluster(3)
	e, _ := testEngine(t, f, c, 1)
	hook := filepath.Join(t.TempDir(), "refuse.sh")
	if err := os.WriteFile(hook, []byte("#!/bin/sh\necho \"no: $KFLEET_PHASE $KFLEET_BROKER_ID $KFLEET_OP_ID\"\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	e.Opts.Hooks.PreStop = []string{hook}
	err := e.Run(context.Background(), nil)
	var he *HookError
	if !errors.As(err, &he) || he.Phase != PhasePreStop {
		t.Fatalf("err = %v, want a pre-stop HookError", err)
	}
	if !strings.Contains(err.Error(), "no: pre-stop 1 op-test") {
		t.Errorf("hook output and environment missing from %q", err)
	}
	if a := f.Actions(); len(a) != 0 {
		t.Errorf("brokers were touched: %v", a)
	}
}

func TestEngineSoftInterruptFinishesTheBatch(t *testing.T) {
	f := rollouttest.New(3, 3, 6)
	c := testCluster(3)
	e, _ := testEngine(t, f, c, 1)
	soft := make(chan struct{})
	emit := e.Emit
	e.Emit = func(ev Event) {
		emit(ev)
		if ev.Kind == EventStep && ev.Step == StepStop && ev.Status == StatusStarted {
			select {
			case <-soft:
			default:
				close(soft) // Ctrl-C while the first broker is going down
			}
		}
	}
	err := e.Run(context.Background(), soft)
	var ie *InterruptedError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v, want *InterruptedError", err)
	}
	if got, want := f.Actions(), []string{"stop 1", "start 1"}; !slices.Equal(got, want) {
		t.Errorf("actions = %v, want %v", got, want)
	}
	if !slices.Equal(ie.Done, []int32{1}) || !slices.Equal(ie.Left, []int32{2, 3}) {
		t.Errorf("interrupted = %+v", ie)
	}
}

func TestEngineRefusesNeverWritablePartitions(t *testing.T) {
	f := rollouttest.New(3, 2, 6) // RF2 with min ISR 2
	c := testCluster(3)
	e, _ := testEngine(t, f, c, 1)
	err := e.Run(context.Background(), nil)
	var gr *GateRefusedError
	if !errors.As(err, &gr) || !gr.Never {
		t.Fatalf("err = %v, want an immediate GateRefusedError", err)
	}
	if !strings.Contains(err.Error(), "orders-") {
		t.Errorf("refusal should name partitions: %v", err)
	}
	if a := f.Actions(); len(a) != 0 {
		t.Errorf("brokers were touched: %v", a)
	}

	f2 := rollouttest.New(3, 2, 6)
	e2, _ := testEngine(t, f2, testCluster(3), 1)
	e2.Opts.Gate.AllowUnavailable = true
	if err := e2.Run(context.Background(), nil); err != nil {
		t.Fatalf("with --allow-unavailable: %v", err)
	}
}

func TestEngineBatchesByRack(t *testing.T) {
	f := rollouttest.New(6, 3, 0)
	// Rack-aware placement: each partition has one replica in each of racks a, b, c.
	for p := 0; p < 18; p++ {
		a := []int32{1, 4}[p%2]
		b := []int32{2, 5}[(p/2)%2]
		cc := []int32{3, 6}[(p/4)%2]
		f.Replicas = append(f.Replicas, []int32{a, b, cc})
	}
	c := testCluster(6)
	e, events := testEngine(t, f, c, 2)
	if err := e.Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	var batches [][]int32
	for _, ev := range *events {
		if ev.Kind == EventBatchDone {
			batches = append(batches, ev.Brokers)
		}
	}
	if len(batches) != 3 {
		t.Fatalf("batches = %v, want 3 of 2", batches)
	}
	for _, b := range batches {
		if len(b) != 2 || f.Racks[b[0]] != f.Racks[b[1]] {
			t.Errorf("batch %v is not one rack", b)
		}
	}
	if f.WorstISR < 2 {
		t.Errorf("ISR went to %d", f.WorstISR)
	}
}

func TestJournalRecordsAndResumeSkipsDoneBrokers(t *testing.T) {
	dir := t.TempDir()
	f := rollouttest.New(3, 3, 6)
	f.StartFails[3] = true
	c := testCluster(3)
	e, _ := testEngine(t, f, c, 1)
	j, err := journal.Create(dir, journal.Record{ID: "op-test", Kind: "restart", Cluster: "c", Brokers: []int32{1, 2, 3}, Created: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	e.Journal = j
	if err := e.Run(context.Background(), nil); err == nil {
		t.Fatal("want a halt")
	}
	j.Close()
	st, err := journal.Load(dir, "op-test")
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != journal.StatusHalted || !slices.Equal(st.Done, []int32{1, 2}) || !slices.Equal(st.Pending, []int32{3}) {
		t.Fatalf("state = %s done %v pending %v", st.Status, st.Done, st.Pending)
	}

	f.StartFails[3] = false
	skip, closing, err := ResumeSkips(context.Background(), st, f, c.Brokers)
	if err != nil || len(closing) != 0 {
		t.Fatalf("closing %v, %v; want none: broker 3 never started", closing, err)
	}
	f.Log = nil
	e2, _ := testEngine(t, f, c, 1)
	e2.Opts.Skip = skip
	if err := e2.Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if got := f.Actions(); !slices.Equal(got, []string{"stop 3", "start 3"}) {
		t.Errorf("resume touched %v, want only broker 3", got)
	}
	list, err := journal.List(dir, journal.Filter{})
	if err != nil || len(list) != 1 || list[0].Op.ID != "op-test" {
		t.Fatalf("journal.List = %v, %v", list, err)
	}
}

// A broker this run does not restart is down and stays down: the gate refuses once it has
// waited downGrace for it, naming it, instead of waiting out the whole gate timeout.
func TestEngineRefusesEarlyWhileAnotherBrokerIsDown(t *testing.T) {
	f := rollouttest.New(3, 3, 12)
	f.Running[3] = false
	c := testCluster(3)
	e, _ := testEngine(t, f, c, 1)
	e.Opts.Brokers = c.Brokers[:2]
	e.Opts.GateTimeout = 10 * time.Minute
	clock := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	e.now = func() time.Time { clock = clock.Add(time.Second); return clock }
	err := e.Run(context.Background(), nil)
	var gr *GateRefusedError
	if !errors.As(err, &gr) || !strings.Contains(err.Error(), "broker(s) 3 down (fenced)") || gr.Waited >= time.Minute {
		t.Fatalf("err = %v; want the gate refused early (waited %v), naming broker 3 as down", err, gr)
	}
	if len(f.Actions()) != 0 {
		t.Fatalf("actions %v; want none", f.Actions())
	}
}

func TestWaitKeyIgnoresCountsAndErrorDetails(t *testing.T) {
	same := [][2]string{
		{"3 under-replicated, 0 under min ISR, 0 offline", "12 under-replicated, 1 under min ISR, 0 offline"},
		{"cluster unreadable: dial tcp 127.0.0.11:9092: refused", "cluster unreadable: dial tcp 127.0.0.12:9092: timeout"},
	}
	for _, p := range same {
		if waitKey(p[0]) != waitKey(p[1]) {
			t.Errorf("%q and %q are the same reason", p[0], p[1])
		}
	}
	if waitKey("broker 2 is fenced") == waitKey("partition t-0 is offline") {
		t.Error("different reasons judged the same")
	}
}

// recordingLease is a held lease that never expires and keeps what the engine writes to the
// cluster's event log.
type recordingLease struct {
	mu     sync.Mutex
	kinds  []string
	fields []map[string]string
}

func (l *recordingLease) Lost() <-chan struct{} { return nil }

func (l *recordingLease) Event(_ context.Context, kind, _ string, fields map[string]string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.kinds = append(l.kinds, kind)
	l.fields = append(l.fields, fields)
	return nil
}

// The cluster's event log learns, with every milestone and each step as it starts, where the run
// stands: batch k of n, the step, the batches done and, once one is done, the expected end.
func TestEngineTellsTheEventLogWhereItStands(t *testing.T) {
	f := rollouttest.New(3, 3, 6)
	c := testCluster(3)
	e, _ := testEngine(t, f, c, 1)
	l := &recordingLease{}
	e.Lease = l
	if err := e.Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var sawStop, sawETA bool
	for i, k := range l.kinds {
		f := l.fields[i]
		if k == EventStep && f["step"] == StepStop && f["batch"] == "2" {
			sawStop = f["batches"] == "3" && f["batches_done"] == "1" && f["brokers"] != ""
			_, sawETA = f["eta"]
		}
	}
	if !sawStop || !sawETA {
		t.Errorf("no stop step of batch 2/3 with one batch done, its brokers and an ETA in %v\n%v", l.kinds, l.fields)
	}
	if last := l.kinds[len(l.kinds)-1]; last != EventFinished {
		t.Errorf("last event %s, want finished", last)
	}
}

// In ZooKeeper mode the gate reads the ensemble with every snapshot it judges, and only then:
// with no synced majority no broker goes down; with one, the waits after each stop and start
// read the cluster alone.
func TestEngineGateReadsTheEnsembleOnlyForTheGate(t *testing.T) {
	f := rollouttest.New(3, 3, 6)
	c := testCluster(3)
	e, _ := testEngine(t, f, c, 1)
	var mu sync.Mutex
	reads := 0
	health := &cluster.ZooKeeperHealth{Leader: -1, Voters: 3, Synced: 1, Problems: []string{"zookeeper node 1 (zk1:2181) is down"}}
	e.Ensemble = func(context.Context) *cluster.ZooKeeperHealth {
		mu.Lock()
		defer mu.Unlock()
		reads++
		return health
	}
	e.Opts.GateTimeout = 50 * time.Millisecond
	var gr *GateRefusedError
	if err := e.Run(context.Background(), nil); !errors.As(err, &gr) || !strings.Contains(err.Error(), "ZooKeeper ensemble") {
		t.Fatalf("err = %v, want the gate refused for the ensemble", err)
	}
	if len(f.Actions()) != 0 {
		t.Fatalf("brokers touched without a ZooKeeper quorum: %v", f.Actions())
	}

	f2 := rollouttest.New(3, 3, 6)
	e2, _ := testEngine(t, f2, c, 1)
	reads = 0
	health = &cluster.ZooKeeperHealth{Leader: 2, Voters: 3, Synced: 3, Healthy: true}
	e2.Ensemble = e.Ensemble
	if err := e2.Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	// The plan, then each batch's gate; polls during the waits read Kafka alone.
	if reads < 4 || reads > 8 {
		t.Errorf("the ensemble was read %d times for 3 batches: want it read for the plan and each gate only", reads)
	}
}
