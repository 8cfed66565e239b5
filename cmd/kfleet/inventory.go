package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kfleet/kfleet/cmd/internal/factory"
	"github.com/kfleet/kfleet/cmd/internal/output"
	"github.com/kfleet/kfleet/inventory"
)

func newInventoryCmd(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "inventory",
		Short: "Check or print the fleet inventory",
		Args:  noArgs,
	}
	var noFiles bool
	validate := &cobra.Command{
		Use:   "validate",
		Short: "Check the inventory; every problem is reported with file:line:column and field",
		Long: `Load the inventory, merge defaults -> cluster -> broker, and check it: unknown keys,
duplicate clusters, broker ids or hosts, missing hosts or bootstrap servers, bad ports and durations,
inline secrets, label syntax; and that every local file it names can be read here (SSH identity
files, known_hosts under host_key_policy strict, TLS and password files, hook executables;
--no-files skips this, e.g. to check an inventory on a machine without the keys). With -c or -l
it also checks that they select a cluster and names the clusters selected, so a selector can be
tried before a rollout uses it. Exits 0 when valid, 2 with every problem found otherwise.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fleet, err := f.Inventory()
			if err != nil {
				return err
			}
			if errs := inventory.CheckFiles(fleet); len(errs) > 0 && !noFiles {
				return errs
			}
			var selected []string
			if len(f.Clusters)+len(f.Selectors) > 0 {
				clusters, err := f.Select(fleet)
				if err != nil {
					return err
				}
				for _, c := range clusters {
					selected = append(selected, c.Name)
				}
			}
			brokers := 0
			for _, c := range fleet.Clusters {
				brokers += len(c.Brokers)
			}
			res := struct {
				File     string `json:"file" yaml:"file"`
				Valid    bool   `json:"valid" yaml:"valid"`
				Clusters int    `json:"clusters" yaml:"clusters"`
				Brokers  int    `json:"brokers" yaml:"brokers"`
				// Selected are the clusters -c and -l select, when either is given.
				Selected []string `json:"selected,omitempty" yaml:"selected,omitempty"`
			}{fleet.File, true, len(fleet.Clusters), brokers, selected}
			return output.Render(f.IO.Out, f.Output, res, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "%s: valid (%s, %s)\n", res.File, output.Count(res.Clusters, "cluster"), output.Count(res.Brokers, "broker"))
				if err == nil && selected != nil {
					_, err = fmt.Fprintf(w, "selected: %s\n", strings.Join(selected, ", "))
				}
				return err
			})
		},
	}
	validate.Flags().BoolVar(&noFiles, "no-files", false, "do not check that the local files the inventory names can be read here")
	cmd.AddCommand(
		validate,
		&cobra.Command{
			Use:   "show",
			Short: "Print the resolved inventory (defaults merged; secrets are references only)",
			Long: `Print the clusters -c and -l select (default: every cluster) as kfleet resolved them:
defaults merged into each cluster and broker, labels included, paths absolute, secrets as
references only. The table format prints YAML.`,
			Args: noArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				clusters, err := f.SelectedClusters()
				if err != nil {
					return err
				}
				res := struct {
					Clusters []*inventory.Cluster `json:"clusters" yaml:"clusters"`
				}{clusters}
				format := f.Output
				if format == output.FormatTable {
					format = output.FormatYAML // the resolved tree reads best as YAML
				}
				return output.Render(f.IO.Out, format, res, nil)
			},
		},
	)
	return cmd
}
