//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	inv "github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/kafka"
	"github.com/kfleet/kfleet/rollout/deploy"
	"github.com/kfleet/kfleet/rollout/rollouttest"
)

// TestDeployWithinThree runs deployWithinThree alone on a 3.x sandbox the caller brought up
// (KRaft or ZooKeeper mode). It finalizes, which cannot be undone: the sandbox must be thrown
// away (down.sh, then rm -rf its directory) before it is used again.
//
//	SANDBOX_DIR=$PWD/.sandbox-d3zk SANDBOX_IP_BASE=60 SANDBOX_KAFKA_VERSION=3.8.1 SANDBOX_METADATA=zookeeper bash sandbox/up.sh
//	SANDBOX_DIR=$PWD/.sandbox-d3zk SANDBOX_IP_BASE=60 KFLEET_E2E=1 KFLEET_E2E_DEPLOY3=1 \
//	  go test -count=1 -tags e2e -run TestDeployWithinThree -v ./sandbox/e2e/
func TestDeployWithinThree(t *testing.T) {
	if os.Getenv("KFLEET_E2E_DEPLOY3") != "1" {
		t.Skip("set KFLEET_E2E_DEPLOY3=1 (on a 3.x sandbox of its own: it finalizes) to run the 3.x deploy scenario")
	}
	from, to := os.Getenv("KFLEET_E2E_DEPLOY3_FROM"), os.Getenv("KFLEET_E2E_DEPLOY3_TO")
	if from == "" {
		from = "3.8.1"
	}
	if to == "" {
		to = "3.9.1"
	}
	deployWithinThree(t, from, to)
}

// deployWithinThree deploys Kafka to (a 3.x release) over from on the sandbox, in whatever
// metadata mode it runs, and finalizes it: in ZooKeeper mode inter.broker.protocol.version is
// raised to to's MAJOR.MINOR on every broker (server.properties and a rolling restart), in KRaft
// mode metadata.version. On the way it checks what is refused with exit 2 and nothing changed: a
// 4.x deploy on a ZooKeeper-mode cluster, and a rollback once finalized.
func deployWithinThree(t *testing.T, from, to string) {
	needSandbox(t)
	state := t.TempDir()
	c := sandboxCluster(t)
	mode := c.Metadata.Mode()
	toLine, ok := kafka.ParseRelease(to)
	if !ok {
		t.Fatalf("%q is not a release", to)
	}
	t.Logf("sandbox %s: %s mode, Kafka %s -> %s", sandboxDir, mode, from, to)
	expectVersions(t, from)
	ids := inv.BrokerIDs(c.Brokers)

	if mode == inv.MetadataZooKeeper {
		// 4.x has no ZooKeeper mode: refused before any host is touched, dry run or not.
		four := fakeDistribution(t, "4.1.1")
		before := hostState(t)
		for _, args := range [][]string{{"--dry-run"}, {"--yes"}} {
			r := kfleet(t, append([]string{"--state-dir", state, "deploy", "--artifact", four}, args...)...)
			mustCode(t, r, 2, "deploy 4.1.1 on a ZooKeeper-mode cluster "+args[0])
			for _, w := range []string{"ZooKeeper", "migrate the cluster to KRaft", "nothing was changed"} {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("4.x refusal does not say %q: %s", w, r.stderr)
				}
			}
		}
		if after := hostState(t); after != before {
			t.Fatalf("a refused 4.x deploy changed hosts:\nbefore:\n%s\nafter:\n%s", before, after)
		}
	}

	var ibpBefore map[int32]string
	var mvBefore int
	if mode == inv.MetadataZooKeeper {
		ibpBefore = protocolVersions(t, ids)
		t.Logf("inter.broker.protocol.version before: %v", ibpBefore)
	} else {
		mv := readDeployStatus(t).Clusters[0].MetadataVersion
		if mv == nil {
			t.Fatal("status shows no metadata_version on a KRaft sandbox")
		}
		mvBefore = *mv
	}

	began := time.Now()
	r := kfleet(t, "--state-dir", state, "deploy", "--yes", "-o", "json", "--artifact", artifact(to))
	mustCode(t, r, 0, "deploy "+to)
	t.Logf("deploy %s -> %s of %d brokers (%s mode): %s", from, to, len(ids), mode, time.Since(began).Round(100*time.Millisecond))
	st := expectVersions(t, to)
	if mode == inv.MetadataZooKeeper {
		// The deploy does not touch the protocol version: it stays pinned until finalize, and
		// status says so.
		if got := protocolVersions(t, ids); !sameMap(got, ibpBefore) {
			t.Errorf("deploy changed inter.broker.protocol.version: %v -> %v", ibpBefore, got)
		}
		c := st.Clusters[0]
		if p, ok := kafka.ParseRelease(c.ProtocolVersion); !ok || !p.Less(toLine) ||
			!strings.Contains(strings.Join(c.Warnings, "\n"), "`kfleet deploy finalize") {
			t.Errorf("status after the deploy: inter_broker_protocol_version %q, warnings %q; want below %s and finalize named",
				c.ProtocolVersion, c.Warnings, toLine)
		}
	}

	// The dry run says which feature moves, from and to, and changes nothing.
	r = kfleet(t, "--state-dir", state, "deploy", "finalize", "--dry-run", "-o", "json")
	mustCode(t, r, 0, "finalize --dry-run")
	plan := lastFinalize(t, r.stdout)
	t.Logf("finalize --dry-run: %s %s -> %s", plan.Feature, plan.FromVersion, plan.ToVersion)
	if plan.Version != to || plan.Finalized || !plan.DryRun {
		t.Errorf("finalize --dry-run: %+v", plan)
	}
	switch mode {
	case inv.MetadataZooKeeper:
		if plan.Feature != deploy.ProtocolVersionFeature || plan.ToVersion != toLine.String() || len(plan.Raise) != len(ids) {
			t.Errorf("finalize --dry-run plan %+v, want %s -> %s on every broker", plan, deploy.ProtocolVersionFeature, toLine)
		}
		if got := protocolVersions(t, ids); !sameMap(got, ibpBefore) {
			t.Errorf("finalize --dry-run changed inter.broker.protocol.version: %v", got)
		}
	default:
		if plan.Feature != deploy.MetadataVersionFeature || plan.From != mvBefore || plan.To <= plan.From {
			t.Errorf("finalize --dry-run plan %+v, want metadata.version from %d upwards", plan, mvBefore)
		}
	}

	began = time.Now()
	r = kfleet(t, "--state-dir", state, "deploy", "finalize", "--yes", "-o", "json")
	mustCode(t, r, 0, "finalize")
	res := lastFinalize(t, r.stdout)
	t.Logf("finalize: %s %s -> %s in %s", res.Feature, res.FromVersion, res.ToVersion, time.Since(began).Round(100*time.Millisecond))
	if !res.Finalized {
		t.Errorf("finalize result: %+v", res)
	}
	// The outcome, read from Kafka itself.
	switch mode {
	case inv.MetadataZooKeeper:
		if n := strings.Count(r.stdout, `"event":"batch-done"`); n != len(ids) {
			t.Errorf("finalize restarted %d batch(es), want %d (one broker at a time)", n, len(ids))
		}
		got := protocolVersions(t, ids)
		for _, id := range ids {
			if got[id] != toLine.String() {
				t.Errorf("broker %d: inter.broker.protocol.version %q after finalize, want %s", id, got[id], toLine)
			}
		}
	default:
		// status asks one broker; give the others' metadata a moment to catch up.
		var got *int
		for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(500 * time.Millisecond) {
			got = readDeployStatus(t).Clusters[0].MetadataVersion
			if got != nil && *got == res.To || time.Now().After(deadline) {
				break
			}
		}
		if got == nil || *got <= mvBefore || *got != res.To {
			shown := "none"
			if got != nil {
				shown = fmt.Sprint(*got)
			}
			t.Errorf("metadata.version %s after finalize, want %d (above %d)", shown, res.To, mvBefore)
		}
	}
	expectVersions(t, to)

	r = kfleet(t, "--state-dir", state, "deploy", "finalize", "--yes")
	mustCode(t, r, 0, "finalize again")
	if !strings.Contains(r.stdout, "nothing to do") {
		t.Errorf("second finalize: %s", r.stdout)
	}

	// No way back below what was finalized: rollback is refused, nothing touched.
	before := hostState(t)
	r = kfleet(t, "--state-dir", state, "deploy", "rollback", "--dry-run")
	mustCode(t, r, 2, "rollback after finalize")
	if !strings.Contains(r.stderr, "roll back to Kafka "+from) || !strings.Contains(r.stderr, "fix forward") {
		t.Errorf("rollback refusal does not say why: %s", r.stderr)
	}
	if after := hostState(t); after != before {
		t.Fatalf("a refused rollback changed hosts:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// finalizeJSON is the end of `deploy finalize -o json`: its last JSON value (engine events come
// before it, one per line).
type finalizeJSON struct {
	Cluster     string  `json:"cluster"`
	Version     string  `json:"version"`
	Feature     string  `json:"feature"`
	From        int     `json:"from"`
	To          int     `json:"to"`
	FromVersion string  `json:"from_version"`
	ToVersion   string  `json:"to_version"`
	Raise       []int32 `json:"raise"`
	DryRun      bool    `json:"dry_run"`
	Finalized   bool    `json:"finalized"`
}

func lastFinalize(t *testing.T, stdout string) finalizeJSON {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(stdout))
	var last json.RawMessage
	for dec.More() {
		if err := dec.Decode(&last); err != nil {
			t.Fatalf("finalize -o json: %v\n%s", err, stdout)
		}
	}
	var f finalizeJSON
	if err := json.Unmarshal(last, &f); err != nil || f.Feature == "" {
		t.Fatalf("finalize -o json: %v\n%s", err, stdout)
	}
	return f
}

// protocolVersions reads every broker's inter.broker.protocol.version from Kafka.
func protocolVersions(t *testing.T, ids []int32) map[int32]string {
	t.Helper()
	cl, err := kgo.NewClient(sandboxOpts(t)...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rcs, err := kadm.NewClient(cl).DescribeBrokerConfigs(ctx, ids...)
	if err != nil {
		t.Fatalf("DescribeConfigs: %v", err)
	}
	out := map[int32]string{}
	for _, rc := range rcs {
		if rc.Err != nil {
			t.Fatalf("DescribeConfigs of broker %s: %v", rc.Name, rc.Err)
		}
		for _, c := range rc.Configs {
			if c.Key == deploy.ProtocolVersionFeature && c.Value != nil {
				var id int32
				for _, want := range ids {
					if rc.Name == inv.JoinIDs([]int32{want}) {
						id = want
					}
				}
				out[id] = *c.Value
			}
		}
	}
	if len(out) != len(ids) {
		t.Fatalf("inter.broker.protocol.version of %d broker(s) read, want %d: %v", len(out), len(ids), out)
	}
	return out
}

func sameMap(a, b map[int32]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// fakeDistribution writes a tarball laid out like Kafka v's distribution (what deploy checks
// before planning) that holds no Kafka: a refused deploy never gets to run it.
func fakeDistribution(t *testing.T, v string) string {
	t.Helper()
	top := "kafka_2.13-" + v + "/"
	return rollouttest.Tarball(t, filepath.Join(t.TempDir(), "kafka_2.13-"+v+".tgz"), top, top+"bin/", top+"bin/kafka-server-start.sh",
		top+"config/", top+"config/server.properties", top+"libs/", top+"libs/kafka_2.13-"+v+".jar")
}
