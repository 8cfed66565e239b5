package inventory

import (
	"encoding/json"
	"errors"
	"io/fs"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// testHome pins $HOME so that ~ expands the same everywhere.
const testHome = "/home/sre"

func loadExample(t *testing.T) *Fleet {
	t.Helper()
	t.Setenv("HOME", testHome)
	fleet, err := Load(filepath.Join("testdata", "fleet.yaml"))
	if err != nil {
		t.Fatalf("Load(testdata/fleet.yaml): %v", err)
	}
	return fleet
}

func TestLoadResolvesEveryBroker(t *testing.T) {
	fleet := loadExample(t)
	td, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join("testdata", "fleet.yaml")
	key := testHome + "/.ssh/kfleet_ed25519"
	jump := &Bastion{Host: "jump.corp.example", Port: 22, User: "ops", IdentityFile: key}
	// payments-prod: defaults, then cluster (sudo, command_timeout, config_file).
	paySSH := SSH{
		User: "kafka", Port: 22, IdentityFile: key, KnownHosts: testHome + "/.ssh/known_hosts",
		HostKeyPolicy: HostKeyStrict, Bastion: jump, Sudo: true,
		ConnectTimeout: 5 * time.Second, CommandTimeout: 10 * time.Minute,
	}
	payService := Service{Start: defaultStart, Stop: "sudo -n systemctl stop kafka --no-block", Status: defaultStatus, BootID: defaultBootID}
	payInstall := Install{Root: "/opt/kafka", ConfigFile: "/opt/kafka/config/server.properties"}
	// broker 3 overrides port and sudo, and the bastion's port only.
	k3SSH := paySSH
	k3SSH.Port, k3SSH.Sudo = 2222, false
	k3SSH.Bastion = &Bastion{Host: "jump.corp.example", Port: 2022, User: "ops", IdentityFile: key}
	k3Service := payService
	k3Service.Start = "/usr/local/bin/kafka-start"
	// logs-staging: no bastion, its own known_hosts relative to the inventory.
	logSSH := SSH{
		User: "kafka", Port: 22, IdentityFile: key, KnownHosts: td + "/known_hosts/staging",
		HostKeyPolicy: HostKeyAcceptNew, ConnectTimeout: 5 * time.Second, CommandTimeout: 5 * time.Minute,
	}
	rootSSH := logSSH
	rootSSH.User, rootSSH.IdentityFile = "root", ""
	logInstall := Install{Root: "/opt/kafka", ConfigFile: defaultConfigFile}
	// payments-prod replaces the defaults' maintenance; logs-staging inherits it.
	sg, err := time.LoadLocation("Asia/Singapore")
	if err != nil {
		t.Fatal(err)
	}
	payMaint := &Maintenance{Windows: mustWindows(t, "Sat 01:00-05:00", "Sun 23:00-02:00"), Location: sg}
	logMaint := &Maintenance{Windows: mustWindows(t, "Tue-Thu 10:00-16:00"), Location: sg}

	want := &Fleet{File: file, Clusters: []*Cluster{
		{
			Name:        "payments-prod",
			Labels:      map[string]string{"team": "kafka-sre", "tier": "payments", "env": "prod", "dc": "sg1"},
			Maintenance: payMaint,
			Bootstrap:   []string{"pay-k1.corp.example:9093", "pay-k2.corp.example:9093"},
			Kafka: Kafka{
				TLS:  &TLS{CAFile: td + "/certs/payments-ca.pem", CertFile: "/etc/kfleet/tls/ops.crt", KeyFile: "/etc/kfleet/tls/ops.key"},
				SASL: &SASL{Mechanism: "SCRAM-SHA-512", User: "ops", PasswordEnv: "KFLEET_PAYMENTS_PW"},
			},
			Config: Config{
				Dynamic: map[string]string{"log.cleaner.threads": "2"},
				Static:  map[string]string{"num.network.threads": "8", "auto.create.topics.enable": "false"},
			},
			Hooks: Hooks{Timeout: 5 * time.Minute},
			Brokers: []*Broker{
				{ID: 1, Host: "pay-k1.corp.example", Rack: "us-east-1a", SSH: paySSH, Service: payService, Install: payInstall, Pos: Pos{file, 35, 9}},
				{ID: 2, Host: "pay-k2.corp.example", Rack: "us-east-1b", SSH: paySSH, Service: payService, Install: payInstall, Pos: Pos{file, 36, 9}},
				{ID: 3, Host: "pay-k3.corp.example", Rack: "us-east-1c", SSH: k3SSH, Service: k3Service, Install: payInstall, Pos: Pos{file, 37, 9}},
			},
			Pos: Pos{file, 16, 5},
		},
		{
			Name:        "logs-staging",
			Labels:      map[string]string{"team": "kafka-sre", "tier": "shared", "env": "staging", "dc": "sg2", "kfleet.io/canary": "true"},
			Maintenance: logMaint,
			Bootstrap:   []string{"10.20.0.11:9092"},
			Hooks:       Hooks{Timeout: 5 * time.Minute},
			Brokers: []*Broker{
				{ID: 0, Host: "10.20.0.11", SSH: logSSH, Service: payService, Install: logInstall, Pos: Pos{file, 51, 9}},
				{ID: 1, Host: "10.20.0.12", SSH: rootSSH, Service: payService, Install: logInstall, Pos: Pos{file, 52, 9}},
			},
			Pos: Pos{file, 43, 5},
		},
	}}
	if !reflect.DeepEqual(fleet, want) {
		got, _ := json.MarshalIndent(fleet, "", "  ")
		exp, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("resolved fleet differs\n got: %s\nwant: %s", got, exp)
		for i := range min(len(fleet.Clusters), len(want.Clusters)) {
			for j := range min(len(fleet.Clusters[i].Brokers), len(want.Clusters[i].Brokers)) {
				if g, w := fleet.Clusters[i].Brokers[j].Pos, want.Clusters[i].Brokers[j].Pos; g != w {
					t.Errorf("clusters[%d].brokers[%d] at %v, want %v", i, j, g, w)
				}
			}
		}
	}
}

func TestDefaultsApplyWhenNothingIsSet(t *testing.T) {
	t.Setenv("HOME", testHome)
	fleet, err := Parse("/etc/kfleet/fleet.yaml", []byte(`
clusters:
  - name: tiny
    bootstrap: ["k1:9092"]
    brokers: [{id: 1, host: k1}]
`))
	if err != nil {
		t.Fatal(err)
	}
	b := fleet.Clusters[0].Brokers[0]
	want := SSH{
		User: (&decoder{}).osUser(), Port: 22, KnownHosts: testHome + "/.ssh/known_hosts",
		HostKeyPolicy: HostKeyStrict, ConnectTimeout: 10 * time.Second, CommandTimeout: 5 * time.Minute,
	}
	if !reflect.DeepEqual(b.SSH, want) {
		t.Errorf("ssh = %+v, want %+v", b.SSH, want)
	}
	if want := (Service{"sudo -n systemctl start kafka", "sudo -n systemctl stop kafka", "systemctl is-active kafka", defaultBootID}); b.Service != want {
		t.Errorf("service = %+v, want %+v", b.Service, want)
	}
	if want := (Install{"/opt/kafka", "/etc/kafka/server.properties"}); b.Install != want {
		t.Errorf("install = %+v, want %+v", b.Install, want)
	}
	if k := fleet.Clusters[0].Kafka; k.TLS != nil || k.SASL != nil {
		t.Errorf("kafka = %+v, want plaintext without SASL", k)
	}
}

func TestMergeOrder(t *testing.T) {
	t.Setenv("HOME", testHome)
	builtin := SSH{
		User: (&decoder{}).osUser(), Port: 22, KnownHosts: testHome + "/.ssh/known_hosts",
		HostKeyPolicy: HostKeyStrict, ConnectTimeout: 10 * time.Second, CommandTimeout: 5 * time.Minute,
	}
	// Each case writes ssh settings at the three levels; the innermost level that sets a field
	// wins, and want says how the result differs from the built-in defaults.
	tests := []struct {
		name                      string
		defaults, cluster, broker string
		want                      func(*SSH)
	}{
		{"broker false beats cluster true", "{}", "{sudo: true}", "{sudo: false}",
			func(s *SSH) {}},
		{"cluster beats defaults", "{port: 2200}", "{port: 2201}", "{}",
			func(s *SSH) { s.Port = 2201 }},
		{"defaults apply when nobody else sets", "{user: deploy}", "{}", "{}",
			func(s *SSH) { s.User = "deploy" }},
		{"null means not set here", "{user: deploy}", "{user: null}", "{}",
			func(s *SSH) { s.User = "deploy" }},
		{"fields merge one by one", "{user: deploy, port: 2200}", "{port: 2201, sudo: true}", "{user: root}",
			func(s *SSH) { s.User, s.Port, s.Sudo = "root", 2201, true }},
		{"bastion null at cluster removes the default bastion", "{bastion: {host: jump}}", "{bastion: null}", "{}",
			func(s *SSH) {}},
		{"bastion merges per field", "{bastion: {host: jump, user: ops}}", "{}", "{bastion: {port: 2022}}",
			func(s *SSH) { s.Bastion = &Bastion{Host: "jump", Port: 2022, User: "ops"} }},
		{"bastion inherits user and key from the broker", "{user: kafka, identity_file: /k}", "{bastion: {host: jump}}", "{}",
			func(s *SSH) {
				s.User, s.IdentityFile = "kafka", "/k"
				s.Bastion = &Bastion{Host: "jump", Port: 22, User: "kafka", IdentityFile: "/k"}
			}},
		{"a bastion after a null starts afresh", "{bastion: {host: jump, port: 2022}}", "{bastion: null}", "{bastion: {host: jump2}}",
			func(s *SSH) { s.Bastion = &Bastion{Host: "jump2", Port: 22, User: s.User} }},
		{"empty identity_file means ssh-agent", "{identity_file: /k}", "{}", "{identity_file: ''}",
			func(s *SSH) {}},
		{"timeouts per field", "{connect_timeout: 3s, command_timeout: 1h}", "{command_timeout: 90s}", "{}",
			func(s *SSH) { s.ConnectTimeout, s.CommandTimeout = 3*time.Second, 90*time.Second }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "defaults:\n  ssh: " + tt.defaults + "\nclusters:\n  - name: c\n    bootstrap: [k1:9092]\n    ssh: " + tt.cluster +
				"\n    brokers:\n      - {id: 1, host: k1, ssh: " + tt.broker + "}\n"
			fleet, err := Parse("/etc/kfleet/fleet.yaml", []byte(src))
			if err != nil {
				t.Fatalf("Parse:\n%s\n%v", src, err)
			}
			want := builtin
			tt.want(&want)
			if got := fleet.Clusters[0].Brokers[0].SSH; !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v (bastion %+v)\nwant %+v (bastion %+v)", got, got.Bastion, want, want.Bastion)
			}
		})
	}
}

func TestServiceAndInstallMergePerField(t *testing.T) {
	fleet, err := Parse("/etc/kfleet/fleet.yaml", []byte(`
defaults:
  service: {status: check-kafka}
  install: {root: /srv/kafka}
clusters:
  - name: c
    bootstrap: [k1:9092]
    service: {start: start-kafka}
    install: {config_file: /srv/kafka/config/server.properties}
    brokers:
      - {id: 1, host: k1, service: {stop: stop-kafka}, install: {root: /srv/kafka-b/}}
`))
	if err != nil {
		t.Fatal(err)
	}
	b := fleet.Clusters[0].Brokers[0]
	if want := (Service{Start: "start-kafka", Stop: "stop-kafka", Status: "check-kafka", BootID: defaultBootID}); b.Service != want {
		t.Errorf("service = %+v, want %+v", b.Service, want)
	}
	if want := (Install{Root: "/srv/kafka-b", ConfigFile: "/srv/kafka/config/server.properties"}); b.Install != want {
		t.Errorf("install = %+v, want %+v", b.Install, want)
	}
}

func TestLocalPaths(t *testing.T) {
	t.Setenv("HOME", testHome)
	tests := []struct{ written, want string }{
		{"~/.ssh/id", testHome + "/.ssh/id"},
		{"~", testHome},
		{"keys/id", "/etc/kfleet/keys/id"},
		{"../id", "/etc/id"},
		{"/abs/id", "/abs/id"},
		{"/abs//x/../id", "/abs/id"},
	}
	for _, tt := range tests {
		src := "defaults: {ssh: {identity_file: '" + tt.written + "'}}\nclusters: [{name: c, bootstrap: [k:1], brokers: [{id: 1, host: k}]}]\n"
		fleet, err := Parse("/etc/kfleet/fleet.yaml", []byte(src))
		if err != nil {
			t.Errorf("%s: %v", tt.written, err)
			continue
		}
		if got := fleet.Clusters[0].Brokers[0].SSH.IdentityFile; got != tt.want {
			t.Errorf("identity_file %q resolved to %q, want %q", tt.written, got, tt.want)
		}
	}
}

func TestAnchorsAndMergeKeys(t *testing.T) {
	_, err := Parse("/etc/kfleet/fleet.yaml", []byte(`
x-ssh: &pay {user: ops, port: 2200}
clusters:
  - name: c
    bootstrap: [k1:9092]
    brokers:
      - {id: 1, host: k1, ssh: *pay}
      - {id: 2, host: k2, ssh: {<<: *pay, port: 2300}}
`))
	// Unknown top-level keys are still errors, even ones used only for anchors.
	if err == nil {
		t.Fatal("x-ssh accepted at the top level")
	}
	fleet, err := Parse("/etc/kfleet/fleet.yaml", []byte(`
clusters:
  - name: c
    bootstrap: [k1:9092]
    ssh: &pay {user: ops, port: 2200}
    brokers:
      - {id: 1, host: k1, ssh: *pay}
      - {id: 2, host: k2, ssh: {<<: *pay, port: 2300}}
`))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{2200, 2300} {
		if s := fleet.Clusters[0].Brokers[i].SSH; s.User != "ops" || s.Port != want {
			t.Errorf("broker %d: user %s port %d, want ops %d", i+1, s.User, s.Port, want)
		}
	}
}

func TestShowRendersSnakeCaseWithoutPositions(t *testing.T) {
	fleet := loadExample(t)
	js, err := json.Marshal(fleet)
	if err != nil {
		t.Fatal(err)
	}
	ys, err := yaml.Marshal(fleet)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"connect_timeout":"5s"`, `"command_timeout":"10m"`, `"host_key_policy":"strict"`,
		`"password_env":"KFLEET_PAYMENTS_PW"`, `"config_file":"/opt/kafka/config/server.properties"`, `"bastion":null`} {
		if !strings.Contains(string(js), want) {
			t.Errorf("json lacks %s:\n%s", want, js)
		}
	}
	for _, want := range []string{"connect_timeout: 5s", "command_timeout: 10m", "identity_file: " + testHome, "num.network.threads: \"8\""} {
		if !strings.Contains(string(ys), want) {
			t.Errorf("yaml lacks %q:\n%s", want, ys)
		}
	}
	for _, out := range []string{string(js), string(ys)} {
		if strings.Contains(out, "Pos") || strings.Contains(out, "Line") || strings.Contains(out, `password"`) || strings.Contains(out, "password:") {
			t.Errorf("output has positions or a password field:\n%s", out)
		}
	}
}

func TestDefaultPath(t *testing.T) {
	t.Setenv("KFLEET_INVENTORY", "")
	if got := DefaultPath(); got != "fleet.yaml" {
		t.Errorf("DefaultPath() = %q without KFLEET_INVENTORY, want fleet.yaml", got)
	}
	t.Setenv("KFLEET_INVENTORY", "/etc/kfleet/prod.yaml")
	if got := DefaultPath(); got != "/etc/kfleet/prod.yaml" {
		t.Errorf("DefaultPath() = %q, want $KFLEET_INVENTORY", got)
	}
}

func TestLoadMissingFileSaysHowToPointAtOne(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "KFLEET_INVENTORY") {
		t.Errorf("Load(missing) = %v, want a not-exist error mentioning KFLEET_INVENTORY", err)
	}
}

func TestKafkaSettings(t *testing.T) {
	tests := []struct {
		kafka string
		want  Kafka
	}{
		{"{}", Kafka{}},
		{"{tls: null, sasl: null}", Kafka{}},
		{"{tls: {}}", Kafka{TLS: &TLS{}}},
		{"{tls: {ca_file: ca.pem, server_name: kafka.internal}}", Kafka{TLS: &TLS{CAFile: "/etc/kfleet/ca.pem", ServerName: "kafka.internal"}}},
		{"{sasl: {mechanism: scram-sha-256, user: ops, password_file: pw}}", Kafka{SASL: &SASL{Mechanism: "SCRAM-SHA-256", User: "ops", PasswordFile: "/etc/kfleet/pw"}}},
	}
	for _, tt := range tests {
		src := "clusters:\n  - {name: c, bootstrap: [k1:9092], kafka: " + tt.kafka + ", brokers: [{id: 1, host: k1}]}\n"
		fleet, err := Parse("/etc/kfleet/fleet.yaml", []byte(src))
		if err != nil {
			t.Errorf("kafka: %s: %v", tt.kafka, err)
			continue
		}
		if got := fleet.Clusters[0].Kafka; !reflect.DeepEqual(got, tt.want) {
			t.Errorf("kafka: %s resolved to %+v %+v, want %+v %+v", tt.kafka, got.TLS, got.SASL, tt.want.TLS, tt.want.SASL)
		}
	}
}
