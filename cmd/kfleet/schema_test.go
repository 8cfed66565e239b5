package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kfleet/kfleet/cmd/internal/output"
	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/ssh/sshtest"
	"github.com/kfleet/kfleet/rollout"
	"github.com/kfleet/kfleet/rollout/brokerconfig"
	"github.com/kfleet/kfleet/rollout/deploy"
	"github.com/kfleet/kfleet/rollout/ensemble"
	"github.com/kfleet/kfleet/rollout/rollouttest"
)

// The JSON kfleet prints is a contract: docs/schemas holds a JSON Schema per output kind (listed,
// with the commands that print it, in docs/schemas/README.md), and the real output of each
// command must validate against it. A field added, renamed or turned null without its schema
// fails here.

// schemaDir holds the schemas, relative to this package.
var schemaDir = filepath.Join("..", "..", "docs", "schemas")

// compileSchema compiles docs/schemas/NAME.schema.json.
func compileSchema(t *testing.T, name string) *jsonschema.Schema {
	t.Helper()
	s, err := jsonschema.NewCompiler().Compile(filepath.Join(schemaDir, name+".schema.json"))
	if err != nil {
		t.Fatalf("schema %s: %v", name, err)
	}
	return s
}

// validate checks one JSON document against schema name.
func validate(t *testing.T, name string, doc []byte) {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatalf("not JSON: %v\n%s", err, doc)
	}
	if err := compileSchema(t, name).Validate(v); err != nil {
		t.Errorf("%s: %v\n%s", name, err, doc)
	}
}

// Commands that print one JSON document, against a kfake cluster whose hosts cannot be reached.
func TestJSONOutputsMatchTheirSchemas(t *testing.T) {
	inv := goldenCluster(t)
	for _, tc := range []struct {
		schema string
		args   []string
		code   int
	}{
		{"version", []string{"version", "-o", "json"}, 0},
		{"inventory", []string{"inventory", "show", "-o", "json"}, 0},
		{"inventory-validate", []string{"inventory", "validate", "-o", "json"}, 0},
		{"inventory-validate", []string{"inventory", "validate", "-c", "golden", "-o", "json"}, 0},
		{"status", []string{"status", "--no-hosts", "-o", "json"}, 0},
		{"status", []string{"status", "-o", "json"}, 0}, // hosts unreachable: version errors
		{"restart-dry-run", []string{"restart", "--dry-run", "-o", "json"}, 69},
		{"restart-dry-run", []string{"patch", "run", "--dry-run", "-o", "json", "--", "true"}, 69},
		{"restart-dry-run", []string{"--state-dir", fixtureState(t), "resume", "op-fixture-restart", "--dry-run", "-o", "json"}, 69},
		{"reassign-plan", []string{"reassign", "plan", "--from-brokers", "2", "-o", "json"}, 0},
		// Nothing to move: every list is [].
		{"reassign-apply-dry-run", []string{"reassign", "apply", "--auto", "--dry-run", "-o", "json"}, 0},
		{"reassign-apply-dry-run", []string{"reassign", "apply", "--auto", "--from-brokers", "2", "--dry-run", "-o", "json"}, 0},
		{"reassign-apply-dry-run", []string{"reassign", "apply", "--auto", "--from-brokers", "1", "--throttle", "50MB/s", "--dry-run", "-o", "json"}, 0},
		// No kfleet move in flight: nothing cancelled, every list [].
		{"reassign-cancel", []string{"reassign", "cancel", "--yes", "-o", "json"}, 0},
		{"history", []string{"--state-dir", fixtureState(t), "history", "-o", "json"}, 0},
		{"history", []string{"--state-dir", t.TempDir(), "history", "-o", "json"}, 0},
		{"patch-status", []string{"patch", "status", "-o", "json"}, 0},
		{"exec", []string{"exec", "-o", "json", "--", "true"}, 69},
		// Broker 1 holds the only replica of scratch-0: refused.
		{"patch-result", []string{"patch", "pre", "--host", "127.0.0.11", "-o", "json"}, 75},
		// Broker 0's host cannot be reached: pre takes the lease, the gate is open, the stop fails.
		{"patch-result", []string{"patch", "pre", "--host", "127.0.0.10", "-o", "json"}, 69},
		{"patch-result", []string{"patch", "post", "--host", "127.0.0.11", "--timeout", "1s", "-o", "json"}, 69},
	} {
		t.Run(tc.schema+" "+strings.Join(tc.args, " "), func(t *testing.T) {
			args := append([]string{"-i", inv, "--state-dir", t.TempDir()}, tc.args...)
			out, errOut, code := runCLI(t, args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out, errOut)
			}
			validate(t, tc.schema, []byte(out))
		})
	}
}

// Runs that leave journals behind, then history of them. kfake refuses the throttled-replica
// configs, so a throttled reassignment halts with its throttles journaled as set; reassign
// cancel then tries to remove them, under a journal of its own; a fleet run fails at its canary's
// plan. Each prints what its schema says, and so does history -o json of all of them.
func TestRunsAndTheirHistoryMatchTheirSchemas(t *testing.T) {
	inv, fleet, state := goldenCluster(t), goldenFleet(t, "golden-a", "golden-b"), t.TempDir()
	cli := func(code int, args ...string) string {
		t.Helper()
		out, errOut, got := runCLI(t, append([]string{"--state-dir", state, "-o", "json"}, args...)...)
		if got != code {
			t.Fatalf("%v: exit %d, want %d\n%s%s", args, got, code, out, errOut)
		}
		return out
	}
	applied := cli(1, "-i", inv, "reassign", "apply", "--auto", "--from-brokers", "2", "--throttle", "1MB/s", "--yes")
	events := validateStream(t, applied, "reassign-event")
	if events["reassign-event"] < 3 {
		t.Errorf("%d reassignment events", events["reassign-event"])
	}
	var first struct{ Op string }
	if err := json.NewDecoder(strings.NewReader(applied)).Decode(&first); err != nil || first.Op == "" {
		t.Fatalf("no op id in the first event (%v):\n%s", err, applied)
	}
	validate(t, "reassign-resume-dry-run", []byte(cli(0, "-i", inv, "resume", first.Op, "--dry-run")))
	validate(t, "reassign-cancel", []byte(cli(1, "-i", inv, "reassign", "cancel", "--yes")))
	validateStream(t, cli(1, "-i", fleet, "restart", "--yes"), "rolling-event")
	history := cli(0, "-i", inv, "history")
	for _, kind := range []string{"reassign-apply", "reassign-cancel", "fleet", "restart"} {
		if !strings.Contains(history, `"kind": "`+kind+`"`) {
			t.Errorf("no %s operation in the history:\n%s", kind, history)
		}
	}
	validate(t, "history", []byte(history))
}

// A stream is what a command prints with -o json when it prints more than one document: a fleet
// run's plan and then each cluster's, a deploy's plan and then its events, a run's event lines.
type streamCase struct {
	name string
	inv  string
	args []string
	code int
	// events is the schema of the command's own event lines: rolling-event or reassign-event.
	events string
	// want are the schemas that must describe documents of the stream, each at least as many
	// as it is listed.
	want []string
}

// checkStream runs each case and validates every document it prints.
func checkStream(t *testing.T, cases []streamCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"-i", tc.inv, "--state-dir", t.TempDir()}, tc.args...)
			out, errOut, code := runCLI(t, args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out, errOut)
			}
			seen := validateStream(t, out, tc.events)
			for _, w := range tc.want {
				if seen[w]--; seen[w] < 0 {
					t.Errorf("%s: fewer documents than %q lists\n%s", w, tc.want, out)
				}
			}
		})
	}
}

// validateStream validates every document of out against the schema streamSchema names for
// it, and counts the documents of each schema.
func validateStream(t *testing.T, out, events string) map[string]int {
	t.Helper()
	seen := map[string]int{}
	dec := json.NewDecoder(strings.NewReader(out))
	for n := 0; dec.More(); n++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatalf("document %d: %v\n%s", n, err, out)
		}
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatalf("document %d is not an object: %v\n%s", n, err, raw)
		}
		name := streamSchema(doc, events)
		if name == "" {
			t.Fatalf("document %d: no schema says what it is\n%s", n, raw)
		}
		seen[name]++
		validate(t, name, raw)
	}
	return seen
}

// streamSchema names the schema of one document of a stream by what it says it is, as a script
// reading the stream tells them apart (docs/schemas/README.md); events is the schema of the
// command's own event lines.
func streamSchema(doc map[string]any, events string) string {
	event, _ := doc["event"].(string)
	switch {
	case event == "fleet-plan", event == "deploy-plan", event == "zookeeper-restart-plan":
		return event
	case event == "stage":
		return "stage-event"
	case event != "" && doc["fleet_op"] != nil && doc["op"] == doc["fleet_op"]:
		return "fleet-event"
	case event != "":
		return events
	case doc["batches"] != nil:
		return "restart-dry-run"
	case doc["submit"] != nil:
		return "reassign-apply-dry-run"
	case doc["to_start"] != nil:
		return "reassign-resume-dry-run"
	case doc["changes"] != nil:
		return "config-apply-plan"
	case doc["feature"] != nil:
		return "finalize-result"
	}
	return ""
}

// Streams against kfake clusters whose hosts cannot be reached: fleet dry runs, a fleet run whose
// clusters fail at their plan, a reassignment, the ZooKeeper ensemble's plan.
func TestJSONStreamsMatchTheirSchemas(t *testing.T) {
	inv := goldenCluster(t)
	fleet := goldenFleet(t, "golden-a", "golden-b")
	// The fixture's fleet operation names golden and golden-b; golden is done.
	resumable := goldenFleet(t, "golden", "golden-b")
	checkStream(t, []streamCase{
		// The fleet's plan, then each cluster's.
		{"fleet restart dry run", fleet, []string{"restart", "--dry-run", "-o", "json", "--canary", "golden-b"}, 69, "",
			[]string{"fleet-plan", "restart-dry-run", "restart-dry-run"}},
		{"fleet resume dry run", resumable, []string{"--state-dir", fixtureState(t), "resume", "op-fixture-fleet", "--dry-run", "-o", "json"}, 69, "",
			[]string{"fleet-plan", "restart-dry-run"}},
		{"fleet reassign dry run", fleet, []string{"reassign", "apply", "--auto", "--dry-run", "-o", "json"}, 0, "",
			[]string{"fleet-plan", "reassign-apply-dry-run", "reassign-apply-dry-run"}},
		{"fleet patch run dry run", fleet, []string{"patch", "run", "--dry-run", "-o", "json", "--", "true"}, 69, "",
			[]string{"fleet-plan", "restart-dry-run", "restart-dry-run"}},
		// The canary cannot be planned (its hosts are unreachable): it fails, the run halts.
		{"fleet restart", fleet, []string{"restart", "--yes", "-o", "json"}, 1, "rolling-event", []string{"fleet-event"}},
		// kfake drops the moves it is given, which the run takes for someone's cancel: it halts.
		{"reassign apply", inv, []string{"reassign", "apply", "--auto", "--from-brokers", "2", "--yes", "-o", "json", "--poll-interval", "10ms"}, 1,
			"reassign-event", []string{"reassign-event"}},
		// No node answers: all are down, the gate is closed, and SSH to them fails.
		{"zookeeper restart dry run", zookeeperInventory(t), []string{"restart", "--zookeeper", "--dry-run", "-o", "json"}, 69, "",
			[]string{"zookeeper-restart-plan"}},
	})
}

// zookeeperInventory is the golden cluster in ZooKeeper mode, its three ensemble nodes where
// nothing listens.
func zookeeperInventory(t *testing.T) string {
	t.Helper()
	p := goldenCluster(t)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	ensemble := "    metadata:\n      zookeeper:\n        nodes:\n"
	for id := 1; id <= 3; id++ {
		ensemble += fmt.Sprintf("          - {id: %d, host: 127.0.0.%d, client_port: 1}\n", id, 9+id)
	}
	return writeFile(t, "fleet.yaml", strings.Replace(string(data), "    brokers:\n", ensemble+"    brokers:\n", 1))
}

// Streams from clusters whose broker hosts answer: deploy (staging, activation), rollback,
// finalize, config apply, restart and patch run, on one cluster and on a fleet. The brokers'
// service commands do nothing, so a real run halts when its broker does not stop (exit 1).
func TestHostOutputsMatchTheirSchemas(t *testing.T) {
	one := hostFleet(t, "", "host")
	configured := hostFleet(t, "{dynamic: {log.retention.ms: '3600000'}, static: {log.dir: /data/kafka}}", "host")
	two := hostFleet(t, "", "host-a", "host-b")
	tgz := kafkaTarball(t, "4.2.0")
	// Every rolling run: a gate that opens on single-replica partitions, a stop that gives up fast.
	fast := []string{"--allow-unavailable", "--stop-timeout", "200ms", "--poll-interval", "20ms"}
	run := func(args ...string) []string { return append(append(args, "-o", "json"), fast...) }
	// A dynamic and a static key differ (exit 3), until config apply below.
	out, errOut, code := runCLI(t, "-i", configured, "config", "diff", "-o", "json")
	if code != 3 {
		t.Fatalf("config diff: exit %d, want 3\n%s%s", code, out, errOut)
	}
	validate(t, "config-diff", []byte(out))
	// Each cluster's cases run in order: a deploy stages releases/4.2.0, a finalize raises
	// metadata.version above what the rollback's 4.1.0 knows.
	checkStream(t, []streamCase{
		{"deploy dry run", one, run("deploy", "--artifact", tgz, "--dry-run"), 0, "", []string{"deploy-plan", "restart-dry-run"}},
		{"rollback dry run", one, run("deploy", "rollback", "--dry-run"), 0, "", []string{"deploy-plan", "restart-dry-run"}},
		// Staging uploads with the host's sftp-server: where this machine has none, staging fails
		// (a stage event says so, exit 1) and no broker is touched.
		{"deploy", one, run("deploy", "--artifact", tgz, "--yes"), 1, "rolling-event", []string{"deploy-plan", "stage-event"}},
		{"restart", one, run("restart", "--yes"), 1, "rolling-event", []string{"rolling-event"}},
		{"patch run", one, append(run("patch", "run", "--yes"), "--", "true"), 1, "rolling-event", []string{"rolling-event"}},
		{"patch run dry run", one, append(run("patch", "run", "--dry-run"), "--", "true"), 0, "", []string{"restart-dry-run"}},
		// Nothing to change: every list is [], and a real run says so in one event.
		{"config apply dry run, nothing to change", one, run("config", "apply", "--dry-run"), 0, "", []string{"config-apply-plan"}},
		{"config apply, nothing to change", one, run("config", "apply", "--yes"), 0, "rolling-event", []string{"rolling-event"}},
		{"finalize dry run", one, []string{"deploy", "finalize", "--dry-run", "-o", "json"}, 0, "", []string{"finalize-result"}},
		{"finalize", one, []string{"deploy", "finalize", "--yes", "-o", "json"}, 0, "", []string{"finalize-result"}},
		{"finalize, up to date", one, []string{"deploy", "finalize", "--dry-run", "-o", "json"}, 0, "", []string{"finalize-result"}},

		{"config apply dry run", configured, run("config", "apply", "--dry-run"), 0, "", []string{"config-apply-plan"}},
		{"config apply", configured, run("config", "apply", "--yes"), 1, "rolling-event", []string{"rolling-event"}},

		{"fleet deploy dry run", two, run("deploy", "--artifact", tgz, "--dry-run"), 0, "",
			[]string{"fleet-plan", "deploy-plan", "deploy-plan", "restart-dry-run", "restart-dry-run"}},
		{"fleet config apply dry run", two, run("config", "apply", "--dry-run"), 0, "",
			[]string{"fleet-plan", "config-apply-plan", "config-apply-plan"}},
		{"fleet restart", two, run("restart", "--yes"), 1, "rolling-event", []string{"fleet-event", "rolling-event"}},
	})
}

// hostFleet is an inventory of one single-broker kfake cluster per name, whose broker runs here:
// its host is an in-process SSH server that runs commands with the local sh; its install root
// holds releases 4.1.0 (previous) and 4.1.1 (current); a process that looks like Kafka 4.1.1
// started with its server.properties runs on this machine; and the cluster's metadata.version is
// 4.1's, so that a rollback to 4.1.0 and a finalize are possible. config is the clusters'
// config section ("" for none). The service commands do nothing.
func hostFleet(t *testing.T, config string, names ...string) string {
	t.Helper()
	env := sshtest.NewEnv(t)
	server := env.Server(sshtest.Options{})
	env.Trust(server)
	var b strings.Builder
	fmt.Fprintf(&b, "defaults:\n  ssh: {port: %d, identity_file: %s, known_hosts: %s}\n", server.Port, env.KeyFile, env.KnownHosts)
	b.WriteString("  service: {start: 'true', stop: 'true', status: 'true'}\nclusters:\n")
	for _, name := range names {
		fc, cl := rollouttest.Kafka(t, 1)
		req := kmsg.NewPtrUpdateFeaturesRequest()
		u := kmsg.NewUpdateFeaturesRequestFeatureUpdate()
		u.Feature, u.MaxVersionLevel, u.UpgradeType = deploy.MetadataVersionFeature, 27, 2 // 4.1-IV1, a safe downgrade
		req.FeatureUpdates = append(req.FeatureUpdates, u)
		resp, err := req.RequestWith(context.Background(), cl)
		if err == nil {
			err = kerr.ErrorForCode(resp.ErrorCode)
		}
		if err != nil {
			t.Fatalf("metadata.version 27: %v", err)
		}
		dir := t.TempDir()
		root, cfg := filepath.Join(dir, "kafka"), filepath.Join(dir, "server.properties")
		for _, v := range []string{"4.1.0", "4.1.1"} {
			writeHostFile(t, filepath.Join(root, "releases", v, "libs", "kafka_2.13-"+v+".jar"), "")
		}
		writeHostFile(t, cfg, "node.id=0\n")
		for link, target := range map[string]string{"current": "releases/4.1.1", "previous": "releases/4.1.0"} {
			if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
				t.Fatal(err)
			}
		}
		startKafkaLookalike(t, filepath.Join(root, "releases", "4.1.1", "libs", "kafka_2.13-4.1.1.jar"), cfg)
		fmt.Fprintf(&b, "  - name: %s\n    bootstrap: [%q]\n    install: {root: %s, config_file: %s}\n", name, fc.ListenAddrs()[0], root, cfg)
		if config != "" {
			fmt.Fprintf(&b, "    config: %s\n", config)
		}
		b.WriteString("    brokers:\n      - {id: 0, host: 127.0.0.1}\n")
	}
	return writeFile(t, "fleet.yaml", b.String())
}

func writeHostFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// startKafkaLookalike runs a process whose command line is a Kafka broker's (java -cp JAR
// kafka.Kafka CONFIG), which the host probes take for one; it is killed when the test ends.
func startKafkaLookalike(t *testing.T, jar, config string) {
	t.Helper()
	// sh -c 'sleep; true' keeps sh itself alive with the broker's argv; its group is killed.
	cmd := exec.Command("sh", "-c", "sleep 120; true", "java", "-cp", jar, "kafka.Kafka", config)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
}

// kafkaTarball is a Kafka binary distribution of version v, as deploy checks it.
func kafkaTarball(t *testing.T, v string) string {
	t.Helper()
	top := "kafka_2.13-" + v + "/"
	return rollouttest.Tarball(t, filepath.Join(t.TempDir(), "kafka_2.13-"+v+".tgz"),
		top, top+"bin/kafka-server-start.sh", top+"config/server.properties", top+"libs/kafka_2.13-"+v+".jar")
}

// A rolling operation's -o json event stream, from the engine run on a fake cluster to the end
// and printed as the command prints it: every line validates against the event schema.
func TestRollingEventsMatchTheirSchema(t *testing.T) {
	io, out, _ := output.TestIO(false)
	printer := output.NewEventPrinter(io, output.FormatJSON)
	f := rollouttest.New(3, 3, 6)
	c := &inventory.Cluster{Name: "c"}
	for id := int32(1); id <= 3; id++ {
		c.Brokers = append(c.Brokers, &inventory.Broker{ID: id, Host: fmt.Sprintf("h%d", id)})
	}
	e := &rollout.Engine{Kafka: f, Hosts: f, Emit: func(ev rollout.Event) { printer.Print(ev) },
		Opts: rollout.Options{OpID: "op-1", Cluster: c, Brokers: c.Brokers, MaxParallel: 1, Poll: time.Millisecond,
			GateTimeout: time.Second, StopTimeout: time.Second, StartTimeout: time.Second, HealthyTimeout: 2 * time.Second}}
	if err := e.Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) < 10 {
		t.Fatalf("%d event lines", len(lines))
	}
	for _, l := range lines {
		validate(t, "rolling-event", []byte(l))
	}
}

// Results the test clusters do not produce, rendered as their commands render them: config
// diff's sensitive and per-broker differences, a ZooKeeper-mode finalize, and the plan of a
// resumed ensemble restart whose every node is done.
func TestRenderedResultsMatchTheirSchemas(t *testing.T) {
	render := func(v any) []byte {
		t.Helper()
		var b bytes.Buffer
		if err := output.Render(&b, output.FormatJSON, v, nil); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	diffs := []brokerconfig.Diff{
		{Cluster: "c", Broker: 1, Key: "log.retention.ms", Live: "1", LiveSource: "STATIC_BROKER_CONFIG", Desired: "2",
			Declared: "dynamic (cluster)", Apply: "cluster-wide dynamic", Action: "set"},
		{Cluster: "c", Broker: 2, Key: "ssl.key.password", Live: "(masked)", Desired: "(masked)", Declared: "static (broker)",
			Apply: "server.properties + restart", Action: "set", Restart: true, Sensitive: true, Note: "sensitive"},
	}
	validate(t, "config-diff", render(diffs))
	validate(t, "config-diff", render([]brokerconfig.Diff{}))

	zk := deploy.FinalizePlan{Cluster: "zk", Version: "3.9.1", Brokers: []int32{1, 2}, Feature: deploy.ProtocolVersionFeature,
		FromVersion: "3.8", ToVersion: "3.9", Raise: []int32{2},
		Files: []brokerconfig.FileEdit{{Broker: 2, Host: "k2", Path: "/etc/kafka/server.properties",
			Diff: []string{"7: -inter.broker.protocol.version=3.8", "7: +inter.broker.protocol.version=3.9"}}}}
	validate(t, "finalize-result", render(&output.FinalizeResult{FinalizePlan: zk, DryRun: true}))
	validate(t, "finalize-result", render(&output.FinalizeResult{FinalizePlan: zk, Finalized: true}))

	io, out, _ := output.TestIO(false)
	done := &ensemble.Plan{Kind: ensemble.Kind, OpID: "op-1", Cluster: "zk", Done: []int{1, 2, 3}, Leader: 2, Healthy: true,
		Problems: []string{}, Settings: ensemble.Settings{GateTimeout: time.Minute, Poll: 500 * time.Millisecond}}
	if err := (output.Printer{IO: io, Format: output.FormatJSON}).Plan(true)(done); err != nil {
		t.Fatal(err)
	}
	validate(t, "zookeeper-restart-plan", out.Bytes())
}

// Every schema is itself valid, has a title, and is listed in docs/schemas/README.md with the
// commands that print it.
func TestSchemasAreDocumented(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(schemaDir, "*.schema.json"))
	if len(files) < 20 {
		t.Fatalf("%d schemas", len(files))
	}
	readme, err := os.ReadFile(filepath.Join(schemaDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if _, err := jsonschema.NewCompiler().Compile(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		var s struct {
			Title string `json:"title"`
		}
		data, err := os.ReadFile(f)
		if err == nil {
			err = json.Unmarshal(data, &s)
		}
		if err != nil || s.Title == "" {
			t.Errorf("%s: no title (%v)", f, err)
		}
		if name := filepath.Base(f); !bytes.Contains(readme, []byte("("+name+")")) {
			t.Errorf("%s is not listed in docs/schemas/README.md", name)
		}
	}
}
