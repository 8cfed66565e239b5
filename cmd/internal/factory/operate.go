package factory

import (
	"context"
	"fmt"

	"github.com/kfleet/kfleet/cmd/internal/output"
	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/reassign"
	"github.com/kfleet/kfleet/rollout/operation"
)

// Deps are what an operation on cluster c needs from this process; inventoryPath is recorded in
// its journal for resume.
func (f *Factory) Deps(c *inventory.Cluster, inventoryPath string) (operation.Deps, error) {
	cl, err := f.Kafka(c)
	if err != nil {
		return operation.Deps{}, err
	}
	printer := output.NewEventPrinter(f.IO, f.Output)
	return operation.Deps{Client: cl, SSH: f.SSH(), StateDir: f.StateDir, Inventory: AbsPath(inventoryPath),
		Emit: printer.Print, Say: printer.Say}, nil
}

// Confirm asks question unless --yes.
func (f *Factory) Confirm(question string) error {
	if f.Yes {
		return nil
	}
	ok, err := f.IO.Confirm(question)
	if err != nil {
		return err
	}
	if !ok {
		return fault.Usagef("not confirmed; nothing was changed")
	}
	return nil
}

// Operate plans op, shows the plan, and unless it is a dry run or there is nothing to do, asks
// and executes it. A dry run then checks what the real run needs (Preflighter) and exits with
// the code the real run would give now. The first interrupt finishes the step under way (soft stop).
func (f *Factory) Operate(ctx context.Context, op operation.Operation, dryRun bool) error {
	plan, err := op.Plan(ctx)
	if err != nil {
		return err
	}
	if err := f.Printer().Plan(dryRun)(plan); err != nil {
		return err
	}
	if dryRun {
		// The code the real run would give now: SSH, ACLs, the lease and the gate checked.
		if pf, ok := op.(operation.Preflighter); ok {
			if err := pf.Preflight(ctx); err != nil {
				return err
			}
		}
		return nil
	}
	if plan.Work() == 0 {
		if msg := output.NothingToDo(plan); msg != "" {
			fmt.Fprintln(f.IO.ErrOut, msg)
		}
		return planOutcome(plan)
	}
	if err := f.Confirm(plan.Question()); err != nil {
		return err
	}
	if f.Output == output.FormatTable {
		fmt.Fprintf(f.IO.Out, "operation %s (journal in %s)\n", op.OpID(), f.StateDir)
	}
	if err := op.Execute(ctx, f.SoftStop()); err != nil {
		return err
	}
	return planOutcome(plan)
}

// Printer renders results on this command's streams and format.
func (f *Factory) Printer() output.Printer {
	return output.Printer{IO: f.IO, Format: f.Output, Verbose: f.Verbose}
}

// planOutcome is the exit of a run that had nothing to do or succeeded: a reassignment that
// left partitions it cannot repair exits 3.
func planOutcome(p operation.Plan) error {
	if p, ok := p.(*reassign.ApplyPlan); ok {
		return p.Impossible()
	}
	return nil
}
