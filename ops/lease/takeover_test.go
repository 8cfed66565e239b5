package lease

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// claimAs writes a claim for op as if another kfleet process (proc) had made it, and returns
// nothing: that process never renews, like one killed with SIGKILL.
func claimAs(t *testing.T, ctx context.Context, log *opsLog, op string, ttl time.Duration, proc *Proc) {
	t.Helper()
	if err := log.ensureTopic(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := log.append(ctx, recClaim, opsBody{OpID: op, Nonce: "dead-nonce", Holder: "bob@elsewhere pid 7",
		Purpose: "restart", TTLms: ttl.Milliseconds(), Proc: proc}); err != nil {
		t.Fatal(err)
	}
}

func TestProcGone(t *testing.T) {
	self := Self()
	if self.Start == 0 || self.Host == "" {
		t.Skip("no /proc here: a holder's death cannot be proven on this system")
	}
	if gone, why := self.Gone(); gone {
		t.Fatalf("this very process judged gone: %s", why)
	}
	reused := self
	reused.Start++
	if gone, why := reused.Gone(); !gone || !strings.Contains(why, "now another process") {
		t.Fatalf("pid with another start time: gone=%v %q", gone, why)
	}
	rebooted := self
	rebooted.Boot = "another-boot"
	if gone, why := rebooted.Gone(); self.Boot != "" && (!gone || !strings.Contains(why, "rebooted")) {
		t.Fatalf("other boot id: gone=%v %q", gone, why)
	}
	other := reused
	other.Host = "some-other-host"
	if gone, _ := other.Gone(); gone {
		t.Fatal("a process of another host cannot be proven dead")
	}

	// A child killed and not yet reaped is a zombie: it still has its pid and start time, and
	// runs nothing.
	child := exec.Command("sleep", "60")
	if err := child.Start(); err != nil {
		t.Skip("no sleep(1) here")
	}
	start, _, err := procStart(child.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	zombie := Proc{Host: self.Host, PID: child.Process.Pid, Start: start, Boot: self.Boot}
	if gone, why := zombie.Gone(); gone {
		t.Fatalf("a running child judged gone: %s", why)
	}
	_ = child.Process.Kill()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, dead, _ := procStart(child.Process.Pid)
		if dead || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if gone, why := zombie.Gone(); !gone || !strings.Contains(why, "exited") {
		t.Fatalf("a killed, unreaped child: gone=%v %q", gone, why)
	}
	_ = child.Wait()
}

// A lease whose holder process is provably dead is taken over at once by resume of the same
// operation, and by nobody else.
func TestResumeTakesOverADeadHoldersLease(t *testing.T) {
	self := Self()
	if self.Start == 0 {
		t.Skip("no /proc here: a holder's death cannot be proven on this system")
	}
	_, cl, ctx := fakeKafka(t)
	log, err := newOpsWriter(cl, "fake")
	if err != nil {
		t.Fatal(err)
	}
	defer log.cl.Close()
	dead := self
	dead.Start++ // this pid, but another process: the holder died and its pid was reused
	claimAs(t, ctx, log, "op-dead", time.Hour, &dead)

	// Another operation is refused, told that the holder is gone and what to run.
	_, err = Acquire(ctx, cl, "fake", Request{OpID: "op-new"})
	var held *HeldError
	if !errors.As(err, &held) || held.Gone == "" || !strings.Contains(err.Error(), "kfleet resume op-dead") {
		t.Fatalf("other op: %v; want held, holder gone, run resume", err)
	}
	// Resume of another operation does not take it over either.
	if _, err := Acquire(ctx, cl, "fake", Request{OpID: "op-new", TakeOver: true}); !errors.As(err, &held) {
		t.Fatalf("takeover by another op: %v; want held", err)
	}

	t0 := time.Now()
	l, err := Acquire(ctx, cl, "fake", Request{OpID: "op-dead", TakeOver: true})
	if err != nil {
		t.Fatalf("resume of the dead holder's op: %v", err)
	}
	defer l.Release(context.Background())
	if d := time.Since(t0); d > 5*time.Second {
		t.Fatalf("took %s to take over a provably dead holder's lease; want at once", d)
	}
	if !strings.Contains(l.TookOver, "took over the lease of op op-dead from bob@elsewhere pid 7") {
		t.Fatalf("TookOver = %q", l.TookOver)
	}
	st, err := Read(ctx, cl, "fake")
	if err != nil || !st.Held || st.OpID != "op-dead" || st.Proc == nil || st.Proc.PID != os.Getpid() || st.Proc.Start != self.Start {
		t.Fatalf("after takeover: %+v, %v; want op-dead held by this process", st, err)
	}
	if gone, why := st.HolderGone(); gone {
		t.Fatalf("the new holder is judged gone: %s", why)
	}
}

// A holder on another host cannot be proven dead: resume waits for its lease to run out (and no
// longer), then takes it.
func TestResumeWaitsOutAHolderOnAnotherHost(t *testing.T) {
	_, cl, ctx := fakeKafka(t)
	log, err := newOpsWriter(cl, "fake")
	if err != nil {
		t.Fatal(err)
	}
	defer log.cl.Close()
	claimAs(t, ctx, log, "op-far", 2*time.Second, &Proc{Host: "some-other-host", PID: 7, Start: 99})

	var held *HeldError
	if _, err := Acquire(ctx, cl, "fake", Request{OpID: "op-far"}); !errors.As(err, &held) || held.Gone != "" {
		t.Fatalf("without TakeOver: %v; want held, holder not known to be gone", err)
	}
	t0 := time.Now()
	l, err := Acquire(ctx, cl, "fake", Request{OpID: "op-far", TakeOver: true})
	if err != nil {
		t.Fatalf("resume: %v", err)
	}
	defer l.Release(context.Background())
	if d := time.Since(t0); d > 6*time.Second {
		t.Fatalf("resume took %s for a lease with 2s left", d)
	}
}

// A detached lease (patch pre) records no process, so its holder is never judged gone.
func TestDetachedLeaseHasNoHolderProcess(t *testing.T) {
	_, cl, ctx := fakeKafka(t)
	l, err := Acquire(ctx, cl, "fake", Request{OpID: "op-pre", Purpose: "patch", TTL: time.Minute, Detached: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release(context.Background())
	st, err := Read(ctx, cl, "fake")
	if err != nil || !st.Held || st.Proc != nil {
		t.Fatalf("detached: %+v, %v; want held with no holder process", st, err)
	}
}
