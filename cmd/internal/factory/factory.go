// Package factory builds what kfleet's commands share: the streams, the global flags, one Kafka
// client per cluster, one SSH runner and one logger per process, the soft stop of the first
// interrupt, and the one flow every operation follows on the command line (plan, show, confirm,
// execute). Commands read the Factory and never change it.
//
// It may import inventory, ops/..., rollout/operation, rollout/fleet and cmd/internal/...; never a
// command.
package factory

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kfleet/kfleet/cmd/internal/exitcode"
	"github.com/kfleet/kfleet/cmd/internal/output"
	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/kafka"
	"github.com/kfleet/kfleet/ops/ssh"
)

// Factory carries what every command shares: streams, global flags, and clients built once per
// process. Commands read it and never change it; overrides (resume's recorded inventory, the
// TUI's log file) are passed explicitly.
type Factory struct {
	IO *output.IOStreams

	InventoryPath string
	Clusters      []string // -c: names or shell-style patterns
	Selectors     []string // -l: label selectors, all of which must hold
	Output        string
	Verbose       bool
	NoColor       bool

	StateDir string
	Yes      bool

	logOnce sync.Once
	logger  *slog.Logger
	sshOnce sync.Once
	ssh     *ssh.Runner

	mu      sync.Mutex
	clients map[string]*kgo.Client

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
func (f *Factory) Inventory() (*inventory.Fleet, error) { return f.InventoryAt(f.InventoryPath) }

// InventoryAt loads and validates the inventory at path. Whatever stops it from loading (a
// missing file included) is an inventory error: exit 2.
func (f *Factory) InventoryAt(path string) (*inventory.Fleet, error) {
	fleet, err := inventory.Load(path)
	if err != nil && exitcode.Of(err) != exitcode.Usage {
		return nil, &fault.Error{Kind: fault.Usage, Msg: err.Error()}
	}
	return fleet, err
}

// SelectedClusters loads the inventory and applies -c and -l: the clusters both select, in
// inventory order. Selecting nothing is an error (exit 2).
func (f *Factory) SelectedClusters() ([]*inventory.Cluster, error) {
	fleet, err := f.Inventory()
	if err != nil {
		return nil, err
	}
	return f.Select(fleet)
}

// Select applies -c and -l to a loaded inventory.
func (f *Factory) Select(fleet *inventory.Fleet) ([]*inventory.Cluster, error) {
	sel, err := inventory.ParseSelector(f.Selectors)
	if err != nil {
		return nil, err
	}
	return fleet.SelectWhere(f.Clusters, sel)
}

// Logger writes diagnostics to stderr: warnings by default, everything with -v.
func (f *Factory) Logger() *slog.Logger {
	f.logOnce.Do(func() {
		if f.logger != nil {
			return
		}
		level := slog.LevelWarn
		if f.Verbose {
			level = slog.LevelDebug
		}
		f.logger = slog.New(slog.NewTextHandler(f.IO.ErrOut, &slog.HandlerOptions{Level: level}))
	})
	return f.logger
}

// LogTo sends diagnostics to w instead of stderr (the TUI: a line on stderr would tear the
// screen). It must be called before anything logs.
func (f *Factory) LogTo(w io.Writer, level slog.Level) {
	f.logOnce.Do(func() {
		f.logger = slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
	})
}

// SSH returns the process-wide SSH runner: one connection per host, reused by every step.
func (f *Factory) SSH() *ssh.Runner {
	f.sshOnce.Do(func() { f.ssh = ssh.NewRunner(f.Logger()) })
	return f.ssh
}

// Kafka returns the cluster's Kafka client, built once per process and closed by Close.
func (f *Factory) Kafka(c *inventory.Cluster) (*kgo.Client, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if cl, ok := f.clients[c.Name]; ok {
		return cl, nil
	}
	cl, err := kafka.NewClient(c, kafka.Options{Logger: f.Logger()})
	if err != nil {
		return nil, err
	}
	if f.clients == nil {
		f.clients = map[string]*kgo.Client{}
	}
	f.clients[c.Name] = cl
	return cl, nil
}

// Close releases connections opened on the commands' behalf.
func (f *Factory) Close() {
	f.mu.Lock()
	for _, cl := range f.clients {
		cl.Close()
	}
	f.clients = nil
	f.mu.Unlock()
	if f.ssh != nil {
		_ = f.ssh.Close()
	}
}

// OneCluster resolves -c and -l to exactly one cluster: disruptive operations act on one at a
// time.
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
		return nil, fault.Usagef("%s acts on one cluster at a time; pick one with -c or narrow -l (selected: %s)", verb, strings.Join(names, ", "))
	}
	return clusters[0], nil
}

// AbsPath is p made absolute when it can be.
func AbsPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// Color says whether output may be colored: a terminal, and neither --no-color nor NO_COLOR.
func (f *Factory) Color() bool {
	_, noColor := os.LookupEnv("NO_COLOR")
	return f.IO.Color && f.IO.OutTTY && !f.NoColor && !noColor
}

// HandleSignals makes the first SIGINT or SIGTERM a soft stop when a rollout asked for one (it
// finishes bringing its current batch back), and the next one, or the first otherwise, cancel.
func (f *Factory) HandleSignals(cancel context.CancelFunc) {
	if f.soft == nil {
		f.soft = make(chan struct{})
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		if f.softStopEnabled.Load() {
			close(f.soft)
			fmt.Fprintln(f.IO.ErrOut, "kfleet: interrupt: finishing the current batch, then stopping; interrupt again to abort at once")
			<-sigs
			fmt.Fprintln(f.IO.ErrOut, "kfleet: second interrupt: aborting now")
		}
		cancel()
	}()
}
