package inventory

import (
	"encoding/json"
	"slices"
	"time"

	"go.yaml.in/yaml/v3"
)

// Rollout hooks are executables on the machine running kfleet, run for every broker of a batch
// around its stop and start. They are cluster-wide: written under defaults or a cluster, never
// under a broker. A cluster's list for a phase replaces the defaults' list for that phase (an
// explicit [] clears it); timeout merges like any other scalar.

const defaultHookTimeout = 5 * time.Minute

var hookKeys = []string{"pre_stop", "post_stop", "post_start", "timeout"}

// brokerMisplaced are keys that are valid at other levels but not under a broker.
var brokerMisplaced = map[string]string{
	"hooks":       "hooks are set per cluster or in defaults, not per broker; move this to the cluster",
	"labels":      "labels are set per cluster or in defaults, not per broker; move this to the cluster",
	"maintenance": "maintenance windows are set per cluster or in defaults, not per broker; move this to the cluster",
	"metadata":    "metadata is set per cluster or in defaults, not per broker; move this to the cluster",
}

// Hooks are the executables a rolling operation runs on this machine for each broker of a batch:
// PreStop before the broker is stopped, PostStop once it is confirmed stopped, PostStart once it
// is back and the cluster is healthy. Paths are absolute. A phase without hooks is nil, never an
// empty slice. Timeout bounds one run of one hook; it is always set (5m unless configured).
type Hooks struct {
	PreStop   []string      `json:"pre_stop,omitempty" yaml:"pre_stop,omitempty"`
	PostStop  []string      `json:"post_stop,omitempty" yaml:"post_stop,omitempty"`
	PostStart []string      `json:"post_start,omitempty" yaml:"post_start,omitempty"`
	Timeout   time.Duration // rendered as "timeout": "5m" by MarshalJSON and MarshalYAML
}

// hooksDoc is Hooks as rendered by `inventory show`: the timeout as a duration such as "5m".
type hooksDoc struct {
	PreStop   []string `json:"pre_stop,omitempty" yaml:"pre_stop,omitempty"`
	PostStop  []string `json:"post_stop,omitempty" yaml:"post_stop,omitempty"`
	PostStart []string `json:"post_start,omitempty" yaml:"post_start,omitempty"`
	Timeout   string   `json:"timeout" yaml:"timeout"`
}

func (h Hooks) doc() hooksDoc {
	return hooksDoc{PreStop: h.PreStop, PostStop: h.PostStop, PostStart: h.PostStart, Timeout: formatDuration(h.Timeout)}
}

// MarshalJSON renders Hooks with the inventory's key names and the timeout as a string.
func (h Hooks) MarshalJSON() ([]byte, error) { return json.Marshal(h.doc()) }

// MarshalYAML renders Hooks with the inventory's key names and the timeout as a string.
func (h Hooks) MarshalYAML() (any, error) { return h.doc(), nil }

// hooksLayer is one level's hooks. A nil list means the level does not mention that phase; a
// non-nil empty list clears what outer levels set.
type hooksLayer struct {
	preStop, postStop, postStart *[]string
	timeout                      *time.Duration
}

func (d *decoder) hooksLayer(n *yaml.Node, path string) hooksLayer {
	var l hooksLayer
	if n == nil {
		return l
	}
	if n = d.deref(n); isNull(n) {
		return l
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "must be a mapping with pre_stop, post_stop, post_start and timeout, got %s", describe(n))
		return l
	}
	f := d.mapping(n, path, hookKeys)
	if f == nil {
		return l
	}
	l.preStop = d.hookList(f.get("pre_stop"), join(path, "pre_stop"))
	l.postStop = d.hookList(f.get("post_stop"), join(path, "post_stop"))
	l.postStart = d.hookList(f.get("post_start"), join(path, "post_start"))
	l.timeout = d.duration(f.get("timeout"), join(path, "timeout"))
	return l
}

// hookList reads a list of executable paths on this machine, expanded like every local path.
// Whether the files exist is not checked: the inventory may be validated elsewhere.
func (d *decoder) hookList(n *yaml.Node, path string) *[]string {
	if n == nil {
		return nil
	}
	if n = d.deref(n); isNull(n) {
		return nil
	}
	items, ok := d.sequence(n, path, "a list of executable paths, e.g. [/usr/local/bin/drain-check]")
	if !ok {
		return nil
	}
	out := []string{}
	for i, item := range items {
		p := index(path, i)
		if item = d.deref(item); isNull(item) {
			d.typeError(item, p, "the path of an executable")
			continue
		}
		if v := d.localPath(item, p, false); v != nil {
			out = append(out, *v)
		}
	}
	return &out
}

// over applies the inner level o on top of l: each phase's list is replaced as a whole.
func (l *hooksLayer) over(o hooksLayer) {
	set(&l.preStop, o.preStop)
	set(&l.postStop, o.postStop)
	set(&l.postStart, o.postStart)
	set(&l.timeout, o.timeout)
}

func (l hooksLayer) resolve() Hooks {
	return Hooks{
		PreStop:   hookPaths(l.preStop),
		PostStop:  hookPaths(l.postStop),
		PostStart: hookPaths(l.postStart),
		Timeout:   or(l.timeout, defaultHookTimeout),
	}
}

// hookPaths copies a merged list, so clusters inheriting the same defaults share no slice.
func hookPaths(p *[]string) []string {
	if p == nil || len(*p) == 0 {
		return nil
	}
	return slices.Clone(*p)
}
