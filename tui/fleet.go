package tui

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"charm.land/lipgloss/v2"

	"github.com/kfleet/kfleet/ops/cluster"
)

// Severity orders clusters worst first: the fleet view lists them in this order.
type severity int

const (
	sevUnreachable severity = iota
	sevOffline
	sevUnderMinISR
	sevDegraded // under-replicated partitions or an inventory broker not alive
	sevUnhealthy
	sevHealthy
)

func severityOf(c *cluster.Health) severity {
	up, total := brokersUp(c)
	switch {
	case c.Unreachable:
		return sevUnreachable
	case c.Offline > 0:
		return sevOffline
	case c.UnderMinISR > 0:
		return sevUnderMinISR
	case c.UnderReplicated > 0 || up < total:
		return sevDegraded
	case !c.Healthy:
		return sevUnhealthy
	}
	return sevHealthy
}

// sortWorstFirst orders clusters by severity, then by how many partitions are in trouble, then
// by name, so the order is stable between refreshes of an unchanged fleet.
func sortWorstFirst(cs []cluster.Health) {
	slices.SortStableFunc(cs, func(a, b cluster.Health) int {
		return cmp.Or(
			cmp.Compare(severityOf(&a), severityOf(&b)),
			cmp.Compare(b.Offline, a.Offline),
			cmp.Compare(b.UnderMinISR, a.UnderMinISR),
			cmp.Compare(b.UnderReplicated, a.UnderReplicated),
			strings.Compare(a.Name, b.Name),
		)
	})
}

// brokersUp counts the inventory's brokers and how many of them are alive.
func brokersUp(c *cluster.Health) (up, total int) {
	for _, b := range c.Brokers {
		if b.InInventory {
			total++
			if b.Alive {
				up++
			}
		}
	}
	return up, total
}

// fleetView is the cluster list: sorted data, the filter, the cursor and the scroll position.
type fleetView struct {
	all       []cluster.Health // every cluster, worst first
	rows      []cluster.Health // all, filtered
	cells     [][]string       // rows as text, built once per refresh or filter change
	natural   [numCols]int     // the columns' widths before the window squeezes them
	cursor    int
	offset    int
	selected  string // cursor's cluster name, kept across refreshes and re-sorting
	filter    string
	filtering bool // the filter prompt has the keyboard
}

func (v *fleetView) setData(cs []cluster.Health) {
	v.all = slices.Clone(cs)
	sortWorstFirst(v.all)
	v.apply()
}

// apply re-filters and puts the cursor back on the selected cluster when it is still listed.
func (v *fleetView) apply() {
	v.rows, v.cells = v.rows[:0], v.cells[:0]
	f := strings.ToLower(v.filter)
	for _, c := range v.all {
		if f == "" || strings.Contains(strings.ToLower(c.Name), f) {
			v.rows = append(v.rows, c)
			v.cells = append(v.cells, cells(&c))
		}
	}
	v.natural = naturalWidths(v.cells)
	if i := slices.IndexFunc(v.rows, func(c cluster.Health) bool { return c.Name == v.selected }); i >= 0 {
		v.cursor = i
	}
	v.move(0)
}

func (v *fleetView) move(delta int) {
	v.cursor = max(0, min(v.cursor+delta, len(v.rows)-1))
	if len(v.rows) > 0 {
		v.selected = v.rows[v.cursor].Name
	}
}

func (v *fleetView) current() (cluster.Health, bool) {
	if v.cursor < 0 || v.cursor >= len(v.rows) {
		return cluster.Health{}, false
	}
	return v.rows[v.cursor], true
}

// fleet table columns. The last one (lease and operation) takes what the window leaves.
var fleetHeaders = []string{"CLUSTER", "BROKERS", "CTRL", "URP", "MINISR", "OFFLINE", "REASSIGN", "VERSIONS", "LEASE / OPERATION"}

const (
	colName = iota
	colBrokers
	colCtrl
	colURP
	colMinISR
	colOffline
	colReassign
	colVersions
	colOp
	numCols
)

// cells is one cluster's row as plain text; an unreachable cluster has its error in place of
// everything after the broker count.
func cells(c *cluster.Health) []string {
	up, total := brokersUp(c)
	if c.Unreachable {
		return []string{c.Name, fmt.Sprintf("?/%d", total), "UNREACHABLE: " + oneLine(c.Error)}
	}
	ctrl := "-"
	if c.Controller >= 0 {
		ctrl = strconv.Itoa(int(c.Controller))
	}
	return []string{c.Name, fmt.Sprintf("%d/%d", up, total), ctrl, strconv.Itoa(c.UnderReplicated),
		strconv.Itoa(c.UnderMinISR), strconv.Itoa(c.Offline), strconv.Itoa(c.Reassigning),
		versions(c), operation(c)}
}

// versions lists the running Kafka versions and flags a mixed cluster.
func versions(c *cluster.Health) string {
	switch len(c.Versions) {
	case 0:
		return "-"
	case 1:
		return c.Versions[0]
	}
	return "MIXED " + strings.Join(c.Versions, ",")
}

// operation names the lease holder and what its operation last reported.
func operation(c *cluster.Health) string {
	l := c.Lease
	if l == nil {
		return "-"
	}
	s := l.Holder
	if l.Purpose != "" {
		s = l.Purpose + " by " + l.Holder
	}
	if e, ok := latestEvent(c.Events, l.OpID); ok {
		s += ": " + oneLine(cmp.Or(e.Message, e.Kind))
	}
	return s
}

// latestEvent is the newest event of operation opID (any operation when opID is empty).
func latestEvent(events []cluster.OpEvent, opID string) (cluster.OpEvent, bool) {
	for i := len(events) - 1; i >= 0; i-- {
		if opID == "" || events[i].OpID == opID {
			return events[i], true
		}
	}
	return cluster.OpEvent{}, false
}

// naturalWidths is each column's widest cell or header.
func naturalWidths(rows [][]string) [numCols]int {
	var cw [numCols]int
	for i, h := range fleetHeaders {
		cw[i] = len(h)
	}
	for _, cs := range rows {
		if len(cs) < numCols {
			cs = cs[:2] // an unreachable row's error spans the rest
		}
		for j, s := range cs {
			cw[j] = max(cw[j], len(s))
		}
	}
	return cw
}

// layout decides column widths for a window w cells wide: numbers and the name take their
// natural width; the operation, versions and name give way when the window is narrow.
func layout(cw [numCols]int, w int) [numCols]int {
	cw[colName] = min(cw[colName], 32)
	cw[colVersions] = min(cw[colVersions], 24)
	fixed := 2 + numCols - 1 // selection marker, one space between columns
	for i := range colOp {
		fixed += cw[i]
	}
	cw[colOp] = w - fixed
	// Give way in order: the operation down to 10 cells, versions to 8, the name to 12.
	for _, shrink := range []struct{ col, min int }{{colVersions, 8}, {colName, 12}} {
		if cw[colOp] >= 10 {
			break
		}
		give := min(cw[shrink.col]-shrink.min, 10-cw[colOp])
		if give > 0 {
			cw[shrink.col] -= give
			cw[colOp] += give
		}
	}
	cw[colOp] = max(cw[colOp], 1)
	return cw
}

func (v *fleetView) headerLine(cw [numCols]int) string {
	parts := make([]string, numCols)
	for i, h := range fleetHeaders {
		parts[i] = pad(h, cw[i], i > colName && i < colVersions)
	}
	return "  " + strings.Join(parts, " ")
}

// rowLine renders one cluster as plain text in the given columns.
func rowLine(cs []string, cw [numCols]int, selected bool) string {
	marker := "  "
	if selected {
		marker = "> "
	}
	if len(cs) < numCols { // unreachable
		rest := 0
		for i := colCtrl; i < numCols; i++ {
			rest += cw[i] + 1
		}
		return marker + pad(cs[0], cw[colName], false) + " " + pad(cs[1], cw[colBrokers], true) + " " + fit(cs[2], rest-1)
	}
	parts := make([]string, numCols)
	for i, s := range cs {
		parts[i] = pad(s, cw[i], i > colName && i < colVersions)
	}
	return marker + strings.TrimRight(strings.Join(parts, " "), " ")
}

// view renders the list into height lines of at most width cells, scrolled so the cursor shows.
func (v *fleetView) view(st styles, width, height int) []string {
	if height < 2 {
		height = 2
	}
	cw := layout(v.natural, width)
	lines := []string{render(st.header, fit(v.headerLine(cw), width))}
	visible := height - 1
	if len(v.rows) == 0 {
		msg := "no clusters yet"
		if v.filter != "" {
			msg = fmt.Sprintf("no cluster name contains %q (esc clears the filter)", v.filter)
		}
		return append(lines, fit("  "+msg, width))
	}
	if v.cursor < v.offset {
		v.offset = v.cursor
	}
	if v.cursor >= v.offset+visible {
		v.offset = v.cursor - visible + 1
	}
	v.offset = max(0, min(v.offset, len(v.rows)-visible))
	for i := v.offset; i < len(v.rows) && i < v.offset+visible; i++ {
		c := &v.rows[i]
		line := fit(rowLine(v.cells[i], cw, i == v.cursor), width)
		switch {
		case i == v.cursor:
			line = render(st.selected, line)
		default:
			line = render(rowStyle(st, severityOf(c)), line)
		}
		lines = append(lines, line)
	}
	return lines
}

func rowStyle(st styles, s severity) lipgloss.Style {
	switch s {
	case sevUnreachable, sevOffline, sevUnderMinISR:
		return st.bad
	case sevDegraded, sevUnhealthy:
		return st.warn
	}
	return st.good
}

// totals is the fleet summary in the header.
func totals(cs []cluster.Health) []string {
	var down, sick, up, total, urp, minISR, offline, reassigning, leases int
	for i := range cs {
		c := &cs[i]
		u, t := brokersUp(c)
		up, total = up+u, total+t
		switch {
		case c.Unreachable:
			down++
		case !c.Healthy:
			sick++
		}
		urp += c.UnderReplicated
		minISR += c.UnderMinISR
		offline += c.Offline
		reassigning += c.Reassigning
		if c.Lease != nil {
			leases++
		}
	}
	return []string{
		fmt.Sprintf("%d clusters: %d unreachable, %d unhealthy", len(cs), down, sick),
		fmt.Sprintf("brokers %d/%d", up, total),
		fmt.Sprintf("URP %d", urp),
		fmt.Sprintf("under-min-ISR %d", minISR),
		fmt.Sprintf("offline %d", offline),
		fmt.Sprintf("reassigning %d", reassigning),
		fmt.Sprintf("operations %d", leases),
	}
}
