package inventory

import (
	"fmt"
	"maps"
	"math"
	"path"
	"slices"
	"strconv"
	"strings"
)

// maxRange bounds a broker id range such as 1-100, so a typo like 1-1000000000 is refused
// instead of allocating a billion ids.
const maxRange = 10000

// Select returns the clusters that names select, in file order and without repeats; no names
// select every cluster. See SelectWhere.
func (f *Fleet) Select(names []string) ([]*Cluster, error) {
	return f.SelectWhere(names, Selector{})
}

// SelectWhere returns the clusters that names select and whose labels match sel, in file order
// and without repeats. A name is a cluster name or a shell-style pattern (path.Match: *, ? and
// [...]); no names select every cluster. A name the inventory does not have, a pattern that
// matches no cluster and a selection left empty by sel are errors: a command never runs on
// nothing, nor on everything by mistake.
func (f *Fleet) SelectWhere(names []string, sel Selector) ([]*Cluster, error) {
	picked, err := f.pick(names)
	if err != nil {
		return nil, err
	}
	var out, candidates []*Cluster
	for i, c := range f.Clusters {
		if !picked[i] {
			continue
		}
		candidates = append(candidates, c)
		if sel.Matches(c.Labels) {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, &SelectionError{Msg: noMatch(names, sel, candidates)}
	}
	return out, nil
}

// pick marks the clusters that names select.
func (f *Fleet) pick(names []string) ([]bool, error) {
	picked := make([]bool, len(f.Clusters))
	known := make([]string, len(f.Clusters))
	for i, c := range f.Clusters {
		known[i] = c.Name
		picked[i] = len(names) == 0
	}
	var unknown, unmatched []string
	seen := map[string]bool{}
	for _, name := range names {
		if seen[name] {
			continue
		}
		seen[name] = true
		if strings.ContainsAny(name, `*?[\`) {
			matched := false
			for i, c := range f.Clusters {
				ok, err := path.Match(name, c.Name)
				if err != nil {
					return nil, &SelectionError{Msg: fmt.Sprintf("invalid cluster pattern %q: %v; patterns use *, ? and [...] as in the shell", name, err)}
				}
				picked[i] = picked[i] || ok
				matched = matched || ok
			}
			if !matched {
				unmatched = append(unmatched, strconv.Quote(name))
			}
			continue
		}
		i := slices.Index(known, name)
		if i < 0 {
			u := strconv.Quote(name)
			if s := Closest(name, known); s != "" {
				u += fmt.Sprintf(" (did you mean %q?)", s)
			}
			unknown = append(unknown, u)
			continue
		}
		picked[i] = true
	}
	var problems []string
	if len(unknown) > 0 {
		problems = append(problems, fmt.Sprintf("unknown %s %s", plural(len(unknown), "cluster", "clusters"), strings.Join(unknown, ", ")))
	}
	if len(unmatched) > 0 {
		problems = append(problems, fmt.Sprintf("%s %s %s no cluster", plural(len(unmatched), "pattern", "patterns"),
			strings.Join(unmatched, ", "), plural(len(unmatched), "matches", "match")))
	}
	if len(problems) > 0 {
		return nil, &SelectionError{Msg: fmt.Sprintf("%s; the inventory has: %s", strings.Join(problems, "; "), strings.Join(known, ", "))}
	}
	return picked, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// noMatch says that sel left nothing of the candidates that names selected, and why when it
// can tell: a label key no candidate has, or a value none of them has.
func noMatch(names []string, sel Selector, candidates []*Cluster) string {
	msg := fmt.Sprintf("no cluster matches -l %q", sel.String())
	if len(names) > 0 {
		quoted := make([]string, len(names))
		for i, n := range names {
			quoted[i] = "-c " + strconv.Quote(n)
		}
		msg += fmt.Sprintf(" among the clusters %s selects (%s)", strings.Join(quoted, " "), strings.Join(clusterNames(candidates), ", "))
	}
	values := map[string][]string{} // label key -> the candidates' values, sorted, unique
	for _, c := range candidates {
		for k, v := range c.Labels {
			if !slices.Contains(values[k], v) {
				values[k] = append(values[k], v)
			}
		}
	}
	keys := slices.Sorted(maps.Keys(values))
	for _, r := range sel.reqs {
		vs, has := values[r.key]
		switch {
		case !has && (r.op == opExists || r.op == opEquals || r.op == opIn):
			hint := fmt.Sprintf("no cluster has the label %q", r.key)
			if s := Closest(r.key, keys); s != "" {
				hint += fmt.Sprintf(" (did you mean %q?)", s)
			} else if len(keys) > 0 {
				hint += "; their labels are: " + strings.Join(keys, ", ")
			}
			msg += "; " + hint
		case has && (r.op == opEquals || r.op == opIn) && !slices.ContainsFunc(r.values, func(v string) bool { return slices.Contains(vs, v) }):
			slices.Sort(vs)
			hint := fmt.Sprintf("label %s has the values: %s", r.key, strings.Join(vs, ", "))
			if s := Closest(r.values[0], vs); s != "" && len(r.values) == 1 {
				hint += fmt.Sprintf(" (did you mean %q?)", s)
			}
			msg += "; " + hint
		}
	}
	return msg
}

// clusterNames lists the clusters' names.
func clusterNames(cs []*Cluster) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name
	}
	return out
}

// SelectBrokers returns the brokers with the given ids, in the order given and without
// repeats, or every broker in file order when ids is empty.
func (c *Cluster) SelectBrokers(ids []int32) ([]*Broker, error) {
	if len(ids) == 0 {
		return slices.Clone(c.Brokers), nil
	}
	var out []*Broker
	var unknown []string
	seen := map[int32]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		if b := c.Broker(id); b != nil {
			out = append(out, b)
		} else {
			unknown = append(unknown, strconv.Itoa(int(id)))
		}
	}
	if len(unknown) > 0 {
		known := make([]string, len(c.Brokers))
		for i, b := range c.Brokers {
			known[i] = strconv.Itoa(int(b.ID))
		}
		noun := "broker"
		if len(unknown) > 1 {
			noun = "brokers"
		}
		return nil, &SelectionError{Msg: fmt.Sprintf("cluster %s has no %s %s; its brokers are: %s",
			c.Name, noun, strings.Join(unknown, ", "), strings.Join(known, ", "))}
	}
	return out, nil
}

// Broker returns the broker with the given id, or nil.
func (c *Cluster) Broker(id int32) *Broker {
	for _, b := range c.Brokers {
		if b.ID == id {
			return b
		}
	}
	return nil
}

// ParseBrokerIDs reads broker ids as given on a command line: comma-separated lists, repeated
// values and inclusive ranges, so "1,2" "4-6" means 1, 2, 4, 5, 6. Order is kept and repeats
// dropped. No values means no selection (all brokers); an empty value is an error, so that an
// empty variable in `--brokers "$IDS"` never turns into "every broker".
func ParseBrokerIDs(values []string) ([]int32, error) {
	var out []int32
	seen := map[int32]bool{}
	add := func(id int32) {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	for _, v := range values {
		if strings.TrimSpace(v) == "" {
			return nil, &SelectionError{Msg: "empty broker id list; give ids such as 1,2 or 4-6, or leave the flag out for all brokers"}
		}
		for tok := range strings.SplitSeq(v, ",") {
			tok = strings.TrimSpace(tok)
			lo, hi, err := parseIDRange(tok)
			if err != "" {
				return nil, &SelectionError{Msg: fmt.Sprintf("invalid broker id %q in %q: %s", tok, v, err)}
			}
			for id := lo; id <= hi; id++ {
				add(int32(id))
			}
		}
	}
	return out, nil
}

// parseIDRange reads "3" or "4-6"; it returns what is wrong, or "".
func parseIDRange(tok string) (lo, hi int64, problem string) {
	if tok == "" {
		return 0, 0, "empty entry (stray comma?)"
	}
	a, b, isRange := strings.Cut(tok, "-")
	if !isRange {
		b = a
	}
	lo, okLo := parseID(a)
	hi, okHi := parseID(b)
	switch {
	case !okLo || !okHi:
		return 0, 0, "ids are whole numbers from 0 to 2147483647, ranges are written 4-6"
	case lo > hi:
		return 0, 0, "a range goes from low to high"
	case hi-lo >= maxRange:
		return 0, 0, fmt.Sprintf("a range covers at most %d ids", maxRange)
	}
	return lo, hi, ""
}

func parseID(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsAny(s, "+-") {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil && v >= 0 && v <= math.MaxInt32
}
