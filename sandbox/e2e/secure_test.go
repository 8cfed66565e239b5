//go:build e2e

package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"golang.org/x/crypto/ssh"
)

// The secured sandbox (SANDBOX_SECURITY=sasl_ssl SANDBOX_BASTION=1, see sandbox/README.md): every
// broker listens on SASL_SSL only, ACLs are on, and every host is reached through a bastion sshd.
// make test brings it up on its own addresses and runs these with KFLEET_E2E_SECURE=1, together
// with TestRestartUnderLoadLosesNothing (which then runs over SASL_SSL); the secrets scan runs
// last and reads everything kfleet printed in that run.

func needSecured(t *testing.T) {
	t.Helper()
	if os.Getenv("KFLEET_E2E_SECURE") != "1" {
		t.Skip("needs the secured sandbox (SANDBOX_SECURITY=sasl_ssl SANDBOX_BASTION=1): KFLEET_E2E_SECURE=1 (make test runs it)")
	}
	needSandbox(t)
}

// secretsDir holds the sandbox's generated passwords, one file per user.
func secretsDir() string { return filepath.Join(sandboxDir, "secrets") }

// securedInventory writes a copy of the sandbox inventory changed by edit, which gets the
// cluster's kafka mapping and the defaults' ssh mapping.
func securedInventory(t *testing.T, edit func(kafka, sshDefaults map[string]any)) string {
	t.Helper()
	tree := sandboxInventory(t)
	cluster := tree["clusters"].([]any)[0].(map[string]any)
	kafka, ok := cluster["kafka"].(map[string]any)
	if !ok {
		t.Fatalf("the sandbox inventory %s has no kafka settings: is it the secured sandbox?", inventory)
	}
	sshDefaults := tree["defaults"].(map[string]any)["ssh"].(map[string]any)
	edit(kafka, sshDefaults)
	return writeInventory(t, tree)
}

// asUser is securedInventory with SASL as user (password file from the sandbox) and mechanism.
func asUser(t *testing.T, user, mechanism string) string {
	t.Helper()
	return securedInventory(t, func(kafka, _ map[string]any) {
		kafka["sasl"] = map[string]any{"mechanism": mechanism, "user": user,
			"password_file": filepath.Join(secretsDir(), user+".password")}
	})
}

func combined(r result) string { return r.stdout + r.stderr }

func TestSecuredStatus(t *testing.T) {
	needSecured(t)
	s, code, stderr, err := runStatus()
	if err != nil || code != 0 {
		t.Fatalf("status over SASL_SSL: exit %d %v %s", code, err, stderr)
	}
	c := s.Clusters[0]
	if c.Partitions == 0 || len(c.Brokers) != brokerCount() {
		t.Fatalf("status sees %d partitions and %d brokers: %+v", c.Partitions, len(c.Brokers), c)
	}
	for _, b := range c.Brokers {
		// The version is read over SSH, through the bastion.
		if !b.Alive || b.Version == "" {
			t.Errorf("broker %d: alive %v, version %q", b.ID, b.Alive, b.Version)
		}
	}
}

// Every SASL mechanism kfleet offers, and the password from the environment instead of a file.
func TestSecuredMechanisms(t *testing.T) {
	needSecured(t)
	for _, mech := range []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"} {
		r := kfleet(t, "-i", asUser(t, "kfleet", mech), "status", "--no-hosts")
		if r.code != 0 {
			t.Errorf("status with %s: exit %d\n%s", mech, r.code, combined(r))
		}
	}
	pw, err := os.ReadFile(filepath.Join(secretsDir(), "kfleet.password"))
	if err != nil {
		t.Fatal(err)
	}
	envInv := securedInventory(t, func(kafka, _ map[string]any) {
		kafka["sasl"] = map[string]any{"mechanism": "SCRAM-SHA-512", "user": "kfleet", "password_env": "KFLEET_E2E_PW"}
	})
	cmd := exec.Command(kfleetBin, "-i", envInv, "status", "--no-hosts")
	cmd.Env = append(os.Environ(), "KFLEET_E2E_PW="+strings.TrimSpace(string(pw)))
	out, err := cmd.CombinedOutput()
	transcript.add(cmd.Args[1:], string(out), "")
	if err != nil {
		t.Errorf("status with password_env: %v\n%s", err, out)
	}
	unset := kfleet(t, "-i", envInv, "status", "--no-hosts")
	if unset.code == 0 || !strings.Contains(combined(unset), "KFLEET_E2E_PW is not set") {
		t.Errorf("status with the password variable unset: exit %d\n%s", unset.code, combined(unset))
	}
}

func TestSecuredWrongPassword(t *testing.T) {
	needSecured(t)
	wrong := filepath.Join(t.TempDir(), "wrong.password")
	if err := os.WriteFile(wrong, []byte("not-the-password-0000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	inv := securedInventory(t, func(kafka, _ map[string]any) {
		kafka["sasl"].(map[string]any)["password_file"] = wrong
	})
	for _, args := range [][]string{{"status", "--no-hosts"}, {"config", "diff"}, {"restart", "--yes", "--state-dir", t.TempDir()}} {
		before := brokerPIDs(t, brokerCount())
		r := kfleet(t, append([]string{"-i", inv}, args...)...)
		if r.code != 69 || !strings.Contains(combined(r), "authentication failed") {
			t.Errorf("%v with a wrong password: exit %d, want 69 saying authentication failed\n%s", args, r.code, combined(r))
		}
		if strings.Contains(combined(r), "not-the-password-0000") {
			t.Errorf("%v printed the password it was given", args)
		}
		if after := brokerPIDs(t, brokerCount()); !maps.Equal(before, after) {
			t.Errorf("%v with a wrong password changed broker processes: %v -> %v", args, before, after)
		}
	}
}

func TestSecuredWrongCA(t *testing.T) {
	needSecured(t)
	other := writeSelfSignedCA(t)
	inv := securedInventory(t, func(kafka, _ map[string]any) {
		kafka["tls"] = map[string]any{"ca_file": other}
	})
	r := kfleet(t, "-i", inv, "status", "--no-hosts")
	if r.code != 69 || !strings.Contains(combined(r), "TLS handshake failed") || !strings.Contains(combined(r), "kafka.tls.ca_file") {
		t.Errorf("status with a CA that did not sign the brokers: exit %d, want 69 naming the TLS handshake and kafka.tls.ca_file\n%s", r.code, combined(r))
	}
	plain := securedInventory(t, func(kafka, _ map[string]any) {
		delete(kafka, "tls")
	})
	r = kfleet(t, "-i", plain, "status", "--no-hosts")
	if r.code != 69 {
		t.Errorf("status without TLS against a SASL_SSL listener: exit %d, want 69\n%s", r.code, combined(r))
	}
}

// ACLs: "noacl" may do nothing, "viewer" may describe the cluster and the topics but not the
// brokers' configs, and neither may restart anything.
func TestSecuredACLDenied(t *testing.T) {
	needSecured(t)
	noacl := asUser(t, "noacl", "SCRAM-SHA-512")
	r := kfleet(t, "-i", noacl, "status", "--no-hosts")
	if r.code != 69 || !strings.Contains(combined(r), "needs the ACL Describe on") {
		t.Errorf("status as a principal without ACLs: exit %d, want 69 naming the Describe ACL\n%s", r.code, combined(r))
	}

	viewer := asUser(t, "viewer", "SCRAM-SHA-512")
	if r := kfleet(t, "-i", viewer, "status", "--no-hosts"); r.code != 0 {
		t.Errorf("status as viewer (Describe on Cluster and Topic:*): exit %d\n%s", r.code, combined(r))
	}
	r = kfleet(t, "-i", viewer, "config", "diff")
	if r.code != 69 || !strings.Contains(combined(r), "DescribeConfigs on Cluster") {
		t.Errorf("config diff as viewer: exit %d, want 69 naming DescribeConfigs on Cluster\n%s", r.code, combined(r))
	}
	// Disruptive commands check the cluster ACLs they will need before changing anything.
	before := brokerPIDs(t, brokerCount())
	for _, tc := range []struct {
		args []string
		acl  string
	}{
		{[]string{"restart", "--yes"}, "Alter on Cluster"},
		{[]string{"reassign", "apply", "--auto", "--yes", "--from-brokers", "1"}, "Alter on Cluster"},
		// patch pre reads the lease first (a retried pre must succeed without changes).
		{[]string{"patch", "pre", "--host", hostIP(1)}, "Read on Topic:__kfleet_ops"},
	} {
		r = kfleet(t, append([]string{"-i", viewer, "--state-dir", t.TempDir()}, tc.args...)...)
		if r.code != 69 || !strings.Contains(combined(r), "needs the ACL") || !strings.Contains(combined(r), tc.acl) {
			t.Errorf("%v as viewer: exit %d, want 69 naming %s\n%s", tc.args, r.code, tc.acl, combined(r))
		}
	}
	if after := brokerPIDs(t, brokerCount()); !maps.Equal(before, after) {
		t.Errorf("refused commands changed broker processes: %v -> %v", before, after)
	}
	if held := kfleet(t, "status", "--no-hosts", "-o", "json"); !strings.Contains(held.stdout, `"lease": null`) {
		t.Errorf("a refused command left the cluster lease held:\n%s", held.stdout)
	}
}

// reassign apply with a throttle needs AlterConfigs on every moved topic (the throttled-replica
// lists), and says which topic it lacks before it moves or throttles anything. viewer is given
// Alter and AlterConfigs on the cluster for this test only.
func TestSecuredReassignChecksTopicACLs(t *testing.T) {
	needSecured(t)
	_, adm := adminClient(t)
	grant := kadm.NewACLs().Allow("User:viewer").AllowHosts("*").Clusters().
		Operations(kadm.OpAlter, kadm.OpAlterConfigs).ResourcePatternType(kadm.ACLPatternLiteral)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := adm.CreateACLs(ctx, grant)
	if err == nil {
		for _, r := range res {
			err = errors.Join(err, r.Err)
		}
	}
	if err != nil {
		t.Fatalf("granting viewer Alter and AlterConfigs on the cluster: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := adm.DeleteACLs(ctx, grant); err != nil {
			t.Errorf("removing viewer's test ACLs: %v", err)
		}
	})

	viewer := asUser(t, "viewer", "SCRAM-SHA-512")
	deadline := time.Now().Add(30 * time.Second)
	for {
		// ACLs reach every broker through the metadata log: retry while viewer still lacks Alter.
		r := kfleet(t, "-i", viewer, "--state-dir", t.TempDir(), "reassign", "apply", "--auto", "--from-brokers", "1",
			"--throttle", "1MB/s", "--yes")
		if strings.Contains(combined(r), "Alter on Cluster") && time.Now().Before(deadline) {
			time.Sleep(500 * time.Millisecond)
			continue
		}
		if r.code != 69 || !strings.Contains(combined(r), "AlterConfigs on each moved topic (refused for topic ") {
			t.Fatalf("reassign apply as viewer with AlterConfigs on the cluster only: exit %d, want 69 naming a topic\n%s", r.code, combined(r))
		}
		break
	}
	cl, _ := adminClient(t)
	if moving, err := reassigning(cl); err != nil || len(moving) > 0 {
		t.Errorf("after a refused reassign apply: reassignments in flight %v (%v)", moving, err)
	}
	if n := len(brokersWithRate(adm)); n > 0 {
		t.Errorf("after a refused reassign apply: %d brokers carry a replication throttle rate", n)
	}
}

// config diff reads DescribeConfigs over SASL_SSL and server.properties through the bastion.
// The declared values differ from the sandbox's, so it reports drift (exit 3).
func TestSecuredConfigDiff(t *testing.T) {
	needSecured(t)
	tree := sandboxInventory(t)
	cluster := tree["clusters"].([]any)[0].(map[string]any)
	cluster["config"] = map[string]any{"static": map[string]any{"log.retention.hours": 100}, "dynamic": map[string]any{"log.cleaner.threads": 2}}
	inv := writeInventory(t, tree)
	r := kfleet(t, "-i", inv, "config", "diff", "-o", "json")
	if r.code != 3 {
		t.Fatalf("config diff: exit %d, want 3 (drift)\n%s", r.code, combined(r))
	}
	var diffs []struct {
		Broker  int32  `json:"broker"`
		Key     string `json:"key"`
		Desired string `json:"desired"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &diffs); err != nil {
		t.Fatalf("config diff -o json: %v\n%s", err, r.stdout)
	}
	// The static key is compared with server.properties (read over SSH through the bastion),
	// the dynamic one with DescribeConfigs (over SASL_SSL).
	for key, want := range map[string]string{"log.retention.hours": "100", "log.cleaner.threads": "2"} {
		seen := map[int32]bool{}
		for _, d := range diffs {
			if d.Key == key && d.Desired == want {
				seen[d.Broker] = true
			}
		}
		if len(seen) != brokerCount() {
			t.Errorf("%s drift reported on brokers %v, want all %d\n%s", key, seen, brokerCount(), r.stdout)
		}
	}
}

// reassign plan over SASL_SSL: the highest broker id (not a controller) is stopped; the plan
// moves exactly the replicas it held.
func TestSecuredReassignPlan(t *testing.T) {
	needSecured(t)
	n := brokerCount()
	if n < 4 {
		t.Fatalf("the secured sandbox has %d brokers; reassign plan needs a spare, run it with SANDBOX_BROKERS=4", n)
	}
	t.Cleanup(func() { heal(t) })
	createTopic(t, "e2e-secure-plan", 6, 3, "2")
	before := replicaMap(t)
	out, err := exec.Command(filepath.Join(sandboxDir, "hosts", strconv.Itoa(n), "bin", "kafka-service"), "stop").CombinedOutput()
	if err != nil {
		t.Fatalf("stopping broker %d: %v %s", n, err, out)
	}
	waitFencedWithURP(t, int32(n))

	plan := reassignPlan(t, "--state-dir", t.TempDir(), "reassign", "plan")
	want := 0
	for _, reps := range before {
		if slices.Contains(reps, int32(n)) {
			want++
		}
	}
	for _, p := range plan.Partitions {
		old := before[fmt.Sprintf("%s-%d", p.Topic, p.Partition)]
		if !slices.Contains(old, int32(n)) || slices.Contains(p.Replicas, int32(n)) {
			t.Errorf("plan moves %s-%d %v -> %v, want only broker %d's replicas replaced", p.Topic, p.Partition, old, p.Replicas, n)
		}
	}
	if len(plan.Partitions) != want || want == 0 {
		t.Errorf("plan has %d partitions, broker %d held replicas of %d", len(plan.Partitions), n, want)
	}
}

// exec reaches every host through the bastion: with the bastion's sshd stopped it fails naming
// the bastion, and with a wrong key for the bastion in known_hosts it is refused before any
// host is reached.
func TestSecuredExecThroughBastion(t *testing.T) {
	needSecured(t)
	t.Cleanup(func() { heal(t) })
	marker := filepath.Join(t.TempDir(), "ran")
	bastionLog := filepath.Join(sandboxDir, "bastion", "logs", "sshd.log")
	logBefore, _ := os.ReadFile(bastionLog)
	r := kfleet(t, "exec", "-o", "json", "--", "echo", "via-bastion")
	var res struct {
		Results []struct {
			Stdout string `json:"stdout"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || r.code != 0 {
		t.Fatalf("exec through the bastion: exit %d %v\n%s", r.code, err, combined(r))
	}
	if len(res.Results) != brokerCount() {
		t.Fatalf("exec reached %d hosts, want %d", len(res.Results), brokerCount())
	}
	for _, h := range res.Results {
		if h.Stdout != "via-bastion\n" {
			t.Errorf("a host printed %q", h.Stdout)
		}
	}
	// The bastion's sshd logs each channel it forwarded (LogLevel DEBUG1).
	logAfter, err := os.ReadFile(bastionLog)
	if err != nil || len(logAfter) < len(logBefore) {
		t.Fatalf("reading the bastion's log: %v", err)
	}
	forwarded := string(logAfter[len(logBefore):])
	for id := 1; id <= brokerCount(); id++ {
		if !strings.Contains(forwarded, "target "+hostIP(id)+" port 2222") {
			t.Errorf("the bastion did not forward a connection to host %d (%s) during exec", id, hostIP(id))
		}
	}

	// A known_hosts where the bastion's key is another one.
	wrongKH := replaceHostKey(t, filepath.Join(sandboxDir, "ssh", "known_hosts"), bastionHost())
	inv := securedInventory(t, func(_, sshDefaults map[string]any) {
		sshDefaults["known_hosts"] = wrongKH
	})
	r = kfleet(t, "-i", inv, "exec", "--", "touch", marker)
	if r.code != 69 || !strings.Contains(combined(r), "bastion") {
		t.Errorf("exec with a wrong bastion host key: exit %d, want 69 naming the bastion\n%s", r.code, combined(r))
	}
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("a host ran the command although the bastion's key did not verify")
	}

	// The bastion is really in the path: stop it and exec cannot reach any host.
	stopBastion(t)
	r = kfleet(t, "exec", "--", "touch", marker)
	if r.code != 69 || !strings.Contains(combined(r), "bastion") {
		t.Errorf("exec with the bastion down: exit %d, want 69 naming the bastion\n%s", r.code, combined(r))
	}
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("a host ran the command with the bastion down")
	}
}

// TestSecuredZSecretsScan runs last (file order, then name): a few more commands that print the
// most (verbose, JSON, inventory show), then every byte any kfleet run of this test binary
// printed is searched for the sandbox's passwords.
func TestSecuredZSecretsScan(t *testing.T) {
	needSecured(t)
	for _, args := range [][]string{
		{"inventory", "show"}, {"inventory", "show", "-o", "json"}, {"inventory", "show", "-o", "yaml"},
		{"-v", "status", "-o", "json"}, {"-v", "status"}, {"-v", "config", "diff", "-o", "yaml"},
		{"-v", "restart", "--dry-run"}, {"lease", "release", "--force", "--yes"},
	} {
		kfleet(t, args...)
	}
	wrong := asUser(t, "kfleet", "PLAIN")
	kfleet(t, "-i", wrong, "-v", "status", "--no-hosts")

	secrets := map[string]string{}
	files, _ := filepath.Glob(filepath.Join(secretsDir(), "*.password"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if v := strings.TrimSpace(string(b)); len(v) >= 8 {
			secrets[filepath.Base(f)] = v
		}
	}
	if len(secrets) < 4 {
		t.Fatalf("found %d sandbox passwords in %s, want the keystore's and at least kfleet, viewer and noacl", len(secrets), secretsDir())
	}
	runs := transcript.all()
	bytes := 0
	for _, run := range runs {
		text := run.stdout + run.stderr
		bytes += len(text)
		for name, v := range secrets {
			if strings.Contains(text, v) {
				// Name the file, never print the secret itself.
				t.Errorf("the password in %s appears in the output of kfleet %v", name, run.args)
			}
		}
	}
	if len(runs) < 10 || bytes == 0 {
		t.Fatalf("the transcript has %d runs (%d bytes): the scan would prove nothing", len(runs), bytes)
	}
	if !t.Failed() {
		t.Logf("secrets scan: %d kfleet runs, %d bytes of output, %d passwords: none found", len(runs), bytes, len(secrets))
	}
}

func bastionHost() string { return fmt.Sprintf("[%s]:2222", hostIP(0)) }

func stopBastion(t *testing.T) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(sandboxDir, "bastion", "run", "sshd.pid"))
	if err != nil {
		t.Fatalf("the bastion's pid file: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatalf("stopping the bastion's sshd (pid %d): %v", pid, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("the bastion's sshd (pid %d) did not stop within 10s", pid)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// replaceHostKey copies known_hosts with host's key replaced by a fresh one.
func replaceHostKey(t *testing.T, knownHosts, host string) string {
	t.Helper()
	data, err := os.ReadFile(knownHosts)
	if err != nil {
		t.Fatal(err)
	}
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	replaced := false
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if strings.HasPrefix(line, host+" ") {
			line = host + " " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key)))
			replaced = true
		}
		lines = append(lines, line)
	}
	if !replaced {
		t.Fatalf("%s has no line for %s", knownHosts, host)
	}
	p := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// writeSelfSignedCA writes a CA certificate that signed nothing in the sandbox.
func writeSelfSignedCA(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "not the sandbox CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "other-ca.pem")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
