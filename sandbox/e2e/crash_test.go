//go:build e2e

package e2e

import (
	"fmt"
	"os"
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
	r := startKfleet(t, args...)
	r.await(t, 8*time.Minute, marks...)
	_ = r.cmd.Process.Kill()
	r.exit(time.Minute)
	return r.opID(t), r.out.String()
}

// TestKilledRestartIsResumedFromAnotherStateDir is the crash matrix of a rolling restart under
// acks=all load: kfleet is killed with SIGKILL right after each step of a batch. Each time
// another operation is refused (75) naming the dead one, `status` names a broker left down and
// the operation that stopped it, and `resume` from another state dir (another operator, who
// never saw the journal; once from the killed run's own state dir) takes the dead holder's
// lease over at once and completes it. Nothing
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
		same  bool // resumed from the killed run's own state dir (else from another one)
	}{
		{"after stop", []string{`"step":"confirm-stopped","status":"ok"`}, true, false},
		{"after start", []string{`"step":"start","status":"ok"`}, false, true},
		{"during wait-healthy", []string{`"step":"wait-healthy","status":"started"`}, false, false},
		{"during leader election", []string{`"step":"elect-leaders","status":"started"`}, false, false},
	} {
		t.Run(strings.ReplaceAll(point.name, " ", "-"), func(t *testing.T) {
			before := brokerPID(t, victim)
			state := t.TempDir()
			op, _ := runUntil(t, point.marks, "--state-dir", state, "restart", "--brokers", fmt.Sprint(victim), "--yes", "-o", "json")
			resumeDir := t.TempDir()
			if point.same {
				resumeDir = state
			}

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

			if point.down {
				// A dry run of the resume from yet another state dir: what it would do, the
				// exit the real one would give now, and nothing written there.
				scratch := t.TempDir()
				dry := kfleet(t, "--state-dir", scratch, "resume", op, "--dry-run")
				if left, _ := os.ReadDir(scratch); dry.code != 0 || len(left) != 0 || !strings.Contains(dry.stdout, fmt.Sprintf("%d", victim)) {
					t.Errorf("resume --dry-run: exit %d, state dir holds %d entries; want 0 and nothing written\n%s%s",
						dry.code, len(left), dry.stdout, dry.stderr)
				}
			}
			t0 := time.Now()
			res := kfleet(t, "--state-dir", resumeDir, "resume", op, "--yes")
			took := time.Since(t0)
			if res.code != 0 {
				t.Fatalf("resume: exit %d\n%s%s", res.code, res.stdout, res.stderr)
			}
			if !strings.Contains(res.stderr, "took over the lease of op "+op) {
				t.Errorf("resume did not say it took over the dead holder's lease:\n%s", res.stderr)
			}
			t.Logf("%s: resume (same state dir: %v) completed in %s", point.name, point.same, took.Round(100*time.Millisecond))
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
	run := startKfleet(t, "--state-dir", state, "restart", "--yes", "-o", "json")
	run.await(t, 3*time.Minute, `"step":"wait-healthy","status":"started"`)
	for id := 1; id <= n; id++ {
		if pid := brokerPID(t, id); pid > 0 {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	run.await(t, time.Minute, "cluster unreadable")
	_ = run.cmd.Process.Signal(syscall.SIGINT)
	run.await(t, 30*time.Second, "interrupted: batch 1")
	t0 := time.Now()
	_ = run.cmd.Process.Signal(syscall.SIGINT)
	if !run.exit(10 * time.Second) {
		t.Fatalf("kfleet still runs 10s after the second interrupt:\n%s", run.stderr.String())
	}
	took := time.Since(t0)
	t.Logf("second interrupt to exit: %s", took.Round(10*time.Millisecond))
	if took > 5*time.Second {
		t.Errorf("kfleet took %s to exit after the second interrupt; want at most 5s", took.Round(100*time.Millisecond))
	}
	if code := run.cmd.ProcessState.ExitCode(); code != 130 {
		t.Errorf("exit %d after the second interrupt, want 130:\n%s", code, run.stderr.String())
	}
	op := opIDFrom(t, run.stderr.String())

	heal(t) // the cluster comes back (the sandbox restarts the dead brokers)
	res := kfleet(t, "--state-dir", state, "resume", op, "--yes")
	if res.code != 0 {
		t.Fatalf("resume after the cluster is back: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
}

// TestKilledPatchRunIsResumed: kfleet dies while the patch command runs on a host whose broker
// it stopped. Resume from another state dir runs the command there again and starts the broker.
func TestKilledPatchRunIsResumed(t *testing.T) {
	needSandbox(t)
	t.Cleanup(func() { heal(t) })
	victim := firstBatch(t)
	h := hostIP(victim)
	before := brokerPID(t, victim)
	op, _ := runUntil(t, []string{`"step":"patch-host","status":"started"`},
		"--state-dir", t.TempDir(), "patch", "run", "--hosts", h, "--yes", "-o", "json", "--", "sleep 2")
	if pid := brokerPID(t, victim); pid != 0 {
		t.Fatalf("broker %d runs (pid %d) while its host is being patched", victim, pid)
	}
	s := kfleet(t, "status", "-c", "sandbox")
	if want := fmt.Sprintf("broker %d stopped by op %s", victim, op); !strings.Contains(s.stdout, want) {
		t.Errorf("status should say %q:\n%s%s", want, s.stdout, s.stderr)
	}
	res := kfleet(t, "--state-dir", t.TempDir(), "resume", op, "--yes")
	if res.code != 0 || !strings.Contains(res.stderr, "took over the lease of op "+op) {
		t.Fatalf("resume: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if pid := brokerPID(t, victim); pid == 0 || pid == before {
		t.Errorf("broker %d: pid %d before, %d after the resume", victim, before, pid)
	}
	if err := waitHealthy(time.Minute); err != nil {
		t.Fatal(err)
	}
}
