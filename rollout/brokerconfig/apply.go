package brokerconfig

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/kafka"
	"github.com/kfleet/kfleet/ops/ssh"
)

// Plan is what config apply does on one cluster, decided from the differences alone:
// dynamic values to set or delete through the Admin API, server.properties files to rewrite,
// and the brokers to restart (those whose file changes, or whose file changed since their last
// start).
type Plan struct {
	Cluster  string     `json:"cluster" yaml:"cluster"`
	Changes  []Diff     `json:"changes" yaml:"changes"`
	Files    []FileEdit `json:"files" yaml:"files"`
	Restart  []int32    `json:"restart" yaml:"restart"`
	Warnings []string   `json:"warnings,omitempty" yaml:"warnings,omitempty"`
	// Refused are keys apply will not touch at all (read-only keys under config.dynamic).
	Refused []Diff `json:"refused,omitempty" yaml:"refused,omitempty"`

	clusterSets map[string]string
	brokerSets  map[int32]map[string]string
	deletes     map[int32][]string
}

// FileEdit is one server.properties rewrite.
type FileEdit struct {
	Broker int32    `json:"broker" yaml:"broker"`
	Host   string   `json:"host" yaml:"host"`
	Path   string   `json:"path" yaml:"path"`
	Diff   []string `json:"diff" yaml:"diff"`

	old, new []byte
}

// Dynamic reports whether the plan changes anything through the Admin API.
func (p *Plan) Dynamic() bool {
	return len(p.clusterSets)+len(p.brokerSets)+len(p.deletes) > 0
}

// ClusterWide reports whether the plan changes cluster-wide defaults, which every broker inherits.
func (p *Plan) ClusterWide() bool { return len(p.clusterSets) > 0 }

// Empty reports whether apply has nothing to do.
func (p *Plan) Empty() bool { return !p.Dynamic() && len(p.Files) == 0 && len(p.Restart) == 0 }

// PlanChanges turns differences into what apply does. Pure: live supplies the files to edit.
func PlanChanges(c *inventory.Cluster, brokers []*inventory.Broker, live LiveConfig, diffs []Diff) *Plan {
	p := &Plan{Cluster: c.Name, clusterSets: map[string]string{}, brokerSets: map[int32]map[string]string{},
		deletes: map[int32][]string{}}
	edits := map[int32]map[string]string{}
	restart := map[int32]bool{}
	warned := map[string]bool{}
	warn := func(s string) {
		if s != "" && !warned[s] {
			warned[s] = true
			p.Warnings = append(p.Warnings, s)
		}
	}
	for _, d := range diffs {
		switch d.Action {
		case ActionNone:
			if d.Apply == ApplyRefused {
				p.Refused = append(p.Refused, d)
			} else {
				warn(fmt.Sprintf("broker %d: %s: %s", d.Broker, d.Key, d.Note))
			}
			continue
		case ActionSetCluster:
			p.clusterSets[d.Key] = d.desired
		case ActionSetBroker:
			if p.brokerSets[d.Broker] == nil {
				p.brokerSets[d.Broker] = map[string]string{}
			}
			p.brokerSets[d.Broker][d.Key] = d.desired
		case ActionDeleteOverride:
			p.deletes[d.Broker] = append(p.deletes[d.Broker], d.Key)
		case ActionEditFile:
			if edits[d.Broker] == nil {
				edits[d.Broker] = map[string]string{}
			}
			edits[d.Broker][d.Key] = d.desired
			if strings.Contains(d.Note, "is dynamic in this Kafka") {
				warn(d.Note)
			}
		}
		if d.Restart {
			restart[d.Broker] = true
		}
		p.Changes = append(p.Changes, d)
	}
	for _, b := range brokers {
		kv, ok := edits[b.ID]
		if !ok {
			continue
		}
		old := live.Brokers[b.ID].File
		props := ParseProperties(old)
		before := slices.Clone(props.lines)
		for _, k := range sortedKeys(kv) {
			props.Set(k, kv[k])
		}
		p.Files = append(p.Files, FileEdit{Broker: b.ID, Host: b.Host, Path: b.Install.ConfigFile,
			Diff: lineDiff(before, props.lines), old: old, new: props.Bytes()})
	}
	for _, b := range brokers {
		if restart[b.ID] {
			p.Restart = append(p.Restart, b.ID)
		}
	}
	return p
}

// lineDiff lists what Set changed, by line number: edits keep every logical line where it was
// and append new ones, so old and new line up index by index.
func lineDiff(before, after []propLine) []string {
	var out []string
	line := 1
	for i, a := range after {
		if i < len(before) && before[i].raw == a.raw {
			line += strings.Count(a.raw, "\n")
			continue
		}
		if i < len(before) {
			for l := range strings.SplitSeq(strings.TrimRight(before[i].raw, "\r\n"), "\n") {
				out = append(out, fmt.Sprintf("%d: -%s", line, strings.TrimRight(l, "\r")))
			}
		}
		out = append(out, fmt.Sprintf("%d: +%s", line, strings.TrimRight(a.raw, "\r\n")))
		if i < len(before) {
			line += strings.Count(before[i].raw, "\n")
		} else {
			line++
		}
	}
	return out
}

// Rejection is one config value Kafka refused.
type Rejection struct {
	Broker int32 // -1: the cluster-wide default
	Key    string
	Value  string // masked when sensitive
	Reason string
}

func (r Rejection) String() string {
	who := "cluster-wide"
	if r.Broker >= 0 {
		who = "broker " + strconv.Itoa(int(r.Broker))
	}
	return fmt.Sprintf("%s: %s=%s: %s", who, r.Key, r.Value, r.Reason)
}

// RejectedError says Kafka's validation refused values; nothing was changed anywhere.
type RejectedError struct {
	Cluster    string
	Rejections []Rejection
}

func (e *RejectedError) Error() string {
	parts := make([]string, len(e.Rejections))
	for i, r := range e.Rejections {
		parts[i] = r.String()
	}
	return fmt.Sprintf("cluster %s: Kafka rejected the config, nothing was changed: %s; fix the inventory and run config apply again",
		e.Cluster, strings.Join(parts, "; "))
}

// FaultKind says what kind of failure this is (usage: nothing was changed).
func (e *RejectedError) FaultKind() fault.Kind { return fault.Usage }

// PlacementError says the inventory puts read-only keys under config.dynamic; nothing was
// changed.
type PlacementError struct {
	Cluster string
	Keys    []Diff
}

func (e *PlacementError) Error() string {
	seen := map[string][]string{}
	var keys []string
	for _, d := range e.Keys {
		if _, ok := seen[d.Key]; !ok {
			keys = append(keys, d.Key)
		}
		seen[d.Key] = append(seen[d.Key], strconv.Itoa(int(d.Broker)))
	}
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s (broker %s)", k, strings.Join(seen[k], ","))
	}
	return fmt.Sprintf("cluster %s: read-only config under config.dynamic: %s; Kafka can change these only through "+
		"server.properties and a restart: move them to config.static (kfleet then edits the file and restarts "+
		"only the brokers that change); nothing was changed", e.Cluster, strings.Join(parts, ", "))
}

// FaultKind says what kind of failure this is (usage: nothing was changed).
func (e *PlacementError) FaultKind() fault.Kind { return fault.Usage }

// ApplyError says applying dynamic values failed part-way.
type ApplyError struct {
	Cluster string
	Applied []string // resources that took their changes
	Failed  []Rejection
}

func (e *ApplyError) Error() string {
	parts := make([]string, len(e.Failed))
	for i, r := range e.Failed {
		parts[i] = r.String()
	}
	applied := "none"
	if len(e.Applied) > 0 {
		applied = strings.Join(e.Applied, ", ")
	}
	return fmt.Sprintf("cluster %s: applying dynamic configs failed: %s; already applied: %s; no file was edited and no broker restarted; "+
		"see kfleet config diff", e.Cluster, strings.Join(parts, "; "), applied)
}

// alterRequest builds one IncrementalAlterConfigs request: cluster-wide sets on resource "", per
// broker sets and deletes on the broker's resource.
func (p *Plan) alterRequest(validate bool) *kmsg.IncrementalAlterConfigsRequest {
	req := kmsg.NewPtrIncrementalAlterConfigsRequest()
	req.ValidateOnly = validate
	add := func(name string, sets map[string]string, deletes []string) {
		if len(sets)+len(deletes) == 0 {
			return
		}
		r := kmsg.NewIncrementalAlterConfigsRequestResource()
		r.ResourceType = kmsg.ConfigResourceTypeBroker
		r.ResourceName = name
		for _, k := range sortedKeys(sets) {
			c := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
			c.Name, c.Op, c.Value = k, kmsg.IncrementalAlterConfigOpSet, kmsg.StringPtr(sets[k])
			r.Configs = append(r.Configs, c)
		}
		for _, k := range deletes {
			c := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
			c.Name, c.Op = k, kmsg.IncrementalAlterConfigOpDelete
			r.Configs = append(r.Configs, c)
		}
		req.Resources = append(req.Resources, r)
	}
	add("", p.clusterSets, nil)
	ids := map[int32]bool{}
	for id := range p.brokerSets {
		ids[id] = true
	}
	for id := range p.deletes {
		ids[id] = true
	}
	sorted := make([]int32, 0, len(ids))
	for id := range ids {
		sorted = append(sorted, id)
	}
	slices.Sort(sorted)
	for _, id := range sorted {
		add(strconv.Itoa(int(id)), p.brokerSets[id], p.deletes[id])
	}
	return req
}

type resourceResult struct {
	name string
	err  string // "" when it succeeded
	keys []kmsg.IncrementalAlterConfigsRequestResourceConfig
}

func sendAlter(ctx context.Context, cl *kgo.Client, cluster string, req *kmsg.IncrementalAlterConfigsRequest) ([]resourceResult, error) {
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, kafka.Failure(cluster, kafka.OpAlterBrokerConfigs, err)
	}
	byName := map[string]kmsg.IncrementalAlterConfigsResponseResource{}
	for _, r := range resp.Resources {
		byName[r.ResourceName] = r
	}
	var out []resourceResult
	for _, r := range req.Resources {
		res := resourceResult{name: r.ResourceName, keys: r.Configs}
		got, ok := byName[r.ResourceName]
		switch {
		case !ok:
			res.err = "no answer for this resource"
		case kafka.IsAuthorizationError(kerr.ErrorForCode(got.ErrorCode)):
			// Refused by an ACL, not by validation: the whole apply cannot proceed.
			return nil, kafka.Failure(cluster, kafka.OpAlterBrokerConfigs, kerr.ErrorForCode(got.ErrorCode))
		case got.ErrorCode != 0:
			res.err = kerr.ErrorForCode(got.ErrorCode).Error()
			if got.ErrorMessage != nil && *got.ErrorMessage != "" {
				res.err = *got.ErrorMessage
			}
		}
		out = append(out, res)
	}
	return out, nil
}

func resourceBroker(name string) int32 {
	if name == "" {
		return -1
	}
	id, _ := strconv.Atoi(name)
	return int32(id)
}

func rejectionsFor(r resourceResult, reason string) []Rejection {
	var out []Rejection
	for _, c := range r.keys {
		v := "(delete)"
		if c.Value != nil {
			v = *c.Value
		}
		if sensitiveName(c.Name) {
			v = masked
		}
		out = append(out, Rejection{Broker: resourceBroker(r.name), Key: c.Name, Value: v, Reason: reason})
	}
	return out
}

// Validate asks Kafka to validate every dynamic change without applying it. A resource
// with several keys that is refused is re-validated key by key, so the error names the key.
func Validate(ctx context.Context, cl *kgo.Client, p *Plan) error {
	if !p.Dynamic() {
		return nil
	}
	req := p.alterRequest(true)
	res, err := sendAlter(ctx, cl, p.Cluster, req)
	if err != nil {
		return err
	}
	var rejected []Rejection
	for _, r := range res {
		if r.err == "" {
			continue
		}
		if len(r.keys) == 1 {
			rejected = append(rejected, rejectionsFor(r, r.err)...)
			continue
		}
		for _, c := range r.keys {
			one := kmsg.NewPtrIncrementalAlterConfigsRequest()
			one.ValidateOnly = true
			rr := kmsg.NewIncrementalAlterConfigsRequestResource()
			rr.ResourceType, rr.ResourceName = kmsg.ConfigResourceTypeBroker, r.name
			rr.Configs = []kmsg.IncrementalAlterConfigsRequestResourceConfig{c}
			one.Resources = []kmsg.IncrementalAlterConfigsRequestResource{rr}
			sub, err := sendAlter(ctx, cl, p.Cluster, one)
			if err != nil {
				return err
			}
			if sub[0].err != "" {
				rejected = append(rejected, rejectionsFor(sub[0], sub[0].err)...)
			}
		}
		if !slices.ContainsFunc(rejected, func(x Rejection) bool { return x.Broker == resourceBroker(r.name) }) {
			// Each key passes alone but not together: name them all.
			rejected = append(rejected, rejectionsFor(r, r.err)...)
		}
	}
	if len(rejected) > 0 {
		return &RejectedError{Cluster: p.Cluster, Rejections: rejected}
	}
	return nil
}

// ApplyDynamic applies the dynamic changes. Kafka applies each resource on its own, so a failure
// names what was already applied.
func ApplyDynamic(ctx context.Context, cl *kgo.Client, p *Plan) error {
	if !p.Dynamic() {
		return nil
	}
	res, err := sendAlter(ctx, cl, p.Cluster, p.alterRequest(false))
	if err != nil {
		return err
	}
	e := &ApplyError{Cluster: p.Cluster}
	for _, r := range res {
		who := "cluster-wide defaults"
		if r.name != "" {
			who = "broker " + r.name
		}
		if r.err == "" {
			e.Applied = append(e.Applied, who)
		} else {
			e.Failed = append(e.Failed, rejectionsFor(r, r.err)...)
		}
	}
	if len(e.Failed) > 0 {
		return e
	}
	return nil
}

// WriteConfigFile replaces one broker's server.properties: it refuses if the file changed since
// it was read, keeps a timestamped backup next to it, writes the new text to a temporary file in
// the same directory (with the original's mode and owner) and renames it over the original.
// It returns the backup's path.
func WriteConfigFile(ctx context.Context, hosts Hosts, b *inventory.Broker, e FileEdit, now time.Time) (string, error) {
	sum := sha256.Sum256(e.old)
	backup := e.Path + ".kfleet-" + now.UTC().Format("20060102T150405Z") + ".bak"
	tmp := e.Path + ".kfleet-tmp"
	q := ssh.ShellQuote
	script := strings.Join([]string{
		"set -e",
		"f=" + q(e.Path) + "; b=" + q(backup) + "; t=" + q(tmp),
		`trap 'rm -f -- "$t"' EXIT`,
		`[ "$(sha256sum < "$f" | cut -d' ' -f1)" = ` + q(hex.EncodeToString(sum[:])) + ` ] || ` +
			`{ echo "$f changed since kfleet read it; run config apply again" >&2; exit 3; }`,
		`cp -p -- "$f" "$b"`,
		`cp -p -- "$f" "$t"`,
		`cat > "$t"`,
		`mv -f -- "$t" "$f"`,
	}, "\n")
	var stderr bytes.Buffer
	code, err := hosts.Run(ctx, ssh.TargetFor(b), script, bytes.NewReader(e.new), nil, &stderr)
	if err != nil {
		return "", fmt.Errorf("broker %d (%s): writing %s: %w", b.ID, b.Host, e.Path, err)
	}
	if code != 0 {
		return "", fmt.Errorf("broker %d (%s): writing %s failed (exit %d): %s", b.ID, b.Host, e.Path, code,
			strings.TrimSpace(stderr.String()))
	}
	return backup, nil
}

// WaitApplied polls until no difference that apply can fix remains, or timeout passes;
// dynamic values reach each broker through the metadata log, a moment after Kafka accepts them.
func WaitApplied(ctx context.Context, cl *kgo.Client, hosts Hosts, c *inventory.Cluster, brokers []*inventory.Broker,
	timeout, poll time.Duration) ([]Diff, error) {
	deadline := time.Now().Add(timeout)
	for {
		live, err := ReadLive(ctx, cl, hosts, c, brokers)
		if err != nil {
			return nil, err
		}
		var left []Diff
		for _, d := range Compare(c, brokers, live) {
			if d.Action != ActionNone {
				left = append(left, d)
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return left, nil
		}
		select {
		case <-ctx.Done():
			return left, ctx.Err()
		case <-time.After(poll):
		}
	}
}
