package ssh

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/kfleet/kfleet/ops/ssh/sshtest"
)

// ---- targets (the servers, keys and known_hosts are sshtest's) ----

// testEnv is one test's client key, known_hosts path and servers, with the Target that reaches
// a server.
type testEnv struct{ *sshtest.Env }

func newTestEnv(t *testing.T) testEnv {
	t.Helper()
	// The runner must not pick up the developer's agent or keys: NewEnv isolates it.
	return testEnv{sshtest.NewEnv(t)}
}

func (e testEnv) target(s *sshtest.Server) Target {
	return Target{
		Host:           "127.0.0.1",
		Port:           s.Port,
		User:           "kafka",
		IdentityFile:   e.KeyFile,
		KnownHosts:     e.KnownHosts,
		HostKeyPolicy:  HostKeyStrict,
		ConnectTimeout: 5 * time.Second,
	}
}

func newTestRunner(t testing.TB) *Runner {
	r := NewRunner(nil)
	t.Cleanup(func() { _ = r.Close() })
	return r
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// ---- tests ----

func TestSSHRunStdoutStderrExitCode(t *testing.T) {
	e := newTestEnv(t)
	s := e.Server(sshtest.Options{})
	e.Trust(s)
	r := newTestRunner(t)

	var out, errOut bytes.Buffer
	code, err := r.Run(testCtx(t), e.target(s), "echo out; echo err >&2; exit 3", nil, &out, &errOut)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if code != 3 || out.String() != "out\n" || errOut.String() != "err\n" {
		t.Fatalf("got code %d stdout %q stderr %q; want 3, \"out\\n\", \"err\\n\"", code, out.String(), errOut.String())
	}

	out.Reset()
	code, err = r.Run(testCtx(t), e.target(s), "tr a-z A-Z", strings.NewReader("hello\n"), &out, nil)
	if err != nil || code != 0 || out.String() != "HELLO\n" {
		t.Fatalf("stdin: got %d %v %q", code, err, out.String())
	}
}

func TestSSHOutput(t *testing.T) {
	e := newTestEnv(t)
	s := e.Server(sshtest.Options{})
	e.Trust(s)
	r := newTestRunner(t)
	tg := e.target(s)

	out, code, err := r.Output(testCtx(t), tg, "printf 'a b\\n'")
	if err != nil || code != 0 || string(out) != "a b\n" {
		t.Fatalf("got %q %d %v", out, code, err)
	}
	out, code, err = r.Output(testCtx(t), tg, "echo partial; printf '\\nno such topic: x\\nmore\\n' >&2; exit 3")
	var ce *CommandError
	if !errors.As(err, &ce) || code != 3 || ce.ExitCode != 3 || string(out) != "partial\n" {
		t.Fatalf("got %q %d %v", out, code, err)
	}
	want := "host 127.0.0.1:" + strconv.Itoa(s.Port) + ": command exited 3: no such topic: x"
	if err.Error() != want {
		t.Fatalf("error %q, want %q", err, want)
	}
}

func TestSSHKilledBySignal(t *testing.T) {
	e := newTestEnv(t)
	s := e.Server(sshtest.Options{})
	e.Trust(s)
	r := newTestRunner(t)
	code, err := r.Run(testCtx(t), e.target(s), "kill -9 $$", nil, nil, nil)
	var ce *CommandError
	if code != -1 || !errors.As(err, &ce) || ce.Signal != "KILL" || !strings.Contains(err.Error(), "signal KILL") {
		t.Fatalf("got %d %v; want -1 and a KILL signal error", code, err)
	}
}

func TestSSHWrongHostKeyRefused(t *testing.T) {
	for _, policy := range []string{HostKeyStrict, HostKeyAcceptNew} {
		t.Run(policy, func(t *testing.T) {
			e := newTestEnv(t)
			s := e.Server(sshtest.Options{})
			other := sshtest.Ed25519Signer(t).PublicKey()
			sshtest.WriteKnownHosts(t, e.KnownHosts, "# fleet hosts", sshtest.KnownHostsLine(s.Addr, other))
			before, _ := os.ReadFile(e.KnownHosts)
			r := newTestRunner(t)
			marker := filepath.Join(e.Dir, "marker")
			tg := e.target(s)
			tg.HostKeyPolicy = policy

			code, err := r.Run(testCtx(t), tg, "touch "+ShellQuote(marker), nil, nil, nil)
			var hk *HostKeyError
			if !errors.As(err, &hk) || code != -1 {
				t.Fatalf("got %d %v; want a *HostKeyError", code, err)
			}
			msg := err.Error()
			for _, want := range []string{
				"host key", s.Addr, ssh.FingerprintSHA256(s.HostKeys[0]), e.KnownHosts,
				e.KnownHosts + ":2", ssh.FingerprintSHA256(other), "ssh-keygen -R",
			} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not mention %q", msg, want)
				}
			}
			if !hk.Mismatch {
				t.Errorf("Mismatch not set: %+v", hk)
			}
			if _, err := os.Stat(marker); !os.IsNotExist(err) {
				t.Fatalf("the command ran despite the host key mismatch")
			}
			if n := s.Handshakes(); n != 0 {
				t.Fatalf("server saw %d completed handshakes, want 0", n)
			}
			after, _ := os.ReadFile(e.KnownHosts)
			if !bytes.Equal(before, after) {
				t.Fatalf("known_hosts changed on a mismatch:\n%s", after)
			}
		})
	}
}

func TestSSHUnknownHostRefusedUnderStrict(t *testing.T) {
	e := newTestEnv(t)
	s := e.Server(sshtest.Options{})
	other := e.Server(sshtest.Options{})
	r := newTestRunner(t)

	// Missing file, then a file that knows only another host (and this host on port 22).
	for _, setup := range []func(){
		func() {},
		func() {
			sshtest.WriteKnownHosts(t, e.KnownHosts, sshtest.KnownHostsLine(other.Addr, other.HostKeys[0]),
				sshtest.KnownHostsLine("127.0.0.1", s.HostKeys[0]))
		},
	} {
		setup()
		_, err := r.Run(testCtx(t), e.target(s), "true", nil, nil, nil)
		var hk *HostKeyError
		if !errors.As(err, &hk) || hk.Mismatch || !strings.Contains(err.Error(), "not in known_hosts") ||
			!strings.Contains(err.Error(), ssh.FingerprintSHA256(s.HostKeys[0])) {
			t.Fatalf("got %v; want a *HostKeyError saying the key is not in known_hosts", err)
		}
	}
	if s.Execs() != 0 {
		t.Fatal("a command ran on an unknown host")
	}
}

func TestSSHAcceptNewRecordsKey(t *testing.T) {
	e := newTestEnv(t)
	s := e.Server(sshtest.Options{})
	known := filepath.Join(e.Dir, "fresh", "known_hosts") // neither file nor directory exists
	tg := e.target(s)
	tg.KnownHosts = known
	tg.HostKeyPolicy = HostKeyAcceptNew

	r := newTestRunner(t)
	if code, err := r.Run(testCtx(t), tg, "true", nil, nil, nil); err != nil || code != 0 {
		t.Fatalf("accept-new: %d %v", code, err)
	}
	st, err := os.Stat(known)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("known_hosts mode %v, want 0600", st.Mode().Perm())
	}
	data, _ := os.ReadFile(known)
	want := "[127.0.0.1]:" + strconv.Itoa(s.Port) + " " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(s.HostKeys[0]))) + "\n"
	if string(data) != want {
		t.Fatalf("known_hosts:\n%q\nwant\n%q", data, want)
	}

	// A new runner (so a new connection) under strict now trusts the recorded key, and
	// accept-new does not record it twice.
	for _, policy := range []string{HostKeyStrict, HostKeyAcceptNew} {
		tg.HostKeyPolicy = policy
		r2 := newTestRunner(t)
		if code, err := r2.Run(testCtx(t), tg, "true", nil, nil, nil); err != nil || code != 0 {
			t.Fatalf("%s after accept-new: %d %v", policy, code, err)
		}
	}
	if again, _ := os.ReadFile(known); string(again) != want {
		t.Fatalf("known_hosts changed:\n%s", again)
	}
}

func TestSSHAcceptNewAppendsAfterLineWithoutNewline(t *testing.T) {
	e := newTestEnv(t)
	s := e.Server(sshtest.Options{})
	other := e.Server(sshtest.Options{})
	first := sshtest.KnownHostsLine(other.Addr, other.HostKeys[0])
	if err := os.WriteFile(e.KnownHosts, []byte(first), 0o644); err != nil { // no trailing newline
		t.Fatal(err)
	}
	tg := e.target(s)
	tg.HostKeyPolicy = HostKeyAcceptNew
	r := newTestRunner(t)
	if _, err := r.Run(testCtx(t), tg, "true", nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	// Both hosts are now known under strict.
	for _, srv := range []*sshtest.Server{s, other} {
		tg := e.target(srv)
		if _, err := newTestRunner(t).Run(testCtx(t), tg, "true", nil, nil, nil); err != nil {
			t.Fatalf("%s: %v", srv.Addr, err)
		}
	}
}

func TestSSHHostWithSeveralKeyTypes(t *testing.T) {
	t.Run("known_hosts has ecdsa and ed25519, server presents ed25519 only", func(t *testing.T) {
		e := newTestEnv(t)
		s := e.Server(sshtest.Options{})
		sshtest.WriteKnownHosts(t, e.KnownHosts,
			sshtest.KnownHostsLine(s.Addr, sshtest.ECDSASigner(t).PublicKey()),
			sshtest.KnownHostsLine(s.Addr, s.HostKeys[0]))
		if _, err := newTestRunner(t).Run(testCtx(t), e.target(s), "true", nil, nil, nil); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("server has ecdsa and ed25519, known_hosts only ed25519", func(t *testing.T) {
		// Without restricting HostKeyAlgorithms the client would prefer ECDSA, the server
		// would present it, and known_hosts would call it a mismatch.
		e := newTestEnv(t)
		ed := sshtest.Ed25519Signer(t)
		s := e.Server(sshtest.Options{HostKeys: []ssh.Signer{sshtest.ECDSASigner(t), ed}})
		sshtest.WriteKnownHosts(t, e.KnownHosts, sshtest.KnownHostsLine(s.Addr, ed.PublicKey()))
		if _, err := newTestRunner(t).Run(testCtx(t), e.target(s), "true", nil, nil, nil); err != nil {
			t.Fatal(err)
		}
	})
}

func TestSSHHostKeyAlgorithms(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "known_hosts")
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaPub, err := ssh.NewPublicKey(&rsaKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	rsaLine := sshtest.KnownHostsLine("h.example:2222", rsaPub)
	lines := []string{
		rsaLine,
		sshtest.KnownHostsLine("h.example:2222", sshtest.Ed25519Signer(t).PublicKey()),
		sshtest.KnownHostsLine("other.example:22", sshtest.ECDSASigner(t).PublicKey()),
	}
	sshtest.WriteKnownHosts(t, path, lines...)
	db, err := knownhosts.New(path)
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]string{
		"h.example:2222":     "ssh-ed25519 rsa-sha2-512 rsa-sha2-256 ssh-rsa",
		"other.example:22":   "ecdsa-sha2-nistp256",
		"h.example:22":       "", // [host]:port entries do not match port 22
		"nowhere.example:22": "",
	} {
		if got := strings.Join(sshHostKeyAlgorithms(db, addr), " "); got != want {
			t.Errorf("%s: got %q, want %q", addr, got, want)
		}
	}
}

func TestSSHBastion(t *testing.T) {
	e := newTestEnv(t)
	bastion := e.Server(sshtest.Options{Forward: true})
	target := e.Server(sshtest.Options{})
	e.Trust(bastion, target)
	r := newTestRunner(t)
	bt := e.target(bastion)
	tg := e.target(target)
	tg.Bastion = &bt

	for range 2 {
		out, code, err := r.Output(testCtx(t), tg, "echo via-bastion")
		if err != nil || code != 0 || string(out) != "via-bastion\n" {
			t.Fatalf("got %q %d %v", out, code, err)
		}
	}
	if f, h, x := bastion.Forwards(), target.Handshakes(), bastion.Execs(); f != 1 || h != 1 || x != 0 {
		t.Fatalf("bastion forwards %d, target handshakes %d, bastion execs %d; want 1, 1, 0", f, h, x)
	}

	t.Run("wrong bastion key", func(t *testing.T) {
		kh := filepath.Join(e.Dir, "bastion_known_hosts")
		sshtest.WriteKnownHosts(t, kh, sshtest.KnownHostsLine(bastion.Addr, sshtest.Ed25519Signer(t).PublicKey()))
		bad := bt
		bad.KnownHosts = kh
		tg := e.target(target)
		tg.Bastion = &bad
		before := target.Handshakes()
		_, err := newTestRunner(t).Run(testCtx(t), tg, "true", nil, nil, nil)
		var hk *HostKeyError
		if !errors.As(err, &hk) || hk.Host != bastion.Addr || hk.BastionFor != tg.label() ||
			!strings.Contains(err.Error(), "bastion") || !strings.Contains(err.Error(), "host key mismatch") {
			t.Fatalf("got %v; want a *HostKeyError for the bastion", err)
		}
		if target.Handshakes() != before {
			t.Fatal("the target was contacted through an unverified bastion")
		}
	})

	t.Run("wrong target key through the bastion", func(t *testing.T) {
		kh := filepath.Join(e.Dir, "target_known_hosts")
		sshtest.WriteKnownHosts(t, kh, sshtest.KnownHostsLine(target.Addr, sshtest.Ed25519Signer(t).PublicKey()))
		tg := e.target(target)
		tg.KnownHosts = kh
		tg.Bastion = &bt
		_, err := newTestRunner(t).Run(testCtx(t), tg, "true", nil, nil, nil)
		var hk *HostKeyError
		if !errors.As(err, &hk) || hk.Host != target.Addr || hk.BastionFor != "" {
			t.Fatalf("got %v; want a *HostKeyError for the target", err)
		}
	})

	t.Run("bastion unreachable", func(t *testing.T) {
		dead := bt
		dead.Port = testClosedPort(t)
		tg := e.target(target)
		tg.Bastion = &dead
		_, err := newTestRunner(t).Run(testCtx(t), tg, "true", nil, nil, nil)
		var ue *UnreachableError
		if !errors.As(err, &ue) || ue.Host != tg.label() || !strings.Contains(err.Error(), "bastion") {
			t.Fatalf("got %v; want *SSHUnreachableError naming the bastion", err)
		}
	})
}

func testClosedPort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	return port
}

func TestSSHUnreachable(t *testing.T) {
	e := newTestEnv(t)
	t.Run("closed port", func(t *testing.T) {
		tg := Target{Host: "127.0.0.1", Port: testClosedPort(t), User: "kafka", IdentityFile: e.KeyFile,
			KnownHosts: e.KnownHosts, HostKeyPolicy: HostKeyStrict}
		start := time.Now()
		code, err := newTestRunner(t).Run(testCtx(t), tg, "true", nil, nil, nil)
		var ue *UnreachableError
		if !errors.As(err, &ue) || code != -1 || !strings.Contains(err.Error(), "cannot connect") {
			t.Fatalf("got %d %v; want *SSHUnreachableError", code, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("took %v", d)
		}
	})
	t.Run("handshake never answers", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				defer c.Close() // accept and say nothing
			}
		}()
		tg := Target{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, User: "kafka", IdentityFile: e.KeyFile,
			KnownHosts: e.KnownHosts, HostKeyPolicy: HostKeyStrict, ConnectTimeout: 300 * time.Millisecond}
		start := time.Now()
		_, err = newTestRunner(t).Run(testCtx(t), tg, "true", nil, nil, nil)
		var ue *UnreachableError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "timed out after 300ms") {
			t.Fatalf("got %v; want a connect timeout", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("took %v", d)
		}
	})
	t.Run("authentication refused", func(t *testing.T) {
		s := sshtest.NewServer(t, sshtest.Options{Client: sshtest.Ed25519Signer(t).PublicKey()})
		e.Trust(s)
		_, err := newTestRunner(t).Run(testCtx(t), e.target(s), "true", nil, nil, nil)
		var ue *UnreachableError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), `authentication as user "kafka" failed`) ||
			!strings.Contains(err.Error(), e.KeyFile) {
			t.Fatalf("got %v", err)
		}
	})
}

func TestSSHTargetValidation(t *testing.T) {
	e := newTestEnv(t)
	s := e.Server(sshtest.Options{})
	e.Trust(s)
	good := e.target(s)
	for name, mutate := range map[string]func(*Target){
		"no policy":       func(t *Target) { t.HostKeyPolicy = "" },
		"ignore policy":   func(t *Target) { t.HostKeyPolicy = "insecure" },
		"no known_hosts":  func(t *Target) { t.KnownHosts = "" },
		"no user":         func(t *Target) { t.User = "" },
		"bad port":        func(t *Target) { t.Port = 70000 },
		"bad bastion":     func(t *Target) { b := *t; b.HostKeyPolicy = "off"; t.Bastion = &b },
		"bastion is self": func(t *Target) { t.Bastion = t },
	} {
		t.Run(name, func(t *testing.T) {
			tg := good
			mutate(&tg)
			_, err := newTestRunner(t).Run(testCtx(t), tg, "true", nil, nil, nil)
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("got %v; want *SSHConfigError", err)
			}
		})
	}
	for _, cmd := range []string{"echo a\x00b", "", " \n"} {
		var ce *ConfigError
		if _, err := newTestRunner(t).Run(testCtx(t), good, cmd, nil, nil, nil); !errors.As(err, &ce) {
			t.Fatalf("command %q: got %v, want *SSHConfigError", cmd, err)
		}
	}
	if s.Handshakes() != 0 {
		t.Fatal("an invalid target was dialled")
	}
}

func TestSSHCommandTimeout(t *testing.T) {
	e := newTestEnv(t)
	s := e.Server(sshtest.Options{})
	e.Trust(s)
	r := newTestRunner(t)
	tg := e.target(s)
	tg.CommandTimeout = 300 * time.Millisecond
	if _, err := r.Run(testCtx(t), tg, "true", nil, nil, nil); err != nil { // connect first
		t.Fatal(err)
	}

	start := time.Now()
	code, err := r.Run(testCtx(t), tg, "echo started; sleep 20", nil, nil, nil)
	if code != -1 || !errors.Is(err, context.DeadlineExceeded) ||
		!strings.Contains(err.Error(), "command timed out after 300ms on host 127.0.0.1:"+strconv.Itoa(s.Port)) {
		t.Fatalf("got %d %v", code, err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Run returned after %v", d)
	}

	// The caller's context is honoured the same way, and the connection stays usable.
	ctx, cancel := context.WithCancel(testCtx(t))
	time.AfterFunc(200*time.Millisecond, cancel)
	start = time.Now()
	_, err = r.Run(ctx, e.target(s), "sleep 20", nil, nil, nil)
	if !errors.Is(err, context.Canceled) || time.Since(start) > 3*time.Second {
		t.Fatalf("got %v after %v; want context.Canceled promptly", err, time.Since(start))
	}
	if code, err := r.Run(testCtx(t), e.target(s), "true", nil, nil, nil); err != nil || code != 0 {
		t.Fatalf("after timeouts: %d %v", code, err)
	}
	if h := s.Handshakes(); h != 1 {
		t.Fatalf("%d handshakes, want 1", h)
	}
}

func TestSSHConnectionReuse(t *testing.T) {
	e := newTestEnv(t)
	s := e.Server(sshtest.Options{})
	e.Trust(s)
	r := newTestRunner(t)
	for range 3 {
		if _, err := r.Run(testCtx(t), e.target(s), "true", nil, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	// Concurrent first use of another runner also shares one dial.
	r2 := newTestRunner(t)
	var wg sync.WaitGroup
	for range 12 { // more than the per-connection session limit
		wg.Go(func() {
			if _, err := r2.Run(testCtx(t), e.target(s), "sleep 0.05", nil, nil, nil); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if h := s.Handshakes(); h != 2 {
		t.Fatalf("%d handshakes, want 1 per runner (2)", h)
	}
	if peak := s.Active().Peak(); peak > sshMaxSessionsPerConn {
		t.Fatalf("%d concurrent sessions on one connection, limit %d", peak, sshMaxSessionsPerConn)
	}
}

func TestSSHReconnectAfterServerRestart(t *testing.T) {
	e := newTestEnv(t)
	s := e.Server(sshtest.Options{})
	e.Trust(s)
	r := newTestRunner(t)
	if _, err := r.Run(testCtx(t), e.target(s), "true", nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	s.Restart()
	out, code, err := r.Output(testCtx(t), e.target(s), "echo back")
	if err != nil || code != 0 || string(out) != "back\n" {
		t.Fatalf("after restart: %q %d %v", out, code, err)
	}
	if h := s.Handshakes(); h != 2 {
		t.Fatalf("%d handshakes, want 2", h)
	}
}

// testProxy forwards TCP to a backend; freeze makes existing connections a black hole, like
// a host that vanished without closing its connections.
type testProxy struct {
	addr   string
	port   int
	frozen atomic.Pointer[chan struct{}]
	mu     sync.Mutex
	gen    int
}

func newTestProxy(t testing.TB, backend string) *testProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	p := &testProxy{addr: ln.Addr().String(), port: ln.Addr().(*net.TCPAddr).Port}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b, err := net.Dial("tcp", backend)
			if err != nil {
				_ = c.Close()
				continue
			}
			p.mu.Lock()
			gen := p.gen
			p.mu.Unlock()
			pipe := func(dst, src net.Conn) {
				buf := make([]byte, 32<<10)
				for {
					n, err := src.Read(buf)
					if err != nil {
						_ = dst.Close()
						return
					}
					p.mu.Lock()
					blackhole := p.gen != gen
					p.mu.Unlock()
					if !blackhole {
						_, _ = dst.Write(buf[:n])
					}
				}
			}
			go pipe(b, c)
			go pipe(c, b)
		}
	}()
	return p
}

// freeze black-holes every connection made so far; new connections pass.
func (p *testProxy) freeze() {
	p.mu.Lock()
	p.gen++
	p.mu.Unlock()
}

func TestSSHDeadCachedConnectionRedials(t *testing.T) {
	e := newTestEnv(t)
	s := e.Server(sshtest.Options{})
	p := newTestProxy(t, s.Addr)
	sshtest.WriteKnownHosts(t, e.KnownHosts, sshtest.KnownHostsLine(p.addr, s.HostKeys[0]))
	tg := e.target(s)
	tg.Port = p.port
	r := newTestRunner(t)
	if _, err := r.Run(testCtx(t), tg, "true", nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	p.freeze()
	// The connect timeout also bounds opening a session on a cached connection.
	tg.ConnectTimeout = 1500 * time.Millisecond
	start := time.Now()
	out, _, err := r.Output(testCtx(t), tg, "echo alive")
	if err != nil || string(out) != "alive\n" {
		t.Fatalf("after the connection went dead: %q %v", out, err)
	}
	if h, d := s.Handshakes(), time.Since(start); h != 2 || d > 6*time.Second {
		t.Fatalf("%d handshakes after %v; want a redial (2) within about the connect timeout", h, d)
	}
}

func TestSSHKeepalive(t *testing.T) {
	e := newTestEnv(t)
	s := e.Server(sshtest.Options{})
	p := newTestProxy(t, s.Addr)
	sshtest.WriteKnownHosts(t, e.KnownHosts, sshtest.KnownHostsLine(p.addr, s.HostKeys[0]))
	tg := e.target(s)
	tg.Port = p.port
	r := newTestRunner(t)
	r.keepaliveInterval = 50 * time.Millisecond
	if _, err := r.Run(testCtx(t), tg, "true", nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	testEventually(t, "keepalives reach the server", func() bool { return s.Keepalives() >= 2 })

	p.freeze()
	testEventually(t, "the dead connection leaves the pool", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return len(r.conns) == 0
	})
	if _, err := r.Run(testCtx(t), tg, "true", nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	if h := s.Handshakes(); h != 2 {
		t.Fatalf("%d handshakes, want 2", h)
	}
}

func testEventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSSHRunAll(t *testing.T) {
	e := newTestEnv(t)
	active := &sshtest.Concurrency{}
	var servers []*sshtest.Server
	for range 5 {
		servers = append(servers, e.Server(sshtest.Options{Active: active}))
	}
	e.Trust(servers...)
	var targets []Target
	for i, s := range servers {
		targets = append(targets, e.target(s))
		if i == 1 {
			dead := e.target(s)
			dead.Port = testClosedPort(t)
			targets = append(targets, dead)
		}
	}

	type line struct{ host, stream, text string }
	var lines []line
	inCallback := atomic.Int32{}
	results := newTestRunner(t).RunAll(testCtx(t), targets, "echo one; echo two >&2; sleep 0.3; printf last", 2,
		func(host, stream string, l []byte) {
			if inCallback.Add(1) != 1 {
				t.Error("out called concurrently")
			}
			lines = append(lines, line{host, stream, string(l)})
			inCallback.Add(-1)
		})

	if len(results) != len(targets) {
		t.Fatalf("%d results for %d targets", len(results), len(targets))
	}
	for i, res := range results {
		if res.Target.Port != targets[i].Port {
			t.Fatalf("result %d is for port %d, want %d (input order)", i, res.Target.Port, targets[i].Port)
		}
		if i == 2 {
			var ue *UnreachableError
			if !errors.As(res.Err, &ue) || res.ExitCode != -1 {
				t.Fatalf("result %d: %+v; want unreachable", i, res)
			}
			continue
		}
		if res.Err != nil || res.ExitCode != 0 || res.Duration < 300*time.Millisecond {
			t.Fatalf("result %d: %+v", i, res)
		}
	}
	if peak := active.Peak(); peak > 2 || peak < 1 {
		t.Fatalf("peak concurrency %d, want at most 2", peak)
	}
	count := map[line]int{}
	for _, l := range lines {
		count[l]++
	}
	for _, want := range []line{{"127.0.0.1", "stdout", "one"}, {"127.0.0.1", "stderr", "two"}, {"127.0.0.1", "stdout", "last"}} {
		if count[want] != 5 {
			t.Errorf("line %+v seen %d times, want 5 (one per reachable host); all: %v", want, count[want], lines)
		}
	}
}

func TestSSHLineWriter(t *testing.T) {
	var got []string
	w := &sshLineWriter{emit: func(l []byte) { got = append(got, string(l)) }}
	long := strings.Repeat("x", sshMaxLine*2+10)
	exact := strings.Repeat("y", sshMaxLine)
	for _, chunk := range []string{"a", "b\nc\n", "", "\n", long[:100], long[100:] + "\n", exact + "\n", "tail"} {
		if n, err := w.Write([]byte(chunk)); n != len(chunk) || err != nil {
			t.Fatalf("Write: %d %v", n, err)
		}
	}
	w.flush()
	want := []string{"ab", "c", "", long[:sshMaxLine], long[sshMaxLine : 2*sshMaxLine], long[2*sshMaxLine:], exact, "tail"}
	if len(got) != len(want) {
		t.Fatalf("got %d lines, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d: got %d bytes %.20q, want %d bytes %.20q", i, len(got[i]), got[i], len(want[i]), want[i])
		}
	}
}

func TestSSHTargetAddr(t *testing.T) {
	for _, c := range []struct {
		t          Target
		addr, name string
	}{
		{Target{Host: "k1.example"}, "k1.example:22", "k1.example"},
		{Target{Host: "k1.example", Port: 2222}, "k1.example:2222", "k1.example:2222"},
		{Target{Host: "::1", Port: 2222}, "[::1]:2222", "[::1]:2222"},
		{Target{Host: "fe80::1%eth0", Port: 22}, "[fe80::1%eth0]:22", "fe80::1%eth0"},
	} {
		if got := c.t.Addr(); got != c.addr {
			t.Errorf("Addr(%+v) = %q, want %q", c.t, got, c.addr)
		}
		if got := c.t.label(); got != c.name {
			t.Errorf("label(%+v) = %q, want %q", c.t, got, c.name)
		}
	}
	n, err := Target{Host: "[::1]", User: "u", KnownHosts: "/k", HostKeyPolicy: HostKeyStrict}.normalized()
	if err != nil || n.Addr() != "[::1]:22" {
		t.Errorf("bracketed IPv6 host: %q %v", n.Addr(), err)
	}
}

func TestSSHRemoteCommand(t *testing.T) {
	cmd := `systemctl restart kafka && echo 'it''s "done" $(id)'`
	if got := sshRemoteCommand(Target{}, cmd); got != cmd {
		t.Errorf("without sudo: %q", got)
	}
	want := `sudo -n -- sh -c 'systemctl restart kafka && echo '\''it'\'''\''s "done" $(id)'\'''`
	if got := sshRemoteCommand(Target{Sudo: true}, cmd); got != want {
		t.Errorf("with sudo:\n got %s\nwant %s", got, want)
	}
}

// TestSSHSudoRunsCommandUnchanged runs through a fake sudo that checks its flags, proving the
// command reaches the inner sh byte for byte.
func TestSSHSudoRunsCommandUnchanged(t *testing.T) {
	e := newTestEnv(t)
	bin := filepath.Join(e.Dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	fake := "#!/bin/sh\n[ \"$1\" = -n ] && [ \"$2\" = -- ] || { echo \"bad sudo args: $*\" >&2; exit 99; }\nshift 2\nexec \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "sudo"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	s := e.Server(sshtest.Options{Env: []string{"PATH=" + bin + ":" + os.Getenv("PATH")}})
	e.Trust(s)
	tg := e.target(s)
	tg.Sudo = true
	value := "it's \"$(touch " + filepath.Join(e.Dir, "pwned") + ")\" `id` ; | & *\n\tend"
	out, code, err := newTestRunner(t).Output(testCtx(t), tg, "printf %s "+ShellQuote(value)+"; exit 4")
	if code != 4 || string(out) != value {
		t.Fatalf("got %q exit %d (%v); want %q exit 4", out, code, err, value)
	}
	if _, err := os.Stat(filepath.Join(e.Dir, "pwned")); err == nil {
		t.Fatal("a quoted value was executed")
	}
}

// testEncryptedKey is a throwaway ed25519 key encrypted with a passphrase (generating one
// takes seconds of bcrypt under -race).
const testEncryptedKey = `-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jdHIAAAAGYmNyeXB0AAAAGAAAABBw
hC7at7mw4i52wvWBv23sAAAAEAAAAAEAAAAzAAAAC3NzaC1lZDI1NTE5AAAAIAw7
e/Z30V3JL37wydvc+NsSrncpwtv8ptoI1D+MvUZMAAAAkIa+l6+HWeNqmaZvyetx
XL1v3LpajhtFp8RjIGKro0+4De2+IVE3cDql1p0yhbenLtO2rWCA6z9z0GU1uYqS
dTYjN1To6B86QT4Q98GBHvJROgU+b363568PCl/QpHjreosZlw2T/Tiz7ugHL5im
VylwGc8O+SGL2kJ9Pfsxlx0TY1J8+jVcW6ZoZOKky7malQ==
-----END OPENSSH PRIVATE KEY-----
`

func TestSSHEncryptedIdentityNeedsAgent(t *testing.T) {
	e := newTestEnv(t)
	s := e.Server(sshtest.Options{})
	e.Trust(s)
	path := filepath.Join(e.Dir, "id_encrypted")
	if err := os.WriteFile(path, []byte(testEncryptedKey), 0o600); err != nil {
		t.Fatal(err)
	}
	tg := e.target(s)
	tg.IdentityFile = path
	_, err := newTestRunner(t).Run(testCtx(t), tg, "true", nil, nil, nil)
	var ce *ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "ssh-agent") || !strings.Contains(err.Error(), "ssh-add") {
		t.Fatalf("got %v; want a config error pointing at ssh-agent", err)
	}
	if s.Handshakes() != 0 {
		t.Fatal("connected without usable credentials")
	}
}

func TestSSHAgentAuth(t *testing.T) {
	e := newTestEnv(t)
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	keyring := agent.NewKeyring()
	if err := keyring.Add(agent.AddedKey{PrivateKey: priv}); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(e.Dir, "agent.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = agent.ServeAgent(keyring, c)
			}()
		}
	}()
	t.Setenv("SSH_AUTH_SOCK", sock)
	pub, _ := ssh.NewPublicKey(priv.Public())
	s := sshtest.NewServer(t, sshtest.Options{Client: pub})
	e.Trust(s)
	tg := e.target(s)
	tg.IdentityFile = "" // HOME is the temp dir: no default keys, only the agent
	if code, err := newTestRunner(t).Run(testCtx(t), tg, "true", nil, nil, nil); err != nil || code != 0 {
		t.Fatalf("agent auth: %d %v", code, err)
	}
}

func TestSSHRunnerClose(t *testing.T) {
	e := newTestEnv(t)
	s := e.Server(sshtest.Options{})
	e.Trust(s)
	r := NewRunner(nil)
	if _, err := r.Run(testCtx(t), e.target(s), "true", nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(testCtx(t), e.target(s), "true", nil, nil, nil); !errors.Is(err, errSSHRunnerClosed) {
		t.Fatalf("Run after Close: %v", err)
	}
}
