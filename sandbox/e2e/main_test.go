//go:build e2e

// Package e2e runs the kfleet binary against the real sandbox fleet: real Kafka brokers behind
// real OpenSSH sshd (see sandbox/up.sh). With KFLEET_E2E=1 (CI) a missing or unhealthy sandbox
// fails the run; otherwise the tests skip with the reason.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.yaml.in/yaml/v3"

	inv "github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/kafka"
)

var (
	root       string // repository root
	sandboxDir string // $SANDBOX_DIR, else <root>/.sandbox
	inventory  string // <sandboxDir>/fleet.yaml
	kfleetBin  string
	skipWhy    string
)

func TestMain(m *testing.M) {
	os.Exit(setup(m))
}

func setup(m *testing.M) int {
	wd, _ := os.Getwd()
	root = filepath.Clean(filepath.Join(wd, "..", ".."))
	sandboxDir = os.Getenv("SANDBOX_DIR")
	if sandboxDir == "" {
		sandboxDir = filepath.Join(root, ".sandbox")
	}
	inventory = filepath.Join(sandboxDir, "fleet.yaml")
	required := os.Getenv("KFLEET_E2E") == "1"

	tmp, err := os.MkdirTemp("", "kfleet-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	kfleetBin = filepath.Join(tmp, "kfleet")
	build := exec.Command("go", "build", "-o", kfleetBin, "./cmd/kfleet")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: building kfleet: %v\n%s", err, out)
		return 1
	}

	if _, err := os.Stat(inventory); err != nil {
		skipWhy = "sandbox not running (no " + inventory + "): run `make sandbox` first"
	} else if err := waitHealthy(3 * time.Minute); err != nil {
		skipWhy = "sandbox not healthy: " + err.Error()
	}
	if skipWhy != "" && required {
		fmt.Fprintf(os.Stderr, "e2e: KFLEET_E2E=1 and the sandbox cannot be used: %s\n", skipWhy)
		return 1
	}
	return m.Run()
}

// hostIP is sandbox host id's address: 127.0.0.(SANDBOX_IP_BASE+id), base 10 by default.
func hostIP(id int) string {
	base := 10
	if v := os.Getenv("SANDBOX_IP_BASE"); v != "" {
		fmt.Sscan(v, &base)
	}
	return fmt.Sprintf("127.0.0.%d", base+id)
}

// needSandbox skips (outside CI) when the sandbox is absent.
func needSandbox(t *testing.T) {
	t.Helper()
	if skipWhy != "" {
		t.Skip(skipWhy)
	}
}

type result struct {
	stdout, stderr string
	code           int
}

// kfleet runs the binary with args; -i defaults to the sandbox inventory.
func kfleet(t *testing.T, args ...string) result {
	t.Helper()
	return kfleetCtx(t, context.Background(), args...)
}

func kfleetCtx(t *testing.T, ctx context.Context, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 8*time.Minute)
	defer cancel()
	if !hasFlag(args, "-i") {
		args = append([]string{"-i", inventory}, args...)
	}
	cmd := exec.CommandContext(ctx, kfleetBin, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	transcript.add(args, out.String(), errOut.String())
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("kfleet %v: %v", args, err)
	}
	return result{out.String(), errOut.String(), code}
}

// transcript keeps everything every kfleet run of this test binary printed, for the secrets
// scan (secure_test.go).
var transcript outputLog

type outputLog struct {
	mu   sync.Mutex
	runs []loggedRun
}

type loggedRun struct {
	args           []string
	stdout, stderr string
}

func (l *outputLog) add(args []string, stdout, stderr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.runs = append(l.runs, loggedRun{slices.Clone(args), stdout, stderr})
}

func (l *outputLog) all() []loggedRun {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.runs)
}

// sandboxCluster is the sandbox cluster as kfleet loads it from the sandbox inventory.
func sandboxCluster(t *testing.T) *inv.Cluster {
	t.Helper()
	fleet, err := inv.Load(inventory)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := fleet.Select([]string{"sandbox"})
	if err != nil {
		t.Fatal(err)
	}
	return cs[0]
}

// sandboxOpts are the franz-go options that reach the sandbox cluster as kfleet does: its
// bootstrap servers plus the inventory's TLS and SASL settings (none on a plaintext sandbox).
func sandboxOpts(t *testing.T) []kgo.Opt {
	t.Helper()
	sec, err := kafka.SecurityOpts(sandboxCluster(t))
	if err != nil {
		t.Fatal(err)
	}
	return append([]kgo.Opt{kgo.SeedBrokers(bootstrap()...)}, sec...)
}

func hasFlag(args []string, f string) bool {
	for _, a := range args {
		if a == f {
			return true
		}
	}
	return false
}

// status is the subset of `status -o json` the tests read.
type status struct {
	Clusters []struct {
		Name            string `json:"name"`
		Healthy         bool   `json:"healthy"`
		Error           string `json:"error"`
		Controller      int32  `json:"controller"`
		Partitions      int    `json:"partitions"`
		UnderReplicated int    `json:"under_replicated"`
		UnderMinISR     int    `json:"under_min_isr"`
		Offline         int    `json:"offline"`
		Brokers         []struct {
			ID      int32  `json:"id"`
			Host    string `json:"host"`
			Rack    string `json:"rack"`
			Alive   bool   `json:"alive"`
			Version string `json:"version"`
		} `json:"brokers"`
	} `json:"clusters"`
}

func runStatus(args ...string) (status, int, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, kfleetBin, append([]string{"-i", inventory, "status", "-o", "json"}, args...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	transcript.add(cmd.Args[1:], out.String(), errOut.String())
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		return status{}, -1, "", err
	}
	var s status
	if err := json.Unmarshal(out.Bytes(), &s); err != nil {
		return status{}, code, errOut.String(), fmt.Errorf("status -o json: %v: %q", err, out.String())
	}
	return s, code, errOut.String(), nil
}

// waitHealthy polls status until it exits 0.
func waitHealthy(d time.Duration) error {
	deadline := time.Now().Add(d)
	var last string
	for time.Now().Before(deadline) {
		s, code, stderr, err := runStatus("--no-hosts")
		if err == nil && code == 0 {
			return nil
		}
		last = fmt.Sprintf("exit %d %v %s %+v", code, err, stderr, s)
		time.Sleep(500 * time.Millisecond)
	}
	return fmt.Errorf("not healthy within %s: %s", d, last)
}

// heal runs `make sandbox`'s script and waits until the fleet is healthy again, so the next
// scenario starts from a healthy sandbox.
func heal(t *testing.T) {
	t.Helper()
	cmd := exec.Command("bash", filepath.Join(root, "sandbox", "up.sh"))
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sandbox/up.sh: %v\n%s", err, out)
	}
	if err := waitHealthy(2 * time.Minute); err != nil {
		t.Fatalf("after heal: %v", err)
	}
}

// sandboxInventory returns the sandbox inventory as a generic tree, for tests to alter.
func sandboxInventory(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile(inventory)
	if err != nil {
		t.Fatal(err)
	}
	var inv map[string]any
	if err := yaml.Unmarshal(data, &inv); err != nil {
		t.Fatal(err)
	}
	return inv
}

func writeInventory(t *testing.T, inv map[string]any) string {
	t.Helper()
	data, err := yaml.Marshal(inv)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "fleet.yaml")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// brokerPID reads the pid the sandbox's service script recorded for broker id; 0 when the
// broker is stopped (the script removes the file).
// mustCode fails the test unless kfleet exited with code, showing what it printed.
func mustCode(t *testing.T, r result, code int, what string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", what, r.code, code, r.stdout, r.stderr)
	}
}

// killBroker kills broker id's Kafka process with SIGKILL (a host dying) and returns when.
func killBroker(t *testing.T, id int) time.Time {
	t.Helper()
	pid := brokerPID(t, id)
	if pid == 0 {
		t.Fatalf("broker %d is not running", id)
	}
	killed := time.Now()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 broker %d (pid %d): %v", id, pid, err)
	}
	return killed
}

func brokerPID(t *testing.T, id int) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(sandboxDir, "hosts", fmt.Sprint(id), "run", "kafka.pid"))
	if errors.Is(err, fs.ErrNotExist) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	var pid int
	if _, err := fmt.Sscan(strings.TrimSpace(string(data)), &pid); err != nil {
		t.Fatal(err)
	}
	return pid
}
