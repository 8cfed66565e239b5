package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/spf13/cobra"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops"
	"github.com/kfleet/kfleet/rollout"
)

// Factory carries what every command shares: streams, global flags, and lazily built clients.
type Factory struct {
	IO *IOStreams

	InventoryPath string
	Clusters      []string
	Output        string
	Verbose       bool
	NoColor       bool

	StateDir string
	Yes      bool

	logger *slog.Logger
	ssh    *ops.SSHRunner

	// soft is closed by the first interrupt when softStopEnabled: rollouts then finish the batch
	// under way instead of dying mid-restart.
	soft            chan struct{}
	softStopEnabled atomic.Bool
}

// SoftStop turns the first interrupt into a request to stop after the current batch and returns
// the channel that says so.
func (f *Factory) SoftStop() <-chan struct{} {
	if f.soft == nil {
		f.soft = make(chan struct{})
	}
	f.softStopEnabled.Store(true)
	return f.soft
}

// Inventory loads and validates the inventory named by -i.
// Whatever stops it from loading (a missing file included) is an inventory error: exit 2.
func (f *Factory) Inventory() (*inventory.Fleet, error) {
	fleet, err := inventory.Load(f.InventoryPath)
	if err != nil && exitCode(err) != exitUsage {
		return nil, &usageError{err.Error()}
	}
	return fleet, err
}

// SelectedClusters loads the inventory and applies -c.
func (f *Factory) SelectedClusters() ([]*inventory.Cluster, error) {
	fleet, err := f.Inventory()
	if err != nil {
		return nil, err
	}
	return fleet.Select(f.Clusters)
}

// Logger writes diagnostics to stderr: warnings by default, everything with -v.
func (f *Factory) Logger() *slog.Logger {
	if f.logger == nil {
		level := slog.LevelWarn
		if f.Verbose {
			level = slog.LevelDebug
		}
		f.logger = slog.New(slog.NewTextHandler(f.IO.ErrOut, &slog.HandlerOptions{Level: level}))
	}
	return f.logger
}

// SSH returns the process-wide SSH runner: one connection per host, reused by every step.
func (f *Factory) SSH() *ops.SSHRunner {
	if f.ssh == nil {
		f.ssh = ops.NewSSHRunner(f.Logger())
	}
	return f.ssh
}

// Close releases connections opened on the commands' behalf.
func (f *Factory) Close() {
	if f.ssh != nil {
		_ = f.ssh.Close()
	}
}

// NewRootCmd builds the whole command tree.
func NewRootCmd(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "kfleet",
		Short: "Operate fleets of Apache Kafka clusters safely",
		Long: `kfleet operates fleets of Apache Kafka clusters from one inventory: fleet health,
commands on broker hosts, and (as they land) URP-gated rolling restarts, deployments, config
propagation, a patching-system hook and targeted reassignment.

Exit codes are documented in 'kfleet help exit-codes'.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if _, ok := os.LookupEnv("NO_COLOR"); ok || f.NoColor || !f.IO.OutTTY {
				f.IO.Color = false
			}
			return validFormat(f.Output)
		},
	}
	pf := root.PersistentFlags()
	pf.StringVarP(&f.InventoryPath, "inventory", "i", inventory.DefaultPath(), "fleet inventory file ($KFLEET_INVENTORY, else ./fleet.yaml)")
	pf.StringArrayVarP(&f.Clusters, "cluster", "c", nil, "cluster to act on (repeatable; default: every cluster)")
	pf.StringVarP(&f.Output, "output", "o", formatTable, "output format: table, json or yaml")
	pf.BoolVarP(&f.Verbose, "verbose", "v", false, "more detail, and debug logs on stderr")
	pf.BoolVar(&f.NoColor, "no-color", false, "no color (also NO_COLOR)")
	pf.StringVar(&f.StateDir, "state-dir", rollout.DefaultStateDir(), "where operation journals are kept")
	pf.BoolVarP(&f.Yes, "yes", "y", false, "do not ask for confirmation (required when stdin is not a terminal)")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usagef("%s\nSee '%s --help'.", err, cmd.CommandPath())
	})
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	root.SetIn(f.IO.In)

	root.AddCommand(
		newVersionCmd(f),
		newInventoryCmd(f),
		newStatusCmd(f),
		newTuiCmd(f),
		newExecCmd(f),
		newRestartCmd(f),
		newDeployCmd(f),
		newHistoryCmd(f),
		newResumeCmd(f),
		newLeaseCmd(f),
		newPatchCmd(f),
		newConfigCmd(f),
		newReassignCmd(f),
		&cobra.Command{
			Use:   "exit-codes",
			Short: "What kfleet's exit codes mean",
			Long:  exitCodesHelp(),
		},
	)
	return root
}

// noArgs rejects positional arguments as a usage error (exit 2).
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("%s takes no arguments, got %q\nSee '%s --help'.", cmd.CommandPath(), strings.Join(args, " "), cmd.CommandPath())
	}
	return nil
}

func newVersionCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print kfleet's version, commit and build date",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			v := struct {
				Version string `json:"version" yaml:"version"`
				Commit  string `json:"commit" yaml:"commit"`
				Date    string `json:"date" yaml:"date"`
			}{version, commit, date}
			return render(f.IO.Out, f.Output, v, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "kfleet %s (commit %s, built %s)\n", v.Version, v.Commit, v.Date)
				return err
			})
		},
	}
}

// OneCluster resolves -c to exactly one cluster: disruptive operations act on one at a time.
func (f *Factory) OneCluster(verb string) (*inventory.Cluster, error) {
	clusters, err := f.SelectedClusters()
	if err != nil {
		return nil, err
	}
	if len(clusters) != 1 {
		names := make([]string, len(clusters))
		for i, c := range clusters {
			names[i] = c.Name
		}
		return nil, usagef("%s acts on one cluster at a time; pick one with -c (inventory has: %s)", verb, strings.Join(names, ", "))
	}
	return clusters[0], nil
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
