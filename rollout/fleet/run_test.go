package fleet_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/journal"
	"github.com/kfleet/kfleet/rollout/fleet"
	"github.com/kfleet/kfleet/rollout/operation"
)

// fakeKind is an operation kind the tests register: each cluster's operation does what the
// test's script says (how long, how many batches, how it ends), journals like a real one, and
// records what it was asked.
const fakeKind = "fleet-test"

// script says how each cluster's fake operation behaves; the zero value: 2 batches of 20ms, ok.
type script struct {
	batches int
	batch   time.Duration
	failAt  int   // fail in this batch (1-based); 0: never
	refuse  error // returned before anything is journaled
	healthy error // what the bake reads afterwards
}

// world is one test's fakes: scripts, and what happened.
type world struct {
	mu       sync.Mutex
	scripts  map[string]script
	started  []string // clusters in the order their operations started executing
	running  int
	maxAtOne int
	notes    map[string][]string
	staged   []string
	resumed  []string
	softSeen map[string]bool
	executed map[string]int // executions per cluster
}

var (
	worlds   sync.Map // state dir -> *world: the registered kind finds its test's world
	register sync.Once
)

func newWorld(t *testing.T, scripts map[string]script) (*world, string) {
	register.Do(func() {
		operation.RegisterStarter(fakeKind, func(_ context.Context, c *inventory.Cluster, d operation.Deps, args json.RawMessage) (operation.Operation, error) {
			w := worldOf(d.StateDir)
			w.mu.Lock()
			w.notes[c.Name] = append(w.notes[c.Name], d.Notes...)
			w.mu.Unlock()
			return &fakeOp{w: w, c: c, d: d, id: journal.NewID(time.Now())}, nil
		})
		operation.Register(fakeKind, func(_ context.Context, c *inventory.Cluster, d operation.Deps, e *journal.Entry) (operation.Operation, error) {
			w := worldOf(d.StateDir)
			w.mu.Lock()
			w.resumed = append(w.resumed, c.Name)
			w.mu.Unlock()
			return &fakeOp{w: w, c: c, d: d, id: e.Op.ID, resuming: true, done: len(e.Done)}, nil
		})
	})
	dir := t.TempDir()
	w := &world{scripts: scripts, notes: map[string][]string{}, softSeen: map[string]bool{}, executed: map[string]int{}}
	worlds.Store(dir, w)
	t.Cleanup(func() { worlds.Delete(dir) })
	return w, dir
}

func worldOf(dir string) *world {
	w, _ := worlds.Load(dir)
	return w.(*world)
}

// fakeOp is one cluster's operation in the fake world.
type fakeOp struct {
	w        *world
	c        *inventory.Cluster
	d        operation.Deps
	id       string
	resuming bool
	done     int // batches done by an earlier run
}

type fakePlan struct{ n int }

func (p fakePlan) Work() int        { return p.n }
func (p fakePlan) Question() string { return "?" }

func (o *fakeOp) OpID() string { return o.id }

func (o *fakeOp) Plan(context.Context) (operation.Plan, error) {
	return fakePlan{n: o.script().batches - o.done}, nil
}

func (o *fakeOp) script() script {
	s := o.w.scripts[o.c.Name]
	if s.batches == 0 {
		s.batches = 2
	}
	if s.batch == 0 {
		s.batch = 20 * time.Millisecond
	}
	return s
}

func (o *fakeOp) Stage(context.Context) error {
	o.w.mu.Lock()
	defer o.w.mu.Unlock()
	if len(o.w.started) > 0 {
		return errors.New("staged after a cluster started")
	}
	o.w.staged = append(o.w.staged, o.c.Name)
	return nil
}

type haltedErr struct{ msg string }

func (e haltedErr) Error() string            { return e.msg }
func (haltedErr) FaultKind() fault.Kind      { return fault.Halted }
func (interruptedErr) FaultKind() fault.Kind { return fault.Interrupted }

type interruptedErr struct{}

func (interruptedErr) Error() string { return "interrupted after the batch under way" }

func (o *fakeOp) Execute(ctx context.Context, soft <-chan struct{}) error {
	s := o.script()
	if s.refuse != nil {
		return s.refuse
	}
	w := o.w
	w.mu.Lock()
	w.started = append(w.started, o.c.Name)
	w.executed[o.c.Name]++
	w.running++
	w.maxAtOne = max(w.maxAtOne, w.running)
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		w.running--
		w.mu.Unlock()
	}()
	var j *journal.Journal
	var err error
	if o.resuming {
		j, err = journal.Reopen(o.d.StateDir, o.id)
	} else {
		j, err = journal.Create(o.d.StateDir, journal.Record{ID: o.id, Kind: fakeKind, Cluster: o.c.Name, Parent: o.d.Parent,
			Brokers: []int32{1, 2, 3}[:min(s.batches, 3)], Created: time.Now()})
	}
	if err != nil {
		return err
	}
	defer j.Close()
	for b := o.done + 1; b <= s.batches; b++ {
		select {
		case <-soft:
			w.mu.Lock()
			w.softSeen[o.c.Name] = true
			w.mu.Unlock()
			_ = j.Append(map[string]any{"time": time.Now(), "event": journal.EventInterrupted})
			return interruptedErr{}
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		time.Sleep(s.batch)
		if b == s.failAt {
			_ = j.Append(map[string]any{"time": time.Now(), "event": journal.EventHalted})
			return haltedErr{fmt.Sprintf("cluster %s: batch %d failed", o.c.Name, b)}
		}
		_ = j.Append(map[string]any{"time": time.Now(), "event": journal.EventBatchDone, "brokers": []int32{int32(b)}})
	}
	_ = j.Append(map[string]any{"time": time.Now(), "event": journal.EventFinished})
	return nil
}

// clusters names n clusters c1..cn, in inventory order.
func clusters(n int) []*inventory.Cluster {
	var out []*inventory.Cluster
	for i := 1; i <= n; i++ {
		out = append(out, &inventory.Cluster{Name: fmt.Sprintf("c%d", i), Labels: map[string]string{}})
	}
	return out
}

// newRun plans the waves of cs and builds the run in dir, its events collected.
func newRun(t *testing.T, dir string, cs []*inventory.Cluster, wo fleet.WaveOptions, p fleet.Policy) (*fleet.Run, *events) {
	t.Helper()
	waves, err := fleet.Plan(cs, wo)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]*inventory.Cluster{}
	for _, c := range cs {
		by[c.Name] = c
	}
	r, err := fleet.New(fleet.Spec{Kind: fakeKind, Args: json.RawMessage(`{}`), Waves: waves, Policy: p}, by, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ev := &events{}
	wire(r, dir, ev)
	return r, ev
}

func wire(r *fleet.Run, dir string, ev *events) {
	r.StateDir = dir
	r.Deps = func(c *inventory.Cluster) (operation.Deps, error) { return operation.Deps{StateDir: dir}, nil }
	r.Emit = ev.add
	r.Healthy = func(_ context.Context, c *inventory.Cluster) error { return worldOf(dir).scripts[c.Name].healthy }
}

type events struct {
	mu   sync.Mutex
	list []fleet.Event
}

func (e *events) add(ev fleet.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.list = append(e.list, ev)
}

func (e *events) kinds(kind string) []fleet.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []fleet.Event
	for _, ev := range e.list {
		if ev.Kind == kind {
			out = append(out, ev)
		}
	}
	return out
}

func run(t *testing.T, r *fleet.Run, soft <-chan struct{}) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := r.Plan(ctx); err != nil {
		t.Fatalf("plan: %v", err)
	}
	return r.Execute(ctx, soft)
}

func outcomes(rs []fleet.ClusterResult) map[string]string {
	out := map[string]string{}
	for _, r := range rs {
		out[r.Cluster] = r.Outcome
	}
	return out
}

func kindOf(err error) fault.Kind {
	k, _ := fault.KindOf(err)
	return k
}

func TestCanaryAloneThenWavesOfMaxClusters(t *testing.T) {
	w, dir := newWorld(t, map[string]script{})
	r, ev := newRun(t, dir, clusters(7), fleet.WaveOptions{MaxClusters: "3"}, fleet.Policy{})
	if err := run(t, r, nil); err != nil {
		t.Fatal(err)
	}
	if w.started[0] != "c1" {
		t.Errorf("the canary c1 must start first: %v", w.started)
	}
	if w.maxAtOne != 3 {
		t.Errorf("at most 3 clusters at once (--max-clusters 3), saw %d", w.maxAtOne)
	}
	// Wave 2 (c2-c4) ends before wave 3 (c5-c7) starts.
	var order []string
	for _, e := range ev.list {
		if e.Kind == fleet.EventClusterStart || e.Kind == fleet.EventWaveDone {
			order = append(order, e.Kind+":"+e.Cluster)
		}
	}
	want := "cluster-start:c1 wave-done: "
	if !strings.HasPrefix(strings.Join(order, " "), want) {
		t.Errorf("the canary's wave must end before any other cluster starts: %v", order)
	}
	for c, o := range outcomes(r.Results()) {
		if o != fleet.OutcomeDone {
			t.Errorf("%s: %s, want done", c, o)
		}
	}
	last := ev.list[len(ev.list)-1]
	if last.Kind != fleet.EventFinished || len(last.Results) != 7 || last.FleetOp != r.ID {
		t.Errorf("the last event must be the summary of 7 clusters with the fleet op: %+v", last)
	}
	// Every cluster's operation has the fleet run as its parent.
	children, err := journal.List(dir, journal.Filter{Parent: r.ID})
	if err != nil || len(children) != 7 {
		t.Errorf("journal children of %s: %d (%v), want 7", r.ID, len(children), err)
	}
	e, err := journal.Load(dir, r.ID)
	if err != nil || e.Status != journal.StatusDone || e.Op.Kind != fleet.Kind || len(e.Op.Clusters) != 7 {
		t.Errorf("fleet journal: %+v %v", e, err)
	}
}

func TestFailureBudgetStopsNewClustersAndSoftStopsRunningOnes(t *testing.T) {
	w, dir := newWorld(t, map[string]script{
		"c2": {batches: 2, batch: 10 * time.Millisecond, failAt: 1},
		"c3": {batches: 50, batch: 20 * time.Millisecond},
	})
	r, _ := newRun(t, dir, clusters(5), fleet.WaveOptions{MaxClusters: "2"}, fleet.Policy{})
	err := run(t, r, nil)
	if kindOf(err) != fault.Halted {
		t.Fatalf("a failed cluster halts the fleet (exit 1): %v", err)
	}
	got := outcomes(r.Results())
	want := map[string]string{"c1": "done", "c2": "failed", "c3": "stopped", "c4": "not-started", "c5": "not-started"}
	for c, o := range want {
		if got[c] != o {
			t.Errorf("%s: %s, want %s (all: %v)", c, got[c], o, got)
		}
	}
	if !w.softSeen["c3"] {
		t.Error("c3, running beside the failed cluster, must get the soft stop")
	}
	if !strings.Contains(err.Error(), "c2") || !strings.Contains(err.Error(), "kfleet resume "+r.ID) {
		t.Errorf("the error must name the failed cluster and the resume: %v", err)
	}
}

func TestBudgetOfOneToleratesOneFailure(t *testing.T) {
	_, dir := newWorld(t, map[string]script{"c2": {failAt: 1}})
	r, _ := newRun(t, dir, clusters(4), fleet.WaveOptions{}, fleet.Policy{MaxFailed: 1})
	err := run(t, r, nil)
	if kindOf(err) != fault.Halted {
		t.Fatalf("a failure within the budget still exits 1 at the end: %v", err)
	}
	got := outcomes(r.Results())
	if got["c3"] != "done" || got["c4"] != "done" {
		t.Errorf("with --max-failed-clusters 1 the rest must still run: %v", got)
	}
}

func TestRefusedClusterIsNotDoneButOthersComplete(t *testing.T) {
	held := &fault.Error{Kind: fault.RefusedForNow, Msg: "cluster c2: lease held by op-x"}
	_, dir := newWorld(t, map[string]script{"c2": {refuse: held}})
	r, _ := newRun(t, dir, clusters(3), fleet.WaveOptions{}, fleet.Policy{})
	err := run(t, r, nil)
	if kindOf(err) != fault.RefusedForNow {
		t.Fatalf("a refused cluster and no failure: exit 75, got %v", err)
	}
	got := outcomes(r.Results())
	if got["c1"] != "done" || got["c2"] != "refused" || got["c3"] != "done" {
		t.Errorf("outcomes %v", got)
	}
}

func TestSoftStopStartsNoNewClusterAndExits130(t *testing.T) {
	w, dir := newWorld(t, map[string]script{"c1": {batches: 10, batch: 30 * time.Millisecond}})
	r, _ := newRun(t, dir, clusters(3), fleet.WaveOptions{}, fleet.Policy{})
	soft := make(chan struct{})
	time.AfterFunc(50*time.Millisecond, func() { close(soft) })
	err := run(t, r, soft)
	if kindOf(err) != fault.Interrupted {
		t.Fatalf("Ctrl-C: exit 130, got %v", err)
	}
	got := outcomes(r.Results())
	if got["c1"] != "interrupted" || got["c2"] != "not-started" || got["c3"] != "not-started" {
		t.Errorf("outcomes %v", got)
	}
	if len(w.started) != 1 {
		t.Errorf("no cluster may start after the interrupt: %v", w.started)
	}
}

func TestBakeFailsAnUnhealthyClusterAndHalts(t *testing.T) {
	_, dir := newWorld(t, map[string]script{"c1": {healthy: errors.New("broker 2 (h2) is fenced")}})
	r, ev := newRun(t, dir, clusters(3), fleet.WaveOptions{}, fleet.Policy{Bake: 50 * time.Millisecond, BakePoll: 10 * time.Millisecond})
	err := run(t, r, nil)
	if kindOf(err) != fault.Halted {
		t.Fatalf("a cluster unhealthy in the bake halts: %v", err)
	}
	res := r.Results()
	if res[0].Outcome != "failed" || !strings.Contains(res[0].Message, "unhealthy during the bake: broker 2") {
		t.Errorf("c1: %+v", res[0])
	}
	if outcomes(res)["c2"] != "not-started" {
		t.Errorf("the next wave must not start: %v", outcomes(res))
	}
	if len(ev.kinds(fleet.EventBake)) == 0 {
		t.Error("the bake must be said")
	}
}

func TestBakeOfHealthyClustersLetsTheNextWaveGo(t *testing.T) {
	_, dir := newWorld(t, map[string]script{})
	r, ev := newRun(t, dir, clusters(2), fleet.WaveOptions{}, fleet.Policy{Bake: 40 * time.Millisecond, BakePoll: 10 * time.Millisecond})
	if err := run(t, r, nil); err != nil {
		t.Fatal(err)
	}
	bakes := ev.kinds(fleet.EventBake)
	if len(bakes) < 2 || !strings.Contains(bakes[1].Message, "stayed healthy") {
		t.Errorf("bake events %+v", bakes)
	}
}

func TestDeployLikeOperationsStageEveryClusterBeforeWaveOne(t *testing.T) {
	w, dir := newWorld(t, map[string]script{})
	r, _ := newRun(t, dir, clusters(4), fleet.WaveOptions{}, fleet.Policy{})
	if err := run(t, r, nil); err != nil {
		t.Fatal(err)
	}
	if len(w.staged) != 4 {
		t.Errorf("staged %v, want every cluster before any started", w.staged)
	}
}

func TestResumeSkipsDoneResumesHaltedAndStartsTheRest(t *testing.T) {
	w, dir := newWorld(t, map[string]script{"c2": {batches: 3, failAt: 2}})
	r, _ := newRun(t, dir, clusters(4), fleet.WaveOptions{}, fleet.Policy{})
	if err := run(t, r, nil); kindOf(err) != fault.Halted {
		t.Fatalf("first run: %v", err)
	}
	// The operator fixes c2; resume.
	w.mu.Lock()
	w.scripts["c2"] = script{batches: 3}
	w.started = nil
	w.mu.Unlock()
	e, err := journal.Load(dir, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]*inventory.Cluster{}
	for _, c := range clusters(4) {
		by[c.Name] = c
	}
	r2, err := fleet.Load(e, by)
	if err != nil {
		t.Fatal(err)
	}
	ev := &events{}
	wire(r2, dir, ev)
	if err := run(t, r2, nil); err != nil {
		t.Fatalf("resume: %v", err)
	}
	if !slices.Equal(w.started, []string{"c2", "c3", "c4"}) {
		t.Errorf("resume must skip c1 and run c2, c3, c4 in their waves: %v", w.started)
	}
	if !slices.Equal(w.resumed, []string{"c2"}) {
		t.Errorf("c2's own operation must be resumed, not started anew: %v", w.resumed)
	}
	if w.executed["c1"] != 1 {
		t.Errorf("c1 ran %d times", w.executed["c1"])
	}
	got := outcomes(r2.Results())
	for c, o := range got {
		if o != "done" {
			t.Errorf("%s: %s after resume", c, o)
		}
	}
	if e, _ := journal.Load(dir, r.ID); e.Status != journal.StatusDone {
		t.Errorf("fleet journal status after resume: %s", e.Status)
	}
}

// scaledClock runs time fast: an hour of its time is a second of the test's.
type scaledClock struct {
	base  time.Time
	began time.Time
}

const scale = 3600

func (c *scaledClock) Now() time.Time {
	return c.base.Add(time.Since(c.began) * scale)
}

func (c *scaledClock) After(d time.Duration) <-chan time.Time { return time.After(d / scale) }

func maintenance(t *testing.T, windows ...string) *inventory.Maintenance {
	m := &inventory.Maintenance{}
	for _, s := range windows {
		w, err := inventory.ParseWindow(s)
		if err != nil {
			t.Fatal(err)
		}
		m.Windows = append(m.Windows, w)
	}
	return m
}

func TestMaintenanceWindows(t *testing.T) {
	// Monday 2026-11-30 10:00 UTC.
	monday10 := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		name    string
		window  string
		policy  fleet.Policy
		outcome string
		ran     bool
		note    bool
	}{
		{"inside its window", "Mon 09:00-12:00", fleet.Policy{}, "done", true, false},
		{"outside, no wait", "Tue 01:00-05:00", fleet.Policy{}, "outside-window", false, false},
		{"outside, the window opens within the wait", "Mon 11:00-13:00", fleet.Policy{WindowWait: 2 * time.Hour}, "done", true, false},
		{"outside, the window opens after the wait", "Tue 01:00-05:00", fleet.Policy{WindowWait: 2 * time.Hour}, "outside-window", false, false},
		{"outside, ignored", "Tue 01:00-05:00", fleet.Policy{IgnoreWindows: true}, "done", true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w, dir := newWorld(t, map[string]script{})
			cs := clusters(2)
			cs[1].Maintenance = maintenance(t, tc.window)
			r, _ := newRun(t, dir, cs, fleet.WaveOptions{}, tc.policy)
			r.Clock = &scaledClock{base: monday10, began: time.Now()}
			err := run(t, r, nil)
			got := outcomes(r.Results())["c2"]
			if got != tc.outcome {
				t.Fatalf("c2: %s, want %s (%v)", got, tc.outcome, err)
			}
			if ran := w.executed["c2"] > 0; ran != tc.ran {
				t.Errorf("c2 executed: %v, want %v", ran, tc.ran)
			}
			if tc.outcome == "outside-window" && kindOf(err) != fault.RefusedForNow {
				t.Errorf("a cluster left outside its window: exit 75, got %v", err)
			}
			if note := len(w.notes["c2"]) > 0; note != tc.note {
				t.Errorf("notes %v: an ignored window must be recorded in the cluster's journal", w.notes["c2"])
			}
		})
	}
}

func TestWindowClosingStopsTheClusterAfterItsBatch(t *testing.T) {
	// 10:59:59 Monday; the window ends at 11:00: one second of clock, under a millisecond here.
	at := time.Date(2026, 11, 30, 10, 59, 0, 0, time.UTC)
	w, dir := newWorld(t, map[string]script{"c1": {batches: 20, batch: 20 * time.Millisecond}})
	cs := clusters(1)
	cs[0].Maintenance = maintenance(t, "Mon 09:00-11:00")
	r, _ := newRun(t, dir, cs, fleet.WaveOptions{}, fleet.Policy{})
	r.Clock = &scaledClock{base: at, began: time.Now()}
	err := run(t, r, nil)
	if got := outcomes(r.Results())["c1"]; got != fleet.OutcomeWindowClosed {
		t.Fatalf("c1: %s, want window-closed (%v)", got, err)
	}
	if !w.softSeen["c1"] || kindOf(err) != fault.RefusedForNow {
		t.Errorf("the window's end is a soft stop and the run is not done for now (75): %v", err)
	}
}

func TestPlanListsEveryWaveAndWindow(t *testing.T) {
	_, dir := newWorld(t, map[string]script{})
	cs := clusters(3)
	cs[2].Maintenance = maintenance(t, "Sat 01:00-05:00")
	r, _ := newRun(t, dir, cs, fleet.WaveOptions{MaxClusters: "2"}, fleet.Policy{MaxFailed: 1})
	p, err := r.Plan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	fp := p.(*fleet.FleetPlan)
	if len(fp.Waves) != 2 || !fp.Waves[0].Canary || len(fp.Waves[1].Plans) != 2 {
		t.Fatalf("waves %+v", fp.Waves)
	}
	if fp.Work() != 6 || fp.Clusters() != 3 || !strings.Contains(fp.Question(), "3 cluster(s) (6 broker(s)) in 2 wave(s)") {
		t.Errorf("work %d clusters %d question %q", fp.Work(), fp.Clusters(), fp.Question())
	}
	if w := fp.Waves[0].Plans[0].Window; w != "any time" {
		t.Errorf("c1 window %q", w)
	}
	if w := fp.Waves[1].Plans[1].Window; !strings.Contains(w, "Sat 01:00-05:00") {
		t.Errorf("c3 window %q", w)
	}
	if !strings.Contains(fp.Summary, "failure budget 1") {
		t.Errorf("summary %q", fp.Summary)
	}
	// Nothing was journaled by planning.
	if ops, _ := journal.List(dir, journal.Filter{}); len(ops) != 0 {
		t.Errorf("planning journaled %d operations", len(ops))
	}
}

func TestReadProgressReplaysTheJournal(t *testing.T) {
	_, dir := newWorld(t, map[string]script{"c2": {failAt: 1}})
	r, _ := newRun(t, dir, clusters(3), fleet.WaveOptions{}, fleet.Policy{})
	_ = run(t, r, nil)
	ps, err := fleet.ReadProgress(dir, time.Hour, time.Now())
	if err != nil || len(ps) != 1 {
		t.Fatalf("%v %v", ps, err)
	}
	p := ps[0]
	if p.Op != r.ID || p.Kind != fakeKind || p.Status != journal.StatusHalted || len(p.Waves) != 3 {
		t.Fatalf("progress %+v", p)
	}
	got := []string{p.Waves[0].Clusters[0].State, p.Waves[1].Clusters[0].State, p.Waves[2].Clusters[0].State}
	if strings.Join(got, ",") != "done,failed,not-started" || p.Counts["done"] != 1 {
		t.Errorf("states %v counts %v", got, p.Counts)
	}
	if ps, _ := fleet.ReadProgress(dir, 0, time.Now().Add(time.Minute)); len(ps) != 0 {
		t.Errorf("an ended fleet operation older than keep is not shown: %v", ps)
	}
}

// A Ctrl-C that comes once every cluster is done changes nothing: the run is done (exit 0).
func TestInterruptAfterEveryClusterIsDoneIsNotAnInterruption(t *testing.T) {
	results := []fleet.ClusterResult{{Cluster: "c1", Outcome: fleet.OutcomeDone}, {Cluster: "c2", Outcome: fleet.OutcomeDone}}
	if err := fleet.Err("op-x", results, true); err != nil {
		t.Errorf("every cluster done: %v", err)
	}
	results[1].Outcome = fleet.OutcomeNotStarted
	if err := fleet.Err("op-x", results, true); kindOf(err) != fault.Interrupted {
		t.Errorf("a cluster not started after Ctrl-C: %v, want interrupted", err)
	}
}
