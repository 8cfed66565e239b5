package inventory

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const secret = "s3cr3t-Value"

func TestPasswordFromEnvAndFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Setenv("KFLEET_TEST_PW", secret)
	t.Setenv("KFLEET_TEST_EMPTY", "")
	tests := []struct {
		name    string
		sasl    *SASL
		want    string
		wantErr string // the error contains this, and never the secret
	}{
		{"env", &SASL{PasswordEnv: "KFLEET_TEST_PW"}, secret, ""},
		{"file with trailing newline", &SASL{PasswordFile: write("pw", secret+"\n")}, secret, ""},
		{"file with CRLF", &SASL{PasswordFile: write("pw-crlf", secret+"\r\n")}, secret, ""},
		{"file without newline", &SASL{PasswordFile: write("pw-bare", secret)}, secret, ""},
		{"unset env", &SASL{PasswordEnv: "KFLEET_TEST_UNSET"}, "", "environment variable KFLEET_TEST_UNSET is not set"},
		{"empty env", &SASL{PasswordEnv: "KFLEET_TEST_EMPTY"}, "", "environment variable KFLEET_TEST_EMPTY is empty"},
		{"missing file", &SASL{PasswordFile: filepath.Join(dir, "nope")}, "", filepath.Join(dir, "nope")},
		{"empty file", &SASL{PasswordFile: write("empty", "\n")}, "", "is empty"},
		{"no reference", &SASL{}, "", "neither password_env nor password_file"},
		{"no sasl", nil, "", "no sasl settings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.sasl.Password()
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Errorf("Password() = %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Password() error = %v, want one containing %q", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Errorf("Password() error shows the secret: %v", err)
			}
		})
	}
}

func TestSecretsNeverAppearInErrors(t *testing.T) {
	// Secrets written where they do not belong are refused without being repeated.
	for _, in := range []string{
		"password: " + secret,
		"password_env: \"" + secret + "\"",
		"password_env: 12345" + secret,
	} {
		src := "clusters:\n  - name: a\n    bootstrap: [k1:9092]\n    kafka:\n      sasl: {mechanism: PLAIN, user: ops, " + in + "}\n    brokers: [{id: 1, host: k1}]\n"
		_, err := Parse("fleet.yaml", []byte(src))
		if err == nil {
			t.Errorf("%s: accepted", in)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("%s: error shows the secret: %v", in, err)
		}
	}
}

func TestInlineSecretsAreRefusedAnywhere(t *testing.T) {
	for _, where := range []string{"defaults", "defaults.ssh", "defaults.service", "cluster", "cluster.kafka", "cluster.kafka.tls", "broker", "broker.ssh.bastion"} {
		for _, key := range []string{"password", "passphrase", "secret", "token", "ssl_key_password"} {
			src := secretAt(where, key+": x")
			_, err := Parse("fleet.yaml", []byte(src))
			if err == nil || !strings.Contains(err.Error(), "."+key+": inline secrets are not allowed") && !strings.Contains(err.Error(), key+": inline secrets are not allowed") {
				t.Errorf("%s in %s: got %v, want it refused as an inline secret", key, where, err)
			}
		}
	}
}

// secretAt builds an otherwise valid inventory with entry written at where.
func secretAt(where, entry string) string {
	defaults, ssh, service, cluster, kafka, tls, broker, bastion := "", "", "", "", "", "", "", ""
	switch where {
	case "defaults":
		defaults = entry
	case "defaults.ssh":
		ssh = entry
	case "defaults.service":
		service = entry
	case "cluster":
		cluster = entry + ", "
	case "cluster.kafka":
		kafka = entry
	case "cluster.kafka.tls":
		tls = entry
	case "broker":
		broker = ", " + entry
	case "broker.ssh.bastion":
		bastion = entry
	}
	if defaults != "" {
		defaults += ", "
	}
	if kafka != "" {
		kafka += ", "
	}
	return "defaults: {" + defaults + "ssh: {" + ssh + "}, service: {" + service + "}}\n" +
		"clusters:\n  - {" + cluster + "name: a, bootstrap: [k1:9092], kafka: {" + kafka + "tls: {" + tls + "}},\n" +
		"     brokers: [{id: 1, host: k1, ssh: {bastion: {host: j, " + bastion + "}}" + broker + "}]}\n"
}
