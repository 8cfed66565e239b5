package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kfleet/kfleet/ops/lease"
)

// holdLease takes cluster's lease at addr for op-held, in this process (its holder is alive),
// until the test ends.
func holdLease(t *testing.T, addr, cluster string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	l, err := lease.Acquire(context.Background(), cl, cluster, lease.Request{
		Holder: "sre@laptop pid 4242", OpID: "op-held", Purpose: "restart", TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Release(context.Background()) })
}

// holdLeaseAndDie has a child process (this test binary, see TestHelperHoldLease) take
// cluster's lease at addr for op-orphan, then kills it: the lease stays held for an hour by a
// holder provably gone (its pid is gone on this host).
func holdLeaseAndDie(t *testing.T, addr, cluster string) {
	t.Helper()
	if lease.Self().Start == 0 {
		t.Skip("no /proc here: a holder's death cannot be proven on this system")
	}
	child := exec.Command(os.Args[0], "-test.run=^TestHelperHoldLease$", "-test.count=1")
	child.Env = append(os.Environ(), "KFLEET_TEST_LEASE_ADDR="+addr, "KFLEET_TEST_LEASE_CLUSTER="+cluster)
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	held := make(chan bool, 1)
	go func() {
		lines := bufio.NewScanner(out)
		for lines.Scan() {
			if lines.Text() == "held" {
				held <- true
				return
			}
		}
		held <- false
	}()
	select {
	case ok := <-held:
		if !ok {
			t.Fatal("the child process did not take the lease")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the child process did not take the lease within 30s")
	}
	_ = child.Process.Kill()
	_ = child.Wait()
}

// TestHelperHoldLease is not a test: it is the child process of holdLeaseAndDie.
func TestHelperHoldLease(t *testing.T) {
	addr := os.Getenv("KFLEET_TEST_LEASE_ADDR")
	if addr == "" {
		t.Skip("the child process of holdLeaseAndDie")
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lease.Acquire(context.Background(), cl, os.Getenv("KFLEET_TEST_LEASE_CLUSTER"), lease.Request{
		Holder: "bob@ci-runner pid 777", OpID: "op-orphan", Purpose: "deploy 4.1.1", TTL: time.Hour}); err != nil {
		t.Fatal(err)
	}
	fmt.Println("held")
	time.Sleep(time.Hour) // until killed
}

// leaseScrub makes lease show's output the same on every run and machine: lease times, the
// operation's elapsed seconds, and the pid and host of the killed holder.
var leaseScrub = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d`), "YYYY-MM-DD hh:mm:ss"},
	{regexp.MustCompile(`"elapsed_s": [0-9.e+-]+`), `"elapsed_s": SECONDS`},
	{regexp.MustCompile(`pid \d+ on \S+ is gone`), "pid PID on HOST is gone"},
}

// lease show reads every selected cluster: a lease held by a live holder, one whose holder was
// killed (gone, and what to do), a free one, and an unreachable cluster whose error line names it
// on stderr (JSON: an "error"), with the worst exit code (69); 0 when every cluster answered.
func TestGoldenLeaseShow(t *testing.T) {
	time.Local = time.UTC
	held, orphan := goldenKafka(t), goldenKafka(t)
	inv := goldenInventory(t, []string{"golden", "gone", "idle", "orphan"}, []string{held, "127.0.0.1:1", goldenKafka(t), orphan})
	holdLease(t, held, "golden")
	holdLeaseAndDie(t, orphan, "orphan")
	for _, tc := range []goldenCase{
		{"lease-show-fleet-table", []string{"lease", "show"}, 69},
		{"lease-show-fleet-json", []string{"lease", "show", "-o", "json"}, 69},
		{"lease-show-answered", []string{"-c", "golden", "-c", "idle", "lease", "show"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runCLI(t, append([]string{"-i", inv}, tc.args...)...)
			if code != tc.wantCode {
				t.Fatalf("kfleet %v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", tc.args, code, tc.wantCode, out, errOut)
			}
			got := fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", code, out, errOut)
			for _, s := range leaseScrub {
				got = s.re.ReplaceAllString(got, s.with)
			}
			checkGolden(t, tc.name, got)
		})
	}
}
