package inventory

import (
	"fmt"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"
)

var configKeys = []string{"dynamic", "static", "custom"}

// Desired returns the broker configuration b should have: the cluster's dynamic and static
// configs with b's own overrides on top, key by key. A key is dynamic or static for a broker,
// never both (the loader refuses that). Custom keys are the cluster's and the broker's together.
func (c *Cluster) Desired(b *Broker) Config {
	out := Config{Dynamic: map[string]string{}, Static: map[string]string{}}
	out.Custom = append(out.Custom, c.Config.Custom...)
	for k, v := range c.Config.Dynamic {
		out.Dynamic[k] = v
	}
	for k, v := range c.Config.Static {
		out.Static[k] = v
	}
	if b.Config != nil {
		out.Custom = append(out.Custom, b.Config.Custom...)
		for k, v := range b.Config.Dynamic {
			out.Dynamic[k] = v
		}
		for k, v := range b.Config.Static {
			out.Static[k] = v
		}
	}
	return out
}

// configKeyNodes remembers where each config key was written, to report keys that are both
// dynamic and static.
type configKeyNodes struct{ dynamic, static map[string]*yaml.Node }

// config decodes the broker configuration a cluster (or, as overrides, a broker) should have.
// Values are kept as written (8, true, 1.5 and "x" all become strings), which is how Kafka takes
// them.
func (d *decoder) config(n *yaml.Node, path string) (Config, configKeyNodes) {
	var c Config
	var at configKeyNodes
	f := d.mapping(n, path, configKeys)
	if f == nil {
		return c, at
	}
	c.Dynamic, at.dynamic = d.configMap(f.get("dynamic"), join(path, "dynamic"))
	c.Static, at.static = d.configMap(f.get("static"), join(path, "static"))
	c.Custom = d.configNames(f.get("custom"), join(path, "custom"))
	for name, key := range at.static {
		if first, ok := at.dynamic[name]; ok {
			d.errorf(key, join(join(path, "static"), name), "is also under dynamic (line %d); a config is applied one way: keep it under one of them", first.Line)
		}
	}
	return c, at
}

// configClash reports a broker override that puts a key on the other side (dynamic or static)
// than its cluster does.
func (d *decoder) configClash(cluster, broker configKeyNodes, path string) {
	for name, key := range broker.static {
		if first, ok := cluster.dynamic[name]; ok {
			d.errorf(key, join(join(path, "static"), name), "is dynamic for the cluster (line %d); a broker override stays on the same side: put it under dynamic", first.Line)
		}
	}
	for name, key := range broker.dynamic {
		if first, ok := cluster.static[name]; ok {
			d.errorf(key, join(join(path, "dynamic"), name), "is static for the cluster (line %d); a broker override stays on the same side: put it under static", first.Line)
		}
	}
}

func (d *decoder) configMap(n *yaml.Node, path string) (map[string]string, map[string]*yaml.Node) {
	return d.scalarMap(n, path, scalarMapRules{
		want: "a mapping of config name to value",
		key: func(name string) string {
			if name == "" || strings.ContainsFunc(name, func(r rune) bool { return r == '=' || unicode.IsSpace(r) || unicode.IsControl(r) }) {
				return "is not a Kafka config name"
			}
			if isSecretConfig(name) {
				return "inline secrets are not allowed; kfleet does not propagate secret broker configs, keep them on the hosts"
			}
			return ""
		},
		notScalar: "must be a value, got %s (write \"\" for an empty string)",
	})
}

// configNames decodes config.custom: the names of configs Kafka does not define that the
// inventory sets on purpose (a plugin's, say), so config diff and apply do not refuse them as
// typos.
func (d *decoder) configNames(n *yaml.Node, path string) []string {
	if n == nil || isNull(d.deref(n)) {
		return nil
	}
	items, ok := d.sequence(n, path, "a list of config names")
	if !ok {
		return nil
	}
	var out []string
	for i, it := range items {
		if v := d.text(it, fmt.Sprintf("%s[%d]", path, i)); v != nil {
			out = append(out, *v)
		}
	}
	return out
}
