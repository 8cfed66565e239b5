package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// With a command, the fleet is served by a second fleetsim process, in serve mode, and this one
// stays small. A process that a Go program starts shares its parent's memory until it calls
// exec, and Linux counts that memory in the new program's peak RSS (ru_maxrss, what
// /usr/bin/time -v prints): started from the process holding a 1M-partition fleet, any command
// would seem to peak at over 1 GB.

// server is the fleetsim process serving the fleet.
type server struct {
	cmd  *exec.Cmd
	read chan struct{} // closed when its standard output is at its end
}

// serveArgs are the flags that make a fleetsim serve o's fleet with its inventory at path.
func (o *options) serveArgs(path string) []string {
	return []string{
		"-clusters", strconv.Itoa(o.clusters), "-brokers", strconv.Itoa(o.brokers),
		"-partitions", strconv.Itoa(o.partitions), "-topic-partitions", strconv.Itoa(o.topicPartitions),
		"-latency", o.latency.String(), "-under-min-isr=" + strconv.FormatBool(o.underMinISR),
		"-out", path, "-quiet",
	}
}

// startServer starts fleetsim serving o's fleet and returns once the inventory is written. The
// server has a process group of its own, so a terminal's Ctrl-C meant for the command does not
// stop it, and it gets SIGTERM should this process die.
func startServer(o *options, path string, sigs <-chan os.Signal) (*server, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, o.serveArgs(path)...)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the simulation: %w", err)
	}
	s := &server{cmd: cmd, read: make(chan struct{})}
	ready := make(chan bool, 1)
	go func() {
		defer close(s.read)
		r := bufio.NewReader(out)
		line, err := r.ReadString('\n') // serve mode prints the inventory's path once it is written
		ready <- err == nil && strings.TrimSpace(line) == path
		_, _ = io.Copy(io.Discard, r)
	}()
	select {
	case ok := <-ready:
		if !ok {
			return nil, fmt.Errorf("the simulation did not start (%v)", s.stop())
		}
		return s, nil
	case sig := <-sigs:
		_ = s.stop()
		return nil, fmt.Errorf("%v while the simulation started", sig)
	}
}

// stop ends the server and waits for it.
func (s *server) stop() error {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	<-s.read
	return s.cmd.Wait()
}

// cpu is the CPU time (user+sys) the server has used so far, from /proc (Linux, 10 ms ticks);
// 0 when it cannot be read.
func (s *server) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// pid (comm) state ppid ...: utime and stime are the 14th and 15th fields, the 12th and 13th
	// after the command name, which may hold spaces.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(utime+stime) * (time.Second / 100) // USER_HZ
}
