package tui

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/kfleet/kfleet/ops/cluster"
)

// driver runs a model's commands as bubbletea does, each in its own goroutine, and applies the
// messages they return on the test's goroutine, with a listener for the answers running.
type driver struct {
	t    *testing.T
	m    *Model
	msgs chan tea.Msg
}

func newDriver(t *testing.T, m *Model) *driver {
	ctx, cancel := context.WithCancel(m.ctx)
	t.Cleanup(cancel) // ends the listener
	m.ctx = ctx
	d := &driver{t: t, m: m, msgs: make(chan tea.Msg, 1024)}
	d.run(listen(ctx, m.inbox, 0))
	return d
}

func (d *driver) run(cmd tea.Cmd) {
	if cmd != nil {
		go func() { d.msgs <- cmd() }()
	}
}

// until applies messages until ok holds; it fails the test after 5s.
func (d *driver) until(what string, ok func() bool) {
	d.t.Helper()
	deadline := time.After(5 * time.Second)
	for !ok() {
		select {
		case msg := <-d.msgs:
			switch msg := msg.(type) {
			case nil:
			case tea.BatchMsg:
				for _, c := range msg {
					d.run(c)
				}
			default:
				_, cmd := d.m.Update(msg)
				d.run(cmd)
			}
		case <-deadline:
			d.t.Fatalf("no %s within 5s; the screen:\n%s", what, screenText(d.m))
		}
	}
}

// manyHealthy is n healthy clusters named c000, c001, ...
func manyHealthy(n int) []cluster.Health {
	cs := make([]cluster.Health, n)
	for i := range cs {
		cs[i] = healthy(fmt.Sprintf("c%03d", i), 3)
	}
	return cs
}

// TestRowsAppearAsClustersAnswer: the fleet view lists each cluster as soon as it answers,
// worst first among those that have, and the header counts the ones still to answer.
func TestRowsAppearAsClustersAnswer(t *testing.T) {
	cs := fleet()
	c := &clock{now: t0}
	m := New(context.Background(), Options{Clusters: names(cs), Read: serve(cs), Now: c.Now})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
	m.Init()
	if text := screenText(m); !strings.Contains(text, "collecting the fleet…  ·  5 clusters, 5 at a time") ||
		!strings.Contains(text, "no clusters yet") {
		t.Fatalf("before any answer:\n%s", text)
	}
	c.advance(300 * time.Millisecond)
	deliver(m, []cluster.Health{cs[0], cs[3]}, 300*time.Millisecond) // alpha, clicks
	text := screenText(m)
	t.Logf("two of five answered:\n%s", text)
	if got := strings.Join(rowNames(m), " "); got != "clicks alpha" {
		t.Fatalf("rows %q after two answers", got)
	}
	if !strings.Contains(text, "2 of 5 clusters: 0 unreachable, 1 unhealthy") || !strings.Contains(text, "reading 3") {
		t.Fatalf("header after two answers:\n%s", text)
	}
	c.advance(time.Second)
	deliver(m, []cluster.Health{cs[1], cs[2], cs[4]}, time.Second)
	if got := strings.Join(rowNames(m), " "); got != "zeta billing clicks orders alpha" {
		t.Fatalf("rows %q after every answer", got)
	}
	if text := screenText(m); !strings.Contains(text, "5 clusters: 1 unreachable, 3 unhealthy") || strings.Contains(text, "reading") {
		t.Fatalf("header after every answer:\n%s", text)
	}
	// The cursor stayed on the worst row while the list filled up.
	if c, _ := m.fleet.current(); c.Name != "zeta" {
		t.Fatalf("cursor on %q, want the worst cluster", c.Name)
	}
}

// TestSlowClusterDoesNotHoldUpTheOthers: with real reads, the fast clusters' rows show while a
// slow one is still being read, and they are read again while it still is; the slow one is not
// started twice.
func TestSlowClusterDoesNotHoldUpTheOthers(t *testing.T) {
	cs := manyHealthy(6)
	var slowReads atomic.Int32
	read := func(ctx context.Context, i int) cluster.Health {
		if i == 2 {
			slowReads.Add(1)
			<-ctx.Done() // answers only at its deadline
			return unreachable(cs[i].Name, "no answer within 10s")
		}
		return cs[i]
	}
	c := &clock{now: t0}
	m := New(context.Background(), Options{Clusters: names(cs), Read: read, Now: c.Now, Timeout: 10 * time.Second})
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 20})
	d := newDriver(t, m)
	start := time.Now()
	d.run(m.Init())
	d.until("five rows", func() bool { return len(m.fleet.rows) == 5 })
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("the fast clusters' rows took %s", took)
	}
	text := screenText(m)
	t.Logf("five of six answered, c002 still being read:\n%s", text)
	if !strings.Contains(text, "5 of 6 clusters") || !strings.Contains(text, "reading 1") || strings.Contains(text, "c002") {
		t.Fatalf("screen while c002 is read:\n%s", text)
	}
	// One interval later the five are read again; c002 is not, its read still runs.
	c.advance(2 * time.Second)
	_, cmd := m.Update(tickMsg{seq: m.tickSeq})
	if m.sched.Reading() != 6 || slowReads.Load() != 1 {
		t.Fatalf("after an interval: %d reading, c002 read %d times", m.sched.Reading(), slowReads.Load())
	}
	d.run(cmd)
	d.until("the five to answer again", func() bool { return m.answers == 10 })
	if m.sched.Reading() != 1 {
		t.Fatalf("%d reading, want c002 alone", m.sched.Reading())
	}
}

// TestStaleRowsAreMarked: a row whose last answer is older than three intervals carries the
// stale mark in AGE, and the header counts them.
func TestStaleRowsAreMarked(t *testing.T) {
	m, c := newClockModel(t, fleet(), 100, 20)
	if text := screenText(m); strings.Contains(text, "stale") || strings.Contains(text, "3s!") {
		t.Fatalf("fresh rows marked stale:\n%s", text)
	}
	c.advance(4 * time.Second) // 7s: past 3 x 2s
	deliver(m, []cluster.Health{fleet()[0]}, time.Second)
	text := screenText(m)
	t.Logf("four rows stale:\n%s", text)
	if f := strings.Fields(findLine(t, text, "alpha")); f[len(f)-1] != "0s" {
		t.Errorf("alpha just answered: row %q", f)
	}
	if f := strings.Fields(findLine(t, text, "orders")); f[len(f)-1] != "7s!" {
		t.Errorf("orders answered 7s ago: row %q", f)
	}
	if f := strings.Fields(findLine(t, text, "zeta")); f[len(f)-1] != "7s!" {
		t.Errorf("zeta (unreachable) answered 7s ago: row %q", f)
	}
	if !strings.Contains(text, "4 stale (!: older than 6s)") {
		t.Errorf("header does not count the stale rows:\n%s", text)
	}
}

// TestIntervalAdaptsToFleetSize: 300 clusters that take 400ms each, 32 at a time, take 3.75s to
// read: each is read again after twice that, not after the 2s asked for.
func TestIntervalAdaptsToFleetSize(t *testing.T) {
	cs := manyHealthy(300)
	c := &clock{now: t0}
	m := New(context.Background(), Options{Clusters: names(cs), Read: serve(cs), Now: c.Now, Concurrency: 32})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 20})
	m.Init()
	if m.sched.Reading() != 32 {
		t.Fatalf("%d clusters read at once, want 32", m.sched.Reading())
	}
	// They answer 32 at a time, each starting the next ones.
	for m.answered < 300 {
		var batch []cluster.Health
		for i := range m.reads {
			if !m.reads[i].answered && len(batch) < m.sched.Reading() {
				batch = append(batch, cs[i])
			}
		}
		c.advance(400 * time.Millisecond)
		deliver(m, batch, 400*time.Millisecond)
	}
	if text := screenText(m); !strings.Contains(text, "re-read every 7.5s (2s stretched for 300 clusters)") {
		t.Fatalf("header:\n%s", text)
	}
	c.advance(3 * time.Second) // past 2s after the last answers, not 7.5s
	m.Update(tickMsg{seq: m.tickSeq})
	if n := m.sched.Reading(); n != 0 {
		t.Fatalf("%d clusters read again 3s after their answer", n)
	}
	c.advance(5 * time.Second)
	m.Update(tickMsg{seq: m.tickSeq})
	if n := m.sched.Reading(); n != 32 {
		t.Fatalf("%d clusters read again 8s after the first answers, want 32", n)
	}
	// A small fleet keeps the interval asked for.
	small, _ := newClockModel(t, fleet(), 120, 20)
	if text := screenText(small); !strings.Contains(text, "re-read every 2s  ") && !strings.HasSuffix(findLine(t, text, "re-read"), "re-read every 2s") {
		t.Fatalf("small fleet header:\n%s", text)
	}
}

// TestUnreachableRowSaysWhenLastSeen: a cluster that answered before and is unreachable now
// says how long ago it last answered.
func TestUnreachableRowSaysWhenLastSeen(t *testing.T) {
	cs := fleet()
	m, c := newClockModel(t, cs, 120, 20)
	c.advance(10 * time.Second)
	deliver(m, []cluster.Health{unreachable("alpha", "kafka: no answer within 10s")}, 10*time.Second)
	c.advance(2 * time.Second)
	line := findLine(t, screenText(m), "alpha")
	if !strings.Contains(line, "UNREACHABLE (last seen 15s ago): kafka: no answer within 10s") || !strings.HasSuffix(line, " 2s") {
		t.Fatalf("alpha row %q", line)
	}
	press(m, "enter") // alpha sorts first now: the cursor stayed on the worst row
	if text := screenText(m); !strings.Contains(text, "alpha read 2s ago in 10s, last seen 15s ago") {
		t.Fatalf("cluster view header:\n%s", text)
	}
}

// TestAnswersComeInBatches: answers that arrive together reach Update as one message, and the
// next batch comes no sooner than batchEvery after.
func TestAnswersComeInBatches(t *testing.T) {
	b := newInbox()
	for i := range 3 {
		b.push(answer{i: i})
	}
	ctx := context.Background()
	if got := listen(ctx, b, 0)().(answersMsg); len(got) != 3 {
		t.Fatalf("one batch of %d answers, want 3", len(got))
	}
	b.push(answer{i: 4})
	start := time.Now()
	if got := listen(ctx, b, batchEvery)().(answersMsg); len(got) != 1 || time.Since(start) < batchEvery {
		t.Fatalf("%d answers after %s", len(got), time.Since(start))
	}
	ctx, cancel := context.WithCancel(ctx)
	cancel()
	if msg := listen(ctx, b, 0)(); msg != nil {
		t.Fatalf("listening after the end: %v", msg)
	}
}

// TestTickArmedSoonerSupersedes: re-arming the clock for a cluster due sooner drops the tick
// armed before, so the clock never runs twice.
func TestTickArmedSoonerSupersedes(t *testing.T) {
	cs := fleet()
	c := &clock{now: t0}
	m := New(context.Background(), Options{Clusters: names(cs), Read: serve(cs), Now: c.Now, Interval: 300 * time.Millisecond})
	m.Init()
	old := m.tickSeq
	if m.tickAt != t0.Add(time.Second) { // every cluster being read: nothing due but the ages
		t.Fatalf("clock armed for %s", m.tickAt.Sub(t0))
	}
	deliver(m, cs, 10*time.Millisecond) // due again 300ms after the 10ms read started: sooner
	if m.tickSeq == old || m.tickAt != t0.Add(290*time.Millisecond) {
		t.Fatalf("clock not re-armed for the next due cluster: seq %d, at %s", m.tickSeq, m.tickAt.Sub(t0))
	}
	c.advance(time.Second)
	if _, cmd := m.Update(tickMsg{seq: old}); cmd != nil || m.sched.Reading() != 0 {
		t.Fatal("a superseded tick acted")
	}
	m.Update(tickMsg{seq: m.tickSeq})
	if m.sched.Reading() != 5 {
		t.Fatalf("%d clusters read on the live tick, want 5", m.sched.Reading())
	}
}

// TestFreshnessAt80Columns pins the fleet view's 80x24 layout with the AGE column.
func TestFreshnessAt80Columns(t *testing.T) {
	m, c := newClockModel(t, fleet(), 80, 24)
	c.advance(5 * time.Second)
	deliver(m, []cluster.Health{fleet()[1]}, 900*time.Millisecond) // orders answers again
	text := screenText(m)
	t.Logf("80x24:\n%s", text)
	want := []string{
		"re-read every 2s  ·  reading 4  ·  4 stale (!: older than 6s)",
		"",
		"  CLUSTER BROKERS CTRL URP MINISR OFFLINE REASSIGN VERSIONS LEASE / OP      AGE",
		"> zeta        ?/3 UNREACHABLE: kafka: dial tcp 10.0.0.1:9092: connect: con…  8s!",
		"  billing     3/3    1   0      4       2        0 4.1.1    -                8s!",
		"  clicks      3/3    1   3      3       0        0 4.1.1    -                8s!",
		"  orders      2/3    1  17      0       0        0 4.1.1    -                0s",
		"  alpha       3/3    1   0      0       0        0 4.1.1    -                8s!",
	}
	if !strings.Contains(text, strings.Join(want, "\n")+"\n") {
		t.Errorf("screen lacks:\n%s", strings.Join(want, "\n"))
	}
	for i, l := range strings.Split(text, "\n") {
		if len([]rune(l)) > 80 {
			t.Errorf("line %d is %d wide", i, len([]rune(l)))
		}
	}
}
