package inventory

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// The inventory is decoded by walking yaml.Node trees rather than unmarshalling into structs, so
// that every value keeps its line and column and every problem can be reported where it is.

const (
	// maxReported is how many problems an Errors holds; past it, one more line says there are more.
	maxReported = 50
	// maxCollected stops decoding a hopeless file early.
	maxCollected = 1000
	// maxVisits bounds the work of expanding aliases, so a small file cannot expand into a huge one.
	maxVisits = 2_000_000
	// maxMergeDepth bounds nested YAML merge keys (<<), which can also form cycles.
	maxMergeDepth = 32
)

// stop is the panic value that ends decoding early; Parse recovers it.
type stop struct{}

type decoder struct {
	file    string
	dir     string // absolute directory of the inventory; relative local paths resolve against it
	home    string
	homeErr error
	errs    Errors
	seen    map[Error]bool
	visits  int

	userLooked bool
	user0      string // the current OS user, looked up once

	zones map[string]*time.Location // time zones by name, loaded once
}

func (d *decoder) pos(n *yaml.Node) Pos {
	if n == nil || n.Line < 1 {
		return Pos{File: d.file, Line: 1, Column: 1}
	}
	return Pos{File: d.file, Line: n.Line, Column: max(n.Column, 1)}
}

// errorAt records a problem once: a setting inherited by many brokers is wrong only once.
func (d *decoder) errorAt(p Pos, field, format string, args ...any) {
	e := Error{Pos: p, Field: field, Msg: fmt.Sprintf(format, args...)}
	if d.seen[e] {
		return
	}
	if d.seen == nil {
		d.seen = map[Error]bool{}
	}
	d.seen[e] = true
	d.errs = append(d.errs, &e)
	if len(d.errs) >= maxCollected {
		panic(stop{})
	}
}

func (d *decoder) errorf(n *yaml.Node, field, format string, args ...any) {
	d.errorAt(d.pos(n), field, format, args...)
}

// deref follows aliases to the node they name and counts the work done.
func (d *decoder) deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	d.visits++
	if d.visits > maxVisits {
		d.errorf(n, "", "the inventory is too large once its aliases are expanded")
		panic(stop{})
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// describe names what a node holds, for "must be X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch tag := n.ShortTag(); tag {
		case "!!null":
			return "nothing"
		case "!!bool":
			return "the boolean " + n.Value
		case "!!int":
			return "the integer " + n.Value
		case "!!float":
			return "the number " + n.Value
		case "!!str":
			return "the string " + strconv.Quote(truncate(n.Value, 40))
		default:
			return "a " + tag + " value"
		}
	}
	return "an unsupported YAML node"
}

// describeKind is describe without the value, for fields that might hold a secret by mistake.
func describeKind(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		switch n.ShortTag() {
		case "!!str":
			return "a string"
		case "!!int", "!!float":
			return "a number"
		}
	}
	return describe(n)
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "..."
}

func (d *decoder) typeError(n *yaml.Node, path, want string) {
	d.errorf(n, path, "must be %s, got %s", want, describe(n))
}

// join extends a field path with a key, quoting keys that are not plain names.
func join(path, key string) string {
	plain := key != ""
	for _, r := range key {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			plain = false
			break
		}
	}
	switch {
	case !plain:
		return path + "[" + strconv.Quote(key) + "]"
	case path == "":
		return key
	default:
		return path + "." + key
	}
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// fields is a decoded mapping: the value node of each known key that is present.
type fields struct {
	node   *yaml.Node // the mapping itself, where "missing" problems point
	path   string
	vals   map[string]*yaml.Node
	hinted map[string]bool // known keys that an unknown key looked like a typo of
	secret bool            // an inline secret was refused here
}

func (f *fields) get(key string) *yaml.Node {
	if f == nil {
		return nil
	}
	return f.vals[key]
}

type pair struct{ key, val *yaml.Node }

// mapping checks that n is a mapping whose keys are unique, known and not inline secrets, and
// returns its known fields. It returns nil, having reported why, when n is not a mapping; an
// absent or null n yields an empty result so optional sections need no special case.
func (d *decoder) mapping(n *yaml.Node, path string, known []string) *fields {
	return d.mappingExcept(n, path, known, nil)
}

// mappingExcept is mapping for a level where some keys valid elsewhere are refused: misplaced
// maps each such key to the message that says where it belongs.
func (d *decoder) mappingExcept(n *yaml.Node, path string, known []string, misplaced map[string]string) *fields {
	f := &fields{node: n, path: path, vals: map[string]*yaml.Node{}, hinted: map[string]bool{}}
	if n == nil {
		return f
	}
	n = d.deref(n)
	f.node = n
	if isNull(n) {
		return f
	}
	if n.Kind != yaml.MappingNode {
		d.typeError(n, path, "a mapping")
		return nil
	}
	for _, e := range d.entries(n, path) {
		if msg, ok := misplaced[e.name]; ok {
			d.errorf(e.key, join(path, e.name), "%s", msg)
			continue
		}
		if !slices.Contains(known, e.name) {
			d.unknownKey(e.key, path, e.name, known, f)
			continue
		}
		f.vals[e.name] = e.val
	}
	return f
}

// entry is one key/value pair of a mapping whose key is a name.
type entry struct {
	name     string
	key, val *yaml.Node
}

// entries lists the pairs of the mapping n (merge keys applied) whose keys are names, reporting
// keys that are not and keys written twice.
func (d *decoder) entries(n *yaml.Node, path string) []entry {
	var out []entry
	seen := map[string]*yaml.Node{}
	for _, p := range d.pairs(n, path, 0) {
		name, ok := d.keyName(p.key, path)
		if !ok {
			continue
		}
		if first, dup := seen[name]; dup {
			d.errorf(p.key, join(path, name), "duplicate key (first at line %d)", first.Line)
			continue
		}
		seen[name] = p.key
		out = append(out, entry{name, p.key, p.val})
	}
	return out
}

// keyName returns a mapping key as a string; keys must be plain scalars.
func (d *decoder) keyName(k *yaml.Node, path string) (string, bool) {
	k = d.deref(k)
	if k.Kind != yaml.ScalarNode || isNull(k) {
		d.errorf(k, path, "keys must be names, got %s", describe(k))
		return "", false
	}
	return k.Value, true
}

func (d *decoder) unknownKey(k *yaml.Node, path, name string, known []string, f *fields) {
	fp := join(path, name)
	if isInlineSecret(name) {
		f.secret = true
		d.errorf(k, fp, "%s", inlineSecretMsg(path))
		return
	}
	if s := Closest(name, known); s != "" {
		f.hinted[s] = true
		d.errorf(k, fp, "unknown key; did you mean %q?", s)
		return
	}
	d.errorf(k, fp, "unknown key; expected one of: %s", strings.Join(known, ", "))
}

// pairs lists a mapping's key/value pairs with YAML merge keys (<<) applied: keys written in the
// mapping win over merged ones, and earlier merged mappings win over later ones.
func (d *decoder) pairs(n *yaml.Node, path string, depth int) []pair {
	var out, merged []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merged = append(merged, d.mergeSource(v, path, depth)...)
			continue
		}
		out = append(out, pair{k, v})
	}
	if len(merged) == 0 {
		return out
	}
	have := map[string]bool{}
	for _, p := range out {
		if k := d.deref(p.key); k.Kind == yaml.ScalarNode {
			have[k.Value] = true
		}
	}
	for _, p := range merged {
		k := d.deref(p.key)
		if k.Kind == yaml.ScalarNode {
			if have[k.Value] {
				continue
			}
			have[k.Value] = true
		}
		out = append(out, p)
	}
	return out
}

func (d *decoder) mergeSource(v *yaml.Node, path string, depth int) []pair {
	v = d.deref(v)
	if depth >= maxMergeDepth {
		d.errorf(v, path, "merge keys (<<) nested too deeply or in a cycle")
		return nil
	}
	switch v.Kind {
	case yaml.MappingNode:
		return d.pairs(v, path, depth+1)
	case yaml.SequenceNode:
		var out []pair
		for _, item := range v.Content {
			item = d.deref(item)
			if item.Kind != yaml.MappingNode {
				d.errorf(item, path, "merge key (<<) must merge mappings, got %s", describe(item))
				continue
			}
			out = append(out, d.pairs(item, path, depth+1)...)
		}
		return out
	}
	d.errorf(v, path, "merge key (<<) must merge a mapping or a list of mappings, got %s", describe(v))
	return nil
}

// scalarMapRules say what a free-form mapping of names to scalar values accepts.
type scalarMapRules struct {
	want      string              // what the mapping is, for "must be ..."
	key       func(string) string // what is wrong with a key, or ""
	value     func(string) string // what is wrong with a value, or ""; nil accepts any
	notScalar string              // the problem with a value that is no scalar; %s is what it is
}

// scalarMap decodes a free-form mapping of names to scalar values, kept as written (8, true, 1.5
// and "x" all become strings). It also returns where each key was written. An absent or null n
// yields nil.
func (d *decoder) scalarMap(n *yaml.Node, path string, rules scalarMapRules) (map[string]string, map[string]*yaml.Node) {
	if n == nil {
		return nil, nil
	}
	if n = d.deref(n); isNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		d.typeError(n, path, rules.want)
		return nil, nil
	}
	out := map[string]string{}
	at := map[string]*yaml.Node{}
	for _, e := range d.entries(n, path) {
		fp, key := join(path, e.name), d.deref(e.key)
		at[e.name] = key
		if msg := rules.key(e.name); msg != "" {
			d.errorf(key, fp, "%s", msg)
			continue
		}
		v := d.deref(e.val)
		if isNull(v) || v.Kind != yaml.ScalarNode {
			d.errorf(v, fp, rules.notScalar, describe(v))
			continue
		}
		if rules.value != nil {
			if msg := rules.value(v.Value); msg != "" {
				d.errorf(v, fp, "%s", msg)
				continue
			}
		}
		out[e.name] = v.Value
	}
	return out, at
}

// required returns the value of key, reporting it at the mapping when it is missing. A missing
// key that an unknown key looked like a typo of is not reported twice.
func (d *decoder) required(f *fields, key string) *yaml.Node {
	if f == nil {
		return nil
	}
	v := f.vals[key]
	if v != nil && !isNull(d.deref(v)) {
		return v
	}
	if !f.hinted[key] {
		d.errorf(f.node, join(f.path, key), "required but missing")
	}
	return nil
}

// sequence returns the items of a list, reporting anything else.
func (d *decoder) sequence(n *yaml.Node, path, want string) ([]*yaml.Node, bool) {
	n = d.deref(n)
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, path, "must be %s, got %s", want, describe(n))
		return nil, false
	}
	return n.Content, true
}

// scalar returns the scalar at n, or nil when n is absent or null (meaning "not set here").
func (d *decoder) scalar(n *yaml.Node, path, want string) *yaml.Node {
	if n == nil {
		return nil
	}
	n = d.deref(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.ScalarNode {
		d.typeError(n, path, want)
		return nil
	}
	return n
}

// str reads a string. Numbers are taken as written (rack: 1); booleans are refused as they are
// almost always a mistake.
func (d *decoder) str(n *yaml.Node, path string) *string {
	s := d.scalar(n, path, "a string")
	if s == nil {
		return nil
	}
	switch s.ShortTag() {
	case "!!str", "!!int", "!!float":
		v := s.Value
		return &v
	}
	d.errorf(s, path, "must be a string, got %s (quote it if you mean the text)", describe(s))
	return nil
}

// text reads a string that must not be empty.
func (d *decoder) text(n *yaml.Node, path string) *string {
	v := d.str(n, path)
	if v != nil && strings.TrimSpace(*v) == "" {
		d.errorf(d.deref(n), path, "must not be empty")
		return nil
	}
	return v
}

// integer reads an integer within [lo, hi].
func (d *decoder) integer(n *yaml.Node, path string, lo, hi int64) *int64 {
	s := d.scalar(n, path, "an integer")
	if s == nil {
		return nil
	}
	if s.ShortTag() != "!!int" {
		d.errorf(s, path, "must be an integer between %d and %d, got %s", lo, hi, describe(s))
		return nil
	}
	var v int64
	if err := s.Decode(&v); err != nil || v < lo || v > hi {
		d.errorf(s, path, "must be between %d and %d, got %s", lo, hi, s.Value)
		return nil
	}
	return &v
}

func (d *decoder) port(n *yaml.Node, path string) *int {
	v := d.integer(n, path, 1, 65535)
	if v == nil {
		return nil
	}
	p := int(*v)
	return &p
}

func (d *decoder) boolean(n *yaml.Node, path string) *bool {
	s := d.scalar(n, path, "true or false")
	if s == nil {
		return nil
	}
	var v bool
	if s.ShortTag() != "!!bool" || s.Decode(&v) != nil {
		d.errorf(s, path, "must be true or false, got %s", describe(s))
		return nil
	}
	return &v
}

// duration reads a positive Go duration such as 10s or 5m.
func (d *decoder) duration(n *yaml.Node, path string) *time.Duration {
	s := d.scalar(n, path, "a duration")
	if s == nil {
		return nil
	}
	if s.ShortTag() != "!!str" {
		d.errorf(s, path, "must be a duration with a unit such as 10s or 5m, got %s", describe(s))
		return nil
	}
	v, err := time.ParseDuration(s.Value)
	if err != nil {
		d.errorf(s, path, "must be a duration such as 10s, 1m30s or 5m, got %q", truncate(s.Value, 40))
		return nil
	}
	if v <= 0 {
		d.errorf(s, path, "must be longer than zero, got %s", s.Value)
		return nil
	}
	return &v
}
