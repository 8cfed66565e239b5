package fleet

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/fault"
)

// clusters builds a fleet from "name" or "name dc=sg1 kfleet.io/canary=true" specs.
func clusters(specs ...string) []*inventory.Cluster {
	var out []*inventory.Cluster
	for _, s := range specs {
		fields := strings.Fields(s)
		c := &inventory.Cluster{Name: fields[0], Labels: map[string]string{}}
		for _, l := range fields[1:] {
			k, v, _ := strings.Cut(l, "=")
			c.Labels[k] = v
		}
		out = append(out, c)
	}
	return out
}

// numbered is n clusters c01, c02, ... labelled dc by dc(i).
func numbered(n int, dc func(i int) string) []*inventory.Cluster {
	var specs []string
	for i := range n {
		s := fmt.Sprintf("c%02d", i+1)
		if dc != nil && dc(i) != "" {
			s += " dc=" + dc(i)
		}
		specs = append(specs, s)
	}
	return clusters(specs...)
}

// w is a wave for the tables: canary marks it a canary, group is its --wave-by value.
func w(n int, canary bool, group string, names ...string) Wave {
	return Wave{Number: n, Canary: canary, Group: group, Clusters: names}
}

func TestPlanWaves(t *testing.T) {
	five := clusters("a", "b", "c", "d", "e")
	dcs := clusters("a dc=sg1", "b dc=sg2", "c dc=sg1", "d", "e dc=sg2", "f dc=sg3", "g dc=sg1", "h dc=")
	tests := []struct {
		name     string
		clusters []*inventory.Cluster
		opts     WaveOptions
		want     []Wave
	}{
		{"defaults: the first cluster alone as the canary, then one at a time", five, WaveOptions{},
			[]Wave{w(1, true, "", "a"), w(2, false, "", "b"), w(3, false, "", "c"), w(4, false, "", "d"), w(5, false, "", "e")}},
		{"the labelled canary comes first, wherever it is", clusters("a", "b", "c kfleet.io/canary=true"), WaveOptions{},
			[]Wave{w(1, true, "", "c"), w(2, false, "", "a"), w(3, false, "", "b")}},
		{"only the value true marks a canary (any case)", clusters("a kfleet.io/canary=false", "b", "c kfleet.io/canary=True"), WaveOptions{},
			[]Wave{w(1, true, "", "c"), w(2, false, "", "a"), w(3, false, "", "b")}},
		{"canary 0: no canary wave, the label is ignored", clusters("a", "b kfleet.io/canary=true"),
			WaveOptions{Canary: []string{"0"}, MaxClusters: "2"},
			[]Wave{w(1, false, "", "a", "b")}},
		{"canary 3: the labelled ones, then inventory order, listed in inventory order",
			clusters("a", "b", "c", "d kfleet.io/canary=true", "e"), WaveOptions{Canary: []string{"3"}, MaxClusters: "2"},
			[]Wave{w(1, true, "", "a", "b", "d"), w(2, false, "", "c", "e")}},
		{"more labelled canaries than the count: the first ones", clusters("a kfleet.io/canary=true", "b", "c kfleet.io/canary=true"),
			WaveOptions{Canary: []string{"1"}},
			[]Wave{w(1, true, "", "a"), w(2, false, "", "b"), w(3, false, "", "c")}},
		{"a canary count larger than the fleet: every cluster is a canary", clusters("a", "b"), WaveOptions{Canary: []string{"5"}},
			[]Wave{w(1, true, "", "a", "b")}},
		{"canary by name, repeated or comma-separated, in inventory order", five, WaveOptions{Canary: []string{"d", "b"}, MaxClusters: "10"},
			[]Wave{w(1, true, "", "b", "d"), w(2, false, "", "a", "c", "e")}},
		{"canary by name ignores the label", clusters("a kfleet.io/canary=true", "b", "c"), WaveOptions{Canary: []string{"c, b"}},
			[]Wave{w(1, true, "", "b", "c"), w(2, false, "", "a")}},
		{"max clusters 2: the last wave takes what is left", five, WaveOptions{MaxClusters: "2"},
			[]Wave{w(1, true, "", "a"), w(2, false, "", "b", "c"), w(3, false, "", "d", "e")}},
		{"max clusters 40% of 5, the canary counted: 2 at a time", five, WaveOptions{MaxClusters: "40%"},
			[]Wave{w(1, true, "", "a"), w(2, false, "", "b", "c"), w(3, false, "", "d", "e")}},
		{"a percentage rounds down, to at least 1", five, WaveOptions{MaxClusters: "10%"},
			[]Wave{w(1, true, "", "a"), w(2, false, "", "b"), w(3, false, "", "c"), w(4, false, "", "d"), w(5, false, "", "e")}},
		{"max clusters 100%: everything after the canary at once", five, WaveOptions{MaxClusters: "100%"},
			[]Wave{w(1, true, "", "a"), w(2, false, "", "b", "c", "d", "e")}},
		{"waves: one entry per wave, the last repeating", numbered(9, nil), WaveOptions{Waves: []string{"1,2"}},
			[]Wave{w(1, true, "", "c01"), w(2, false, "", "c02"), w(3, false, "", "c03", "c04"), w(4, false, "", "c05", "c06"),
				w(5, false, "", "c07", "c08"), w(6, false, "", "c09")}},
		{"waves as separate values, without a canary, as Ansible's serial", five, WaveOptions{Canary: []string{"0"}, Waves: []string{"1", "100%"}},
			[]Wave{w(1, false, "", "a"), w(2, false, "", "b", "c", "d", "e")}},
		{"wave by dc: the canary first, then each dc in turn, one at a time", dcs, WaveOptions{WaveBy: "dc", Canary: []string{"1"}},
			[]Wave{w(1, true, "sg1", "a"), w(2, false, "sg1", "c"), w(3, false, "sg1", "g"), w(4, false, "sg2", "b"),
				w(5, false, "sg2", "e"), w(6, false, "(no dc)", "d"), w(7, false, "(no dc)", "h"), w(8, false, "sg3", "f")}},
		{"wave by dc: a canary across dcs is one canary wave per dc", dcs, WaveOptions{WaveBy: "dc", Canary: []string{"3"}, MaxClusters: "100%"},
			[]Wave{w(1, true, "sg1", "a", "c"), w(2, true, "sg2", "b"), w(3, false, "sg1", "g"), w(4, false, "sg2", "e"),
				w(5, false, "(no dc)", "d", "h"), w(6, false, "sg3", "f")}},
		{"wave by dc: a dc that was all canary has no other wave", dcs, WaveOptions{WaveBy: "dc", Canary: []string{"f"}, MaxClusters: "5"},
			[]Wave{w(1, true, "sg3", "f"), w(2, false, "sg1", "a", "c", "g"), w(3, false, "sg2", "b", "e"), w(4, false, "(no dc)", "d", "h")}},
		{"wave by dc: the progression starts again in each dc, percentages of the dc",
			numbered(12, func(i int) string { return []string{"sg1", "sg2"}[i/6] }),
			WaveOptions{WaveBy: "dc", Waves: []string{"1", "50%"}},
			[]Wave{w(1, true, "sg1", "c01"), w(2, false, "sg1", "c02"), w(3, false, "sg1", "c03", "c04", "c05"), w(4, false, "sg1", "c06"),
				w(5, false, "sg2", "c07"), w(6, false, "sg2", "c08", "c09", "c10"), w(7, false, "sg2", "c11", "c12")}},
		{"no clusters, no waves", nil, WaveOptions{WaveBy: "dc"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Plan(tt.clusters, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("plan:\n%s\nwant:\n%s", planString(got), planString(tt.want))
			}
			planMustHold(t, tt.clusters, tt.opts, got)
		})
	}
}

// TestPlanWavesSizes pins wave sizes on larger fleets, including docs/fleet.md's examples.
func TestPlanWavesSizes(t *testing.T) {
	bySG := func(n int) func(int) string {
		return func(i int) string { return fmt.Sprintf("sg%d", i/n+1) }
	}
	tests := []struct {
		name     string
		clusters []*inventory.Cluster
		opts     WaveOptions
		want     string // wave sizes, canary waves marked c
	}{
		{"docs: 85 clusters, --canary 1 --waves 1,5,25%,100%", numbered(85, nil),
			WaveOptions{Canary: []string{"1"}, Waves: []string{"1,5,25%,100%"}}, "c1 1 5 21 57"},
		{"docs: 85 clusters, --max-clusters 10%", numbered(85, nil), WaveOptions{MaxClusters: "10%"},
			"c1 8 8 8 8 8 8 8 8 8 8 4"},
		{"the canary count does not change later sizes", numbered(85, nil),
			WaveOptions{Canary: []string{"3"}, MaxClusters: "10%"}, "c3 8 8 8 8 8 8 8 8 8 8 2"},
		{"docs: 30 clusters in 3 dcs, --wave-by dc --waves 1,50%,100%", numbered(30, bySG(10)),
			WaveOptions{WaveBy: "dc", Waves: []string{"1,50%,100%"}}, "c1 1 5 3 1 5 4 1 5 4"},
		{"a count larger than what is left takes what is left", numbered(7, nil), WaveOptions{Waves: []string{"2,100"}}, "c1 2 4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := Plan(tt.clusters, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			var sizes []string
			for _, x := range plan {
				s := fmt.Sprint(len(x.Clusters))
				if x.Canary {
					s = "c" + s
				}
				sizes = append(sizes, s)
			}
			if got := strings.Join(sizes, " "); got != tt.want {
				t.Errorf("sizes %q, want %q", got, tt.want)
			}
			planMustHold(t, tt.clusters, tt.opts, plan)
		})
	}
}

func TestPlanWavesRefusesBadInput(t *testing.T) {
	fleet := clusters("payments-prod dc=sg1", "orders-prod dc=sg2", "logs-staging")
	tests := []struct {
		name     string
		clusters []*inventory.Cluster
		opts     WaveOptions
		want     string
	}{
		{"max clusters and waves", fleet, WaveOptions{MaxClusters: "2", Waves: []string{"1,100%"}},
			"--max-clusters and --waves cannot be used together: --max-clusters gives every wave one size, --waves a progression of sizes; keep one"},
		{"max clusters 0", fleet, WaveOptions{MaxClusters: "0"}, `--max-clusters "0": must be at least 1 cluster`},
		{"max clusters negative", fleet, WaveOptions{MaxClusters: "-2"}, `--max-clusters "-2": must be at least 1 cluster`},
		{"max clusters garbage", fleet, WaveOptions{MaxClusters: "ten"},
			`--max-clusters "ten": must be a number of clusters (10) or a percentage of them (25%)`},
		{"max clusters 0%", fleet, WaveOptions{MaxClusters: "0%"}, `--max-clusters "0%": must be a percentage from 1% to 100%`},
		{"max clusters over 100%", fleet, WaveOptions{MaxClusters: "150%"}, `--max-clusters "150%": must be a percentage from 1% to 100%`},
		{"max clusters fractional percent", fleet, WaveOptions{MaxClusters: "12.5%"}, `--max-clusters "12.5%": must be a percentage from 1% to 100%`},
		{"waves with a zero", fleet, WaveOptions{Waves: []string{"1,0,25%"}}, `--waves 1,0,25%: entry 2 ("0") must be at least 1 cluster`},
		{"waves with an empty entry", fleet, WaveOptions{Waves: []string{"1,,5"}},
			`--waves 1,,5: entry 2 ("") must be a number of clusters (10) or a percentage of them (25%)`},
		{"waves over 100%", fleet, WaveOptions{Waves: []string{"1", "101%"}}, `--waves 1,101%: entry 2 ("101%") must be a percentage from 1% to 100%`},
		{"canary negative", fleet, WaveOptions{Canary: []string{"-1"}}, "--canary -1: a count must be 0 (no canary) or more"},
		{"canary percentage", fleet, WaveOptions{Canary: []string{"10%"}}, "--canary 10%: give a number of clusters or their names, not a percentage"},
		{"canary typo", fleet, WaveOptions{Canary: []string{"orders-prod", "payments-prd"}},
			"--canary payments-prd: no such cluster among the 3 selected (check -c and -l); did you mean payments-prod?"},
		{"canary not selected", fleet, WaveOptions{Canary: []string{"billing-prod"}},
			"--canary billing-prod: no such cluster among the 3 selected (check -c and -l)"},
		{"canary named twice", fleet, WaveOptions{Canary: []string{"orders-prod,logs-staging", "orders-prod"}},
			"--canary orders-prod,logs-staging,orders-prod: cluster orders-prod is named twice"},
		{"canary empty name", fleet, WaveOptions{Canary: []string{"orders-prod,"}}, "--canary orders-prod,: entry 2 is empty"},
		{"wave by a label nobody has", fleet, WaveOptions{WaveBy: "zone"},
			"--wave-by zone: none of the 3 selected clusters has the label zone; their labels are: dc"},
		{"wave by a typo", fleet, WaveOptions{WaveBy: "DC"},
			"--wave-by DC: none of the 3 selected clusters has the label DC; did you mean dc?"},
		{"a cluster selected twice", clusters("a", "b", "a"), WaveOptions{}, "plan waves: cluster a is selected twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := Plan(tt.clusters, tt.opts)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("err = %v\nwant    %s\n(plan %v)", err, tt.want, plan)
			}
			if k, _ := fault.KindOf(err); k != fault.Usage {
				t.Errorf("kind %v, want usage (exit 2)", k)
			}
		})
	}
}

// TestPlanWavesInvariants plans random fleets with random options and checks what every plan
// owes, whatever the options.
func TestPlanWavesInvariants(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 2))
	size := func() string {
		if rng.IntN(2) == 0 {
			return fmt.Sprint(rng.IntN(6) + 1)
		}
		return fmt.Sprintf("%d%%", rng.IntN(100)+1)
	}
	for f := 0; f < 500; f++ {
		fleet := numbered(rng.IntN(60), func(int) string { return []string{"", "sg1", "sg2", "sg3", "sg4"}[rng.IntN(5)] })
		for _, c := range fleet {
			if rng.IntN(8) == 0 {
				c.Labels[CanaryLabel] = "true"
			}
		}
		var o WaveOptions
		switch rng.IntN(3) {
		case 0:
			o.MaxClusters = size()
		case 1:
			for range rng.IntN(4) + 1 {
				o.Waves = append(o.Waves, size())
			}
		}
		switch {
		case rng.IntN(3) == 0 && len(fleet) > 0:
			for _, i := range rng.Perm(len(fleet))[:rng.IntN(min(3, len(fleet)))+1] {
				o.Canary = append(o.Canary, fleet[i].Name)
			}
		case rng.IntN(2) == 0:
			o.Canary = []string{fmt.Sprint(rng.IntN(4))}
		}
		if rng.IntN(2) == 0 {
			o.WaveBy = "dc"
		}
		plan, err := Plan(fleet, o)
		if err != nil {
			if strings.Contains(err.Error(), "none of the") {
				continue // no cluster drew a dc
			}
			t.Fatalf("fleet %d, %+v: %v", f, o, err)
		}
		planMustHold(t, fleet, o, plan)
		if t.Failed() {
			t.Fatalf("fleet %d, %+v:\n%s", f, o, planString(plan))
		}
	}
}

// planMustHold checks what every plan owes: every cluster in exactly one wave; waves numbered
// 1, 2, ...; canary waves first, holding the named clusters or the counted ones; each wave in
// inventory order, inside one --wave-by value, and no larger than its size allows.
func planMustHold(t *testing.T, fleet []*inventory.Cluster, o WaveOptions, plan []Wave) {
	t.Helper()
	pos := map[string]int{}
	for i, c := range fleet {
		pos[c.Name] = i
	}
	seen := map[string]int{}
	canaries, pastCanary := 0, false
	for i, x := range plan {
		if x.Number != i+1 {
			t.Errorf("wave %d is numbered %d", i+1, x.Number)
		}
		if len(x.Clusters) == 0 {
			t.Errorf("wave %d is empty", x.Number)
		}
		if !slices.IsSortedFunc(x.Clusters, func(a, b string) int { return pos[a] - pos[b] }) {
			t.Errorf("wave %d is not in inventory order: %v", x.Number, x.Clusters)
		}
		if x.Canary {
			canaries += len(x.Clusters)
			if pastCanary {
				t.Errorf("canary wave %d after a wave that is not", x.Number)
			}
		}
		pastCanary = pastCanary || !x.Canary
		for _, name := range x.Clusters {
			seen[name]++
			c := fleet[pos[name]]
			want := ""
			if o.WaveBy != "" {
				want = cmp.Or(c.Labels[o.WaveBy], "(no "+o.WaveBy+")")
			}
			if x.Group != want {
				t.Errorf("wave %d (group %q) holds %s of group %q", x.Number, x.Group, name, want)
			}
			if names := canaryNames(o); x.Canary && names != nil && !slices.Contains(names, name) {
				t.Errorf("canary wave %d holds %s, not named by --canary %v", x.Number, name, o.Canary)
			}
		}
		if !x.Canary {
			if limit := largestWave(fleet, o, x.Group); len(x.Clusters) > limit {
				t.Errorf("wave %d holds %d clusters, more than the largest size allowed (%d)", x.Number, len(x.Clusters), limit)
			}
		}
	}
	for _, c := range fleet {
		if seen[c.Name] != 1 {
			t.Errorf("cluster %s is in %d waves", c.Name, seen[c.Name])
		}
	}
	wantCanaries := 1
	if names := canaryNames(o); names != nil {
		wantCanaries = len(names)
	} else if len(o.Canary) > 0 {
		fmt.Sscan(o.Canary[0], &wantCanaries)
	}
	if wantCanaries = min(wantCanaries, len(fleet)); canaries != wantCanaries {
		t.Errorf("%d canary clusters, want %d", canaries, wantCanaries)
	}
}

// largestWave is the largest size any entry of the options allows in a group, computed apart
// from the planner.
func largestWave(fleet []*inventory.Cluster, o WaveOptions, group string) int {
	total := 0
	for _, c := range fleet {
		if o.WaveBy == "" || cmp.Or(c.Labels[o.WaveBy], "(no "+o.WaveBy+")") == group {
			total++
		}
	}
	entries := splitValues(o.Waves)
	if o.MaxClusters != "" {
		entries = []string{o.MaxClusters}
	}
	largest := 1
	for _, e := range entries {
		n := 0
		if p, ok := strings.CutSuffix(e, "%"); ok {
			fmt.Sscan(p, &n)
			n = max(1, total*n/100)
		} else {
			fmt.Sscan(e, &n)
		}
		largest = max(largest, n)
	}
	return largest
}

// canaryNames is the names --canary gives, or nil when it gives a count (or nothing).
func canaryNames(o WaveOptions) []string {
	names := splitValues(o.Canary)
	if len(names) == 1 {
		if _, err := strconv.Atoi(names[0]); err == nil {
			return nil
		}
	}
	return names
}

func planString(plan []Wave) string {
	var b strings.Builder
	for _, x := range plan {
		fmt.Fprintf(&b, "  %d canary=%v group=%q %v\n", x.Number, x.Canary, x.Group, x.Clusters)
	}
	return b.String()
}

// BenchmarkPlanWaves1000 plans 1,000 clusters in 10 data centres, wave by dc, 10% waves, with
// the default canary: the plan a large fleet's rollout starts from.
func BenchmarkPlanWaves1000(b *testing.B) {
	fleet := numbered(1000, func(i int) string { return fmt.Sprintf("dc%d", i%10) })
	fleet[517].Labels[CanaryLabel] = "true"
	o := WaveOptions{WaveBy: "dc", MaxClusters: "10%"}
	b.ReportAllocs()
	for b.Loop() {
		plan, err := Plan(fleet, o)
		if err != nil || len(plan) == 0 {
			b.Fatal(err, len(plan))
		}
	}
}

// The --wave-by example of docs/fleet.md.
func ExamplePlan_waveBy() {
	fleet := clusters(
		"payments-sg1 dc=sg1",
		"payments-hk1 dc=hk1",
		"orders-sg1 dc=sg1",
		"orders-hk1 dc=hk1",
		"logs-sg2 dc=sg2 kfleet.io/canary=true",
		"logs-sg1 dc=sg1",
		"search-lab",
	)
	for _, o := range []WaveOptions{
		{WaveBy: "dc", MaxClusters: "100%"},
		{WaveBy: "dc", MaxClusters: "100%", Canary: []string{"2"}},
	} {
		plan, _ := Plan(fleet, o)
		fmt.Printf("--wave-by dc --max-clusters 100%% --canary %v\n", cmp.Or(strings.Join(o.Canary, ","), "1 (default)"))
		for _, x := range plan {
			kind := ""
			if x.Canary {
				kind = " canary"
			}
			fmt.Printf("  wave %d%s, %s: %s\n", x.Number, kind, x.Group, strings.Join(x.Clusters, " "))
		}
	}
	// Output:
	// --wave-by dc --max-clusters 100% --canary 1 (default)
	//   wave 1 canary, sg2: logs-sg2
	//   wave 2, sg1: payments-sg1 orders-sg1 logs-sg1
	//   wave 3, hk1: payments-hk1 orders-hk1
	//   wave 4, (no dc): search-lab
	// --wave-by dc --max-clusters 100% --canary 2
	//   wave 1 canary, sg1: payments-sg1
	//   wave 2 canary, sg2: logs-sg2
	//   wave 3, sg1: orders-sg1 logs-sg1
	//   wave 4, hk1: payments-hk1 orders-hk1
	//   wave 5, (no dc): search-lab
}
