package inventory

import (
	"net"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"
)

// Names that end up on an ssh or shell command line are checked strictly: a host or user that
// starts with '-' would be read as an option.

var (
	clusterNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
	hostNameRE    = regexp.MustCompile(`^[A-Za-z0-9_]([A-Za-z0-9._-]*[A-Za-z0-9_.])?$`)
	envNameRE     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// checkHost returns what is wrong with a host name or IP address, or "".
func checkHost(h string) string {
	switch {
	case net.ParseIP(h) != nil:
		return ""
	case strings.HasPrefix(h, "["):
		return "write IPv6 addresses without brackets"
	case strings.Contains(h, ":"):
		return "must be a host name or IP address without a port (the SSH port is ssh.port)"
	case len(h) > 253 || !hostNameRE.MatchString(h):
		return "must be a host name or IP address"
	}
	return ""
}

func (d *decoder) host(n *yaml.Node, path string) *string {
	v := d.text(n, path)
	if v == nil {
		return nil
	}
	if msg := checkHost(*v); msg != "" {
		d.errorf(d.deref(n), path, "%s, got %q", msg, truncate(*v, 60))
		return nil
	}
	return v
}

func (d *decoder) user(n *yaml.Node, path string) *string {
	v := d.text(n, path)
	if v == nil {
		return nil
	}
	bad := strings.HasPrefix(*v, "-") || strings.ContainsAny(*v, "@:/") ||
		strings.ContainsFunc(*v, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) })
	if bad {
		d.errorf(d.deref(n), path, "must be a plain user name (no spaces, '@', ':' or leading '-'), got %q", truncate(*v, 60))
		return nil
	}
	return v
}

func (d *decoder) clusterName(n *yaml.Node, path string) *string {
	v := d.text(n, path)
	if v == nil {
		return nil
	}
	if !clusterNameRE.MatchString(*v) {
		d.errorf(d.deref(n), path, "must be lowercase letters, digits, '.', '_' and '-', starting with a letter or digit, got %q", truncate(*v, 60))
		return nil
	}
	return v
}

// hostPort checks a Kafka bootstrap address; it returns what is wrong, or "".
func checkHostPort(s string) string {
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" || port == "" {
		return "must be host:port, e.g. k1.example:9092"
	}
	if msg := checkHost(host); msg != "" {
		return "host " + msg
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return "port must be between 1 and 65535"
	}
	return ""
}
