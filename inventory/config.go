package inventory

import (
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"
)

var configKeys = []string{"dynamic", "static"}

// config decodes the broker configuration a cluster should have. Values are kept as written
// (8, true, 1.5 and "x" all become strings), which is how Kafka takes them.
func (d *decoder) config(n *yaml.Node, path string) Config {
	var c Config
	f := d.mapping(n, path, configKeys)
	if f == nil {
		return c
	}
	c.Dynamic = d.configMap(f.get("dynamic"), join(path, "dynamic"))
	c.Static = d.configMap(f.get("static"), join(path, "static"))
	return c
}

func (d *decoder) configMap(n *yaml.Node, path string) map[string]string {
	if n == nil {
		return nil
	}
	if n = d.deref(n); isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.typeError(n, path, "a mapping of config name to value")
		return nil
	}
	out := map[string]string{}
	seen := map[string]*yaml.Node{}
	for _, p := range d.pairs(n, path, 0) {
		name, ok := d.keyName(p.key, path)
		if !ok {
			continue
		}
		fp, key := join(path, name), d.deref(p.key)
		if first, dup := seen[name]; dup {
			d.errorf(key, fp, "duplicate key (first at line %d)", first.Line)
			continue
		}
		seen[name] = key
		if name == "" || strings.ContainsFunc(name, func(r rune) bool { return r == '=' || unicode.IsSpace(r) || unicode.IsControl(r) }) {
			d.errorf(key, fp, "is not a Kafka config name")
			continue
		}
		if isSecretConfig(name) {
			d.errorf(key, fp, "inline secrets are not allowed; kfleet does not propagate secret broker configs, keep them on the hosts")
			continue
		}
		v := d.deref(p.val)
		if isNull(v) || v.Kind != yaml.ScalarNode {
			d.errorf(v, fp, "must be a value, got %s (write \"\" for an empty string)", describe(v))
			continue
		}
		out[name] = v.Value
	}
	return out
}
