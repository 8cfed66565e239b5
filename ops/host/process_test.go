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
		{"running", "boot_id=b1\nkafka_processes=3\nrunning=1\npid=42\nstart_ticks=777\nversion=4.1.1\n",
			cluster.BrokerProcess{Running: true, PID: 42, StartTicks: 777, Version: "4.1.1", BootID: "b1", KafkaProcesses: 3}, ""},
		{"stopped", "boot_id=b1\nkafka_processes=0\nrunning=0\n", cluster.BrokerProcess{BootID: "b1"}, ""},
		{"motd noise is ignored", "Welcome to host\nboot_id=b\nrunning=0\n", cluster.BrokerProcess{BootID: "b"}, ""},
		{"no answer", "sh: 1: grep: not found\n", cluster.BrokerProcess{}, "printed no answer"},
		{"garbage pid", "running=1\npid=x\n", cluster.BrokerProcess{}, `bad pid "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseProcessProbe([]byte(tt.out))
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

// TestProcessProbeFindsTheBrokerByItsConfig runs the real probe script against fake broker
// processes: two "brokers" on one host, told apart by their server.properties.
func TestProcessProbeFindsTheBrokerByItsConfig(t *testing.T) {
	dir := t.TempDir()
	cfg1, cfg2 := filepath.Join(dir, "one.properties"), filepath.Join(dir, "two.properties")
	for _, f := range []string{cfg1, cfg2} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	start := func(cp, cfgArg string) *exec.Cmd {
		// bash -c 'sleep; true' keeps bash itself alive with the fake java argv.
		cmd := exec.Command("bash", "-c", "sleep 30; true", "java", "-cp", cp, "kafka.Kafka", cfgArg)
		cmd.Dir = dir
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		return cmd
	}
	one := start("/opt/k/releases/4.1.1/libs/kafka-clients-4.1.1.jar:/opt/k/releases/4.1.1/libs/kafka_2.13-4.1.1.jar", cfg1)
	two := start("/opt/k/releases/4.2.0/libs/kafka_2.13-4.2.0.jar", "two.properties") // relative to its cwd
	time.Sleep(100 * time.Millisecond)

	probe := func(cfg string) cluster.BrokerProcess {
		out, err := exec.Command("sh", "-c", processProbe, "kfleet-probe", cfg).CombinedOutput()
		if err != nil {
			t.Fatalf("probe: %v: %s", err, out)
		}
		p, err := parseProcessProbe(out)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	if p := probe(cfg1); !p.Running || p.PID != one.Process.Pid || p.Version != "4.1.1" || p.StartTicks == 0 {
		t.Errorf("broker one: %+v, want pid %d version 4.1.1", p, one.Process.Pid)
	}
	if p := probe(cfg2); !p.Running || p.PID != two.Process.Pid || p.Version != "4.2.0" {
		t.Errorf("broker two: %+v, want pid %d version 4.2.0", p, two.Process.Pid)
	}
	if p := probe(filepath.Join(dir, "absent.properties")); p.Running || p.KafkaProcesses < 2 {
		t.Errorf("absent broker: %+v, want not running with 2 kafka processes seen", p)
	}
	if p := probe(cfg1); p.BootID == "" {
		t.Errorf("boot id missing: %+v", p)
	} else if _, err := strconv.Atoi(p.BootID); err == nil {
		t.Errorf("boot id %q looks like a number", p.BootID)
	}
}
