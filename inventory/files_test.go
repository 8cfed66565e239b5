package inventory

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckFilesNamesWhatCannotBeRead(t *testing.T) {
	dir := t.TempDir()
	touch := func(name string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("x"), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	key := touch("id_ed25519", 0o600)
	hook := touch("drain.sh", 0o755)
	notExec := touch("check.sh", 0o644)
	body := `defaults:
  ssh: {identity_file: ` + key + `, known_hosts: ` + filepath.Join(dir, "missing_known_hosts") + `, host_key_policy: accept-new}
clusters:
  - name: a
    bootstrap: ["h1:9092"]
    kafka:
      tls: {ca_file: ` + filepath.Join(dir, "no-ca.pem") + `}
      sasl: {mechanism: PLAIN, user: ops, password_file: ` + dir + `}
    hooks: {pre_stop: [` + hook + `, ` + notExec + `]}
    brokers:
      - {id: 1, host: h1}
      - {id: 2, host: h2, ssh: {identity_file: ` + filepath.Join(dir, "gone") + `, host_key_policy: strict}}
`
	p := touch("fleet.yaml", 0o600)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := Load(p)
	if err != nil {
		t.Fatalf("loading does not check files: %v", err)
	}
	got := CheckFiles(f).Error()
	for _, want := range []string{
		"clusters[0].kafka.tls.ca_file: " + filepath.Join(dir, "no-ca.pem") + ": no such file or directory",
		"clusters[0].kafka.sasl.password_file: " + dir + " is a directory",
		"clusters[0].hooks: " + notExec + " is not executable",
		"clusters[0].brokers[1].ssh.identity_file: " + filepath.Join(dir, "gone") + ": no such file or directory",
		"clusters[0].brokers[1].ssh.known_hosts: " + filepath.Join(dir, "missing_known_hosts"),
		"fleet.yaml:",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("CheckFiles lacks %q:\n%s", want, got)
		}
	}
	for _, not := range []string{"brokers[0].ssh.known_hosts", key + ":", hook + " "} {
		if strings.Contains(got, not) {
			t.Errorf("CheckFiles complains about %q, which is fine:\n%s", not, got)
		}
	}
}
