package main

import (
	"fmt"
	"io"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/cluster"
	"github.com/kfleet/kfleet/reassign"
	"github.com/kfleet/kfleet/rollout"
	"github.com/kfleet/kfleet/rollout/brokerconfig"
	"github.com/kfleet/kfleet/rollout/deploy"
	"github.com/kfleet/kfleet/rollout/operation"
)

// showPlan returns the one renderer of every operation's plan: what is printed before the
// confirmation, and with dryRun what --dry-run prints.
func (f *Factory) showPlan(dryRun bool) func(operation.Plan) error {
	return func(p operation.Plan) error {
		switch p := p.(type) {
		case *rollout.RollingPlan:
			return f.showRolling(p, dryRun)
		case *deploy.ReleasePlan:
			return f.showRelease(p, dryRun)
		case *brokerconfig.ApplyPlan:
			return f.showConfigApply(p, dryRun)
		case *reassign.ApplyPlan:
			return f.showReassignApply(p, dryRun)
		case *deploy.FinalizePlan:
			return nil // finalize prints its result once it is known
		}
		return fmt.Errorf("no renderer for a %T plan", p)
	}
}

// nothingToDo is what is said when a plan has no work ("": its renderer said it).
func nothingToDo(p operation.Plan) string {
	switch p.(type) {
	case *rollout.RollingPlan, *deploy.ReleasePlan:
		return "nothing to do: every selected broker is already done"
	case *reassign.ApplyPlan:
		return "nothing to move"
	}
	return ""
}

// planOutcome is the exit of a run that had nothing to do or succeeded: a reassignment that
// left partitions it cannot repair exits 3.
func planOutcome(p operation.Plan) error {
	if p, ok := p.(*reassign.ApplyPlan); ok {
		return p.Impossible()
	}
	return nil
}

// rollingDryRun is what --dry-run prints of a rolling operation with -o json|yaml.
type rollingDryRun struct {
	Op       string             `json:"op" yaml:"op"`
	Cluster  string             `json:"cluster" yaml:"cluster"`
	Batches  []rollout.Batch    `json:"batches" yaml:"batches"`
	GateNow  cluster.GateResult `json:"gate_now" yaml:"gate_now"`
	Settings any                `json:"settings" yaml:"settings"`
}

func (f *Factory) showRolling(p *rollout.RollingPlan, dryRun bool) error {
	if f.Output == formatTable {
		printRollingPlan(f.IO.Out, p)
	}
	if dryRun && f.Output != formatTable {
		return render(f.IO.Out, f.Output, rollingDryRun{Op: p.OpID, Cluster: p.Cluster, Batches: p.Batches,
			GateNow: p.GateNow, Settings: p.Journaled}, nil)
	}
	return nil
}

func printRollingPlan(w io.Writer, p *rollout.RollingPlan) {
	a := p.Settings
	fmt.Fprintf(w, "%s of cluster %s: %d broker(s) in %d batch(es), at most %d at once\n",
		p.Kind, p.Cluster, p.Work(), len(p.Batches), a.MaxParallel)
	t := newTable(w, "BATCH", "BROKERS", "WHY")
	for i, b := range p.Batches {
		_ = t.Append([]string{cell(i + 1), inventory.JoinIDs(b.Brokers), b.Why})
	}
	_ = t.Render()
	if len(p.Batches) > 0 {
		fmt.Fprintln(w, p.GateLine())
	}
	fmt.Fprintf(w, "timeouts: gate %s, stop %s, start %s, healthy %s; poll every %s, %d healthy polls to confirm\n",
		a.GateTimeout, a.StopTimeout, a.StartTimeout, a.HealthyTimeout, a.Poll, a.HealthyPolls)
	if len(a.PreStop)+len(a.PostStop)+len(a.PostStart) > 0 {
		fmt.Fprintf(w, "hooks: pre-stop %v, post-stop %v, post-start %v\n", a.PreStop, a.PostStop, a.PostStart)
	}
	fmt.Fprintln(w, "batches are re-formed before each one from the cluster's state then; the active controller stays last")
}
