package ssh

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"
)

// sshDefaultFanout is RunAll's concurrency when the caller gives none.
const sshDefaultFanout = 16

// sshMaxLine is the longest line RunAll hands to its callback; longer lines are split.
const sshMaxLine = 64 << 10

// Result is the outcome of a command on one target. As with Run, Err is nil when the command
// ran, whatever its ExitCode; ExitCode is -1 when Err is set.
type Result struct {
	Target   Target
	ExitCode int
	Err      error
	Duration time.Duration
}

// RunAll runs cmd on every target, at most concurrency at a time (16 when <= 0), starting them
// in input order, and returns results in input order. A failing host never stops the others;
// when ctx ends, targets not yet started get ctx's error.
//
// out, when not nil, receives each complete output line (without its newline) with the target's
// Host and "stdout" or "stderr"; calls are serialised, and a last line without a newline is
// delivered when the command ends. Lines longer than 64 KiB arrive in 64 KiB pieces. line is
// the callback's to keep.
func (r *Runner) RunAll(ctx context.Context, targets []Target, cmd string, concurrency int,
	out func(host string, stream string, line []byte)) []Result {
	if concurrency <= 0 {
		concurrency = sshDefaultFanout
	}
	results := make([]Result, len(targets))
	var outMu sync.Mutex
	emit := func(host, stream string, line []byte) {
		if out == nil {
			return
		}
		outMu.Lock()
		defer outMu.Unlock()
		out(host, stream, line)
	}

	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	for i, t := range targets {
		results[i] = Result{Target: t, ExitCode: -1}
		if ctx.Err() == nil {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			results[i].Err = fmt.Errorf("host %s: not started: %w", t.label(), ctx.Err())
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			start := time.Now()
			stdout := &sshLineWriter{emit: func(l []byte) { emit(t.Host, "stdout", l) }}
			stderr := &sshLineWriter{emit: func(l []byte) { emit(t.Host, "stderr", l) }}
			code, err := r.Run(ctx, t, cmd, nil, stdout, stderr)
			// Run guarantees no more writes once it returned.
			stdout.flush()
			stderr.flush()
			results[i] = Result{Target: t, ExitCode: code, Err: err, Duration: time.Since(start)}
		}()
	}
	wg.Wait()
	return results
}

// sshLineWriter cuts a stream into lines. It is used by one goroutine at a time.
type sshLineWriter struct {
	buf  []byte
	emit func(line []byte)
}

func (w *sshLineWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			w.buf = append(w.buf, p...)
			p = nil
		} else {
			w.buf = append(w.buf, p[:i]...)
			p = p[i+1:]
		}
		for len(w.buf) > sshMaxLine {
			w.emit(bytes.Clone(w.buf[:sshMaxLine]))
			w.buf = append(w.buf[:0], w.buf[sshMaxLine:]...)
		}
		if i >= 0 {
			w.emit(bytes.Clone(w.buf))
			w.buf = w.buf[:0]
		}
	}
	return n, nil
}

func (w *sshLineWriter) flush() {
	if len(w.buf) > 0 {
		w.emit(bytes.Clone(w.buf))
		w.buf = w.buf[:0]
	}
}
