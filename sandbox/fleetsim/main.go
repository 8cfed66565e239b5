// Command fleetsim runs a simulated Kafka fleet for kfleet's fleet-scale measurements: N
// in-process franz-go kfake clusters on loopback, each of B brokers and P partitions (RF 3 and
// min.insync.replicas 2 as a topic config from three brokers up), with an optional round trip
// added to every request and a mode in which every partition is under min ISR. It writes a
// kfleet inventory of the fleet, then either serves until SIGINT/SIGTERM or, given a command
// after --, runs it against the fleet (optionally several times, measuring each run) and exits
// with its exit code. With a command, a second fleetsim process serves the fleet (server.go).
//
//	go run ./sandbox/fleetsim -clusters 100 -partitions 1000 -latency 20ms
//	go run ./sandbox/fleetsim -clusters 300 -partitions 3333 -warmup 1 -runs 5 -- bin/kfleet status --no-hosts -o json
//
// It imports nothing of kfleet: the simulation must not depend on the code it measures. Its
// tests read the fleet with kfleet's own inventory and status code.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type options struct {
	shape
	out     string   // inventory path, removed at exit; "" -> in a temporary directory
	warmup  int      // unmeasured runs of command before the measured ones
	runs    int      // 0: run command once as it is; >= 1: measure that many runs
	quiet   bool     // serving: nothing on stderr but errors
	command []string // after --; none: serve until a signal
}

func main() {
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleetsim:", err)
		os.Exit(2)
	}
	code, err := o.run(os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleetsim:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("fleetsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: fleetsim [flags] [-- COMMAND ARGS...]

Starts a simulated Kafka fleet (kfake clusters on loopback) and writes its kfleet inventory.
Without a command it prints the inventory's path and serves until SIGINT or SIGTERM. With one,
it runs COMMAND with KFLEET_INVENTORY set to the inventory ({inventory} in ARGS is replaced by
its path) and exits with the command's exit code; with -runs N it runs it -warmup times, then N
times with its output thrown away, and prints each run's wall time, CPU and peak RSS.

`)
		fs.PrintDefaults()
	}
	fs.IntVar(&o.clusters, "clusters", 10, "clusters in the fleet (sim-000, sim-001, ...)")
	fs.IntVar(&o.brokers, "brokers", 3, "brokers per cluster (node ids 0..B-1)")
	fs.IntVar(&o.partitions, "partitions", 1000, "partitions per cluster")
	fs.IntVar(&o.topicPartitions, "topic-partitions", 10, "partitions per topic (the last topic takes the rest)")
	fs.DurationVar(&o.latency, "latency", 0, "round trip added to every request (and once to every new connection)")
	fs.BoolVar(&o.underMinISR, "under-min-isr", false, "every partition's ISR is its leader alone: all under min ISR")
	fs.StringVar(&o.out, "out", "", "inventory file to write, removed at exit (default: in a temporary directory)")
	fs.IntVar(&o.warmup, "warmup", 0, "with -runs: unmeasured runs of the command first")
	fs.IntVar(&o.runs, "runs", 0, "measure the command over this many runs (0: run it once, output shown)")
	fs.BoolVar(&o.quiet, "quiet", false, "without a command: print the inventory's path and nothing else but errors")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	o.command = fs.Args()
	if err := o.shape.check(); err != nil {
		return nil, err
	}
	switch {
	case o.runs < 0 || o.warmup < 0:
		return nil, errors.New("-runs and -warmup must not be negative")
	case (o.runs > 0 || o.warmup > 0) && len(o.command) == 0:
		return nil, errors.New("-runs and -warmup measure a command: give it after --")
	case o.warmup > 0 && o.runs == 0:
		return nil, errors.New("-warmup needs -runs")
	case o.quiet && len(o.command) > 0:
		return nil, errors.New("-quiet is for serving: with a command, fleetsim prints only its own lines and the command's")
	}
	return o, nil
}

// run serves the fleet, or runs the command against it. The exit code is the command's, or 0
// after a served simulation is stopped.
func (o *options) run(stdout, stderr io.Writer) (int, error) {
	path := o.out
	if path == "" {
		dir, err := os.MkdirTemp("", "fleetsim-")
		if err != nil {
			return 0, err
		}
		defer os.RemoveAll(dir)
		path = filepath.Join(dir, "fleet.yaml")
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	if len(o.command) == 0 {
		return 0, o.serve(path, stdout, stderr)
	}
	return o.runCommand(path, stdout)
}

// serve starts the fleet, writes its inventory, prints the inventory's path (the one line on
// stdout) and serves until SIGINT or SIGTERM.
func (o *options) serve(path string, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	f, err := startFleet(ctx, o.shape)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := writeInventory(path, f); err != nil {
		return err
	}
	defer os.Remove(path) // its addresses die with the fleet
	fmt.Fprintln(stdout, path)
	if !o.quiet {
		o.printUp(stderr, time.Since(start), "self")
		fmt.Fprintf(stderr, "fleetsim: inventory %s; in another shell:\n", path)
		fmt.Fprintf(stderr, "  KFLEET_INVENTORY=%s bin/kfleet status --no-hosts\n", path)
		fmt.Fprintf(stderr, "  go run ./cmd/kfleet -i %s status --no-hosts -o json\n", path)
		fmt.Fprintln(stderr, "fleetsim: serving until Ctrl-C (SIGINT) or SIGTERM")
	}
	<-ctx.Done()
	return nil
}

// printUp says what runs, how long it took to start and how much memory the process serving it
// (a /proc entry: "self" or a pid) holds.
func (o *options) printUp(w io.Writer, took time.Duration, proc string) {
	fmt.Fprintf(w, "fleetsim: %d clusters x %d brokers, %d partitions each (%d in all), latency %s, under-min-isr %t: up in %.1f s, RSS %s\n",
		o.clusters, o.brokers, o.partitions, o.clusters*o.partitions, o.latency, o.underMinISR,
		took.Seconds(), procRSS(proc))
}

// runCommand starts a fleetsim serving the fleet (see server.go) and runs the command against
// it, once or measured.
func (o *options) runCommand(path string, stdout io.Writer) (int, error) {
	sigs, release := commandSignals()
	defer release()
	start := time.Now()
	srv, err := startServer(o, path, sigs)
	if err != nil {
		return 0, err
	}
	defer srv.stop()
	o.printUp(os.Stderr, time.Since(start), strconv.Itoa(srv.cmd.Process.Pid))
	argv := commandArgs(o.command, path)
	if o.runs == 0 {
		r, err := runCommand(argv, path, stdout, sigs)
		return r.exit, err
	}
	return measure(stdout, argv, path, o.warmup, o.runs, sigs, srv.cpu)
}

// procRSS is the resident memory of a process ("self" or a pid), from /proc (Linux); "?"
// elsewhere.
func procRSS(proc string) string {
	b, err := os.ReadFile("/proc/" + proc + "/status")
	if err != nil {
		return "?"
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			if err == nil {
				return fmt.Sprintf("%d MiB", kb>>10)
			}
		}
	}
	return "?"
}
