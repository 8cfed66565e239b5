package output

import (
	"fmt"
	"io"
	"strings"

	"github.com/kfleet/kfleet/ops/units"
	"github.com/kfleet/kfleet/reassign"
)

// printReassignPlan is the one table form of a plan.
func ReassignPlan(w io.Writer, p *reassign.Plan, all bool) {
	fmt.Fprintf(w, "reassignment plan for cluster %s: %d partition(s), %d replica move(s) for %d replica(s) on affected brokers, %s to copy\n",
		p.Cluster, len(p.Moves), p.ReplicaMoves, p.ReplicasLost, planBytes(p.Bytes, p.SizesKnown))
	if len(p.Affected) == 0 {
		fmt.Fprintln(w, "no affected broker: every registered broker serves and none was named")
	}
	for _, a := range p.Affected {
		fmt.Fprintf(w, "affected: broker %d (rack %s): %s\n", a.ID, orDash(a.Rack), a.Why)
	}
	Moves(w, p.Moves, p.SizesKnown, all)
	if len(p.Moves) > 0 {
		fmt.Fprintln(w)
		t := NewTable(w, "BROKER", "RACK", "STATE", "REPLICAS", "BYTES")
		for _, l := range p.Load {
			if l.ReplicasBefore == l.ReplicasAfter && !l.Affected && l.State == "alive" && !all && len(p.Load) > 30 {
				continue
			}
			_ = t.Append([]string{Cell(l.ID), orDash(l.Rack), l.State, fmt.Sprintf("%d -> %d", l.ReplicasBefore, l.ReplicasAfter),
				fmt.Sprintf("%s -> %s", planBytes(l.BytesBefore, p.SizesKnown), planBytes(l.BytesAfter, p.SizesKnown))})
		}
		_ = t.Render()
	}
	if len(p.Skipped) > 0 {
		names := make([]string, len(p.Skipped))
		for i, s := range p.Skipped {
			names[i] = s.String()
		}
		fmt.Fprintf(w, "\nleft alone, being reassigned already (%d): %s\n", len(names), strings.Join(names, ", "))
	}
	if len(p.Impossible) > 0 {
		fmt.Fprintf(w, "\ncannot be repaired (%d):\n", len(p.Impossible))
		for _, im := range p.Impossible {
			fmt.Fprintf(w, "  %s %v: %s\n", im, im.Replicas, im.Reason)
		}
	}
}

func Moves(w io.Writer, moves []reassign.Move, sizesKnown, all bool) {
	if len(moves) == 0 {
		return
	}
	const shown = 100
	fmt.Fprintln(w)
	t := NewTable(w, "PARTITION", "REPLICAS", "TARGET", "CHANGES", "BYTES", "NOTE")
	for i, m := range moves {
		if i == shown && !all {
			break
		}
		var ch, notes []string
		for _, c := range m.Changes {
			ch = append(ch, fmt.Sprintf("%d->%d (%s->%s)", c.From, c.To, orDash(c.FromRack), orDash(c.ToRack)))
			if c.Note != "" {
				notes = append(notes, c.Note)
			}
		}
		if m.Urgent {
			notes = append([]string{"at or below min ISR"}, notes...)
		}
		_ = t.Append([]string{m.String(), fmt.Sprint(m.Replicas), fmt.Sprint(m.Target), strings.Join(ch, " "),
			planBytes(m.Bytes, sizesKnown), strings.Join(notes, "; ")})
	}
	_ = t.Render()
	if len(moves) > shown && !all {
		fmt.Fprintf(w, "... and %d more (-v shows all; -o json prints Kafka's format)\n", len(moves)-shown)
	}
}

func planBytes(b int64, known bool) string {
	if !known {
		return "?"
	}
	return units.Bytes(b)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func Rate(r int64) string {
	if r <= 0 {
		return "none"
	}
	return fmt.Sprintf("%d B/s (%s/s)", r, units.Bytes(r))
}

func ReassignDryRun(w io.Writer, d *reassign.DryRun) {
	fmt.Fprintf(w, "\ndry run: would submit %d move(s) in %d wave(s) (the next move starts as soon as one finishes):\n", len(d.Moves), len(d.Waves))
	for i, wave := range d.Waves {
		names := make([]string, len(wave))
		for j, tp := range wave {
			names[j] = tp.String()
		}
		fmt.Fprintf(w, "  wave %d: %s\n", i+1, strings.Join(names, ", "))
	}
	if d.Throttles.Rate > 0 {
		fmt.Fprintf(w, "throttle %s: %s\n", Rate(d.Throttles.Rate), d.Throttles.Summary())
		if len(d.NoRate) > 0 {
			fmt.Fprintf(w, "  broker(s) %v are down: no rate is set there\n", d.NoRate)
		}
	}
	if len(d.Foreign) > 0 {
		fmt.Fprintf(w, "in flight, not started by this operation (apply refuses without --additional): %s\n", strings.Join(d.Foreign, ", "))
	}
}

// ReassignStatuses prints each cluster's reassign status, one section after another; a cluster
// that could not be read has no section (its error follows on stderr).
func ReassignStatuses(reports []*reassign.StatusReport) func(io.Writer) error {
	return func(w io.Writer) error {
		sections := 0
		for _, r := range reports {
			if r.Error != "" {
				continue
			}
			if sections > 0 {
				fmt.Fprintln(w)
			}
			ReassignStatus(w, r)
			sections++
		}
		return nil
	}
}

// ReassignStatus is one cluster's section of reassign status.
func ReassignStatus(w io.Writer, r *reassign.StatusReport) {
	fmt.Fprintf(w, "cluster %s: %d reassignment(s) in flight; %d under-replicated, %d under min ISR, %d offline\n",
		r.Cluster, len(r.InFlight), r.UnderReplicated, r.UnderMinISR, r.Offline)
	if len(r.InFlight) > 0 {
		t := NewTable(w, "PARTITION", "REPLICAS", "ADDING", "REMOVING", "PROGRESS", "STARTED BY")
		for _, f := range r.InFlight {
			prog := "?"
			if f.Percent >= 0 {
				prog = fmt.Sprintf("%.0f%% (%s of %s)", f.Percent, units.Bytes(f.Copied), units.Bytes(f.Bytes))
			}
			by := f.Op
			if by == "" {
				by = "not kfleet (this state dir)"
			}
			_ = t.Append([]string{f.String(), fmt.Sprint(f.Replicas), fmt.Sprint(f.Adding), fmt.Sprint(f.Removing), prog, by})
		}
		_ = t.Render()
	}
	if len(r.Operations) > 0 {
		fmt.Fprintln(w)
		t := NewTable(w, "OP", "STATUS", "MOVES DONE", "RUNNING", "THROTTLES LEFT", "LAST")
		for _, o := range r.Operations {
			_ = t.Append([]string{o.ID, o.Status, fmt.Sprintf("%d/%d", o.Done, o.Moves), Cell(o.Running),
				o.Throttles.Summary(), truncateText(o.Last, 60)})
		}
		_ = t.Render()
	}
	for _, wr := range r.Warnings {
		fmt.Fprintf(w, "warning: %s\n", wr)
	}
}

// CancelResult says what reassign cancel reverted and removed.
func CancelResult(res *reassign.CancelResult) func(io.Writer) error {
	return func(w io.Writer) error {
		fmt.Fprintf(w, "cluster %s: reverted %d move(s) of %s; removed %s\n", res.Cluster, len(res.Cancelled),
			strings.Join(res.Ops, ", "), res.Removed.Summary())
		if len(res.Reordered) > 0 {
			fmt.Fprintf(w, "put the old replica order (preferred leaders) back on %d partition(s): Kafka's cancel does not\n", len(res.Reordered))
		}
		if !res.Left.Empty() {
			fmt.Fprintf(w, "throttles left (their broker is down): %s\n", res.Left.Summary())
		}
		return nil
	}
}
