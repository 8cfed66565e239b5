package inventory

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func brokerIDs(bs []*Broker) []int32 {
	var out []int32
	for _, b := range bs {
		out = append(out, b.ID)
	}
	return out
}

func TestSelectClusters(t *testing.T) {
	fleet := loadExample(t)
	tests := []struct {
		names   []string
		want    []string
		wantErr string
	}{
		{nil, []string{"payments-prod", "logs-staging"}, ""},
		{[]string{"logs-staging"}, []string{"logs-staging"}, ""},
		// Inventory order, not the order given; repeats once.
		{[]string{"logs-staging", "payments-prod", "logs-staging"}, []string{"payments-prod", "logs-staging"}, ""},
		{[]string{"*"}, []string{"payments-prod", "logs-staging"}, ""},
		{[]string{"logs-*"}, []string{"logs-staging"}, ""},
		{[]string{"*-prod", "logs-staging"}, []string{"payments-prod", "logs-staging"}, ""},
		{[]string{"payments-pro?"}, []string{"payments-prod"}, ""},
		{[]string{"[lp]*-st*"}, []string{"logs-staging"}, ""},
		{[]string{"pay-*"}, nil, `pattern "pay-*" matches no cluster; the inventory has: payments-prod, logs-staging`},
		{[]string{"pay-*", "logs-*", "x?"}, nil, `patterns "pay-*", "x?" match no cluster; the inventory has: payments-prod, logs-staging`},
		{[]string{"paymnets-prod", "x-*"}, nil, `unknown cluster "paymnets-prod" (did you mean "payments-prod"?); pattern "x-*" matches no cluster; the inventory has: payments-prod, logs-staging`},
		{[]string{"logs-[a-"}, nil, `invalid cluster pattern "logs-[a-": syntax error in pattern; patterns use *, ? and [...] as in the shell`},
		{[]string{""}, nil, `unknown cluster ""; the inventory has: payments-prod, logs-staging`},
		{[]string{"paymnets-prod"}, nil, `unknown cluster "paymnets-prod" (did you mean "payments-prod"?); the inventory has: payments-prod, logs-staging`},
		{[]string{"a", "logs-staging", "b"}, nil, `unknown clusters "a", "b"; the inventory has: payments-prod, logs-staging`},
	}
	for _, tt := range tests {
		got, err := fleet.Select(tt.names)
		if tt.wantErr != "" {
			var se *SelectionError
			if !errors.As(err, &se) || se.Msg != tt.wantErr {
				t.Errorf("Select(%q) error = %v, want %s", tt.names, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(clusterNames(got), tt.want) {
			t.Errorf("Select(%q) = %v, %v; want %v", tt.names, clusterNames(got), err, tt.want)
		}
	}
}

func TestSelectBrokers(t *testing.T) {
	pay := loadExample(t).Clusters[0]
	tests := []struct {
		ids     []int32
		want    []int32
		wantErr string
	}{
		{nil, []int32{1, 2, 3}, ""},
		{[]int32{3, 1, 3}, []int32{3, 1}, ""},
		{[]int32{7}, nil, "cluster payments-prod has no broker 7; its brokers are: 1, 2, 3"},
		{[]int32{1, 7, 9}, nil, "cluster payments-prod has no brokers 7, 9; its brokers are: 1, 2, 3"},
	}
	for _, tt := range tests {
		got, err := pay.SelectBrokers(tt.ids)
		if tt.wantErr != "" {
			var se *SelectionError
			if !errors.As(err, &se) || se.Msg != tt.wantErr {
				t.Errorf("SelectBrokers(%v) error = %v, want %s", tt.ids, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(brokerIDs(got), tt.want) {
			t.Errorf("SelectBrokers(%v) = %v, %v; want %v", tt.ids, brokerIDs(got), err, tt.want)
		}
	}
	if b := pay.Broker(2); b == nil || b.Host != "pay-k2.corp.example" {
		t.Errorf("Broker(2) = %+v, want pay-k2.corp.example", b)
	}
	if b := pay.Broker(42); b != nil {
		t.Errorf("Broker(42) = %+v, want nil", b)
	}
}

func TestParseBrokerIDs(t *testing.T) {
	tests := []struct {
		values  []string
		want    []int32
		wantErr string // the SelectionError names the bad token
	}{
		{nil, nil, ""},
		{[]string{"1,2,3"}, []int32{1, 2, 3}, ""},
		{[]string{"3", "1"}, []int32{3, 1}, ""},
		{[]string{"4-6"}, []int32{4, 5, 6}, ""},
		{[]string{"1, 4-6", "2,5"}, []int32{1, 4, 5, 6, 2}, ""},
		{[]string{"0"}, []int32{0}, ""},
		{[]string{"7-7"}, []int32{7}, ""},
		{[]string{"2147483647"}, []int32{2147483647}, ""},
		{[]string{""}, nil, "empty broker id list"},
		{[]string{"1,,2"}, nil, `invalid broker id "" in "1,,2"`},
		{[]string{"one"}, nil, `invalid broker id "one"`},
		{[]string{"-1"}, nil, `invalid broker id "-1"`},
		{[]string{"6-4"}, nil, `invalid broker id "6-4" in "6-4": a range goes from low to high`},
		{[]string{"1-2-3"}, nil, `invalid broker id "1-2-3"`},
		{[]string{"0-100000"}, nil, `invalid broker id "0-100000" in "0-100000": a range covers at most 10000 ids`},
		{[]string{"2147483648"}, nil, `invalid broker id "2147483648"`},
		{[]string{"+1"}, nil, `invalid broker id "+1"`},
	}
	for _, tt := range tests {
		got, err := ParseBrokerIDs(tt.values)
		if tt.wantErr != "" {
			var se *SelectionError
			if !errors.As(err, &se) || !strings.Contains(se.Msg, tt.wantErr) {
				t.Errorf("ParseBrokerIDs(%q) error = %v, want one containing %s", tt.values, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseBrokerIDs(%q) = %v, %v; want %v", tt.values, got, err, tt.want)
		}
	}
}

// The example fleet's labels: payments-prod {team: kafka-sre, tier: payments, env: prod, dc: sg1},
// logs-staging {team: kafka-sre, tier: shared, env: staging, dc: sg2, kfleet.io/canary: "true"}.
func TestSelectWhereLabels(t *testing.T) {
	fleet := loadExample(t)
	tests := []struct {
		names   []string
		sel     string
		want    []string
		wantErr string
	}{
		{nil, "env=prod", []string{"payments-prod"}, ""},
		{nil, "team=kafka-sre", []string{"payments-prod", "logs-staging"}, ""}, // inherited from defaults
		{nil, "tier=shared", []string{"logs-staging"}, ""},
		{nil, "kfleet.io/canary", []string{"logs-staging"}, ""},
		{nil, "!kfleet.io/canary", []string{"payments-prod"}, ""},
		{nil, "kfleet.io/canary!=true", []string{"payments-prod"}, ""},
		{nil, "dc notin (sg2)", []string{"payments-prod"}, ""},
		{nil, "env in (prod, staging)", []string{"payments-prod", "logs-staging"}, ""},
		// -c and -l together: the clusters both select.
		{[]string{"*"}, "dc=sg2", []string{"logs-staging"}, ""},
		{[]string{"logs-staging", "payments-prod"}, "team", []string{"payments-prod", "logs-staging"}, ""},
		{[]string{"payments-*"}, "env in (prod)", []string{"payments-prod"}, ""},
		// Nothing selected: exit 2, naming the selector (and -c), with what would have matched.
		{nil, "env=prd", nil, `no cluster matches -l "env=prd"; label env has the values: prod, staging (did you mean "prod"?)`},
		{nil, "evn=prod", nil, `no cluster matches -l "evn=prod"; no cluster has the label "evn" (did you mean "env"?)`},
		{nil, "owner", nil, `no cluster matches -l "owner"; no cluster has the label "owner"; their labels are: dc, env, kfleet.io/canary, team, tier`},
		{nil, "env=prod,dc=sg2", nil, `no cluster matches -l "env=prod,dc=sg2"`},
		{[]string{"payments-*"}, "env=staging", nil, `no cluster matches -l "env=staging" among the clusters -c "payments-*" selects (payments-prod); label env has the values: prod`},
		{[]string{"logs-staging"}, "!team", nil, `no cluster matches -l "!team" among the clusters -c "logs-staging" selects (logs-staging)`},
		// A bad -c is reported as such even when -l would select nothing.
		{[]string{"nope-*"}, "env=prod", nil, `pattern "nope-*" matches no cluster`},
	}
	for _, tt := range tests {
		sel, err := ParseSelector([]string{tt.sel})
		if err != nil {
			t.Fatalf("ParseSelector(%q): %v", tt.sel, err)
		}
		got, err := fleet.SelectWhere(tt.names, sel)
		if tt.wantErr != "" {
			var se *SelectionError
			if !errors.As(err, &se) || !strings.HasPrefix(se.Msg, tt.wantErr) {
				t.Errorf("SelectWhere(%q, %q) error = %v, want %s", tt.names, tt.sel, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(clusterNames(got), tt.want) {
			t.Errorf("SelectWhere(%q, %q) = %v, %v; want %v", tt.names, tt.sel, clusterNames(got), err, tt.want)
		}
	}
}
