package operation

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// mirrorWrite bounds one copy of a journal line to the cluster's ops log.
const mirrorWrite = 5 * time.Second

// journalSink is where the mirror copies lines: the held lease's ops log.
type journalSink interface {
	Journal(ctx context.Context, line []byte) error
}

// opsMirror copies an operation's journal lines to the cluster's ops log, in order, on a
// goroutine of its own: the local journal is written and synced first, so a slow or absent
// Kafka delays the copy and never the operation (except where it asks, with Flush).
type opsMirror struct {
	sink journalSink

	mu      sync.Mutex
	queue   [][]byte
	queued  int // lines accepted so far
	written int // lines the goroutine is done with (copied or failed)
	failed  int
	lastErr error
	closed  bool
	wake    chan struct{} // a line was queued
	moved   chan struct{} // closed and replaced each time written advances
	done    chan struct{}
}

func newOpsMirror(sink journalSink) *opsMirror {
	m := &opsMirror{sink: sink, wake: make(chan struct{}, 1), moved: make(chan struct{}), done: make(chan struct{})}
	go m.run()
	return m
}

// Mirror queues a line; after Close it is dropped (the local journal still has it).
func (m *opsMirror) Mirror(line []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	m.queue = append(m.queue, append([]byte(nil), line...))
	m.queued++
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

func (m *opsMirror) run() {
	defer close(m.done)
	for {
		m.mu.Lock()
		for len(m.queue) == 0 {
			if m.closed {
				m.mu.Unlock()
				return
			}
			m.mu.Unlock()
			<-m.wake
			m.mu.Lock()
		}
		line := m.queue[0]
		m.queue = m.queue[1:]
		m.mu.Unlock()

		ctx, cancel := context.WithTimeout(context.Background(), mirrorWrite)
		err := m.sink.Journal(ctx, line)
		cancel()

		m.mu.Lock()
		if err != nil {
			m.failed++
			m.lastErr = err
		}
		m.written++
		close(m.moved)
		m.moved = make(chan struct{})
		m.mu.Unlock()
	}
}

// Flush waits until every line queued so far has been copied (or failed), or ctx ends. It
// says how many lines could not be copied.
func (m *opsMirror) Flush(ctx context.Context) error {
	m.mu.Lock()
	target := m.queued
	for m.written < target {
		moved := m.moved
		m.mu.Unlock()
		select {
		case <-moved:
		case <-ctx.Done():
			return fmt.Errorf("%d journal line(s) not yet in the cluster's ops log: %w", target-m.writtenNow(), ctx.Err())
		}
		m.mu.Lock()
	}
	defer m.mu.Unlock()
	if m.failed > 0 {
		return fmt.Errorf("%d journal line(s) could not be copied to the cluster's ops log; the latest: %w", m.failed, m.lastErr)
	}
	return nil
}

func (m *opsMirror) writtenNow() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.written
}

// Close lets the queued lines reach the log (bounded by ctx) and stops the copying; lines after
// it are dropped.
func (m *opsMirror) Close(ctx context.Context) error {
	err := m.Flush(ctx)
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	select {
	case m.wake <- struct{}{}:
	default:
	}
	if err != nil {
		return err // the goroutine ends on its own once its current write times out
	}
	<-m.done
	return nil
}
