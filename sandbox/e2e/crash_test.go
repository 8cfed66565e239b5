//go:build e2e

package e2e

import (
	"bufio"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runUntil starts kfleet with args (-o json), reads its events, and SIGKILLs it as soon as an
// event line contains every one of marks: an operator's laptop dying at that very step. It
// returns the operation id and what kfleet printed.
func runUntil(t *testing.T, marks []string, args ...string) (op, out string) {
	t.Helper()
	cmd := exec.Command(kfleetBin, append([]string{"-i", inventory}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	sc := bufio.NewScanner(stdout)
	killed := false
	for sc.Scan() {
		line := sc.Text()
		b.WriteString(line + "\n")
		if op == "" {
			if i := strings.Index(line, `"op":"`); i >= 0 {
				op = strings.SplitN(line[i+6:], `"`, 2)[0]
			}
		}
		if !killed && containsAll(line, marks) {
			_ = cmd.Process.Kill()
			killed = true
		}
	}
	_ = cmd.Wait()
	if !killed {
		t.Fatalf("kfleet %v ended (exit %d) before %v:\n%s\n%s", args, cmd.ProcessState.ExitCode(), marks, b.String(), stderr.String())
	}
	if op == "" {
		t.Fatalf("no operation id in:\n%s", b.String())
	}
	return op, b.String()
}

func containsAll(s string, subs []string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}

// TestKilledRestartIsResumedFromAnotherStateDir is the crash matrix of a rolling restart under
// acks=all load: kfleet is killed with SIGKILL right after each step of a batch. Each time
// another operation is refused (75) naming the dead one, `status` names a broker left down and
// the operation that stopped it, and `resume` from another state dir (another operator, who
// never saw the journal) takes the dead holder's lease over at once and completes it. Nothing
// acknowledged is lost and no partition goes below min ISR.
func TestKilledRestartIsResumedFromAnotherStateDir(t *testing.T) {
	needSandbox(t)
	t.Cleanup(func() { heal(t) })
	createTopic(t, "e2e-crash", 6, 3, "2")
	obs := watchMinISR(t, "e2e-crash")
	prod := produce(t, "e2e-crash")
	time.Sleep(time.Second)

	victim := firstBatch(t)
	other := victim%brokerCount() + 1
	for _, point := range []struct {
		name  string
		marks []string
		down  bool // the broker is down when kfleet dies
	}{
		{"after stop", []string{`"step":"confirm-stopped","status":"ok"`}, true},
		{"after start", []string{`"step":"start","status":"ok"`}, false},
		{"during wait-healthy", []string{`"step":"wait-healthy","status":"started"`}, false},
		{"during leader election", []string{`"step":"elect-leaders","status":"started"`}, false},
	} {
		t.Run(strings.ReplaceAll(point.name, " ", "-"), func(t *testing.T) {
			before := brokerPID(t, victim)
			op, _ := runUntil(t, point.marks, "--state-dir", t.TempDir(), "restart", "--brokers", fmt.Sprint(victim), "--yes", "-o", "json")

			if point.down {
				s := kfleet(t, "status", "-c", "sandbox")
				want := fmt.Sprintf("broker %d stopped by op %s", victim, op)
				if !strings.Contains(s.stdout+s.stderr, want) || !strings.Contains(s.stdout+s.stderr, "kfleet resume "+op) {
					t.Errorf("status should say %q and how to resume:\n%s%s", want, s.stdout, s.stderr)
				}
			}
			// Another operation must not plan around the dead one.
			r := kfleet(t, "--state-dir", t.TempDir(), "restart", "--brokers", fmt.Sprint(other), "--yes")
			if r.code != 75 || !strings.Contains(r.stderr, "kfleet resume "+op) {
				t.Errorf("another restart: exit %d, want 75 naming `kfleet resume %s`:\n%s", r.code, op, r.stderr)
			}

			t0 := time.Now()
			res := kfleet(t, "--state-dir", t.TempDir(), "resume", op, "--yes")
			took := time.Since(t0)
			if res.code != 0 {
				t.Fatalf("resume from another state dir: exit %d\n%s%s", res.code, res.stdout, res.stderr)
			}
			if !strings.Contains(res.stderr, "took over the lease of op "+op) {
				t.Errorf("resume did not say it took over the dead holder's lease:\n%s", res.stderr)
			}
			t.Logf("%s: resume from another state dir completed in %s", point.name, took.Round(100*time.Millisecond))
			if pid := brokerPID(t, victim); pid == 0 || pid == before {
				t.Errorf("broker %d: pid %d before, %d after; want a new running process", victim, before, pid)
			}
			if err := waitHealthy(time.Minute); err != nil {
				t.Fatal(err)
			}
			h := kfleet(t, "--state-dir", t.TempDir(), "status", "-c", "sandbox")
			if strings.Contains(h.stdout, "stopped by op") {
				t.Errorf("status still names a stopped broker after the resume:\n%s", h.stdout)
			}
		})
	}
	prod.finish(t, "e2e-crash")
	obs.finish(t)
}

// TestEveryBrokerKilledDuringARestart: the whole cluster dies under a restart batch. The first
// interrupt says what the batch waits for and that it cannot be left half-way; the second ends
// kfleet within seconds whatever Kafka does; once the cluster is back, resume completes.
func TestEveryBrokerKilledDuringARestart(t *testing.T) {
	needSandbox(t)
	t.Cleanup(func() { heal(t) })
	n := brokerCount()
	state := t.TempDir()
	cmd := exec.Command(kfleetBin, "-i", inventory, "--state-dir", state, "restart", "--yes", "-o", "json")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 1024)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var out strings.Builder
	await := func(what string, d time.Duration) {
		t.Helper()
		deadline := time.After(d)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("kfleet ended before %q:\n%s\n%s", what, out.String(), stderr.String())
				}
				out.WriteString(l + "\n")
				if strings.Contains(l, what) {
					return
				}
			case <-deadline:
				t.Fatalf("no %q within %s:\n%s\n%s", what, d, out.String(), stderr.String())
			}
		}
	}
	await(`"step":"wait-healthy","status":"started"`, 3*time.Minute)
	for id := 1; id <= n; id++ {
		if pid := brokerPID(t, id); pid > 0 {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	await("cluster unreadable", time.Minute)
	_ = cmd.Process.Signal(syscall.SIGINT)
	await("interrupted: batch 1", 30*time.Second)
	t0 := time.Now()
	_ = cmd.Process.Signal(syscall.SIGINT)
	waited := make(chan error, 1)
	go func() {
		for range lines {
		}
		waited <- cmd.Wait()
	}()
	select {
	case <-waited:
	case <-time.After(10 * time.Second):
		t.Fatalf("kfleet still runs 10s after the second interrupt:\n%s", stderr.String())
	}
	took := time.Since(t0)
	t.Logf("second interrupt to exit: %s", took.Round(10*time.Millisecond))
	if took > 5*time.Second {
		t.Errorf("kfleet took %s to exit after the second interrupt; want at most 5s", took.Round(100*time.Millisecond))
	}
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Errorf("exit %d after the second interrupt, want 130:\n%s", code, stderr.String())
	}
	op := opIDFrom(t, stderr.String())

	heal(t) // the cluster comes back (the sandbox restarts the dead brokers)
	res := kfleet(t, "--state-dir", state, "resume", op, "--yes")
	if res.code != 0 {
		t.Fatalf("resume after the cluster is back: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
}
