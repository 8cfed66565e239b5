package host

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kfleet/kfleet/ops/cluster"
)

func TestParseProcessProbe(t *testing.T) {
	tests := []struct {
		name    string
		out     string
		want    cluster.BrokerProcess
		wantErr string
	}{
		{"running", "boot_id=b1\nkafka_processes=3\nrunning=1\npid=42\nstart_ticks=777\nversion=4.1.1\nnode_id=3\n",
			cluster.BrokerProcess{Running: true, PID: 42, StartTicks: 777, Version: "4.1.1", BootID: "b1", KafkaProcesses: 3,
				NodeID: 3, HasNodeID: true}, ""},
		{"node id 0 is an id", "running=1\npid=42\nnode_id=0\n", cluster.BrokerProcess{Running: true, PID: 42, HasNodeID: true}, ""},
		{"config sets no node id", "running=1\npid=42\nnode_id=\n", cluster.BrokerProcess{Running: true, PID: 42}, ""},
		{"an older probe prints no node id", "running=1\npid=42\n", cluster.BrokerProcess{Running: true, PID: 42}, ""},
		{"broker.id=-1 is generated, not known", "running=1\npid=42\nnode_id=-1\n", cluster.BrokerProcess{Running: true, PID: 42}, ""},
		{"a node id Kafka could not start with is not known", "running=1\npid=42\nnode_id=3x\n", cluster.BrokerProcess{Running: true, PID: 42}, ""},
		{"stopped", "boot_id=b1\nkafka_processes=0\nrunning=0\n", cluster.BrokerProcess{BootID: "b1"}, ""},
		{"motd noise is ignored", "Welcome to host\nboot_id=b\nrunning=0\n", cluster.BrokerProcess{BootID: "b"}, ""},
		{"no answer", "sh: 1: grep: not found\n", cluster.BrokerProcess{}, "printed no answer"},
		{"garbage pid", "running=1\npid=x\n", cluster.BrokerProcess{}, `bad pid "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := parseProcessProbe([]byte(tt.out))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// startFakeBroker starts a process whose argv looks like a Kafka broker's:
// java -cp CP kafka.Kafka ARGS..., in dir. It is killed when the test ends.
func startFakeBroker(t *testing.T, dir, cp string, args ...string) *exec.Cmd {
	t.Helper()
	// bash -c 'sleep; true' keeps bash itself alive with the fake java argv.
	cmd := exec.Command("bash", append([]string{"-c", "sleep 30; true", "java", "-cp", cp, "kafka.Kafka"}, args...)...)
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	time.Sleep(100 * time.Millisecond)
	return cmd
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// runProbe runs the real probe script locally, as the broker's host would over SSH; with known
// (pid, start ticks) it asks only whether that process still runs.
func runProbe(t *testing.T, cfg string, known ...string) cluster.BrokerProcess {
	t.Helper()
	p, _ := runProbeUnchanged(t, cfg, known...)
	return p
}

func runProbeUnchanged(t *testing.T, cfg string, known ...string) (cluster.BrokerProcess, bool) {
	t.Helper()
	out, err := exec.Command("sh", append([]string{"-c", processProbe, "kfleet-probe", cfg}, known...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("probe: %v: %s", err, out)
	}
	p, unchanged, err := parseProcessProbe(out)
	if err != nil {
		t.Fatal(err)
	}
	return p, unchanged
}

// Given the pid and start time an earlier probe found, the probe only confirms the process still
// runs; a process that is gone, or a pid now another process's, gets the full probe.
func TestProcessProbeConfirmsAKnownProcess(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "one.properties")
	writeFile(t, cfg, "node.id=1\n")
	one := startFakeBroker(t, dir, "/opt/k/releases/4.1.1/libs/kafka_2.13-4.1.1.jar", cfg)
	full := runProbe(t, cfg)
	pid, start := strconv.Itoa(full.PID), strconv.FormatUint(full.StartTicks, 10)
	if p, unchanged := runProbeUnchanged(t, cfg, pid, start); !unchanged || !p.Running || p.PID != one.Process.Pid || p.Version != "" {
		t.Fatalf("known process: %+v unchanged=%v; want only its pid confirmed", p, unchanged)
	}
	if p, unchanged := runProbeUnchanged(t, cfg, pid, start+"1"); unchanged || p.Version != "4.1.1" {
		t.Fatalf("another start time: %+v unchanged=%v; want the full probe", p, unchanged)
	}
	_ = one.Process.Kill()
	_ = one.Wait()
	if p, unchanged := runProbeUnchanged(t, cfg, pid, start); unchanged || p.Running {
		t.Fatalf("process gone: %+v unchanged=%v; want not running", p, unchanged)
	}
}

// The cache answers a confirmed process with what the first probe found, and forgets a host
// whose process is gone.
func TestProcessCacheRoundTrip(t *testing.T) {
	c := NewProcessCache()
	checked := time.Date(2026, 12, 2, 1, 2, 3, 0, time.UTC)
	p := cluster.BrokerProcess{Running: true, PID: 42, StartTicks: 7, Version: "4.1.1", NodeID: 1, HasNodeID: true, BootID: "b", Checked: checked}
	c.put("k1", "/cfg", p, nil)
	file := filepath.Join(t.TempDir(), "processes.json")
	if err := c.Save(file); err != nil {
		t.Fatal(err)
	}
	got := LoadProcessCache(file).get("k1", "/cfg")
	if got == nil || *got != p {
		t.Fatalf("loaded %+v, want %+v", got, p)
	}
	for _, tc := range []struct {
		maxAge time.Duration
		now    time.Time
		want   bool
	}{
		{time.Minute, checked.Add(30 * time.Second), true},
		{time.Minute, checked.Add(2 * time.Minute), false}, // too old
		{0, checked, false},                             // reuse nothing
		{time.Minute, checked.Add(-time.Second), false}, // confirmed in the future: a clock moved
	} {
		if _, ok := c.Recent("k1", "/cfg", tc.maxAge, tc.now); ok != tc.want {
			t.Errorf("Recent(max age %s, %s after the check) = %v, want %v", tc.maxAge, tc.now.Sub(checked), ok, tc.want)
		}
	}
	c.put("k1", "/cfg", cluster.BrokerProcess{}, nil)
	if c.get("k1", "/cfg") != nil {
		t.Fatal("a host whose process is gone is still cached")
	}
	if LoadProcessCache(filepath.Join(t.TempDir(), "missing.json")).get("k1", "/cfg") != nil {
		t.Fatal("a missing file is an empty cache")
	}
}

// TestProcessProbeFindsTheBrokerByItsConfig runs the real probe script against fake broker
// processes: two "brokers" on one host, told apart by their server.properties, each reporting the
// node id it was started with.
func TestProcessProbeFindsTheBrokerByItsConfig(t *testing.T) {
	dir := t.TempDir()
	cfg1, cfg2 := filepath.Join(dir, "one.properties"), filepath.Join(dir, "two.properties")
	writeFile(t, cfg1, "# broker one\nnode.id=1\n")
	writeFile(t, cfg2, "node.id=7") // no newline at the end; the command line overrides it
	one := startFakeBroker(t, dir, "/opt/k/releases/4.1.1/libs/kafka-clients-4.1.1.jar:/opt/k/releases/4.1.1/libs/kafka_2.13-4.1.1.jar", cfg1)
	two := startFakeBroker(t, dir, "/opt/k/releases/4.2.0/libs/kafka_2.13-4.2.0.jar", "two.properties", // relative to its cwd
		"--override", "node.id=2")

	if p := runProbe(t, cfg1); !p.Running || p.PID != one.Process.Pid || p.Version != "4.1.1" || p.StartTicks == 0 ||
		!p.HasNodeID || p.NodeID != 1 {
		t.Errorf("broker one: %+v, want pid %d version 4.1.1 node id 1", p, one.Process.Pid)
	}
	if p := runProbe(t, cfg2); !p.Running || p.PID != two.Process.Pid || p.Version != "4.2.0" || !p.HasNodeID || p.NodeID != 2 {
		t.Errorf("broker two: %+v, want pid %d version 4.2.0 node id 2 (its --override)", p, two.Process.Pid)
	}
	if p := runProbe(t, filepath.Join(dir, "absent.properties")); p.Running || p.KafkaProcesses < 2 || p.HasNodeID {
		t.Errorf("absent broker: %+v, want not running with 2 kafka processes seen", p)
	}
	if p := runProbe(t, cfg1); p.BootID == "" {
		t.Errorf("boot id missing: %+v", p)
	} else if _, err := strconv.Atoi(p.BootID); err == nil {
		t.Errorf("boot id %q looks like a number", p.BootID)
	}
}

// TestNodeIDFunc pins how the probe reads a node id from a config file (and --override values
// after it) the way Kafka does.
func TestNodeIDFunc(t *testing.T) {
	tests := []struct {
		name, props, want string
	}{
		{"node.id", "process.roles=broker\nnode.id=3\n", "3"},
		{"broker.id when node.id is not set", "broker.id=4\n", "4"},
		{"node.id wins over broker.id", "node.id=5\nbroker.id=4\n", "5"},
		{"the last assignment wins", "node.id=1\nnode.id=6\n", "6"},
		{"spaces around the separator", "  node.id = 7  \n", "7"},
		{"colon separator", "node.id:8\n", "8"},
		{"space separator", "node.id 9\n", "9"},
		{"carriage returns", "node.id=10\r\n", "10"},
		{"comments are not assignments", "#node.id=1\n! node.id=2\nnode.id=11\n", "11"},
		{"a longer key is another key", "node.identity=1\nnode.id.x=2\nnodexid=3\n", ""},
		{"controller.quorum node ids are not it", "controller.quorum.voters=1@h:9093\ncontroller.node.id=4\n", ""},
		{"neither set", "log.dirs=/data\n", ""},
		{"empty file", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "server.properties")
			writeFile(t, f, tt.props)
			out, err := exec.Command("sh", "-c", nodeIDFunc+`node_id < "$1"`, "sh", f).CombinedOutput()
			if err != nil {
				t.Fatalf("node_id: %v: %s", err, out)
			}
			if got := strings.TrimSpace(string(out)); got != tt.want {
				t.Errorf("node_id of %q = %q, want %q", tt.props, got, tt.want)
			}
		})
	}
}
