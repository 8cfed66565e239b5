package zookeeper

import (
	"context"
	"errors"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeExec answers RemoteCommand as a host would: the fixture for the word the command asks,
// or fails. It records the commands.
type fakeExec struct {
	mu       sync.Mutex
	commands []string
	answers  map[string]string // word -> stdout
	err      error
}

func (f *fakeExec) exec(_ context.Context, _ Node, command string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.commands = append(f.commands, command)
	if f.err != nil {
		return "", f.err
	}
	for word, out := range f.answers {
		if strings.Contains(command, " '"+word+"' ") {
			return out, nil
		}
	}
	return "", nil
}

func (f *fakeExec) calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.commands...)
}

func TestRemoteCommand(t *testing.T) {
	cmd := RemoteCommand(Node{ID: 2, Host: "zk2.example", ClientPort: 2181}, "srvr", 2500*time.Millisecond)
	if !strings.HasPrefix(cmd, "sh -c '") {
		t.Errorf("command %q does not run sh -c", cmd)
	}
	if !strings.HasSuffix(cmd, " kfleet-zk 'zk2.example' '2181' 'srvr' '3'") {
		t.Errorf("command %q: want the host, port, word and whole seconds (rounded up) as quoted arguments", cmd)
	}
	if got := RemoteCommand(Node{Host: "h", ClientPort: 1}, "mntr", 0); !strings.HasSuffix(got, " 'mntr' '1'") {
		t.Errorf("no time left still gives each try a second: %q", got)
	}
	// A hostile host name stays one word.
	evil := RemoteCommand(Node{Host: "x'; rm -rf /; '", ClientPort: 2181}, "srvr", time.Second)
	if !strings.Contains(evil, `'x'\''; rm -rf /; '\'''`) {
		t.Errorf("host not quoted: %q", evil)
	}
}

func TestReadNodeVia(t *testing.T) {
	node := Node{ID: 2, Host: "zk2.example", ClientPort: 2181}
	tests := []struct {
		name     string
		exec     *fakeExec
		wantMode Mode
		wantErr  string
	}{
		{name: "leader", exec: &fakeExec{answers: map[string]string{
			"srvr": fixture(t, "stat-3.8.4-leader.txt"), "mntr": fixture(t, "mntr-3.6.1-leader.txt")}}, wantMode: ModeLeader},
		{name: "not serving", exec: &fakeExec{answers: map[string]string{"srvr": fixture(t, "not-serving.txt")}}, wantMode: ModeNotServing},
		{name: "the command fails", exec: &fakeExec{err: errors.New("exit 1: no answer to srvr from zk2.example:2181 or 127.0.0.1:2181")},
			wantErr: "zookeeper node 2 (zk2.example:2181): srvr over ssh: exit 1: no answer to srvr"},
		{name: "empty output", exec: &fakeExec{answers: map[string]string{"srvr": "\n"}},
			wantErr: "srvr over ssh: the connection closed without an answer"},
		{name: "not whitelisted: SSH gets the same refusal", exec: &fakeExec{answers: map[string]string{"srvr": fixture(t, "srvr-refused.txt")}},
			wantErr: "refuses the four-letter word \"srvr\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := ReadNodeVia(ctxFor(t, 2*time.Second), node, tt.exec.exec)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode != tt.wantMode {
				t.Errorf("mode %q, want %q", st.Mode, tt.wantMode)
			}
		})
	}
}

func TestReadAllFallsBackToSSH(t *testing.T) {
	node := Node{ID: 2, Host: "127.0.0.1", ClientPort: closedPort(t)}
	ex := &fakeExec{answers: map[string]string{"srvr": fixture(t, "srvr-3.9.3-follower.txt"), "mntr": fixture(t, "mntr-3.7.0-follower.txt")}}
	states, errs := ReadAll(ctxFor(t, 2*time.Second), []Node{node}, ex.exec)
	if len(errs) != 0 || states[2].Mode != ModeFollower || states[2].Monitor == nil {
		t.Fatalf("states %+v errs %v", states, errs)
	}
	if calls := ex.calls(); len(calls) != 2 {
		t.Errorf("ran %d commands, want srvr and mntr", len(calls))
	}
}

func TestReadAllNoFallbackForAnAnswer(t *testing.T) {
	// The node answered (a refusal); SSH would get the same answer.
	zk := startFakeZK(t, 1, answers(map[string]string{"srvr": fixture(t, "srvr-refused.txt")}))
	ex := &fakeExec{}
	_, errs := ReadAll(ctxFor(t, 2*time.Second), []Node{zk.node}, ex.exec)
	var refused *NotWhitelistedError
	if !errors.As(errs[1], &refused) {
		t.Fatalf("errs %v, want the refusal", errs)
	}
	if len(ex.calls()) != 0 {
		t.Errorf("fell back to SSH for an answer")
	}
}

func TestReadAllFallbackFails(t *testing.T) {
	node := Node{ID: 3, Host: "127.0.0.1", ClientPort: closedPort(t)}
	ex := &fakeExec{err: errors.New("host 127.0.0.1: cannot connect: connection refused")}
	_, errs := ReadAll(ctxFor(t, 2*time.Second), []Node{node}, ex.exec)
	err := errs[3]
	var re *ReadError
	if !errors.As(err, &re) || re.Via != "" {
		t.Fatalf("err = %v, want the client port's *ReadError first", err)
	}
	if !strings.Contains(err.Error(), "; over ssh: host 127.0.0.1: cannot connect") {
		t.Errorf("message %q does not say what SSH answered", err)
	}
}

func TestReadAllFallbackGetsTimeLeftAfterADroppingPort(t *testing.T) {
	zk := startFakeZK(t, 1, nil) // accepts and never answers, as a port that drops packets costs time
	ex := &fakeExec{answers: map[string]string{"srvr": fixture(t, "not-serving.txt")}}
	states, errs := ReadAll(ctxFor(t, 600*time.Millisecond), []Node{zk.node}, ex.exec)
	if len(errs) != 0 || states[1].Mode != ModeNotServing {
		t.Fatalf("states %+v errs %v: SSH had no time left", states, errs)
	}
}

// TestRemoteCommandAgainstFakeZooKeeper runs the remote script with this machine's sh against
// the in-process fake: with bash's /dev/tcp when there is no nc, and with an nc, each trying the
// node's address and then 127.0.0.1.
func TestRemoteCommandAgainstFakeZooKeeper(t *testing.T) {
	sh, err := osexec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	bash, err := osexec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	zk := startFakeZK(t, 1, answers(map[string]string{
		"srvr": fixture(t, "srvr-3.9.3-leader.txt"),
		"mntr": fixture(t, "mntr-3.6.1-leader.txt"),
	}))
	// A bin directory holding only what the script may use, so that the test picks the branch.
	bin := func(t *testing.T, withBash, withNC bool) string {
		dir := t.TempDir()
		if err := os.Symlink(sh, filepath.Join(dir, "sh")); err != nil {
			t.Fatal(err)
		}
		for _, tool := range []string{"cat", "timeout", "true"} {
			if p, err := osexec.LookPath(tool); err == nil {
				if err := os.Symlink(p, filepath.Join(dir, tool)); err != nil {
					t.Fatal(err)
				}
			}
		}
		if withBash {
			if err := os.Symlink(bash, filepath.Join(dir, "bash")); err != nil {
				t.Fatal(err)
			}
		}
		if withNC {
			// An nc that behaves like the real ones here: send stdin, print the answer until the
			// server closes.
			nc := "#!" + bash + "\nexec 3<>\"/dev/tcp/$1/$2\" || exit 1\ncat >&3\ncat <&3\n"
			if err := os.WriteFile(filepath.Join(dir, "nc"), []byte(nc), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	run := func(t *testing.T, path string) Exec {
		return func(ctx context.Context, _ Node, command string) (string, error) {
			cmd := osexec.CommandContext(ctx, sh, "-c", command)
			cmd.Env = []string{"PATH=" + path}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				return "", fmt.Errorf("%w: %s", err, stderr.String())
			}
			return string(out), nil
		}
	}
	// With nc, no bash: the nc branch alone must work.
	for _, withNC := range []bool{false, true} {
		for _, host := range []string{"127.0.0.1", "127.0.0.2"} { // 127.0.0.2: nobody listens, 127.0.0.1 answers
			t.Run(fmt.Sprintf("nc=%v host=%s", withNC, host), func(t *testing.T) {
				node := zk.node
				node.Host = host
				st, err := ReadNodeVia(ctxFor(t, 5*time.Second), node, run(t, bin(t, !withNC, withNC)))
				if err != nil {
					t.Fatal(err)
				}
				if st.Mode != ModeLeader || st.Monitor == nil || st.Monitor.Leader.SyncedFollowers != 2 {
					t.Errorf("state %+v monitor %+v", st, st.Monitor)
				}
			})
		}
	}
	t.Run("neither nc nor bash", func(t *testing.T) {
		_, err := ReadNodeVia(ctxFor(t, 5*time.Second), zk.node, run(t, bin(t, false, false)))
		if err == nil || !strings.Contains(err.Error(), "neither nc nor bash is installed") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("nothing listens", func(t *testing.T) {
		node := Node{ID: 9, Host: "127.0.0.1", ClientPort: closedPort(t)}
		_, err := ReadNodeVia(ctxFor(t, 5*time.Second), node, run(t, bin(t, true, false)))
		if err == nil || !strings.Contains(err.Error(), "no answer to srvr from 127.0.0.1:") {
			t.Fatalf("err = %v", err)
		}
	})
}
