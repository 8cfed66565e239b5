package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/kfleet/kfleet/cmd/internal/exitcode"
	"github.com/kfleet/kfleet/cmd/internal/factory"
	"github.com/kfleet/kfleet/cmd/internal/output"
	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/kafka"
	"github.com/kfleet/kfleet/ops/ssh"
	"github.com/kfleet/kfleet/reassign"
	"github.com/kfleet/kfleet/rollout"
)

// runCLI runs one kfleet command line in-process and returns stdout, stderr and the exit code.
func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	io, out, errOut := output.TestIO(false)
	code := run(context.Background(), args, &factory.Factory{IO: io})
	return out.String(), errOut.String(), code
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExitCodeTable(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("boom"), 1},
		{fault.Usagef("bad flag"), 2},
		{inventory.Errors{{Msg: "x"}}, 2},
		{fmt.Errorf("wrapped: %w", &inventory.SelectionError{Msg: "no cluster"}), 2},
		{exitcode.Checked("unhealthy"), 3},
		{&kafka.UnreachableError{Cluster: "c", Err: errors.New("refused")}, 69},
		{fmt.Errorf("x: %w", &kafka.SettingsError{Cluster: "c", Field: "kafka.sasl", Err: errors.New("unset")}), 2},
		{&kafka.DeniedError{Cluster: "c", Op: kafka.OpBrokerConfigs, Err: kerr.ClusterAuthorizationFailed}, 69},
		{fmt.Errorf("lease: %w", kerr.TopicAuthorizationFailed), 69},
		{&rollout.HaltError{Err: kerr.ClusterAuthorizationFailed}, 1},
		{fmt.Errorf("exec: %w", &ssh.HostKeyError{Host: "h"}), 69},
		{&ssh.UnreachableError{Host: "h", Err: errors.New("refused")}, 69},
		{exitcode.Quiet{Err: &fault.Error{Kind: fault.RefusedForNow, Msg: "gate closed"}}, 75},
		{exitcode.Interrupt{Err: context.Canceled}, 130},
	}
	for _, tt := range tests {
		if got := exitcode.Of(tt.err); got != tt.want {
			t.Errorf("exitcode.Of(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

// The domain says which step comes next; the command line words it with its own commands.
func TestReportErrorSaysHowToGoOn(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&rollout.HaltError{OpID: "op-1", Batch: 2, Brokers: []int32{3}, Step: "start", Err: errors.New("boom"), Stopped: []int32{3}},
			"kfleet: batch 2 (broker 3): start failed: boom; broker(s) 3 left STOPPED; rollout halted, no further broker touched; fix the cause, then: kfleet resume op-1\n"},
		{fmt.Errorf("restart: %w", &rollout.InterruptedError{OpID: "op-2", Done: []int32{1}, Left: []int32{2, 3}}),
			"kfleet: restart: interrupted after brokers 1; no broker is stopped; 2,3 left; continue with: kfleet resume op-2\n"},
		{&rollout.AbortedError{OpID: "op-3", Batch: []int32{1}, Step: "stop"},
			"kfleet: aborted during stop of broker(s) 1: they may be stopped; check with kfleet status, then kfleet resume op-3\n"},
		{&reassign.HaltError{OpID: "op-4", Reason: "not done within --timeout 1s"},
			"kfleet: not done within --timeout 1s; see kfleet reassign status; continue with: kfleet resume op-4, or revert with: kfleet reassign cancel\n"},
		{&reassign.HaltError{OpID: "op-5", Reason: "cancelled", NoResume: true}, "kfleet: cancelled\n"},
		{&reassign.AbortedError{OpID: "op-6"},
			"kfleet: aborted: 0 move(s) left in flight in Kafka; see kfleet reassign status; kfleet resume op-6 follows them and removes the throttles, kfleet reassign cancel reverts them\n"},
	}
	for _, tt := range tests {
		io, _, errOut := output.TestIO(false)
		exitcode.Report(io.ErrOut, tt.err)
		if errOut.String() != tt.want {
			t.Errorf("reportError printed\n%q\nwant\n%q", errOut.String(), tt.want)
		}
	}
}

func TestHelpExitCodesListsEveryCode(t *testing.T) {
	out, _, code := runCLI(t, "help", "exit-codes")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, e := range exitcode.Table {
		if !strings.Contains(out, fmt.Sprintf("%3d  %s", e.Code, e.Meaning)) {
			t.Errorf("help exit-codes lacks code %d:\n%s", e.Code, out)
		}
	}
}

func TestVersionJSON(t *testing.T) {
	out, _, code := runCLI(t, "version", "-o", "json")
	var v map[string]string
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil || v["version"] != version || v["commit"] != commit {
		t.Fatalf("exit %d, output %q", code, out)
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	inv := writeFile(t, "fleet.yaml", "clusters:\n  - name: a\n    bootstrap: [\"127.0.0.1:1\"]\n    brokers:\n      - {id: 1, host: h1}\n")
	tests := [][]string{
		{"nosuchcommand"},
		{"status", "--nosuchflag"},
		{"-o", "xml", "version"},
		{"-i", inv, "-c", "nosuchcluster", "status"},
		{"-i", inv, "status", "--brokers", "9"},
		{"-i", inv, "status", "--brokers", "x"},
		{"-i", inv, "exec", "--", ""},
		{"-i", inv, "exec"},
		{"-i", filepath.Join(t.TempDir(), "missing.yaml"), "inventory", "validate"},
		{"version", "extra"},
	}
	for _, args := range tests {
		_, errOut, code := runCLI(t, args...)
		if code != 2 {
			t.Errorf("kfleet %v: exit %d, want 2 (stderr %q)", args, code, errOut)
		}
		if errOut == "" {
			t.Errorf("kfleet %v: no message on stderr", args)
		}
	}
}

func TestInventoryValidateNamesLineAndField(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string
	}{
		{"malformed yaml", "clusters:\n  - name: a\n    bootstrap: [\n", []string{"fleet.yaml:"}},
		{"duplicate broker", "clusters:\n  - name: a\n    bootstrap: [\"h:9092\"]\n    brokers:\n      - {id: 1, host: h1}\n      - {id: 1, host: h2}\n",
			[]string{"fleet.yaml:6:", "clusters[0].brokers[1].id", "duplicate"}},
		{"unknown key", "clusters:\n  - name: a\n    bootstrap: [\"h:9092\"]\n    brokers:\n      - {id: 1, hots: h1}\n",
			[]string{"fleet.yaml:5:", "hots"}},
		{"inline password", "clusters:\n  - name: a\n    bootstrap: [\"h:9092\"]\n    kafka:\n      sasl: {mechanism: PLAIN, user: u, password: hunter2}\n    brokers:\n      - {id: 1, host: h1}\n",
			[]string{"fleet.yaml:5:", "inline secrets"}},
		{"identity file missing", "clusters:\n  - name: a\n    bootstrap: [\"h:9092\"]\n    brokers:\n      - {id: 1, host: h1, ssh: {identity_file: /nonexistent/id_ed25519}}\n",
			[]string{"fleet.yaml:5:", "clusters[0].brokers[0].ssh.identity_file", "/nonexistent/id_ed25519: no such file or directory"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, "fleet.yaml", tt.body)
			out, errOut, code := runCLI(t, "-i", p, "inventory", "validate")
			if code != 2 {
				t.Fatalf("exit %d, want 2; stdout %q stderr %q", code, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q lacks %q", errOut, w)
				}
			}
			if strings.Contains(errOut, "hunter2") {
				t.Errorf("stderr leaks the inline secret: %q", errOut)
			}
		})
	}
}

func TestInventoryValidateAndShow(t *testing.T) {
	p := writeFile(t, "fleet.yaml", `defaults:
  ssh: {user: ops, port: 2222}
clusters:
  - name: a
    bootstrap: ["h1:9092"]
    kafka:
      sasl: {mechanism: SCRAM-SHA-512, user: ops, password_env: KFLEET_TEST_PW}
    brokers:
      - {id: 1, host: h1, rack: r1}
      - {id: 2, host: h2, ssh: {port: 22}}
`)
	out, _, code := runCLI(t, "-i", p, "inventory", "validate")
	if code != 0 || !strings.Contains(out, "valid (1 cluster, 2 brokers)") {
		t.Fatalf("validate: exit %d, %q", code, out)
	}
	t.Setenv("KFLEET_TEST_PW", "s3cret-value")
	out, _, code = runCLI(t, "-i", p, "inventory", "show", "-o", "json")
	if code != 0 {
		t.Fatalf("show: exit %d", code)
	}
	if strings.Contains(out, "s3cret-value") {
		t.Fatalf("inventory show printed a secret:\n%s", out)
	}
	var shown struct {
		Clusters []struct {
			Brokers []struct {
				ID  int32 `json:"id"`
				SSH struct {
					User string `json:"user"`
					Port int    `json:"port"`
				} `json:"ssh"`
			} `json:"brokers"`
		} `json:"clusters"`
	}
	if err := json.Unmarshal([]byte(out), &shown); err != nil {
		t.Fatal(err)
	}
	b := shown.Clusters[0].Brokers
	if b[0].SSH.User != "ops" || b[0].SSH.Port != 2222 || b[1].SSH.Port != 22 {
		t.Errorf("merge not applied: %+v", b)
	}
}

func TestStatusUnreachableClusterExits69(t *testing.T) {
	p := writeFile(t, "fleet.yaml", "clusters:\n  - name: gone\n    bootstrap: [\"127.0.0.1:1\"]\n    brokers:\n      - {id: 1, host: 127.0.0.1}\n")
	out, _, code := runCLI(t, "-i", p, "status", "--no-hosts", "--timeout", "2s", "-o", "json")
	if code != 69 {
		t.Fatalf("exit %d, want 69\n%s", code, out)
	}
	var rep struct {
		Clusters []struct {
			Name    string `json:"name"`
			Healthy bool   `json:"healthy"`
			Error   string `json:"error"`
		} `json:"clusters"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Clusters) != 1 || rep.Clusters[0].Healthy || !strings.Contains(rep.Clusters[0].Error, "gone") {
		t.Errorf("report = %+v", rep)
	}
}

func TestInventoryValidateNoFilesSkipsTheFileCheck(t *testing.T) {
	p := writeFile(t, "fleet.yaml", "clusters:\n  - name: a\n    bootstrap: [\"h:9092\"]\n    brokers:\n      - {id: 1, host: h1, ssh: {identity_file: /nonexistent/id_ed25519}}\n")
	if out, errOut, code := runCLI(t, "-i", p, "inventory", "validate", "--no-files"); code != 0 || !strings.Contains(out, "valid (1 cluster, 1 broker)") {
		t.Fatalf("validate --no-files: exit %d\n%s%s", code, out, errOut)
	}
}
