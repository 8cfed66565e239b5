package reassign

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/journal"
)

func tp(topic string, p int32) TopicPartition { return TopicPartition{topic, p} }

// scenario: broker 6 (rack c) is dead; 7 partitions had a replica there; 3 and 7 (rack c) take
// them. t-6 is healthy.
func scenario(t *testing.T) (*fakeKafka, []Move) {
	t.Helper()
	f := newFake(t, brokers("1:a", "2:b", "3:c", "4:a", "5:b", "6:c:fenced", "7:c"), map[TopicPartition][]int32{
		tp("t", 0): {1, 2, 6}, tp("t", 1): {6, 4, 5}, tp("t", 2): {2, 6, 4}, tp("t", 3): {1, 5, 6},
		tp("t", 4): {4, 6, 2}, tp("t", 5): {6, 1, 5}, tp("t", 6): {1, 2, 3}, tp("u", 0): {6, 1, 2},
	})
	f.sizes = Sizes{"t": {0: 100, 1: 200, 2: 300, 3: 400, 4: 500, 5: 600, 6: 700}, "u": {0: 800}}
	snap, _ := f.Snapshot(context.Background())
	plan := mustPlan(t, PlanInput{Snapshot: snap, Sizes: f.sizes})
	if len(plan.Moves) != 7 {
		t.Fatalf("scenario: %d moves", len(plan.Moves))
	}
	return f, plan.Moves
}

func fastOpts(throttle int64) Options {
	return Options{OpID: "op-test", Cluster: "fake", Limits: Limits{MaxMoves: 3, MaxPerBroker: 2}, Throttle: throttle,
		Timeout: 10 * time.Second, Poll: time.Millisecond, ProgressEvery: time.Millisecond, Settle: time.Second,
		RevertGrace: time.Nanosecond, SizesKnown: true}
}

type eventLog struct{ evs []Event }

func (l *eventLog) emit(e Event) { l.evs = append(l.evs, e) }

func (l *eventLog) kinds(kind string) []Event {
	var out []Event
	for _, e := range l.evs {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// checkThrottlesDuringMoves asserts, at every poll, that each move in flight has exactly its
// entries (leader side on its live replicas, follower side on its new ones) and the rate on its
// live brokers, that finished partitions have no entry left, and that no dead broker has a rate.
func checkThrottlesDuringMoves(t *testing.T, f *fakeKafka, moves []Move, rate string) *int {
	seen := new(int)
	f.onPoll = func(f *fakeKafka) {
		for i := range moves {
			m := &moves[i]
			has := func(key string, b int32) bool {
				return slices.Contains(f.topicCfg[m.Topic][key], fmt.Sprintf("%d:%d", m.Partition, b))
			}
			fm, moving := f.moving[m.TopicPartition]
			switch {
			case moving && !fm.foreign:
				*seen++
				for _, r := range m.Replicas {
					if has(LeaderThrottledReplicas, r) != f.alive(r) {
						t.Errorf("poll %d: %s leader entry for broker %d: %v, want %v", f.polls, m, r, has(LeaderThrottledReplicas, r), f.alive(r))
					}
				}
				for _, a := range m.Adding() {
					if !has(FollowerThrottledReplicas, a) {
						t.Errorf("poll %d: %s has no follower entry for new replica %d", f.polls, m, a)
					}
				}
				for _, b := range throttleBrokers(m, f.alive) {
					if f.brokerCfg[b][LeaderThrottledRate] != rate || f.brokerCfg[b][FollowerThrottledRate] != rate {
						t.Errorf("poll %d: %s: broker %d rate %v, want %s", f.polls, m, b, f.brokerCfg[b], rate)
					}
				}
			case slices.Equal(f.parts[m.TopicPartition], m.Target):
				for _, key := range []string{LeaderThrottledReplicas, FollowerThrottledReplicas} {
					for _, v := range f.topicCfg[m.Topic][key] {
						if strings.HasPrefix(v, fmt.Sprintf("%d:", m.Partition)) {
							t.Errorf("poll %d: %s is done but %s still has %s", f.polls, m, key, v)
						}
					}
				}
			}
		}
		if len(f.brokerCfg[6]) > 0 {
			t.Errorf("dead broker 6 has configs %v", f.brokerCfg[6])
		}
	}
	return seen
}

func TestExecutorMovesEverythingWithinLimitsAndCleansUp(t *testing.T) {
	f, moves := scenario(t)
	for i, m := range moves {
		f.finishAfter[m.TopicPartition] = 1 + i%3 // finishing at different times
	}
	seen := checkThrottlesDuringMoves(t, f, moves, "1000")
	log := &eventLog{}
	ex := &Executor{Kafka: f, Emit: log.emit, Opts: fastOpts(1000)}
	if err := ex.Run(context.Background(), nil, moves, Prior{}); err != nil {
		t.Fatal(err)
	}
	if *seen == 0 {
		t.Fatal("the throttle check never saw a move in flight")
	}
	for _, m := range moves {
		if got := f.parts[m.TopicPartition]; !slices.Equal(got, m.Target) {
			t.Errorf("%s: replicas %v, want %v", m, got, m.Target)
		}
	}
	if f.maxInFlight > 3 || f.maxPerBroker > 2 {
		t.Errorf("limits exceeded: %d in flight (max 3), %d on one broker (max 2)", f.maxInFlight, f.maxPerBroker)
	}
	if st := f.throttleState(); len(st) > 0 {
		t.Errorf("throttles left: %v", st)
	}
	if len(f.deadCalls) > 0 {
		t.Errorf("calls to a dead broker: %v", f.deadCalls)
	}
	if n := len(f.elected["t"]) + len(f.elected["u"]); n != 7 {
		t.Errorf("elected %v, want the 7 moved partitions", f.elected)
	}
	if len(log.kinds(EventFinished)) != 1 {
		t.Errorf("no finished event: %+v", log.evs)
	}
	last := log.kinds(EventProgress)
	if p := last[len(last)-1].Progress; p.Done != 7 || p.BytesDone != p.Bytes || p.Bytes == 0 {
		t.Errorf("last progress %+v", p)
	}
}

func TestExecutorWithoutThrottleSetsNoConfig(t *testing.T) {
	f, moves := scenario(t)
	ex := &Executor{Kafka: f, Opts: fastOpts(0)}
	if err := ex.Run(context.Background(), nil, moves, Prior{}); err != nil {
		t.Fatal(err)
	}
	if len(f.topicCfg) > 0 || len(f.brokerCfg) > 0 {
		t.Errorf("configs touched without --throttle: %v %v", f.topicCfg, f.brokerCfg)
	}
}

func TestExecutorLeavesOtherPeoplesThrottlesAlone(t *testing.T) {
	f, moves := scenario(t)
	// Someone throttles t-0 on broker 1 already, every replica of u, and set a rate on broker 2.
	f.topicCfg["t"] = map[string][]string{LeaderThrottledReplicas: {"0:1", "99:9"}}
	f.topicCfg["u"] = map[string][]string{LeaderThrottledReplicas: {"*"}, FollowerThrottledReplicas: {"*"}}
	f.brokerCfg[2] = map[string]string{LeaderThrottledRate: "999"}
	log := &eventLog{}
	ex := &Executor{Kafka: f, Emit: log.emit, Opts: fastOpts(1000)}
	if err := ex.Run(context.Background(), nil, moves, Prior{}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"broker 2/leader.replication.throttled.rate=999",
		"t/leader.replication.throttled.replicas=0:1,99:9",
		"u/follower.replication.throttled.replicas=*",
		"u/leader.replication.throttled.replicas=*",
	}
	if got := f.throttleState(); !slices.Equal(got, want) {
		t.Errorf("after the run:\n got %v\nwant %v", got, want)
	}
	var warns []string
	for _, e := range log.kinds(EventWarning) {
		warns = append(warns, e.Message)
	}
	if !strings.Contains(strings.Join(warns, "\n"), "broker 2 already has a replication throttle rate") {
		t.Errorf("no warning about broker 2's rate: %v", warns)
	}
}

func TestExecutorStopsWhenSomeoneCancels(t *testing.T) {
	f, moves := scenario(t)
	for _, m := range moves {
		f.finishAfter[m.TopicPartition] = 1000
	}
	var cancelled TopicPartition
	f.onPoll = func(f *fakeKafka) {
		if f.polls == 3 {
			cancelled, _ = f.cancelOne()
			for tp, m := range f.moving { // the others finish
				m.left = 0
				_ = tp
			}
		}
	}
	ex := &Executor{Kafka: f, Opts: fastOpts(1000)}
	err := ex.Run(context.Background(), nil, moves, Prior{})
	var h *HaltError
	if !errors.As(err, &h) || !strings.Contains(err.Error(), "cancelled") {
		t.Fatalf("err %v, want a HaltError saying the moves were cancelled", err)
	}
	if len(f.submitted) != 3 {
		t.Errorf("submitted %v after the cancel; want only the first 3", f.submitted)
	}
	if got := f.parts[cancelled]; !sameSet(got, moveOf(moves, cancelled).Replicas) {
		t.Errorf("cancelled %s has replicas %v", cancelled, got)
	}
	if st := f.throttleState(); len(st) > 0 {
		t.Errorf("throttles left: %v", st)
	}
}

func moveOf(moves []Move, tp TopicPartition) *Move {
	for i := range moves {
		if moves[i].TopicPartition == tp {
			return &moves[i]
		}
	}
	return nil
}

func TestExecutorFirstInterruptFinishesWhatRunsAndStartsNothing(t *testing.T) {
	f, moves := scenario(t)
	soft := make(chan struct{})
	f.onPoll = func(f *fakeKafka) {
		if f.polls == 1 {
			close(soft)
		}
	}
	ex := &Executor{Kafka: f, Opts: fastOpts(1000)}
	err := ex.Run(context.Background(), soft, moves, Prior{})
	var ie *InterruptedError
	if !errors.As(err, &ie) || ie.Done != 3 || ie.Left != 4 {
		t.Fatalf("err %v, want interrupted with 3 done, 4 left", err)
	}
	if len(f.moving) != 0 || len(f.submitted) != 3 {
		t.Errorf("in flight %v, submitted %v", f.moving, f.submitted)
	}
	if st := f.throttleState(); len(st) > 0 {
		t.Errorf("throttles left: %v", st)
	}
}

func TestExecutorTimeoutLeavesMovesRunningUnderTheirThrottles(t *testing.T) {
	f, moves := scenario(t)
	f.defaultPolls = 1 << 30
	opts := fastOpts(1000)
	opts.Timeout = 30 * time.Millisecond
	ex := &Executor{Kafka: f, Opts: opts}
	err := ex.Run(context.Background(), nil, moves, Prior{})
	var h *HaltError
	if !errors.As(err, &h) || len(h.InFlight) != 3 || h.Throttles.Empty() {
		t.Fatalf("err %v, want a HaltError with 3 in flight and their throttles", err)
	}
	for _, e := range h.Throttles.Entries {
		if !slices.Contains(h.InFlight, TopicPartition{e.Topic, e.Partition}) {
			t.Errorf("throttle entry %+v kept for a move not in flight", e)
		}
	}
	if op, next := h.NextStep(); op != "op-test" || next != fault.ResumeOrCancel {
		t.Errorf("error does not say how to go on (%s, %v): %v", op, next, err)
	}
}

func TestExecutorResumeAdoptsMovesInFlight(t *testing.T) {
	f, moves := scenario(t)
	done, running := moves[0], moves[1]
	f.parts[done.TopicPartition] = done.Target
	f.moving[running.TopicPartition] = &fakeMove{target: running.Target, original: running.Replicas, left: 2}
	ex := &Executor{Kafka: f, Opts: fastOpts(0)}
	prior := Prior{Done: map[TopicPartition]bool{done.TopicPartition: true}, Running: map[TopicPartition]bool{running.TopicPartition: true}}
	if err := ex.Run(context.Background(), nil, moves, prior); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(f.submitted, done.TopicPartition) || slices.Contains(f.submitted, running.TopicPartition) {
		t.Errorf("submitted again: %v", f.submitted)
	}
	if len(f.submitted) != 5 {
		t.Errorf("submitted %v, want the 5 others", f.submitted)
	}
}

func TestExecutorSubmitFailureIsReportedOthersFinish(t *testing.T) {
	f, moves := scenario(t)
	bad := moves[2].TopicPartition
	f.alterErr[bad] = kerr.InvalidReplicaAssignment
	ex := &Executor{Kafka: f, Opts: fastOpts(1000)}
	err := ex.Run(context.Background(), nil, moves, Prior{})
	var h *HaltError
	if !errors.As(err, &h) || len(h.Failed) != 1 || !strings.Contains(h.Failed[0], bad.String()) {
		t.Fatalf("err %v, want one failure naming %s", err, bad)
	}
	for _, m := range moves {
		if m.TopicPartition != bad && !slices.Equal(f.parts[m.TopicPartition], m.Target) {
			t.Errorf("%s not moved", m)
		}
	}
	if st := f.throttleState(); len(st) > 0 {
		t.Errorf("throttles left: %v", st)
	}
}

func TestExecutorRefusesANewReplicaThatDied(t *testing.T) {
	f, moves := scenario(t)
	for i := range f.brokers {
		if f.brokers[i].ID == 7 {
			f.brokers[i].Fenced = true
		}
	}
	ex := &Executor{Kafka: f, Opts: fastOpts(1000)}
	err := ex.Run(context.Background(), nil, moves, Prior{})
	if err == nil || !strings.Contains(err.Error(), "broker(s) 7 are not serving") {
		t.Fatalf("err %v", err)
	}
	for _, tp := range f.submitted {
		if slices.Contains(moveOf(moves, tp).Target, 7) {
			t.Errorf("%s submitted to dead broker 7", tp)
		}
	}
	if len(f.deadCalls) > 0 {
		t.Errorf("calls to a dead broker: %v", f.deadCalls)
	}
}

func TestApplyJournalsAndHistoryReadsIt(t *testing.T) {
	f, moves := scenario(t)
	dir := t.TempDir()
	a := &Apply{Kafka: f, Cluster: "fake", OpID: "op-1", StateDir: dir,
		Args: Args{Source: "auto", Settings: Settings{MaxMoves: 3, MaxPerBroker: 2, Throttle: 1000, Poll: time.Millisecond}, Moves: moves, SizesKnown: true}}
	if err := a.Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	oj, err := LoadJournal(dir, "op-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(oj.Done) != 7 || oj.Ended != EventFinished || !oj.Throttles.Outstanding().Empty() || len(oj.Running()) != 0 {
		t.Errorf("journal: done %d, ended %q, throttles %+v, running %v", len(oj.Done), oj.Ended, oj.Throttles.Outstanding(), oj.Running())
	}
	st, err := journal.Load(dir, "op-1")
	if err != nil || st.Status != journal.StatusDone || st.Op.Kind != Kind {
		t.Errorf("history sees %+v, %v", st, err)
	}
	if _, err := PrepareResume(context.Background(), f, dir, "op-1"); err == nil || !strings.Contains(err.Error(), "already done") {
		t.Errorf("resume of a finished op: %v", err)
	}
}

func TestApplyRefusesForeignReassignmentsUnlessAdditional(t *testing.T) {
	f, moves := scenario(t)
	other := moves[0]
	f.moving[other.TopicPartition] = &fakeMove{target: []int32{1, 2, 4}, original: other.Replicas, foreign: true}
	dir := t.TempDir()
	a := &Apply{Kafka: f, Cluster: "fake", OpID: "op-1", StateDir: dir,
		Args: Args{Settings: Settings{MaxMoves: 3, MaxPerBroker: 2, Poll: time.Millisecond}, Moves: moves}}
	err := a.Run(context.Background(), nil)
	var fe *ForeignError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), other.String()) {
		t.Fatalf("err %v, want a ForeignError naming %s", err, other)
	}
	if _, err := LoadJournal(dir, "op-1"); err == nil {
		t.Error("a refused run left a journal")
	}
	a.Args.Settings.Additional = true
	if err := a.Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(f.submitted, other.TopicPartition) {
		t.Errorf("submitted over someone else's reassignment of %s", other)
	}
	if m := f.moving[other.TopicPartition]; m == nil || !slices.Equal(m.target, []int32{1, 2, 4}) {
		t.Errorf("the other reassignment was changed: %+v", m)
	}
}

// TestNoWaitThenCancelRevertsOnlyKfleetMoves: --no-wait leaves moves in flight under their
// throttles; cancel reverts exactly those (not someone else's), removes the throttles, and
// resume then refuses.
func TestNoWaitThenCancelRevertsOnlyKfleetMoves(t *testing.T) {
	f, moves := scenario(t)
	f.defaultPolls = 1 << 30
	f.parts[tp("z", 0)] = []int32{1, 2, 3}
	f.moving[tp("z", 0)] = &fakeMove{target: []int32{1, 2, 4}, original: []int32{1, 2, 3}, foreign: true}
	dir := t.TempDir()
	a := &Apply{Kafka: f, Cluster: "fake", OpID: "op-1", StateDir: dir,
		Args: Args{Settings: Settings{MaxMoves: 3, MaxPerBroker: 2, Throttle: 1000, Poll: time.Millisecond, NoWait: true, Additional: true}, Moves: moves}}
	if err := a.Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if len(f.moving) != 4 || len(f.throttleState()) == 0 {
		t.Fatalf("after --no-wait: in flight %d, throttles %v", len(f.moving), f.throttleState())
	}
	st, _ := journal.Load(dir, "op-1")
	if st.Status != journal.StatusRunning {
		t.Errorf("history says %s, want running", st.Status)
	}
	plan, err := FindCancel(context.Background(), f, dir, "fake", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.InFlight) != 3 || !slices.Equal(plan.Foreign, []string{"z-0"}) || plan.Throttles.Empty() {
		t.Fatalf("cancel plan %+v", plan)
	}
	res, err := Cancel(context.Background(), f, dir, plan, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Cancelled) != 3 || len(res.Reordered) == 0 {
		t.Errorf("cancelled %v, order restored on %v", res.Cancelled, res.Reordered)
	}
	for _, m := range moves {
		if !slices.Equal(f.parts[m.TopicPartition], m.Replicas) {
			t.Errorf("%s: replicas %v, want back to %v", m, f.parts[m.TopicPartition], m.Replicas)
		}
	}
	if _, ok := f.moving[tp("z", 0)]; !ok || len(f.moving) != 1 {
		t.Errorf("in flight after cancel: %v (want only z-0, not kfleet's)", f.moving)
	}
	if st := f.throttleState(); len(st) > 0 {
		t.Errorf("throttles left: %v", st)
	}
	if _, err := PrepareResume(context.Background(), f, dir, "op-1"); err == nil || !strings.Contains(err.Error(), "cancelled") {
		t.Errorf("resume after cancel: %v", err)
	}
}

// TestCancelStopsARunningApply: a cancel request in the journal stops a running apply from
// starting more moves; cancel reverts what it had started.
func TestCancelStopsARunningApply(t *testing.T) {
	f, moves := scenario(t)
	f.defaultPolls = 1 << 30
	dir := t.TempDir()
	a := &Apply{Kafka: f, Cluster: "fake", OpID: "op-1", StateDir: dir,
		Args: Args{Settings: Settings{MaxMoves: 3, MaxPerBroker: 2, Throttle: 1000, Poll: 5 * time.Millisecond}, Moves: moves}}
	errc := make(chan error, 1)
	go func() { errc <- a.Run(context.Background(), nil) }()
	deadline := time.Now().Add(5 * time.Second)
	var plan *CancelPlan
	for {
		var err error
		plan, err = FindCancel(context.Background(), f, dir, "fake", "op-1")
		if err == nil && len(plan.InFlight) == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("apply never had 3 moves in flight: %+v %v", plan, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := Cancel(context.Background(), f, dir, plan, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	err := <-errc
	var h *HaltError
	if !errors.As(err, &h) || !strings.Contains(err.Error(), "cancelled") {
		t.Fatalf("apply ended with %v", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.submitted) != 3 || len(f.moving) != 0 {
		t.Errorf("submitted %v, in flight %v", f.submitted, f.moving)
	}
	if st := f.throttleState(); len(st) > 0 {
		t.Errorf("throttles left: %v", st)
	}
}

func TestResumeAfterNoWaitFinishesTheRest(t *testing.T) {
	f, moves := scenario(t)
	dir := t.TempDir()
	a := &Apply{Kafka: f, Cluster: "fake", OpID: "op-1", StateDir: dir,
		Args: Args{Settings: Settings{MaxMoves: 3, MaxPerBroker: 2, Throttle: 1000, Poll: time.Millisecond, NoWait: true}, Moves: moves}}
	if err := a.Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	r, err := PrepareResume(context.Background(), f, dir, "op-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Prior.Running) != 3 || len(r.Args.Moves) != 7 || r.Prior.Throttles.Empty() {
		t.Fatalf("resume state: running %v, moves %d, throttles %+v", r.Prior.Running, len(r.Args.Moves), r.Prior.Throttles)
	}
	b := &Apply{Kafka: f, Cluster: "fake", OpID: "op-1", StateDir: dir, Args: r.Args, Resume: r}
	if err := b.Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	for _, m := range moves {
		if !slices.Equal(f.parts[m.TopicPartition], m.Target) {
			t.Errorf("%s not moved", m)
		}
	}
	if st := f.throttleState(); len(st) > 0 {
		t.Errorf("throttles left: %v", st)
	}
	if len(f.submitted) != 7 {
		t.Errorf("submitted %v: some twice?", f.submitted)
	}
}

func TestStatusShowsEveryReassignmentWithItsOwner(t *testing.T) {
	f, moves := scenario(t)
	f.defaultPolls = 1 << 30
	f.parts[tp("z", 0)] = []int32{1, 2, 3}
	f.sizes["z"] = map[int32]int64{0: 1000}
	f.moving[tp("z", 0)] = &fakeMove{target: []int32{1, 2, 4}, original: []int32{1, 2, 3}, foreign: true}
	dir := t.TempDir()
	a := &Apply{Kafka: f, Cluster: "fake", OpID: "op-1", StateDir: dir,
		Args: Args{Settings: Settings{MaxMoves: 2, MaxPerBroker: 2, Poll: time.Millisecond, NoWait: true, Additional: true}, Moves: moves}}
	if err := a.Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	r, err := Status(context.Background(), f, dir, "fake")
	if err != nil {
		t.Fatal(err)
	}
	owners := map[string]string{}
	for _, in := range r.InFlight {
		owners[in.String()] = in.Op
		if in.Percent != 50 {
			t.Errorf("%s: %.0f%%, want 50%%", in, in.Percent)
		}
	}
	if len(owners) != 3 || owners["z-0"] != "" || owners[moves[0].String()] != "op-1" {
		t.Errorf("owners %v", owners)
	}
	if len(r.Operations) != 1 || r.Operations[0].Status != "running" || r.Operations[0].Running != 2 {
		t.Errorf("operations %+v", r.Operations)
	}
}

func TestNextBatchLimits(t *testing.T) {
	alive := func(id int32) bool { return id != 9 }
	mv := func(from, to []int32) *Move { return &Move{Replicas: from, Target: to} }
	pending := []*Move{
		mv([]int32{1, 9}, []int32{1, 2}), // 2 (9 is dead, not counted)
		mv([]int32{1, 9}, []int32{1, 2}), // 2
		mv([]int32{3, 9}, []int32{3, 2}), // 2: over the per-broker limit, passed over
		mv([]int32{1, 5}, []int32{1, 4}), // 4 and 5
		mv([]int32{1, 9}, []int32{1, 6}), // 6
		mv([]int32{1, 9}, []int32{1, 7}), // 7: over the cluster limit
	}
	got := NextBatch(pending, nil, alive, Limits{MaxMoves: 4, MaxPerBroker: 2})
	if !slices.Equal(got, []int{0, 1, 3, 4}) {
		t.Errorf("batch %v, want [0 1 3 4]", got)
	}
	running := []*Move{mv([]int32{1, 9}, []int32{1, 4})}
	got = NextBatch(pending, running, alive, Limits{MaxMoves: 3, MaxPerBroker: 1})
	if !slices.Equal(got, []int{0, 4}) {
		t.Errorf("beside a running move on 4: %v, want [0 4]", got)
	}
	waves := Waves([]Move{*pending[0], *pending[1], *pending[2]}, alive, Limits{MaxMoves: 10, MaxPerBroker: 2})
	if len(waves) != 2 || len(waves[0]) != 2 {
		t.Errorf("waves %v", waves)
	}
}

func TestParseRate(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"10485760", 10485760}, {"50MB/s", 50_000_000}, {"1MB/s", 1_000_000}, {"512KiB/s", 512 << 10},
		{"1.5MiB", 3 << 19}, {"2gb", 2_000_000_000}, {" 100 KB/s ", 100_000}, {"10KBps", 10_000},
	}
	for _, tt := range tests {
		if got, err := ParseRate(tt.in); err != nil || got != tt.want {
			t.Errorf("ParseRate(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "fast", "10 furlongs", "-5", "0", "MB"} {
		if _, err := ParseRate(bad); err == nil {
			t.Errorf("ParseRate(%q) accepted", bad)
		}
	}
}
