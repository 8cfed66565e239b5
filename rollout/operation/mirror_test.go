package operation

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/journal"
	"github.com/kfleet/kfleet/ops/lease"
	"github.com/twmb/franz-go/pkg/kgo"
)

type slowSink struct {
	mu    sync.Mutex
	got   []string
	delay time.Duration
	fail  string // a line containing this fails
}

func (s *slowSink) Journal(ctx context.Context, line []byte) error {
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		return ctx.Err()
	}
	if s.fail != "" && strings.Contains(string(line), s.fail) {
		return errors.New("refused")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, string(line))
	return nil
}

func TestMirrorKeepsOrderAndFlushWaits(t *testing.T) {
	sink := &slowSink{delay: 20 * time.Millisecond, fail: "bad"}
	m := newOpsMirror(sink)
	for _, l := range []string{"a", "b", "bad", "c"} {
		m.Mirror([]byte(l))
	}
	err := m.Flush(context.Background())
	if err == nil || !strings.Contains(err.Error(), "1 journal line(s) could not be copied") {
		t.Fatalf("flush: %v; want the failed line counted", err)
	}
	sink.mu.Lock()
	got := strings.Join(sink.got, ",")
	sink.mu.Unlock()
	if got != "a,b,c" {
		t.Fatalf("copied %s, want a,b,c in order", got)
	}
	// Flush is bounded by its context when the log is slow.
	slow := newOpsMirror(&slowSink{delay: time.Second})
	slow.Mirror([]byte("x"))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	if err := slow.Flush(ctx); err == nil || time.Since(t0) > 500*time.Millisecond {
		t.Fatalf("flush of a slow log: %v after %s; want a timeout at once", err, time.Since(t0))
	}
	if err := m.Close(context.Background()); err == nil {
		t.Fatal("close did not report the line that could not be copied")
	}
	m.Mirror([]byte("after close")) // dropped, and must not block or panic
}

// An operation's journal reaches the cluster's ops log: status there names the broker it
// stopped and never started, and another state dir adopts the journal to resume it.
func TestGuardCopiesTheJournalToTheCluster(t *testing.T) {
	g, ctx := guardOn(t)
	g.Brokers = []int32{1, 2, 3}
	died := errors.New("process died here")
	err := g.Run(ctx, func(ctx context.Context, s *Session) error {
		_ = s.Journal.Append(map[string]any{"time": time.Now(), "event": journal.EventBatchStart, "brokers": []int32{2}})
		_ = s.Journal.Append(map[string]any{"time": time.Now(), "event": journal.EventStep, "step": journal.StepStop,
			"status": journal.StatusStarted, "brokers": []int32{2}})
		if err := s.Journal.Flush(ctx); err != nil {
			t.Errorf("flush: %v", err)
		}
		return died
	})
	if !errors.Is(err, died) {
		t.Fatal(err)
	}
	st, err := lease.Read(ctx, g.Deps.Client, "c")
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Stopped) != 1 || st.Stopped[0].Broker != 2 || st.Stopped[0].OpID != g.OpID || st.Stopped[0].Running {
		t.Fatalf("stopped brokers in the ops log: %+v; want broker 2 by %s, not running", st.Stopped, g.OpID)
	}
	if !strings.Contains(st.Stopped[0].Explain(), "kfleet resume "+g.OpID) {
		t.Fatalf("explain: %s", st.Stopped[0].Explain())
	}

	other := t.TempDir()
	c := &inventory.Cluster{Name: "c"}
	e, err := Adopt(ctx, other, "/elsewhere/fleet.yaml", g.OpID, []*inventory.Cluster{c},
		func(*inventory.Cluster) (*kgo.Client, error) { return g.Deps.Client, nil })
	if err != nil {
		t.Fatal(err)
	}
	orig, err := journal.Load(g.Deps.StateDir, g.OpID)
	if err != nil {
		t.Fatal(err)
	}
	if e.Op.ID != g.OpID || e.Op.Inventory != "/elsewhere/fleet.yaml" || len(e.Events) != len(orig.Events) || e.Status != orig.Status {
		t.Fatalf("adopted %+v (%d events), original %+v (%d events)", e.Op, len(e.Events), orig.Op, len(orig.Events))
	}
	if _, err := Adopt(ctx, t.TempDir(), "x", "op-none", []*inventory.Cluster{c},
		func(*inventory.Cluster) (*kgo.Client, error) { return g.Deps.Client, nil }); !errors.Is(err, journal.ErrNoSuchOp) {
		t.Fatalf("unknown op: %v", err)
	}
}
