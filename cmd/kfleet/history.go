package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kfleet/kfleet/cmd/internal/factory"
	"github.com/kfleet/kfleet/cmd/internal/output"
	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/journal"
	"github.com/kfleet/kfleet/rollout/fleet"
	"github.com/kfleet/kfleet/rollout/operation"
)

func newHistoryCmd(f *factory.Factory) *cobra.Command {
	var kind, status string
	cmd := &cobra.Command{
		Use:   "history",
		Short: "List operations from the local journal (newest first)",
		Long: `List every operation this machine started, from the journals in --state-dir: id, kind, cluster,
how it ended, when, and how many brokers are done. Kinds: restart, deploy, rollback, finalize,
config-apply, patch-run, patch-hook (each patch pre and post call), reassign-apply,
reassign-cancel, zookeeper-restart, fleet. How it ended, in the words of its exit code: done
(0), halted (1: a step failed mid-way), failed (1, 2 or 69: it ended before it changed anything),
refused (75: the lease was held or the safety gate closed; nothing changed), interrupted (130:
Ctrl-C, the step under way finished), aborted (130: a second Ctrl-C cut a step short), running
(no end recorded: still running, or its process died). A halted, refused, interrupted or aborted
operation continues with 'kfleet resume OP-ID'.`,
		Example: `  kfleet history -c payments-prod
  kfleet history --kind restart --status halted -o json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if status != "" && !slices.Contains(journal.Statuses, status) {
				return fault.Usagef("--status %q: one of %s", status, strings.Join(journal.Statuses, ", "))
			}
			names, err := historyClusters(f)
			if err != nil {
				return err
			}
			ops, err := journal.List(f.StateDir, journal.Filter{Clusters: names, Kind: kind, Status: status})
			if err != nil {
				return err
			}
			if ops == nil {
				ops = []*journal.Entry{}
			}
			// Machine output shows each operation's settings with durations as text.
			shown := make([]*journal.Entry, len(ops))
			for i, e := range ops {
				c := *e
				c.Op.Args = output.JournaledSettings(e.Op.Kind, e.Op.Args)
				shown[i] = &c
			}
			return output.Render(f.IO.Out, f.Output, struct {
				Ops []*journal.Entry `json:"operations" yaml:"operations"`
			}{shown}, func(w io.Writer) error { return output.History(w, ops) })
		},
	}
	cmd.Flags().StringVar(&kind, "kind", "", "only operations of this kind (restart, deploy, config-apply, ...)")
	cmd.Flags().StringVar(&status, "status", "", "only operations that ended so: "+strings.Join(journal.Statuses, ", "))
	return cmd
}

func newResumeCmd(f *factory.Factory) *cobra.Command {
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "resume OP-ID",
		Short: "Continue a halted or interrupted operation",
		Long: `Continue an operation from its journal with the settings it was started with. Brokers whose
batch finished are skipped, and so are brokers of the cut-short batch that already run a new
process; the rest are rolled with the same safety gate, lease and journal.

The inventory is the one the operation recorded unless -i is given.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return fault.Usagef("resume takes one operation id (see kfleet history)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return resume(cmd.Context(), f, args[0], cmd.Flags().Changed("inventory"), dryRun)
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "show what would still be done; change nothing")
	return cmd
}

// historyClusters are the clusters history lists: -c names as given (a cluster gone from the
// inventory still has a history), unless -l or a -c glob asks the inventory to select them. A name
// that is neither in the inventory nor in any journal is a typo: exit 2, as for every command.
func historyClusters(f *factory.Factory) ([]string, error) {
	globs := slices.ContainsFunc(f.Clusters, func(c string) bool { return strings.ContainsAny(c, "*?[") })
	if len(f.Selectors) == 0 && !globs {
		for _, name := range f.Clusters {
			if err := knownCluster(f, name); err != nil {
				return nil, err
			}
		}
		return f.Clusters, nil
	}
	cs, err := f.SelectedClusters()
	if err != nil {
		return nil, err
	}
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.Name
	}
	return names, nil
}

// knownCluster refuses a cluster name that neither the inventory nor the journal knows; the
// inventory's own error (with its suggestion) says why.
func knownCluster(f *factory.Factory, name string) error {
	if ops, err := journal.List(f.StateDir, journal.Filter{Clusters: []string{name}}); err == nil && len(ops) > 0 {
		return nil
	}
	fleet, err := f.Inventory()
	if err != nil {
		return nil // no inventory to tell: the journal alone answers (an empty history)
	}
	if _, err := fleet.SelectWhere([]string{name}, inventory.Selector{}); err != nil {
		return fault.Usagef("%v; and no operation in %s names it", err, f.StateDir)
	}
	return nil
}

// resume finds the journaled operation's kind in the registry, rebuilds it on the inventory's
// cluster of that name, and runs it like a new one.
func resume(ctx context.Context, f *factory.Factory, id string, inventoryGiven bool, dryRun bool) error {
	stateDir := f.StateDir
	e, err := journal.Load(stateDir, id)
	if errors.Is(err, journal.ErrNoSuchOp) {
		// Started on another machine or in another state dir: its journal is in the cluster. A
		// dry run reads it into a scratch dir, so that it leaves the state dir as it was.
		dir := f.StateDir
		if dryRun {
			if dir, err = os.MkdirTemp("", "kfleet-resume-"); err != nil {
				return err
			}
			defer os.RemoveAll(dir)
		}
		e, err = adopt(ctx, f, dir, id)
		stateDir, inventoryGiven = dir, true
	}
	if err != nil {
		return fault.Usagef("%v", err)
	}
	if e.Status == journal.StatusDone {
		return fault.Usagef("operation %s is already done", id)
	}
	path := f.InventoryPath
	if !inventoryGiven && e.Op.Inventory != "" {
		path = e.Op.Inventory
	}
	inv, err := f.InventoryAt(path)
	if err != nil {
		return err
	}
	if e.Op.Kind == fleet.Kind {
		return f.ResumeFleet(ctx, e, inv, path, stateDir, dryRun)
	}
	clusters, err := inv.Select([]string{e.Op.Cluster})
	if err != nil {
		return err
	}
	c := clusters[0]
	d, err := f.Deps(c, path)
	if err != nil {
		return err
	}
	d.StateDir = stateDir
	op, err := operation.Resume(ctx, c, d, e)
	if err != nil {
		return err
	}
	return f.Operate(ctx, op, dryRun)
}

// adopt looks for the operation's journal in the ops log of the selected clusters (-c; default
// every cluster of the inventory) and makes it local.
func adopt(ctx context.Context, f *factory.Factory, dir, id string) (*journal.Entry, error) {
	clusters, err := f.SelectedClusters()
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(f.IO.ErrOut, "%s is not in %s: looking for it in the ops log of %d cluster(s)\n", id, f.StateDir, len(clusters))
	return operation.Adopt(ctx, dir, f.InventoryPath, id, clusters, f.Kafka)
}
