package inventory

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// problemCases each hold one mistake and where it must be reported. Inputs start on line 1.
// They also seed FuzzParse.
var problemCases = []struct {
	name      string
	in        string
	line, col int
	field     string
	msg       string // the message contains this
}{
	{"syntax error on a later line", `clusters:
  - name: a
     bootstrap: [x]
`, 3, 1, "", "invalid YAML: mapping values are not allowed"},
	{"tabs for indentation", "clusters:\n\t- name: a\n", 2, 1, "", "YAML does not allow tabs"},
	{"empty file", ``, 1, 1, "", "the inventory is empty"},
	{"only comments", "# fleet\n", 1, 1, "", "the inventory is empty"},
	{"two documents", `clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers: [{id: 1, host: k1}]
---
clusters: []
`, 5, 1, "", "single YAML document"},
	{"root is a list", `- name: a
`, 1, 1, "", "must be a mapping with defaults and clusters, got a list"},
	{"no clusters", `defaults: {}
`, 1, 1, "clusters", "required but missing"},
	{"empty clusters", `clusters: []
`, 1, 11, "clusters", "at least one cluster"},
	{"port is not a number", `defaults:
  ssh:
    port: abc
clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers: [{id: 1, host: k1}]
`, 3, 11, "defaults.ssh.port", `must be an integer between 1 and 65535, got the string "abc"`},
	{"port out of range", `clusters:
  - name: a
    bootstrap: [k1:9092]
    ssh: {port: 70000}
    brokers: [{id: 1, host: k1}]
`, 4, 17, "clusters[0].ssh.port", "must be between 1 and 65535, got 70000"},
	{"bootstrap port out of range", `clusters:
  - name: a
    bootstrap: [k1:9092, k2:0]
    brokers: [{id: 1, host: k1}]
`, 3, 26, "clusters[0].bootstrap[1]", `port must be between 1 and 65535, got "k2:0"`},
	{"bootstrap without port", `clusters:
  - name: a
    bootstrap: [k1.example]
    brokers: [{id: 1, host: k1}]
`, 3, 17, "clusters[0].bootstrap[0]", "must be host:port"},
	{"bootstrap is a string", `clusters:
  - name: a
    bootstrap: k1:9092
    brokers: [{id: 1, host: k1}]
`, 3, 16, "clusters[0].bootstrap", "must be a list of host:port addresses"},
	{"brokers is a number", `clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers: 5
`, 4, 14, "clusters[0].brokers", "must be a list of brokers, got the integer 5"},
	{"no brokers", `clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers: []
`, 4, 14, "clusters[0].brokers", "at least one broker"},
	{"missing host points at the broker", `clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers:
      - id: 1
        rack: r1
`, 5, 9, "clusters[0].brokers[0].host", "required but missing"},
	{"missing name points at the cluster", `clusters:
  - bootstrap: [k1:9092]
    brokers: [{id: 1, host: k1}]
`, 2, 5, "clusters[0].name", "required but missing"},
	{"missing bootstrap", `clusters:
  - name: a
    brokers: [{id: 1, host: k1}]
`, 2, 5, "clusters[0].bootstrap", "required but missing"},
	{"duplicate cluster name", `clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers: [{id: 1, host: k1}]
  - name: a
    bootstrap: [k2:9092]
    brokers: [{id: 1, host: k2}]
`, 5, 11, "clusters[1].name", `duplicate cluster name "a" (first at line 2)`},
	{"duplicate broker id", `clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers:
      - id: 1
        host: k1
      - id: 1
        host: k2
`, 7, 13, "clusters[0].brokers[1].id", "duplicate broker id 1 (first at line 5)"},
	{"duplicate broker host", `clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers:
      - {id: 1, host: k1.example}
      - {id: 2, host: K1.example}
`, 6, 23, "clusters[0].brokers[1].host", `duplicate broker host "K1.example" (first at line 5)`},
	{"negative broker id", `clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers: [{id: -1, host: k1}]
`, 4, 20, "clusters[0].brokers[0].id", "must be between 0 and 2147483647, got -1"},
	{"quoted broker id", `clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers: [{id: "1", host: k1}]
`, 4, 20, "clusters[0].brokers[0].id", `must be an integer between 0 and 2147483647, got the string "1"`},
	{"duration without unit", `defaults:
  ssh: {connect_timeout: 10}
clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers: [{id: 1, host: k1}]
`, 2, 26, "defaults.ssh.connect_timeout", "must be a duration with a unit such as 10s or 5m, got the integer 10"},
	{"duration that does not parse", `clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers:
      - id: 1
        host: k1
        ssh:
          command_timeout: five minutes
`, 8, 28, "clusters[0].brokers[0].ssh.command_timeout", `must be a duration such as 10s, 1m30s or 5m, got "five minutes"`},
	{"zero duration", `defaults:
  ssh: {command_timeout: 0s}
clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers: [{id: 1, host: k1}]
`, 2, 26, "defaults.ssh.command_timeout", "must be longer than zero"},
	{"unknown key that is a typo", `clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers:
      - id: 1
        hots: k1
`, 6, 9, "clusters[0].brokers[0].hots", `unknown key; did you mean "host"?`},
	{"unknown key with other spelling", `defaults:
  ssh: {identity-file: /k}
clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers: [{id: 1, host: k1}]
`, 2, 9, "defaults.ssh.identity-file", `did you mean "identity_file"?`},
	{"unknown key far from any", `clusters:
  - name: a
    bootstrap: [k1:9092]
    owner: team-payments
    brokers: [{id: 1, host: k1}]
`, 4, 5, "clusters[0].owner", "unknown key; expected one of: name, labels, maintenance, bootstrap, kafka, config, ssh, service, install, hooks, brokers"},
	{"duplicate mapping key", `clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers:
      - id: 1
        host: k1
        host: k2
`, 7, 9, "clusters[0].brokers[0].host", "duplicate key (first at line 6)"},
	{"inline sasl password", `clusters:
  - name: a
    bootstrap: [k1:9092]
    kafka:
      sasl: {mechanism: SCRAM-SHA-512, user: ops, password: hunter2}
    brokers: [{id: 1, host: k1}]
`, 5, 51, "clusters[0].kafka.sasl.password", "inline secrets are not allowed; use password_env or password_file"},
	{"inline ssh passphrase", `defaults:
  ssh:
    identity_passphrase: hunter2
clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers: [{id: 1, host: k1}]
`, 3, 5, "defaults.ssh.identity_passphrase", "inline secrets are not allowed"},
	{"inline token on a broker", `clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers: [{id: 1, host: k1, api_token: abc}]
`, 4, 33, "clusters[0].brokers[0].api_token", "inline secrets are not allowed"},
	{"secret broker config", `clusters:
  - name: a
    bootstrap: [k1:9092]
    config:
      static: {ssl.keystore.password: hunter2}
    brokers: [{id: 1, host: k1}]
`, 5, 16, `clusters[0].config.static["ssl.keystore.password"]`, "inline secrets are not allowed"},
	{"host key checking off", `defaults:
  ssh: {host_key_policy: ignore}
clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers: [{id: 1, host: k1}]
`, 2, 26, "defaults.ssh.host_key_policy", "kfleet never ignores host keys"},
	{"host key checking false", `defaults:
  ssh: {host_key_policy: false}
clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers: [{id: 1, host: k1}]
`, 2, 26, "defaults.ssh.host_key_policy", "kfleet never ignores host keys"},
	{"tls true", `clusters:
  - name: a
    bootstrap: [k1:9092]
    kafka: {tls: true}
    brokers: [{id: 1, host: k1}]
`, 4, 18, "clusters[0].kafka.tls", "write tls: {} for TLS"},
	{"client cert without key", `clusters:
  - name: a
    bootstrap: [k1:9092]
    kafka:
      tls:
        cert_file: /etc/kfleet/ops.crt
    brokers: [{id: 1, host: k1}]
`, 6, 9, "clusters[0].kafka.tls.key_file", "required with cert_file"},
	{"sasl without a password reference", `clusters:
  - name: a
    bootstrap: [k1:9092]
    kafka:
      sasl: {mechanism: PLAIN, user: ops}
    brokers: [{id: 1, host: k1}]
`, 5, 13, "clusters[0].kafka.sasl", "set password_env"},
	{"sasl with both password references", `clusters:
  - name: a
    bootstrap: [k1:9092]
    kafka:
      sasl: {mechanism: PLAIN, user: ops, password_env: PW, password_file: pw.txt}
    brokers: [{id: 1, host: k1}]
`, 5, 13, "clusters[0].kafka.sasl", "not both"},
	{"sasl mechanism unknown", `clusters:
  - name: a
    bootstrap: [k1:9092]
    kafka:
      sasl: {mechanism: GSSAPI, user: ops, password_env: PW}
    brokers: [{id: 1, host: k1}]
`, 5, 25, "clusters[0].kafka.sasl.mechanism", "must be one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512"},
	{"password in password_env", `clusters:
  - name: a
    bootstrap: [k1:9092]
    kafka:
      sasl: {mechanism: PLAIN, user: ops, password_env: "hunter2!"}
    brokers: [{id: 1, host: k1}]
`, 5, 57, "clusters[0].kafka.sasl.password_env", "must be the name of an environment variable"},
	{"cluster name with capitals", `clusters:
  - name: Payments
    bootstrap: [k1:9092]
    brokers: [{id: 1, host: k1}]
`, 2, 11, "clusters[0].name", "must be lowercase letters"},
	{"broker host with a port", `clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers: [{id: 1, host: "k1:22"}]
`, 4, 29, "clusters[0].brokers[0].host", "without a port"},
	{"broker host that looks like an option", `clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers: [{id: 1, host: -oProxyCommand=x}]
`, 4, 29, "clusters[0].brokers[0].host", "must be a host name or IP address"},
	{"bastion without host", `defaults:
  ssh:
    bastion: {port: 2022}
clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers: [{id: 1, host: k1}, {id: 2, host: k2}]
`, 3, 14, "defaults.ssh.bastion.host", "required but missing"},
	{"bastion is a string", `defaults:
  ssh:
    bastion: jump.example
clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers: [{id: 1, host: k1}]
`, 3, 14, "defaults.ssh.bastion", `must be a mapping, got the string "jump.example"`},
	{"relative install root", `defaults:
  install: {root: opt/kafka}
clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers: [{id: 1, host: k1}]
`, 2, 19, "defaults.install.root", "must be an absolute path on the broker host"},
	{"empty service command", `clusters:
  - name: a
    bootstrap: [k1:9092]
    service: {stop: ""}
    brokers: [{id: 1, host: k1}]
`, 4, 21, "clusters[0].service.stop", "must not be empty"},
	{"sudo is a string", `clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers: [{id: 1, host: k1, ssh: {sudo: "yes"}}]
`, 4, 45, "clusters[0].brokers[0].ssh.sudo", `must be true or false, got the string "yes"`},
	{"tilde-user path", `defaults:
  ssh: {identity_file: ~ops/.ssh/id}
clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers: [{id: 1, host: k1}]
`, 2, 24, "defaults.ssh.identity_file", "~user paths are not supported"},
	{"cluster entry is a string", `clusters:
  - payments
`, 2, 5, "clusters[0]", `must be a mapping describing a cluster, got the string "payments"`},
	{"config value is a list", `clusters:
  - name: a
    bootstrap: [k1:9092]
    config:
      dynamic: {log.retention.ms: [1]}
    brokers: [{id: 1, host: k1}]
`, 5, 35, `clusters[0].config.dynamic["log.retention.ms"]`, "must be a value, got a list"},
	{"hooks under a broker", `clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers:
      - id: 1
        host: k1
        hooks: {pre_stop: [/usr/local/bin/drain-check]}
`, 7, 9, "clusters[0].brokers[0].hooks", "hooks are set per cluster or in defaults"},
	{"empty hook path", `clusters:
  - name: a
    bootstrap: [k1:9092]
    hooks:
      pre_stop: [/usr/local/bin/drain-check, ""]
    brokers: [{id: 1, host: k1}]
`, 5, 46, "clusters[0].hooks.pre_stop[1]", "must not be empty"},
	{"null hook path", `defaults:
  hooks:
    post_start:
      - /usr/local/bin/smoke-test
      - null
clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers: [{id: 1, host: k1}]
`, 5, 9, "defaults.hooks.post_start[1]", "must be the path of an executable, got nothing"},
	{"hook phase is a string", `defaults:
  hooks: {post_stop: /usr/local/bin/check}
clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers: [{id: 1, host: k1}]
`, 2, 22, "defaults.hooks.post_stop", `must be a list of executable paths, e.g. [/usr/local/bin/drain-check], got the string "/usr/local/bin/check"`},
	{"hook path is a boolean", `clusters:
  - name: a
    bootstrap: [k1:9092]
    hooks: {post_start: [true]}
    brokers: [{id: 1, host: k1}]
`, 4, 26, "clusters[0].hooks.post_start[0]", "must be a string, got the boolean true"},
	{"hook path is a mapping", `clusters:
  - name: a
    bootstrap: [k1:9092]
    hooks:
      pre_stop:
        - {path: /usr/local/bin/drain-check}
    brokers: [{id: 1, host: k1}]
`, 6, 11, "clusters[0].hooks.pre_stop[0]", "must be a string, got a mapping"},
	{"hooks is a list", `clusters:
  - name: a
    bootstrap: [k1:9092]
    hooks: [/usr/local/bin/drain-check]
    brokers: [{id: 1, host: k1}]
`, 4, 12, "clusters[0].hooks", "must be a mapping with pre_stop, post_stop, post_start and timeout, got a list"},
	{"hook phase typo", `defaults:
  hooks:
    post_strat: [/usr/local/bin/smoke-test]
clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers: [{id: 1, host: k1}]
`, 3, 5, "defaults.hooks.post_strat", `unknown key; did you mean "post_start"?`},
	{"hook phase with a dash", `clusters:
  - name: a
    bootstrap: [k1:9092]
    hooks: {pre-stop: [/usr/local/bin/drain-check]}
    brokers: [{id: 1, host: k1}]
`, 4, 13, "clusters[0].hooks.pre-stop", `unknown key; did you mean "pre_stop"?`},
	{"hook key far from any", `clusters:
  - name: a
    bootstrap: [k1:9092]
    hooks:
      on_failure: [/usr/local/bin/page]
    brokers: [{id: 1, host: k1}]
`, 5, 7, "clusters[0].hooks.on_failure", "unknown key; expected one of: pre_stop, post_stop, post_start, timeout"},
	{"duplicate hook phase", `defaults:
  hooks:
    pre_stop: [/a]
    pre_stop: [/b]
clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers: [{id: 1, host: k1}]
`, 4, 5, "defaults.hooks.pre_stop", "duplicate key (first at line 3)"},
	{"hook timeout without unit", `defaults:
  hooks:
    timeout: 300
clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers: [{id: 1, host: k1}]
`, 3, 14, "defaults.hooks.timeout", "must be a duration with a unit such as 10s or 5m, got the integer 300"},
	{"hook timeout that does not parse", `clusters:
  - name: a
    bootstrap: [k1:9092]
    hooks: {timeout: 5 min}
    brokers: [{id: 1, host: k1}]
`, 4, 22, "clusters[0].hooks.timeout", `must be a duration such as 10s, 1m30s or 5m, got "5 min"`},
	{"negative hook timeout", `defaults:
  hooks:
    timeout: -1m
clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers: [{id: 1, host: k1}]
`, 3, 14, "defaults.hooks.timeout", "must be longer than zero, got -1m"},
	{"hook timeout is a list", `defaults:
  hooks: {timeout: [5m]}
clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers: [{id: 1, host: k1}]
`, 2, 20, "defaults.hooks.timeout", "must be a duration, got a list"},
	{"hook tilde-user path", `clusters:
  - name: a
    bootstrap: [k1:9092]
    hooks:
      post_start: [~ops/bin/smoke-test]
    brokers: [{id: 1, host: k1}]
`, 5, 20, "clusters[0].hooks.post_start[0]", "~user paths are not supported"},
	{"maintenance window hour out of range", `clusters:
  - name: a
    bootstrap: [k1:9092]
    maintenance: {windows: ["Sat 25:00-05:00"]}
    brokers: [{id: 1, host: k1}]
`, 4, 29, "clusters[0].maintenance.windows[0]", `invalid window "Sat 25:00-05:00": "25:00" is not a time`},
	{"maintenance window that starts when it ends", `defaults:
  maintenance:
    windows:
      - Mon-Fri 22:00-02:00
      - sun 03:00-03:00
clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers: [{id: 1, host: k1}]
`, 5, 9, "defaults.maintenance.windows[1]", "it starts and ends at the same time; a whole day is 00:00-24:00"},
	{"maintenance window day near miss", `clusters:
  - name: a
    bootstrap: [k1:9092]
    maintenance: {windows: [Thrusday 01:00-02:00]}
    brokers: [{id: 1, host: k1}]
`, 4, 29, "clusters[0].maintenance.windows[0]", `unknown day "thrusday" (did you mean "Thursday"?); a window is DAYS HH:MM-HH:MM`},
	{"maintenance window with a zone", `clusters:
  - name: a
    bootstrap: [k1:9092]
    maintenance: {windows: ["Sat 01:00-05:00 SGT"]}
    brokers: [{id: 1, host: k1}]
`, 4, 29, "clusters[0].maintenance.windows[0]", "a window has no time zone of its own; set the maintenance timezone"},
	{"maintenance window is null", `clusters:
  - name: a
    bootstrap: [k1:9092]
    maintenance: {windows: [~]}
    brokers: [{id: 1, host: k1}]
`, 4, 29, "clusters[0].maintenance.windows[0]", `must be a window such as "Sat 01:00-05:00", got nothing`},
	{"maintenance windows is one string", `clusters:
  - name: a
    bootstrap: [k1:9092]
    maintenance: {windows: "Sat 01:00-05:00"}
    brokers: [{id: 1, host: k1}]
`, 4, 28, "clusters[0].maintenance.windows", `must be a list of windows such as ["Sat 01:00-05:00"], got the string "Sat 01:00-05:00"`},
	{"maintenance without windows", `clusters:
  - name: a
    bootstrap: [k1:9092]
    maintenance: {timezone: Asia/Singapore}
    brokers: [{id: 1, host: k1}]
`, 4, 18, "clusters[0].maintenance.windows", "required but missing; maintenance is replaced as a whole, never merged, so list the windows here (windows: [] for none)"},
	{"maintenance key near miss", `clusters:
  - name: a
    bootstrap: [k1:9092]
    maintenance: {window: ["Sat 01:00-05:00"]}
    brokers: [{id: 1, host: k1}]
`, 4, 19, "clusters[0].maintenance.window", `unknown key; did you mean "windows"?`},
	{"maintenance time zone near miss", `clusters:
  - name: a
    bootstrap: [k1:9092]
    maintenance: {time_zone: UTC, windows: ["Sat 01:00-05:00"]}
    brokers: [{id: 1, host: k1}]
`, 4, 19, "clusters[0].maintenance.time_zone", `unknown key; did you mean "timezone"?`},
	{"maintenance time zone in the wrong case", `defaults:
  maintenance: {windows: ["Sat 01:00-05:00"], timezone: asia/singapore}
clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers: [{id: 1, host: k1}]
`, 2, 57, "defaults.maintenance.timezone", `unknown time zone "asia/singapore"; did you mean "Asia/Singapore"?`},
	{"maintenance time zone as an offset", `defaults:
  maintenance: {windows: ["Sat 01:00-05:00"], timezone: UTC+8}
clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers: [{id: 1, host: k1}]
`, 2, 57, "defaults.maintenance.timezone", "(a fixed offset is written Etc/GMT-8 for UTC+8: the sign is inverted)"},
	{"maintenance time zone Local", `defaults:
  maintenance: {windows: ["Sat 01:00-05:00"], timezone: Local}
clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers: [{id: 1, host: k1}]
`, 2, 57, "defaults.maintenance.timezone", `"Local" is the time zone of whichever machine runs kfleet`},
	{"maintenance is a string", `clusters:
  - name: a
    bootstrap: [k1:9092]
    maintenance: Sat 01:00-05:00
    brokers: [{id: 1, host: k1}]
`, 4, 18, "clusters[0].maintenance", `must be a mapping such as {windows: ["Sat 01:00-05:00"], timezone: Asia/Singapore}, got the string "Sat 01:00-05:00"`},
	{"maintenance under a broker", `clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers:
      - {id: 1, host: k1, maintenance: {windows: ["Sat 01:00-05:00"]}}
`, 5, 27, "clusters[0].brokers[0].maintenance", "maintenance windows are set per cluster or in defaults, not per broker"},
	{"merge key of a scalar", `clusters:
  - name: a
    bootstrap: [k1:9092]
    ssh: {<<: 5}
    brokers: [{id: 1, host: k1}]
`, 4, 15, "clusters[0].ssh", "merge key (<<) must merge a mapping"},
	{"merge key cycle", `clusters:
  - name: a
    bootstrap: [k1:9092]
    ssh: &s {<<: *s}
    brokers: [{id: 1, host: k1}]
`, 4, 10, "clusters[0].ssh", "merge keys (<<) nested too deeply or in a cycle"},
}

func TestProblemsAreReportedWhereTheyAre(t *testing.T) {
	for _, tt := range problemCases {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("fleet.yaml", []byte(tt.in))
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("Parse returned %v (%T), want Errors", err, err)
			}
			if len(es) != 1 {
				t.Fatalf("got %d problems, want exactly 1:\n%v", len(es), err)
			}
			e := es[0]
			if e.Pos.Line != tt.line || e.Pos.Column != tt.col || e.Field != tt.field || !strings.Contains(e.Msg, tt.msg) {
				t.Errorf("got  %d:%d %q: %s\nwant %d:%d %q: ...%s...", e.Pos.Line, e.Pos.Column, e.Field, e.Msg, tt.line, tt.col, tt.field, tt.msg)
			}
			if e.Pos.File != "fleet.yaml" {
				t.Errorf("file = %q, want fleet.yaml", e.Pos.File)
			}
		})
	}
}

func TestErrorFormat(t *testing.T) {
	e := &Error{Pos: Pos{File: "fleet.yaml", Line: 12, Column: 7}, Field: "clusters[0].brokers[1].id", Msg: "duplicate broker id 2 (first at line 9)"}
	if got, want := e.Error(), "fleet.yaml:12:7: clusters[0].brokers[1].id: duplicate broker id 2 (first at line 9)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	whole := &Error{Pos: Pos{File: "fleet.yaml", Line: 1, Column: 1}, Msg: "the inventory is empty"}
	if got, want := whole.Error(), "fleet.yaml:1:1: the inventory is empty"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestAllProblemsAreReportedTogether(t *testing.T) {
	_, err := Parse("fleet.yaml", []byte(`defaults:
  ssh: {port: 0, connect_timeout: soon}
clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers:
      - {id: 1, host: k1}
      - {id: 1, host: k2, rakc: r2}
  - name: b
    bootstrap: []
    brokers: [{host: k3}]
`))
	want := []string{
		"fleet.yaml:2:15: defaults.ssh.port: must be between 1 and 65535, got 0",
		`fleet.yaml:2:35: defaults.ssh.connect_timeout: must be a duration such as 10s, 1m30s or 5m, got "soon"`,
		"fleet.yaml:8:14: clusters[0].brokers[1].id: duplicate broker id 1 (first at line 7)",
		`fleet.yaml:8:27: clusters[0].brokers[1].rakc: unknown key; did you mean "rack"?`,
		"fleet.yaml:10:16: clusters[1].bootstrap: must list at least one host:port address",
		"fleet.yaml:11:15: clusters[1].brokers[0].id: required but missing",
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Errorf("got:\n%v\nwant:\n%s", err, strings.Join(want, "\n"))
	}
	var e *Error
	if !errors.As(err, &e) || e.Field != "defaults.ssh.port" {
		t.Errorf("errors.As(*Error) = %v, want the first problem", e)
	}
}

func TestTooManyProblemsAreCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString("clusters:\n  - name: a\n    bootstrap: [k1:9092]\n    brokers:\n")
	for i := range 80 {
		fmt.Fprintf(&b, "      - {id: %d, host: \"bad host\"}\n", i)
	}
	_, err := Parse("fleet.yaml", []byte(b.String()))
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("got %v, want Errors", err)
	}
	if len(es) != maxReported+1 || es[maxReported].Msg != "30 more problems not shown" {
		t.Errorf("got %d problems ending %q, want %d and a count of the rest", len(es), es[len(es)-1].Msg, maxReported+1)
	}
}

func TestAliasBombsStopEarly(t *testing.T) {
	// Each level merges the previous one ten times: 10^11 keys if expanded naively.
	var b strings.Builder
	b.WriteString("clusters:\n  - name: a\n    bootstrap: [k1:9092]\n    brokers: [{id: 1, host: k1}]\n    ssh:\n      <<: [&m0 {user: x}")
	for i := 1; i < 12; i++ {
		fmt.Fprintf(&b, ", &m%d {<<: [%s]}", i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*m%d, ", i-1), 10), ", "))
	}
	b.WriteString("]\n")
	_, err := Parse("fleet.yaml", []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "too large once its aliases are expanded") {
		t.Errorf("got %v, want the expansion refused", err)
	}
}
