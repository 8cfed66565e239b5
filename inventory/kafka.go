package inventory

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

var (
	kafkaKeys      = []string{"tls", "sasl"}
	tlsKeys        = []string{"ca_file", "cert_file", "key_file", "server_name"}
	saslKeys       = []string{"mechanism", "user", "password_env", "password_file"}
	saslMechanisms = []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}
)

func (d *decoder) bootstrap(n *yaml.Node, path string) []string {
	if n == nil {
		return nil
	}
	items, ok := d.sequence(n, path, `a list of host:port addresses, e.g. ["k1.example:9092"]`)
	if !ok {
		return nil
	}
	if len(items) == 0 {
		d.errorf(d.deref(n), path, "must list at least one host:port address")
	}
	var out []string
	for i, item := range items {
		p := index(path, i)
		if item = d.deref(item); isNull(item) {
			d.typeError(item, p, "a host:port address")
			continue
		}
		v := d.text(item, p)
		if v == nil {
			continue
		}
		if msg := checkHostPort(*v); msg != "" {
			d.errorf(item, p, "%s, got %q", msg, truncate(*v, 60))
			continue
		}
		out = append(out, *v)
	}
	return out
}

func (d *decoder) kafka(n *yaml.Node, path string) Kafka {
	var k Kafka
	f := d.mapping(n, path, kafkaKeys)
	if f == nil {
		return k
	}
	if v := f.get("tls"); v != nil {
		k.TLS = d.tls(v, join(path, "tls"))
	}
	if v := f.get("sasl"); v != nil {
		k.SASL = d.sasl(v, join(path, "sasl"))
	}
	return k
}

// present reports whether a key is set to something other than null.
func (d *decoder) present(f *fields, key string) bool {
	v := f.get(key)
	return v != nil && !isNull(d.deref(v))
}

func (d *decoder) tls(n *yaml.Node, path string) *TLS {
	if n = d.deref(n); isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "must be a mapping, got %s; write tls: {} for TLS verified against the system's root CAs", describe(n))
		return nil
	}
	f := d.mapping(n, path, tlsKeys)
	t := &TLS{
		CAFile:   or(d.localPath(f.get("ca_file"), join(path, "ca_file"), false), ""),
		CertFile: or(d.localPath(f.get("cert_file"), join(path, "cert_file"), false), ""),
		KeyFile:  or(d.localPath(f.get("key_file"), join(path, "key_file"), false), ""),
	}
	if v := d.text(f.get("server_name"), join(path, "server_name")); v != nil {
		if msg := checkHost(*v); msg != "" {
			d.errorf(d.deref(f.get("server_name")), join(path, "server_name"), "%s, got %q", msg, truncate(*v, 60))
		}
		t.ServerName = *v
	}
	switch cert, key := d.present(f, "cert_file"), d.present(f, "key_file"); {
	case cert && !key:
		d.errorf(n, join(path, "key_file"), "required with cert_file: a client certificate needs its key")
	case key && !cert:
		d.errorf(n, join(path, "cert_file"), "required with key_file: a client key needs its certificate")
	}
	return t
}

func (d *decoder) sasl(n *yaml.Node, path string) *SASL {
	if n = d.deref(n); isNull(n) {
		return nil
	}
	f := d.mapping(n, path, saslKeys)
	if f == nil {
		return nil
	}
	s := &SASL{}
	if v := d.required(f, "mechanism"); v != nil {
		s.Mechanism = d.mechanism(v, join(path, "mechanism"))
	}
	if v := d.required(f, "user"); v != nil {
		s.User = or(d.text(v, join(path, "user")), "")
	}
	s.PasswordEnv = d.envName(f.get("password_env"), join(path, "password_env"))
	s.PasswordFile = or(d.localPath(f.get("password_file"), join(path, "password_file"), false), "")
	switch env, file := d.present(f, "password_env"), d.present(f, "password_file"); {
	case env && file:
		d.errorf(n, path, "set one of password_env and password_file, not both")
	case !env && !file && !f.secret: // an inline password was already refused
		d.errorf(n, path, "set password_env (an environment variable) or password_file (a file) holding the password")
	}
	return s
}

func (d *decoder) mechanism(n *yaml.Node, path string) string {
	v := d.text(n, path)
	if v == nil {
		return ""
	}
	for _, m := range saslMechanisms {
		if strings.EqualFold(*v, m) {
			return m
		}
	}
	d.errorf(d.deref(n), path, "must be one of %s, got %q", strings.Join(saslMechanisms, ", "), truncate(*v, 40))
	return ""
}

// envName reads the name of an environment variable. Its value is never echoed: people do put
// the password itself there by mistake.
func (d *decoder) envName(n *yaml.Node, path string) string {
	s := d.scalar(n, path, "the name of an environment variable")
	if s == nil {
		return ""
	}
	if s.ShortTag() != "!!str" || !envNameRE.MatchString(s.Value) {
		d.errorf(s, path, "must be the name of an environment variable (letters, digits and _), got %s that is not one; the value is not shown in case it is the password", describeKind(s))
		return ""
	}
	return s.Value
}
