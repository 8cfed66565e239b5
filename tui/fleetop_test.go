package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/kfleet/kfleet/ops/cluster"
)

// restartOp is a fleet restart in its second wave: the canary done, one cluster rolling, one
// failed, one not started yet.
func restartOp() FleetOp {
	return FleetOp{
		ID: "fleet-20260301-120000-ab12", Kind: "restart", Holder: "alice@ops1 pid 42", Status: "running",
		Updated: t0,
		Waves: []FleetWave{
			{Number: 1, Canary: true, Clusters: []FleetCluster{{Name: "fleet-a", State: "done", Op: "op-a", Detail: "rolled 3 broker(s)"}}},
			{Number: 2, Clusters: []FleetCluster{
				{Name: "fleet-b", State: "running", Op: "op-b", Detail: "1/3 brokers done: batch 2/3: broker 2"},
				{Name: "fleet-c", State: "failed", Op: "op-c", Detail: "broker 3 (k3.fleet-c.example): did not rejoin ISR within 10m"},
				{Name: "fleet-d", State: "pending"},
			}},
		},
		Counts: map[string]int{"done": 1, "running": 1, "failed": 1, "pending": 1},
	}
}

// withFleetOps is a test model that has also read the fleet operations ops.
func withFleetOps(t testing.TB, cs []cluster.Health, ops []FleetOp, w, h int) *Model {
	t.Helper()
	m := newTestModel(t, cs, w, h)
	m.opts.FleetOps = func() ([]FleetOp, error) { return ops, nil }
	m.Update(fleetOpsMsg{ops: ops})
	return m
}

func TestFleetOpPanelShowsWavesAndStates(t *testing.T) {
	m := withFleetOps(t, fleet(), []FleetOp{restartOp()}, 160, 40)
	text := screenText(m)
	t.Logf("panel at 160 columns:\n%s", text)
	for _, want := range []string{
		"fleet op fleet-20260301-120000-ab12 (restart) by alice@ops1 pid 42: running, wave 2/2, 1 done, 1 failed, 1 running, 1 pending",
		"  wave 1 (canary): fleet-a done\n", // a done cluster's detail is noise
		"  wave 2: fleet-b running 1/3 brokers done: batch 2/3: broker 2 · fleet-c failed broker 3 (k3.fleet-c.example): did not rejoin I… · fleet-d pending",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("screen lacks %q:\n%s", want, text)
		}
	}
	// The panel sits between the header and the cluster table, which still lists every cluster.
	if p, tbl := strings.Index(text, "fleet op "), strings.Index(text, "  CLUSTER"); p < 0 || tbl < p {
		t.Fatalf("panel not above the table:\n%s", text)
	}
	for _, n := range []string{"zeta", "billing", "clicks", "orders", "alpha"} {
		findLine(t, text, n)
	}
}

func TestFleetOpPanelFitsIn80Columns(t *testing.T) {
	m := withFleetOps(t, fleet(), []FleetOp{restartOp()}, 80, 24)
	text := screenText(m)
	t.Logf("panel at 80x24:\n%s", text)
	lines := strings.Split(text, "\n")
	if len(lines) != 24 {
		t.Fatalf("%d lines, want 24", len(lines))
	}
	for i, l := range lines {
		if lw := ansi.StringWidth(l); lw > 80 {
			t.Fatalf("line %d is %d cells wide: %q", i, lw, l)
		}
	}
	// Long lines wrap, indented, rather than lose the counts or the clusters.
	for _, want := range []string{
		"fleet op fleet-20260301-120000-ab12 (restart) by alice@ops1 pid 42: running\n    wave 2/2, 1 done, 1 failed, 1 running, 1 pending\n",
		"  wave 2: fleet-b running 1/3 brokers done: batch 2/3: broker 2\n    fleet-c failed",
		"fleet-d pending",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("screen lacks %q:\n%s", want, text)
		}
	}
	// Every cluster row still shows.
	for _, n := range []string{"zeta", "billing", "clicks", "orders", "alpha"} {
		findLine(t, text, n)
	}
}

func TestNoFleetOpNoPanel(t *testing.T) {
	without := screenText(newTestModel(t, fleet(), 120, 30))
	for name, m := range map[string]*Model{
		"no reader":       newTestModel(t, fleet(), 120, 30),
		"nothing running": withFleetOps(t, fleet(), nil, 120, 30),
	} {
		text := screenText(m)
		if strings.Contains(text, "fleet op") || strings.Contains(text, "wave") {
			t.Errorf("%s: a fleet operation panel:\n%s", name, text)
		}
		if text != without {
			t.Errorf("%s: the screen changed:\n%s\nwant:\n%s", name, text, without)
		}
	}
}

func TestFleetOpsReadOnRefresh(t *testing.T) {
	reads := 0
	op := restartOp()
	m := New(context.Background(), Options{
		Clusters: names(fleet()),
		Read:     serve(fleet()),
		FleetOps: func() ([]FleetOp, error) { reads++; return []FleetOp{op}, nil },
		Now:      func() time.Time { return t0 },
	})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
	// A refresh reads the fleet operations beside the collection, never twice at once.
	cmds, ok := press(m, "r")().(tea.BatchMsg)
	if !ok || len(cmds) != 2 {
		t.Fatalf("r should start the collection and the read of the fleet operations, got %T", cmds)
	}
	if cmd := press(m, "r"); cmd != nil {
		t.Fatal("r while both are in flight started more")
	}
	for _, c := range cmds {
		m.Update(c())
	}
	if reads != 1 || !strings.Contains(screenText(m), "fleet op "+op.ID) {
		t.Fatalf("%d reads; screen:\n%s", reads, screenText(m))
	}
	// A failed read keeps the operations on screen and says why.
	m.Update(fleetOpsMsg{err: errors.New("open /state/ops: permission denied")})
	text := screenText(m)
	if !strings.Contains(text, "fleet op "+op.ID) || !strings.Contains(text, "fleet operations unreadable: open /state/ops: permission denied") {
		t.Fatalf("after a failed read:\n%s", text)
	}
	// An operation that ended says when; once gone from the reader, the panel goes too.
	op.Status, op.Updated = "halted", t0.Add(-3*time.Minute)
	m.Update(fleetOpsMsg{ops: []FleetOp{op}})
	if text := screenText(m); !strings.Contains(text, "pid 42: halted 3m0s ago") || strings.Contains(text, "unreadable") {
		t.Fatalf("ended operation:\n%s", text)
	}
	m.Update(fleetOpsMsg{})
	if text := screenText(m); strings.Contains(text, "fleet op") {
		t.Fatalf("panel stayed after the operation went:\n%s", text)
	}
}

// TestFleetOpPanelManyWaves: a default plan over 100 clusters has 100 waves of one; the done and
// the pending ones fold, and the panel never takes the table's room.
func TestFleetOpPanelManyWaves(t *testing.T) {
	op := FleetOp{ID: "fleet-x", Kind: "deploy", Holder: "deploy-bot@ci pid 7", Status: "running",
		Counts: map[string]int{"done": 40, "running": 1, "pending": 59}}
	for i := range 100 {
		state := "done"
		switch {
		case i == 40:
			state = "running"
		case i > 40:
			state = "pending"
		}
		op.Waves = append(op.Waves, FleetWave{Number: i + 1, Canary: i == 0,
			Clusters: []FleetCluster{{Name: fmt.Sprintf("c%03d", i), State: state}}})
	}
	op.Waves[40].Clusters[0].Detail = "2/6 brokers done: activating 4.1.1 on broker 3"
	m := withFleetOps(t, manyClusters(100), []FleetOp{op}, 80, 24)
	text := screenText(m)
	t.Logf("100 waves at 80x24:\n%s", text)
	for _, want := range []string{"wave 41/100, 40 done, 1 running, 59 pending", "  waves 1-40: 40 clusters done",
		"  wave 41: c040 running 2/6 brokers done: activating 4.1.1 on broker 3", "  waves 42-100: 59 clusters pending"} {
		if !strings.Contains(text, want) {
			t.Errorf("screen lacks %q", want)
		}
	}
	// Several such operations are cut to leave the table half the body.
	m = withFleetOps(t, manyClusters(100), []FleetOp{op, op, op, op}, 80, 24)
	text = screenText(m)
	t.Logf("four operations at 80x24:\n%s", text)
	if strings.Count(text, "fleet op fleet-x (deploy)") != 4 || !strings.Contains(text, "(waves not shown: a taller window shows them)") ||
		!strings.Contains(text, "  CLUSTER") {
		t.Fatalf("four operations at 80x24:\n%s", text)
	}
	if rows := strings.Count(text, "\n  cluster-") + strings.Count(text, "\n> cluster-"); rows < 8 {
		t.Fatalf("%d cluster rows left under the panel:\n%s", rows, text)
	}
	// Paging moves by the rows the table shows.
	m.Update(tea.KeyPressMsg{Code: tea.KeyPgDown})
	if m.fleet.cursor == 0 || m.fleet.cursor > 10 {
		t.Fatalf("page down moved the cursor to %d", m.fleet.cursor)
	}
	if !strings.Contains(screenText(m), "\n> ") {
		t.Fatalf("cursor row not on screen after paging:\n%s", screenText(m))
	}
}

func TestFleetOpPanelColors(t *testing.T) {
	m := New(context.Background(), Options{Color: true, Clusters: names(fleet()), Now: func() time.Time { return t0 }})
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 30})
	deliver(m, fleet(), time.Second)
	m.Update(fleetOpsMsg{ops: []FleetOp{restartOp()}})
	text := screenText(m)
	for state, st := range map[string]func() string{
		"failed":  func() string { return m.st.bad.Render("failed") },
		"running": func() string { return m.st.warn.Render("running") },
		"done":    func() string { return m.st.good.Render("done") },
	} {
		if !strings.Contains(text, st()) {
			t.Errorf("%s not styled:\n%q", state, text)
		}
	}
	// Without color: no escapes (TestNoColorHasNoEscapes covers the rest of the screen).
	if text := screenText(withFleetOps(t, fleet(), []FleetOp{restartOp()}, 160, 30)); strings.Contains(text, "\x1b") {
		t.Fatalf("escape sequence without color: %q", text)
	}
}

func TestFleetOpPanelFitsEveryWindow(t *testing.T) {
	big := restartOp()
	big.Waves[1].Group = "eu-west-1"
	for i := range 30 { // a wave of 25% of a large fleet
		big.Waves[1].Clusters = append(big.Waves[1].Clusters, FleetCluster{Name: fmt.Sprintf("cluster-%03d-orders", i),
			State: "running", Detail: strings.Repeat("batch 1/2: brokers 1,2 (rack a) ", 4)})
	}
	for _, size := range [][2]int{{80, 24}, {200, 50}, {40, 10}, {120, 5}} {
		w, h := size[0], size[1]
		t.Run(fmt.Sprintf("%dx%d", w, h), func(t *testing.T) {
			m := withFleetOps(t, manyClusters(100), []FleetOp{big}, w, h)
			text := screenText(m)
			lines := strings.Split(text, "\n")
			if len(lines) > h {
				t.Fatalf("%d lines in a %d-line window", len(lines), h)
			}
			for i, l := range lines {
				if lw := ansi.StringWidth(l); lw > w {
					t.Fatalf("line %d is %d cells wide in a %d-cell window: %q", i, lw, w, l)
				}
			}
			if !strings.Contains(text, "CLUSTER") {
				t.Fatalf("the panel left no room for the table:\n%s", text)
			}
			if w == 80 && !strings.Contains(text, "more lines (a taller window shows them)") {
				t.Fatalf("a cut panel does not say so:\n%s", text)
			}
		})
	}
}
