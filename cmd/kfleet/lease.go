package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/kfleet/kfleet/cmd/internal/factory"
	"github.com/kfleet/kfleet/cmd/internal/output"
	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/kafka"
	"github.com/kfleet/kfleet/ops/lease"
)

func newLeaseCmd(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lease",
		Short: "Inspect or break a cluster's operation lease",
		Args:  noArgs,
	}
	var force bool
	release := &cobra.Command{
		Use:   "release --force",
		Short: "Break a cluster's lease (only when its holder is known to be dead)",
		Long: `Append a forced release of whatever holds the cluster's lease. The holder's run will see the
lease lost and stop starting new batches. Use it only when the holder is gone (its machine died)
and you do not want to wait for the lease to expire. Needs --force and one cluster (-c).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !force {
				return fault.Usagef("lease release breaks another operator's lock: pass --force if you mean it")
			}
			c, err := f.OneCluster("lease release")
			if err != nil {
				return err
			}
			cl, err := f.Kafka(c)
			if err != nil {
				return err
			}
			st, err := lease.Read(cmd.Context(), cl, c.Name)
			if err != nil {
				return kafka.Failure(c.Name, lease.OpLease, err)
			}
			if !st.Held {
				fmt.Fprintf(f.IO.ErrOut, "cluster %s: no lease is held\n", c.Name)
				return nil
			}
			if err := f.Confirm(fmt.Sprintf("break the lease of cluster %s held by %s for %q (op %s)?", c.Name, st.Holder, st.Purpose, st.OpID)); err != nil {
				return err
			}
			released, err := lease.ForceRelease(cmd.Context(), cl, c.Name, lease.HolderString())
			if err != nil {
				return err
			}
			return output.Render(f.IO.Out, f.Output, released, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "cluster %s: released the lease held by %s for %q (op %s)\n", c.Name, released.Holder, released.Purpose, released.OpID)
				return err
			})
		},
	}
	release.Flags().BoolVar(&force, "force", false, "really break the lease")
	cmd.AddCommand(newLeaseShowCmd(f), release)
	return cmd
}

func newLeaseShowCmd(f *factory.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "show",
		Short: "Per cluster: whether the lease is held, by whom, for what, and whether its holder is alive; change nothing",
		Long: `Read the lease of every selected cluster (-c, -l; default: every cluster of the inventory) and
show one row per cluster: held or free, the holder, the operation and its purpose, since when,
until when, and whether the holder's process is alive or gone. A holder is gone only when that
is provable: it ran on this machine and its pid is gone or reused, or the machine rebooted since.
A holder on another machine counts as alive while its lease runs; patch pre's lease is kept by
no process until its patch post.

-o json prints {"clusters": [...]}, as status does, with one object per cluster: {"cluster",
"held", "detached", "lease", "operation"} ("lease" and "operation" as in status -o json; null
when free), with "error" for a cluster that could not be read. Each such cluster also gets one line on stderr, and the exit
code is the worst of theirs (69: unreachable); 0 when every cluster answered, held or not.`,
		Example: `  kfleet lease show
  kfleet -l env=prod lease show -o json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			clusters, err := f.SelectedClusters()
			if err != nil {
				return err
			}
			rows := make([]output.LeaseState, len(clusters))
			failed := readClusters(cmd.Context(), clusters, func(ctx context.Context, i int, c *inventory.Cluster) error {
				st, err := readLease(ctx, f, c)
				rows[i] = output.LeaseStateOf(c.Name, st, time.Now())
				if err != nil {
					rows[i].Error = err.Error()
				}
				return err
			})
			return renderEach(f, rows, output.LeaseStates(rows), failed)
		},
	}
}

// leaseReadTimeout bounds reading one cluster's lease.
const leaseReadTimeout = 15 * time.Second

// readLease reads cluster c's lease within leaseReadTimeout; an error names the cluster and says
// whether Kafka could not be reached or refused the read (exit 69).
func readLease(ctx context.Context, f *factory.Factory, c *inventory.Cluster) (lease.State, error) {
	cl, err := f.Kafka(c)
	if err != nil {
		return lease.State{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, leaseReadTimeout)
	defer cancel()
	st, err := lease.Read(ctx, cl, c.Name)
	if err != nil {
		return lease.State{}, kafka.Failure(c.Name, lease.OpLease, err)
	}
	return st, nil
}
