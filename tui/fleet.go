package tui

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

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
func sortWorstFirst(rs []fleetRow) {
	slices.SortStableFunc(rs, func(ra, rb fleetRow) int {
		a, b := ra.Health, rb.Health
		return cmp.Or(
			cmp.Compare(severityOf(a), severityOf(b)),
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

// fleetRow is one cluster as the fleet view lists it: its last answer and how fresh that is.
// The answer is the model's own, not a copy: the view is rebuilt whenever answers come in, and
// sorting small rows costs little.
type fleetRow struct {
	*cluster.Health
	at     time.Time // when the answer came
	lastOK time.Time // when the cluster last answered reachable; zero: never
}

// fleetView is the cluster list: sorted data, the filter, the cursor and the scroll position.
type fleetView struct {
	all       []fleetRow   // every cluster that has answered, worst first
	rows      []fleetRow   // all, filtered
	cells     [][]string   // rows as text, built once per batch of answers or filter change
	natural   [numCols]int // the columns' widths before the window squeezes them
	cursor    int
	offset    int
	selected  string // cursor's cluster name, kept across refreshes and re-sorting
	moved     bool   // the user moved the cursor; until then it stays on the first (worst) row
	filter    string
	filtering bool // the filter prompt has the keyboard
}

// setData lists rs, which it keeps: the caller builds a new slice for each call.
func (v *fleetView) setData(rs []fleetRow) {
	v.all = rs
	sortWorstFirst(v.all)
	v.apply()
}

// apply re-filters and puts the cursor back on the selected cluster when it is still listed.
// Before the user has moved it, the cursor stays on the first row: while a fleet's answers come
// in, it does not ride a healthy cluster down the list, scrolling the worst ones away.
func (v *fleetView) apply() {
	v.rows, v.cells = v.rows[:0], v.cells[:0]
	f := strings.ToLower(v.filter)
	for _, r := range v.all {
		if f == "" || strings.Contains(strings.ToLower(r.Name), f) {
			v.rows = append(v.rows, r)
			v.cells = append(v.cells, cells(r.Health))
		}
	}
	v.natural = naturalWidths(v.cells)
	if i := slices.IndexFunc(v.rows, func(r fleetRow) bool { return r.Name == v.selected }); i >= 0 && v.moved {
		v.cursor = i
	}
	v.move(0)
}

func (v *fleetView) move(delta int) {
	if delta != 0 {
		v.moved = true
	}
	v.cursor = max(0, min(v.cursor+delta, len(v.rows)-1))
	if len(v.rows) > 0 {
		v.selected = v.rows[v.cursor].Name
	}
}

func (v *fleetView) current() (cluster.Health, bool) {
	if v.cursor < 0 || v.cursor >= len(v.rows) {
		return cluster.Health{}, false
	}
	return *v.rows[v.cursor].Health, true
}

// fleet table columns. The operation takes what the window leaves, up to its widest cell (or
// an unreachable cluster's error, which spans the columns from CTRL to it); AGE comes last.
var fleetHeaders = []string{"CLUSTER", "BROKERS", "CTRL", "URP", "MINISR", "OFFLINE", "REASSIGN", "VERSIONS", "LEASE / OPERATION", "AGE"}

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
	colAge
	numCols
)

// shortOpHeader heads the operation column when the window leaves it too narrow for its name.
const shortOpHeader = "LEASE / OP"

// ageWidth is the AGE column: an age of at most three cells, right-aligned, then the stale mark.
const ageWidth = 4

// staleMark follows the age of a cluster whose last answer is stale.
const staleMark = "!"

// cells is one cluster's row as plain text, its age left to the view; an unreachable cluster
// has its error in place of everything from CTRL to the operation.
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
		versions(c), operation(c), ""}
}

// unreachableText is an unreachable cluster's error cell, with how long ago it last answered
// when it ever did.
func unreachableText(r *fleetRow, cell string, now time.Time) string {
	if r.lastOK.IsZero() {
		return cell
	}
	return fmt.Sprintf("UNREACHABLE (last seen %s ago): %s", ageText(now.Sub(r.lastOK)), oneLine(r.Error))
}

// ageCell is the AGE column of an answer that came at at: how old it is and, past staleAfter,
// the stale mark.
func ageCell(at, now time.Time, staleAfter time.Duration) string {
	age := now.Sub(at)
	mark := ""
	if age > staleAfter {
		mark = staleMark
	}
	return pad(ageText(age), ageWidth-1, true) + mark
}

// ageText is d in at most three cells: 7s, 42s, 3m, 5h, 2d.
func ageText(d time.Duration) string {
	switch s := int(max(d, 0) / time.Second); {
	case s < 60:
		return strconv.Itoa(s) + "s"
	case s < 60*60:
		return strconv.Itoa(s/60) + "m"
	case s < 100*60*60:
		return strconv.Itoa(s/3600) + "h"
	default:
		return strconv.Itoa(min(s/86400, 99)) + "d"
	}
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

// operation names the lease holder and where its operation stands (else what it last reported).
func operation(c *cluster.Health) string {
	l := c.Lease
	if l == nil {
		return "-"
	}
	if op := c.Operation; op != nil && (op.Batch > 0 || !op.HolderAlive) {
		return fmt.Sprintf("%s by %s: %s", cmp.Or(op.Purpose, "operation"), op.Holder, op.Progress(c.TakenAt))
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

// naturalWidths is each column's widest cell or header. The operation column is also as wide as
// an unreachable cluster's error needs beyond the columns it spans, so AGE comes after it.
func naturalWidths(rows [][]string) [numCols]int {
	var cw [numCols]int
	for i, h := range fleetHeaders {
		cw[i] = len(h)
	}
	longestErr := 0
	for _, cs := range rows {
		if len(cs) < numCols {
			cw[colName], cw[colBrokers] = max(cw[colName], len(cs[0])), max(cw[colBrokers], len(cs[1]))
			longestErr = max(longestErr, len(cs[2]))
			continue
		}
		for j, s := range cs {
			cw[j] = max(cw[j], len(s))
		}
	}
	spanned := colOp - colCtrl // the spaces between the spanned columns
	for i := colCtrl; i < colOp; i++ {
		spanned += cw[i]
	}
	cw[colOp] = max(cw[colOp], longestErr-spanned)
	cw[colAge] = ageWidth
	return cw
}

// layout decides column widths for a window w cells wide: numbers, the age and the name take
// their natural width; the operation, versions and name give way when the window is narrow.
func layout(cw [numCols]int, w int) [numCols]int {
	cw[colName] = min(cw[colName], 32)
	cw[colVersions] = min(cw[colVersions], 24)
	natural := cw[colOp]
	fixed := 2 + numCols - 1 // selection marker, one space between columns
	for i := range numCols {
		if i != colOp {
			fixed += cw[i]
		}
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
	cw[colOp] = max(min(cw[colOp], natural), 1)
	return cw
}

func (v *fleetView) headerLine(cw [numCols]int) string {
	parts := make([]string, numCols)
	for i, h := range fleetHeaders {
		parts[i] = pad(h, cw[i], i > colName && i < colVersions)
	}
	if cw[colOp] < len(fleetHeaders[colOp]) {
		parts[colOp] = pad(shortOpHeader, cw[colOp], false)
	}
	parts[colAge] = pad(fleetHeaders[colAge], ageWidth-1, true)
	return strings.TrimRight("  "+strings.Join(parts, " "), " ")
}

// rowLine renders one cluster as plain text in the given columns, age last.
func rowLine(cs []string, age string, cw [numCols]int, selected bool) string {
	marker := "  "
	if selected {
		marker = "> "
	}
	if len(cs) < numCols { // unreachable: the error spans the columns from CTRL to the operation
		rest := -1
		for i := colCtrl; i <= colOp; i++ {
			rest += cw[i] + 1
		}
		return strings.TrimRight(marker+pad(cs[0], cw[colName], false)+" "+pad(cs[1], cw[colBrokers], true)+" "+
			pad(cs[2], rest, false)+" "+age, " ")
	}
	parts := make([]string, numCols)
	for i, s := range cs {
		parts[i] = pad(s, cw[i], i > colName && i < colVersions)
	}
	parts[colAge] = age
	return marker + strings.TrimRight(strings.Join(parts, " "), " ")
}

// view renders the list into height lines of at most width cells, scrolled so the cursor shows.
// Ages are as of now; an answer older than staleAfter is marked stale.
func (v *fleetView) view(st styles, width, height int, now time.Time, staleAfter time.Duration) []string {
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
		r := &v.rows[i]
		cs := v.cells[i]
		if r.Unreachable && !r.lastOK.IsZero() {
			cs = []string{cs[0], cs[1], unreachableText(r, cs[2], now)}
		}
		line := fit(rowLine(cs, ageCell(r.at, now, staleAfter), cw, i == v.cursor), width)
		switch {
		case i == v.cursor:
			line = render(st.selected, line)
		default:
			line = render(rowStyle(st, severityOf(r.Health)), line)
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

// totals is the fleet summary in the header, over the clusters that have answered of the fleet's
// n.
func totals(rs []fleetRow, n int) []string {
	var down, sick, up, total, urp, minISR, offline, reassigning, leases int
	for i := range rs {
		c := rs[i].Health
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
	clusters := fmt.Sprintf("%d clusters", len(rs))
	if len(rs) < n {
		clusters = fmt.Sprintf("%d of %d clusters", len(rs), n)
	}
	return []string{
		fmt.Sprintf("%s: %d unreachable, %d unhealthy", clusters, down, sick),
		fmt.Sprintf("brokers %d/%d", up, total),
		fmt.Sprintf("URP %d", urp),
		fmt.Sprintf("under-min-ISR %d", minISR),
		fmt.Sprintf("offline %d", offline),
		fmt.Sprintf("reassigning %d", reassigning),
		fmt.Sprintf("operations %d", leases),
	}
}
