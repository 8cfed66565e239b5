package ssh

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/kfleet/kfleet/ops/fault"
)

// HostKeyError is a host key kfleet refused: unknown under the strict policy, different from
// the one known_hosts records (Mismatch), or revoked. Nothing was sent to the host beyond the
// SSH handshake, so no command ran.
type HostKeyError struct {
	Host        string // host:port whose key was checked
	KnownHosts  string // the known_hosts file checked
	Policy      string
	KeyType     string // type of the key the server offered, e.g. ssh-ed25519
	Fingerprint string // SHA256 fingerprint of the key the server offered
	Mismatch    bool
	Revoked     bool
	// Expected lists the known_hosts entries for this host as "file:line: type fingerprint".
	Expected []string
	// BastionFor is set when Host is the jump host on the way to BastionFor.
	BastionFor string
	// Problem is set for other refusals (e.g. a certificate from an unknown authority).
	Problem string
}

func (e *HostKeyError) Error() string {
	who := e.Host
	if e.BastionFor != "" {
		who = fmt.Sprintf("bastion %s (jump host for %s)", e.Host, e.BastionFor)
	}
	offered := e.KeyType + " " + e.Fingerprint
	entry := knownhosts.Normalize(e.Host)
	switch {
	case e.Revoked:
		return fmt.Sprintf("host key for %s is revoked: the server offered %s, which %s marks @revoked (%s); refusing to connect, nothing was run",
			who, offered, e.KnownHosts, strings.Join(e.Expected, "; "))
	case e.Mismatch:
		return fmt.Sprintf("host key mismatch for %s: the server offered %s, but %s expects %s. "+
			"Someone may be intercepting the connection, or the host was reinstalled with new keys; nothing was run. "+
			"Check the new fingerprint with the host's owner (on the host: ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub), "+
			"then remove the old entry with: ssh-keygen -R %s -f %s",
			who, offered, e.KnownHosts, strings.Join(e.Expected, "; "), ShellQuote(entry), ShellQuote(e.KnownHosts))
	case e.Problem != "":
		return fmt.Sprintf("host key for %s refused (server offered %s, checked against %s): %s; nothing was run",
			who, offered, e.KnownHosts, e.Problem)
	default:
		host, port, _ := net.SplitHostPort(e.Host)
		return fmt.Sprintf("host key for %s is not in known_hosts %s (the server offered %s) and host_key_policy is strict, "+
			"so kfleet refused to connect; nothing was run. Check the fingerprint with the host's owner, then add the key "+
			"(ssh-keyscan -p %s %s >> %s) or use host_key_policy: accept-new to trust new hosts on first use",
			who, e.KnownHosts, offered, port, ShellQuote(host), ShellQuote(e.KnownHosts))
	}
}

// FaultKind says what kind of failure this is (unreachable: nothing was changed).
func (e *HostKeyError) FaultKind() fault.Kind { return fault.Unreachable }

// sshKnownHostsMu serialises accept-new appends to known_hosts files within the process.
var sshKnownHostsMu sync.Mutex

// sshProbeKey is a throwaway key used to ask known_hosts which keys it holds for a host.
var sshProbeKey = sync.OnceValue(func() ssh.PublicKey {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(fmt.Sprintf("generating probe key: %v", err))
	}
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		panic(fmt.Sprintf("probe key: %v", err))
	}
	return k
})

// sshHostKeyCheck verifies one connection attempt's host key against known_hosts.
type sshHostKeyCheck struct {
	t          Target
	addr       string // host:port as known_hosts matches it (host lower-cased, as OpenSSH does)
	db         ssh.HostKeyCallback
	algorithms []string
	log        *slog.Logger

	mu  sync.Mutex
	err *HostKeyError
}

func newSSHHostKeyCheck(t Target, log *slog.Logger) (*sshHostKeyCheck, error) {
	db, err := sshLoadKnownHosts(t)
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort(strings.ToLower(t.Host), strconv.Itoa(t.Port))
	return &sshHostKeyCheck{
		t:          t,
		addr:       addr,
		db:         db,
		algorithms: sshHostKeyAlgorithms(db, addr),
		log:        log,
	}, nil
}

// sshLoadKnownHosts reads t.KnownHosts; a missing file is an empty one.
func sshLoadKnownHosts(t Target) (ssh.HostKeyCallback, error) {
	db, err := knownhosts.New(t.KnownHosts)
	if errors.Is(err, fs.ErrNotExist) {
		return knownhosts.New()
	}
	if err != nil {
		return nil, &ConfigError{Host: t.label(), Problem: fmt.Sprintf("reading known_hosts: %v", err)}
	}
	return db, nil
}

// sshHostKeyAlgorithms returns the host key algorithms to offer for addr: those of the keys
// known_hosts holds for it, so that a host with several key types presents one we know instead
// of failing with a mismatch. nil (library defaults) when known_hosts has no key for addr.
func sshHostKeyAlgorithms(db ssh.HostKeyCallback, addr string) []string {
	err := db(addr, &net.TCPAddr{IP: net.IPv4zero, Port: 22}, sshProbeKey())
	var ke *knownhosts.KeyError
	if !errors.As(err, &ke) || len(ke.Want) == 0 {
		return nil
	}
	have := map[string]bool{}
	for _, w := range ke.Want {
		switch typ := w.Key.Type(); typ {
		case ssh.KeyAlgoRSA:
			// One RSA key serves three signature algorithms; prefer the SHA-2 ones.
			have[ssh.KeyAlgoRSASHA512] = true
			have[ssh.KeyAlgoRSASHA256] = true
			have[ssh.KeyAlgoRSA] = true
		default:
			have[typ] = true
		}
	}
	usable := append(ssh.SupportedAlgorithms().HostKeys, ssh.InsecureAlgorithms().HostKeys...)
	var algos []string
	for _, a := range sshHostKeyPreference {
		if have[a] && slices.Contains(usable, a) {
			algos = append(algos, a)
			delete(have, a)
		}
	}
	var others []string // types not in the preference list, if the library supports them
	for a := range have {
		if slices.Contains(usable, a) {
			others = append(others, a)
		}
	}
	slices.Sort(others)
	algos = append(algos, others...)
	if len(algos) == 0 {
		return nil
	}
	return algos
}

// sshHostKeyPreference orders host key algorithms when known_hosts holds several for a host.
var sshHostKeyPreference = []string{
	ssh.KeyAlgoED25519,
	ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521,
	ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA,
	ssh.InsecureKeyAlgoDSA,
}

func (h *sshHostKeyCheck) failure() *HostKeyError {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.err
}

func (h *sshHostKeyCheck) refuse(e *HostKeyError) error {
	h.mu.Lock()
	h.err = e
	h.mu.Unlock()
	return e
}

func (h *sshHostKeyCheck) newError(key ssh.PublicKey) *HostKeyError {
	return &HostKeyError{
		Host:        h.addr,
		KnownHosts:  h.t.KnownHosts,
		Policy:      h.t.HostKeyPolicy,
		KeyType:     key.Type(),
		Fingerprint: ssh.FingerprintSHA256(key),
	}
}

// callback is the ssh.HostKeyCallback. It checks h.addr (the target as configured), not the
// address the TCP connection happens to have, which is meaningless through a bastion.
func (h *sshHostKeyCheck) callback(_ string, remote net.Addr, key ssh.PublicKey) error {
	err := h.db(h.addr, remote, key)
	if err == nil {
		return nil
	}
	var ke *knownhosts.KeyError
	if errors.As(err, &ke) && len(ke.Want) == 0 && h.t.HostKeyPolicy == HostKeyAcceptNew {
		return h.acceptNew(remote, key)
	}
	return h.refuse(h.classify(err, key))
}

func (h *sshHostKeyCheck) classify(err error, key ssh.PublicKey) *HostKeyError {
	e := h.newError(key)
	var ke *knownhosts.KeyError
	var re *knownhosts.RevokedError
	switch {
	case errors.As(err, &re):
		e.Revoked = true
		e.Expected = []string{sshDescribeKnownKey(re.Revoked)}
	case errors.As(err, &ke) && len(ke.Want) > 0:
		e.Mismatch = true
		for _, w := range ke.Want {
			e.Expected = append(e.Expected, sshDescribeKnownKey(w))
		}
	case errors.As(err, &ke):
		// unknown host under strict: the zero HostKeyError says so
	default:
		e.Problem = err.Error()
	}
	return e
}

func sshDescribeKnownKey(k knownhosts.KnownKey) string {
	return fmt.Sprintf("%s:%d: %s %s", k.Filename, k.Line, k.Key.Type(), ssh.FingerprintSHA256(k.Key))
}

// acceptNew records key for an unknown host and accepts it. Under the lock it reads the file
// again: another connection may have recorded this host meanwhile (then its key must match).
func (h *sshHostKeyCheck) acceptNew(remote net.Addr, key ssh.PublicKey) error {
	sshKnownHostsMu.Lock()
	defer sshKnownHostsMu.Unlock()
	db, err := sshLoadKnownHosts(h.t)
	if err != nil {
		e := h.newError(key)
		e.Problem = err.Error()
		return h.refuse(e)
	}
	err = db(h.addr, remote, key)
	var ke *knownhosts.KeyError
	switch {
	case err == nil:
		return nil
	case !errors.As(err, &ke) || len(ke.Want) > 0:
		return h.refuse(h.classify(err, key))
	}
	if err := sshAppendKnownHost(h.t.KnownHosts, knownhosts.Line([]string{h.addr}, key)); err != nil {
		e := h.newError(key)
		e.Problem = fmt.Sprintf("host_key_policy is accept-new but the key could not be recorded: %v", err)
		return h.refuse(e)
	}
	h.log.Info("ssh: recorded new host key (accept-new)", "host", h.addr, "key_type", key.Type(),
		"fingerprint", ssh.FingerprintSHA256(key), "known_hosts", h.t.KnownHosts)
	return nil
}

// sshAppendKnownHost appends line to path, creating the file (0600) and its directory (0700)
// when missing, and starting on a new line if the file does not end with one.
func sshAppendKnownHost(path, line string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	prefix := ""
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, st.Size()-1); err == nil && last[0] != '\n' {
			prefix = "\n"
		}
	}
	if _, err := f.WriteString(prefix + line + "\n"); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
