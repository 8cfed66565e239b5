package fleet

import (
	"cmp"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/fault"
)

// CanaryLabel marks the clusters a counted canary takes first, when its value is "true".
const CanaryLabel = "kfleet.io/canary"

// Wave is a set of clusters operated on at the same time.
type Wave struct {
	Number int  `json:"number"` // 1, 2, ... across the whole plan
	Canary bool `json:"canary"`
	// Group is the value of the --wave-by label every cluster of the wave has, "(no LABEL)" for
	// clusters without it, "" without --wave-by.
	Group    string   `json:"group"`
	Clusters []string `json:"clusters"` // in inventory order
}

// WaveOptions are the wave flags as given. Their zero value is the default plan: a canary of one
// cluster, then one cluster at a time.
type WaveOptions struct {
	// Canary is --canary: one count ("0" for no canary), or cluster names. Entries may hold
	// several values separated by commas. Empty: the default, one cluster.
	Canary []string
	// MaxClusters is --max-clusters: a count ("10") or a percentage ("25%"). Empty: 1.
	MaxClusters string
	// Waves is --waves, a progression of counts and percentages, one per wave, the last
	// repeating ("1", "5", "25%", "100%"; entries may hold several separated by commas).
	Waves []string
	// WaveBy is --wave-by: a label key no wave may mix two values of.
	WaveBy string
}

// Plan splits the clusters, given in inventory order, into waves: the canary first, then waves
// sized by --max-clusters or --waves, each inside one --wave-by group (see the package doc).
// Every cluster is in exactly one wave. Errors are usage errors naming the flag and its value.
func Plan(clusters []*inventory.Cluster, o WaveOptions) ([]Wave, error) {
	sizes, err := o.sizes()
	if err != nil {
		return nil, err
	}
	canary, err := parseCanary(o.Canary)
	if err != nil {
		return nil, err
	}
	index := make(map[string]int, len(clusters))
	for i, c := range clusters {
		if _, dup := index[c.Name]; dup {
			return nil, fault.Usagef("plan waves: cluster %s is selected twice", c.Name)
		}
		index[c.Name] = i
	}
	isCanary, err := canary.pick(clusters, index)
	if err != nil {
		return nil, err
	}
	groups, err := groupBy(clusters, o.WaveBy)
	if err != nil {
		return nil, err
	}

	p := planner{clusters: clusters, names: make([]string, 0, len(clusters))}
	// The canary first: one wave per group it touches (one wave without --wave-by).
	for _, g := range groups {
		for _, i := range g.members {
			if isCanary[i] {
				p.add(i)
			}
		}
		p.cut(g.name, true)
	}
	// Then each group on its own, its progression starting again, its percentages of its size.
	for _, g := range groups {
		step := 0
		for _, i := range g.members {
			if isCanary[i] {
				continue
			}
			p.add(i)
			if len(p.names)-p.start == sizes[step].of(len(g.members)) {
				p.cut(g.name, false)
				step = min(step+1, len(sizes)-1)
			}
		}
		p.cut(g.name, false)
	}
	return p.waves, nil
}

// planner lays the waves' names out in one slice, each wave a window of it.
type planner struct {
	clusters []*inventory.Cluster
	names    []string
	start    int // where the wave being filled starts in names
	waves    []Wave
}

func (p *planner) add(i int) { p.names = append(p.names, p.clusters[i].Name) }

// cut closes the wave being filled, if it holds any cluster.
func (p *planner) cut(group string, canary bool) {
	end := len(p.names)
	if end == p.start {
		return
	}
	p.waves = append(p.waves, Wave{Number: len(p.waves) + 1, Canary: canary, Group: group,
		Clusters: p.names[p.start:end:end]})
	p.start = end
}

// size is a wave's size: a count, or a percentage of the clusters being split.
type size struct {
	count, percent int // exactly one is set
}

// of is the size's number of clusters out of total: percentages round down, to at least 1.
func (s size) of(total int) int {
	if s.percent == 0 {
		return s.count
	}
	return max(1, total*s.percent/100)
}

// sizes is the progression of wave sizes after the canary, its last entry repeating.
func (o WaveOptions) sizes() ([]size, error) {
	waves := splitValues(o.Waves)
	switch {
	case o.MaxClusters != "" && len(waves) > 0:
		return nil, fault.Usagef("--max-clusters and --waves cannot be used together: --max-clusters gives every wave one size, " +
			"--waves a progression of sizes; keep one")
	case len(waves) > 0:
		out := make([]size, len(waves))
		for i, w := range waves {
			s, why := parseSize(w)
			if why != "" {
				return nil, fault.Usagef("--waves %s: entry %d (%q) %s", strings.Join(waves, ","), i+1, w, why)
			}
			out[i] = s
		}
		return out, nil
	case o.MaxClusters != "":
		s, why := parseSize(strings.TrimSpace(o.MaxClusters))
		if why != "" {
			return nil, fault.Usagef("--max-clusters %q: %s", o.MaxClusters, why)
		}
		return []size{s}, nil
	}
	return []size{{count: 1}}, nil
}

// parseSize reads "10" or "25%", or says what is wrong with it.
func parseSize(s string) (size, string) {
	if num, ok := strings.CutSuffix(s, "%"); ok {
		n, err := strconv.Atoi(num)
		if err != nil || n < 1 || n > 100 {
			return size{}, "must be a percentage from 1% to 100%"
		}
		return size{percent: n}, ""
	}
	n, err := strconv.Atoi(s)
	switch {
	case err != nil:
		return size{}, "must be a number of clusters (10) or a percentage of them (25%)"
	case n < 1:
		return size{}, "must be at least 1 cluster"
	}
	return size{count: n}, ""
}

// splitValues splits flag values on commas, so that "1,5" and "1" "5" read the same.
func splitValues(values []string) []string {
	var out []string
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			out = append(out, strings.TrimSpace(part))
		}
	}
	return out
}

// canarySpec is --canary: a count, or names.
type canarySpec struct {
	count int
	names []string
}

// parseCanary reads --canary. One whole number is a count, even when a cluster has it as its
// name; anything else is a list of cluster names.
func parseCanary(values []string) (canarySpec, error) {
	entries := splitValues(values)
	if len(entries) == 0 {
		return canarySpec{count: 1}, nil
	}
	given := strings.Join(entries, ",")
	if len(entries) == 1 {
		if n, err := strconv.Atoi(entries[0]); err == nil {
			if n < 0 {
				return canarySpec{}, fault.Usagef("--canary %s: a count must be 0 (no canary) or more", given)
			}
			return canarySpec{count: n}, nil
		}
		if strings.HasSuffix(entries[0], "%") {
			return canarySpec{}, fault.Usagef("--canary %s: give a number of clusters or their names, not a percentage", given)
		}
	}
	for i, name := range entries {
		if name == "" {
			return canarySpec{}, fault.Usagef("--canary %s: entry %d is empty", given, i+1)
		}
		if slices.Contains(entries[:i], name) {
			return canarySpec{}, fault.Usagef("--canary %s: cluster %s is named twice", given, name)
		}
	}
	return canarySpec{names: entries}, nil
}

// pick marks the canary clusters: the named ones, or up to count of them, those labelled
// kfleet.io/canary: "true" first, then the others in inventory order.
func (c canarySpec) pick(clusters []*inventory.Cluster, index map[string]int) ([]bool, error) {
	is := make([]bool, len(clusters))
	if len(c.names) > 0 {
		for _, name := range c.names {
			i, ok := index[name]
			if !ok {
				return nil, unknownCanary(name, clusters)
			}
			is[i] = true
		}
		return is, nil
	}
	left := c.count
	for i, cl := range clusters {
		if left > 0 && strings.EqualFold(cl.Labels[CanaryLabel], "true") {
			is[i] = true
			left--
		}
	}
	for i := range clusters {
		if left > 0 && !is[i] {
			is[i] = true
			left--
		}
	}
	return is, nil
}

func unknownCanary(name string, clusters []*inventory.Cluster) error {
	names := make([]string, len(clusters))
	for i, c := range clusters {
		names[i] = c.Name
	}
	hint := ""
	if s := inventory.Closest(name, names); s != "" {
		hint = "; did you mean " + s + "?"
	}
	return fault.Usagef("--canary %s: no such cluster among the %d selected (check -c and -l)%s", name, len(clusters), hint)
}

// group is the clusters of one --wave-by value, as indexes in inventory order.
type group struct {
	name    string
	members []int
}

// groupBy splits the clusters by the value of the label key, groups in the inventory order of
// their first cluster; without a key, all the clusters are one group named "".
func groupBy(clusters []*inventory.Cluster, key string) ([]group, error) {
	all := make([]int, len(clusters))
	for i := range all {
		all[i] = i
	}
	if key == "" {
		return []group{{members: all}}, nil
	}
	none := "(no " + key + ")"
	// A counting sort into all keeps each group a window of one slice, in inventory order.
	at := map[string]int{}
	var groups []group
	count := make([]int, 0, 16)
	of := make([]int, len(clusters))
	for i, c := range clusters {
		v := cmp.Or(c.Labels[key], none)
		g, ok := at[v]
		if !ok {
			g = len(groups)
			at[v] = g
			groups = append(groups, group{name: v})
			count = append(count, 0)
		}
		of[i] = g
		count[g]++
	}
	if len(groups) == 1 && groups[0].name == none {
		return nil, noSuchLabel(key, clusters)
	}
	next := make([]int, len(groups))
	for g, start := 0, 0; g < len(groups); g++ {
		next[g] = start
		groups[g].members = all[start : start+count[g] : start+count[g]]
		start += count[g]
	}
	for i := range clusters {
		all[next[of[i]]] = i
		next[of[i]]++
	}
	return groups, nil
}

func noSuchLabel(key string, clusters []*inventory.Cluster) error {
	keys := map[string]bool{}
	for _, c := range clusters {
		for k := range c.Labels {
			keys[k] = true
		}
	}
	known := slices.Sorted(maps.Keys(keys))
	hint := ""
	switch s := inventory.Closest(key, known); {
	case s != "":
		hint = "; did you mean " + s + "?"
	case len(known) > 0:
		hint = "; their labels are: " + strings.Join(known, ", ")
	}
	return fault.Usagef("--wave-by %s: none of the %d selected clusters has the label %s%s", key, len(clusters), key, hint)
}
