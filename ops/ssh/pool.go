package ssh

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// sshConn is one pooled connection. It is created in the pool before it is dialled so that
// concurrent Runs to the same target share a single dial.
type sshConn struct {
	key   string
	label string

	ready  chan struct{} // closed when the dial finished; then client or err is set
	client *ssh.Client
	err    error

	sessions  chan struct{} // session slots, see sshMaxSessionsPerConn
	done      chan struct{} // closed when the connection is closed
	closeOnce sync.Once
}

func (c *sshConn) close() {
	c.closeOnce.Do(func() {
		close(c.done)
		if c.client != nil {
			_ = c.client.Close()
		}
	})
}

func (c *sshConn) acquireSession(ctx context.Context) error {
	select {
	case c.sessions <- struct{}{}:
		return nil
	case <-c.done:
		return errors.New("connection closed")
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *sshConn) releaseSession() { <-c.sessions }

// conn returns the pooled connection for t (normalized), dialling it if needed. cached reports
// whether the connection was already established before this call, i.e. may have gone stale.
func (r *Runner) conn(ctx context.Context, t Target) (c *sshConn, cached bool, err error) {
	key := t.poolKey()
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil, false, fmt.Errorf("host %s: %w", t.label(), errSSHRunnerClosed)
	}
	c, ok := r.conns[key]
	if ok {
		select {
		case <-c.ready:
			cached = true
		default:
		}
	} else {
		c = &sshConn{
			key:      key,
			label:    t.label(),
			ready:    make(chan struct{}),
			sessions: make(chan struct{}, sshMaxSessionsPerConn),
			done:     make(chan struct{}),
		}
		r.conns[key] = c
		// The dial belongs to the pool, not to this caller: a caller that gives up does not
		// fail the dial for others waiting on it. It is bounded by the connect timeout.
		go r.establish(c, t)
	}
	r.mu.Unlock()

	select {
	case <-c.ready:
	case <-ctx.Done():
		return nil, false, fmt.Errorf("host %s: connecting interrupted: %w", t.label(), ctx.Err())
	}
	if c.err != nil {
		return nil, false, c.err
	}
	return c, cached, nil
}

// drop removes c from the pool (if it is still the pooled one) and closes it.
func (r *Runner) drop(c *sshConn, reason error) {
	r.mu.Lock()
	if r.conns[c.key] == c {
		delete(r.conns, c.key)
	}
	r.mu.Unlock()
	select {
	case <-c.done:
		return
	default:
	}
	r.log.Debug("ssh connection dropped", "host", c.label, "reason", reason)
	c.close()
}

func (r *Runner) establish(c *sshConn, t Target) {
	client, err := r.dial(t)
	r.mu.Lock()
	if err == nil && r.closed {
		_ = client.Close()
		client, err = nil, fmt.Errorf("host %s: %w", t.label(), errSSHRunnerClosed)
	}
	if err != nil && r.conns[c.key] == c {
		delete(r.conns, c.key) // the next Run dials again
	}
	c.client, c.err = client, err
	r.mu.Unlock()
	close(c.ready)
	if err != nil {
		return
	}
	go func() {
		_ = client.Wait()
		r.drop(c, errors.New("connection closed"))
	}()
	go r.keepalive(c)
}

// keepalive sends keepalive@openssh.com every interval; a connection that does not answer
// within one interval is closed and dropped so the next Run reconnects.
func (r *Runner) keepalive(c *sshConn) {
	tick := time.NewTicker(r.keepaliveInterval)
	defer tick.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-tick.C:
		}
		replied := make(chan error, 1)
		go func() {
			// Any reply, even "unsupported", proves the peer is alive.
			_, _, err := c.client.SendRequest("keepalive@openssh.com", true, nil)
			replied <- err
		}()
		var err error
		select {
		case err = <-replied:
		case <-time.After(r.keepaliveInterval):
			err = fmt.Errorf("no keepalive reply within %s", r.keepaliveInterval)
		case <-c.done:
			return
		}
		if err != nil {
			r.log.Warn("ssh keepalive failed; dropping connection", "host", c.label, "error", err)
			r.drop(c, err)
			return
		}
	}
}

// openSession opens a session on the pooled connection for t. A cached connection that turns
// out to be dead (host rebooted, sshd restarted, half-open TCP) is dropped and dialled once more.
func (r *Runner) openSession(ctx context.Context, t Target) (*ssh.Session, *sshConn, error) {
	for attempt := 0; ; attempt++ {
		c, cached, err := r.conn(ctx, t)
		if err != nil {
			return nil, nil, err
		}
		if err := c.acquireSession(ctx); err != nil {
			if ctx.Err() != nil {
				return nil, nil, fmt.Errorf("host %s: waiting for a free session: %w", t.label(), ctx.Err())
			}
			if attempt == 0 {
				r.drop(c, err) // closed under us: dial again
				continue
			}
			return nil, nil, &UnreachableError{Host: t.label(), Err: err}
		}
		sess, err := r.newSession(ctx, c, t.connectTimeout())
		if err == nil {
			return sess, c, nil
		}
		c.releaseSession()
		if ctx.Err() != nil {
			return nil, nil, fmt.Errorf("host %s: opening a session interrupted: %w", t.label(), ctx.Err())
		}
		var refused *ssh.OpenChannelError
		if errors.As(err, &refused) {
			// The connection is alive; the server said no.
			return nil, nil, &UnreachableError{Host: t.label(), Err: fmt.Errorf("the server refused a session: %w", err)}
		}
		r.drop(c, err)
		if !cached || attempt > 0 {
			return nil, nil, &UnreachableError{Host: t.label(), Err: fmt.Errorf("opening a session: %w", err)}
		}
		r.log.Debug("ssh cached connection is dead; reconnecting", "host", t.label(), "error", err)
	}
}

// newSession opens a session, giving up after timeout: on a half-open connection the
// channel-open reply never comes.
func (r *Runner) newSession(ctx context.Context, c *sshConn, timeout time.Duration) (*ssh.Session, error) {
	type result struct {
		sess *ssh.Session
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		s, err := c.client.NewSession()
		ch <- result{s, err}
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case res := <-ch:
		return res.sess, res.err
	case <-timer.C:
		c.close() // unblocks NewSession
		return nil, fmt.Errorf("no answer within %s (connection dead?)", timeout)
	case <-ctx.Done():
		go func() {
			if res := <-ch; res.sess != nil {
				_ = res.sess.Close()
			}
		}()
		return nil, ctx.Err()
	}
}

// dial connects to t (directly or through its bastion), verifies the host key and
// authenticates. Errors are *HostKeyError, *ConfigError or *UnreachableError.
func (r *Runner) dial(t Target) (*ssh.Client, error) {
	hk, err := newSSHHostKeyCheck(t, r.log)
	if err != nil {
		return nil, err
	}
	auth, err := sshAuthFor(t, r.log)
	if err != nil {
		return nil, err
	}
	defer auth.close()

	var conn net.Conn
	via := ""
	if t.Bastion != nil {
		via = t.Bastion.label()
		conn, err = r.dialViaBastion(t)
		if err != nil {
			return nil, err
		}
	}

	timeout := t.connectTimeout()
	ctx, cancel := context.WithTimeout(r.ctx, timeout)
	defer cancel()
	if conn == nil {
		var d net.Dialer
		conn, err = d.DialContext(ctx, "tcp", t.Addr())
		if err != nil {
			return nil, r.unreachable(t, ctx, timeout, err)
		}
	}

	cfg := &ssh.ClientConfig{
		User:              t.User,
		Auth:              auth.methods,
		HostKeyCallback:   hk.callback,
		HostKeyAlgorithms: hk.algorithms,
	}
	// Closing the connection is the only way to stop a handshake that hangs (and the only
	// deadline a connection tunnelled through a bastion supports).
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	sc, chans, reqs, err := ssh.NewClientConn(conn, t.Addr(), cfg)
	if !stop() && err == nil {
		_ = sc.Close()
		err = ctx.Err()
	}
	if err != nil {
		_ = conn.Close()
		if hkErr := hk.failure(); hkErr != nil {
			return nil, hkErr
		}
		if strings.Contains(err.Error(), "unable to authenticate") {
			err = fmt.Errorf("authentication as user %q failed (offered: %s); check that one of these keys is in the user's authorized_keys on the host: %w",
				t.User, auth.describe(), err)
		}
		return nil, r.unreachable(t, ctx, timeout, err)
	}
	r.log.Debug("ssh connected", "host", t.label(), "user", t.User, "via", via)
	return ssh.NewClient(sc, chans, reqs), nil
}

func (r *Runner) unreachable(t Target, ctx context.Context, timeout time.Duration, err error) error {
	switch {
	case r.ctx.Err() != nil:
		return fmt.Errorf("host %s: %w", t.label(), errSSHRunnerClosed)
	case ctx.Err() != nil:
		err = fmt.Errorf("connect and handshake timed out after %s (last error: %v)", timeout, err)
	}
	return &UnreachableError{Host: t.label(), Err: err}
}

// dialViaBastion opens a TCP connection to t through its bastion's pooled connection.
func (r *Runner) dialViaBastion(t Target) (net.Conn, error) {
	b := *t.Bastion
	for attempt := 0; ; attempt++ {
		bc, cached, err := r.conn(r.ctx, b)
		if err != nil {
			var hkErr *HostKeyError
			var unreach *UnreachableError
			switch {
			case errors.As(err, &hkErr):
				e := *hkErr
				if e.BastionFor == "" {
					e.BastionFor = t.label()
				}
				return nil, &e
			case errors.As(err, &unreach):
				return nil, &UnreachableError{Host: t.label(), Err: fmt.Errorf("bastion %s: %w", b.label(), unreach.Err)}
			default:
				return nil, err
			}
		}
		ctx, cancel := context.WithTimeout(r.ctx, t.connectTimeout())
		conn, err := bc.client.DialContext(ctx, "tcp", t.Addr())
		timedOut := ctx.Err() != nil
		cancel()
		if err == nil {
			return conn, nil
		}
		var refused *ssh.OpenChannelError
		if errors.As(err, &refused) || timedOut || !cached || attempt > 0 {
			if timedOut {
				err = fmt.Errorf("timed out after %s", t.connectTimeout())
			}
			return nil, &UnreachableError{Host: t.label(), Err: fmt.Errorf("bastion %s could not open a connection to %s: %w", b.label(), t.Addr(), err)}
		}
		// The bastion's cached connection is dead: reconnect to it once.
		r.drop(bc, err)
	}
}
