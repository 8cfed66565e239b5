package brokerconfig

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/fault"
)

// listenerPrefix starts per-listener configs (listener.name.<listener>.<config>), which Kafka
// does not list among a broker's configs.
const listenerPrefix = "listener.name."

// UnknownKey is one config name the inventory sets that Kafka does not define for brokers.
type UnknownKey struct {
	Key     string `json:"key" yaml:"key"`
	Broker  int32  `json:"broker,omitempty" yaml:"broker,omitempty"` // 0: the cluster's config
	Field   string `json:"field" yaml:"field"`                       // config.dynamic or config.static
	Suggest string `json:"did_you_mean,omitempty" yaml:"did_you_mean,omitempty"`
}

// UnknownKeysError refuses an inventory that sets configs Kafka does not define: Kafka would
// store a dynamic one without complaint and nothing would use it. Nothing was changed.
type UnknownKeysError struct {
	Cluster string
	Keys    []UnknownKey
}

func (e *UnknownKeysError) Error() string {
	parts := make([]string, len(e.Keys))
	for i, k := range e.Keys {
		where := k.Field
		if k.Broker != 0 {
			where = fmt.Sprintf("broker %d's %s", k.Broker, k.Field)
		}
		parts[i] = fmt.Sprintf("%s (%s", k.Key, where)
		if k.Suggest != "" {
			parts[i] += "; did you mean " + k.Suggest + "?"
		}
		parts[i] += ")"
	}
	return fmt.Sprintf("cluster %s: Kafka does not define these broker configs: %s; fix the inventory, or list a config set on purpose under config.custom; nothing was changed",
		e.Cluster, strings.Join(parts, ", "))
}

// FaultKind says what kind of failure this is (usage: nothing was changed).
func (e *UnknownKeysError) FaultKind() fault.Kind { return fault.Usage }

// CheckKeys refuses config names the inventory sets for brokers that Kafka does not define:
// every name must be one the brokers list in DescribeConfigs (which lists every config a broker
// knows), a per-listener config, or named under config.custom. Pure: live is what was read.
func CheckKeys(c *inventory.Cluster, brokers []*inventory.Broker, live LiveConfig) error {
	known := map[string]bool{}
	for _, bl := range live.Brokers {
		for k := range bl.Configs {
			known[k] = true
		}
	}
	if len(known) == 0 {
		return nil // nothing to judge by
	}
	names := make([]string, 0, len(known))
	for k := range known {
		names = append(names, k)
	}
	slices.Sort(names)
	var unknown []UnknownKey
	seen := map[string]bool{}
	add := func(key string, broker int32, field string, custom []string) {
		if known[key] || strings.HasPrefix(key, listenerPrefix) || slices.Contains(custom, key) {
			return
		}
		id := fmt.Sprintf("%d/%s/%s", broker, field, key)
		if seen[id] {
			return
		}
		seen[id] = true
		unknown = append(unknown, UnknownKey{Key: key, Broker: broker, Field: field, Suggest: inventory.Closest(key, names)})
	}
	for _, b := range brokers {
		custom := c.Desired(b).Custom
		for _, k := range sortedKeys(c.Config.Dynamic) {
			add(k, 0, "config.dynamic", custom)
		}
		for _, k := range sortedKeys(c.Config.Static) {
			add(k, 0, "config.static", custom)
		}
		if b.Config != nil {
			for _, k := range sortedKeys(b.Config.Dynamic) {
				add(k, b.ID, "config.dynamic", custom)
			}
			for _, k := range sortedKeys(b.Config.Static) {
				add(k, b.ID, "config.static", custom)
			}
		}
	}
	if len(unknown) > 0 {
		return &UnknownKeysError{Cluster: c.Name, Keys: unknown}
	}
	return nil
}
