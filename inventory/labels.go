package inventory

import (
	"fmt"
	"maps"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Labels classify clusters (env: prod, dc: sg1) so that commands can select them with -l. Keys and
// values follow Kubernetes' label syntax, so that selectors read the same as kubectl's. A
// cluster's labels are merged over defaults.labels key by key, the cluster winning.

const (
	maxLabelName   = 63
	maxLabelPrefix = 253
)

var (
	// labelNameRE is a label name, and a non-empty label value: alphanumerics, '-', '_' and '.',
	// starting and ending with an alphanumeric.
	labelNameRE = regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`)
	// dnsSubdomainRE is a label key's prefix: a lowercase DNS subdomain.
	dnsSubdomainRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
)

// checkLabelKey returns what is wrong with a label key, or "".
func checkLabelKey(k string) string {
	prefix, name, hasPrefix := strings.Cut(k, "/")
	if !hasPrefix {
		name = k
	}
	switch {
	case k == "":
		return "a label key must not be empty"
	case strings.Count(k, "/") > 1:
		return "a label key has at most one '/', between a DNS prefix and the name (kfleet.io/canary)"
	case hasPrefix && prefix == "":
		return "the prefix before '/' must not be empty"
	case hasPrefix && len(prefix) > maxLabelPrefix:
		return fmt.Sprintf("the prefix before '/' is longer than %d characters", maxLabelPrefix)
	case hasPrefix && !dnsSubdomainRE.MatchString(prefix):
		return "the prefix before '/' must be a lowercase DNS subdomain such as kfleet.io"
	case name == "":
		return "the name after '/' must not be empty"
	}
	return checkLabelWord(name, "the name")
}

// checkLabelValue returns what is wrong with a label value, or "". Empty values are allowed.
func checkLabelValue(v string) string {
	if v == "" {
		return ""
	}
	return checkLabelWord(v, "a label value")
}

// checkLabelWord returns what is wrong with a label key's name or a non-empty label value, or "".
func checkLabelWord(s, what string) string {
	switch {
	case len(s) > maxLabelName:
		return fmt.Sprintf("%s is longer than %d characters", what, maxLabelName)
	case !labelNameRE.MatchString(s):
		return what + " must be letters, digits, '-', '_' and '.', starting and ending with a letter or digit"
	}
	return ""
}

// labels decodes a labels mapping. Scalar values are taken as written, so env: prod, canary: true
// and tier: 1 give "prod", "true" and "1"; lists, mappings and null are refused. A nil result
// means the level sets no labels.
func (d *decoder) labels(n *yaml.Node, path string) map[string]string {
	labels, _ := d.scalarMap(n, path, scalarMapRules{
		want: "a mapping of label key to value, such as {env: prod, dc: sg1}",
		key: func(k string) string {
			if msg := checkLabelKey(k); msg != "" {
				return fmt.Sprintf("invalid label key %q: %s", truncate(k, 80), msg)
			}
			if isInlineSecret(k) {
				return "inline secrets are not allowed; labels are printed by every command that lists clusters, so a label cannot hold one"
			}
			return ""
		},
		value: func(v string) string {
			if msg := checkLabelValue(v); msg != "" {
				return fmt.Sprintf("invalid label value %q: %s", truncate(v, 80), msg)
			}
			return ""
		},
		notScalar: "a label value must be a string, got %s (write \"\" for an empty value)",
	})
	return labels
}

// mergeLabels returns base with over's labels on top, key by key; never nil, so that clusters
// without labels render as {}.
func mergeLabels(base, over map[string]string) map[string]string {
	out := make(map[string]string, len(base)+len(over))
	maps.Copy(out, base)
	maps.Copy(out, over)
	return out
}
