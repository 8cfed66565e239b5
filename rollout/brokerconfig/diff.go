package brokerconfig

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/kafka"
	"github.com/kfleet/kfleet/ops/ssh"
)

// Broker configs come in three kinds (KIP-226): per-broker dynamic, cluster-wide dynamic (the
// default every broker inherits), and read-only (server.properties plus a restart). The inventory
// says where each key should live (config.dynamic or config.static, cluster-wide or per broker);
// Kafka's DescribeConfigs says what is live, where it comes from and whether the key is
// read-only. DiffConfig compares the two without I/O; ReadLiveConfig does the reading.

// How a difference is applied.
const (
	ApplyBrokerDynamic  = "per-broker dynamic"
	ApplyClusterDynamic = "cluster-wide dynamic"
	ApplyRemoveOverride = "per-broker dynamic (remove override)"
	ApplyRestart        = "restart needed"
	ApplyRefused        = "refused: read-only"
	ApplyShadowed       = "not applied: shadowed by a dynamic value"
)

// What apply does for a difference.
const (
	ActionSetBroker      = "set-broker"
	ActionSetCluster     = "set-cluster"
	ActionDeleteOverride = "delete-override"
	ActionEditFile       = "edit-file"
	ActionRestartOnly    = "restart-only"
	ActionNone           = "none"
)

// Diff is one key that differs on one broker. Values of sensitive configs are masked.
type Diff struct {
	Cluster    string `json:"cluster" yaml:"cluster"`
	Broker     int32  `json:"broker" yaml:"broker"`
	Key        string `json:"key" yaml:"key"`
	Live       string `json:"live" yaml:"live"`
	LiveSource string `json:"live_source" yaml:"live_source"`
	Desired    string `json:"desired" yaml:"desired"`
	// Where the inventory puts the key: dynamic or static, cluster or broker.
	Declared  string `json:"declared" yaml:"declared"`
	Apply     string `json:"apply" yaml:"apply"`
	Action    string `json:"action" yaml:"action"`
	Restart   bool   `json:"restart" yaml:"restart"`
	Sensitive bool   `json:"sensitive,omitempty" yaml:"sensitive,omitempty"`
	Note      string `json:"note,omitempty" yaml:"note,omitempty"`

	desired string // unmasked, for apply
}

// LiveEntry is Kafka's view of one config on one broker (or of the cluster-wide default).
type LiveEntry struct {
	Value     *string
	Source    kmsg.ConfigSource
	ReadOnly  bool
	Sensitive bool
	Type      kmsg.ConfigType
	// Synonyms holds the value each source has for this very key name (not its aliases such as
	// log.roll.hours for log.roll.ms), in Kafka's order of precedence.
	Synonyms map[kmsg.ConfigSource]*string
}

// BrokerLive is what one broker runs: its configs as DescribeConfigs reports them and its
// server.properties as it is on disk.
type BrokerLive struct {
	Configs map[string]LiveEntry
	File    []byte
}

// LiveConfig is a cluster's live configuration.
type LiveConfig struct {
	Cluster string
	// Defaults are the cluster-wide dynamic values (resource "").
	Defaults map[string]LiveEntry
	Brokers  map[int32]BrokerLive
}

const masked = "******"

// sensitiveName catches configs Kafka might not flag, by name.
func sensitiveName(key string) bool {
	k := strings.ToLower(key)
	return strings.Contains(k, "password") || strings.Contains(k, "secret") || strings.HasSuffix(k, "sasl.jaas.config")
}

// Compare compares what the inventory wants on each broker with what runs there. Brokers
// without live data are skipped (ReadLiveConfig fails rather than leave one out).
func Compare(c *inventory.Cluster, brokers []*inventory.Broker, live LiveConfig) []Diff {
	var out []Diff
	for _, b := range brokers {
		bl, ok := live.Brokers[b.ID]
		if !ok {
			continue
		}
		want := c.Desired(b)
		for _, key := range sortedKeys(want.Dynamic) {
			scope := "cluster"
			if b.Config != nil {
				if _, ok := b.Config.Dynamic[key]; ok {
					scope = "broker"
				}
			}
			out = append(out, diffDynamic(c.Name, b.ID, key, want.Dynamic[key], scope, bl.Configs, live.Defaults)...)
		}
		props := ParseProperties(bl.File)
		for _, key := range sortedKeys(want.Static) {
			scope := "cluster"
			if b.Config != nil {
				if _, ok := b.Config.Static[key]; ok {
					scope = "broker"
				}
			}
			if d, ok := diffStatic(c.Name, b.ID, key, want.Static[key], scope, bl.Configs, props); ok {
				out = append(out, d)
			}
		}
	}
	for i := range out {
		mask(&out[i])
	}
	return out
}

func diffDynamic(cluster string, id int32, key, want, scope string, live, defaults map[string]LiveEntry) []Diff {
	e, known := live[key]
	d := Diff{Cluster: cluster, Broker: id, Key: key, Desired: want, desired: want,
		Declared: "dynamic (" + scope + ")", Sensitive: e.Sensitive || sensitiveName(key)}
	d.Live, d.LiveSource = liveValue(e, known)
	if known && e.ReadOnly {
		d.Apply, d.Action = ApplyRefused, ActionNone
		d.Note = "Kafka reports " + key + " as read-only: it cannot change without a restart; move it to config.static"
		return []Diff{d}
	}
	if !known {
		d.Note = "this Kafka does not report " + key + "; validation will tell whether it takes it"
	}
	override := e.Synonyms[kmsg.ConfigSourceDynamicBrokerConfig]
	if scope == "broker" {
		if override != nil && sameValue(*override, want, e.Type) {
			return nil
		}
		d.Apply, d.Action = ApplyBrokerDynamic, ActionSetBroker
		return []Diff{d}
	}
	var out []Diff
	def := e.Synonyms[kmsg.ConfigSourceDynamicDefaultBrokerConfig]
	if de, ok := defaults[key]; ok && de.Value != nil {
		def = de.Value
	}
	if def == nil || !sameValue(*def, want, e.Type) {
		d.Apply, d.Action = ApplyClusterDynamic, ActionSetCluster
		out = append(out, d)
	}
	if override != nil && !sameValue(*override, want, e.Type) {
		o := d
		o.Apply, o.Action = ApplyRemoveOverride, ActionDeleteOverride
		o.Live, o.LiveSource = *override, sourceName(kmsg.ConfigSourceDynamicBrokerConfig)
		o.Note = "a per-broker dynamic value that the inventory does not have overrides the cluster-wide one; apply deletes it"
		out = append(out, o)
	}
	return out
}

func diffStatic(cluster string, id int32, key, want, scope string, live map[string]LiveEntry, props *Properties) (Diff, bool) {
	e, known := live[key]
	d := Diff{Cluster: cluster, Broker: id, Key: key, Desired: want, desired: want,
		Declared: "static (" + scope + ")", Sensitive: e.Sensitive || sensitiveName(key)}
	if known && !e.ReadOnly {
		d.Note = key + " is dynamic in this Kafka: it could be applied live under config.dynamic; applying it statically, with a restart"
	}
	if v, ok := props.Get(key); !ok || !sameValue(v, want, e.Type) {
		d.Live, d.LiveSource = v, "server.properties"
		if !ok {
			d.Live, d.LiveSource = "", "server.properties (absent)"
		}
		d.Apply, d.Action, d.Restart = ApplyRestart, ActionEditFile, true
		return d, true
	}
	if !known || e.Sensitive {
		// Kafka does not report it (or hides its value): the file is all there is to compare.
		return d, false
	}
	d.Live, d.LiveSource = liveValue(e, known)
	for _, src := range []kmsg.ConfigSource{kmsg.ConfigSourceDynamicBrokerConfig, kmsg.ConfigSourceDynamicDefaultBrokerConfig} {
		if v := e.Synonyms[src]; v != nil && !sameValue(*v, want, e.Type) {
			d.Live, d.LiveSource = *v, sourceName(src)
			d.Apply, d.Action = ApplyShadowed, ActionNone
			d.Note = fmt.Sprintf("server.properties has it, but a %s value wins over the file; delete that value "+
				"(kafka-configs --alter --delete-config %s) or manage the key under config.dynamic", sourceName(src), key)
			return d, true
		}
	}
	if st := e.Synonyms[kmsg.ConfigSourceStaticBrokerConfig]; st == nil || !sameValue(*st, want, e.Type) {
		// The file is right but the running broker read an older one: it still needs its restart.
		d.Apply, d.Action, d.Restart = ApplyRestart, ActionRestartOnly, true
		d.Note = strings.TrimSpace("server.properties already has it; the broker has not been restarted since. " + d.Note)
		return d, true
	}
	return d, false
}

func liveValue(e LiveEntry, known bool) (value, source string) {
	if !known {
		return "", "unknown to Kafka"
	}
	if e.Value == nil {
		return "", sourceName(e.Source)
	}
	return *e.Value, sourceName(e.Source)
}

// sameValue compares as Kafka reads the value: lists element by element, booleans in any case.
func sameValue(a, b string, t kmsg.ConfigType) bool {
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	switch t {
	case kmsg.ConfigTypeList:
		split := func(s string) []string {
			var out []string
			for part := range strings.SplitSeq(s, ",") {
				if p := strings.TrimSpace(part); p != "" {
					out = append(out, p)
				}
			}
			return out
		}
		return slices.Equal(split(a), split(b))
	case kmsg.ConfigTypeBoolean:
		return strings.EqualFold(a, b)
	}
	return a == b
}

func mask(d *Diff) {
	if !d.Sensitive {
		return
	}
	if d.Live != "" {
		d.Live = masked
	}
	d.Desired = masked
}

// sourceName is the source as Kafka's own tools print it.
func sourceName(s kmsg.ConfigSource) string {
	switch s {
	case kmsg.ConfigSourceDynamicBrokerConfig:
		return "DYNAMIC_BROKER_CONFIG"
	case kmsg.ConfigSourceDynamicDefaultBrokerConfig:
		return "DYNAMIC_DEFAULT_BROKER_CONFIG"
	case kmsg.ConfigSourceStaticBrokerConfig:
		return "STATIC_BROKER_CONFIG"
	case kmsg.ConfigSourceDefaultConfig:
		return "DEFAULT_CONFIG"
	}
	return s.String()
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Hosts is the SSH surface config diff and apply need.
type Hosts interface {
	Output(ctx context.Context, t ssh.Target, cmd string) ([]byte, int, error)
	Run(ctx context.Context, t ssh.Target, cmd string, stdin io.Reader, stdout, stderr io.Writer) (int, error)
}

// Differences reads what runs on brokers of cluster c and compares it with the inventory,
// refusing config names Kafka does not define (CheckKeys). Nothing is changed.
func Differences(ctx context.Context, cl *kgo.Client, hosts Hosts, c *inventory.Cluster, brokers []*inventory.Broker) ([]Diff, error) {
	live, err := ReadLive(ctx, cl, hosts, c, brokers)
	if err != nil {
		return nil, err
	}
	if err := CheckKeys(c, brokers, live); err != nil {
		return nil, err
	}
	return Compare(c, brokers, live), nil
}

// ReadLive reads the selected brokers' configs (with synonyms), the cluster-wide dynamic
// defaults, and each broker's server.properties over SSH.
func ReadLive(ctx context.Context, cl *kgo.Client, hosts Hosts, c *inventory.Cluster, brokers []*inventory.Broker) (LiveConfig, error) {
	live := LiveConfig{Cluster: c.Name, Brokers: map[int32]BrokerLive{}}
	described, err := describeBrokerConfigs(ctx, cl, c.Name, brokers)
	if err != nil {
		return live, err
	}
	live.Defaults = described[""]

	files := make([][]byte, len(brokers))
	errs := make([]error, len(brokers))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i, b := range brokers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			out, _, err := hosts.Output(ctx, ssh.TargetFor(b), "cat -- "+ssh.ShellQuote(b.Install.ConfigFile))
			if err != nil {
				errs[i] = fmt.Errorf("broker %d (%s): reading %s: %w", b.ID, b.Host, b.Install.ConfigFile, err)
			}
			files[i] = out
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return live, err
	}
	for i, b := range brokers {
		live.Brokers[b.ID] = BrokerLive{Configs: described[strconv.Itoa(int(b.ID))], File: files[i]}
	}
	return live, nil
}

// describeBrokerConfigs asks for every selected broker's configs and the cluster default, with
// synonyms, keyed by resource name ("" for the default).
func describeBrokerConfigs(ctx context.Context, cl *kgo.Client, cluster string, brokers []*inventory.Broker) (map[string]map[string]LiveEntry, error) {
	req := kmsg.NewPtrDescribeConfigsRequest()
	req.IncludeSynonyms = true
	names := []string{""}
	for _, b := range brokers {
		names = append(names, strconv.Itoa(int(b.ID)))
	}
	for _, n := range names {
		r := kmsg.NewDescribeConfigsRequestResource()
		r.ResourceType = kmsg.ConfigResourceTypeBroker
		r.ResourceName = n
		req.Resources = append(req.Resources, r)
	}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, kafka.Failure(cluster, kafka.OpBrokerConfigs, err)
	}
	out := map[string]map[string]LiveEntry{}
	for _, r := range resp.Resources {
		if err := kerr.ErrorForCode(r.ErrorCode); err != nil {
			who := "the cluster-wide defaults"
			if r.ResourceName != "" {
				who = "broker " + r.ResourceName
			}
			if m := r.ErrorMessage; m != nil && *m != "" && !strings.Contains(err.Error(), *m) {
				err = fmt.Errorf("%w: %s", err, *m)
			}
			if kafka.IsAuthorizationError(err) {
				return nil, kafka.Failure(cluster, kafka.OpBrokerConfigs, fmt.Errorf("the configs of %s: %w", who, err))
			}
			return nil, fmt.Errorf("cluster %s: describing the configs of %s: %w", cluster, who, err)
		}
		entries := map[string]LiveEntry{}
		for _, c := range r.Configs {
			e := LiveEntry{Value: c.Value, Source: c.Source, ReadOnly: c.ReadOnly, Sensitive: c.IsSensitive,
				Type: c.ConfigType, Synonyms: map[kmsg.ConfigSource]*string{}}
			for _, s := range c.ConfigSynonyms {
				if s.Name == c.Name {
					if _, seen := e.Synonyms[s.Source]; !seen {
						e.Synonyms[s.Source] = s.Value
					}
				}
			}
			entries[c.Name] = e
		}
		out[r.ResourceName] = entries
	}
	for _, n := range names {
		if _, ok := out[n]; !ok && n != "" {
			return nil, fmt.Errorf("cluster %s: broker %s did not answer DescribeConfigs", cluster, n)
		}
	}
	return out, nil
}
