package main

import (
	"context"
	"fmt"
	"time"

	"github.com/kfleet/kfleet/cmd/internal/output"
	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/rollout/operation"
)

// deps are what an operation on cluster c needs from this process; inventoryPath is recorded in
// its journal for resume.
func (f *Factory) deps(c *inventory.Cluster, inventoryPath string) (operation.Deps, error) {
	cl, err := f.Kafka(c)
	if err != nil {
		return operation.Deps{}, err
	}
	printer := output.NewEventPrinter(f.IO, f.Output)
	return operation.Deps{Client: cl, SSH: f.SSH(), StateDir: f.StateDir, Inventory: absPath(inventoryPath),
		Emit: printer.Print, Say: f.say}, nil
}

// say shows one line of progress on stderr.
func (f *Factory) say(format string, args ...any) {
	fmt.Fprintf(f.IO.ErrOut, time.Now().Format("15:04:05")+"   "+format+"\n", args...)
}

// confirm asks question unless --yes.
func (f *Factory) confirm(question string) error {
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

// operationRun is one planned operation the command line shows, confirms and runs.
type operationRun struct {
	op     operation.Operation
	opID   string
	dryRun bool
	// show renders the plan (and, with dryRun, everything --dry-run prints); an error refuses
	// the run before anything changed.
	show func(p operation.Plan) error
}

// operate plans, shows the plan, and unless it is a dry run or there is nothing to do, asks and
// executes. The first interrupt finishes the step under way (soft stop).
func (f *Factory) operate(ctx context.Context, r operationRun) error {
	plan, err := r.op.Plan(ctx)
	if err != nil {
		return err
	}
	if err := r.show(plan); err != nil {
		return err
	}
	if r.dryRun {
		return nil
	}
	if plan.Work() == 0 {
		if msg := output.NothingToDo(plan); msg != "" {
			fmt.Fprintln(f.IO.ErrOut, msg)
		}
		return planOutcome(plan)
	}
	if err := f.confirm(plan.Question()); err != nil {
		return err
	}
	if f.Output == output.FormatTable {
		fmt.Fprintf(f.IO.Out, "operation %s (journal in %s)\n", r.opID, f.StateDir)
	}
	if err := r.op.Execute(ctx, f.SoftStop()); err != nil {
		return err
	}
	return planOutcome(plan)
}

// printer renders results on this command's streams and format.
func (f *Factory) printer() output.Printer {
	return output.Printer{IO: f.IO, Format: f.Output, Verbose: f.Verbose}
}
