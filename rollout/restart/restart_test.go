package restart_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/cluster"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/host"
	"github.com/kfleet/kfleet/ops/journal"
	"github.com/kfleet/kfleet/ops/lease"
	"github.com/kfleet/kfleet/ops/ssh"
	"github.com/kfleet/kfleet/rollout"
	"github.com/kfleet/kfleet/rollout/operation"
	"github.com/kfleet/kfleet/rollout/restart"
	"github.com/kfleet/kfleet/rollout/rollouttest"
)

// deps wires a restart to fakes: the brokers and their hosts are rollouttest's model, the lease
// lives in a kfake cluster, the journal in a temporary state dir. No cobra, no SSH.
func deps(t *testing.T, f *rollouttest.Cluster) (operation.Deps, *[]rollout.Event) {
	t.Helper()
	_, cl := rollouttest.Kafka(t, 1)
	var events []rollout.Event
	return operation.Deps{Client: cl, Hosts: f, Admin: f, StateDir: t.TempDir(),
		Emit: func(e any) { events = append(events, e.(rollout.Event)) }}, &events
}

func clusterOf(n int) *inventory.Cluster {
	c := &inventory.Cluster{Name: "c"}
	for id := int32(1); id <= int32(n); id++ {
		c.Brokers = append(c.Brokers, &inventory.Broker{ID: id, Host: fmt.Sprintf("h%d", id)})
	}
	return c
}

func settings() restart.Settings {
	return restart.Settings{Settings: rollout.Settings{MaxParallel: 1, GateTimeout: 2 * time.Second, StopTimeout: time.Second,
		StartTimeout: time.Second, HealthyTimeout: 2 * time.Second, Poll: time.Millisecond, HealthyPolls: 2,
		LeaseTTL: time.Minute}}
}

func TestRestartPlansAndRunsUnderLeaseAndJournal(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	f := rollouttest.New(3, 3, 12)
	f.Controller = 2
	d, events := deps(t, f)
	c := clusterOf(3)
	r := restart.New(c, nil, d, settings())

	p, err := r.Plan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	plan := p.(*rollout.RollingPlan)
	if plan.Work() != 3 || len(plan.Batches) != 3 || !plan.GateNow.OK {
		t.Fatalf("plan = %+v", plan)
	}
	if last := plan.Batches[2].Brokers; !slices.Equal(last, []int32{2}) {
		t.Errorf("last batch %v, want the controller (2)", last)
	}
	if len(f.Actions()) != 0 {
		t.Fatalf("planning touched brokers: %v", f.Actions())
	}

	if err := r.Execute(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := f.Actions(), []string{"stop 1", "start 1", "stop 3", "start 3", "stop 2", "start 2"}; !slices.Equal(got, want) {
		t.Errorf("actions %v, want %v", got, want)
	}
	if f.WorstISR < 2 {
		t.Errorf("a partition went to ISR %d, below min ISR 2", f.WorstISR)
	}
	e, err := journal.Load(d.StateDir, r.OpID())
	if err != nil {
		t.Fatal(err)
	}
	if e.Status != journal.StatusDone || e.Op.Kind != restart.Kind || !slices.Equal(e.Done, []int32{1, 3, 2}) {
		t.Errorf("journal: status %s kind %s done %v", e.Status, e.Op.Kind, e.Done)
	}
	for _, ev := range *events {
		if ev.Cluster != "c" || ev.Op != r.OpID() {
			t.Fatalf("event does not name its cluster and operation: %+v", ev)
		}
	}
	st, err := lease.Read(ctx, d.Client, "c")
	if err != nil || st.Held {
		t.Errorf("lease after the run: %+v, %v; want released", st, err)
	}
}

func TestRestartRefusedByAHeldLeaseChangesNothing(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	f := rollouttest.New(3, 3, 6)
	d, _ := deps(t, f)
	other, err := lease.Acquire(ctx, d.Client, "c", lease.Request{Holder: "someone else", OpID: "op-other",
		Purpose: "patch h1", TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Release(context.Background())
	r := restart.New(clusterOf(3), nil, d, settings())
	err = r.Execute(ctx, nil)
	var held *lease.HeldError
	if !errors.As(err, &held) {
		t.Fatalf("err = %v, want a held lease", err)
	}
	if len(f.Actions()) != 0 {
		t.Errorf("touched brokers while another held the lease: %v", f.Actions())
	}
	if e, err := journal.Load(d.StateDir, r.OpID()); err != nil || e.Status != journal.StatusRefused || len(e.Done) != 0 {
		t.Errorf("a refused run is in history as %+v, %v; want refused with nothing done", e, err)
	}
}

func TestRestartResumesThroughTheRegistry(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	f := rollouttest.New(3, 3, 6)
	f.StartFails[3] = true
	d, _ := deps(t, f)
	c := clusterOf(3)
	r := restart.New(c, nil, d, settings())
	var halt *rollout.HaltError
	if err := r.Execute(ctx, nil); !errors.As(err, &halt) {
		t.Fatalf("err = %v, want a halt", err)
	}
	e, err := journal.Load(d.StateDir, r.OpID())
	if err != nil || e.Status != journal.StatusHalted {
		t.Fatalf("journal: %+v, %v", e, err)
	}

	f.StartFails[3] = false
	f.Log = nil
	op, err := operation.Resume(ctx, c, d, e)
	if err != nil {
		t.Fatal(err)
	}
	if err := op.Execute(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if got := f.Actions(); !slices.Equal(got, []string{"stop 3", "start 3"}) {
		t.Errorf("resume touched %v, want only broker 3", got)
	}
	if e, _ = journal.Load(d.StateDir, r.OpID()); e.Status != journal.StatusDone {
		t.Errorf("after resume the journal says %s", e.Status)
	}
}

// hostsDown is the fake's hosts, with some unreachable over SSH.
type hostsDown struct {
	*rollouttest.Cluster
	down map[int32]bool
}

func (h hostsDown) Process(ctx context.Context, b *inventory.Broker) (cluster.BrokerProcess, error) {
	if h.down[b.ID] {
		return cluster.BrokerProcess{}, &ssh.UnreachableError{Host: b.Host, Err: errors.New("connection refused")}
	}
	return h.Cluster.Process(ctx, b)
}

// A dry run asks Preflight, which gives the kind the real run would meet now: nothing (it could
// start), unreachable hosts (69) before a held lease (75), every reason listed.
func TestRestartPreflight(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	f := rollouttest.New(3, 3, 6)
	d, _ := deps(t, f)
	check := func(r *restart.Restart) error {
		t.Helper()
		if _, err := r.Plan(ctx); err != nil {
			t.Fatal(err)
		}
		return r.Preflight(ctx)
	}
	if err := check(restart.New(clusterOf(3), nil, d, settings())); err != nil {
		t.Fatalf("a healthy cluster with a free lease: %v", err)
	}
	other, err := lease.Acquire(ctx, d.Client, "c", lease.Request{Holder: "someone else", OpID: "op-other", Purpose: "patch h1", TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Release(context.Background())
	err = check(restart.New(clusterOf(3), nil, d, settings()))
	if k, _ := fault.KindOf(err); k != fault.RefusedForNow || !strings.Contains(err.Error(), "someone else") {
		t.Errorf("lease held: %v (%v), want refused for now naming the holder", err, k)
	}
	d.Hosts = hostsDown{Cluster: f, down: map[int32]bool{2: true}}
	err = check(restart.New(clusterOf(3), nil, d, settings()))
	if k, _ := fault.KindOf(err); k != fault.Unreachable || !strings.Contains(err.Error(), "h2") || !strings.Contains(err.Error(), "someone else") {
		t.Errorf("host 2 down and lease held: %v (%v), want unreachable first, both named", err, k)
	}
	if len(f.Actions()) != 0 {
		t.Errorf("preflight touched brokers: %v", f.Actions())
	}
}

// A run aborted (second Ctrl-C) after it restarted its last batch's broker never moved that
// broker's partitions back to it. Resume finds the broker already restarted and skips it, and
// must still put its preferred leaders back.
func TestResumeOfAnAbortedBatchRestoresPreferredLeaders(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	f := rollouttest.New(3, 3, 6)
	d, _ := deps(t, f)
	c := clusterOf(3)
	if _, err := f.Snapshot(ctx); err != nil { // every partition led by its preferred replica
		t.Fatal(err)
	}
	before, _ := f.Process(ctx, c.Brokers[0])

	// The aborted run's journal: brokers 2 and 3 done, broker 1's batch cut short after its stop.
	s := settings()
	args, _ := json.Marshal(s)
	j, err := journal.Create(d.StateDir, journal.Record{ID: "op-aborted", Kind: restart.Kind, Cluster: "c",
		Brokers: []int32{1, 2, 3}, Created: time.Now(), Args: args})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []rollout.Event{
		{Kind: rollout.EventBatchStart, Brokers: []int32{2}}, {Kind: rollout.EventBatchDone, Brokers: []int32{2}},
		{Kind: rollout.EventBatchStart, Brokers: []int32{3}}, {Kind: rollout.EventBatchDone, Brokers: []int32{3}},
		{Kind: rollout.EventBatchStart, Brokers: []int32{1}},
		{Kind: rollout.EventStep, Brokers: []int32{1}, Step: rollout.StepStop, Status: rollout.StatusStarted,
			Before: map[int32]cluster.BrokerProcess{1: before}},
		{Kind: rollout.EventAborted, Brokers: []int32{1}},
	} {
		e.Time, e.Op, e.Cluster = time.Now(), "op-aborted", "c"
		if err := j.Append(e); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
	// What the aborted run did to broker 1: stopped (its partitions' leadership moved away) and
	// started again, back in every ISR, but leading nothing.
	_ = f.Service(ctx, c.Brokers[0], host.ServiceStop)
	_, _ = f.Snapshot(ctx)
	_ = f.Service(ctx, c.Brokers[0], host.ServiceStart)
	for range f.CatchUpPolls + 1 {
		_, _ = f.Snapshot(ctx)
	}
	if len(f.NotPreferred()) == 0 {
		t.Fatal("test setup: broker 1 should lead none of its preferred partitions")
	}
	f.Log = nil

	if err := resumeOp(ctx, c, d, "op-aborted"); err != nil {
		t.Fatal(err)
	}
	if got := f.Actions(); len(got) != 0 {
		t.Errorf("resume restarted %v; every broker was already done", got)
	}
	if np := f.NotPreferred(); len(np) != 0 {
		t.Errorf("partitions %v are still not led by their preferred replica after resume", np)
	}
}

// A real run checks every host it would roll before the first change: with host 2 unreachable
// it refuses (unreachable) with no broker touched, instead of restarting broker 1 first.
func TestRestartRefusesAnUnreachableHostBeforeAnyChange(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	f := rollouttest.New(3, 3, 6)
	d, _ := deps(t, f)
	d.Hosts = hostsDown{Cluster: f, down: map[int32]bool{2: true}}
	r := restart.New(clusterOf(3), nil, d, settings())
	err := r.Execute(ctx, nil)
	if k, _ := fault.KindOf(err); k != fault.Unreachable || !strings.Contains(err.Error(), "h2") {
		t.Fatalf("err = %v (%v), want unreachable naming h2", err, k)
	}
	if got := f.Actions(); len(got) != 0 {
		t.Errorf("touched brokers before finding host 2 unreachable: %v", got)
	}
	if e, err := journal.Load(d.StateDir, r.OpID()); err != nil || e.Status != journal.StatusFailed || len(e.Done) != 0 {
		t.Errorf("the run is in history as %+v, %v; want failed with nothing done", e, err)
	}
}

// A broker left down by an operation that did not finish (halted here; killed in the e2e test)
// refuses every other rolling run, naming that operation; its own resume brings it back first.
func TestAStrandedBrokerRefusesOtherRunsUntilItsOperationResumes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	f := rollouttest.New(3, 3, 6)
	f.Controller = 1
	f.StartFails[2] = true
	d, _ := deps(t, f)
	c := clusterOf(3)
	first := restart.New(c, nil, d, settings())
	var halt *rollout.HaltError
	if err := first.Execute(ctx, nil); !errors.As(err, &halt) || f.Running[2] {
		t.Fatalf("err = %v (broker 2 running %v), want a halt with broker 2 down", err, f.Running[2])
	}
	f.StartFails[2] = false
	f.Log = nil

	second := restart.New(c, nil, d, settings())
	err := second.Execute(ctx, nil)
	var stranded *rollout.StrandedError
	if kind, _ := fault.KindOf(err); !errors.As(err, &stranded) || kind != fault.RefusedForNow ||
		!strings.Contains(err.Error(), "broker 2 stopped by op "+first.OpID()) || !strings.Contains(err.Error(), "kfleet resume "+first.OpID()) {
		t.Fatalf("err = %v; want refused for now naming broker 2 and op %s to resume", err, first.OpID())
	}
	if len(f.Actions()) != 0 {
		t.Fatalf("a refused run touched %v", f.Actions())
	}
	if _, err := second.Plan(ctx); err != nil {
		t.Fatal(err)
	}
	if err := any(second).(operation.Preflighter).Preflight(ctx); !errors.As(err, &stranded) {
		t.Fatalf("dry run preflight: %v; want the same refusal", err)
	}

	if err := resumeOp(ctx, c, d, first.OpID()); err != nil {
		t.Fatal(err)
	}
	if got := f.Actions(); len(got) < 2 || got[1] != "start 2" {
		t.Fatalf("resume did %v; want broker 2 (down) first", got)
	}
	if err := restart.New(c, nil, d, settings()).Execute(ctx, nil); err != nil {
		t.Fatalf("a run after the resume: %v", err)
	}
}

// abortAfterStart is the fake's hosts, with the run's context cancelled right after a broker's
// start command succeeded: a kfleet killed between "start" and "healthy".
type abortAfterStart struct {
	*rollouttest.Cluster
	abort func()
}

func (h abortAfterStart) Service(ctx context.Context, b *inventory.Broker, a host.ServiceAction) error {
	err := h.Cluster.Service(ctx, b, a)
	if a == host.ServiceStart && h.abort != nil {
		h.abort()
	}
	return err
}

// A run killed after its batch's broker started owes that batch its end: the resumed run has no
// broker to restart, yet waits for a healthy cluster, gives the broker its leaders back and
// closes the operation, instead of saying "nothing to do".
func TestResumeClosesABatchCutShortAfterItsStart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	f := rollouttest.New(3, 3, 6)
	f.Controller = 3
	d, _ := deps(t, f)
	runCtx, abort := context.WithCancel(ctx)
	d.Hosts = abortAfterStart{Cluster: f, abort: abort}
	c := clusterOf(3)
	r := restart.New(c, c.Brokers[:1], d, settings())
	var aborted *rollout.AbortedError
	if err := r.Execute(runCtx, nil); !errors.As(err, &aborted) {
		t.Fatalf("err = %v, want an abort after the start", err)
	}
	if len(f.NotPreferred()) == 0 {
		t.Fatal("test setup: broker 1's leaders should have moved away")
	}
	e, err := journal.Load(d.StateDir, r.OpID())
	if err != nil {
		t.Fatal(err)
	}
	d.Hosts = f
	f.Log = nil
	op, err := operation.Resume(ctx, c, d, e)
	if err != nil {
		t.Fatal(err)
	}
	p, err := op.Plan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p.Work() == 0 || !slices.Equal(p.(*rollout.RollingPlan).Closing, []int32{1}) {
		t.Fatalf("plan %+v: want broker 1's batch still to close", p)
	}
	if err := op.Execute(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if len(f.NotPreferred()) != 0 {
		t.Errorf("partitions %v still off their preferred leader after the resume", f.NotPreferred())
	}
	if e, _ := journal.Load(d.StateDir, r.OpID()); e.Status != journal.StatusDone {
		t.Errorf("journal after resume: %s, want done", e.Status)
	}
}

// resumeOp resumes a journaled operation through the registry, as `kfleet resume` does.
func resumeOp(ctx context.Context, c *inventory.Cluster, d operation.Deps, id string) error {
	e, err := journal.Load(d.StateDir, id)
	if err != nil {
		return err
	}
	op, err := operation.Resume(ctx, c, d, e)
	if err != nil {
		return err
	}
	return op.Execute(ctx, nil)
}
