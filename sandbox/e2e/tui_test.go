//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTuiLiveFleetView runs `kfleet tui` in an 80x24 tmux pane against the sandbox (plus one
// cluster that does not exist): the fleet view shows sandbox 3/3 and the other cluster's error;
// after broker 2 is killed it shows 2/3 and under-replicated partitions; enter opens the cluster
// and esc goes back; q exits and gives the shell its screen back.
func TestTuiLiveFleetView(t *testing.T) {
	needSandbox(t)
	tm := startTmux(t, 80, 24)

	inv := sandboxInventory(t)
	c := inv["clusters"].([]any)[0].(map[string]any)
	gone := map[string]any{"name": "gone", "bootstrap": []any{"127.0.0.1:1"},
		"brokers": []any{map[string]any{"id": 1, "host": "127.0.0.1"}}}
	inv["clusters"] = []any{c, gone}
	path := writeInventory(t, inv)
	logFile := filepath.Join(t.TempDir(), "tui.log")
	t.Cleanup(func() {
		if t.Failed() {
			if data, err := os.ReadFile(logFile); err == nil {
				t.Logf("tui log:\n%s", data)
			}
		}
	})

	tm.send(fmt.Sprintf("%s -i %s tui --interval 1s --timeout 3s --log-file %s; echo kfleet-exited-$?",
		kfleetBin, path, logFile), "Enter")
	screen := tm.waitFor(t, 60*time.Second, "the fleet view with sandbox 3/3 and gone unreachable", func(s string) bool {
		f := rowFields(s, "sandbox")
		return len(f) > 1 && f[1] == "3/3" && strings.Contains(s, "UNREACHABLE")
	})
	t.Logf("fleet view:\n%s", screen)
	if f := rowFields(screen, "sandbox"); len(f) < 4 || f[3] != "0" {
		t.Errorf("healthy sandbox row %q: want URP 0", f)
	}
	if f := rowFields(screen, "gone"); len(f) < 3 || f[1] != "?/1" || f[2] != "UNREACHABLE:" {
		t.Errorf("gone row %q: want ?/1 and its error", f)
	}
	if lines := strings.Split(strings.TrimRight(screen, "\n"), "\n"); len(lines) > 24 {
		t.Errorf("%d lines in a 24-line pane", len(lines))
	}

	t.Cleanup(func() { heal(t) })
	killed := killBroker(t, 2)
	screen = tm.waitFor(t, 60*time.Second, "sandbox 2/3 with under-replicated partitions", func(s string) bool {
		f := rowFields(s, "sandbox")
		return len(f) > 3 && f[1] == "2/3" && f[3] != "0"
	})
	t.Logf("broker 2 killed; after %s the fleet view shows:\n%s", time.Since(killed).Round(100*time.Millisecond), screen)

	// The sandbox is the worst reachable cluster but gone sorts first: move down to it.
	tm.send("j", "Enter")
	screen = tm.waitFor(t, 10*time.Second, "the cluster view", func(s string) bool {
		return strings.Contains(s, "sandbox  UNHEALTHY") && strings.Contains(s, "BROKERS") && strings.Contains(s, "127.0.0.")
	})
	t.Logf("cluster view:\n%s", screen)
	tm.send("Escape")
	tm.waitFor(t, 10*time.Second, "the fleet view again", func(s string) bool { return strings.Contains(s, "CLUSTER") })

	tm.send("q")
	tm.waitFor(t, 10*time.Second, "kfleet to exit 0", func(s string) bool { return strings.Contains(s, "kfleet-exited-0") })
	if got := tm.display(t, "#{alternate_on} #{pane_current_command}"); got != "0 bash" {
		t.Errorf("after q: pane state %q, want the main screen and bash (terminal restored)", got)
	}
}

// rowFields is the whitespace-separated fields of the screen line listing cluster name, with the
// selection marker dropped: name, brokers, controller, URP, ...
func rowFields(screen, name string) []string {
	for _, l := range strings.Split(screen, "\n") {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(l), ">"))
		if len(f) > 0 && f[0] == name {
			return f
		}
	}
	return nil
}

// tmux is one private tmux server (its own socket) with one pane running a plain bash.
type tmux struct {
	bin, socket string
}

func startTmux(t *testing.T, w, h int) *tmux {
	t.Helper()
	bin, err := exec.LookPath("tmux")
	if err != nil {
		if os.Getenv("KFLEET_E2E") == "1" {
			t.Fatal("tmux is not installed; the TUI test needs it (apt-get install -y tmux)")
		}
		t.Skip("tmux is not installed; the TUI test drives kfleet tui in a tmux pane")
	}
	tm := &tmux{bin: bin, socket: filepath.Join(t.TempDir(), "tmux.sock")}
	out, err := exec.Command(bin, "-S", tm.socket, "-f", "/dev/null", "new-session", "-d", "-s", "tui",
		"-x", fmt.Sprint(w), "-y", fmt.Sprint(h),
		"env", "PS1=tui-e2e$ ", "TERM=xterm-256color", "bash", "--norc", "--noprofile").CombinedOutput()
	if err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command(bin, "-S", tm.socket, "kill-server").Run() })
	if got := tm.display(t, "#{pane_width}x#{pane_height}"); got != fmt.Sprintf("%dx%d", w, h) {
		t.Fatalf("tmux pane is %s, want %dx%d", got, w, h)
	}
	return tm
}

func (tm *tmux) send(keys ...string) {
	_ = exec.Command(tm.bin, append([]string{"-S", tm.socket, "send-keys", "-t", "tui"}, keys...)...).Run()
}

func (tm *tmux) display(t *testing.T, format string) string {
	t.Helper()
	out, err := exec.Command(tm.bin, "-S", tm.socket, "display-message", "-p", "-t", "tui", format).Output()
	if err != nil {
		t.Fatalf("tmux display-message: %v", err)
	}
	return strings.TrimSpace(string(out))
}

func (tm *tmux) capture() string {
	out, _ := exec.Command(tm.bin, "-S", tm.socket, "capture-pane", "-p", "-t", "tui").Output()
	return string(out)
}

// waitFor polls the pane until ok accepts it, and returns that screen.
func (tm *tmux) waitFor(t *testing.T, d time.Duration, what string, ok func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(d)
	var s string
	for time.Now().Before(deadline) {
		if s = tm.capture(); ok(s) {
			return s
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("no %s within %s; the pane shows:\n%s", what, d, s)
	return ""
}
