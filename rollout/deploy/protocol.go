package deploy

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/kafka"
	"github.com/kfleet/kfleet/rollout/brokerconfig"
)

// A ZooKeeper-mode cluster has no metadata.version: the brokers speak to each other at their
// inter.broker.protocol.version, a read-only broker config in server.properties. Operators pin it
// to the old release before a rolling upgrade (so that a rollback stays possible) and raise it,
// with a second rolling restart, once every broker runs the new release (Kafka's "Upgrading
// ZooKeeper-based clusters"). That raise is what deploy finalize does in ZooKeeper mode, through
// the machinery config apply uses for static configs: server.properties edited in place over SSH
// (brokerconfig.PlanChanges, WriteConfigFile) and a gated rolling restart of those brokers.

// ProtocolVersionFeature is what finalize raises on a ZooKeeper-mode cluster.
const ProtocolVersionFeature = kafka.ProtocolVersionConfig

// ProtocolPin is one place where the inventory sets inter.broker.protocol.version.
type ProtocolPin struct {
	Broker int32  `json:"broker,omitempty" yaml:"broker,omitempty"` // 0: the cluster's config
	Field  string `json:"field" yaml:"field"`                       // config.static or config.dynamic
	Value  string `json:"value" yaml:"value"`
}

func (p ProtocolPin) where() string {
	if p.Broker != 0 {
		return fmt.Sprintf("broker %d's %s", p.Broker, p.Field)
	}
	return p.Field
}

// ProtocolPins lists where the inventory sets inter.broker.protocol.version for cluster c.
func ProtocolPins(c *inventory.Cluster) []ProtocolPin {
	var out []ProtocolPin
	add := func(broker int32, cfg inventory.Config) {
		if v, ok := cfg.Static[ProtocolVersionFeature]; ok {
			out = append(out, ProtocolPin{Broker: broker, Field: "config.static", Value: v})
		}
		if v, ok := cfg.Dynamic[ProtocolVersionFeature]; ok {
			out = append(out, ProtocolPin{Broker: broker, Field: "config.dynamic", Value: v})
		}
	}
	add(0, c.Config)
	for _, b := range c.Brokers {
		if b.Config != nil {
			add(b.ID, *b.Config)
		}
	}
	return out
}

// ProtocolPinnedError refuses a ZooKeeper-mode finalize when the inventory manages
// inter.broker.protocol.version at another release: raising it behind the inventory's back would
// leave config drift that the next config apply reverts (a protocol downgrade, which Kafka does
// not support). Nothing was changed.
type ProtocolPinnedError struct {
	Cluster string
	Pins    []ProtocolPin
	To      string
}

func (e *ProtocolPinnedError) Error() string {
	parts := make([]string, len(e.Pins))
	for i, p := range e.Pins {
		parts[i] = fmt.Sprintf("%s: %s", p.where(), p.Value)
	}
	return fmt.Sprintf("cluster %s: refusing to finalize: the inventory sets %s (%s); set it to %q there and run kfleet config apply, "+
		"which raises it with the same gated restart (or remove it from the inventory and run deploy finalize again); nothing was changed",
		e.Cluster, ProtocolVersionFeature, strings.Join(parts, ", "), e.To)
}

// FaultKind says what kind of failure this is (usage: nothing was changed, exit 2).
func (e *ProtocolPinnedError) FaultKind() fault.Kind { return fault.Usage }

// PlanProtocolFinalize decides the inter.broker.protocol.version raise of a ZooKeeper-mode
// cluster whose brokers all run release version. It is pure: live is what each broker runs (""
// when it did not answer, which counts as to be raised: a resumed finalize left it down), pins
// where the inventory sets it. The target is version's MAJOR.MINOR; a broker already there (or
// past it, or running the release's default) is left alone.
func PlanProtocolFinalize(cluster string, brokers []*inventory.Broker, version string, live map[int32]string, pins []ProtocolPin) (FinalizePlan, error) {
	p := FinalizePlan{Cluster: cluster, Version: version, Feature: ProtocolVersionFeature, Raise: []int32{}}
	target, ok := kafka.ParseRelease(version)
	if !ok {
		return p, fmt.Errorf("cluster %s: cannot tell the release line of Kafka %q", cluster, version)
	}
	p.ToVersion = target.String()
	var off []ProtocolPin
	for _, pin := range pins {
		if r, ok := kafka.ParseRelease(pin.Value); !ok || r != target {
			off = append(off, pin)
		}
	}
	if len(off) > 0 {
		return p, &ProtocolPinnedError{Cluster: cluster, Pins: off, To: p.ToVersion}
	}
	var lowest kafka.ReleaseLine
	for _, b := range brokers {
		p.Brokers = append(p.Brokers, b.ID)
		v, ok := live[b.ID]
		if !ok || v == "" {
			p.Raise = append(p.Raise, b.ID)
			continue
		}
		r, ok := kafka.ParseRelease(v)
		if !ok {
			return p, fmt.Errorf("cluster %s: broker %d reports %s %q, which kfleet cannot read", cluster, b.ID, ProtocolVersionFeature, v)
		}
		if p.FromVersion == "" || r.Less(lowest) {
			p.FromVersion, lowest = v, r
		}
		if r.Less(target) {
			p.Raise = append(p.Raise, b.ID)
		}
	}
	if p.FromVersion == "" {
		p.FromVersion = "unknown"
	}
	p.UpToDate = len(p.Raise) == 0
	return p, nil
}

// protocolValue is the value finalize writes for broker b: the inventory's own when it sets one
// at the target release (so config diff shows no drift), else the target MAJOR.MINOR.
func protocolValue(c *inventory.Cluster, b *inventory.Broker, to string) string {
	want := c.Desired(b)
	for _, m := range []map[string]string{want.Static, want.Dynamic} {
		if v, ok := m[ProtocolVersionFeature]; ok {
			return v
		}
	}
	return to
}

// protocolConfig is cluster c as config apply should see it to make finalize's change and no
// other: inter.broker.protocol.version under config.static of brokers (copies; the inventory's
// brokers are untouched), nothing else declared.
func protocolConfig(c *inventory.Cluster, brokers []*inventory.Broker, to string) (*inventory.Cluster, []*inventory.Broker) {
	dc := *c
	dc.Config = inventory.Config{}
	dc.Brokers = nil
	var picked []*inventory.Broker
	for _, b := range c.Brokers {
		nb := *b
		nb.Config = &inventory.Config{Static: map[string]string{ProtocolVersionFeature: protocolValue(c, b, to)}}
		dc.Brokers = append(dc.Brokers, &nb)
		if slices.ContainsFunc(brokers, func(x *inventory.Broker) bool { return x.ID == b.ID }) {
			picked = append(picked, &nb)
		}
	}
	return &dc, picked
}

// planProtocolFiles reads the server.properties of the brokers that answered and plans the edits
// that set inter.broker.protocol.version, as config apply would.
func planProtocolFiles(ctx context.Context, cl *kgo.Client, hosts brokerconfig.Hosts, c *inventory.Cluster, brokers []*inventory.Broker, to string) (*brokerconfig.Plan, error) {
	dc, picked := protocolConfig(c, brokers, to)
	if len(picked) == 0 {
		return &brokerconfig.Plan{Cluster: c.Name}, nil
	}
	live, err := brokerconfig.ReadLive(ctx, cl, hosts, dc, picked)
	if err != nil {
		return nil, err
	}
	plan := brokerconfig.PlanChanges(dc, picked, live, brokerconfig.Compare(dc, picked, live))
	if len(plan.Refused) > 0 {
		return nil, &brokerconfig.PlacementError{Cluster: c.Name, Keys: plan.Refused}
	}
	return plan, nil
}

// protocolFailures names the brokers that did not say which protocol version they run.
func protocolFailures(cluster string, failed map[int32]error) error {
	ids := slices.Sorted(maps.Keys(failed))
	errs := make([]error, len(ids))
	for i, id := range ids {
		errs[i] = fmt.Errorf("cluster %s: broker %d: reading %s: %w", cluster, id, ProtocolVersionFeature, failed[id])
	}
	return errors.Join(errs...)
}
