package ssh

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// sshDefaultIdentities are tried, in order, when a target names no identity file.
var sshDefaultIdentities = []string{"id_ed25519", "id_ecdsa", "id_rsa"}

// sshAuth holds the credentials for one dial. Key material stays in memory only and is never
// logged; messages name files and the agent, not keys.
type sshAuth struct {
	methods []ssh.AuthMethod
	offered []string // human description: files and "ssh-agent"
	agent   net.Conn
}

func (a *sshAuth) close() {
	if a.agent != nil {
		_ = a.agent.Close()
	}
}

func (a *sshAuth) describe() string { return strings.Join(a.offered, ", ") }

// sshAuthFor builds public key auth for t: its identity file (or the default ones) first, then
// the ssh-agent when SSH_AUTH_SOCK is set. Encrypted keys are left to the agent: kfleet runs
// unattended and never prompts for a passphrase.
func sshAuthFor(t Target, log *slog.Logger) (*sshAuth, error) {
	a := &sshAuth{}
	var signers []ssh.Signer
	agentSock := os.Getenv("SSH_AUTH_SOCK")

	if t.IdentityFile != "" {
		s, err := sshLoadIdentity(t.IdentityFile)
		var encrypted *ssh.PassphraseMissingError
		switch {
		case errors.As(err, &encrypted) && agentSock != "":
			log.Debug("ssh identity file is encrypted; relying on ssh-agent", "host", t.label(), "identity_file", t.IdentityFile)
		case errors.As(err, &encrypted):
			return nil, &ConfigError{Host: t.label(), Problem: fmt.Sprintf(
				"identity file %s is protected by a passphrase and kfleet never prompts: load it into ssh-agent (ssh-add %s) and make sure SSH_AUTH_SOCK is set",
				t.IdentityFile, ShellQuote(t.IdentityFile))}
		case err != nil:
			return nil, &ConfigError{Host: t.label(), Problem: fmt.Sprintf("identity file: %v", err)}
		default:
			signers = append(signers, s)
			a.offered = append(a.offered, t.IdentityFile)
		}
	} else if home, err := os.UserHomeDir(); err == nil {
		for _, name := range sshDefaultIdentities {
			path := filepath.Join(home, ".ssh", name)
			s, err := sshLoadIdentity(path)
			if err != nil {
				if !errors.Is(err, fs.ErrNotExist) {
					log.Debug("ssh default identity skipped", "identity_file", path, "reason", err)
				}
				continue
			}
			signers = append(signers, s)
			a.offered = append(a.offered, path)
		}
	}

	var agentClient agent.ExtendedAgent
	if agentSock != "" {
		conn, err := net.DialTimeout("unix", agentSock, 2*time.Second)
		if err != nil {
			log.Debug("ssh-agent not reachable", "SSH_AUTH_SOCK", agentSock, "error", err)
		} else {
			a.agent = conn
			agentClient = agent.NewClient(conn)
			a.offered = append(a.offered, "ssh-agent")
		}
	}

	if len(a.offered) == 0 {
		return nil, &ConfigError{Host: t.label(), Problem: "no SSH credentials: set identity_file, or run ssh-agent with the key loaded (SSH_AUTH_SOCK), or put a key in ~/.ssh/id_ed25519"}
	}
	a.methods = []ssh.AuthMethod{ssh.PublicKeysCallback(func() ([]ssh.Signer, error) {
		all := signers
		if agentClient != nil {
			if more, err := agentClient.Signers(); err == nil {
				all = append(all[:len(all):len(all)], more...)
			}
		}
		return all, nil
	})}
	return a, nil
}

func sshLoadIdentity(path string) (ssh.Signer, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		var encrypted *ssh.PassphraseMissingError
		if errors.As(err, &encrypted) {
			return nil, err
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}
