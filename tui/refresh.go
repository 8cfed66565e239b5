package tui

import (
	"context"
	"fmt"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/kfleet/kfleet/ops/cluster"
)

// Reader reads cluster i of Options.Clusters (Kafka, lease, hosts) and assesses it. It must
// honour ctx's deadline. The TUI calls it from its own goroutine, never from Update or View,
// never twice at once for one cluster, and for up to Options.Concurrency clusters at a time.
type Reader func(ctx context.Context, i int) cluster.Health

// tickMsg wakes the model: clusters may be due, and the ages on screen count seconds. Only the
// tick last armed (seq) is acted on, so re-arming it sooner never doubles the clock.
type tickMsg struct {
	seq int
	at  time.Time
}

// answer is one cluster's read as the reading goroutine hands it over.
type answer struct {
	i      int
	health cluster.Health
	took   time.Duration
	// overran is set when the read has not returned by its deadline and the grace after it:
	// health is empty, the old data stays, and the read still counts as running.
	overran string
	// late marks the return of a read that overran: it frees the cluster; its result is dropped.
	late bool
}

// answersMsg is the answers that came since the last such message.
type answersMsg []answer

// graceAfterDeadline is how long a Reader may take to return after its deadline: the fleet read
// turns a deadline into an unreachable verdict, which is worth waiting a moment for.
const graceAfterDeadline = 2 * time.Second

// batchEvery is the shortest time between two answersMsg: 300 clusters answering within a second
// cost ten redraws, not 300.
const batchEvery = 100 * time.Millisecond

// inbox is where reading goroutines leave their answers until Update takes them (listen).
type inbox struct {
	mu   sync.Mutex
	got  []answer
	wake chan struct{} // one token: something came
}

func newInbox() *inbox { return &inbox{wake: make(chan struct{}, 1)} }

func (b *inbox) push(a answer) {
	b.mu.Lock()
	b.got = append(b.got, a)
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

func (b *inbox) take() []answer {
	b.mu.Lock()
	defer b.mu.Unlock()
	got := b.got
	b.got = nil
	return got
}

// listen waits gap, then for answers, and hands over every one that came. Update issues it again
// after each batch, so answers reach the screen at most once per gap, the first of a quiet spell
// at once.
func listen(ctx context.Context, b *inbox, gap time.Duration) tea.Cmd {
	return func() tea.Msg {
		if gap > 0 {
			t := time.NewTimer(gap)
			defer t.Stop()
			select {
			case <-t.C:
			case <-ctx.Done():
				return nil
			}
		}
		for {
			select {
			case <-b.wake:
				if got := b.take(); len(got) > 0 {
					return answersMsg(got)
				}
			case <-ctx.Done():
				return nil
			}
		}
	}
}

// readClusters starts a read of each cluster in is, each in its own goroutine under timeout;
// the answers go to b.
func readClusters(ctx context.Context, read Reader, is []int, timeout time.Duration, b *inbox) tea.Cmd {
	return func() tea.Msg {
		for _, i := range is {
			go readCluster(ctx, read, i, timeout, b)
		}
		return nil
	}
}

// readCluster reads cluster i under timeout. If read overruns its deadline and the grace, the
// model hears so (the old data stays on screen) and, when read finally returns, that the cluster
// is free again: it is never read twice at once. Nothing is handed over once ctx ends.
func readCluster(ctx context.Context, read Reader, i int, timeout time.Duration, b *inbox) {
	start := time.Now()
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	done := make(chan cluster.Health, 1)
	go func() { done <- read(rctx, i) }()
	select {
	case h := <-done:
		b.push(answer{i: i, health: h, took: time.Since(start)})
		return
	case <-rctx.Done():
	}
	grace := time.NewTimer(min(graceAfterDeadline, timeout))
	defer grace.Stop()
	select {
	case h := <-done:
		b.push(answer{i: i, health: h, took: time.Since(start)})
		return
	case <-grace.C:
	case <-ctx.Done():
		return
	}
	b.push(answer{i: i, overran: fmt.Sprintf("no answer within %s", timeout)})
	select {
	case <-done:
		b.push(answer{i: i, late: true, took: time.Since(start)})
	case <-ctx.Done():
	}
}

func tick(seq int, d time.Duration) tea.Cmd {
	return tea.Tick(d, func(t time.Time) tea.Msg { return tickMsg{seq: seq, at: t} })
}
