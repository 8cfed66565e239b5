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
)

// Options configure the live view.
type Options struct {
	Source   Source
	Interval time.Duration // between refreshes; <= 0 -> 2s
	Timeout  time.Duration // for one whole collection; <= 0 -> 30s
	Color    bool          // false: no escape sequences for color (NO_COLOR, --no-color)
	Logger   *slog.Logger  // nil: discard
	Now      func() time.Time
	// FleetOps reads the fleet operations shown above the cluster table; nil: none shown.
	FleetOps FleetOpsReader
}

type screen int

const (
	screenFleet screen = iota
	screenCluster
)

// Model is the root model: it owns the data and the refresh cycle and routes keys to the fleet
// or the cluster view.
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

	clusters    []cluster.Health // as last collected
	collectedAt time.Time        // when the last successful collection started
	took        time.Duration
	refreshing  bool
	lastErr     string
	refreshes   int

	fleetOps    []FleetOp // as last read
	readingOps  bool
	fleetOpsErr string // the last read failed; fleetOps is older
}

// New builds the model; ctx bounds every collection it starts.
func New(ctx context.Context, o Options) *Model {
	if o.Interval <= 0 {
		o.Interval = 2 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
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
	return &Model{ctx: ctx, opts: o, log: log, keys: defaultKeys(), help: h, st: st, width: 80, height: 24}
}

// Init starts the first collection and the refresh clock.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(m.refresh(), tick(m.opts.Interval))
}

// refresh starts a collection and a read of the fleet operations, each unless one is already
// running: the local read does not wait for a slow cluster.
func (m *Model) refresh() tea.Cmd {
	return tea.Batch(m.collect(), m.readFleetOps())
}

func (m *Model) collect() tea.Cmd {
	if m.refreshing || m.opts.Source == nil {
		return nil
	}
	m.refreshing = true
	return collect(m.ctx, m.opts.Source, m.opts.Timeout)
}

func (m *Model) readFleetOps() tea.Cmd {
	if m.readingOps || m.opts.FleetOps == nil {
		return nil
	}
	m.readingOps = true
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
		return m, tea.Batch(m.refresh(), tick(m.opts.Interval))
	case refreshedMsg:
		m.onRefreshed(msg)
		return m, nil
	case fleetOpsMsg:
		m.onFleetOps(msg)
		return m, nil
	case tea.KeyPressMsg:
		return m, m.onKey(msg)
	}
	return m, nil
}

func (m *Model) onRefreshed(msg refreshedMsg) {
	m.refreshing = false
	if msg.err != nil {
		m.lastErr = msg.err.Error()
		m.log.Warn("fleet refresh failed", "err", msg.err, "took", msg.took)
		return
	}
	m.refreshes++
	m.lastErr = ""
	m.clusters, m.collectedAt, m.took = msg.clusters, msg.started, msg.took
	m.fleet.setData(msg.clusters)
	if m.screen == screenCluster {
		if c, ok := m.find(m.cluster.name); ok {
			m.cluster.setData(&c, m.st, m.width)
		}
	}
	var down, sick int
	for i := range msg.clusters {
		switch c := &msg.clusters[i]; {
		case c.Unreachable:
			down++
			m.log.Debug("cluster unreachable", "cluster", c.Name, "err", c.Error)
		case !c.Healthy:
			sick++
		}
	}
	m.log.Info("fleet refreshed", "clusters", len(msg.clusters), "unreachable", down, "unhealthy", sick, "took", msg.took)
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
	for _, c := range m.clusters {
		if c.Name == name {
			return c, true
		}
	}
	return cluster.Health{}, false
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

// header is the title, the fleet totals and the data's age, flowed to the window's width.
func (m *Model) header() []string {
	title := render(m.st.title, "kfleet tui")
	var segs []string
	if m.collectedAt.IsZero() {
		segs = []string{title, "collecting the fleet…"}
	} else {
		segs = append([]string{title}, totals(m.clusters)...)
		age := m.opts.Now().Sub(m.collectedAt).Truncate(time.Second)
		segs = append(segs, fmt.Sprintf("data %s old (read in %s)", age, m.took.Round(10*time.Millisecond)))
	}
	if m.refreshing && !m.collectedAt.IsZero() {
		segs = append(segs, "refreshing…")
	}
	lines := flow(segs, "  ·  ", m.width)
	if m.lastErr != "" {
		lines = append(lines, fit(render(m.st.bad, "refresh failed: "+oneLine(m.lastErr)+"; showing older data"), m.width))
	}
	return lines
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
		body = append(panel, m.fleet.view(m.st, m.width, bodyH-len(panel))...)
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
