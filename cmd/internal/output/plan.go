package output

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/reassign"
	"github.com/kfleet/kfleet/rollout"
	"github.com/kfleet/kfleet/rollout/brokerconfig"
	"github.com/kfleet/kfleet/rollout/deploy"
	"github.com/kfleet/kfleet/rollout/ensemble"
	"github.com/kfleet/kfleet/rollout/fleet"
	"github.com/kfleet/kfleet/rollout/operation"
)

// Printer renders results on a command's streams in its output format.
type Printer struct {
	IO      *IOStreams
	Format  string
	Verbose bool
}

// Plan returns the one renderer of every operation's plan: what is printed before the
// confirmation, and with dryRun what --dry-run prints.
func (pr Printer) Plan(dryRun bool) func(operation.Plan) error {
	return func(p operation.Plan) error {
		switch p := p.(type) {
		case *rollout.RollingPlan:
			return pr.RollingRun(p, dryRun)
		case *deploy.ReleasePlan:
			return pr.ReleasePlan(p, dryRun)
		case *brokerconfig.ApplyPlan:
			return pr.ConfigApplyPlan(p, dryRun)
		case *reassign.ApplyPlan:
			return pr.ReassignApplyPlan(p, dryRun)
		case *deploy.FinalizePlan:
			if !dryRun {
				return nil // finalize prints its result once it is known
			}
			// A resumed finalize's dry run (deploy finalize --dry-run renders its own).
			res := &FinalizeResult{FinalizePlan: *p, DryRun: true}
			return Render(pr.IO.Out, pr.Format, res, res.Text)
		case *fleet.FleetPlan:
			return pr.FleetPlan(p, dryRun)
		case *ensemble.Plan:
			return pr.EnsemblePlan(p, dryRun)
		}
		return fmt.Errorf("no renderer for a %T plan", p)
	}
}

// NothingToDo is what is said when a plan has no work ("": its renderer said it).
func NothingToDo(p operation.Plan) string {
	switch p.(type) {
	case *rollout.RollingPlan, *deploy.ReleasePlan:
		return "nothing to do: every selected broker is already done"
	case *reassign.ApplyPlan:
		return "nothing to move"
	case *ensemble.Plan:
		return "nothing to do: every zookeeper node is already restarted"
	}
	return ""
}

// RollingRun shows a rolling operation's batches before the confirmation, or with dryRun what
// --dry-run prints.
func (pr Printer) RollingRun(p *rollout.RollingPlan, dryRun bool) error {
	if pr.Format == FormatTable {
		RollingPlan(pr.IO.Out, p)
	}
	if dryRun && pr.Format != FormatTable {
		return Render(pr.IO.Out, pr.Format, RollingDryRun{Op: p.OpID, Cluster: p.Cluster, Batches: p.Batches,
			GateNow: p.GateNow, Settings: SettingsView(p.Journaled)}, nil)
	}
	return nil
}

// ReleasePlan shows the stage and activation plans before the engine's batch plan, and refuses
// a plan that would stage over a different release.
func (pr Printer) ReleasePlan(p *deploy.ReleasePlan, dryRun bool) error {
	w := pr.IO.Out
	h := p.Hosts
	if pr.Format != FormatTable {
		_ = json.NewEncoder(w).Encode(struct {
			Event    string           `json:"event"`
			Cluster  string           `json:"cluster"`
			Artifact *deploy.Artifact `json:"artifact,omitempty"`
			Plan     deploy.Plan      `json:"plan"`
		}{"deploy-plan", p.Cluster, p.Artifact, h})
	} else {
		if p.Artifact != nil && len(h.Stage) == 0 {
			fmt.Fprintf(w, "stage Kafka %s on cluster %s: nothing to stage\n", h.Version, p.Cluster)
		}
		if p.Artifact != nil && len(h.Stage) > 0 {
			fmt.Fprintf(w, "stage Kafka %s on cluster %s:\n", h.Version, p.Cluster)
			t := NewTable(w, "HOST", "BROKERS", "ACTION", "WHY")
			for _, s := range h.Stage {
				_ = t.Append([]string{s.Host, inventory.JoinIDs(s.Brokers), s.Action, s.Why})
			}
			_ = t.Render()
		}
		if len(h.Activated) > 0 {
			fmt.Fprintf(w, "already running Kafka %s from releases/%s (skipped): broker(s) %s\n", h.Version, h.Version, inventory.JoinIDs(h.Activated))
		}
		if len(h.Activate) > 0 {
			fmt.Fprintf(w, "activate Kafka %s on broker(s) %s: stop -> current -> releases/%s -> start -> confirm version -> wait healthy\n",
				h.Version, inventory.JoinIDs(h.Activate), h.Version)
		}
	}
	if err := p.Conflict(); err != nil {
		return err
	}
	return pr.RollingRun(p.Rolling, dryRun)
}

// ConfigApplyPlan shows what config apply changes (keys, file diffs, restarts); with dryRun the
// plan as JSON, or the restart plan after the table.
func (pr Printer) ConfigApplyPlan(p *brokerconfig.ApplyPlan, dryRun bool) error {
	plan := p.Config
	for _, w := range plan.Warnings {
		fmt.Fprintf(pr.IO.ErrOut, "warning: %s\n", w)
	}
	switch {
	case p.Resumed:
		return pr.RollingRun(p.Restart, dryRun)
	case dryRun && pr.Format != FormatTable:
		lists := *plan
		lists.Changes, lists.Files, lists.Restart = orEmpty(plan.Changes), orEmpty(plan.Files), orEmpty(plan.Restart)
		return Render(pr.IO.Out, pr.Format, &lists, nil)
	case dryRun:
		ConfigPlan(pr.IO.Out, plan)
		if p.Restart != nil {
			fmt.Fprintln(pr.IO.Out)
			return pr.RollingRun(p.Restart, true)
		}
	case plan.Empty() && pr.Format == FormatTable:
		fmt.Fprintf(pr.IO.Out, "nothing to change: %d broker(s) of %s match the inventory\n", p.Compared, plan.Cluster)
	case plan.Empty():
		NewEventPrinter(pr.IO, pr.Format).Print(rollout.Event{Time: time.Now().UTC(), Op: p.OpID, Kind: brokerconfig.EventUnchanged,
			Cluster: plan.Cluster, Message: "nothing to change"})
	case pr.Format == FormatTable:
		ConfigPlan(pr.IO.Out, plan)
		if p.Restart != nil {
			fmt.Fprintln(pr.IO.Out)
			RollingPlan(pr.IO.Out, p.Restart)
		}
	}
	return nil
}

// ReassignApplyPlan shows the moves, limits and throttle; with dryRun the waves as well.
func (pr Printer) ReassignApplyPlan(p *reassign.ApplyPlan, dryRun bool) error {
	for _, n := range p.Notes() {
		fmt.Fprintln(pr.IO.ErrOut, "note: "+n)
	}
	st := p.Args.Settings
	if pr.Format == FormatTable {
		switch {
		case p.Prepared != nil && p.Prepared.Plan != nil:
			ReassignPlan(pr.IO.Out, p.Prepared.Plan, pr.Verbose)
		case p.Prepared != nil:
			fmt.Fprintf(pr.IO.Out, "plan %s for cluster %s: %d move(s)\n", p.Args.Source, p.Cluster, len(p.Args.Moves))
			Moves(pr.IO.Out, p.Args.Moves, p.Args.SizesKnown, pr.Verbose)
		default:
			prior := p.Resumed.Prior
			fmt.Fprintf(pr.IO.Out, "resume %s on cluster %s: %d move(s): %d done, %d in flight, %d to start\n", p.OpID, p.Cluster,
				len(p.Args.Moves), len(prior.Done), len(prior.Running), len(p.Args.Moves)-len(prior.Done)-len(prior.Running))
		}
		fmt.Fprintf(pr.IO.Out, "at most %d move(s) in flight, %d per broker; throttle: %s; timeout %s\n",
			st.MaxMoves, st.MaxPerBroker, Rate(st.Throttle), st.Timeout)
	}
	if dryRun {
		if p.Prepared == nil {
			if pr.Format == FormatTable {
				return nil // the line above said it
			}
			prior := p.Resumed.Prior
			return Render(pr.IO.Out, pr.Format, ReassignResumeDryRun{Op: p.OpID, Cluster: p.Cluster, Moves: len(p.Args.Moves),
				Done: len(prior.Done), InFlight: len(prior.Running), ToStart: len(p.Args.Moves) - len(prior.Done) - len(prior.Running)}, nil)
		}
		d := p.DryRun()
		d.Waves, d.Impossible, d.Notes = orEmpty(d.Waves), orEmpty(d.Impossible), orEmpty(d.Notes)
		if err := Render(pr.IO.Out, pr.Format, d, func(w io.Writer) error {
			ReassignDryRun(w, d)
			return nil
		}); err != nil {
			return err
		}
		return p.Impossible()
	}
	return p.Refusal()
}

// ReassignResumeDryRun is `resume OP-ID --dry-run -o json` of a reassignment: where its moves
// stand.
type ReassignResumeDryRun struct {
	Op       string `json:"op" yaml:"op"`
	Cluster  string `json:"cluster" yaml:"cluster"`
	Moves    int    `json:"moves" yaml:"moves"`
	Done     int    `json:"done" yaml:"done"`
	InFlight int    `json:"in_flight" yaml:"in_flight"`
	ToStart  int    `json:"to_start" yaml:"to_start"`
}

// orEmpty is s, or an empty list for nil: machine output says "no items" as [], never null.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
