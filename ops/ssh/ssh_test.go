package ssh

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/crypto/ssh/knownhosts"
)

// ---- in-process SSH server fixture ----

// testSSHServer is an SSH server on 127.0.0.1 that runs exec requests with the local sh,
// answers keepalives, and (with forward) serves direct-tcpip channels like a bastion.
type testSSHServer struct {
	t       testing.TB
	addr    string
	port    int
	cfg     *ssh.ServerConfig
	forward bool
	env     []string
	active  *testConcurrency

	hostKeys []ssh.PublicKey

	handshakes atomic.Int32
	keepalives atomic.Int32
	execs      atomic.Int32
	forwards   atomic.Int32

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]bool
}

// testConcurrency tracks how many execs run at once, possibly across servers.
type testConcurrency struct {
	mu       sync.Mutex
	cur, max int
}

func (c *testConcurrency) enter() {
	c.mu.Lock()
	c.cur++
	c.max = max(c.max, c.cur)
	c.mu.Unlock()
}

func (c *testConcurrency) leave() {
	c.mu.Lock()
	c.cur--
	c.mu.Unlock()
}

func (c *testConcurrency) peak() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.max
}

type testSSHServerOpts struct {
	hostKeys []ssh.Signer // default: one new ed25519 key
	client   ssh.PublicKey
	forward  bool
	env      []string // extra environment for commands
	active   *testConcurrency
}

func newTestSSHServer(t testing.TB, o testSSHServerOpts) *testSSHServer {
	t.Helper()
	if len(o.hostKeys) == 0 {
		o.hostKeys = []ssh.Signer{testEd25519Signer(t)}
	}
	if o.active == nil {
		o.active = &testConcurrency{}
	}
	s := &testSSHServer{t: t, forward: o.forward, env: o.env, active: o.active, conns: map[net.Conn]bool{}}
	authorized := o.client.Marshal()
	s.cfg = &ssh.ServerConfig{
		PublicKeyCallback: func(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if bytes.Equal(key.Marshal(), authorized) {
				return nil, nil
			}
			return nil, errors.New("unknown key")
		},
	}
	for _, k := range o.hostKeys {
		s.cfg.AddHostKey(k)
		s.hostKeys = append(s.hostKeys, k.PublicKey())
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	s.port = ln.Addr().(*net.TCPAddr).Port
	s.serve(ln)
	t.Cleanup(s.stop)
	return s
}

func (s *testSSHServer) serve(ln net.Listener) {
	s.mu.Lock()
	s.ln = ln
	s.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns[c] = true
			s.mu.Unlock()
			go s.handle(c)
		}
	}()
}

// stop closes the listener and every connection, like sshd going away.
func (s *testSSHServer) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		_ = s.ln.Close()
		s.ln = nil
	}
	for c := range s.conns {
		_ = c.Close()
	}
	s.conns = map[net.Conn]bool{}
}

// restart stops the server and starts it again on the same port with the same host keys.
func (s *testSSHServer) restart() {
	s.t.Helper()
	s.stop()
	var ln net.Listener
	var err error
	for range 50 { // the port can take a moment to be free again
		if ln, err = net.Listen("tcp", s.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		s.t.Fatal(err)
	}
	s.serve(ln)
}

func (s *testSSHServer) handle(c net.Conn) {
	sc, chans, reqs, err := ssh.NewServerConn(c, s.cfg)
	if err != nil {
		_ = c.Close()
		return
	}
	s.handshakes.Add(1)
	defer sc.Close()
	go func() {
		for req := range reqs {
			if req.Type == "keepalive@openssh.com" {
				s.keepalives.Add(1)
				_ = req.Reply(true, nil)
				continue
			}
			_ = req.Reply(false, nil)
		}
	}()
	for nc := range chans {
		switch nc.ChannelType() {
		case "session":
			ch, creqs, err := nc.Accept()
			if err != nil {
				continue
			}
			go s.session(ch, creqs)
		case "direct-tcpip":
			if !s.forward {
				_ = nc.Reject(ssh.Prohibited, "no forwarding here")
				continue
			}
			go s.directTCPIP(nc)
		default:
			_ = nc.Reject(ssh.UnknownChannelType, "unsupported")
		}
	}
}

func (s *testSSHServer) session(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	var cmd *exec.Cmd
	finished := make(chan struct{})
	for req := range reqs {
		switch req.Type {
		case "exec":
			if cmd != nil {
				_ = req.Reply(false, nil)
				continue
			}
			var msg struct{ Command string }
			if err := ssh.Unmarshal(req.Payload, &msg); err != nil {
				_ = req.Reply(false, nil)
				continue
			}
			cmd = exec.Command("sh", "-c", msg.Command)
			cmd.Env = append(os.Environ(), s.env...)
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			cmd.Stdout = ch
			cmd.Stderr = ch.Stderr()
			cmd.WaitDelay = time.Second
			stdin, _ := cmd.StdinPipe()
			if err := cmd.Start(); err != nil {
				_ = req.Reply(false, nil)
				return
			}
			_ = req.Reply(true, nil)
			s.execs.Add(1)
			s.active.enter()
			go func() {
				_, _ = io.Copy(stdin, ch)
				_ = stdin.Close()
			}()
			go func() {
				defer close(finished)
				defer s.active.leave()
				_ = cmd.Wait()
				st := cmd.ProcessState.Sys().(syscall.WaitStatus)
				if st.Signaled() {
					name := strings.TrimPrefix(testSignalName(st.Signal()), "SIG")
					_, _ = ch.SendRequest("exit-signal", false, ssh.Marshal(struct {
						Signal     string
						CoreDumped bool
						Error      string
						Lang       string
					}{Signal: name}))
				} else {
					_, _ = ch.SendRequest("exit-status", false, binary.BigEndian.AppendUint32(nil, uint32(st.ExitStatus())))
				}
				_ = ch.Close()
			}()
		case "signal":
			var msg struct{ Signal string }
			_ = ssh.Unmarshal(req.Payload, &msg)
			if cmd != nil && cmd.Process != nil {
				sig := syscall.SIGTERM
				if msg.Signal == "KILL" {
					sig = syscall.SIGKILL
				}
				_ = syscall.Kill(-cmd.Process.Pid, sig)
			}
		default:
			if req.WantReply {
				_ = req.Reply(false, nil)
			}
		}
	}
	// The client closed the channel: do not leave the command behind.
	if cmd != nil && cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-finished
	}
}

func testSignalName(sig syscall.Signal) string {
	switch sig {
	case syscall.SIGKILL:
		return "KILL"
	case syscall.SIGTERM:
		return "TERM"
	case syscall.SIGINT:
		return "INT"
	case syscall.SIGHUP:
		return "HUP"
	default:
		return strconv.Itoa(int(sig))
	}
}

func (s *testSSHServer) directTCPIP(nc ssh.NewChannel) {
	var msg struct {
		Host     string
		Port     uint32
		OrigHost string
		OrigPort uint32
	}
	if err := ssh.Unmarshal(nc.ExtraData(), &msg); err != nil {
		_ = nc.Reject(ssh.ConnectionFailed, "bad payload")
		return
	}
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(msg.Host, strconv.Itoa(int(msg.Port))), 2*time.Second)
	if err != nil {
		_ = nc.Reject(ssh.ConnectionFailed, err.Error())
		return
	}
	ch, reqs, err := nc.Accept()
	if err != nil {
		_ = conn.Close()
		return
	}
	s.forwards.Add(1)
	go ssh.DiscardRequests(reqs)
	go func() {
		_, _ = io.Copy(ch, conn)
		_ = ch.Close()
	}()
	go func() {
		_, _ = io.Copy(conn, ch)
		_ = conn.Close()
	}()
}

// ---- keys, known_hosts and targets ----

func testEd25519Signer(t testing.TB) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func testECDSASigner(t testing.TB) ssh.Signer {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// testClientKey writes a fresh unencrypted ed25519 client key to dir and returns its path
// and public key.
func testClientKey(t testing.TB, dir string) (string, ssh.PublicKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "kfleet test")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "id_test")
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return path, sshPub
}

func testWriteKnownHosts(t testing.TB, path string, lines ...string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

func testKnownHostsLine(addr string, key ssh.PublicKey) string {
	return knownhosts.Line([]string{addr}, key)
}

// testEnv is one test's client key, known_hosts path and servers.
type testEnv struct {
	t          *testing.T
	dir        string
	keyPath    string
	clientPub  ssh.PublicKey
	knownHosts string
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	dir := t.TempDir()
	keyPath, pub := testClientKey(t, dir)
	// The runner must not pick up the developer's agent or keys.
	t.Setenv("SSH_AUTH_SOCK", "")
	t.Setenv("HOME", dir)
	return &testEnv{t: t, dir: dir, keyPath: keyPath, clientPub: pub, knownHosts: filepath.Join(dir, "known_hosts")}
}

func (e *testEnv) server(o testSSHServerOpts) *testSSHServer {
	o.client = e.clientPub
	return newTestSSHServer(e.t, o)
}

// trust writes known_hosts lines for each server's host keys.
func (e *testEnv) trust(servers ...*testSSHServer) {
	e.t.Helper()
	var lines []string
	for _, s := range servers {
		for _, k := range testServerHostKeys(s) {
			lines = append(lines, testKnownHostsLine(s.addr, k))
		}
	}
	testWriteKnownHosts(e.t, e.knownHosts, lines...)
}

func testServerHostKeys(s *testSSHServer) []ssh.PublicKey {
	return s.hostKeys
}

func (e *testEnv) target(s *testSSHServer) Target {
	return Target{
		Host:           "127.0.0.1",
		Port:           s.port,
		User:           "kafka",
		IdentityFile:   e.keyPath,
		KnownHosts:     e.knownHosts,
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
	s := e.server(testSSHServerOpts{})
	e.trust(s)
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
	s := e.server(testSSHServerOpts{})
	e.trust(s)
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
	want := "host 127.0.0.1:" + strconv.Itoa(s.port) + ": command exited 3: no such topic: x"
	if err.Error() != want {
		t.Fatalf("error %q, want %q", err, want)
	}
}

func TestSSHKilledBySignal(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(testSSHServerOpts{})
	e.trust(s)
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
			s := e.server(testSSHServerOpts{})
			other := testEd25519Signer(t).PublicKey()
			testWriteKnownHosts(t, e.knownHosts, "# fleet hosts", testKnownHostsLine(s.addr, other))
			before, _ := os.ReadFile(e.knownHosts)
			r := newTestRunner(t)
			marker := filepath.Join(e.dir, "marker")
			tg := e.target(s)
			tg.HostKeyPolicy = policy

			code, err := r.Run(testCtx(t), tg, "touch "+ShellQuote(marker), nil, nil, nil)
			var hk *HostKeyError
			if !errors.As(err, &hk) || code != -1 {
				t.Fatalf("got %d %v; want a *HostKeyError", code, err)
			}
			msg := err.Error()
			for _, want := range []string{
				"host key", s.addr, ssh.FingerprintSHA256(testServerHostKeys(s)[0]), e.knownHosts,
				e.knownHosts + ":2", ssh.FingerprintSHA256(other), "ssh-keygen -R",
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
			if n := s.handshakes.Load(); n != 0 {
				t.Fatalf("server saw %d completed handshakes, want 0", n)
			}
			after, _ := os.ReadFile(e.knownHosts)
			if !bytes.Equal(before, after) {
				t.Fatalf("known_hosts changed on a mismatch:\n%s", after)
			}
		})
	}
}

func TestSSHUnknownHostRefusedUnderStrict(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(testSSHServerOpts{})
	other := e.server(testSSHServerOpts{})
	r := newTestRunner(t)

	// Missing file, then a file that knows only another host (and this host on port 22).
	for _, setup := range []func(){
		func() {},
		func() {
			testWriteKnownHosts(t, e.knownHosts, testKnownHostsLine(other.addr, testServerHostKeys(other)[0]),
				testKnownHostsLine("127.0.0.1", testServerHostKeys(s)[0]))
		},
	} {
		setup()
		_, err := r.Run(testCtx(t), e.target(s), "true", nil, nil, nil)
		var hk *HostKeyError
		if !errors.As(err, &hk) || hk.Mismatch || !strings.Contains(err.Error(), "not in known_hosts") ||
			!strings.Contains(err.Error(), ssh.FingerprintSHA256(testServerHostKeys(s)[0])) {
			t.Fatalf("got %v; want a *HostKeyError saying the key is not in known_hosts", err)
		}
	}
	if s.execs.Load() != 0 {
		t.Fatal("a command ran on an unknown host")
	}
}

func TestSSHAcceptNewRecordsKey(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(testSSHServerOpts{})
	known := filepath.Join(e.dir, "fresh", "known_hosts") // neither file nor directory exists
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
	want := "[127.0.0.1]:" + strconv.Itoa(s.port) + " " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(testServerHostKeys(s)[0]))) + "\n"
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
	s := e.server(testSSHServerOpts{})
	other := e.server(testSSHServerOpts{})
	first := testKnownHostsLine(other.addr, testServerHostKeys(other)[0])
	if err := os.WriteFile(e.knownHosts, []byte(first), 0o644); err != nil { // no trailing newline
		t.Fatal(err)
	}
	tg := e.target(s)
	tg.HostKeyPolicy = HostKeyAcceptNew
	r := newTestRunner(t)
	if _, err := r.Run(testCtx(t), tg, "true", nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	// Both hosts are now known under strict.
	for _, srv := range []*testSSHServer{s, other} {
		tg := e.target(srv)
		if _, err := newTestRunner(t).Run(testCtx(t), tg, "true", nil, nil, nil); err != nil {
			t.Fatalf("%s: %v", srv.addr, err)
		}
	}
}

func TestSSHHostWithSeveralKeyTypes(t *testing.T) {
	t.Run("known_hosts has ecdsa and ed25519, server presents ed25519 only", func(t *testing.T) {
		e := newTestEnv(t)
		s := e.server(testSSHServerOpts{})
		testWriteKnownHosts(t, e.knownHosts,
			testKnownHostsLine(s.addr, testECDSASigner(t).PublicKey()),
			testKnownHostsLine(s.addr, testServerHostKeys(s)[0]))
		if _, err := newTestRunner(t).Run(testCtx(t), e.target(s), "true", nil, nil, nil); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("server has ecdsa and ed25519, known_hosts only ed25519", func(t *testing.T) {
		// Without restricting HostKeyAlgorithms the client would prefer ECDSA, the server
		// would present it, and known_hosts would call it a mismatch.
		e := newTestEnv(t)
		ed := testEd25519Signer(t)
		s := e.server(testSSHServerOpts{hostKeys: []ssh.Signer{testECDSASigner(t), ed}})
		testWriteKnownHosts(t, e.knownHosts, testKnownHostsLine(s.addr, ed.PublicKey()))
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
	rsaLine := testKnownHostsLine("h.example:2222", rsaPub)
	lines := []string{
		rsaLine,
		testKnownHostsLine("h.example:2222", testEd25519Signer(t).PublicKey()),
		testKnownHostsLine("other.example:22", testECDSASigner(t).PublicKey()),
	}
	testWriteKnownHosts(t, path, lines...)
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
	bastion := e.server(testSSHServerOpts{forward: true})
	target := e.server(testSSHServerOpts{})
	e.trust(bastion, target)
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
	if f, h, x := bastion.forwards.Load(), target.handshakes.Load(), bastion.execs.Load(); f != 1 || h != 1 || x != 0 {
		t.Fatalf("bastion forwards %d, target handshakes %d, bastion execs %d; want 1, 1, 0", f, h, x)
	}

	t.Run("wrong bastion key", func(t *testing.T) {
		kh := filepath.Join(e.dir, "bastion_known_hosts")
		testWriteKnownHosts(t, kh, testKnownHostsLine(bastion.addr, testEd25519Signer(t).PublicKey()))
		bad := bt
		bad.KnownHosts = kh
		tg := e.target(target)
		tg.Bastion = &bad
		before := target.handshakes.Load()
		_, err := newTestRunner(t).Run(testCtx(t), tg, "true", nil, nil, nil)
		var hk *HostKeyError
		if !errors.As(err, &hk) || hk.Host != bastion.addr || hk.BastionFor != tg.label() ||
			!strings.Contains(err.Error(), "bastion") || !strings.Contains(err.Error(), "host key mismatch") {
			t.Fatalf("got %v; want a *HostKeyError for the bastion", err)
		}
		if target.handshakes.Load() != before {
			t.Fatal("the target was contacted through an unverified bastion")
		}
	})

	t.Run("wrong target key through the bastion", func(t *testing.T) {
		kh := filepath.Join(e.dir, "target_known_hosts")
		testWriteKnownHosts(t, kh, testKnownHostsLine(target.addr, testEd25519Signer(t).PublicKey()))
		tg := e.target(target)
		tg.KnownHosts = kh
		tg.Bastion = &bt
		_, err := newTestRunner(t).Run(testCtx(t), tg, "true", nil, nil, nil)
		var hk *HostKeyError
		if !errors.As(err, &hk) || hk.Host != target.addr || hk.BastionFor != "" {
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
		tg := Target{Host: "127.0.0.1", Port: testClosedPort(t), User: "kafka", IdentityFile: e.keyPath,
			KnownHosts: e.knownHosts, HostKeyPolicy: HostKeyStrict}
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
		tg := Target{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, User: "kafka", IdentityFile: e.keyPath,
			KnownHosts: e.knownHosts, HostKeyPolicy: HostKeyStrict, ConnectTimeout: 300 * time.Millisecond}
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
		s := newTestSSHServer(t, testSSHServerOpts{client: testEd25519Signer(t).PublicKey()})
		e.trust(s)
		_, err := newTestRunner(t).Run(testCtx(t), e.target(s), "true", nil, nil, nil)
		var ue *UnreachableError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), `authentication as user "kafka" failed`) ||
			!strings.Contains(err.Error(), e.keyPath) {
			t.Fatalf("got %v", err)
		}
	})
}

func TestSSHTargetValidation(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(testSSHServerOpts{})
	e.trust(s)
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
	if s.handshakes.Load() != 0 {
		t.Fatal("an invalid target was dialled")
	}
}

func TestSSHCommandTimeout(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(testSSHServerOpts{})
	e.trust(s)
	r := newTestRunner(t)
	tg := e.target(s)
	tg.CommandTimeout = 300 * time.Millisecond
	if _, err := r.Run(testCtx(t), tg, "true", nil, nil, nil); err != nil { // connect first
		t.Fatal(err)
	}

	start := time.Now()
	code, err := r.Run(testCtx(t), tg, "echo started; sleep 20", nil, nil, nil)
	if code != -1 || !errors.Is(err, context.DeadlineExceeded) ||
		!strings.Contains(err.Error(), "command timed out after 300ms on host 127.0.0.1:"+strconv.Itoa(s.port)) {
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
	if h := s.handshakes.Load(); h != 1 {
		t.Fatalf("%d handshakes, want 1", h)
	}
}

func TestSSHConnectionReuse(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(testSSHServerOpts{})
	e.trust(s)
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
	if h := s.handshakes.Load(); h != 2 {
		t.Fatalf("%d handshakes, want 1 per runner (2)", h)
	}
	if peak := s.active.peak(); peak > sshMaxSessionsPerConn {
		t.Fatalf("%d concurrent sessions on one connection, limit %d", peak, sshMaxSessionsPerConn)
	}
}

func TestSSHReconnectAfterServerRestart(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(testSSHServerOpts{})
	e.trust(s)
	r := newTestRunner(t)
	if _, err := r.Run(testCtx(t), e.target(s), "true", nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	s.restart()
	out, code, err := r.Output(testCtx(t), e.target(s), "echo back")
	if err != nil || code != 0 || string(out) != "back\n" {
		t.Fatalf("after restart: %q %d %v", out, code, err)
	}
	if h := s.handshakes.Load(); h != 2 {
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
	s := e.server(testSSHServerOpts{})
	p := newTestProxy(t, s.addr)
	testWriteKnownHosts(t, e.knownHosts, testKnownHostsLine(p.addr, testServerHostKeys(s)[0]))
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
	if h, d := s.handshakes.Load(), time.Since(start); h != 2 || d > 6*time.Second {
		t.Fatalf("%d handshakes after %v; want a redial (2) within about the connect timeout", h, d)
	}
}

func TestSSHKeepalive(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(testSSHServerOpts{})
	p := newTestProxy(t, s.addr)
	testWriteKnownHosts(t, e.knownHosts, testKnownHostsLine(p.addr, testServerHostKeys(s)[0]))
	tg := e.target(s)
	tg.Port = p.port
	r := newTestRunner(t)
	r.keepaliveInterval = 50 * time.Millisecond
	if _, err := r.Run(testCtx(t), tg, "true", nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	testEventually(t, "keepalives reach the server", func() bool { return s.keepalives.Load() >= 2 })

	p.freeze()
	testEventually(t, "the dead connection leaves the pool", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return len(r.conns) == 0
	})
	if _, err := r.Run(testCtx(t), tg, "true", nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	if h := s.handshakes.Load(); h != 2 {
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
	active := &testConcurrency{}
	var servers []*testSSHServer
	for range 5 {
		servers = append(servers, e.server(testSSHServerOpts{active: active}))
	}
	e.trust(servers...)
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
	if peak := active.peak(); peak > 2 || peak < 1 {
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
	bin := filepath.Join(e.dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	fake := "#!/bin/sh\n[ \"$1\" = -n ] && [ \"$2\" = -- ] || { echo \"bad sudo args: $*\" >&2; exit 99; }\nshift 2\nexec \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "sudo"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	s := e.server(testSSHServerOpts{env: []string{"PATH=" + bin + ":" + os.Getenv("PATH")}})
	e.trust(s)
	tg := e.target(s)
	tg.Sudo = true
	value := "it's \"$(touch " + filepath.Join(e.dir, "pwned") + ")\" `id` ; | & *\n\tend"
	out, code, err := newTestRunner(t).Output(testCtx(t), tg, "printf %s "+ShellQuote(value)+"; exit 4")
	if code != 4 || string(out) != value {
		t.Fatalf("got %q exit %d (%v); want %q exit 4", out, code, err, value)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "pwned")); err == nil {
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
	s := e.server(testSSHServerOpts{})
	e.trust(s)
	path := filepath.Join(e.dir, "id_encrypted")
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
	if s.handshakes.Load() != 0 {
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
	sock := filepath.Join(e.dir, "agent.sock")
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
	s := newTestSSHServer(t, testSSHServerOpts{client: pub})
	e.trust(s)
	tg := e.target(s)
	tg.IdentityFile = "" // HOME is the temp dir: no default keys, only the agent
	if code, err := newTestRunner(t).Run(testCtx(t), tg, "true", nil, nil, nil); err != nil || code != 0 {
		t.Fatalf("agent auth: %d %v", code, err)
	}
}

func TestSSHRunnerClose(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(testSSHServerOpts{})
	e.trust(s)
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
