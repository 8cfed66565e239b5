package inventory

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// A selector picks clusters by their labels, in kubectl's syntax: comma-separated requirements
// that must all hold, each one of
//
//	key            the cluster has the label
//	!key           the cluster does not have the label
//	key=value      (or key==value) the label has this value
//	key!=value     the label has another value, or the cluster does not have it
//	key in (a,b)   the label has one of these values
//	key notin (a,b) the label has none of these values, or the cluster does not have it
//
// with whitespace allowed around operators and inside parentheses.

type selectorOp string

const (
	opExists    selectorOp = ""
	opNotExists selectorOp = "!"
	opEquals    selectorOp = "="
	opNotEquals selectorOp = "!="
	opIn        selectorOp = "in"
	opNotIn     selectorOp = "notin"
)

type requirement struct {
	key    string
	op     selectorOp
	values []string
}

// Selector is a parsed label selector. The zero Selector matches every cluster.
type Selector struct {
	text string // as given, for messages
	reqs []requirement
}

// Empty says the selector has no requirements: it matches every cluster.
func (s Selector) Empty() bool { return len(s.reqs) == 0 }

// String is the selector as given.
func (s Selector) String() string { return s.text }

// Matches says whether labels meet every requirement.
func (s Selector) Matches(labels map[string]string) bool {
	for _, r := range s.reqs {
		if !r.matches(labels) {
			return false
		}
	}
	return true
}

// matches follows Kubernetes: != and notin hold for clusters without the label.
func (r requirement) matches(labels map[string]string) bool {
	v, has := labels[r.key]
	switch r.op {
	case opExists:
		return has
	case opNotExists:
		return !has
	case opEquals, opIn:
		return has && slices.Contains(r.values, v)
	case opNotEquals, opNotIn:
		return !has || !slices.Contains(r.values, v)
	}
	return false
}

// ParseSelector reads label selectors as given on a command line. Several values must all hold,
// as if joined by commas. No values is the empty selector (every cluster); an empty value is an
// error, so that an empty variable in `-l "$SEL"` never turns into "every cluster".
func ParseSelector(values []string) (Selector, error) {
	var s Selector
	for _, v := range values {
		if strings.TrimSpace(v) == "" {
			return Selector{}, &SelectionError{Msg: "empty selector; give requirements such as env=prod,dc!=sg2, or leave -l out for every cluster"}
		}
		reqs, err := parseRequirements(v)
		if err != nil {
			return Selector{}, err
		}
		s.reqs = append(s.reqs, reqs...)
	}
	s.text = strings.Join(values, ",")
	return s, nil
}

// selectorGrammar ends every syntax error, so that the fix is at hand.
const selectorGrammar = "requirements are key, !key, key=value, key!=value, key in (a,b) or key notin (a,b), separated by commas"

type selectorParser struct {
	text string
	in   []rune
	pos  int
}

func parseRequirements(text string) ([]requirement, error) {
	p := &selectorParser{text: text, in: []rune(text)}
	var reqs []requirement
	for {
		p.space()
		switch {
		case p.eof():
			return nil, p.fail(p.pos, "nothing after the last ',' (stray comma?)")
		case p.peek() == ',':
			return nil, p.fail(p.pos, "empty requirement (stray comma?)")
		}
		r, err := p.requirement()
		if err != nil {
			return nil, err
		}
		reqs = append(reqs, r)
		p.space()
		if p.eof() {
			return reqs, nil
		}
		if p.peek() != ',' {
			return nil, p.fail(p.pos, "expected ',' before the next requirement")
		}
		p.pos++
	}
}

func (p *selectorParser) requirement() (requirement, error) {
	if p.peek() == '!' {
		p.pos++
		p.space()
		key, err := p.key()
		if err != nil {
			return requirement{}, err
		}
		if p.space(); !p.eof() && p.peek() != ',' {
			return requirement{}, p.fail(p.pos, "!%s takes no value; to match another value write %s!=value", key, key)
		}
		return requirement{key: key, op: opNotExists}, nil
	}
	key, err := p.key()
	if err != nil {
		return requirement{}, err
	}
	r := requirement{key: key}
	p.space()
	switch {
	case p.eof() || p.peek() == ',':
		r.op = opExists
		return r, nil
	case p.has("=="):
		r.op, p.pos = opEquals, p.pos+2
	case p.has("!="):
		r.op, p.pos = opNotEquals, p.pos+2
	case p.has("="):
		r.op, p.pos = opEquals, p.pos+1
	default:
		at := p.pos
		switch word := p.run(unicode.IsLetter); word {
		case "in":
			r.op = opIn
		case "notin":
			r.op = opNotIn
		default:
			return r, p.fail(at, "expected =, ==, !=, in or notin after the key %q", key)
		}
		r.values, err = p.list()
		return r, err
	}
	p.space()
	at := p.pos
	v := p.run(isSelectorWord)
	if msg := checkLabelValue(v); msg != "" {
		return r, p.fail(at, "invalid value %q: %s", v, msg)
	}
	r.values = []string{v}
	return r, nil
}

func (p *selectorParser) key() (string, error) {
	at := p.pos
	key := p.run(isSelectorWord)
	if key == "" {
		return "", p.fail(at, "expected a label key")
	}
	if msg := checkLabelKey(key); msg != "" {
		return "", p.fail(at, "invalid label key %q: %s", key, msg)
	}
	return key, nil
}

// list reads "(a, b)" after in or notin.
func (p *selectorParser) list() ([]string, error) {
	p.space()
	if p.eof() || p.peek() != '(' {
		return nil, p.fail(p.pos, "expected '(' and a list of values, as in env in (prod,staging)")
	}
	open := p.pos
	p.pos++
	var values []string
	for {
		p.space()
		at := p.pos
		v := p.run(isSelectorWord)
		p.space()
		switch {
		case p.eof():
			return nil, p.fail(open, "'(' is not closed")
		case v == "" && p.peek() == ')' && len(values) == 0:
			return nil, p.fail(at, "the list of values is empty")
		case v == "" && (p.peek() == ',' || p.peek() == ')'):
			return nil, p.fail(at, "empty value in the list (stray comma?)")
		}
		if msg := checkLabelValue(v); msg != "" {
			return nil, p.fail(at, "invalid value %q: %s", v, msg)
		}
		values = append(values, v)
		switch p.peek() {
		case ')':
			p.pos++
			return values, nil
		case ',':
			p.pos++
		default:
			return nil, p.fail(p.pos, "expected ',' or ')' in the list of values")
		}
	}
}

// isSelectorWord is what keys and values are made of: anything but the selector's punctuation
// and whitespace. What is left is then checked as a label key or value.
func isSelectorWord(r rune) bool {
	return !unicode.IsSpace(r) && !strings.ContainsRune(",=!()<>", r)
}

func (p *selectorParser) run(ok func(rune) bool) string {
	start := p.pos
	for !p.eof() && ok(p.in[p.pos]) {
		p.pos++
	}
	return string(p.in[start:p.pos])
}

func (p *selectorParser) space() {
	for !p.eof() && unicode.IsSpace(p.in[p.pos]) {
		p.pos++
	}
}

func (p *selectorParser) eof() bool { return p.pos >= len(p.in) }

func (p *selectorParser) peek() rune { return p.in[p.pos] }

func (p *selectorParser) has(s string) bool { return strings.HasPrefix(string(p.in[p.pos:]), s) }

// fail names the character where the selector goes wrong (counting from 1) and what is there.
func (p *selectorParser) fail(at int, format string, args ...any) error {
	where := "at the end"
	if at < len(p.in) {
		where = fmt.Sprintf("at character %d (%q)", at+1, truncate(string(p.in[at:]), 20))
	}
	return &SelectionError{Msg: fmt.Sprintf("invalid selector %q: %s: %s; %s", p.text, where, fmt.Sprintf(format, args...), selectorGrammar)}
}
