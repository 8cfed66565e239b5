package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/kfleet/kfleet/cmd/internal/factory"
	"github.com/kfleet/kfleet/ops/cluster"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/fleet"
	"github.com/kfleet/kfleet/ops/kafka"
	"github.com/kfleet/kfleet/tui"
)

type tuiOptions struct {
	f           *factory.Factory
	interval    time.Duration
	timeout     time.Duration
	concurrency int
	logFile     string
	noHosts     bool
}

func newTuiCmd(f *factory.Factory) *cobra.Command {
	o := &tuiOptions{f: f}
	cmd := &cobra.Command{
		Use:   "tui",
		Short: "Live fleet view: every cluster worst first, drill into one with enter",
		Long: `Show the selected clusters live in the terminal, refreshed every --interval: one row per
cluster, worst first (unreachable, then offline, under-min-ISR, under-replicated or brokers down,
then healthy), with brokers up/total, controller, partition trouble, reassignments in flight,
Kafka versions, and the lease holder with its running operation. Enter opens a cluster (brokers,
problem partitions, reassignment progress, operation events); esc goes back.

Keys: arrows or j/k move, enter opens, esc goes back, / filters by cluster name, r refreshes now,
? shows help, q or ctrl+c quits.

The view reads the same snapshots as 'kfleet status'. Collection runs in the background, each
cluster under --timeout, so keys never wait for a slow cluster; a refresh still running is not
started twice. Diagnostics go to --log-file, never to the screen.`,
		Example: `  kfleet tui
  kfleet -c payments-prod -c orders-prod tui --interval 5s
  NO_COLOR=1 kfleet tui --no-hosts`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd.Context()) },
	}
	fl := cmd.Flags()
	fl.DurationVar(&o.interval, "interval", 2*time.Second, "refresh interval")
	fl.DurationVar(&o.timeout, "timeout", 10*time.Second, "deadline for reading one cluster (Kafka and hosts)")
	fl.IntVar(&o.concurrency, "concurrency", 8, "clusters read at once")
	fl.StringVar(&o.logFile, "log-file", "", "where diagnostics go (default <state-dir>/tui.log)")
	fl.BoolVar(&o.noHosts, "no-hosts", false, "do not SSH to brokers' hosts (no running version)")
	return cmd
}

func (o *tuiOptions) run(ctx context.Context) error {
	switch {
	case o.interval < 100*time.Millisecond:
		return fault.Usagef("--interval %s is too short (minimum 100ms)", o.interval)
	case o.timeout <= 0:
		return fault.Usagef("--timeout must be positive, got %s", o.timeout)
	case o.concurrency < 1:
		return fault.Usagef("--concurrency must be at least 1, got %d", o.concurrency)
	case !o.f.IO.OutTTY || !o.f.IO.InTTY:
		return fault.Usagef("kfleet tui needs a terminal on stdin and stdout; for logs and scripts use: kfleet status --watch")
	}
	clusters, err := o.f.SelectedClusters()
	if err != nil {
		return err
	}
	logPath := o.logFile
	if logPath == "" {
		logPath = filepath.Join(o.f.StateDir, "tui.log")
		if err := os.MkdirAll(o.f.StateDir, 0o700); err != nil {
			return fault.Usagef("state dir for the TUI's log: %v; pick a file with --log-file", err)
		}
	}
	lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fault.Usagef("TUI log file: %v; pick another with --log-file", err)
	}
	defer lf.Close()
	level := slog.LevelInfo
	if o.f.Verbose {
		level = slog.LevelDebug
	}
	// Everything that logs on the TUI's behalf (Kafka client, SSH runner) writes to the file:
	// a line on stderr would tear the screen.
	o.f.LogTo(lf, level)

	fo := fleet.Options{Concurrency: o.concurrency, Timeout: o.timeout,
		Kafka: kafka.Options{Logger: o.f.Logger()}}
	if !o.noHosts {
		fo.SSH = o.f.SSH()
	}
	// CollectFleet reads `concurrency` clusters at a time, each under --timeout.
	waves := (len(clusters) + o.concurrency - 1) / o.concurrency
	opts := tui.Options{
		Source:   func(ctx context.Context) []cluster.Health { return fleet.Collect(ctx, clusters, fo) },
		Interval: o.interval,
		Timeout:  time.Duration(max(waves, 1))*o.timeout + 5*time.Second,
		Color:    o.f.Color(),
		Logger:   o.f.Logger(),
	}
	if err := tui.Run(ctx, opts, o.f.IO.In, o.f.IO.Out); err != nil {
		return fmt.Errorf("tui: %w (log: %s)", err, logPath)
	}
	return nil
}
