package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/kfleet/kfleet/cmd/internal/factory"
	"github.com/kfleet/kfleet/cmd/internal/output"
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
	cmd.AddCommand(release)
	return cmd
}
