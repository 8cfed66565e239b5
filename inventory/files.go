package inventory

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// CheckFiles checks that every local file the inventory names can be read here: SSH identity
// files (brokers', ZooKeeper nodes' and bastions'), a known_hosts it names under host_key_policy
// strict (accept-new creates it; the default ~/.ssh/known_hosts is not the inventory's to name),
// the Kafka TLS CA, certificate and key, SASL password files, and hook executables. Loading
// does not check them (a command that never uses a file must not fail on it); `inventory
// validate` does. Each problem names the cluster's or broker's entry and the field.
func CheckFiles(f *Fleet) Errors {
	var errs Errors
	seen := map[string]bool{}
	defaultKnown := ""
	if home, err := os.UserHomeDir(); err == nil {
		defaultKnown = filepath.Join(home, strings.TrimPrefix(defaultKnownHosts, "~/"))
	}
	check := func(pos Pos, field, path string, exec bool) {
		if path == "" || seen[field+"\x00"+path] {
			return
		}
		seen[field+"\x00"+path] = true
		st, err := os.Stat(path)
		switch {
		case err != nil:
			errs = append(errs, &Error{Pos: pos, Field: field, Msg: fmt.Sprintf("%s: %v", path, unwrapPathError(err))})
		case st.IsDir():
			errs = append(errs, &Error{Pos: pos, Field: field, Msg: path + " is a directory, not a file"})
		case exec && st.Mode()&0o111 == 0:
			errs = append(errs, &Error{Pos: pos, Field: field, Msg: path + " is not executable"})
		default:
			if !exec {
				r, err := os.Open(path)
				if err != nil {
					errs = append(errs, &Error{Pos: pos, Field: field, Msg: fmt.Sprintf("%s: %v", path, unwrapPathError(err))})
					return
				}
				r.Close()
			}
		}
	}
	for i, c := range f.Clusters {
		at := fmt.Sprintf("clusters[%d]", i)
		if t := c.Kafka.TLS; t != nil {
			check(c.Pos, at+".kafka.tls.ca_file", t.CAFile, false)
			check(c.Pos, at+".kafka.tls.cert_file", t.CertFile, false)
			check(c.Pos, at+".kafka.tls.key_file", t.KeyFile, false)
		}
		if s := c.Kafka.SASL; s != nil {
			check(c.Pos, at+".kafka.sasl.password_file", s.PasswordFile, false)
		}
		for _, h := range [][]string{c.Hooks.PreStop, c.Hooks.PostStop, c.Hooks.PostStart} {
			for _, p := range h {
				check(c.Pos, at+".hooks", p, true)
			}
		}
		checkSSH := func(pos Pos, at string, s SSH) {
			check(pos, at+".ssh.identity_file", s.IdentityFile, false)
			if s.HostKeyPolicy == HostKeyStrict && s.KnownHosts != defaultKnown {
				check(pos, at+".ssh.known_hosts", s.KnownHosts, false)
			}
			if s.Bastion != nil {
				check(pos, at+".ssh.bastion.identity_file", s.Bastion.IdentityFile, false)
			}
		}
		for j, b := range c.Brokers {
			checkSSH(b.Pos, fmt.Sprintf("%s.brokers[%d]", at, j), b.SSH)
		}
		if zk := c.Metadata.ZooKeeper; zk != nil {
			for j, n := range zk.Nodes {
				checkSSH(n.Pos, fmt.Sprintf("%s.metadata.zookeeper.nodes[%d]", at, j), n.SSH)
			}
		}
	}
	return errs
}

// unwrapPathError drops the path os already put in the message (the caller names it).
func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
