package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

// inventoryPlaceholder in the command's arguments is replaced by the inventory's path.
const inventoryPlaceholder = "{inventory}"

// run is one finished run of the command, as the kernel accounted it (wait4's rusage, what
// /usr/bin/time -v prints), and the CPU the simulation spent meanwhile, serving it.
type run struct {
	exit      int
	wall      time.Duration
	user, sys time.Duration
	peakRSS   int64 // bytes
	simCPU    time.Duration
	signal    os.Signal // fleetsim got it during the run
}

func (r run) cpu() time.Duration { return r.user + r.sys }

// commandArgs is argv with the placeholder replaced by the inventory's path.
func commandArgs(argv []string, inventory string) []string {
	out := make([]string, len(argv))
	for i, a := range argv {
		out[i] = strings.ReplaceAll(a, inventoryPlaceholder, inventory)
	}
	return out
}

// commandSignals catches SIGINT and SIGTERM for as long as commands run, so that fleetsim outlives
// its command and closes the fleet.
func commandSignals() (<-chan os.Signal, func()) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	return sigs, func() { signal.Stop(sigs) }
}

// runCommand runs argv once with KFLEET_INVENTORY set to the inventory. SIGTERM sent to fleetsim
// is passed on; SIGINT is not, since a terminal's Ctrl-C reaches the command itself.
func runCommand(argv []string, inventory string, stdout io.Writer, sigs <-chan os.Signal) (run, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "KFLEET_INVENTORY="+inventory)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return run{}, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	var got os.Signal
wait:
	for {
		select {
		case err = <-done:
			break wait
		case got = <-sigs:
			if got == syscall.SIGTERM {
				_ = cmd.Process.Signal(got)
			}
		}
	}
	r := run{wall: time.Since(start), signal: got}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return r, err
	}
	st := cmd.ProcessState
	r.exit = st.ExitCode()
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		r.exit = 128 + int(ws.Signal())
	}
	if ru, ok := st.SysUsage().(*syscall.Rusage); ok {
		r.user = time.Duration(ru.Utime.Nano())
		r.sys = time.Duration(ru.Stime.Nano())
		r.peakRSS = ru.Maxrss * 1024 // Linux counts kilobytes
	}
	return r, nil
}

// measure runs argv warmup times unmeasured, then runs times, its standard output thrown away,
// and prints each measured run and the median, min and max to w; simCPU is the simulation's CPU
// time so far. It returns the last exit code.
func measure(w io.Writer, argv []string, inventory string, warmup, runs int, sigs <-chan os.Signal, simCPU func() time.Duration) (int, error) {
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return 0, err
	}
	defer devnull.Close()
	var rs []run
	for i := range warmup + runs {
		select {
		case s := <-sigs:
			return 130, fmt.Errorf("%v before run %d: stopped measuring", s, i+1)
		default:
		}
		before := simCPU()
		r, err := runCommand(argv, inventory, devnull, sigs)
		if err != nil {
			return 0, err
		}
		r.simCPU = simCPU() - before
		switch {
		case r.signal != nil:
			return r.exit, fmt.Errorf("%v during run %d (exit %d): stopped measuring", r.signal, i+1, r.exit)
		case r.exit >= 128:
			return r.exit, fmt.Errorf("run %d ended by a signal (exit %d): stopped measuring", i+1, r.exit)
		}
		if i >= warmup {
			rs = append(rs, r)
		}
	}
	printRuns(w, argv, warmup, rs)
	return rs[len(rs)-1].exit, nil
}

// columns of the measurement table, after the run number and exit code.
var columns = []struct {
	head string
	of   func(run) float64
}{
	{"wall s", func(r run) float64 { return r.wall.Seconds() }},
	{"cpu s", func(r run) float64 { return r.cpu().Seconds() }},
	{"user s", func(r run) float64 { return r.user.Seconds() }},
	{"sys s", func(r run) float64 { return r.sys.Seconds() }},
	{"peak RSS MiB", func(r run) float64 { return float64(r.peakRSS) / (1 << 20) }},
	{"simulation cpu s", func(r run) float64 { return r.simCPU.Seconds() }},
}

func printRuns(w io.Writer, argv []string, warmup int, rs []run) {
	fmt.Fprintf(w, "%d runs (after %d warm-up) of: %s\n", len(rs), warmup, strings.Join(argv, " "))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "run\texit")
	for _, c := range columns {
		fmt.Fprint(tw, "\t", c.head)
	}
	fmt.Fprintln(tw)
	for i, r := range rs {
		fmt.Fprintf(tw, "%d\t%d", i+1, r.exit)
		for _, c := range columns {
			fmt.Fprintf(tw, "\t%.3f", c.of(r))
		}
		fmt.Fprintln(tw)
	}
	for _, stat := range []struct {
		name string
		pick func(sorted []float64) float64
	}{
		{"median", median},
		{"min", func(v []float64) float64 { return v[0] }},
		{"max", func(v []float64) float64 { return v[len(v)-1] }},
	} {
		fmt.Fprintf(tw, "%s\t", stat.name)
		for _, c := range columns {
			var v []float64
			for _, r := range rs {
				v = append(v, c.of(r))
			}
			slices.Sort(v)
			fmt.Fprintf(tw, "\t%.3f", stat.pick(v))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}

// median of sorted values.
func median(v []float64) float64 {
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}
