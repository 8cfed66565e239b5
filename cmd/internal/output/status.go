package output

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kfleet/kfleet/ops/cluster"
)

// StatusTable is the human rendering of fleet health: one row per cluster, problems under it,
// the brokers of detail (per cluster) on request.
func StatusTable(clusters []cluster.Health, detail map[string][]int32, verbose bool) func(io.Writer) error {
	return statusTable(clusters, nil, detail, verbose)
}

// WatchTable is StatusTable for status --watch, whose rows are of different ages: each ends with
// how old it is (ages[i] for clusters[i]), marked "(stale)" past staleAfter.
func WatchTable(clusters []cluster.Health, ages []time.Duration, staleAfter time.Duration, detail map[string][]int32, verbose bool) func(io.Writer) error {
	return statusTable(clusters, func(i int) string {
		s := ages[i].Truncate(time.Second).String()
		if ages[i] < 10*time.Second { // a short --interval makes tenths worth showing
			s = ages[i].Round(100 * time.Millisecond).String()
		}
		if ages[i] > staleAfter {
			s += " (stale)"
		}
		return s
	}, detail, verbose)
}

// statusTable renders the table, with an AGE column when age is set.
func statusTable(clusters []cluster.Health, age func(i int) string, detail map[string][]int32, verbose bool) func(io.Writer) error {
	return func(w io.Writer) error {
		header := []string{"CLUSTER", "HEALTH", "BROKERS", "CONTROLLER", "PARTITIONS", "URP",
			"UNDER-MIN-ISR", "OFFLINE", "REASSIGNING", "VERSIONS", "METADATA", "LEASE"}
		if age != nil {
			header = append(header, "AGE")
		}
		t := NewTable(w, header...)
		for i, c := range clusters {
			row := clusterRow(c)
			if age != nil {
				row = append(row, age(i))
			}
			if err := t.Append(row); err != nil {
				return err
			}
		}
		if err := t.Render(); err != nil {
			return err
		}
		for _, c := range clusters {
			printClusterNotes(w, c, verbose)
		}
		if len(detail) == 0 {
			return nil
		}
		fmt.Fprintln(w)
		bt := NewTable(w, "CLUSTER", "BROKER", "HOST", "RACK", "ALIVE", "VERSION", "LEADERS", "REPLICAS", "URP")
		for _, c := range clusters {
			want := map[int32]bool{}
			for _, id := range detail[c.Name] {
				want[id] = true
			}
			for _, b := range c.Brokers {
				if !want[b.ID] {
					continue
				}
				if err := bt.Append(brokerRow(c, b)); err != nil {
					return err
				}
			}
		}
		return bt.Render()
	}
}

func clusterRow(c cluster.Health) []string {
	alive := 0
	inv := 0
	for _, b := range c.Brokers {
		if b.InInventory {
			inv++
			if b.Alive {
				alive++
			}
		}
	}
	health := "healthy"
	switch {
	case c.Unreachable:
		health = "UNREACHABLE"
	case !c.Healthy:
		health = "UNHEALTHY"
	}
	if c.Unreachable {
		return []string{c.Name, health, fmt.Sprintf("?/%d", inv), "-", "-", "-", "-", "-", "-", "-", c.MetadataLabel(), "-"}
	}
	versions := strings.Join(c.Versions, ",")
	if len(c.Versions) > 1 {
		versions += " (mixed)"
	}
	if versions == "" {
		versions = "-"
	}
	lease := "-"
	if op := c.Operation; op != nil {
		lease = fmt.Sprintf("%s by %s: %s", op.Purpose, op.Holder, op.Progress(c.TakenAt))
	} else if c.Lease != nil {
		lease = fmt.Sprintf("%s: %s", c.Lease.Holder, c.Lease.Purpose)
	}
	controller := "-"
	if c.Controller >= 0 {
		controller = Cell(c.Controller)
	}
	return []string{c.Name, health, fmt.Sprintf("%d/%d", alive, inv), controller, Cell(c.Partitions),
		Cell(c.UnderReplicated), Cell(c.UnderMinISR), Cell(c.Offline), Cell(c.Reassigning), versions, c.MetadataLabel(), lease}
}

func printClusterNotes(w io.Writer, c cluster.Health, verbose bool) {
	if c.Unreachable {
		fmt.Fprintf(w, "\n%s: %s\n", c.Name, c.Error)
		return
	}
	// Every note comes under a line naming its cluster: a fleet's notes must not run together.
	named := false
	name := func() {
		if !named {
			fmt.Fprintf(w, "\n%s:\n", c.Name)
			named = true
		}
	}
	if len(c.Problems) > 0 {
		name()
		for _, p := range c.Problems {
			fmt.Fprintf(w, "  - %s\n", p)
		}
		for _, p := range c.ProblemPartitions {
			fmt.Fprintf(w, "    %s %s: leader %d, replicas %v, isr %v\n", p.Kind, p.Partition, p.Leader, p.Replicas, p.ISR)
		}
	}
	if op := c.Operation; op != nil {
		fmt.Fprintf(w, "\n%s: operation %s (%s) by %s since %s: %s; lease expires %s",
			c.Name, op.OpID, op.Purpose, op.Holder, op.Since.Local().Format("15:04:05"), op.Progress(c.TakenAt),
			op.LeaseExpires.Local().Format("15:04:05"))
		if op.Last != "" {
			fmt.Fprintf(w, "; last: %s", op.Last)
		}
		if op.HolderGone != "" {
			fmt.Fprintf(w, "; its holder is gone (%s): `kfleet resume %s` takes it over", op.HolderGone, op.OpID)
		}
		fmt.Fprintln(w)
		named = true
	}
	if z := c.ZooKeeper; z != nil && (verbose || !z.Healthy) {
		name()
		parts := make([]string, len(z.Nodes))
		for i, n := range z.Nodes {
			parts[i] = fmt.Sprintf("%d (%s) %s", n.ID, n.Address, n.State())
		}
		fmt.Fprintf(w, "  zookeeper: %s\n", strings.Join(parts, ", "))
	}
	warn := func(format string, args ...any) {
		name()
		fmt.Fprintf(w, "  ! "+format+"\n", args...)
	}
	allWarnings := verbose || len(c.Problems) > 0
	if allWarnings {
		for _, m := range c.Warnings {
			warn("%s", m)
		}
	} else if c.MetadataVersionSupported != nil {
		// A deploy left unfinalized is the operator's to finish: always say so.
		for _, m := range c.Warnings {
			if strings.Contains(m, "deploy finalize") {
				warn("%s", m)
			}
		}
	}
	for _, b := range c.Brokers {
		if !allWarnings {
			// A broker whose inventory entry is wrong is the wrong one to act on: always say so.
			for _, m := range b.IdentityWarnings() {
				warn("%s", m)
			}
		}
		if b.VersionError != "" && (verbose || b.Alive) {
			warn("broker %d (%s): version unknown: %s", b.ID, b.Host, b.VersionError)
		}
	}
}

func brokerRow(c cluster.Health, b cluster.BrokerHealth) []string {
	alive := b.AliveLabel(c.Unreachable)
	version := b.Version
	if version == "" {
		version = "-"
	}
	id := Cell(b.ID)
	if !b.InInventory {
		id += " (not in inventory)"
	}
	return []string{c.Name, id, b.Host, b.Rack, alive, version, Cell(b.Leaders), Cell(b.Replicas), Cell(b.UnderReplicated)}
}
