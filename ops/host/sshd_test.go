package host

import (
	"testing"
	"time"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/ssh"
	"github.com/kfleet/kfleet/ops/ssh/sshtest"
)

// localHost is an SSH server on 127.0.0.1 that runs each exec request with the local sh, so the
// tests can put Control's real probes through the real SSH runner: a "host" that is this machine.
// It returns the inventory SSH settings that reach it.
func localHost(t *testing.T) inventory.SSH {
	t.Helper()
	e := sshtest.NewEnv(t) // no developer agent or keys
	s := e.Server(sshtest.Options{})
	e.Trust(s)
	return inventory.SSH{User: "kafka", Port: s.Port, IdentityFile: e.KeyFile,
		KnownHosts: e.KnownHosts, HostKeyPolicy: ssh.HostKeyStrict, ConnectTimeout: 5 * time.Second}
}
