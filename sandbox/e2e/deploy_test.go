//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	inv "github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/ssh"
	"github.com/kfleet/kfleet/rollout/deploy"
)

// The deploy scenario ends with `deploy finalize`, which cannot be undone, so it runs on a
// sandbox of its own, brought up and torn down by the test: run it alone with
//
//	KFLEET_E2E_DEPLOY=1 SANDBOX_DIR=$PWD/.sandbox-deploy SANDBOX_IP_BASE=30 \
//	  go test -tags e2e -count=1 -timeout 30m -run TestDeploy -v ./sandbox/e2e/
//
// (the harness's helpers read SANDBOX_DIR and SANDBOX_IP_BASE, so they point at it).
const (
	deployOld = "4.1.1"
	deployNew = "4.2.0"
)

func deploySandbox(t *testing.T) {
	t.Helper()
	if os.Getenv("KFLEET_E2E_DEPLOY") != "1" {
		t.Skip("set KFLEET_E2E_DEPLOY=1 (with SANDBOX_DIR=<root>/.sandbox-deploy SANDBOX_IP_BASE=30) to run the deploy scenario on its own sandbox")
	}
	want := filepath.Join(root, ".sandbox-deploy")
	if sandboxDir != want || os.Getenv("SANDBOX_IP_BASE") != "30" {
		t.Fatalf("the deploy scenario finalizes metadata.version, which cannot be undone: it runs only with SANDBOX_DIR=%s SANDBOX_IP_BASE=30 (got %s, %q)",
			want, sandboxDir, os.Getenv("SANDBOX_IP_BASE"))
	}
	run := func(name string) error {
		cmd := exec.Command("bash", filepath.Join(root, "sandbox", name))
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "SANDBOX_DIR="+sandboxDir, "SANDBOX_IP_BASE=30", "SANDBOX_BROKERS=3",
			"SANDBOX_KAFKA_VERSION="+deployOld, "SANDBOX_KAFKA_NEXT_VERSION="+deployNew)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("sandbox/%s: %v\n%s", name, err, out)
		}
		return nil
	}
	// A run that died half-way may have left its sandbox running.
	_ = run("down.sh")
	if err := os.RemoveAll(sandboxDir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := run("down.sh"); err != nil {
			t.Log(err)
		}
		_ = os.RemoveAll(sandboxDir)
	})
	began := time.Now()
	if err := run("up.sh"); err != nil {
		// up.sh heals what died; one retry covers a broker that was slow on a cold start.
		t.Logf("first up.sh failed, retrying: %v", err)
		if err := run("up.sh"); err != nil {
			t.Fatal(err)
		}
	}
	if err := waitHealthy(2 * time.Minute); err != nil {
		t.Fatal(err)
	}
	t.Logf("isolated sandbox up in %s", time.Since(began).Round(time.Second))
}

func artifact(v string) string {
	return filepath.Join(sandboxDir, "artifacts", "kafka_2.13-"+v+".tgz")
}

// hostState is what a test compares to prove a command touched no host.
func hostState(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for id := 1; id <= 3; id++ {
		h := filepath.Join(sandboxDir, "hosts", fmt.Sprint(id))
		cur, _ := os.Readlink(filepath.Join(h, "current"))
		prev, _ := os.Readlink(filepath.Join(h, "previous"))
		entries, _ := os.ReadDir(filepath.Join(h, "releases"))
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		fmt.Fprintf(&b, "%d: current=%s previous=%s releases=%v pid=%d\n", id, cur, prev, names, brokerPID(t, id))
	}
	return b.String()
}

type deployStatus struct {
	Clusters []struct {
		Healthy         bool     `json:"healthy"`
		UnderMinISR     int      `json:"under_min_isr"`
		Versions        []string `json:"versions"`
		MetadataVersion *int     `json:"metadata_version"`
		// Supported: what the new release supports while a deploy is not finalized.
		Supported *int `json:"metadata_version_supported"`
		// ProtocolVersion: ZooKeeper mode's lowest inter.broker.protocol.version.
		ProtocolVersion string   `json:"inter_broker_protocol_version"`
		Warnings        []string `json:"warnings"`
		Brokers         []struct {
			ID      int32  `json:"id"`
			Version string `json:"version"`
		} `json:"brokers"`
	} `json:"clusters"`
}

func readDeployStatus(t *testing.T) deployStatus {
	t.Helper()
	r := kfleet(t, "status", "-o", "json")
	var s deployStatus
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil || len(s.Clusters) != 1 {
		t.Fatalf("status -o json (exit %d): %v\n%s\n%s", r.code, err, r.stdout, r.stderr)
	}
	return s
}

// expectVersions checks every broker's process runs v (status asks each host).
func expectVersions(t *testing.T, v string) deployStatus {
	t.Helper()
	s := readDeployStatus(t)
	for _, b := range s.Clusters[0].Brokers {
		if b.Version != v {
			t.Errorf("broker %d runs %q, want %s (status: %+v)", b.ID, b.Version, v, s.Clusters[0])
		}
	}
	for id := 1; id <= 3; id++ {
		cur, _ := os.Readlink(filepath.Join(sandboxDir, "hosts", fmt.Sprint(id), "current"))
		if cur != "releases/"+v {
			t.Errorf("host %d: current -> %s, want releases/%s", id, cur, v)
		}
	}
	return s
}

func TestDeploy(t *testing.T) {
	deploySandbox(t)
	state := t.TempDir()
	expectVersions(t, deployOld)

	// Checks on the artifact come before any host is touched.
	before := hostState(t)
	r := kfleet(t, "--state-dir", state, "deploy", "--yes", "--artifact", artifact(deployNew), "--sha256", strings.Repeat("ab", 32))
	mustCode(t, r, 2, "deploy with a wrong --sha256")
	if !strings.Contains(r.stderr, "--sha256") {
		t.Errorf("wrong --sha256: stderr does not say so: %s", r.stderr)
	}
	notKafka := filepath.Join(t.TempDir(), "not-kafka.tgz")
	if out, err := exec.Command("tar", "-czf", notKafka, "-C", filepath.Join(root, "sandbox"), "release").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v %s", err, out)
	}
	r = kfleet(t, "--state-dir", state, "deploy", "--yes", "--artifact", notKafka)
	mustCode(t, r, 2, "deploy of a tarball that is not Kafka")
	if !strings.Contains(r.stderr, "libs/kafka_2.*-VERSION.jar") {
		t.Errorf("not-Kafka artifact: stderr does not name what is missing: %s", r.stderr)
	}
	if after := hostState(t); after != before {
		t.Fatalf("a refused artifact changed hosts:\nbefore:\n%s\nafter:\n%s", before, after)
	}

	// One host failing to stage: nothing is activated anywhere.
	stageFailure(t, state)
	measureStaging(t)

	createTopic(t, "e2e-deploy", 6, 3, "2")
	obs := watchMinISR(t, "e2e-deploy", "sandbox-demo")
	prod := produce(t, "e2e-deploy")
	time.Sleep(time.Second)

	// Upgrade under load.
	began := time.Now()
	r = kfleet(t, "--state-dir", state, "deploy", "--yes", "-o", "json", "--artifact", artifact(deployNew))
	mustCode(t, r, 0, "deploy "+deployNew)
	t.Logf("deploy %s -> %s of 3 brokers: %s", deployOld, deployNew, time.Since(began).Round(100*time.Millisecond))
	logStaging(t, r.stderr)
	evs := events(t, r.stdout)
	if got := batchesDone(evs); len(got) != 3 {
		t.Errorf("deploy: batches done = %v, want 3", got)
	}
	if n := countStage(evs, "done"); n != 3 {
		t.Errorf("deploy: %d hosts staged, want 3", n)
	}
	logTimings(t, evs)
	s := expectVersions(t, deployNew)
	mvOld := s.Clusters[0].MetadataVersion
	if mvOld == nil {
		t.Fatal("status shows no metadata_version")
	}

	// The same artifact again: nothing staged, nothing restarted.
	pids := brokerPIDs(t, 3)
	r = kfleet(t, "--state-dir", state, "deploy", "--yes", "-o", "json", "--artifact", artifact(deployNew))
	mustCode(t, r, 0, "deploy "+deployNew+" again")
	evs = events(t, r.stdout)
	if n := countStage(evs, "upload") + countStage(evs, "done"); n != 0 || len(batchesDone(evs)) != 0 {
		t.Errorf("re-deploy staged %d / restarted %v, want nothing", n, batchesDone(evs))
	}
	if after := brokerPIDs(t, 3); fmt.Sprint(after) != fmt.Sprint(pids) {
		t.Errorf("re-deploy restarted brokers: %v -> %v", pids, after)
	}

	// Rollback, the same safe way.
	began = time.Now()
	r = kfleet(t, "--state-dir", state, "deploy", "rollback", "--yes", "-o", "json")
	mustCode(t, r, 0, "deploy rollback")
	t.Logf("rollback to %s of 3 brokers: %s", deployOld, time.Since(began).Round(100*time.Millisecond))
	if got := batchesDone(events(t, r.stdout)); len(got) != 3 {
		t.Errorf("rollback: batches done = %v, want 3", got)
	}
	expectVersions(t, deployOld)

	// One broker on the new release: versions are mixed and finalize refuses, naming brokers.
	r = kfleet(t, "--state-dir", state, "deploy", "--yes", "--brokers", "1", "--artifact", artifact(deployNew))
	mustCode(t, r, 0, "deploy --brokers 1")
	r = kfleet(t, "deploy", "finalize", "--yes")
	mustCode(t, r, 75, "finalize while versions are mixed")
	if !strings.Contains(r.stderr, deployOld+" on broker(s) 2,3") || !strings.Contains(r.stderr, deployNew+" on broker(s) 1") {
		t.Errorf("finalize refusal does not name the brokers: %s", r.stderr)
	}
	if mv := readDeployStatus(t).Clusters[0].MetadataVersion; mv == nil || *mv != *mvOld {
		t.Errorf("refused finalize changed metadata.version: %v -> %v", *mvOld, mv)
	}

	// Finish the deploy (broker 1 is skipped), then finalize. kfleet dies (SIGKILL) mid-activation,
	// its first broker stopped on the switched release; another operator (another state dir)
	// resumes it.
	pid1 := brokerPID(t, 1)
	op, _ := runUntil(t, []string{`"step":"switch-release","status":"ok"`},
		"--state-dir", t.TempDir(), "deploy", "--yes", "-o", "json", "--artifact", artifact(deployNew))
	r = kfleet(t, "--state-dir", state, "resume", op, "--yes", "-o", "json")
	mustCode(t, r, 0, "resume of the killed deploy of the rest")
	if !strings.Contains(r.stderr, "took over the lease of op "+op) {
		t.Errorf("resume of the killed deploy did not take its dead holder's lease over:\n%s", r.stderr)
	}
	if got := batchesDone(events(t, r.stdout)); len(got) != 2 {
		t.Errorf("deploy of the rest: batches done = %v, want 2 (broker 1 skipped)", got)
	}
	if brokerPID(t, 1) != pid1 {
		t.Error("broker 1 already ran the release but was restarted")
	}
	prod.finish(t, "e2e-deploy")
	obs.finish(t)
	expectVersions(t, deployNew)

	r = kfleet(t, "deploy", "finalize", "--dry-run", "-o", "json")
	mustCode(t, r, 0, "finalize --dry-run")
	var plan struct {
		From, To int
		Version  string
	}
	if err := json.Unmarshal([]byte(r.stdout), &plan); err != nil || plan.From != *mvOld || plan.To <= plan.From || plan.Version != deployNew {
		t.Fatalf("finalize --dry-run: %v %+v\n%s", err, plan, r.stdout)
	}
	pending := readDeployStatus(t).Clusters[0]
	if mv := pending.MetadataVersion; *mv != *mvOld {
		t.Fatalf("finalize --dry-run changed metadata.version to %d", *mv)
	}
	// Every broker runs the new release: status says the deploy waits to be finalized.
	if pending.Supported == nil || *pending.Supported != plan.To || !slices.ContainsFunc(pending.Warnings, func(w string) bool {
		return strings.Contains(w, "kfleet deploy finalize")
	}) {
		t.Errorf("status before finalize: metadata_version_supported %v (want %d) and no warning naming deploy finalize in %q",
			pending.Supported, plan.To, pending.Warnings)
	}
	r = kfleet(t, "deploy", "finalize", "--yes")
	mustCode(t, r, 0, "finalize")
	t.Logf("finalize: %s", strings.TrimSpace(r.stdout))
	if after := readDeployStatus(t).Clusters[0]; after.MetadataVersion == nil || *after.MetadataVersion != plan.To || after.Supported != nil {
		t.Errorf("status metadata_version = %v (supported %v) after finalize, want %d and nothing pending", after.MetadataVersion, after.Supported, plan.To)
	}
	r = kfleet(t, "deploy", "finalize", "--yes")
	mustCode(t, r, 0, "finalize again")
	if !strings.Contains(r.stdout, "nothing to do") {
		t.Errorf("second finalize: %s", r.stdout)
	}
}

// stageFailure points broker 3's install root at a directory whose releases/ cannot be
// written (it links into sysfs): staging fails there, so no broker may be touched.
func stageFailure(t *testing.T, state string) {
	t.Helper()
	bad := t.TempDir()
	real := filepath.Join(sandboxDir, "hosts", "3")
	if err := os.Symlink(filepath.Join(real, "releases", deployOld), filepath.Join(bad, "current")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/sys/kernel", filepath.Join(bad, "releases")); err != nil {
		t.Fatal(err)
	}
	tree := sandboxInventory(t)
	b3 := tree["clusters"].([]any)[0].(map[string]any)["brokers"].([]any)[2].(map[string]any)
	b3["install"].(map[string]any)["root"] = bad
	path := writeInventory(t, tree)

	pids := brokerPIDs(t, 3)
	r := kfleet(t, "-i", path, "--state-dir", state, "deploy", "--yes", "--artifact", artifact(deployNew))
	if r.code != 1 || !strings.Contains(r.stderr, hostIP(3)) || !strings.Contains(r.stderr, "nothing was activated") {
		t.Fatalf("deploy with host 3 unwritable: exit %d, want 1 naming %s\n%s\n%s", r.code, hostIP(3), r.stdout, r.stderr)
	}
	t.Logf("stage failure reported: %s", strings.TrimSpace(r.stderr[strings.LastIndex(r.stderr, "kfleet:"):]))
	if after := brokerPIDs(t, 3); fmt.Sprint(after) != fmt.Sprint(pids) {
		t.Fatalf("a failed stage restarted brokers: %v -> %v", pids, after)
	}
	expectVersions(t, deployOld)
	// Hosts 1 and 2 were staged; remove that so the real deploy stages every host.
	for id := 1; id <= 2; id++ {
		if err := os.RemoveAll(filepath.Join(sandboxDir, "hosts", fmt.Sprint(id), "releases", deployNew)); err != nil {
			t.Fatal(err)
		}
	}
}

// measureStaging stages the new release to 3 and to 6 install roots (the 3 hosts, twice), one
// host at a time and all at once, into throw-away release names, for docs/deploy.md.
func measureStaging(t *testing.T) {
	t.Helper()
	fleet, err := inv.Load(inventory)
	if err != nil {
		t.Fatal(err)
	}
	a, err := deploy.InspectArtifact(artifact(deployNew), "", "")
	if err != nil {
		t.Fatal(err)
	}
	r := ssh.NewRunner(nil)
	defer r.Close()
	tmp := t.TempDir()
	for _, n := range []int{3, 6} {
		var bs []*inv.Broker
		for i := 0; i < n; i++ {
			b := *fleet.Clusters[0].Brokers[i%3]
			b.ID = int32(i + 1)
			b.Install.Root = filepath.Join(tmp, fmt.Sprint(n), fmt.Sprint(i+1))
			bs = append(bs, &b)
		}
		for _, par := range []int{1, n} {
			art := a
			art.Version = fmt.Sprintf("%s-bench-%d-%d", a.Version, n, par)
			plan := deploy.PlanStage(art, bs, make([]deploy.HostRelease, n))
			began := time.Now()
			st := &deploy.Stager{SSH: r, Concurrency: par}
			if err := st.Stage(context.Background(), art, plan); err != nil {
				t.Fatal(err)
			}
			took := time.Since(began)
			t.Logf("staging %.1f MiB to %d install roots, %d at a time: %.1fs", float64(a.Size)/(1<<20), n, par, took.Seconds())
		}
	}
}

func countStage(evs []map[string]any, phase string) int {
	n := 0
	for _, ev := range evs {
		if ev["event"] == "stage" && ev["phase"] == phase {
			n++
		}
	}
	return n
}

func logStaging(t *testing.T, stderr string) {
	for _, line := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(line, "staged ") {
			t.Log(line)
		}
	}
}
