package inventory

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// maxRange bounds a broker id range such as 1-100, so a typo like 1-1000000000 is refused
// instead of allocating a billion ids.
const maxRange = 10000

// Select returns the clusters with the given names, in the order given and without repeats, or
// every cluster in file order when names is empty.
func (f *Fleet) Select(names []string) ([]*Cluster, error) {
	if len(names) == 0 {
		return slices.Clone(f.Clusters), nil
	}
	known := make([]string, len(f.Clusters))
	byName := make(map[string]*Cluster, len(f.Clusters))
	for i, c := range f.Clusters {
		known[i] = c.Name
		byName[c.Name] = c
	}
	var out []*Cluster
	var unknown []string
	seen := map[string]bool{}
	for _, name := range names {
		if seen[name] {
			continue
		}
		seen[name] = true
		c, ok := byName[name]
		if !ok {
			u := strconv.Quote(name)
			if s := Closest(name, known); s != "" {
				u += fmt.Sprintf(" (did you mean %q?)", s)
			}
			unknown = append(unknown, u)
			continue
		}
		out = append(out, c)
	}
	if len(unknown) > 0 {
		noun := "cluster"
		if len(unknown) > 1 {
			noun = "clusters"
		}
		return nil, &SelectionError{Msg: fmt.Sprintf("unknown %s %s; the inventory has: %s",
			noun, strings.Join(unknown, ", "), strings.Join(known, ", "))}
	}
	return out, nil
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
