package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kfleet/kfleet/cmd/internal/output"
	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/rollout"
	"github.com/kfleet/kfleet/rollout/brokerconfig"
	"github.com/kfleet/kfleet/rollout/rollouttest"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The JSON kfleet prints is a contract: docs/schemas holds a JSON Schema per output kind, and the
// real output of each command (against a kfake cluster and hosts that cannot be reached) must
// validate against it. A field added, renamed or turned null without its schema fails here.
func TestJSONOutputsMatchTheirSchemas(t *testing.T) {
	inv := goldenCluster(t)
	c := jsonschema.NewCompiler()
	schema := func(name string) *jsonschema.Schema {
		t.Helper()
		s, err := c.Compile(filepath.Join("..", "..", "docs", "schemas", name+".schema.json"))
		if err != nil {
			t.Fatalf("schema %s: %v", name, err)
		}
		return s
	}
	for _, tc := range []struct {
		schema string
		args   []string
		code   int
	}{
		{"status", []string{"status", "--no-hosts", "-o", "json"}, 0},
		{"status", []string{"status", "-o", "json"}, 0}, // hosts unreachable: version errors
		{"restart-dry-run", []string{"restart", "--dry-run", "-o", "json"}, 69},
		{"reassign-plan", []string{"reassign", "plan", "--from-brokers", "2", "-o", "json"}, 0},
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
			out, errOut, code := runCLI(t, append([]string{"-i", inv}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out, errOut)
			}
			doc, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
			if err != nil {
				t.Fatalf("not JSON: %v\n%s", err, out)
			}
			if err := schema(tc.schema).Validate(doc); err != nil {
				t.Errorf("%v\n%s", err, out)
			}
		})
	}
}

// A rolling operation's -o json event stream, from the engine run on a fake cluster and printed
// as the command prints it: every line validates against the event schema.
func TestRollingEventsMatchTheirSchema(t *testing.T) {
	s, err := jsonschema.NewCompiler().Compile(filepath.Join("..", "..", "docs", "schemas", "rolling-event.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
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
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(l))
		if err != nil {
			t.Fatalf("not JSON: %v: %s", err, l)
		}
		if err := s.Validate(doc); err != nil {
			t.Errorf("%v\n%s", err, l)
		}
	}
}

// config diff reads each broker's server.properties over SSH, which the golden hosts do not
// serve: its schema is checked against what the command marshals, a difference of every kind.
func TestConfigDiffMatchesItsSchema(t *testing.T) {
	s, err := jsonschema.NewCompiler().Compile(filepath.Join("..", "..", "docs", "schemas", "config-diff.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	diffs := []brokerconfig.Diff{
		{Cluster: "c", Broker: 1, Key: "log.retention.ms", Live: "1", LiveSource: "STATIC_BROKER_CONFIG", Desired: "2",
			Declared: "dynamic (cluster)", Apply: "cluster-wide dynamic", Action: "set"},
		{Cluster: "c", Broker: 2, Key: "ssl.key.password", Live: "(masked)", Desired: "(masked)", Declared: "static (broker)",
			Apply: "server.properties + restart", Action: "set", Restart: true, Sensitive: true, Note: "sensitive"},
	}
	for _, v := range []any{diffs, []brokerconfig.Diff{}} {
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(data)))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(doc); err != nil {
			t.Errorf("%v\n%s", err, data)
		}
	}
}

// Every schema is itself valid JSON with a title, so docs can list them.
func TestSchemasAreDocumented(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "docs", "schemas", "*.schema.json"))
	if len(files) < 6 {
		t.Fatalf("%d schemas", len(files))
	}
	for _, f := range files {
		c := jsonschema.NewCompiler()
		if _, err := c.Compile(f); err != nil {
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
	}
}

// A fleet run's --dry-run -o json is a stream: the fleet plan, then each cluster's own dry run.
func TestFleetDryRunMatchesItsSchemas(t *testing.T) {
	compile := func(name string) *jsonschema.Schema {
		t.Helper()
		s, err := jsonschema.NewCompiler().Compile(filepath.Join("..", "..", "docs", "schemas", name+".schema.json"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	plan, cluster := compile("fleet-plan"), compile("restart-dry-run")
	inv := goldenFleet(t, "golden-a", "golden-b")
	out, errOut, code := runCLI(t, "-i", inv, "restart", "--dry-run", "-o", "json", "--canary", "golden-b")
	if code != 69 {
		t.Fatalf("exit %d, want 69 (the hosts cannot be reached)\n%s%s", code, out, errOut)
	}
	dec := json.NewDecoder(strings.NewReader(out))
	n := 0
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(raw)))
		if err != nil {
			t.Fatal(err)
		}
		s := cluster
		if n == 0 {
			s = plan
		}
		if err := s.Validate(doc); err != nil {
			t.Errorf("document %d: %v\n%s", n, err, raw)
		}
		n++
	}
	if n != 3 {
		t.Errorf("%d documents, want the fleet plan and two clusters' plans", n)
	}
}
