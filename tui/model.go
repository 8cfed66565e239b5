package tui

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/kfleet/kfleet/ops/cluster"
	// Aliased: the tests' fleet() is their sample fleet.
	opsfleet "github.com/kfleet/kfleet/ops/fleet"
)

// Options configure the live view.
type Options struct {
	// Clusters names the fleet, in the order it is first read; Read reads one of them. Without
	// Read nothing is read.
	Clusters []string
	Read     Reader
	// Interval is the shortest time between two reads of one cluster (the schedule stretches it
	// for a large fleet, see fleet.Schedule) and between two reads of the fleet operations;
	// <= 0 -> 2s.
	Interval    time.Duration
	Timeout     time.Duration // for reading one cluster; <= 0 -> 15s
	Concurrency int           // clusters read at once; <= 0 -> fleet.DefaultConcurrency
	Color       bool          // false: no escape sequences for color (NO_COLOR, --no-color)
	Logger      *slog.Logger  // nil: discard
	Now         func() time.Time
	// FleetOps reads the fleet operations shown above the cluster table; nil: none shown.
	FleetOps FleetOpsReader
}

type screen int

const (
	screenFleet screen = iota
	screenCluster
)

// Model is the root model: it owns the data and the refresh cycle and routes keys to the fleet
// or the cluster view. Each cluster is read on its own schedule (fleet.Schedule): its row
// appears when it first answers and changes when it answers again, and says how old it is.
type Model struct {
	ctx    context.Context
	opts   Options
	log    *slog.Logger
	keys   keyMap
	help   help.Model
	st     styles
	width  int
	height int

	screen   screen
	showHelp bool
	fleet    fleetView
	cluster  clusterView

	sched    *opsfleet.Schedule
	reads    []clusterRead // by index in opts.Clusters
	answered int           // clusters that have answered at least once
	answers  int           // answers taken in, for the log
	inbox    *inbox
	started  time.Time     // when the first reads started
	tickSeq  int           // the tick armed last; older ones are ignored
	tickAt   time.Time     // when it fires
	opsDue   time.Time     // when the fleet operations are read again
	every    time.Duration // the re-read interval last logged

	fleetOps    []FleetOp // as last read
	readingOps  bool
	fleetOpsErr string // the last read failed; fleetOps is older
}

// clusterRead is one cluster's last answer and how its reading stands.
type clusterRead struct {
	health   cluster.Health
	answered bool
	at       time.Time // when the last answer came
	took     time.Duration
	lastOK   time.Time // when it last answered reachable; zero: never
	overran  string    // the read under way overran its deadline (why): health is older
}

// New builds the model; ctx bounds every read it starts.
func New(ctx context.Context, o Options) *Model {
	if o.Interval <= 0 {
		o.Interval = 2 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 15 * time.Second
	}
	if o.Concurrency <= 0 {
		o.Concurrency = opsfleet.DefaultConcurrency
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	st := newStyles(o.Color)
	h := help.New()
	h.Styles = st.help
	return &Model{ctx: ctx, opts: o, log: log, keys: defaultKeys(), help: h, st: st, width: 80, height: 24,
		sched: opsfleet.NewSchedule(len(o.Clusters), o.Interval, o.Concurrency),
		reads: make([]clusterRead, len(o.Clusters)), inbox: newInbox()}
}

// Init starts reading every cluster (as many at once as the concurrency allows), listening for
// their answers, the clock, and a read of the fleet operations.
func (m *Model) Init() tea.Cmd {
	m.started = m.opts.Now()
	return tea.Batch(m.startDue(), listen(m.ctx, m.inbox, 0), m.readFleetOps(), m.arm())
}

// refresh reads now every cluster not being read, and the fleet operations unless a read of
// them runs: nothing is read twice at once.
func (m *Model) refresh() tea.Cmd {
	m.sched.ReadAll()
	return tea.Batch(m.startDue(), m.readFleetOps())
}

// startDue starts reading the clusters the schedule says are due.
func (m *Model) startDue() tea.Cmd {
	if m.opts.Read == nil {
		return nil
	}
	is := m.sched.Start(m.opts.Now())
	if len(is) == 0 {
		return nil
	}
	return readClusters(m.ctx, m.opts.Read, is, m.opts.Timeout, m.inbox)
}

// arm sets the clock for when the next cluster is due, and at least once a second: the ages on
// screen count seconds.
func (m *Model) arm() tea.Cmd {
	now := m.opts.Now()
	d := time.Second
	if next, ok := m.sched.Next(); ok && m.opts.Read != nil {
		d = min(d, max(next.Sub(now), 10*time.Millisecond))
	}
	m.tickSeq++
	m.tickAt = now.Add(d)
	return tick(m.tickSeq, d)
}

// armSooner re-arms the clock when a cluster comes due before it fires.
func (m *Model) armSooner() tea.Cmd {
	if next, ok := m.sched.Next(); ok && m.opts.Read != nil && next.Before(m.tickAt) {
		return m.arm()
	}
	return nil
}

func (m *Model) readFleetOps() tea.Cmd {
	if m.readingOps || m.opts.FleetOps == nil {
		return nil
	}
	m.readingOps = true
	m.opsDue = m.opts.Now().Add(m.opts.Interval)
	return readFleetOps(m.opts.FleetOps)
}

// Update routes a message: data and ticks to the root, keys to the view that has focus.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.SetWidth(msg.Width)
		m.cluster.resize(msg.Width)
		return m, nil
	case tickMsg:
		if msg.seq != m.tickSeq { // superseded by a tick armed sooner
			return m, nil
		}
		var ops tea.Cmd
		if !m.opts.Now().Before(m.opsDue) {
			ops = m.readFleetOps()
		}
		return m, tea.Batch(m.startDue(), ops, m.arm())
	case answersMsg:
		m.onAnswers(msg)
		return m, tea.Batch(listen(m.ctx, m.inbox, batchEvery), m.startDue(), m.armSooner())
	case fleetOpsMsg:
		m.onFleetOps(msg)
		return m, nil
	case tea.KeyPressMsg:
		return m, m.onKey(msg)
	}
	return m, nil
}

// onAnswers takes in a batch of answers: each cluster's row, the schedule, and the views.
func (m *Model) onAnswers(as []answer) {
	now := m.opts.Now()
	for _, a := range as {
		r := &m.reads[a.i]
		switch {
		case a.late:
			// The read that overran has returned: the cluster may be read again. What it
			// brought is as old as its deadline; the next read brings better.
			m.sched.Done(a.i, now, a.took)
			continue
		case a.overran != "":
			r.overran = a.overran
			m.log.Warn("cluster read overran its deadline; its older data stays on screen", "cluster", m.opts.Clusters[a.i], "why", a.overran)
			if r.answered {
				continue
			}
			// Never answered: a row saying so rather than none.
			a.health = cluster.Health{Name: m.opts.Clusters[a.i], Unreachable: true, Controller: -1, Error: a.overran}
		default:
			m.sched.Done(a.i, now, a.took)
			r.overran = ""
		}
		m.answers++
		if !r.answered {
			if m.answered++; m.answered == len(m.reads) {
				m.log.Info("every cluster answered", "clusters", m.answered, "took", now.Sub(m.started))
			}
		}
		wasDown := r.answered && r.health.Unreachable
		r.health, r.answered, r.at, r.took = a.health, true, now, a.took
		switch h := &r.health; {
		case !h.Unreachable:
			r.lastOK = now
			if wasDown {
				m.log.Info("cluster answers again", "cluster", h.Name)
			}
		case !wasDown:
			m.log.Info("cluster unreachable", "cluster", h.Name, "err", h.Error)
		}
	}
	// The interval follows every answer a little; the log hears of it when it moves by a quarter.
	if e := m.sched.Every(); e > m.opts.Interval && (e > m.every*5/4 || e < m.every*3/4) {
		m.every = e
		m.log.Info("re-read interval stretched to the fleet", "every", e, "asked", m.opts.Interval, "clusters", len(m.reads))
	}
	m.fleet.setData(m.rows())
	if m.screen == screenCluster {
		if c, ok := m.find(m.cluster.name); ok {
			m.cluster.setData(&c, m.st, m.width)
		}
	}
}

// rows is every cluster that has answered, as the fleet view lists them.
func (m *Model) rows() []fleetRow {
	rs := make([]fleetRow, 0, m.answered)
	for i := range m.reads {
		if r := &m.reads[i]; r.answered {
			rs = append(rs, fleetRow{Health: &r.health, at: r.at, lastOK: r.lastOK})
		}
	}
	return rs
}

func (m *Model) onFleetOps(msg fleetOpsMsg) {
	m.readingOps = false
	if msg.err != nil {
		if msg.err.Error() != m.fleetOpsErr { // not once per refresh while it lasts
			m.log.Warn("reading fleet operations failed", "err", msg.err)
		}
		m.fleetOpsErr = msg.err.Error()
		return
	}
	if m.fleetOpsErr != "" || len(msg.ops) != len(m.fleetOps) {
		m.log.Info("fleet operations read", "shown", len(msg.ops))
	}
	m.fleetOps, m.fleetOpsErr = msg.ops, ""
}

func (m *Model) find(name string) (cluster.Health, bool) {
	if r := m.readOf(name); r != nil {
		return r.health, true
	}
	return cluster.Health{}, false
}

// readOf is the named cluster's read, nil if it has not answered.
func (m *Model) readOf(name string) *clusterRead {
	for i := range m.reads {
		if r := &m.reads[i]; r.answered && r.health.Name == name {
			return r
		}
	}
	return nil
}

func (m *Model) onKey(k tea.KeyPressMsg) tea.Cmd {
	if k.String() == "ctrl+c" {
		return tea.Quit
	}
	if m.fleet.filtering {
		m.onFilterKey(k)
		return nil
	}
	switch {
	case key.Matches(k, m.keys.Quit):
		return tea.Quit
	case key.Matches(k, m.keys.Help):
		m.showHelp = !m.showHelp
		return nil
	case m.showHelp && key.Matches(k, m.keys.Back):
		m.showHelp = false
		return nil
	case key.Matches(k, m.keys.Refresh):
		return m.refresh()
	}
	if m.screen == screenCluster {
		m.onClusterKey(k)
	} else {
		m.onFleetKey(k)
	}
	return nil
}

func (m *Model) onFleetKey(k tea.KeyPressMsg) {
	bodyH := m.bodyHeight()
	page := max(1, bodyH-len(m.fleetPanel(bodyH))-1)
	switch {
	case key.Matches(k, m.keys.Up):
		m.fleet.move(-1)
	case key.Matches(k, m.keys.Down):
		m.fleet.move(1)
	case key.Matches(k, m.keys.PageUp):
		m.fleet.move(-page)
	case key.Matches(k, m.keys.PageDown):
		m.fleet.move(page)
	case key.Matches(k, m.keys.Top):
		m.fleet.move(-len(m.fleet.rows))
	case key.Matches(k, m.keys.Bottom):
		m.fleet.move(len(m.fleet.rows))
	case key.Matches(k, m.keys.Filter):
		m.fleet.filtering = true
	case key.Matches(k, m.keys.Back):
		if m.fleet.filter != "" {
			m.fleet.filter = ""
			m.fleet.apply()
		}
	case key.Matches(k, m.keys.Open):
		if c, ok := m.fleet.current(); ok {
			m.cluster.setData(&c, m.st, m.width)
			m.screen = screenCluster
			m.showHelp = false
		}
	}
}

func (m *Model) onClusterKey(k tea.KeyPressMsg) {
	h := m.bodyHeight()
	switch {
	case key.Matches(k, m.keys.Back):
		m.screen = screenFleet
	case key.Matches(k, m.keys.Up):
		m.cluster.scroll(-1, h)
	case key.Matches(k, m.keys.Down):
		m.cluster.scroll(1, h)
	case key.Matches(k, m.keys.PageUp):
		m.cluster.scroll(-h, h)
	case key.Matches(k, m.keys.PageDown):
		m.cluster.scroll(h, h)
	case key.Matches(k, m.keys.Top):
		m.cluster.scroll(-len(m.cluster.lines), h)
	case key.Matches(k, m.keys.Bottom):
		m.cluster.scroll(len(m.cluster.lines), h)
	}
}

// onFilterKey edits the filter; it applies as you type. Enter keeps it, esc drops it.
func (m *Model) onFilterKey(k tea.KeyPressMsg) {
	switch k.String() {
	case "enter":
		m.fleet.filtering = false
	case "esc":
		m.fleet.filtering = false
		m.fleet.filter = ""
	case "backspace":
		if r := []rune(m.fleet.filter); len(r) > 0 {
			m.fleet.filter = string(r[:len(r)-1])
		}
	case "ctrl+u":
		m.fleet.filter = ""
	default:
		if k.Text == "" {
			return
		}
		m.fleet.filter += k.Text
	}
	m.fleet.apply()
}

// header is the title, the fleet totals and how fresh the data is, flowed to the window's width.
func (m *Model) header() []string {
	title := render(m.st.title, "kfleet tui")
	now := m.opts.Now()
	var segs []string
	if m.answered == 0 {
		segs = []string{title, "collecting the fleet…"}
		if n := len(m.reads); n > 0 {
			segs = append(segs, fmt.Sprintf("%d clusters, %d at a time", n, min(n, m.sched.Concurrency())))
		}
	} else {
		segs = append([]string{title}, totals(m.fleet.all, len(m.reads))...)
		segs = append(segs, m.freshness(now)...)
	}
	if m.screen == screenCluster {
		if r := m.readOf(m.cluster.name); r != nil {
			s := fmt.Sprintf("%s read %s ago in %s", r.health.Name, now.Sub(r.at).Truncate(time.Second), r.took.Round(10*time.Millisecond))
			if r.health.Unreachable && !r.lastOK.IsZero() {
				s += fmt.Sprintf(", last seen %s ago", now.Sub(r.lastOK).Truncate(time.Second))
			}
			segs = append(segs, s)
		}
	}
	lines := flow(segs, "  ·  ", m.width)
	if l := m.overranLine(); l != "" {
		lines = append(lines, fit(render(m.st.bad, l), m.width))
	}
	return lines
}

// freshness says how often clusters are read, how many reads run and how many rows are stale.
func (m *Model) freshness(now time.Time) []string {
	every := m.sched.Every()
	s := "re-read every " + every.Round(100*time.Millisecond).String()
	if every > m.opts.Interval {
		s += fmt.Sprintf(" (%s stretched for %d clusters)", m.opts.Interval, len(m.reads))
	}
	segs := []string{s}
	if n := m.sched.Reading(); n > 0 {
		segs = append(segs, fmt.Sprintf("reading %d", n))
	}
	stale := 0
	for i := range m.fleet.all {
		if now.Sub(m.fleet.all[i].at) > m.sched.StaleAfter() {
			stale++
		}
	}
	if stale > 0 {
		segs = append(segs, render(m.st.warn, fmt.Sprintf("%d stale (%s: older than %s)", stale, staleMark, m.sched.StaleAfter().Round(100*time.Millisecond))))
	}
	return segs
}

// overranLine names the clusters whose read overran its deadline, whose older data shows.
func (m *Model) overranLine() string {
	var first, why string
	n := 0
	for i := range m.reads {
		if r := &m.reads[i]; r.overran != "" {
			if n == 0 {
				first, why = m.opts.Clusters[i], r.overran
			}
			n++
		}
	}
	switch n {
	case 0:
		return ""
	case 1:
		return fmt.Sprintf("%s: %s; showing its older data", first, oneLine(why))
	}
	return fmt.Sprintf("%s and %d more: %s; showing their older data", first, n-1, oneLine(why))
}

// footer is the filter prompt or the key help, and the scroll position.
func (m *Model) footer() string {
	switch {
	case m.fleet.filtering:
		return fit(fmt.Sprintf("filter: %s█  (%d of %d; enter keeps, esc clears)", m.fleet.filter, len(m.fleet.rows), len(m.fleet.all)), m.width)
	case m.screen == screenFleet && m.fleet.filter != "":
		return fit(fmt.Sprintf("filter %q: %d of %d clusters  ·  ", m.fleet.filter, len(m.fleet.rows), len(m.fleet.all))+m.help.ShortHelpView(m.keys.ShortHelp()), m.width)
	}
	return fit(m.help.ShortHelpView(m.keys.ShortHelp()), m.width)
}

// chrome is the header, cut so that the body keeps at least a table header and one row, and
// whether a blank line separates it from the body (not in a short window).
func (m *Model) chrome() (header []string, gap bool) {
	header = m.header()
	gap = m.height >= 12
	room := m.height - 1 - 2 // footer, body
	if gap {
		room--
	}
	if len(header) > max(1, room) {
		header = header[:max(1, room)]
	}
	return header, gap
}

// bodyHeight is what the header and the footer leave for the current view.
func (m *Model) bodyHeight() int {
	header, gap := m.chrome()
	h := m.height - len(header) - 1
	if gap {
		h--
	}
	return max(1, h)
}

// View draws the whole screen: never more lines than the window has, none wider than it.
func (m *Model) View() tea.View {
	header, gap := m.chrome()
	footer := m.footer()
	bodyH := m.bodyHeight()
	var body []string
	switch {
	case m.showHelp:
		m.help.ShowAll = true
		body = strings.Split(m.help.FullHelpView(m.keys.FullHelp()), "\n")
		m.help.ShowAll = false
		for i := range body {
			body[i] = fit(body[i], m.width)
		}
	case m.screen == screenCluster:
		body = m.cluster.view(m.width, bodyH)
	default:
		panel := m.fleetPanel(bodyH)
		body = append(panel, m.fleet.view(m.st, m.width, bodyH-len(panel), m.opts.Now(), m.sched.StaleAfter())...)
	}
	if len(body) > bodyH {
		body = body[:bodyH]
	}
	for len(body) < bodyH {
		body = append(body, "")
	}
	lines := make([]string, 0, m.height)
	lines = append(lines, header...)
	if gap {
		lines = append(lines, "")
	}
	lines = append(lines, body...)
	lines = append(lines, footer)
	if len(lines) > m.height {
		lines = lines[:max(1, m.height)]
	}
	v := tea.NewView(strings.Join(lines, "\n"))
	v.AltScreen = true
	v.WindowTitle = "kfleet tui"
	return v
}
