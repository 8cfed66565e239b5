package output

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/kfleet/kfleet/ops/lease"
)

// Each kind of lease gets its own words: a live holder is alive, a holder provably dead is gone
// (why, and that resume takes the lease over), patch pre's lease has no process by design, a free
// lease is free and an unreadable cluster points below the table.
func TestLeaseStatesSayWhetherTheHolderLives(t *testing.T) {
	self := lease.Self()
	if self.Start == 0 {
		t.Skip("no /proc here: a holder's death cannot be proven on this system")
	}
	reused := self
	reused.Start++ // this pid, started at another time: the holder that had it is gone
	since := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	held := func(op, purpose string, proc *lease.Proc) lease.State {
		return lease.State{Held: true, Holder: "sre@laptop pid 4242", Purpose: purpose, OpID: op, Since: since,
			Expires: since.Add(time.Minute), Proc: proc}
	}
	unread := LeaseStateOf("down", lease.State{}, since)
	unread.Error = "cluster down: cannot reach Kafka"
	rows := []LeaseState{
		LeaseStateOf("live", held("op-live", "restart", &self), since),
		LeaseStateOf("dead", held("op-dead", "deploy 4.1.1", &reused), since),
		LeaseStateOf("patching", held("patch-h3", "patch h3", nil), since),
		LeaseStateOf("free", lease.State{}, since),
		unread,
	}
	var b bytes.Buffer
	if err := LeaseStates(rows)(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	for i, want := range map[int][]string{
		1: {"live", "held", "op-live", "restart", "alive"},
		2: {"dead", "held", "op-dead", "gone: pid", "is now another process"},
		3: {"patching", "held", "patch-h3", "none: kept until patch post"},
		4: {"free", "free"},
		5: {"down", "?", "(unreadable, below)"},
	} {
		for _, w := range want {
			if !strings.Contains(lines[i], w) {
				t.Errorf("row %d lacks %q: %s", i, w, lines[i])
			}
		}
	}
	if !strings.Contains(b.String(), "dead: the holder of op op-dead is gone (pid ") ||
		!strings.Contains(b.String(), "`kfleet resume op-dead` takes the lease over") {
		t.Errorf("no advice for the gone holder:\n%s", b.String())
	}
	if strings.Count(b.String(), "kfleet resume") != 1 {
		t.Errorf("advice for a holder that is not gone:\n%s", b.String())
	}
	if !rows[2].Detached || rows[0].Detached || rows[2].Operation.HolderGone != "" {
		t.Errorf("detached: %+v", rows[2])
	}
}
