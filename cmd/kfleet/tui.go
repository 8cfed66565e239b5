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
	"github.com/kfleet/kfleet/ops/host"
	"github.com/kfleet/kfleet/ops/kafka"
	fleetop "github.com/kfleet/kfleet/rollout/fleet"
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
		Long: `Show the selected clusters live in the terminal: one row per cluster, worst first
(unreachable, then offline, under-min-ISR, under-replicated or brokers down, then healthy), with
brokers up/total, controller, partition trouble, reassignments in flight, Kafka versions, the
lease holder with its running operation, and the AGE of the row's data. Enter opens a cluster
(brokers, problem partitions, reassignment progress, operation events); esc goes back.

Each cluster is read on its own, --concurrency at a time, each under --timeout: its row appears
as soon as it answers and is read again --interval after its last answer, never while a read of
it still runs, so a slow or dead cluster holds up only its own row. When reading the whole fleet
takes longer than --interval, the interval stretches to twice that time (the header says so). A
row older than three intervals is stale: AGE shows it with a '!'; an unreachable cluster that
answered before says when it was last seen.

A fleet operation running (or ended less than 10 minutes ago), read from the journal in
--state-dir, shows above the table: who runs it, its status and counts, then each wave with every
cluster's state and, for a cluster rolling, how many of its brokers are done.

Keys: arrows or j/k move, enter opens, esc goes back, / filters by cluster name, r refreshes now,
? shows help, q or ctrl+c quits.

The view reads the same snapshots as 'kfleet status'. Reads run in the background, so keys never
wait for a cluster. Diagnostics go to --log-file, never to the screen.`,
		Example: `  kfleet tui
  kfleet -c payments-prod -c orders-prod tui --interval 5s
  NO_COLOR=1 kfleet tui --no-hosts`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd.Context()) },
	}
	fl := cmd.Flags()
	fl.DurationVar(&o.interval, "interval", 2*time.Second, "time from a cluster's answer to its next read (stretched for a large fleet)")
	fl.DurationVar(&o.timeout, "timeout", 10*time.Second, "deadline for reading one cluster (Kafka and hosts)")
	fl.IntVar(&o.concurrency, "concurrency", fleet.DefaultConcurrency, "clusters read at once")
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

	// One client per cluster for the whole session: re-reads reuse its connections.
	fo := fleet.Options{Timeout: o.timeout, KeepReassigning: true, Client: o.f.Kafka,
		Kafka: kafka.Options{Logger: o.f.Logger()}}
	if !o.noHosts {
		fo.SSH, fo.Processes = o.f.SSH(), host.NewProcessCache()
	}
	names := make([]string, len(clusters))
	for i, c := range clusters {
		names[i] = c.Name
	}
	opts := tui.Options{
		Clusters:    names,
		Read:        func(ctx context.Context, i int) cluster.Health { return fleet.CollectCluster(ctx, clusters[i], fo) },
		FleetOps:    func() ([]tui.FleetOp, error) { return fleetOps(o.f.StateDir, time.Now()) },
		Interval:    o.interval,
		Timeout:     o.timeout,
		Concurrency: o.concurrency,
		Color:       o.f.Color(),
		Logger:      o.f.Logger(),
	}
	if err := tui.Run(ctx, opts, o.f.IO.In, o.f.IO.Out); err != nil {
		return fmt.Errorf("tui: %w (log: %s)", err, logPath)
	}
	return nil
}

// fleetOpsKept is how long the TUI keeps showing a fleet operation after it ended.
const fleetOpsKept = 10 * time.Minute

// fleetOps reads the fleet operations running (or ended within fleetOpsKept) from the journal in
// stateDir, as the TUI's panel shows them.
func fleetOps(stateDir string, now time.Time) ([]tui.FleetOp, error) {
	ps, err := fleetop.ReadProgress(stateDir, fleetOpsKept, now)
	if err != nil {
		return nil, fmt.Errorf("fleet operations in %s: %w", stateDir, err)
	}
	out := make([]tui.FleetOp, len(ps))
	for i, p := range ps {
		op := tui.FleetOp{ID: p.Op, Kind: p.Kind, Holder: p.Holder, Status: p.Status, Updated: p.Updated, Counts: p.Counts}
		for _, w := range p.Waves {
			fw := tui.FleetWave{Number: w.Number, Canary: w.Canary, Group: w.Group}
			for _, c := range w.Clusters {
				fw.Clusters = append(fw.Clusters, tui.FleetCluster{Name: c.Cluster, State: c.State, Op: c.Op, Detail: c.Detail})
			}
			op.Waves = append(op.Waves, fw)
		}
		out[i] = op
	}
	return out, nil
}
