package deploy

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/cluster"
	"github.com/kfleet/kfleet/rollout/rollouttest"
)

// tarball writes a .tgz holding the named files (a trailing / makes a directory).
func tarball(t *testing.T, names ...string) string {
	t.Helper()
	return rollouttest.Tarball(t, filepath.Join(t.TempDir(), "a.tgz"), names...)
}

func fileSHA(t *testing.T, p string) string {
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

var kafkaDist = []string{"kafka_2.13-4.2.0/", "kafka_2.13-4.2.0/bin/kafka-server-start.sh", "kafka_2.13-4.2.0/config/server.properties",
	"kafka_2.13-4.2.0/libs/kafka_2.13-4.2.0.jar", "kafka_2.13-4.2.0/libs/kafka_2.13-4.2.0-test.jar", "kafka_2.13-4.2.0/libs/kafka-clients-4.2.0.jar"}

func TestInspectArtifact(t *testing.T) {
	good := tarball(t, kafkaDist...)
	goodSHA := fileSHA(t, good)
	tests := []struct {
		name, file, version, sha string
		wantErr                  string // substring; "" = ok
	}{
		{name: "detects the version", file: good},
		{name: "version and sha match", file: good, version: "4.2.0", sha: strings.ToUpper(goodSHA)},
		{name: "sha mismatch", file: good, sha: strings.Repeat("0", 64), wantErr: "not 0000"},
		{name: "bad sha", file: good, sha: "abc", wantErr: "not a SHA-256"},
		{name: "version mismatch", file: good, version: "4.1.1", wantErr: "it is Kafka 4.2.0"},
		{name: "bad version", file: good, version: "../x", wantErr: "not a release version"},
		{name: "no broker jar", file: tarball(t, "k/", "k/bin/kafka-server-start.sh", "k/config/x", "k/libs/kafka-clients-4.2.0.jar"),
			wantErr: "libs/kafka_2.*-VERSION.jar missing"},
		{name: "no bin no config", file: tarball(t, "k/libs/kafka_2.13-4.2.0.jar"),
			wantErr: "bin/kafka-server-start.sh, config/ missing"},
		{name: "two top dirs", file: tarball(t, append(slices.Clone(kafkaDist), "other/x")...), wantErr: "more than one top directory"},
		{name: "escapes", file: tarball(t, "../evil"), wantErr: "escapes"},
		{name: "missing file", file: filepath.Join(t.TempDir(), "nope.tgz"), wantErr: "no such file"},
	}
	notGzip := filepath.Join(t.TempDir(), "x.tgz")
	_ = os.WriteFile(notGzip, []byte("hello"), 0o644)
	tests = append(tests, struct{ name, file, version, sha, wantErr string }{name: "not gzip", file: notGzip, wantErr: "not gzip"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := InspectArtifact(tt.file, tt.version, tt.sha)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if a.Version != "4.2.0" || a.SHA256 != goodSHA || a.ServerJar != "libs/kafka_2.13-4.2.0.jar" || a.TopDir != "kafka_2.13-4.2.0" {
					t.Fatalf("got %+v", a)
				}
				return
			}
			var ae *ArtifactError
			if !errors.As(err, &ae) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want an ArtifactError containing %q", err, tt.wantErr)
			}
		})
	}
}

func brokers(n int) []*inventory.Broker {
	var out []*inventory.Broker
	for i := 1; i <= n; i++ {
		out = append(out, &inventory.Broker{ID: int32(i), Host: "h" + string(rune('0'+i)), Install: inventory.Install{Root: "/opt/kafka"}})
	}
	return out
}

func TestPlanStage(t *testing.T) {
	a := Artifact{Version: "4.2.0", SHA256: "abc"}
	bs := brokers(4)
	bs[3].Host = "h3" // shares host 3's root: staged once
	states := []HostRelease{{}, {Exists: true, Marker: "abc"}, {Exists: true}, {}}
	steps := PlanStage(a, bs, states)
	got := []string{}
	for _, s := range steps {
		got = append(got, s.Host+":"+s.Action+":"+inventory.JoinIDs(s.Brokers))
	}
	want := []string{"h1:upload:1", "h2:skip:2", "h3:conflict:3,4"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	states[2].Marker = "def"
	if s := PlanStage(a, bs, states)[2]; s.Action != StageConflict || !strings.Contains(s.Why, "another artifact") {
		t.Fatalf("got %+v", s)
	}
}

func TestPlanActivationSkipsBrokersOnTheRelease(t *testing.T) {
	bs := brokers(3)
	states := []HostRelease{{Current: "4.2.0"}, {Current: "4.2.0"}, {Current: "4.1.1"}}
	procs := map[int32]cluster.BrokerProcess{
		1: {Running: true, Version: "4.2.0"},
		2: {Running: true, Version: "4.1.1"}, // switched but still the old process
		3: {Running: true, Version: "4.1.1"},
	}
	p := PlanActivation("4.2.0", bs, states, procs)
	if !slices.Equal(p.Activated, []int32{1}) || !slices.Equal(p.Activate, []int32{2, 3}) || !p.Skip()[1] || p.Skip()[2] {
		t.Fatalf("got %+v", p)
	}
}

func TestRollbackTarget(t *testing.T) {
	tests := []struct {
		name    string
		states  []HostRelease
		want    string
		wantErr string
	}{
		{"all agree", []HostRelease{{Broker: 1, Current: "4.2.0", Previous: "4.1.1"}, {Broker: 2, Current: "4.2.0", Previous: "4.1.1"}}, "4.1.1", ""},
		{"mixed currents", []HostRelease{{Broker: 1, Current: "4.1.1", Previous: "4.2.0"}, {Broker: 2, Current: "4.2.0", Previous: "4.1.1"}}, "",
			"4.1.1 on broker(s) 1; 4.2.0 on broker(s) 2"},
		{"no previous", []HostRelease{{Broker: 1, Current: "4.2.0"}}, "", "no previous release"},
		{"previous differ", []HostRelease{{Broker: 1, Current: "4.2.0", Previous: "4.1.1"}, {Broker: 2, Current: "4.2.0", Previous: "4.0.0"}}, "",
			"different previous"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := RollbackTarget(tt.states)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v", got, err)
			}
		})
	}
}

func TestPruneReleases(t *testing.T) {
	dirs := []ReleaseDir{{"3.9.0", 100}, {"4.0.0", 200}, {"4.1.1", 300}, {"4.2.0", 400}, {"3.8.0", 50}}
	tests := []struct {
		keep    int
		protect []string
		want    []string
	}{
		{0, nil, nil},
		{3, []string{"4.2.0", "4.1.1"}, []string{"3.9.0", "3.8.0"}},
		{1, []string{"4.2.0", "4.1.1"}, []string{"4.0.0", "3.9.0", "3.8.0"}}, // current and previous stay
		{2, []string{"4.2.0", "3.8.0"}, []string{"4.0.0", "3.9.0"}},          // an old previous stays too
		{10, nil, nil},
	}
	for _, tt := range tests {
		got := PruneReleases(dirs, tt.keep, tt.protect...)
		if !slices.Equal(got, tt.want) {
			t.Errorf("keep %d protect %v: got %v, want %v", tt.keep, tt.protect, got, tt.want)
		}
	}
}

func TestReleaseOf(t *testing.T) {
	for in, want := range map[string]string{
		"releases/4.2.0": "4.2.0", "/opt/kafka/releases/4.1.1/": "4.1.1", "/opt/kafka_2.13-3.7.0": "", "": "", "4.2.0": "",
	} {
		if got := releaseOf(in); got != want {
			t.Errorf("releaseOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPlanFinalize(t *testing.T) {
	bs := brokers(3)
	mv := MetadataVersions{Finalized: 27, Supported: map[int32]FeatureRange{1: {7, 29}, 2: {7, 29}, 3: {7, 29}}}
	same := map[int32]string{1: "4.2.0", 2: "4.2.0", 3: "4.2.0"}

	p, err := PlanFinalize("c", bs, same, mv)
	if err != nil || p.From != 27 || p.To != 29 || p.UpToDate || p.Version != "4.2.0" {
		t.Fatalf("got %+v, %v", p, err)
	}

	mixed := map[int32]string{1: "4.2.0", 2: "4.1.1", 3: "4.1.1"}
	_, err = PlanFinalize("c", bs, mixed, mv)
	var me *MixedVersionsError
	if !errors.As(err, &me) || !strings.Contains(err.Error(), "4.1.1 on broker(s) 2,3; 4.2.0 on broker(s) 1") {
		t.Fatalf("mixed: %v", err)
	}

	down := map[int32]string{1: "4.2.0", 2: "4.2.0", 3: ""}
	if _, err := PlanFinalize("c", bs, down, mv); !errors.As(err, &me) || !strings.Contains(err.Error(), "broker(s) 3") {
		t.Fatalf("down: %v", err)
	}

	low := mv
	low.Supported = map[int32]FeatureRange{1: {7, 29}, 2: {7, 27}, 3: {7, 29}}
	if p, err := PlanFinalize("c", bs, same, low); err != nil || p.To != 27 || !p.UpToDate {
		t.Fatalf("lowest max wins: %+v, %v", p, err)
	}

	foreign := mv
	foreign.Supported = map[int32]FeatureRange{1: {7, 29}, 2: {7, 29}, 3: {7, 29}, 9: {7, 27}}
	if _, err := PlanFinalize("c", bs, same, foreign); !errors.As(err, &me) || !strings.Contains(err.Error(), "broker 9") {
		t.Fatalf("foreign broker: %v", err)
	}
}
