package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"golang.org/x/crypto/ssh"

	"github.com/kfleet/kfleet/rollout/rollouttest"
)

// The golden files pin what kfleet prints (tables and JSON of status, restart --dry-run and
// reassign plan) against a kfake cluster, so code can move without the output changing.
// Regenerate them, after checking a change of output is intended, with:
//
//	go test ./cmd/kfleet -run TestGolden -update
var update = flag.Bool("update", false, "rewrite the golden files")

// goldenCluster is a four-broker kfake cluster with two topics, and an inventory naming it.
func goldenCluster(t *testing.T) string {
	t.Helper()
	return goldenFleet(t, "golden")
}

// goldenFleet is an inventory of one such cluster per name; the first is labelled the canary.
func goldenFleet(t *testing.T, names ...string) string {
	t.Helper()
	var addrs []string
	for range names {
		addrs = append(addrs, goldenKafka(t))
	}
	return goldenInventory(t, names, addrs)
}

// goldenKafka is a four-broker kfake cluster with two topics, its replicas pinned.
func goldenKafka(t *testing.T) string {
	t.Helper()
	fc, cl := rollouttest.Kafka(t, 4)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	adm := kadm.NewClient(cl)
	if _, err := adm.CreateTopic(ctx, 6, 3, map[string]*string{"min.insync.replicas": kadm.StringPtr("2")}, "orders"); err != nil {
		t.Fatal(err)
	}
	if _, err := adm.CreateTopic(ctx, 2, 1, nil, "scratch"); err != nil {
		t.Fatal(err)
	}
	// kfake picks leaders (and with them replicas) at random: pin them.
	for topic, n := range map[string]int32{"orders": 6, "scratch": 2} {
		for p := range n {
			if err := fc.MoveTopicPartition(topic, p, (p+1)%4); err != nil {
				t.Fatal(err)
			}
		}
	}
	return fc.ListenAddrs()[0]
}

// goldenInventory writes the inventory of clusters names at addrs.
func goldenInventory(t *testing.T, names, addrs []string) string {
	t.Helper()
	// The brokers' hosts are addresses where nothing listens (port 1), reached with a key of the
	// test's own: a dry run's preflight then reports them unreachable, the same on every machine.
	dir := t.TempDir()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pemKey, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	keyFile, knownHosts := filepath.Join(dir, "id_ed25519"), filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(pemKey), 0o600); err != nil {
		t.Fatal(err)
	}
	var kh strings.Builder
	for ci := range names {
		for i := range 4 {
			fmt.Fprintf(&kh, "[127.0.0.%d]:1 %s", 10*(ci+1)+i, ssh.MarshalAuthorizedKey(signer.PublicKey()))
		}
	}
	if err := os.WriteFile(knownHosts, []byte(kh.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "defaults:\n  ssh: {port: 1, identity_file: %s, known_hosts: %s}\n", keyFile, knownHosts)
	b.WriteString("clusters:\n")
	for ci, name := range names {
		fmt.Fprintf(&b, "  - name: %s\n    bootstrap: [%q]\n", name, addrs[ci])
		if len(names) > 1 {
			fmt.Fprintf(&b, "    labels: {env: golden, dc: dc%d}\n", ci+1)
		}
		b.WriteString("    brokers:\n")
		for i, rack := range []string{"a", "b", "c", "a"} {
			fmt.Fprintf(&b, "      - {id: %d, host: 127.0.0.%d, rack: %s}\n", i, 10*(ci+1)+i, rack)
		}
	}
	return writeFile(t, "fleet.yaml", b.String())
}

var goldenScrub = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`op-\d{8}-\d{6}-[0-9a-f]+`), "op-ID"},
	{regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`), "TIME"},
	{regexp.MustCompile(`127\.0\.0\.1:\d+`), "127.0.0.1:PORT"},
	{regexp.MustCompile(`/tmp/\S+`), "TMP"},
}

// fixtureState copies testdata/state (journals of a halted restart and a finished
// reassignment) to a fresh state dir.
func fixtureState(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("testdata", "state"))); err != nil {
		t.Fatal(err)
	}
	return dir
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	for _, s := range goldenScrub {
		got = s.re.ReplaceAllString(got, s.with)
	}
	p := filepath.Join("testdata", "golden", name+".golden")
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s:\n--- got ---\n%s\n--- want ---\n%s", name, p, got, want)
	}
}

func TestGoldenOutputs(t *testing.T) {
	time.Local = time.UTC // history prints local times
	inv := goldenCluster(t)
	state := t.TempDir()
	tests := []goldenCase{
		{"status-table", []string{"status", "--no-hosts"}, 0},
		{"status-verbose", []string{"status", "--no-hosts", "-v", "--brokers", "0-3"}, 0},
		{"status-json", []string{"status", "--no-hosts", "-o", "json"}, 0},
		{"status-yaml", []string{"status", "--no-hosts", "-o", "yaml"}, 0},
		// The dry run exits with the code the real run would give now: the hosts cannot be reached.
		{"restart-dry-run-table", []string{"restart", "--dry-run"}, 69},
		{"restart-dry-run-parallel", []string{"restart", "--dry-run", "--max-parallel", "3", "--brokers", "1,2"}, 69},
		{"restart-dry-run-json", []string{"restart", "--dry-run", "-o", "json"}, 69},
		{"restart-dry-run-yaml", []string{"restart", "--dry-run", "-o", "yaml"}, 69},
		{"reassign-plan-table", []string{"reassign", "plan", "--from-brokers", "2"}, 0},
		{"reassign-plan-json", []string{"reassign", "plan", "--from-brokers", "2", "-o", "json"}, 0},
		{"reassign-plan-yaml", []string{"reassign", "plan", "--from-brokers", "2", "-o", "yaml"}, 0},
		{"reassign-plan-nothing", []string{"reassign", "plan"}, 0},
		{"history-empty", []string{"history"}, 0},
		{"history-table", []string{"--state-dir", fixtureState(t), "history"}, 0},
		{"history-json", []string{"--state-dir", fixtureState(t), "history", "-o", "json"}, 0},
		{"resume-dry-run-done", []string{"--state-dir", fixtureState(t), "resume", "op-fixture-reassign"}, 2},
		{"resume-unknown", []string{"resume", "op-nope"}, 2},
		{"help-exit-codes", []string{"help", "exit-codes"}, 0},
	}
	runGoldens(t, inv, state, tests)
}

// goldenCase is one command whose exit code and output are pinned in testdata/golden/NAME.golden.
type goldenCase struct {
	name     string
	args     []string
	wantCode int
}

// runGoldens runs each case against inventory inv and state dir state.
func runGoldens(t *testing.T, inv, state string, tests []goldenCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"-i", inv, "--state-dir", state}, tt.args...)
			out, errOut, code := runCLI(t, args...)
			if code != tt.wantCode {
				t.Fatalf("kfleet %v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", tt.args, code, tt.wantCode, out, errOut)
			}
			checkGolden(t, tt.name, fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", code, out, errOut))
		})
	}
}

// A read of several clusters shows every cluster that answered and one error line for each that
// did not, and exits with the worst: a dead cluster no longer hides a live one's results.
func TestMultiClusterReadsShowEveryClusterThatAnswered(t *testing.T) {
	inv := goldenInventory(t, []string{"golden", "gone"}, []string{goldenKafka(t), "127.0.0.1:1"})
	for _, args := range [][]string{{"patch", "status"}, {"config", "diff"}} {
		out, errOut, code := runCLI(t, append([]string{"-i", inv}, args...)...)
		if code != 69 {
			t.Errorf("%v: exit %d, want 69 (a cluster unreachable)\n%s%s", args, code, out, errOut)
		}
		if !strings.Contains(errOut, "cluster gone") {
			t.Errorf("%v: no error line naming cluster gone:\n%s", args, errOut)
		}
		if !strings.Contains(out, "golden") && !strings.Contains(out, "no drift") {
			t.Errorf("%v: the reachable cluster's result is missing:\n%s", args, out)
		}
	}
}
