package tui

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/cluster"
)

// eventsShown is how many of a cluster's latest operation events the cluster view lists.
const eventsShown = 12

// clusterView is one cluster in detail. Its lines are built when data arrives, not on every
// frame, so scrolling a large cluster costs nothing.
type clusterView struct {
	name   string
	health cluster.Health
	st     styles
	width  int // lines were laid out for this width
	lines  []string
	offset int
}

func (v *clusterView) setData(c *cluster.Health, st styles, width int) {
	if v.name != c.Name {
		v.offset = 0
	}
	v.name, v.health, v.st, v.width = c.Name, *c, st, width
	v.lines = clusterLines(c, st, width)
}

// resize lays the page out again for a new window width.
func (v *clusterView) resize(width int) {
	if v.name != "" && width != v.width {
		v.setData(&v.health, v.st, width)
	}
}

func (v *clusterView) scroll(delta, height int) {
	v.offset = max(0, min(v.offset+delta, len(v.lines)-height))
}

// view shows height lines from the scroll position, each cut to width.
func (v *clusterView) view(width, height int) []string {
	v.offset = max(0, min(v.offset, len(v.lines)-height))
	end := min(len(v.lines), v.offset+height)
	out := make([]string, 0, end-v.offset)
	for _, l := range v.lines[v.offset:end] {
		out = append(out, fit(l, width))
	}
	return out
}

// clusterLines renders the whole detail page: summary, brokers, problems, reassignments, events.
func clusterLines(c *cluster.Health, st styles, width int) []string {
	var out []string
	section := func(title string) {
		out = append(out, "", render(st.header, title))
	}
	verdict := render(st.good, "healthy")
	switch {
	case c.Unreachable:
		verdict = render(st.bad, "UNREACHABLE")
	case !c.Healthy:
		verdict = render(st.bad, "UNHEALTHY")
	}
	up, total := brokersUp(c)
	out = append(out, render(st.title, c.Name)+"  "+verdict)
	if c.Unreachable {
		out = append(out, render(st.bad, "error: "+oneLine(c.Error)))
	} else {
		ctrl := "-"
		if c.Controller >= 0 {
			ctrl = strconv.Itoa(int(c.Controller))
		}
		out = append(out, flow([]string{fmt.Sprintf("brokers %d/%d", up, total), "controller " + ctrl,
			fmt.Sprintf("partitions %d", c.Partitions), fmt.Sprintf("URP %d", c.UnderReplicated),
			fmt.Sprintf("under-min-ISR %d", c.UnderMinISR), fmt.Sprintf("offline %d", c.Offline),
			fmt.Sprintf("reassigning %d", c.Reassigning), "versions " + versions(c), "metadata " + c.MetadataLabel()}, "  ", width)...)
		out = append(out, "lease "+operation(c))
	}

	section("BROKERS")
	out = append(out, brokerLines(c)...)
	if z := c.ZooKeeper; z != nil {
		section(fmt.Sprintf("ZOOKEEPER (%d of %d voters in sync)", z.Synced, z.Voters))
		out = append(out, zooKeeperLines(z)...)
	}

	if len(c.Problems) > 0 {
		section("PROBLEMS")
		for _, p := range c.Problems {
			out = append(out, render(st.bad, "  - "+oneLine(p)))
		}
	}
	if len(c.ProblemPartitions) > 0 {
		section(fmt.Sprintf("PROBLEM PARTITIONS (%d shown, worst first)", len(c.ProblemPartitions)))
		rows := [][]string{{"PARTITION", "PROBLEM", "LEADER", "REPLICAS", "ISR"}}
		for _, p := range c.ProblemPartitions {
			leader := "none"
			if p.Leader >= 0 {
				leader = strconv.Itoa(int(p.Leader))
			}
			rows = append(rows, []string{p.Partition, p.Kind.String(), leader, ids(p.Replicas), ids(p.ISR)})
		}
		out = append(out, table(rows, nil)...)
	}
	if c.Snapshot != nil && len(c.Snapshot.Reassignments) > 0 {
		section(fmt.Sprintf("REASSIGNMENTS IN FLIGHT (%d)", len(c.Snapshot.Reassignments)))
		out = append(out, reassignmentLines(c.Snapshot)...)
	}

	if ops := recentOperations(c); len(ops) > 1 {
		section("OPERATIONS (newest first)")
		out = append(out, table(ops, nil)...)
	}

	section("OPERATION EVENTS (newest first)")
	if len(c.Events) == 0 {
		out = append(out, "  none recorded")
	}
	lastOp := "\x00"
	for i := len(c.Events) - 1; i >= 0 && i >= len(c.Events)-eventsShown; i-- {
		e := c.Events[i]
		if e.OpID != lastOp { // events come grouped under their operation, newest first
			lastOp = e.OpID
			out = append(out, render(st.title, "  "+cmp.Or(e.OpID, "(no operation id)"))+"  "+e.Holder)
		}
		out = append(out, fmt.Sprintf("    %s  %-12s %s", e.Time.Local().Format("15:04:05"), e.Kind, oneLine(e.Message)))
	}
	if len(c.Warnings) > 0 {
		section("WARNINGS")
		for _, w := range c.Warnings {
			out = append(out, render(st.warn, "  ! "+oneLine(w)))
		}
	}
	return out
}

func brokerLines(c *cluster.Health) []string {
	rows := [][]string{{"ID", "HOST", "RACK", "ALIVE", "VERSION", "LEADERS", "REPLICAS", "URP"}}
	for _, b := range c.Brokers {
		alive := b.AliveLabel(c.Unreachable)
		id := strconv.Itoa(int(b.ID))
		if !b.InInventory {
			id += "*"
		}
		rows = append(rows, []string{id, b.Host, cmp.Or(b.Rack, "-"), alive, cmp.Or(b.Version, "-"),
			strconv.Itoa(b.Leaders), strconv.Itoa(b.Replicas), strconv.Itoa(b.UnderReplicated)})
	}
	return table(rows, map[int]bool{0: true, 5: true, 6: true, 7: true})
}

// recentOperations is the cluster's recent operations, from its event log, newest first: each
// with how it ended (its last milestone: done, halted, refused, interrupted, aborted; running
// while it holds the lease), when it started and its last message. The first row is the header.
func recentOperations(c *cluster.Health) [][]string {
	type op struct {
		id, holder, outcome, last string
		first, latest             time.Time
	}
	var order []string
	seen := map[string]*op{}
	for _, e := range c.Events {
		o := seen[e.OpID]
		if o == nil {
			o = &op{id: cmp.Or(e.OpID, "(no operation id)"), holder: e.Holder, first: e.Time, outcome: "?"}
			seen[e.OpID] = o
			order = append(order, e.OpID)
		}
		o.latest = e.Time
		if e.Message != "" {
			o.last = e.Message
		}
		switch e.Kind {
		case "finished":
			o.outcome = "done"
		case "halted", "refused", "interrupted", "aborted", "failed":
			o.outcome = e.Kind
		}
	}
	rows := [][]string{{"OPERATION", "OUTCOME", "STARTED", "HOLDER", "LAST"}}
	for i := len(order) - 1; i >= 0; i-- {
		o := seen[order[i]]
		if c.Lease != nil && c.Lease.OpID == order[i] {
			o.outcome = "running"
		}
		rows = append(rows, []string{o.id, o.outcome, o.first.Local().Format("15:04:05"), o.holder, oneLine(o.last)})
	}
	return rows
}

// zooKeeperLines is the ensemble, node by node.
func zooKeeperLines(z *cluster.ZooKeeperHealth) []string {
	rows := [][]string{{"NODE", "ADDRESS", "STATE", "OUTSTANDING"}}
	for _, n := range z.Nodes {
		state := n.State()
		if n.Error != "" {
			state += ": " + oneLine(n.Error)
		}
		rows = append(rows, []string{strconv.Itoa(n.ID), n.Address, state, strconv.FormatInt(n.Outstanding, 10)})
	}
	return table(rows, map[int]bool{0: true, 3: true})
}

// reassignmentLines shows each in-flight move with its progress: how many of the replicas being
// added have joined the ISR, and which replicas will be dropped when they all have.
func reassignmentLines(s *cluster.Snapshot) []string {
	isr := reassigningISR(s)
	rows := [][]string{{"PARTITION", "REPLICAS", "ADDING", "REMOVING", "IN SYNC"}}
	for _, r := range s.Reassignments {
		name := r.Topic + "-" + strconv.Itoa(int(r.Partition))
		inSync := 0
		for _, id := range r.Adding {
			if slices.Contains(isr[name], id) {
				inSync++
			}
		}
		progress := "-"
		if len(r.Adding) > 0 {
			progress = fmt.Sprintf("%d/%d added", inSync, len(r.Adding))
		}
		rows = append(rows, []string{name, ids(r.Replicas), ids(r.Adding), ids(r.Removing), progress})
	}
	return table(rows, nil)
}

// reassigningISR finds the ISR of every partition under reassignment, in one pass.
func reassigningISR(s *cluster.Snapshot) map[string][]int32 {
	want := make(map[string]bool, len(s.Reassignments))
	topics := map[string]bool{}
	for _, r := range s.Reassignments {
		want[r.Topic+"-"+strconv.Itoa(int(r.Partition))] = true
		topics[r.Topic] = true
	}
	out := make(map[string][]int32, len(want))
	for i := range s.Partitions {
		p := &s.Partitions[i]
		if int(p.Topic) >= len(s.Topics) || !topics[s.Topics[p.Topic].Name] {
			continue
		}
		if name := s.PartitionName(p); want[name] {
			out[name] = p.ISR
		}
	}
	return out
}

func ids(v []int32) string {
	if len(v) == 0 {
		return "-"
	}
	return inventory.JoinIDs(v)
}

// table aligns rows (the first is the header) into columns two spaces apart, indented by two.
func table(rows [][]string, right map[int]bool) []string {
	var w []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(w) {
				w = append(w, 0)
			}
			w[i] = max(w[i], len(c))
		}
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		parts := make([]string, len(r))
		for j, c := range r {
			parts[j] = pad(c, w[j], right[j])
		}
		out[i] = strings.TrimRight("  "+strings.Join(parts, "  "), " ")
	}
	return out
}
