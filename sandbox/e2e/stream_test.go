//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// running is a kfleet process whose stdout (-o json events) a test reads line by line, to act
// (a signal, a SIGKILL, a broker killed) at a given step.
type running struct {
	cmd    *exec.Cmd
	lines  chan string
	out    strings.Builder // every line read so far
	stderr lockedBuffer
}

// lockedBuffer is stderr, written by the process while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startKfleet starts kfleet with args (-i defaults to the sandbox inventory). The process is
// killed when the test ends, if it still runs.
func startKfleet(t *testing.T, args ...string) *running {
	t.Helper()
	if !hasFlag(args, "-i") {
		args = append([]string{"-i", inventory}, args...)
	}
	r := &running{cmd: exec.Command(kfleetBin, args...), lines: make(chan string, 1024)}
	stdout, err := r.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	r.cmd.Stderr = &r.stderr
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.cmd.Process.Kill() })
	go func() {
		defer close(r.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			r.lines <- sc.Text()
		}
	}()
	return r
}

// await reads lines until one contains every one of marks and returns it; the test fails if
// kfleet ends first or nothing matches within d.
func (r *running) await(t *testing.T, d time.Duration, marks ...string) string {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case l, ok := <-r.lines:
			if !ok {
				_ = r.cmd.Wait()
				t.Fatalf("kfleet %v ended (exit %d) before %q:\n%s\n%s", r.cmd.Args[1:], r.cmd.ProcessState.ExitCode(), marks,
					r.out.String(), r.stderr.String())
			}
			r.out.WriteString(l + "\n")
			if containsAll(l, marks) {
				return l
			}
		case <-deadline:
			t.Fatalf("no %q within %s:\n%s\n%s", marks, d, r.out.String(), r.stderr.String())
		}
	}
}

// exit reads the rest of the output and waits for the process to end, at most d; it reports
// whether it ended.
func (r *running) exit(d time.Duration) bool {
	done := make(chan struct{})
	go func() {
		for l := range r.lines {
			r.out.WriteString(l + "\n")
		}
		_ = r.cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// opID is the operation id of the first event that names one.
func (r *running) opID(t *testing.T) string {
	t.Helper()
	out := r.out.String()
	i := strings.Index(out, `"op":"`)
	if i < 0 {
		t.Fatalf("no operation id in:\n%s", out)
	}
	return strings.SplitN(out[i+6:], `"`, 2)[0]
}

func containsAll(s string, subs []string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}
