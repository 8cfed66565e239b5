package inventory

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseSelector(t *testing.T) {
	req := func(key string, op selectorOp, values ...string) requirement {
		return requirement{key: key, op: op, values: values}
	}
	tests := []struct {
		values []string
		want   []requirement
	}{
		{nil, nil},
		{[]string{"env"}, []requirement{req("env", opExists)}},
		{[]string{"!env"}, []requirement{req("env", opNotExists)}},
		{[]string{"! env"}, []requirement{req("env", opNotExists)}},
		{[]string{"env=prod"}, []requirement{req("env", opEquals, "prod")}},
		{[]string{"env==prod"}, []requirement{req("env", opEquals, "prod")}},
		{[]string{"env!=prod"}, []requirement{req("env", opNotEquals, "prod")}},
		{[]string{"env="}, []requirement{req("env", opEquals, "")}},
		{[]string{"env in (prod,staging)"}, []requirement{req("env", opIn, "prod", "staging")}},
		{[]string{"env notin (dev)"}, []requirement{req("env", opNotIn, "dev")}},
		{[]string{"env in(prod)"}, []requirement{req("env", opIn, "prod")}},
		{[]string{"kfleet.io/canary=true"}, []requirement{req("kfleet.io/canary", opEquals, "true")}},
		{[]string{"  env = prod ,  dc != sg2 , tier in ( a , b ) , ! canary , zone  "}, []requirement{
			req("env", opEquals, "prod"), req("dc", opNotEquals, "sg2"), req("tier", opIn, "a", "b"),
			req("canary", opNotExists), req("zone", opExists),
		}},
		// Several -l must all hold.
		{[]string{"env=prod", "dc in (sg1)"}, []requirement{req("env", opEquals, "prod"), req("dc", opIn, "sg1")}},
	}
	for _, tt := range tests {
		got, err := ParseSelector(tt.values)
		if err != nil || !reflect.DeepEqual(got.reqs, tt.want) {
			t.Errorf("ParseSelector(%q) = %+v, %v; want %+v", tt.values, got.reqs, err, tt.want)
		}
	}
	if s, _ := ParseSelector([]string{"env=prod", "dc!=sg2"}); s.String() != "env=prod,dc!=sg2" {
		t.Errorf("String() = %q, want the selectors as given, joined", s.String())
	}
}

func TestParseSelectorErrorsSayWhereAndWhat(t *testing.T) {
	tests := []struct {
		in   string
		want string // the SelectionError contains this
	}{
		{"", "empty selector; give requirements such as env=prod,dc!=sg2, or leave -l out"},
		{"  ", "empty selector"},
		{"env=prod,", `invalid selector "env=prod,": at the end: nothing after the last ',' (stray comma?)`},
		{"env=prod,,dc=sg1", `at character 10 (",dc=sg1"): empty requirement (stray comma?)`},
		{",env", `at character 1 (",env"): empty requirement`},
		{"env=prod dc=sg1", `at character 10 ("dc=sg1"): expected ',' before the next requirement`},
		{"dc!sg2", `at character 3 ("!sg2"): expected =, ==, !=, in or notin after the key "dc"`},
		{"env > 5", `at character 5 ("> 5"): expected =, ==, !=, in or notin`},
		{"env is prod", `at character 5 ("is prod"): expected =, ==, !=, in or notin after the key "env"`},
		{"=prod", `at character 1 ("=prod"): expected a label key`},
		{"!", "at the end: expected a label key"},
		{"!env=prod", `at character 5 ("=prod"): !env takes no value; to match another value write env!=value`},
		{"-env=prod", `at character 1 ("-env=prod"): invalid label key "-env": the name must be`},
		{"Kfleet.io/canary", `invalid label key "Kfleet.io/canary": the prefix before '/' must be a lowercase DNS subdomain`},
		{"env=prod/eu", `at character 5 ("prod/eu"): invalid value "prod/eu"`},
		{"env in prod", `at character 8 ("prod"): expected '(' and a list of values`},
		{"env in", "at the end: expected '(' and a list of values"},
		{"env in (prod", `at character 8 ("(prod"): '(' is not closed`},
		{"env in (prod, staging", `'(' is not closed`},
		{"env in ()", `at character 9 (")"): the list of values is empty`},
		{"env in (prod,,dev)", `at character 14 (",dev)"): empty value in the list (stray comma?)`},
		{"env in (prod,)", `at character 14 (")"): empty value in the list`},
		{"env notin (prod dev)", `at character 17 ("dev)"): expected ',' or ')' in the list of values`},
		{"env in (-x)", `invalid value "-x"`},
		{"env=prod)", `at character 9 (")"): expected ','`},
	}
	for _, tt := range tests {
		_, err := ParseSelector([]string{tt.in})
		var se *SelectionError
		if !errors.As(err, &se) || !strings.Contains(se.Msg, tt.want) {
			t.Errorf("ParseSelector(%q) error = %v, want one containing %s", tt.in, err, tt.want)
		}
		if err != nil && tt.in != "" && strings.TrimSpace(tt.in) != "" && !strings.HasSuffix(se.Msg, selectorGrammar) {
			t.Errorf("ParseSelector(%q) error = %v, want it to end with the grammar", tt.in, err)
		}
	}
}

func TestSelectorMatches(t *testing.T) {
	prod := map[string]string{"env": "prod", "dc": "sg1", "canary": ""}
	bare := map[string]string{}
	tests := []struct {
		sel        string
		prod, bare bool
	}{
		{"env", true, false},
		{"!env", false, true},
		{"canary", true, false}, // an empty value is still a label
		{"env=prod", true, false},
		{"env==prod", true, false},
		{"env=dev", false, false},
		{"canary=", true, false},
		// != and notin hold for clusters without the label, as in Kubernetes.
		{"env!=prod", false, true},
		{"env!=dev", true, true},
		{"env in (dev,prod)", true, false},
		{"env in (dev)", false, false},
		{"env notin (prod)", false, true},
		{"env notin (dev,staging)", true, true},
		{"env=prod,dc=sg1", true, false},
		{"env=prod,dc=sg2", false, false},
		{"env=prod,!canary", false, false},
	}
	for _, tt := range tests {
		s, err := ParseSelector([]string{tt.sel})
		if err != nil {
			t.Fatalf("ParseSelector(%q): %v", tt.sel, err)
		}
		if got := s.Matches(prod); got != tt.prod {
			t.Errorf("%q matches %v = %v, want %v", tt.sel, prod, got, tt.prod)
		}
		if got := s.Matches(bare); got != tt.bare {
			t.Errorf("%q matches a cluster without labels = %v, want %v", tt.sel, got, tt.bare)
		}
	}
	if !(Selector{}).Matches(bare) || !(Selector{}).Empty() {
		t.Error("the zero Selector must match every cluster")
	}
}

// FuzzParseSelector: any input is a selector or a SelectionError, never a panic; what parses has
// only valid label keys and values.
func FuzzParseSelector(f *testing.F) {
	for _, s := range []string{"env=prod,dc!=sg2", "tier in (a, b),!canary", "x notin ()", "a==b", "k8s.io/x", "env in (prod"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseSelector([]string{in})
		if err != nil {
			var se *SelectionError
			if !errors.As(err, &se) {
				t.Fatalf("error %T %v, want *SelectionError", err, err)
			}
			return
		}
		for _, r := range s.reqs {
			if checkLabelKey(r.key) != "" {
				t.Fatalf("%q: accepted the key %q", in, r.key)
			}
			for _, v := range r.values {
				if checkLabelValue(v) != "" {
					t.Fatalf("%q: accepted the value %q", in, v)
				}
			}
		}
	})
}
