package tui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/kfleet/kfleet/ops/cluster"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func healthy(name string, brokers int) cluster.Health {
	c := cluster.Health{Name: name, Healthy: true, Controller: 1, Partitions: 120, Versions: []string{"4.1.1"}, TakenAt: t0}
	for id := 1; id <= brokers; id++ {
		c.Brokers = append(c.Brokers, cluster.BrokerHealth{ID: int32(id), Host: fmt.Sprintf("k%d.%s.example", id, name),
			Rack: string(rune('a' + (id-1)%3)), Alive: true, Registered: true, InInventory: true, Version: "4.1.1",
			Leaders: 40, Replicas: 120})
	}
	return c
}

func withDeadBroker(c cluster.Health, id int32, urp int) cluster.Health {
	c.Brokers = append([]cluster.BrokerHealth(nil), c.Brokers...)
	for i := range c.Brokers {
		if c.Brokers[i].ID == id {
			c.Brokers[i].Alive, c.Brokers[i].Registered = false, false
		}
	}
	c.Healthy = false
	c.UnderReplicated = urp
	c.Problems = []string{fmt.Sprintf("broker %d is not registered", id), fmt.Sprintf("%d partitions under-replicated", urp)}
	c.ProblemPartitions = []cluster.PartitionProblem{{Partition: "orders-7", Kind: cluster.ProblemUnderReplicated, Leader: 1, Replicas: []int32{1, id, 3}, ISR: []int32{1, 3}}}
	return c
}

func unreachable(name, err string) cluster.Health {
	c := cluster.Health{Name: name, Error: err, Unreachable: true, Controller: -1, Problems: []string{err}}
	for id := int32(1); id <= 3; id++ {
		c.Brokers = append(c.Brokers, cluster.BrokerHealth{ID: id, Host: "h", InInventory: true})
	}
	return c
}

// fleet is a small fleet with one cluster of each kind, deliberately listed in the wrong order.
func fleet() []cluster.Health {
	offline := healthy("billing", 3)
	offline.Healthy, offline.Offline, offline.UnderMinISR = false, 2, 4
	minISR := healthy("clicks", 3)
	minISR.Healthy, minISR.UnderMinISR, minISR.UnderReplicated = false, 3, 3
	return []cluster.Health{
		healthy("alpha", 3),
		withDeadBroker(healthy("orders", 3), 2, 17),
		unreachable("zeta", "kafka: dial tcp 10.0.0.1:9092: connect: connection refused"),
		minISR,
		offline,
	}
}

// clock is the fake clock a test model reads through Options.Now.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time          { return c.now }
func (c *clock) advance(d time.Duration) { c.now = c.now.Add(d) }

func names(cs []cluster.Health) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

// serve is a Reader that answers each cluster from cs at once.
func serve(cs []cluster.Health) Reader {
	return func(_ context.Context, i int) cluster.Health { return cs[i] }
}

// newTestModel returns a model sized to w x h that has received every cluster's answer 3s ago.
func newTestModel(t testing.TB, cs []cluster.Health, w, h int) *Model {
	t.Helper()
	m, _ := newClockModel(t, cs, w, h)
	return m
}

// newClockModel is newTestModel and its clock: the answers came at t0, the clock reads t0+3s.
func newClockModel(t testing.TB, cs []cluster.Health, w, h int) (*Model, *clock) {
	t.Helper()
	c := &clock{now: t0}
	m := New(context.Background(), Options{Clusters: names(cs), Read: serve(cs), Now: c.Now})
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	deliver(m, cs, 250*time.Millisecond)
	c.advance(3 * time.Second)
	return m, c
}

// deliver hands the model an answer for each cluster of cs (found by name), each read in took.
func deliver(m *Model, cs []cluster.Health, took time.Duration) {
	as := make(answersMsg, 0, len(cs))
	for _, c := range cs {
		i := slices.Index(m.opts.Clusters, c.Name)
		if i < 0 {
			panic("deliver: no cluster " + c.Name)
		}
		as = append(as, answer{i: i, health: c, took: took})
	}
	m.Update(as)
}

func press(m *Model, keys ...string) tea.Cmd {
	var cmd tea.Cmd
	for _, k := range keys {
		var msg tea.KeyPressMsg
		switch k {
		case "enter":
			msg = tea.KeyPressMsg{Code: tea.KeyEnter}
		case "esc":
			msg = tea.KeyPressMsg{Code: tea.KeyEscape}
		case "down":
			msg = tea.KeyPressMsg{Code: tea.KeyDown}
		case "up":
			msg = tea.KeyPressMsg{Code: tea.KeyUp}
		case "backspace":
			msg = tea.KeyPressMsg{Code: tea.KeyBackspace}
		case "ctrl+c":
			msg = tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
		default:
			r := []rune(k)[0]
			msg = tea.KeyPressMsg{Code: r, Text: k}
		}
		_, cmd = m.Update(msg)
	}
	return cmd
}

func screenText(m *Model) string { return m.View().Content }

func rowNames(m *Model) []string {
	var names []string
	for _, c := range m.fleet.rows {
		names = append(names, c.Name)
	}
	return names
}

func TestFleetSortsWorstFirst(t *testing.T) {
	m := newTestModel(t, fleet(), 120, 30)
	got := strings.Join(rowNames(m), " ")
	if want := "zeta billing clicks orders alpha"; got != want {
		t.Fatalf("order %q, want %q", got, want)
	}
	// The screen lists them in the same order.
	text := screenText(m)
	last := -1
	for _, n := range rowNames(m) {
		i := strings.Index(text, "  "+n) // rows start with the marker column
		if i < 0 {
			i = strings.Index(text, "> "+n)
		}
		if i < last {
			t.Fatalf("%s drawn out of order:\n%s", n, text)
		}
		last = i
	}
}

func TestFleetRowShowsCounts(t *testing.T) {
	m := newTestModel(t, fleet(), 120, 30)
	line := findLine(t, screenText(m), "orders")
	f := strings.Fields(line)
	// CLUSTER BROKERS CTRL URP MINISR OFFLINE REASSIGN VERSIONS LEASE / OPERATION AGE
	if want := []string{"orders", "2/3", "1", "17", "0", "0", "0", "4.1.1", "-", "3s"}; strings.Join(f, " ") != strings.Join(want, " ") {
		t.Fatalf("orders row %q, want fields %q", line, want)
	}
	if line := findLine(t, screenText(m), "alpha"); !strings.Contains(line, "3/3") {
		t.Fatalf("alpha row %q lacks 3/3", line)
	}
}

func TestUnreachableRowShowsItsError(t *testing.T) {
	m := newTestModel(t, fleet(), 120, 30)
	line := findLine(t, screenText(m), "zeta")
	if !strings.Contains(line, "?/3") || !strings.Contains(line, "UNREACHABLE: kafka: dial tcp 10.0.0.1:9092: connect: connection refused") {
		t.Fatalf("zeta row %q", line)
	}
	// Drilling into it shows the error too.
	press(m, "enter")
	if text := screenText(m); !strings.Contains(text, "error: kafka: dial tcp") {
		t.Fatalf("cluster view of an unreachable cluster:\n%s", text)
	}
}

func TestMixedVersionsAndOperationShown(t *testing.T) {
	c := healthy("payments", 3)
	c.Versions = []string{"4.0.0", "4.1.1"}
	c.Lease = &cluster.LeaseHolder{Holder: "alice@ops1 pid 42", Purpose: "restart", OpID: "op-1", Since: t0}
	c.Events = []cluster.OpEvent{
		{Time: t0, OpID: "op-0", Kind: "finished", Message: "old op done"},
		{Time: t0, OpID: "op-1", Kind: "batch-start", Message: "batch 2/3: brokers 2", Holder: "alice@ops1 pid 42"},
		{Time: t0, OpID: "op-9", Kind: "note", Message: "someone else's"},
	}
	m := newTestModel(t, []cluster.Health{c}, 160, 30)
	line := findLine(t, screenText(m), "payments")
	for _, want := range []string{"MIXED 4.0.0,4.1.1", "restart by alice@ops1 pid 42: batch 2/3: brokers 2"} {
		if !strings.Contains(line, want) {
			t.Errorf("row %q lacks %q", line, want)
		}
	}
}

func TestDrillDownAndBack(t *testing.T) {
	cs := fleet()
	orders := &cs[1]
	orders.Snapshot = &cluster.Snapshot{
		Topics:        []cluster.Topic{{Name: "orders"}},
		Partitions:    []cluster.Partition{{Topic: 0, ID: 3, Leader: 1, Replicas: []int32{1, 2, 3, 4}, ISR: []int32{1, 3, 4}}},
		Reassignments: []cluster.Reassignment{{Topic: "orders", Partition: 3, Replicas: []int32{1, 2, 3, 4}, Adding: []int32{4}, Removing: []int32{2}}},
	}
	orders.Reassigning = 1
	orders.Events = []cluster.OpEvent{{Time: t0, OpID: "op-7", Kind: "plan", Message: "move 1 replica off broker 2", Holder: "bob@h pid 1"}}
	m := newTestModel(t, cs, 100, 40)
	press(m, "down", "down", "down") // zeta, billing, clicks, orders
	if c, _ := m.fleet.current(); c.Name != "orders" {
		t.Fatalf("cursor on %q", c.Name)
	}
	press(m, "enter")
	if m.screen != screenCluster {
		t.Fatal("enter did not open the cluster")
	}
	text := screenText(m)
	for _, want := range []string{"orders  UNHEALTHY", "BROKERS", "ID  HOST", "NO", "PROBLEM PARTITIONS",
		"orders-7   under-replicated", "REASSIGNMENTS IN FLIGHT (1)", "orders-3   1,2,3,4   4       2         1/1 added",
		"OPERATION EVENTS", "op-7", "move 1 replica off broker 2"} {
		if !strings.Contains(text, want) {
			t.Errorf("cluster view lacks %q:\n%s", want, text)
		}
	}
	// A refresh while drilled in updates the cluster view in place.
	cs2 := fleet()
	cs2[1] = withDeadBroker(healthy("orders", 3), 2, 99)
	deliver(m, cs2, time.Second)
	if text := screenText(m); !strings.Contains(text, "URP 99") {
		t.Errorf("cluster view not refreshed:\n%s", text)
	}
	press(m, "esc")
	if m.screen != screenFleet {
		t.Fatal("esc did not go back")
	}
	if c, _ := m.fleet.current(); c.Name != "orders" {
		t.Fatalf("cursor moved to %q after going back", c.Name)
	}
}

func TestCursorFollowsClusterAcrossResort(t *testing.T) {
	m := newTestModel(t, fleet(), 120, 30)
	press(m, "down", "down", "down", "down") // alpha, last
	if c, _ := m.fleet.current(); c.Name != "alpha" {
		t.Fatalf("cursor on %q", c.Name)
	}
	cs := fleet()
	cs[0] = unreachable("alpha", "timeout") // alpha becomes the worst
	deliver(m, cs, time.Second)
	if c, _ := m.fleet.current(); c.Name != "alpha" || m.fleet.cursor != 0 {
		t.Fatalf("cursor on %q at %d, want alpha at 0", c.Name, m.fleet.cursor)
	}
}

func TestFilter(t *testing.T) {
	m := newTestModel(t, fleet(), 120, 30)
	press(m, "/", "o", "r")
	if got := strings.Join(rowNames(m), " "); got != "orders" {
		t.Fatalf("filter or: rows %q", got)
	}
	// While typing, q is text, not quit.
	if cmd := press(m, "q"); cmd != nil {
		t.Fatal("q quit while typing a filter")
	}
	if len(m.fleet.rows) != 0 || !strings.Contains(screenText(m), `no cluster name contains "orq"`) {
		t.Fatalf("filter orq: %q\n%s", rowNames(m), screenText(m))
	}
	press(m, "backspace", "enter")
	if m.fleet.filtering || m.fleet.filter != "or" {
		t.Fatalf("enter should keep filter %q, filtering=%v", m.fleet.filter, m.fleet.filtering)
	}
	if text := screenText(m); !strings.Contains(text, `filter "or": 1 of 5 clusters`) {
		t.Fatalf("footer does not show the filter:\n%s", text)
	}
	// Filter matching is case-insensitive and the cursor can open the match.
	press(m, "enter")
	if m.screen != screenCluster || m.cluster.name != "orders" {
		t.Fatalf("enter on the filtered list opened %q", m.cluster.name)
	}
	press(m, "esc", "esc") // back, then clear the filter
	if len(m.fleet.rows) != 5 || m.fleet.filter != "" {
		t.Fatalf("esc did not clear the filter: %q", rowNames(m))
	}
	press(m, "/", "Z", "E", "esc")
	if len(m.fleet.rows) != 5 {
		t.Fatal("esc in the prompt should drop the filter")
	}
	press(m, "/", "Z", "E", "enter")
	if got := strings.Join(rowNames(m), " "); got != "zeta" {
		t.Fatalf("filter ZE: rows %q", got)
	}
}

func TestRefreshIsNeverDoubled(t *testing.T) {
	var calls atomic.Int32
	cs := fleet()
	c := &clock{now: t0}
	m := New(context.Background(), Options{Interval: time.Millisecond, Clusters: names(cs), Now: c.Now,
		Read: func(_ context.Context, i int) cluster.Health { calls.Add(1); return cs[i] }})
	if cmd := m.Init(); cmd == nil || m.sched.Reading() != 5 {
		t.Fatalf("Init should start reading all 5 clusters and the clock; reading %d", m.sched.Reading())
	}
	if cmd := press(m, "r"); cmd != nil {
		t.Fatal("r while every cluster is being read started another read")
	}
	// A tick while every cluster is being read starts nothing: it only re-arms the clock.
	c.advance(time.Second)
	m.Update(tickMsg{seq: m.tickSeq})
	if m.sched.Reading() != 5 || calls.Load() != 0 {
		t.Fatalf("tick while reading: %d reading, Read called %d times", m.sched.Reading(), calls.Load())
	}
	deliver(m, cs, 10*time.Millisecond)
	if m.sched.Reading() != 0 {
		t.Fatal("still reading after every cluster answered")
	}
	cmd := press(m, "r")
	if cmd == nil || m.sched.Reading() != 5 {
		t.Fatal("r did not read the fleet again")
	}
	d := newDriver(t, m)
	d.run(cmd)
	d.until("every cluster to answer", func() bool { return m.sched.Reading() == 0 })
	if calls.Load() != 5 || m.answers != 10 {
		t.Fatalf("Read called %d times, %d answers taken in", calls.Load(), m.answers)
	}
}

func TestRefreshTimeoutKeepsOldData(t *testing.T) {
	block := make(chan struct{})
	cs := fleet()
	var zetaReads atomic.Int32
	read := func(_ context.Context, i int) cluster.Health {
		if cs[i].Name == "zeta" { // ignores its deadline
			zetaReads.Add(1)
			<-block
		}
		return cs[i]
	}
	c := &clock{now: t0}
	m := New(context.Background(), Options{Clusters: names(cs), Read: read, Timeout: 50 * time.Millisecond, Now: c.Now})
	deliver(m, cs, time.Second)
	zeta := slices.Index(m.opts.Clusters, "zeta")
	d := newDriver(t, m)
	d.run(press(m, "r"))
	// The other four answer at once; zeta's overrun is reported after its deadline and the grace.
	d.until("zeta's overrun", func() bool { return m.reads[zeta].overran != "" })
	text := screenText(m)
	if !strings.Contains(text, "zeta: no answer within 50ms; showing its older data") || len(m.fleet.rows) != 5 {
		t.Fatalf("after a read overran its deadline:\n%s", text)
	}
	// zeta's read still runs: it is not started again, the others are.
	c.advance(time.Minute)
	_, cmd := m.Update(tickMsg{seq: m.tickSeq})
	if m.sched.Reading() != 5 || zetaReads.Load() != 1 {
		t.Fatalf("%d reading, zeta read %d times", m.sched.Reading(), zetaReads.Load())
	}
	d.run(cmd)
	// When it returns at last, its late answer frees it (and is dropped).
	close(block)
	d.until("every read to end", func() bool { return m.sched.Reading() == 0 })
	if m.reads[zeta].overran == "" {
		t.Fatal("a late answer cleared the overrun: its data is still the older one")
	}
}

func TestHelpAndQuit(t *testing.T) {
	m := newTestModel(t, fleet(), 80, 24)
	press(m, "?")
	if text := screenText(m); !strings.Contains(text, "filter") || !strings.Contains(text, "page down") {
		t.Fatalf("help:\n%s", text)
	}
	press(m, "?")
	if m.showHelp {
		t.Fatal("? did not close help")
	}
	for _, k := range []string{"q", "ctrl+c"} {
		cmd := press(m, k)
		if cmd == nil {
			t.Fatalf("%s: no command", k)
		}
		if _, ok := cmd().(tea.QuitMsg); !ok {
			t.Fatalf("%s did not quit", k)
		}
	}
}

func TestNoColorHasNoEscapes(t *testing.T) {
	m := newTestModel(t, fleet(), 120, 30) // Options.Color is false
	press(m, "down")
	if text := screenText(m); strings.Contains(text, "\x1b") {
		t.Fatalf("escape sequence without color: %q", text)
	}
	press(m, "enter")
	if text := screenText(m); strings.Contains(text, "\x1b") {
		t.Fatalf("escape sequence without color in the cluster view: %q", text)
	}
	c := New(context.Background(), Options{Color: true, Clusters: names(fleet())})
	c.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
	deliver(c, fleet(), time.Second)
	if text := screenText(c); !strings.Contains(text, "\x1b[") {
		t.Fatal("no styling with color on")
	}
}

// manyClusters is a synthetic fleet of n clusters, some sick, some unreachable.
func manyClusters(n int) []cluster.Health {
	cs := make([]cluster.Health, n)
	for i := range cs {
		name := fmt.Sprintf("cluster-%03d-%s", i, []string{"payments", "orders", "clickstream-eu-west-1", "x"}[i%4])
		switch {
		case i%17 == 0:
			cs[i] = unreachable(name, "kafka: "+strings.Repeat("no answer within 10s; ", 5))
		case i%7 == 0:
			cs[i] = withDeadBroker(healthy(name, 6), 2, i*13)
		default:
			cs[i] = healthy(name, 6)
		}
		if i%11 == 0 {
			cs[i].Versions = []string{"3.9.1", "4.1.1"}
			cs[i].Lease = &cluster.LeaseHolder{Holder: "deploy-bot@ci-runner-17 pid 12345", Purpose: "deploy", OpID: "op-x"}
			cs[i].Events = []cluster.OpEvent{{OpID: "op-x", Kind: "batch-start", Message: "activating 4.1.1 on brokers 3,4 (rack c)"}}
		}
	}
	return cs
}

func TestResizeFitsTheWindow(t *testing.T) {
	cs := manyClusters(100)
	for _, size := range [][2]int{{80, 24}, {200, 50}, {40, 10}, {120, 5}} {
		w, h := size[0], size[1]
		t.Run(fmt.Sprintf("%dx%d", w, h), func(t *testing.T) {
			m := newTestModel(t, cs, 200, 50)
			m.Update(tea.WindowSizeMsg{Width: w, Height: h}) // resized after data arrived
			check := func(what string) {
				t.Helper()
				lines := strings.Split(screenText(m), "\n")
				if len(lines) > h {
					t.Fatalf("%s: %d lines in a %d-line window", what, len(lines), h)
				}
				for i, l := range lines {
					if lw := ansi.StringWidth(l); lw > w {
						t.Fatalf("%s: line %d is %d cells wide in a %d-cell window: %q", what, i, lw, w, l)
					}
				}
			}
			check("fleet")
			// Scroll to the bottom: the cursor row stays on screen.
			for range 99 {
				press(m, "down")
			}
			check("fleet scrolled")
			if !strings.Contains(screenText(m), "\n> ") {
				t.Fatalf("cursor row not on screen:\n%s", screenText(m))
			}
			press(m, "enter")
			check("cluster")
			press(m, "G")
			check("cluster scrolled")
			press(m, "esc", "?")
			check("help")
		})
	}
}

func TestSmallWindowShowsCountsAt80(t *testing.T) {
	m := newTestModel(t, manyClusters(100), 80, 24)
	text := screenText(m)
	lines := strings.Split(text, "\n")
	if len(lines) != 24 {
		t.Fatalf("%d lines, want 24", len(lines))
	}
	// The header row and a sick cluster's counts survive the squeeze.
	if !strings.Contains(text, "CLUSTER") || !strings.Contains(text, "BROKERS") || !strings.Contains(text, "URP") {
		t.Fatalf("80x24 header:\n%s", text)
	}
	line := findLine(t, text, "cluster-098")
	if f := strings.Fields(line); len(f) < 4 || f[1] != "5/6" || f[3] != "1274" {
		t.Fatalf("80x24 row %q", line)
	}
}

func findLine(t *testing.T, text, sub string) string {
	t.Helper()
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, sub) && !strings.HasPrefix(strings.TrimSpace(l), "kfleet") {
			return strings.TrimPrefix(strings.TrimPrefix(l, "> "), "  ")
		}
	}
	t.Fatalf("no line with %q in:\n%s", sub, text)
	return ""
}

func BenchmarkView100(b *testing.B) {
	m := newTestModel(b, manyClusters(100), 200, 50)
	b.ReportAllocs()
	for b.Loop() {
		_ = m.View()
	}
}

// BenchmarkUpdate100 is the cost of taking in one refresh of 100 clusters and drawing it.
func BenchmarkUpdate100(b *testing.B) {
	cs := manyClusters(100)
	m := newTestModel(b, cs, 200, 50)
	b.ReportAllocs()
	for b.Loop() {
		deliver(m, cs, time.Second)
		_ = m.View()
	}
}

func TestClusterViewShowsTheZooKeeperEnsemble(t *testing.T) {
	c := healthy("legacy", 3)
	c.Healthy, c.MetadataMode = false, "zookeeper"
	c.Problems = []string{"zookeeper node 3 (zk3:2181) is down or unreachable"}
	c.ZooKeeper = &cluster.ZooKeeperHealth{Leader: 2, Voters: 3, Serving: 2, Synced: 2, Nodes: []cluster.ZooKeeperNodeHealth{
		{ID: 1, Address: "zk1:2181", Up: true, Mode: "follower", Synced: true, Outstanding: 4},
		{ID: 2, Address: "zk2:2181", Up: true, Mode: "leader", Synced: true},
		{ID: 3, Address: "zk3:2181", Error: "connection refused"},
	}}
	m := newTestModel(t, []cluster.Health{c}, 120, 50)
	press(m, "enter")
	text := screenText(m)
	for _, want := range []string{"metadata zookeeper 2/3", "ZOOKEEPER (2 of 3 voters in sync)", "zk1:2181  follower", "zk2:2181  leader",
		"zk3:2181  DOWN: connection refused", "zookeeper node 3 (zk3:2181) is down"} {
		if !strings.Contains(text, want) {
			t.Errorf("cluster view lacks %q:\n%s", want, text)
		}
	}
}

func TestClusterViewListsRecentOperationsWithTheirOutcome(t *testing.T) {
	c := healthy("payments", 3)
	c.Lease = &cluster.LeaseHolder{Holder: "bob@h pid 9", Purpose: "restart", OpID: "op-3", Since: t0}
	c.Events = []cluster.OpEvent{
		{Time: t0, OpID: "op-1", Kind: "batch-start", Message: "batch 1/3", Holder: "alice@h pid 1"},
		{Time: t0, OpID: "op-1", Kind: "finished", Message: "rolled 3 broker(s)", Holder: "alice@h pid 1"},
		{Time: t0, OpID: "op-2", Kind: "refused", Message: "not safe to stop broker(s) 2", Holder: "alice@h pid 2"},
		{Time: t0, OpID: "op-3", Kind: "batch-start", Message: "batch 1/3", Holder: "bob@h pid 9"},
	}
	m := newTestModel(t, []cluster.Health{c}, 140, 60)
	press(m, "enter")
	text := screenText(m)
	for _, want := range []string{"OPERATIONS (newest first)", "op-3       running", "op-2       refused", "op-1       done"} {
		if !strings.Contains(text, want) {
			t.Errorf("cluster view lacks %q:\n%s", want, text)
		}
	}
}
