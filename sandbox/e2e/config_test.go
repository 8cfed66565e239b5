//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"go.yaml.in/yaml/v3"
)

// configSandbox is a sandbox of its own: config apply edits server.properties and restarts
// brokers, which must never disturb the shared sandbox other tests use.
type configSandbox struct {
	dir       string
	inventory string
	base      map[string]any
}

func (s *configSandbox) env() []string {
	return append(os.Environ(), "SANDBOX_DIR="+s.dir, "SANDBOX_IP_BASE=40", "SANDBOX_BROKERS=3")
}

func (s *configSandbox) script(t *testing.T, name string) {
	t.Helper()
	cmd := exec.Command("bash", filepath.Join(root, "sandbox", name))
	cmd.Dir, cmd.Env = root, s.env()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sandbox/%s: %v\n%s", name, err, out)
	}
}

func startConfigSandbox(t *testing.T) *configSandbox {
	t.Helper()
	s := &configSandbox{dir: filepath.Join(root, ".sandbox-config")}
	s.inventory = filepath.Join(s.dir, "fleet.yaml")
	// A run that died half-way may have left its sandbox running: stop it before starting clean.
	s.script(t, "down.sh")
	if err := os.RemoveAll(s.dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd := exec.Command("bash", filepath.Join(root, "sandbox", "down.sh"))
		cmd.Dir, cmd.Env = root, s.env()
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Logf("sandbox/down.sh: %v\n%s", err, out)
		}
		_ = os.RemoveAll(s.dir)
	})
	s.script(t, "up.sh")
	data, err := os.ReadFile(s.inventory)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &s.base); err != nil {
		t.Fatal(err)
	}
	return s
}

// withConfig writes the sandbox inventory with a cluster config and per-broker overrides.
func (s *configSandbox) withConfig(t *testing.T, cluster map[string]any, brokers map[int]map[string]any) string {
	t.Helper()
	data, _ := yaml.Marshal(s.base)
	var inv map[string]any
	_ = yaml.Unmarshal(data, &inv)
	c := inv["clusters"].([]any)[0].(map[string]any)
	if cluster != nil {
		c["config"] = cluster
	}
	for _, b := range c["brokers"].([]any) {
		bm := b.(map[string]any)
		if o, ok := brokers[bm["id"].(int)]; ok {
			bm["config"] = o
		}
	}
	return writeInventory(t, inv)
}

func (s *configSandbox) pid(t *testing.T, id int) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(s.dir, "hosts", strconv.Itoa(id), "run", "kafka.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

func (s *configSandbox) pids(t *testing.T) map[int]int {
	return map[int]int{1: s.pid(t, 1), 2: s.pid(t, 2), 3: s.pid(t, 3)}
}

func (s *configSandbox) propsFile(id int) string {
	return filepath.Join(s.dir, "hosts", strconv.Itoa(id), "config", "server.properties")
}

// liveConfig asks broker id itself what value key has now, as DescribeConfigs reports it.
func liveConfig(t *testing.T, id int, key string) string {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(fmt.Sprintf("127.0.0.%d:9092", 40+id)))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	req := kmsg.NewPtrDescribeConfigsRequest()
	r := kmsg.NewDescribeConfigsRequestResource()
	r.ResourceType, r.ResourceName, r.ConfigNames = kmsg.ConfigResourceTypeBroker, strconv.Itoa(id), []string{key}
	req.Resources = append(req.Resources, r)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range resp.Resources {
		for _, c := range res.Configs {
			if c.Name == key && c.Value != nil {
				return *c.Value
			}
		}
	}
	t.Fatalf("broker %d does not report %s", id, key)
	return ""
}

type configDiffRow struct {
	Broker     int32  `json:"broker"`
	Key        string `json:"key"`
	Live       string `json:"live"`
	LiveSource string `json:"live_source"`
	Desired    string `json:"desired"`
	Apply      string `json:"apply"`
}

func configDiff(t *testing.T, inv string) ([]configDiffRow, int) {
	t.Helper()
	r := kfleet(t, "-i", inv, "config", "diff", "-o", "json")
	var rows []configDiffRow
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
		t.Fatalf("config diff -o json (exit %d): %v\n%s\n%s", r.code, err, r.stdout, r.stderr)
	}
	return rows, r.code
}

func TestConfigPropagation(t *testing.T) {
	if os.Getenv("KFLEET_E2E") != "1" && skipWhy != "" {
		t.Skip("e2e tests not enabled: " + skipWhy)
	}
	s := startConfigSandbox(t)
	state := t.TempDir()
	apply := func(inv string, extra ...string) result {
		t.Helper()
		return kfleet(t, append([]string{"-i", inv, "--state-dir", state, "config", "apply", "--yes"}, extra...)...)
	}

	dynamic := map[string]any{"dynamic": map[string]any{"log.cleaner.threads": "2", "message.max.bytes": "2000000"}}
	override := map[int]map[string]any{2: {"dynamic": map[string]any{"message.max.bytes": "3000000"}}}
	invDyn := s.withConfig(t, dynamic, override)

	t.Run("dynamic keys go live without a restart", func(t *testing.T) {
		rows, code := configDiff(t, invDyn)
		if code != 3 || len(rows) != 6 {
			t.Fatalf("diff before: exit %d, %d rows, want 3 and 6: %+v", code, len(rows), rows)
		}
		for _, r := range rows {
			want := "cluster-wide dynamic"
			if r.Broker == 2 && r.Key == "message.max.bytes" {
				want = "per-broker dynamic"
			}
			if r.Apply != want || r.LiveSource != "DEFAULT_CONFIG" {
				t.Errorf("row %+v: want apply %q from DEFAULT_CONFIG", r, want)
			}
		}
		before := s.pids(t)
		if dry := kfleet(t, "-i", invDyn, "config", "apply", "--dry-run"); dry.code != 0 || !strings.Contains(dry.stdout, "restart: none") {
			t.Fatalf("dry run: exit %d\n%s\n%s", dry.code, dry.stdout, dry.stderr)
		}
		if rows, _ := configDiff(t, invDyn); len(rows) != 6 {
			t.Fatalf("dry run changed something: %+v", rows)
		}
		r := apply(invDyn)
		if r.code != 0 {
			t.Fatalf("apply: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		if after := s.pids(t); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("a broker restarted for dynamic configs: pids %v -> %v", before, after)
		}
		for id, want := range map[int]string{1: "2000000", 2: "3000000", 3: "2000000"} {
			if got := liveConfig(t, id, "message.max.bytes"); got != want {
				t.Errorf("broker %d message.max.bytes = %s, want %s", id, got, want)
			}
			if got := liveConfig(t, id, "log.cleaner.threads"); got != "2" {
				t.Errorf("broker %d log.cleaner.threads = %s, want 2", id, got)
			}
		}
		if rows, code := configDiff(t, invDyn); code != 0 || len(rows) != 0 {
			t.Errorf("diff after: exit %d, %+v", code, rows)
		}
	})

	// For broker 2 only: a read-only key its file lacks, and a key Kafka could change live that
	// its file has with another value. For everyone: a key every file already has. Only broker
	// 2's file changes and only broker 2 restarts.
	static := map[string]any{"dynamic": dynamic["dynamic"], "static": map[string]any{"num.io.threads": "4"}}
	staticOverride := map[int]map[string]any{2: {"dynamic": override[2]["dynamic"],
		"static": map[string]any{"queued.max.requests": "600", "num.network.threads": "3"}}}
	invStatic := s.withConfig(t, static, staticOverride)

	t.Run("static keys edit only the changed files and restart only those brokers", func(t *testing.T) {
		rows, code := configDiff(t, invStatic)
		if code != 3 || len(rows) != 2 {
			t.Fatalf("diff before: exit %d, %+v", code, rows)
		}
		for i, key := range []string{"num.network.threads", "queued.max.requests"} {
			if r := rows[i]; r.Broker != 2 || r.Key != key || r.Apply != "restart needed" {
				t.Errorf("diff before, row %d: %+v", i, r)
			}
		}
		orig2, _ := os.ReadFile(s.propsFile(2))
		orig1, _ := os.ReadFile(s.propsFile(1))
		dry := kfleet(t, "-i", invStatic, "config", "apply", "--dry-run")
		if dry.code != 0 || !strings.Contains(dry.stdout, "-num.network.threads=2") || !strings.Contains(dry.stdout, "+num.network.threads=3") ||
			!strings.Contains(dry.stdout, "+queued.max.requests=600") || !strings.Contains(dry.stdout, "restart: broker(s) 2,") {
			t.Fatalf("dry run: exit %d\n%s\n%s", dry.code, dry.stdout, dry.stderr)
		}
		before := s.pids(t)
		r := apply(invStatic, "-o", "json")
		if r.code != 0 {
			t.Fatalf("apply: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		if !strings.Contains(r.stderr, "num.network.threads is dynamic in this Kafka") {
			t.Errorf("no warning that num.network.threads could be live:\n%s", r.stderr)
		}
		for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
			var e map[string]any
			if err := json.Unmarshal([]byte(line), &e); err != nil {
				t.Errorf("-o json line is not JSON: %q", line)
			}
		}
		after := s.pids(t)
		if after[1] != before[1] || after[3] != before[3] || after[2] == before[2] {
			t.Errorf("want only broker 2 restarted: pids %v -> %v", before, after)
		}
		now2, _ := os.ReadFile(s.propsFile(2))
		want := strings.Replace(string(orig2), "\nnum.network.threads=2\n", "\nnum.network.threads=3\n", 1) + "queued.max.requests=600\n"
		if string(now2) != want || want == string(orig2)+"queued.max.requests=600\n" {
			t.Errorf("broker 2 server.properties:\n%s\nwant the original edited in place plus one line", now2)
		}
		if now1, _ := os.ReadFile(s.propsFile(1)); string(now1) != string(orig1) {
			t.Errorf("broker 1 server.properties changed")
		}
		backups, _ := filepath.Glob(s.propsFile(2) + ".kfleet-*.bak")
		if len(backups) != 1 {
			t.Fatalf("want one backup of broker 2's file, got %v", backups)
		}
		if b, _ := os.ReadFile(backups[0]); string(b) != string(orig2) {
			t.Errorf("backup differs from the original")
		}
		if others, _ := filepath.Glob(s.propsFile(1) + ".kfleet-*"); len(others) != 0 {
			t.Errorf("broker 1 got files: %v", others)
		}
		if got := liveConfig(t, 2, "queued.max.requests"); got != "600" {
			t.Errorf("broker 2 queued.max.requests = %s, want 600", got)
		}
		if got := liveConfig(t, 2, "num.network.threads"); got != "3" {
			t.Errorf("broker 2 num.network.threads = %s, want 3", got)
		}
		if got := liveConfig(t, 1, "queued.max.requests"); got != "500" {
			t.Errorf("broker 1 queued.max.requests = %s, want the default 500", got)
		}
		if rows, code := configDiff(t, invStatic); code != 0 || len(rows) != 0 {
			t.Errorf("diff after: exit %d, %+v", code, rows)
		}

		// Again: nothing changes and nothing restarts.
		again := apply(invStatic)
		if again.code != 0 || !strings.Contains(again.stdout, "nothing to change") {
			t.Errorf("second apply: exit %d\n%s\n%s", again.code, again.stdout, again.stderr)
		}
		if fmt.Sprint(s.pids(t)) != fmt.Sprint(after) {
			t.Errorf("second apply restarted a broker")
		}
		if b, _ := filepath.Glob(s.propsFile(2) + ".kfleet-*.bak"); len(b) != 1 {
			t.Errorf("second apply wrote a file: %v", b)
		}
	})

	t.Run("a hand change on one broker shows up", func(t *testing.T) {
		f := s.propsFile(3)
		orig, _ := os.ReadFile(f)
		t.Cleanup(func() { _ = os.WriteFile(f, orig, 0o644) })
		if err := os.WriteFile(f, []byte(strings.Replace(string(orig), "num.io.threads=4", "num.io.threads=6", 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		rows, code := configDiff(t, invStatic)
		if code != 3 || len(rows) != 1 || rows[0].Broker != 3 || rows[0].Key != "num.io.threads" || rows[0].Live != "6" || rows[0].LiveSource != "server.properties" {
			t.Errorf("diff: exit %d, %+v", code, rows)
		}
		table := kfleet(t, "-i", invStatic, "config", "diff")
		if table.code != 3 || !strings.Contains(table.stdout, "num.io.threads") {
			t.Errorf("table diff: exit %d\n%s", table.code, table.stdout)
		}
	})

	t.Run("an invalid value is refused and nothing changes", func(t *testing.T) {
		bad := s.withConfig(t,
			map[string]any{"dynamic": map[string]any{"log.cleaner.threads": "2", "message.max.bytes": "2500000"}},
			map[int]map[string]any{1: {"dynamic": map[string]any{"log.cleaner.threads": "-1"}}, 2: override[2]})
		before := s.pids(t)
		r := apply(bad)
		if r.code != 2 {
			t.Fatalf("apply: exit %d, want 2\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		for _, want := range []string{"broker 1", "log.cleaner.threads=-1", "nothing was changed"} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("error lacks %q:\n%s", want, r.stderr)
			}
		}
		if got := liveConfig(t, 2, "message.max.bytes"); got != "3000000" {
			t.Errorf("broker 2 message.max.bytes = %s after a refused apply", got)
		}
		if got := liveConfig(t, 1, "message.max.bytes"); got != "2000000" {
			t.Errorf("the valid cluster-wide change went through: broker 1 message.max.bytes = %s", got)
		}
		if fmt.Sprint(s.pids(t)) != fmt.Sprint(before) {
			t.Errorf("a refused apply restarted a broker")
		}
		neg := s.withConfig(t, map[string]any{"dynamic": map[string]any{"message.max.bytes": "-5"}}, nil)
		r = apply(neg)
		if r.code != 2 || !strings.Contains(r.stderr, "cluster-wide: message.max.bytes=-5") || !strings.Contains(r.stderr, "at least 0") {
			t.Errorf("negative value: exit %d\n%s", r.code, r.stderr)
		}
	})

	t.Run("killed mid-apply, resumed from another state dir", func(t *testing.T) {
		killStatic := map[string]any{"dynamic": dynamic["dynamic"], "static": map[string]any{"num.io.threads": "4", "queued.max.requests": "700"}}
		invKill := s.withConfig(t, killStatic, staticOverride)
		// Killed after the first of its two file writes: the resume writes the other one, then
		// restarts both brokers.
		op, _ := runUntil(t, []string{`"event":"config-file"`, `"status":"ok"`},
			"-i", invKill, "--state-dir", t.TempDir(), "config", "apply", "--yes", "-o", "json")
		res := kfleet(t, "-i", invKill, "--state-dir", t.TempDir(), "resume", op, "--yes")
		if res.code != 0 || !strings.Contains(res.stderr, "took over the lease of op "+op) {
			t.Fatalf("resume: exit %d\n%s%s", res.code, res.stdout, res.stderr)
		}
		for _, b := range []int{1, 3} {
			if got := liveConfig(t, b, "queued.max.requests"); got != "700" {
				t.Errorf("broker %d queued.max.requests = %s after the resume, want 700", b, got)
			}
		}
		if rows, code := configDiff(t, invKill); code != 0 || len(rows) != 0 {
			t.Errorf("diff after the resume: exit %d, %+v", code, rows)
		}
	})

	t.Run("a read-only key under dynamic is refused with guidance", func(t *testing.T) {
		ro := s.withConfig(t, map[string]any{"dynamic": map[string]any{"num.partitions": "4"}}, nil)
		r := apply(ro)
		if r.code != 2 || !strings.Contains(r.stderr, "num.partitions") || !strings.Contains(r.stderr, "move them to config.static") {
			t.Errorf("apply: exit %d\n%s", r.code, r.stderr)
		}
		if got := liveConfig(t, 1, "num.partitions"); got != "3" {
			t.Errorf("num.partitions = %s", got)
		}
	})
}
