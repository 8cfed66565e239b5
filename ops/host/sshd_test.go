package host

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/ssh"
)

// localHost is an SSH server on 127.0.0.1 that runs each exec request with the local sh, so the
// tests can put Control's real probes through the real SSH runner: a "host" that is this machine.
// It returns the inventory SSH settings that reach it.
func localHost(t *testing.T) inventory.SSH {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("SSH_AUTH_SOCK", "") // no developer agent or keys
	t.Setenv("HOME", dir)
	signer := func() gossh.Signer {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		s, err := gossh.NewSignerFromKey(priv)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	hostKey := signer()
	_, clientPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := gossh.MarshalPrivateKey(clientPriv, "")
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "id_ed25519")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	clientPub, err := gossh.NewPublicKey(clientPriv.Public())
	if err != nil {
		t.Fatal(err)
	}

	cfg := &gossh.ServerConfig{PublicKeyCallback: func(_ gossh.ConnMetadata, k gossh.PublicKey) (*gossh.Permissions, error) {
		if bytes.Equal(k.Marshal(), clientPub.Marshal()) {
			return nil, nil
		}
		return nil, errors.New("unknown key")
	}}
	cfg.AddHostKey(hostKey)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
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
			go serveExec(c, cfg)
		}
	}()

	knownHosts := filepath.Join(dir, "known_hosts")
	line := knownhosts.Line([]string{ln.Addr().String()}, hostKey.PublicKey()) + "\n"
	if err := os.WriteFile(knownHosts, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	return inventory.SSH{User: "kafka", Port: ln.Addr().(*net.TCPAddr).Port, IdentityFile: keyFile,
		KnownHosts: knownHosts, HostKeyPolicy: ssh.HostKeyStrict, ConnectTimeout: 5 * time.Second}
}

func serveExec(c net.Conn, cfg *gossh.ServerConfig) {
	sc, chans, reqs, err := gossh.NewServerConn(c, cfg)
	if err != nil {
		_ = c.Close()
		return
	}
	defer sc.Close()
	go gossh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			_ = nc.Reject(gossh.UnknownChannelType, "sessions only")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			continue
		}
		go func() {
			defer ch.Close()
			for req := range creqs {
				if req.Type != "exec" {
					_ = req.Reply(false, nil)
					continue
				}
				var msg struct{ Command string }
				if gossh.Unmarshal(req.Payload, &msg) != nil {
					_ = req.Reply(false, nil)
					continue
				}
				_ = req.Reply(true, nil)
				cmd := exec.Command("sh", "-c", msg.Command)
				cmd.Stdout, cmd.Stderr = ch, ch.Stderr()
				_ = cmd.Run()
				code := uint32(255)
				if cmd.ProcessState != nil {
					if st, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && st.Exited() {
						code = uint32(st.ExitStatus())
					}
				}
				_, _ = ch.SendRequest("exit-status", false, binary.BigEndian.AppendUint32(nil, code))
				return
			}
		}()
	}
}
