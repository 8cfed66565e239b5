package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/kfleet/kfleet/ops"
	"github.com/kfleet/kfleet/reassign"
	"github.com/kfleet/kfleet/rollout"
)

func newHistoryCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "history",
		Short: "List operations from the local journal (newest first)",
		Long: `List the operations this machine ran, from the journals in --state-dir: id, kind, cluster,
status (done, halted, interrupted, running), when, and how many brokers are done. A halted or
interrupted operation continues with 'kfleet resume OP-ID'.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ops, err := rollout.ListOps(f.StateDir)
			if err != nil {
				return err
			}
			if len(f.Clusters) > 0 {
				var keep []*rollout.OpState
				for _, o := range ops {
					for _, c := range f.Clusters {
						if o.Op.Cluster == c {
							keep = append(keep, o)
						}
					}
				}
				ops = keep
			}
			if ops == nil {
				ops = []*rollout.OpState{}
			}
			return render(f.IO.Out, f.Output, struct {
				Ops []*rollout.OpState `json:"operations" yaml:"operations"`
			}{ops}, func(w io.Writer) error {
				t := newTable(w, "OP", "KIND", "CLUSTER", "STATUS", "STARTED", "BROKERS DONE", "LAST")
				for _, o := range ops {
					_ = t.Append([]string{o.Op.ID, o.Op.Kind, o.Op.Cluster, o.Status,
						o.Op.Created.Local().Format(time.DateTime),
						fmt.Sprintf("%d/%d", len(o.Done), len(o.Op.Brokers)), truncateText(o.Last, 70)})
				}
				return t.Render()
			})
		},
	}
}

func newResumeCmd(f *Factory) *cobra.Command {
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
				return usagef("resume takes one operation id (see kfleet history)")
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

func resume(ctx context.Context, f *Factory, id string, inventoryGiven bool, dryRun bool) error {
	st, err := rollout.LoadOp(f.StateDir, id)
	if err != nil {
		return usagef("%v", err)
	}
	if st.Status == rollout.OpDone {
		return usagef("operation %s is already done", id)
	}
	if st.Op.Kind == reassign.Kind {
		return resumeReassign(ctx, f, st, inventoryGiven, dryRun)
	}
	if !slices.Contains([]string{"restart", "patch", "deploy", "rollback"}, st.Op.Kind) {
		return usagef("operation %s is a %s; only restart, patch run, deploy and rollback operations can be resumed in this version", id, st.Op.Kind)
	}
	var args rolloutArgs
	if err := json.Unmarshal(st.Op.Args, &args); err != nil {
		return fmt.Errorf("operation %s: journal settings unreadable: %w", id, err)
	}
	if !inventoryGiven && st.Op.Inventory != "" {
		f.InventoryPath = st.Op.Inventory
	}
	fleet, err := f.Inventory()
	if err != nil {
		return err
	}
	clusters, err := fleet.Select([]string{st.Op.Cluster})
	if err != nil {
		return err
	}
	c := clusters[0]
	brokers, err := c.SelectBrokers(st.Op.Brokers)
	if err != nil {
		return err
	}
	hosts := &ops.HostControl{SSH: f.SSH()}
	run := rolloutRun{kind: st.Op.Kind, purpose: "resume " + id + ": " + st.Op.Kind + " brokers " + idList(brokers),
		cluster: c, brokers: brokers, opID: id, args: args, dryRun: dryRun, resuming: true}
	if args.Release != "" {
		// Deploy and rollback: a broker is done when it runs the release, not when it restarted.
		if run.skip, err = deploySkips(ctx, f, brokers, args.Release); err != nil {
			return err
		}
		return f.runDeploy(ctx, run)
	}
	if run.skip, err = rollout.ResumeSkips(ctx, st, hosts, brokers); err != nil {
		return err
	}
	return f.runRollout(ctx, run)
}

func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
