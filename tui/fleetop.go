package tui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// FleetOp is one fleet operation (an operation over many clusters in waves) as the fleet view's
// panel shows it: running, or ended a short while ago. The command converts the fleet journal's
// progress into it, so this package needs nothing of the rollout packages.
type FleetOp struct {
	ID      string
	Kind    string // the clusters' operation kind: restart, deploy, ...
	Holder  string // user@host pid N
	Status  string // running, done, halted, interrupted
	Updated time.Time
	Waves   []FleetWave
	Counts  map[string]int // clusters by state
}

// FleetWave is one wave of a fleet operation.
type FleetWave struct {
	Number   int
	Canary   bool
	Group    string // the --wave-by value its clusters share; "" without --wave-by
	Clusters []FleetCluster
}

// FleetCluster is one cluster's part in a fleet operation.
type FleetCluster struct {
	Name string
	// State is pending, waiting (for its maintenance window), running, or the outcome (done,
	// failed, refused, outside-window, window-closed, stopped, interrupted, not-started).
	State  string
	Op     string // the cluster's own operation, once started
	Detail string // "2/3 brokers done: <last message>", a failure, why it waits
}

// FleetOpsReader reads the fleet operations to show, newest first. It reads local files (the
// journal in the state dir), so it is cheap and takes no deadline; the TUI still calls it from a
// tea.Cmd, never from Update or View.
type FleetOpsReader func() ([]FleetOp, error)

// fleetOpsMsg carries one read of the fleet operations back to Update.
type fleetOpsMsg struct {
	ops []FleetOp
	err error // the old operations stay on screen
}

func readFleetOps(r FleetOpsReader) tea.Cmd {
	return func() tea.Msg {
		ops, err := r()
		return fleetOpsMsg{ops: ops, err: err}
	}
}

const (
	// detailWidth caps a cluster's detail in a wave line, so one busy cluster leaves room for
	// its wave's others.
	detailWidth = 48
	// collapseWaves is how many waves in a row that are all done (or all pending) fold into one
	// line: a default plan of one cluster per wave has as many waves as clusters.
	collapseWaves = 3
)

// stateOrder is the order of the counts in an operation's header line; other states follow,
// by name.
var stateOrder = []string{"done", "failed", "running", "waiting", "pending"}

// fleetOpLines renders the panel in at most height lines of at most width cells: per operation a
// header line, then one line per wave (flowed onto more lines when its clusters do not fit).
// When that is too long for several operations, their headers alone; then it is cut.
func fleetOpLines(ops []FleetOp, st styles, width, height int, now time.Time) []string {
	var all, headers []string
	for i := range ops {
		h := indentFlow(opHeader(&ops[i], st, now), ", ", width, "    ")
		all = append(append(all, h...), opWaveLines(ops[i].Waves, st, width)...)
		headers = append(headers, h...)
	}
	if len(all) > height && len(ops) > 1 && len(headers) < height {
		all = append(headers, fit("  (waves not shown: a taller window shows them)", width))
	}
	return capLines(all, height, width)
}

// opWaveLines is one line per wave, except that waves in a row all done (or all pending) fold
// into one.
func opWaveLines(waves []FleetWave, st styles, width int) []string {
	var out []string
	for len(waves) > 0 {
		if n, state := uniformRun(waves); n >= collapseWaves {
			clusters := 0
			for _, w := range waves[:n] {
				clusters += len(w.Clusters)
			}
			line := fmt.Sprintf("  waves %d-%d: %d clusters ", waves[0].Number, waves[n-1].Number, clusters) +
				render(stateStyle(st, state), state)
			out = append(out, fit(line, width))
			waves = waves[n:]
			continue
		}
		out = append(out, waveLines(&waves[0], st, width)...)
		waves = waves[1:]
	}
	return out
}

// opHeader is the operation's header as segments: who runs what, then how far it got.
func opHeader(op *FleetOp, st styles, now time.Time) []string {
	status := render(opStatusStyle(st, op.Status), op.Status)
	if op.Status != "running" && !op.Updated.IsZero() {
		status += fmt.Sprintf(" %s ago", now.Sub(op.Updated).Truncate(time.Second))
	}
	kind := ""
	if op.Kind != "" {
		kind = " (" + op.Kind + ")"
	}
	var progress []string
	if len(op.Waves) > 0 {
		progress = append(progress, fmt.Sprintf("wave %d/%d", currentWave(op.Waves), len(op.Waves)))
	}
	for _, s := range countOrder(op.Counts) {
		progress = append(progress, fmt.Sprintf("%d %s", op.Counts[s], s))
	}
	segs := []string{render(st.title, "fleet op "+op.ID) + kind + " by " + op.Holder + ": " + status}
	if len(progress) > 0 { // one segment: a narrow window wraps before it, not inside it
		segs = append(segs, strings.Join(progress, ", "))
	}
	return segs
}

// currentWave is the last wave (1-based) that has started any of its clusters; 1 before any has.
func currentWave(waves []FleetWave) int {
	for i := len(waves) - 1; i >= 0; i-- {
		for _, c := range waves[i].Clusters {
			if c.State != "pending" {
				return i + 1
			}
		}
	}
	return 1
}

// countOrder lists the states that have clusters: the usual ones first, then the rest by name.
func countOrder(counts map[string]int) []string {
	var out, rest []string
	for _, s := range stateOrder {
		if counts[s] > 0 {
			out = append(out, s)
		}
	}
	for s, n := range counts {
		if n > 0 && !slices.Contains(stateOrder, s) {
			rest = append(rest, s)
		}
	}
	slices.Sort(rest)
	return append(out, rest...)
}

// uniformRun is how many waves from the first have every cluster in the same state, done or
// pending, and that state.
func uniformRun(waves []FleetWave) (int, string) {
	state := waveState(&waves[0])
	if state != "done" && state != "pending" {
		return 0, ""
	}
	n := 1
	for n < len(waves) && waveState(&waves[n]) == state {
		n++
	}
	return n, state
}

// waveState is the state every cluster of w is in, "" when they differ.
func waveState(w *FleetWave) string {
	if len(w.Clusters) == 0 {
		return ""
	}
	s := w.Clusters[0].State
	for _, c := range w.Clusters[1:] {
		if c.State != s {
			return ""
		}
	}
	return s
}

// waveLines is one wave: its label, then each cluster with its state and, unless done, its
// detail cut short.
func waveLines(w *FleetWave, st styles, width int) []string {
	var tags []string
	if w.Canary {
		tags = append(tags, "canary")
	}
	if w.Group != "" {
		tags = append(tags, w.Group)
	}
	label := fmt.Sprintf("  wave %d", w.Number)
	if len(tags) > 0 {
		label += " (" + strings.Join(tags, ", ") + ")"
	}
	label += ":"
	if len(w.Clusters) == 0 {
		return []string{fit(label+" no clusters", width)}
	}
	segs := make([]string, len(w.Clusters))
	for i, c := range w.Clusters {
		s := c.Name + " " + render(stateStyle(st, c.State), c.State)
		// A cluster operation that has logged nothing yet reads "0/3 brokers done:".
		if d := strings.TrimSuffix(oneLine(c.Detail), ":"); d != "" && c.State != "done" {
			s += " " + fit(d, detailWidth)
		}
		segs[i] = s
	}
	segs[0] = label + " " + segs[0]
	return indentFlow(segs, " · ", width, "    ")
}

// indentFlow is flow with the lines after the first indented, so a wrapped line reads as the
// continuation of the one above.
func indentFlow(segs []string, sep string, w int, indent string) []string {
	if w <= len(indent)+8 {
		indent = ""
	}
	var lines []string
	cur, limit := "", w
	for _, s := range segs {
		switch {
		case cur == "":
			cur = s
		case width(cur)+width(sep)+width(s) <= limit:
			cur += sep + s
		default:
			lines = append(lines, fit(cur, limit))
			cur, limit = s, w-len(indent)
		}
	}
	if cur != "" {
		lines = append(lines, fit(cur, limit))
	}
	for i := 1; i < len(lines); i++ {
		lines[i] = indent + lines[i]
	}
	return lines
}

// opStatusStyle colors an operation's status: running yellow, done green, stopped short red.
func opStatusStyle(st styles, status string) lipgloss.Style {
	switch status {
	case "running":
		return st.warn
	case "done":
		return st.good
	}
	return st.bad
}

// stateStyle colors a cluster's state: failed red, done green, running and the ways of not
// being done for now yellow, not reached yet dim.
func stateStyle(st styles, state string) lipgloss.Style {
	switch state {
	case "done":
		return st.good
	case "failed":
		return st.bad
	case "pending", "waiting", "not-started":
		return st.dim
	}
	return st.warn
}

// capLines keeps at most n lines, the last one saying how many were left out.
func capLines(lines []string, n int, width int) []string {
	if len(lines) <= n {
		return lines
	}
	if n <= 0 {
		return nil
	}
	return append(lines[:n-1:n-1], fit(fmt.Sprintf("  … %d more lines (a taller window shows them)", len(lines)-n+1), width))
}

// fleetPanel is the fleet operations above the cluster table, and a blank line under them; none
// without an operation to show. It leaves the table its header and, when the window is short,
// at least half of bodyH.
func (m *Model) fleetPanel(bodyH int) []string {
	if len(m.fleetOps) == 0 && m.fleetOpsErr == "" {
		return nil
	}
	table := max(2, min(len(m.fleet.rows)+1, bodyH/2))
	height := bodyH - table - 1 // and a blank line
	var lines []string
	if m.fleetOpsErr != "" {
		lines = append(lines, fit(render(m.st.bad, "fleet operations unreadable: "+oneLine(m.fleetOpsErr)), m.width))
	}
	lines = append(lines, fleetOpLines(m.fleetOps, m.st, m.width, height-len(lines), m.opts.Now())...)
	lines = capLines(lines, height, m.width)
	if len(lines) == 0 {
		return nil
	}
	return append(lines, "")
}
