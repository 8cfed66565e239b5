package inventory

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// The inventory holds references to secrets, never secrets: files like it end up in git, in CI
// logs and in `inventory show` output.

// secretWords are the key names refused as inline secrets wherever they appear.
var secretWords = []string{"password", "passphrase", "secret", "token"}

// isInlineSecret reports whether an unknown key looks like it holds a secret value. References
// (password_env, token_file, ...) are not values.
func isInlineSecret(key string) bool {
	k := strings.ToLower(key)
	if strings.HasSuffix(k, "_env") || strings.HasSuffix(k, "_file") {
		return false
	}
	for _, w := range secretWords {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// inlineSecretMsg says what to do instead; SSH has no password references, it uses keys.
func inlineSecretMsg(path string) string {
	const msg = "inline secrets are not allowed; use password_env or password_file"
	if strings.HasSuffix(path, "ssh") || strings.HasSuffix(path, "bastion") {
		return msg + " (SSH itself authenticates with keys: identity_file or ssh-agent)"
	}
	return msg
}

// isSecretConfig reports whether a broker config key holds a secret, such as
// ssl.keystore.password or sasl.jaas.config. kfleet does not carry those in the inventory.
func isSecretConfig(key string) bool {
	k := strings.ToLower(key)
	if strings.HasSuffix(k, "sasl.jaas.config") || strings.HasSuffix(k, ".keystore.key") {
		return true
	}
	for seg := range strings.SplitSeq(k, ".") {
		if strings.Contains(seg, "password") || strings.Contains(seg, "secret") || strings.Contains(seg, "passphrase") {
			return true
		}
	}
	return false
}

// Password reads the SASL password from the environment variable or the file the inventory
// names, dropping a trailing newline from the file. Errors name the variable or the file, never
// what they hold.
func (s *SASL) Password() (string, error) {
	switch {
	case s == nil:
		return "", errors.New("sasl password: the cluster has no sasl settings")
	case s.PasswordEnv != "":
		v, ok := os.LookupEnv(s.PasswordEnv)
		if !ok {
			return "", fmt.Errorf("sasl password: environment variable %s is not set; export it before running kfleet", s.PasswordEnv)
		}
		if v == "" {
			return "", fmt.Errorf("sasl password: environment variable %s is empty", s.PasswordEnv)
		}
		return v, nil
	case s.PasswordFile != "":
		b, err := os.ReadFile(s.PasswordFile)
		if err != nil {
			// *PathError carries the path and the OS reason, nothing read from the file.
			return "", fmt.Errorf("sasl password: %w", err)
		}
		v := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
		if v == "" {
			return "", fmt.Errorf("sasl password: file %s is empty", s.PasswordFile)
		}
		return v, nil
	}
	return "", errors.New("sasl password: neither password_env nor password_file is set")
}
