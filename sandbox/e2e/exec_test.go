//go:build e2e

package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// markerCmd touches a file named after the address the SSH connection arrived at, so a test can
// tell which hosts really ran the command (all sandbox hosts share one filesystem).
func markerCmd(dir string) string {
	return `set -- $SSH_CONNECTION; touch "` + dir + `/ran-on-$3"; echo "ran on $3"`
}

func TestExecRunsOnEveryBrokerHost(t *testing.T) {
	needSandbox(t)
	dir := t.TempDir()
	r := kfleet(t, "exec", "--", markerCmd(dir))
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, h := range []string{hostIP(1), hostIP(2), hostIP(3)} {
		if !strings.Contains(r.stdout, h+": ran on "+h) {
			t.Errorf("stdout lacks a line from %s prefixed by its host:\n%s", h, r.stdout)
		}
		if _, err := os.Stat(filepath.Join(dir, "ran-on-"+h)); err != nil {
			t.Errorf("command did not run through %s: %v", h, err)
		}
	}
	if !strings.Contains(r.stderr, "3 hosts: 3 ok, 0 failed, 0 unreachable") {
		t.Errorf("summary missing:\n%s", r.stderr)
	}
}

func TestExecArgvIsQuoted(t *testing.T) {
	needSandbox(t)
	dir := t.TempDir()
	hostile := "a b'c;touch " + dir + "/pwned;$(touch " + dir + "/pwned2)"
	r := kfleet(t, "exec", "--brokers", "1", "-o", "json", "--", "printf", "%s", hostile)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	var rep struct {
		Results []struct {
			Host   string `json:"host"`
			Stdout string `json:"stdout"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 1 || rep.Results[0].Stdout != hostile+"\n" {
		t.Errorf("argv not passed verbatim: %+v", rep.Results)
	}
	for _, f := range []string{"pwned", "pwned2"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("remote shell interpreted the argument: %s exists", f)
		}
	}
}

func TestExecFailureExitsOne(t *testing.T) {
	needSandbox(t)
	r := kfleet(t, "exec", "--", `set -- $SSH_CONNECTION; [ "$3" != `+hostIP(2)+` ]`)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, hostIP(2)+" (cluster sandbox, broker 2): exited 1") {
		t.Errorf("summary does not name the failed host:\n%s", r.stderr)
	}
}

func TestExecWrongHostKeyRunsNothingThere(t *testing.T) {
	needSandbox(t)
	inv := sandboxInventory(t)
	ssh0 := inv["defaults"].(map[string]any)["ssh"].(map[string]any)
	// Broker 2's host key replaced by an impostor's.
	kh := replaceHostKey(t, ssh0["known_hosts"].(string), "["+hostIP(2)+"]:2222")
	ssh0["known_hosts"] = kh
	path := writeInventory(t, inv)

	dir := t.TempDir()
	r := kfleet(t, "-i", path, "exec", "--", markerCmd(dir))
	if r.code != 69 {
		t.Fatalf("exit %d, want 69\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "host key") || !strings.Contains(r.stderr, hostIP(2)) {
		t.Errorf("stderr should name the host key problem and the host:\n%s", r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "ran-on-"+hostIP(2))); err == nil {
		t.Errorf("the command ran on the host whose key did not verify")
	}
	if _, err := os.Stat(filepath.Join(dir, "ran-on-"+hostIP(1))); err != nil {
		t.Errorf("the hosts with good keys should still run: %v", err)
	}
}

func TestExecUnreachableHost(t *testing.T) {
	needSandbox(t)
	inv := sandboxInventory(t)
	c := inv["clusters"].([]any)[0].(map[string]any)
	b := c["brokers"].([]any)[2].(map[string]any)
	b["host"] = "127.0.0.99" // nothing listens there
	path := writeInventory(t, inv)
	r := kfleet(t, "-i", path, "exec", "--brokers", "3", "--", "true")
	if r.code != 69 {
		t.Fatalf("exit %d, want 69\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "127.0.0.99") {
		t.Errorf("stderr should name the unreachable host:\n%s", r.stderr)
	}
}

func TestInventoryErrorsExitTwo(t *testing.T) {
	// Needs no sandbox: the inventory is refused before anything is reached.
	dir := t.TempDir()
	cases := map[string]struct{ yaml, want string }{
		"malformed": {"clusters:\n  - name: a\n    bootstrap: [\n", "fleet.yaml:"},
		"duplicate broker": {"clusters:\n  - name: a\n    bootstrap: [\"h:9092\"]\n    brokers:\n      - {id: 1, host: h1}\n      - {id: 1, host: h2}\n",
			"fleet.yaml:6:"},
		"unknown key": {"clusters:\n  - name: a\n    bootstrap: [\"h:9092\"]\n    brokers:\n      - {id: 1, hots: h1}\n",
			"hots"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, name, "fleet.yaml")
			_ = os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, []byte(tc.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			r := kfleet(t, "-i", p, "inventory", "validate")
			if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", r.code, r.stderr, tc.want)
			}
		})
	}
}
