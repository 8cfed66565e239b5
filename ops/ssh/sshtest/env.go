package sshtest

import (
	"path/filepath"
	"testing"

	"golang.org/x/crypto/ssh"
)

// Env is one test's client key, known_hosts path and servers, in a temporary directory that is
// also the test's HOME.
type Env struct {
	t          testing.TB
	Dir        string        // the temporary directory (and HOME)
	KeyFile    string        // the client's private key file, unencrypted
	ClientKey  ssh.PublicKey // its public key, the one Server accepts
	KnownHosts string        // Dir/known_hosts, written by Trust
}

// NewEnv makes a client key in a new temporary directory and isolates the test from the
// developer's SSH setup: SSH_AUTH_SOCK is emptied and HOME is the directory, so no agent or
// default keys are picked up. Like t.Setenv, it cannot be used in parallel tests.
func NewEnv(t testing.TB) *Env {
	t.Helper()
	dir := t.TempDir()
	keyFile, pub := ClientKey(t, dir)
	t.Setenv("SSH_AUTH_SOCK", "")
	t.Setenv("HOME", dir)
	return &Env{t: t, Dir: dir, KeyFile: keyFile, ClientKey: pub, KnownHosts: filepath.Join(dir, "known_hosts")}
}

// Server starts a server that accepts the Env's client key (o.Client is overridden).
func (e *Env) Server(o Options) *Server {
	o.Client = e.ClientKey
	return NewServer(e.t, o)
}

// Trust writes the known_hosts file with a line for each host key of each server, replacing
// what it held.
func (e *Env) Trust(servers ...*Server) {
	e.t.Helper()
	var lines []string
	for _, s := range servers {
		for _, k := range s.HostKeys {
			lines = append(lines, KnownHostsLine(s.Addr, k))
		}
	}
	WriteKnownHosts(e.t, e.KnownHosts, lines...)
}
