package tui

import (
	"context"
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/kfleet/kfleet/ops/cluster"
)

// Source collects the fleet. It must honour ctx's deadline; the TUI calls it from a tea.Cmd,
// never from Update or View, and never twice at once.
type Source func(ctx context.Context) []cluster.Health

// tickMsg asks for the periodic refresh.
type tickMsg time.Time

// refreshedMsg carries one collection's result back to Update.
type refreshedMsg struct {
	clusters []cluster.Health
	started  time.Time
	took     time.Duration
	err      error // the collection did not finish in time; clusters is nil
}

// graceAfterDeadline is how long a Source may take to return after its deadline: CollectFleet
// marks the clusters it could not read unreachable, which is worth waiting a moment for.
const graceAfterDeadline = 2 * time.Second

// collect runs src under timeout. If src overruns its deadline (and the grace), the result is an
// error and the old data stays on screen; the late call's result is dropped.
func collect(ctx context.Context, src Source, timeout time.Duration) tea.Cmd {
	return func() tea.Msg {
		start := time.Now()
		cctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		done := make(chan []cluster.Health, 1)
		go func() { done <- src(cctx) }()
		select {
		case cs := <-done:
			return refreshedMsg{clusters: cs, started: start, took: time.Since(start)}
		case <-cctx.Done():
		}
		select {
		case cs := <-done:
			return refreshedMsg{clusters: cs, started: start, took: time.Since(start)}
		case <-time.After(min(graceAfterDeadline, timeout)):
			return refreshedMsg{started: start, took: time.Since(start),
				err: fmt.Errorf("collection did not finish within %s", timeout)}
		}
	}
}

func tick(d time.Duration) tea.Cmd {
	return tea.Tick(d, func(t time.Time) tea.Msg { return tickMsg(t) })
}
