package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/kfleet/kfleet/cmd/internal/exitcode"
	"github.com/kfleet/kfleet/cmd/internal/factory"
	"github.com/kfleet/kfleet/cmd/internal/output"
	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/rollout/brokerconfig"
)

func newConfigCmd(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Compare and propagate broker configs (dynamic through the Admin API, static through server.properties)",
		Long: `The inventory is the source of truth for the broker configs it lists: config.dynamic and
config.static of each cluster, with per-broker overrides under a broker's own config.

'config diff' shows every key that differs on a broker and how it would be applied (read from
Kafka's DescribeConfigs: per-broker dynamic, cluster-wide dynamic, or restart needed).
'config apply' validates every dynamic value with Kafka first, then applies dynamic values live,
edits server.properties on only the brokers whose file changes, and restarts only those brokers
through the gated rolling engine. See docs/config.md.`,
		Args: noArgs,
	}
	cmd.AddCommand(newConfigDiffCmd(f), newConfigApplyCmd(f))
	return cmd
}

type configDiffOptions struct {
	f           *factory.Factory
	brokerFlags []string
}

func newConfigDiffCmd(f *factory.Factory) *cobra.Command {
	o := &configDiffOptions{f: f}
	cmd := &cobra.Command{
		Use:   "diff",
		Short: "Show broker configs that differ from the inventory (exit 3 when any does)",
		Long: `For every selected broker, compare the inventory's desired configs with what runs:
dynamic keys against DescribeConfigs (value, source and synonyms), static keys against the
host's server.properties (and, once the file matches, against what the broker loaded at its
last start). Each difference shows the live value and its source, the desired value and how it
applies. Sensitive values are masked. Exit 3 when anything differs, 0 when nothing does.`,
		Example: `  kfleet -c payments-prod config diff
  kfleet -c payments-prod config diff --brokers 3 -o json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd.Context()) },
	}
	cmd.Flags().StringArrayVar(&o.brokerFlags, "brokers", nil, "broker ids to compare, e.g. 1,2 or 4-6 (default: all; needs one cluster)")
	return cmd
}

func (o *configDiffOptions) run(ctx context.Context) error {
	var clusters []*inventory.Cluster
	if len(o.brokerFlags) > 0 {
		c, err := o.f.OneCluster("--brokers")
		if err != nil {
			return err
		}
		clusters = []*inventory.Cluster{c}
	} else {
		var err error
		if clusters, err = o.f.SelectedClusters(); err != nil {
			return err
		}
	}
	ids, err := inventory.ParseBrokerIDs(o.brokerFlags)
	if err != nil {
		return err
	}
	diffs := []brokerconfig.Diff{}
	compared := 0
	var failed []error // a cluster that cannot be read does not hide the others' drift
	for _, c := range clusters {
		brokers, err := c.SelectBrokers(ids)
		if err != nil {
			return err
		}
		d, err := readConfigDiff(ctx, o.f, c, brokers)
		if err != nil && len(clusters) == 1 {
			return err
		}
		if err != nil {
			failed = append(failed, fmt.Errorf("cluster %s: %w", c.Name, err))
			continue
		}
		diffs = append(diffs, d...)
		compared += len(brokers)
	}
	if err := output.Render(o.f.IO.Out, o.f.Output, diffs, func(w io.Writer) error {
		if len(diffs) == 0 {
			fmt.Fprintf(w, "no drift: %d broker(s) match the inventory\n", compared)
			return nil
		}
		return output.ConfigDiffs(w, diffs)
	}); err != nil {
		return err
	}
	if err := exitcode.ReportEach(o.f.IO.ErrOut, failed); err != nil {
		return err
	}
	if len(diffs) > 0 {
		return exitcode.Checked(fmt.Sprintf("config drift: %d difference(s)", len(diffs)))
	}
	return nil
}

func readConfigDiff(ctx context.Context, f *factory.Factory, c *inventory.Cluster, brokers []*inventory.Broker) ([]brokerconfig.Diff, error) {
	cl, err := f.Kafka(c)
	if err != nil {
		return nil, err
	}
	return brokerconfig.Differences(ctx, cl, f.SSH(), c, brokers)
}

type configApplyOptions struct {
	restartOptions
	verifyTimeout time.Duration
}

func newConfigApplyCmd(f *factory.Factory) *cobra.Command {
	o := &configApplyOptions{restartOptions: restartOptions{f: f}}
	cmd := &cobra.Command{
		Use:   "apply",
		Short: "Make the brokers' configs match the inventory, the cheapest safe way",
		Long: `Apply the inventory's broker configs to one cluster:

  1. read what runs (DescribeConfigs with synonyms, server.properties over SSH) and diff;
  2. refuse read-only keys placed under config.dynamic (move them to config.static);
  3. validate every dynamic change with Kafka (validate-only IncrementalAlterConfigs): a
     rejected value names broker, key and Kafka's reason, changes nothing anywhere, exits 2;
  4. apply dynamic values: cluster-wide keys on the cluster default resource, per-broker
     overrides on the broker's resource (no restart);
  5. rewrite server.properties on only the brokers whose file changes (comments and order kept,
     timestamped backup next to it, atomic replace) and restart only those brokers (and any whose
     file changed since its last start) through the gated rolling engine, under the cluster lease;
  6. read everything again and check that nothing differs.

Running it again changes nothing and restarts nothing. --dry-run prints the keys, brokers, file
diffs and restarts it would make, after validating with Kafka, and changes nothing.`,
		Example: `  kfleet -c payments-prod config apply --dry-run
  kfleet -c payments-prod config apply --yes -o json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd.Context()) },
	}
	o.flags(cmd)
	cmd.Flags().DurationVar(&o.verifyTimeout, "verify-timeout", 30*time.Second, "how long to wait for applied values to show as live before failing")
	return cmd
}

func (o *configApplyOptions) run(ctx context.Context) error {
	f := o.f
	if clusters, err := o.fleetClusters(); err != nil || len(clusters) > 1 {
		if err != nil {
			return err
		}
		return f.OperateFleet(ctx, clusters, brokerconfig.Kind, brokerconfig.Settings{Settings: o.settings, VerifyTimeout: o.verifyTimeout}, o.fleet, o.dryRun)
	}
	c, brokers, err := o.prepare()
	if err != nil {
		return err
	}
	d, err := f.Deps(c, f.InventoryPath)
	if err != nil {
		return err
	}
	op := brokerconfig.NewApply(c, brokers, d, brokerconfig.Settings{Settings: o.settings, VerifyTimeout: o.verifyTimeout})
	err = f.Operate(ctx, op, o.dryRun)
	var remain *brokerconfig.RemainError
	if errors.As(err, &remain) && f.Output == output.FormatTable {
		_ = output.ConfigDiffs(f.IO.ErrOut, remain.Left)
	}
	return err
}
