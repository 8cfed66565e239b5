package sshtest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// Options configure a Server.
type Options struct {
	HostKeys []ssh.Signer  // default: one new ed25519 key
	Client   ssh.PublicKey // the one client key the server accepts
	Forward  bool          // serve direct-tcpip channels, like a bastion
	Env      []string      // extra environment for commands
	Active   *Concurrency  // counts the commands running at once; default: the server's own
}

// Server is an SSH server on 127.0.0.1 that runs exec requests with the local sh (stdin, stdout
// and stderr over the channel; exit-status, or exit-signal for a command killed by a signal;
// "signal" requests reach the command's process group, which is killed when the client closes
// the channel), answers keepalives, and (with Options.Forward) serves direct-tcpip channels like
// a bastion. It stops when the test ends.
type Server struct {
	Addr     string // 127.0.0.1:port
	Port     int
	HostKeys []ssh.PublicKey // the keys it presents, in Options.HostKeys order

	t       testing.TB
	cfg     *ssh.ServerConfig
	forward bool
	env     []string
	active  *Concurrency

	handshakes atomic.Int32
	keepalives atomic.Int32
	execs      atomic.Int32
	forwards   atomic.Int32

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]bool
}

// Concurrency tracks how many commands run at once, possibly across servers.
type Concurrency struct {
	mu       sync.Mutex
	cur, max int
}

func (c *Concurrency) enter() {
	c.mu.Lock()
	c.cur++
	c.max = max(c.max, c.cur)
	c.mu.Unlock()
}

func (c *Concurrency) leave() {
	c.mu.Lock()
	c.cur--
	c.mu.Unlock()
}

// Peak is the most commands that ran at once.
func (c *Concurrency) Peak() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.max
}

// NewServer starts a server that accepts o.Client's key; t's cleanup stops it.
func NewServer(t testing.TB, o Options) *Server {
	t.Helper()
	if len(o.HostKeys) == 0 {
		o.HostKeys = []ssh.Signer{Ed25519Signer(t)}
	}
	if o.Active == nil {
		o.Active = &Concurrency{}
	}
	s := &Server{t: t, forward: o.Forward, env: o.Env, active: o.Active, conns: map[net.Conn]bool{}}
	authorized := o.Client.Marshal()
	s.cfg = &ssh.ServerConfig{
		PublicKeyCallback: func(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if bytes.Equal(key.Marshal(), authorized) {
				return nil, nil
			}
			return nil, errors.New("unknown key")
		},
	}
	for _, k := range o.HostKeys {
		s.cfg.AddHostKey(k)
		s.HostKeys = append(s.HostKeys, k.PublicKey())
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = ln.Addr().String()
	s.Port = ln.Addr().(*net.TCPAddr).Port
	s.serve(ln)
	t.Cleanup(s.Stop)
	return s
}

// Handshakes counts the completed SSH handshakes (authenticated connections).
func (s *Server) Handshakes() int32 { return s.handshakes.Load() }

// Keepalives counts the keepalive@openssh.com requests answered.
func (s *Server) Keepalives() int32 { return s.keepalives.Load() }

// Execs counts the commands started.
func (s *Server) Execs() int32 { return s.execs.Load() }

// Forwards counts the direct-tcpip channels opened.
func (s *Server) Forwards() int32 { return s.forwards.Load() }

// Active is the Concurrency that counts this server's running commands (Options.Active, or
// the server's own).
func (s *Server) Active() *Concurrency { return s.active }

func (s *Server) serve(ln net.Listener) {
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

// Stop closes the listener and every connection, like sshd going away.
func (s *Server) Stop() {
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

// Restart stops the server and starts it again on the same port with the same host keys.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	var ln net.Listener
	var err error
	for range 50 { // the port can take a moment to be free again
		if ln, err = net.Listen("tcp", s.Addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		s.t.Fatal(err)
	}
	s.serve(ln)
}

func (s *Server) handle(c net.Conn) {
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

func (s *Server) session(ch ssh.Channel, reqs <-chan *ssh.Request) {
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
					name := strings.TrimPrefix(signalName(st.Signal()), "SIG")
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

func signalName(sig syscall.Signal) string {
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

func (s *Server) directTCPIP(nc ssh.NewChannel) {
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
