// Package ssh is kfleet's SSH transport: one host to reach (Target, TargetFor), the pooled
// runner that runs commands there (Runner, RunAll) with its authentication, host-key policy and
// bastions, and POSIX shell quoting for the commands it sends (ShellQuote, ShellJoin).
//
// It may import inventory only (of kfleet); it knows nothing of Kafka.
package ssh

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/kfleet/kfleet/ops/fault"
)

// Host key policies. There is deliberately no policy that skips verification.
const (
	// HostKeyStrict refuses any host whose key is not already in known_hosts.
	HostKeyStrict = "strict"
	// HostKeyAcceptNew records the key of a host that known_hosts does not know yet
	// (trust on first use) and refuses a host whose key differs from the recorded one.
	HostKeyAcceptNew = "accept-new"
)

const (
	sshDefaultPort           = 22
	sshDefaultConnectTimeout = 10 * time.Second
	sshDefaultCommandTimeout = 5 * time.Minute
	sshKeepaliveInterval     = 15 * time.Second
	// OpenSSH's MaxSessions defaults to 10 sessions per connection; stay below it so
	// concurrent Runs on one host queue here instead of failing with "administratively prohibited".
	sshMaxSessionsPerConn = 8
	// sshMaxBastionDepth bounds bastion chains (and catches a bastion that points at itself).
	sshMaxBastionDepth = 4
	// sshSignalGrace is how long a cancelled Run waits for the remote side to confirm the end
	// of the session before returning anyway.
	sshSignalGrace = 2 * time.Second
)

// Target is one host to reach.
type Target struct {
	Host string
	Port int // 0 means 22
	User string
	// IdentityFile is an unencrypted private key. When empty, the ssh-agent (SSH_AUTH_SOCK)
	// and ~/.ssh/id_ed25519, id_ecdsa and id_rsa (those present and unencrypted) are used.
	IdentityFile string
	// KnownHosts is the known_hosts file the host key is verified against. Required.
	KnownHosts string
	// HostKeyPolicy is HostKeyStrict or HostKeyAcceptNew; anything else is refused.
	HostKeyPolicy string
	// Bastion is an optional jump host, verified against its own KnownHosts the same way.
	Bastion *Target
	// Sudo runs commands as `sudo -n -- sh -c <command>`.
	Sudo bool
	// ConnectTimeout bounds the TCP connect plus the SSH handshake (0 means 10s).
	ConnectTimeout time.Duration
	// CommandTimeout bounds how long one Run's command may run once connected (0 means 5m).
	CommandTimeout time.Duration
}

// Addr returns host:port, with brackets around IPv6 literals.
func (t Target) Addr() string {
	port := t.Port
	if port == 0 {
		port = sshDefaultPort
	}
	return net.JoinHostPort(t.Host, strconv.Itoa(port))
}

// label names the host in messages: the host alone on port 22, host:port otherwise.
func (t Target) label() string {
	if t.Port == 0 || t.Port == sshDefaultPort {
		return t.Host
	}
	return t.Addr()
}

func (t Target) connectTimeout() time.Duration {
	if t.ConnectTimeout <= 0 {
		return sshDefaultConnectTimeout
	}
	return t.ConnectTimeout
}

func (t Target) commandTimeout() time.Duration {
	if t.CommandTimeout <= 0 {
		return sshDefaultCommandTimeout
	}
	return t.CommandTimeout
}

// normalized checks t and returns a copy with defaults applied and ~/ expanded in paths.
func (t Target) normalized() (Target, error) {
	return t.normalizedDepth(0)
}

func (t Target) normalizedDepth(depth int) (Target, error) {
	bad := func(format string, args ...any) error {
		return &ConfigError{Host: t.label(), Problem: fmt.Sprintf(format, args...)}
	}
	if strings.HasPrefix(t.Host, "[") && strings.HasSuffix(t.Host, "]") {
		t.Host = t.Host[1 : len(t.Host)-1] // [::1] -> ::1; Addr adds the brackets
	}
	if t.Host == "" {
		return t, &ConfigError{Host: "(empty)", Problem: "host is empty"}
	}
	if strings.ContainsAny(t.Host, " \t\r\n/@[]") {
		return t, bad("host %q is not a host name or address", t.Host)
	}
	if t.Port == 0 {
		t.Port = sshDefaultPort
	}
	if t.Port < 1 || t.Port > 65535 {
		return t, bad("port %d is out of range", t.Port)
	}
	if t.User == "" {
		return t, bad("user is empty")
	}
	if t.KnownHosts == "" {
		return t, bad("known_hosts is empty; kfleet always verifies host keys, so it needs a known_hosts file")
	}
	switch t.HostKeyPolicy {
	case HostKeyStrict, HostKeyAcceptNew:
	default:
		return t, bad("host_key_policy %q is not allowed: use %q or %q (host keys are always verified)",
			t.HostKeyPolicy, HostKeyStrict, HostKeyAcceptNew)
	}
	var err error
	if t.KnownHosts, err = sshExpandHome(t.KnownHosts); err != nil {
		return t, bad("known_hosts: %v", err)
	}
	if t.IdentityFile != "" {
		if t.IdentityFile, err = sshExpandHome(t.IdentityFile); err != nil {
			return t, bad("identity_file: %v", err)
		}
	}
	if t.Bastion != nil {
		if depth >= sshMaxBastionDepth {
			return t, bad("bastion chain is longer than %d hops (does a bastion point at itself?)", sshMaxBastionDepth)
		}
		b, err := t.Bastion.normalizedDepth(depth + 1)
		if err != nil {
			return t, fmt.Errorf("bastion of %s: %w", t.label(), err)
		}
		t.Bastion = &b
	}
	return t, nil
}

// poolKey identifies a connection: everything that decides which host is reached, as whom and
// how it is verified. Sudo and timeouts do not change the connection.
func (t Target) poolKey() string {
	k := strings.Join([]string{t.User, t.Addr(), t.IdentityFile, t.KnownHosts, t.HostKeyPolicy}, "\x00")
	if t.Bastion != nil {
		k += "\x00via\x00" + t.Bastion.poolKey()
	}
	return k
}

func sshExpandHome(p string) (string, error) {
	if p != "~" && !strings.HasPrefix(p, "~/") {
		return p, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("cannot expand %q: %w", p, err)
	}
	return filepath.Join(home, strings.TrimPrefix(p, "~")), nil
}

// sshRemoteCommand is the exact string sent in the exec request.
func sshRemoteCommand(t Target, cmd string) string {
	if !t.Sudo {
		return cmd
	}
	return "sudo -n -- sh -c " + ShellQuote(cmd)
}

// ConfigError says that a target's SSH settings cannot be used; nothing was attempted.
type ConfigError struct {
	Host    string
	Problem string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("host %s: ssh settings: %s", e.Host, e.Problem)
}

// FaultKind says what kind of failure this is (usage: nothing was changed).
func (e *ConfigError) FaultKind() fault.Kind { return fault.Usage }

// UnreachableError says that kfleet could not get a working SSH connection to Host (TCP,
// handshake, authentication, bastion or connect timeout); no command was run.
type UnreachableError struct {
	Host string
	Err  error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("host %s: cannot connect: %v", e.Host, e.Err)
}

// FaultKind says what kind of failure this is (unreachable: nothing was changed).
func (e *UnreachableError) FaultKind() fault.Kind { return fault.Unreachable }

func (e *UnreachableError) Unwrap() error { return e.Err }

// CommandError is a remote command that ran and failed: a non-zero exit (from Output) or
// death by a signal (ExitCode -1, Signal set).
type CommandError struct {
	Host     string
	ExitCode int
	Signal   string // e.g. "KILL"; empty unless the command was killed by a signal
	Stderr   string
}

func (e *CommandError) Error() string {
	var msg string
	if e.Signal != "" {
		msg = fmt.Sprintf("host %s: command killed by signal %s", e.Host, e.Signal)
	} else {
		msg = fmt.Sprintf("host %s: command exited %d", e.Host, e.ExitCode)
	}
	if line := sshFirstLine(e.Stderr); line != "" {
		msg += ": " + line
	}
	return msg
}

func sshFirstLine(s string) string {
	for line := range strings.SplitSeq(s, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			return line
		}
	}
	return ""
}

var errSSHRunnerClosed = errors.New("ssh runner is closed")

// Runner runs shell commands on hosts over SSH. It keeps one connection per target (and per
// bastion) and reuses it; it is safe for concurrent use. Close it when done.
type Runner struct {
	log *slog.Logger

	// ctx ends background work (dials, keepalives) when the runner closes.
	ctx    context.Context
	cancel context.CancelFunc

	keepaliveInterval time.Duration

	mu     sync.Mutex
	conns  map[string]*sshConn
	closed bool
}

// NewRunner returns a runner; a nil logger discards logs.
func NewRunner(logger *slog.Logger) *Runner {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Runner{
		log:               logger,
		ctx:               ctx,
		cancel:            cancel,
		keepaliveInterval: sshKeepaliveInterval,
		conns:             make(map[string]*sshConn),
	}
}

// Run runs cmd, a shell command line, with the remote user's shell (with t.Sudo:
// `sudo -n -- sh -c <quoted cmd>`). stdin may be nil; nil stdout/stderr discard.
//
// err is nil when the command ran, whatever its exit code. When err is not nil, exitCode is -1
// and err is one of: *ConfigError (bad target, nothing attempted), *UnreachableError or
// *HostKeyError (no command was run), *CommandError (killed by a signal), a command timeout
// (wraps context.DeadlineExceeded), or the caller's context error when ctx ended first.
//
// A non-nil stdin is copied by a goroutine that may outlive Run if stdin never returns EOF.
func (r *Runner) Run(ctx context.Context, t Target, cmd string, stdin io.Reader, stdout, stderr io.Writer) (exitCode int, err error) {
	t, err = t.normalized()
	if err != nil {
		return -1, err
	}
	if strings.TrimSpace(cmd) == "" {
		// sshd would start an interactive login shell instead.
		return -1, &ConfigError{Host: t.label(), Problem: "the command is empty"}
	}
	if strings.IndexByte(cmd, 0) >= 0 {
		// OpenSSH cuts the exec string at a NUL, which would run a different command.
		return -1, &ConfigError{Host: t.label(), Problem: "the command contains a NUL byte; refusing to run it"}
	}
	if stdout == nil {
		stdout = io.Discard
	}
	if stderr == nil {
		stderr = io.Discard
	}
	start := time.Now()
	sess, c, err := r.openSession(ctx, t)
	if err != nil {
		return -1, err
	}
	defer c.releaseSession()
	defer sess.Close()

	// After Run returns nothing may write to the caller's writers any more, even if the
	// remote side never confirms the end of a cancelled session.
	outGate := &sshGateWriter{w: stdout}
	errGate := &sshGateWriter{w: stderr}
	defer outGate.close()
	defer errGate.close()
	sess.Stdout = outGate
	sess.Stderr = errGate
	var stdinPipe io.WriteCloser
	if stdin != nil {
		if stdinPipe, err = sess.StdinPipe(); err != nil {
			return -1, &UnreachableError{Host: t.label(), Err: fmt.Errorf("opening stdin: %w", err)}
		}
	}

	cmdCtx, cancel := context.WithTimeout(ctx, t.commandTimeout())
	defer cancel()
	if err := sess.Start(sshRemoteCommand(t, cmd)); err != nil {
		return -1, &UnreachableError{Host: t.label(), Err: fmt.Errorf("starting the command: %w", err)}
	}
	if stdinPipe != nil {
		// Not waited for: a stdin that never ends must not keep Run from returning.
		go func() {
			_, _ = io.Copy(stdinPipe, stdin)
			_ = stdinPipe.Close()
		}()
	}
	waited := make(chan error, 1)
	go func() { waited <- sess.Wait() }()

	select {
	case err = <-waited:
	case <-cmdCtx.Done():
		// Ask the remote process to stop, then drop the session so the call returns promptly.
		_ = sess.Signal(ssh.SIGTERM)
		_ = sess.Close()
		select {
		case <-waited:
		case <-time.After(sshSignalGrace):
		}
		r.log.Debug("ssh command stopped", "host", t.label(), "after", time.Since(start).Round(time.Millisecond))
		if ctx.Err() != nil {
			return -1, fmt.Errorf("host %s: command interrupted; it was sent SIGTERM and its session closed, it may still be running there: %w",
				t.label(), ctx.Err())
		}
		return -1, fmt.Errorf("command timed out after %s on host %s; it was sent SIGTERM and its session closed, it may still be running there: %w",
			t.commandTimeout(), t.label(), context.DeadlineExceeded)
	}
	r.log.Debug("ssh command done", "host", t.label(), "duration", time.Since(start).Round(time.Millisecond))

	var exitErr *ssh.ExitError
	var missing *ssh.ExitMissingError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &exitErr):
		if sig := exitErr.Signal(); sig != "" {
			return -1, &CommandError{Host: t.label(), ExitCode: -1, Signal: sig}
		}
		return exitErr.ExitStatus(), nil
	case errors.As(err, &missing):
		return -1, fmt.Errorf("host %s: the command ended without an exit status (connection lost or sshd stopped?); it may or may not have completed", t.label())
	default:
		return -1, fmt.Errorf("host %s: command finished but its output could not be copied: %w", t.label(), err)
	}
}

// sshStderrLimit bounds the stderr Output keeps for its error.
const sshStderrLimit = 64 << 10

// Output runs cmd like Run and returns its stdout. When the command exits non-zero, err is an
// *CommandError holding the exit code and (the first 64 KiB of) stderr.
func (r *Runner) Output(ctx context.Context, t Target, cmd string) (stdout []byte, exitCode int, err error) {
	var out bytes.Buffer
	errBuf := &sshLimitedBuffer{limit: sshStderrLimit}
	code, err := r.Run(ctx, t, cmd, nil, &out, errBuf)
	if err != nil {
		var ce *CommandError
		if errors.As(err, &ce) && ce.Stderr == "" {
			ce.Stderr = errBuf.String()
		}
		return out.Bytes(), code, err
	}
	if code != 0 {
		return out.Bytes(), code, &CommandError{Host: t.label(), ExitCode: code, Stderr: errBuf.String()}
	}
	return out.Bytes(), 0, nil
}

// Close closes every pooled connection and stops background work. Runs in flight fail.
func (r *Runner) Close() error {
	r.mu.Lock()
	r.closed = true
	conns := r.conns
	r.conns = make(map[string]*sshConn)
	r.mu.Unlock()
	r.cancel()
	for _, c := range conns {
		select {
		case <-c.ready:
			c.close()
		default:
			// Still connecting: establish sees r.closed and closes what it gets.
		}
	}
	return nil
}

// sshGateWriter forwards writes until closed, then discards them.
type sshGateWriter struct {
	mu     sync.Mutex
	w      io.Writer
	closed bool
}

func (g *sshGateWriter) Write(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return len(p), nil
	}
	return g.w.Write(p)
}

func (g *sshGateWriter) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}

// sshLimitedBuffer keeps the first limit bytes written and drops the rest.
type sshLimitedBuffer struct {
	buf   bytes.Buffer
	limit int
}

func (b *sshLimitedBuffer) Write(p []byte) (int, error) {
	if room := b.limit - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

func (b *sshLimitedBuffer) String() string { return b.buf.String() }
