package brokerconfig

import (
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kfleet/kfleet/inventory"
)

func sp(s string) *string { return &s }

// entry builds a DescribeConfigs entry; synonyms are source/value pairs in precedence order.
func entry(readOnly bool, syn ...any) LiveEntry {
	e := LiveEntry{ReadOnly: readOnly, Source: kmsg.ConfigSourceDefaultConfig, Synonyms: map[kmsg.ConfigSource]*string{}}
	for i := 0; i+1 < len(syn); i += 2 {
		src, v := syn[i].(kmsg.ConfigSource), syn[i+1].(string)
		if e.Value == nil {
			e.Value, e.Source = sp(v), src
		}
		e.Synonyms[src] = sp(v)
	}
	return e
}

const (
	dynBroker  = kmsg.ConfigSourceDynamicBrokerConfig
	dynDefault = kmsg.ConfigSourceDynamicDefaultBrokerConfig
	static     = kmsg.ConfigSourceStaticBrokerConfig
	deflt      = kmsg.ConfigSourceDefaultConfig
)

func configTestCluster() *inventory.Cluster {
	return &inventory.Cluster{Name: "c",
		Config: inventory.Config{
			Dynamic: map[string]string{"log.cleaner.threads": "2"},
			Static:  map[string]string{"num.network.threads": "3"},
		},
		Brokers: []*inventory.Broker{
			{ID: 1, Host: "k1", Install: inventory.Install{ConfigFile: "/etc/kafka/server.properties"}},
			{ID: 2, Host: "k2", Install: inventory.Install{ConfigFile: "/etc/kafka/server.properties"},
				Config: &inventory.Config{Dynamic: map[string]string{"message.max.bytes": "3000000"},
					Static: map[string]string{"queued.max.requests": "600"}}},
		}}
}

func TestDiffConfigClassifiesFromKafkasMetadata(t *testing.T) {
	c := configTestCluster()
	live := LiveConfig{Cluster: "c",
		Defaults: map[string]LiveEntry{},
		Brokers: map[int32]BrokerLive{
			1: {File: []byte("num.network.threads=3\n"), Configs: map[string]LiveEntry{
				// Not set anywhere dynamically yet.
				"log.cleaner.threads": entry(false, deflt, "1"),
				// The file has it and the broker loaded it.
				"num.network.threads": entry(false, static, "3", deflt, "3"),
			}},
			2: {File: []byte("# b2\nnum.network.threads=8\n"), Configs: map[string]LiveEntry{
				// A stray per-broker value overrides the cluster-wide one, which is already right.
				"log.cleaner.threads": entry(false, dynBroker, "4", dynDefault, "2", deflt, "1"),
				"message.max.bytes":   entry(false, deflt, "1048588"),
				"num.network.threads": entry(false, static, "8", deflt, "3"),
				"queued.max.requests": entry(true, deflt, "500"),
			}},
		}}
	got := Compare(c, c.Brokers, live)
	type row struct {
		broker              int32
		key, apply, action  string
		live, source, noteH string
		restart             bool
	}
	want := []row{
		{1, "log.cleaner.threads", ApplyClusterDynamic, ActionSetCluster, "1", "DEFAULT_CONFIG", "", false},
		{2, "log.cleaner.threads", ApplyRemoveOverride, ActionDeleteOverride, "4", "DYNAMIC_BROKER_CONFIG", "apply deletes it", false},
		{2, "message.max.bytes", ApplyBrokerDynamic, ActionSetBroker, "1048588", "DEFAULT_CONFIG", "", false},
		{2, "num.network.threads", ApplyRestart, ActionEditFile, "8", "server.properties", "could be applied live", true},
		{2, "queued.max.requests", ApplyRestart, ActionEditFile, "", "server.properties (absent)", "", true},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d differences, want %d:\n%+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Broker != w.broker || g.Key != w.key || g.Apply != w.apply || g.Action != w.action || g.Live != w.live ||
			g.LiveSource != w.source || g.Restart != w.restart || !strings.Contains(g.Note, w.noteH) {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
}

func TestDiffConfigStaticPendingRestartAndShadowing(t *testing.T) {
	c := &inventory.Cluster{Name: "c", Config: inventory.Config{Static: map[string]string{
		"queued.max.requests": "600", "num.io.threads": "8", "log.dirs": "/a,/b"}},
		Brokers: []*inventory.Broker{{ID: 1}}}
	file := []byte("queued.max.requests=600\nnum.io.threads=8\nlog.dirs=/a, /b\n")
	dirs := entry(true, static, "/a, /b")
	dirs.Type = kmsg.ConfigTypeList
	live := LiveConfig{Brokers: map[int32]BrokerLive{1: {File: file, Configs: map[string]LiveEntry{
		// The file was edited but the broker still runs with what it read at its last start.
		"queued.max.requests": entry(true, static, "500", deflt, "500"),
		// A dynamic value wins over the file.
		"num.io.threads": entry(false, dynDefault, "4", static, "8"),
		// Lists compare element by element.
		"log.dirs": dirs,
	}}}}
	got := Compare(c, c.Brokers, live)
	if len(got) != 2 {
		t.Fatalf("want 2 differences, got %+v", got)
	}
	if d := got[0]; d.Key != "num.io.threads" || d.Action != ActionNone || d.Apply != ApplyShadowed || d.LiveSource != "DYNAMIC_DEFAULT_BROKER_CONFIG" {
		t.Errorf("shadowed key: %+v", d)
	}
	if d := got[1]; d.Key != "queued.max.requests" || d.Action != ActionRestartOnly || !d.Restart || d.Live != "500" {
		t.Errorf("pending restart: %+v", d)
	}
}

func TestDiffConfigRefusesReadOnlyDynamicKeys(t *testing.T) {
	c := &inventory.Cluster{Name: "c", Config: inventory.Config{Dynamic: map[string]string{"num.partitions": "4"}},
		Brokers: []*inventory.Broker{{ID: 1}}}
	live := LiveConfig{Brokers: map[int32]BrokerLive{1: {Configs: map[string]LiveEntry{
		"num.partitions": entry(true, static, "3"),
	}}}}
	got := Compare(c, c.Brokers, live)
	if len(got) != 1 || got[0].Apply != ApplyRefused || !strings.Contains(got[0].Note, "move it to config.static") {
		t.Fatalf("got %+v", got)
	}
	p := PlanChanges(c, c.Brokers, live, got)
	if len(p.Refused) != 1 || p.Dynamic() || !p.Empty() {
		t.Errorf("plan must refuse and change nothing: %+v", p)
	}
	err := &PlacementError{Cluster: "c", Keys: p.Refused}
	if !strings.Contains(err.Error(), "move them to config.static") || !strings.Contains(err.Error(), "num.partitions (broker 1)") {
		t.Errorf("error lacks guidance: %v", err)
	}
}

func TestDiffConfigMasksSensitiveValues(t *testing.T) {
	c := &inventory.Cluster{Name: "c", Config: inventory.Config{Dynamic: map[string]string{
		"ssl.keystore.location": "/new", "custom.token.secret.name": "abc"}},
		Brokers: []*inventory.Broker{{ID: 1}}}
	loc := entry(false, dynDefault, "/old")
	loc.Sensitive = true
	live := LiveConfig{Brokers: map[int32]BrokerLive{1: {Configs: map[string]LiveEntry{
		"ssl.keystore.location":    loc,
		"custom.token.secret.name": entry(false, dynDefault, "xyz"),
	}}}}
	got := Compare(c, c.Brokers, live)
	if len(got) != 2 {
		t.Fatalf("got %+v", got)
	}
	for _, d := range got {
		if !d.Sensitive || d.Live != masked || d.Desired != masked {
			t.Errorf("not masked: %+v", d)
		}
	}
	// The plan still applies the real value.
	p := PlanChanges(c, c.Brokers, live, got)
	if p.clusterSets["ssl.keystore.location"] != "/new" {
		t.Errorf("plan lost the value: %+v", p.clusterSets)
	}
}

func TestPlanConfigEditsOnlyChangedFilesAndRestartsThoseBrokers(t *testing.T) {
	c := configTestCluster()
	file1 := []byte("# one\nnum.network.threads=3\n")
	file2 := []byte("# two\nnum.network.threads = 8\nlog.dirs=/d\n")
	live := LiveConfig{Brokers: map[int32]BrokerLive{
		1: {File: file1, Configs: map[string]LiveEntry{"log.cleaner.threads": entry(false, dynDefault, "2"),
			"num.network.threads": entry(true, static, "3")}},
		2: {File: file2, Configs: map[string]LiveEntry{"log.cleaner.threads": entry(false, dynDefault, "2"),
			"message.max.bytes": entry(false, dynBroker, "3000000"), "num.network.threads": entry(true, static, "8"),
			"queued.max.requests": entry(true, deflt, "500")}},
	}}
	p := PlanChanges(c, c.Brokers, live, Compare(c, c.Brokers, live))
	if p.Dynamic() {
		t.Errorf("nothing dynamic differs: %+v", p)
	}
	if len(p.Files) != 1 || p.Files[0].Broker != 2 || len(p.Restart) != 1 || p.Restart[0] != 2 {
		t.Fatalf("want only broker 2 edited and restarted: files %+v restart %v", p.Files, p.Restart)
	}
	want := "# two\nnum.network.threads = 3\nlog.dirs=/d\nqueued.max.requests=600\n"
	if got := string(p.Files[0].new); got != want {
		t.Errorf("new file:\n%s\nwant:\n%s", got, want)
	}
	wantDiff := []string{"2: -num.network.threads = 8", "2: +num.network.threads = 3", "4: +queued.max.requests=600"}
	if strings.Join(p.Files[0].Diff, "|") != strings.Join(wantDiff, "|") {
		t.Errorf("diff = %q, want %q", p.Files[0].Diff, wantDiff)
	}

	// Once applied (file written, broker restarted), the same inventory plans nothing.
	live.Brokers[2] = BrokerLive{File: p.Files[0].new, Configs: map[string]LiveEntry{
		"log.cleaner.threads": entry(false, dynDefault, "2"), "message.max.bytes": entry(false, dynBroker, "3000000"),
		"num.network.threads": entry(true, static, "3"), "queued.max.requests": entry(true, static, "600")}}
	if p := PlanChanges(c, c.Brokers, live, Compare(c, c.Brokers, live)); !p.Empty() {
		t.Errorf("second apply must do nothing: %+v", p)
	}
}

func TestAlterRequestTargetsTheRightResources(t *testing.T) {
	p := &Plan{Cluster: "c", clusterSets: map[string]string{"log.cleaner.threads": "2"},
		brokerSets: map[int32]map[string]string{2: {"message.max.bytes": "3000000"}},
		deletes:    map[int32][]string{2: {"log.cleaner.threads"}, 1: {"log.cleaner.threads"}}}
	req := p.alterRequest(true)
	if !req.ValidateOnly || len(req.Resources) != 3 {
		t.Fatalf("request: %+v", req)
	}
	var got []string
	for _, r := range req.Resources {
		for _, c := range r.Configs {
			v := "-"
			if c.Value != nil {
				v = *c.Value
			}
			got = append(got, r.ResourceName+":"+c.Name+":"+c.Op.String()+":"+v)
		}
	}
	want := ":log.cleaner.threads:SET:2|1:log.cleaner.threads:DELETE:-|2:message.max.bytes:SET:3000000|2:log.cleaner.threads:DELETE:-"
	if strings.Join(got, "|") != want {
		t.Errorf("got  %s\nwant %s", strings.Join(got, "|"), want)
	}
}
