package deploy

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/rollout/brokerconfig"
)

func zkCluster() *inventory.Cluster {
	c := &inventory.Cluster{Name: "legacy"}
	for id := int32(1); id <= 3; id++ {
		c.Brokers = append(c.Brokers, &inventory.Broker{ID: id, Host: "k" + string('0'+rune(id)),
			Install: inventory.Install{Root: "/opt/kafka", ConfigFile: "/etc/kafka/server.properties"}})
	}
	return c
}

func TestPlanProtocolFinalize(t *testing.T) {
	c := zkCluster()
	cases := []struct {
		name     string
		live     map[int32]string
		pins     []ProtocolPin
		raise    []int32
		from     string
		upToDate bool
		err      string
	}{
		{name: "pinned to the old release everywhere", live: map[int32]string{1: "3.8", 2: "3.8", 3: "3.8"},
			raise: []int32{1, 2, 3}, from: "3.8"},
		{name: "half raised", live: map[int32]string{1: "3.9", 2: "3.8", 3: "3.8-IV0"}, raise: []int32{2, 3}, from: "3.8"},
		{name: "already at the release", live: map[int32]string{1: "3.9", 2: "3.9", 3: "3.9"}, raise: []int32{}, from: "3.9", upToDate: true},
		{name: "unset: the release's default", live: map[int32]string{1: "3.9-IV0", 2: "3.9-IV0", 3: "3.9-IV0"}, raise: []int32{}, from: "3.9-IV0", upToDate: true},
		{name: "a broker left down by an interrupted run is raised", live: map[int32]string{1: "3.9", 2: "", 3: "3.8"}, raise: []int32{2, 3}, from: "3.8"},
		{name: "inventory pins the old release", live: map[int32]string{1: "3.8", 2: "3.8", 3: "3.8"},
			pins: []ProtocolPin{{Field: "config.static", Value: "3.8"}}, err: `config.static: 3.8); set it to "3.9" there and run kfleet config apply`},
		{name: "inventory pins a broker", live: map[int32]string{1: "3.8", 2: "3.8", 3: "3.8"},
			pins: []ProtocolPin{{Field: "config.static", Value: "3.9"}, {Broker: 2, Field: "config.static", Value: "3.7"}}, err: "broker 2's config.static: 3.7"},
		{name: "inventory already at the release", live: map[int32]string{1: "3.8", 2: "3.8", 3: "3.8"},
			pins: []ProtocolPin{{Field: "config.static", Value: "3.9-IV0"}}, raise: []int32{1, 2, 3}, from: "3.8"},
		{name: "unreadable value", live: map[int32]string{1: "3.8", 2: "banana", 3: "3.8"}, err: `broker 2 reports inter.broker.protocol.version "banana"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := PlanProtocolFinalize(c.Name, c.Brokers, "3.9.1", tc.live, tc.pins)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one saying %q", err, tc.err)
				}
				var pe *ProtocolPinnedError
				if errors.As(err, &pe) {
					if k, _ := fault.KindOf(err); k != fault.Usage {
						t.Errorf("pinned refusal is %v, want usage (exit 2)", k)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Feature != ProtocolVersionFeature || p.ToVersion != "3.9" || p.FromVersion != tc.from || p.Version != "3.9.1" {
				t.Errorf("plan %+v, want %s %s -> 3.9 of Kafka 3.9.1", p, ProtocolVersionFeature, tc.from)
			}
			if !slices.Equal(p.Raise, tc.raise) || p.UpToDate != tc.upToDate {
				t.Errorf("raise %v up-to-date %v, want %v %v", p.Raise, p.UpToDate, tc.raise, tc.upToDate)
			}
			if want := len(tc.raise); p.Work() != want {
				t.Errorf("Work() = %d, want %d", p.Work(), want)
			}
		})
	}
}

func TestProtocolPins(t *testing.T) {
	c := zkCluster()
	c.Config = inventory.Config{Static: map[string]string{"num.network.threads": "8", ProtocolVersionFeature: "3.8"}}
	c.Brokers[2].Config = &inventory.Config{Dynamic: map[string]string{ProtocolVersionFeature: "3.9"}}
	got := ProtocolPins(c)
	want := []ProtocolPin{{Field: "config.static", Value: "3.8"}, {Broker: 3, Field: "config.dynamic", Value: "3.9"}}
	if !slices.Equal(got, want) {
		t.Errorf("pins %+v, want %+v", got, want)
	}
}

// The file edit is config apply's, on a view of the cluster that declares only the protocol
// version: other drift the inventory has is not finalize's to apply.
func TestProtocolFileEdits(t *testing.T) {
	c := zkCluster()
	c.Config = inventory.Config{Static: map[string]string{"num.network.threads": "8"}}
	c.Brokers[1].Config = &inventory.Config{Static: map[string]string{ProtocolVersionFeature: "3.9-IV0"}}
	picked := []*inventory.Broker{c.Brokers[0], c.Brokers[1]}
	dc, brokers := protocolConfig(c, picked, "3.9")
	if len(brokers) != 2 || brokers[0].ID != 1 || brokers[1].ID != 2 {
		t.Fatalf("picked %v", inventory.BrokerIDs(brokers))
	}
	if c.Brokers[0].Config != nil || c.Config.Static[ProtocolVersionFeature] != "" {
		t.Fatal("protocolConfig changed the inventory's cluster")
	}
	v38 := "3.8"
	file := []byte("# broker\nbroker.id=1\ninter.broker.protocol.version=3.8\nnum.network.threads=3\n")
	live := brokerconfig.LiveConfig{Cluster: c.Name, Brokers: map[int32]brokerconfig.BrokerLive{}}
	for _, b := range brokers {
		live.Brokers[b.ID] = brokerconfig.BrokerLive{File: file, Configs: map[string]brokerconfig.LiveEntry{
			ProtocolVersionFeature: {Value: &v38, Source: kmsg.ConfigSourceStaticBrokerConfig, ReadOnly: true,
				Synonyms: map[kmsg.ConfigSource]*string{kmsg.ConfigSourceStaticBrokerConfig: &v38}},
		}}
	}
	plan := brokerconfig.PlanChanges(dc, brokers, live, brokerconfig.Compare(dc, brokers, live))
	if len(plan.Files) != 2 || !slices.Equal(plan.Restart, []int32{1, 2}) {
		t.Fatalf("files %d restart %v, want 2 files and brokers 1,2", len(plan.Files), plan.Restart)
	}
	for i, want := range []string{"inter.broker.protocol.version=3.9", "inter.broker.protocol.version=3.9-IV0"} {
		d := strings.Join(plan.Files[i].Diff, "\n")
		if !strings.Contains(d, "-inter.broker.protocol.version=3.8") || !strings.Contains(d, "+"+want) {
			t.Errorf("broker %d diff:\n%s\nwant 3.8 -> %s", plan.Files[i].Broker, d, want)
		}
		if strings.Contains(d, "num.network.threads") {
			t.Errorf("broker %d: finalize edits other inventory drift:\n%s", plan.Files[i].Broker, d)
		}
	}
}
