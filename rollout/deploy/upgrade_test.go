package deploy

import (
	"errors"
	"strings"
	"testing"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/fault"
)

func level(l int16) *int16 { return &l }

func TestCheckUpgrade(t *testing.T) {
	zk, kraft := inventory.MetadataZooKeeper, inventory.MetadataKRaft
	on := func(v string) map[int32]string { return map[int32]string{1: v, 2: v, 3: v} }
	cases := []struct {
		name string
		f    UpgradeFacts
		// want: "" allowed; else words the refusal must hold
		want []string
	}{
		{"zk within 3.x", UpgradeFacts{Mode: zk, Running: on("3.8.1"), Target: "3.9.1", ProtocolVersion: "3.8"}, nil},
		{"zk to 4.x", UpgradeFacts{Mode: zk, Running: on("3.9.1"), Target: "4.0.0", ProtocolVersion: "3.9"},
			[]string{"ZooKeeper", "Kafka 4.0 removed", "migrate the cluster to KRaft", "3.9"}},
		{"zk to 4.x, protocol unknown", UpgradeFacts{Mode: zk, Running: on("3.8.1"), Target: "4.1.1"}, []string{"ZooKeeper"}},
		{"zk below the raised protocol", UpgradeFacts{Mode: zk, Running: on("3.9.1"), Target: "3.8.1", ProtocolVersion: "3.9"},
			[]string{"inter.broker.protocol.version 3.9", "Kafka 3.8 does not know", "deploy Kafka 3.9.x or later"}},
		{"zk below a default protocol (IBP not pinned)", UpgradeFacts{Mode: zk, Running: on("3.9.1"), Target: "3.8.1", ProtocolVersion: "3.9-IV0"},
			[]string{"3.9-IV0"}},
		{"zk back to the pinned protocol's release", UpgradeFacts{Kind: KindRollback, Mode: zk, Running: on("3.9.1"), Target: "3.8.1", ProtocolVersion: "3.8"}, nil},
		{"zk rollback after finalize", UpgradeFacts{Kind: KindRollback, Mode: zk, Running: on("3.9.1"), Target: "3.8.1", ProtocolVersion: "3.9"},
			[]string{"roll back to Kafka 3.8.1", "no way back below Kafka 3.9", "fix forward"}},
		{"zk patch release of the same line", UpgradeFacts{Mode: zk, Running: on("3.9.1"), Target: "3.9.0", ProtocolVersion: "3.9"}, nil},
		{"kraft 3.9 to 4.x", UpgradeFacts{Mode: kraft, Running: on("3.9.1"), Target: "4.1.1", MetadataVersion: level(21)}, nil},
		{"kraft 3.3 finalized to 4.x", UpgradeFacts{Mode: kraft, Running: on("3.3.2"), Target: "4.0.0", MetadataVersion: level(7)}, nil},
		{"kraft below 3.3 to 4.x", UpgradeFacts{Mode: kraft, Running: map[int32]string{1: "3.2.3", 2: "3.2.3", 3: "3.9.1"}, Target: "4.0.0", MetadataVersion: level(3)},
			[]string{"3.3 or later", "3.2.3 on broker(s) 1,2", "deploy Kafka 3.9.x first"}},
		{"kraft 3.5 not finalized past 3.3-IV2", UpgradeFacts{Mode: kraft, Running: on("3.5.2"), Target: "4.0.0", MetadataVersion: level(6)},
			[]string{"metadata.version is 6 (3.3-IV2)", "3.3-IV3 (level 7)", "kfleet deploy finalize first"}},
		{"kraft 4.x, level unknown", UpgradeFacts{Mode: kraft, Running: on("3.7.2"), Target: "4.0.0"}, nil},
		{"kraft within 3.x below 3.3 is Kafka's business", UpgradeFacts{Mode: kraft, Running: on("3.2.3"), Target: "3.9.1", MetadataVersion: level(3)}, nil},
		{"kraft below the finalized level", UpgradeFacts{Mode: kraft, Running: on("4.2.0"), Target: "4.1.1", MetadataVersion: level(29)},
			[]string{"metadata.version 29 (4.2-IV1)", "Kafka 4.2", "Kafka 4.1 does not know", "cannot be lowered"}},
		{"kraft rollback before finalize", UpgradeFacts{Kind: KindRollback, Mode: kraft, Running: on("4.2.0"), Target: "4.1.1", MetadataVersion: level(27)}, nil},
		{"kraft rollback after finalize", UpgradeFacts{Kind: KindRollback, Mode: kraft, Running: on("3.9.1"), Target: "3.8.1", MetadataVersion: level(21)},
			[]string{"roll back to Kafka 3.8.1", "21 (3.9-IV0)", "fix forward"}},
		{"kraft level newer than kfleet knows", UpgradeFacts{Mode: kraft, Running: on("4.3.0"), Target: "4.1.1", MetadataVersion: level(31)},
			[]string{"metadata.version 31", "a release newer than 4.2"}},
		{"kraft level newer than kfleet knows, same line", UpgradeFacts{Mode: kraft, Running: on("4.3.0"), Target: "4.3.1", MetadataVersion: level(31)}, nil},
		{"unreadable target decides nothing", UpgradeFacts{Mode: zk, Target: "trunk"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.f.Cluster = "c1"
			if tc.f.Kind == "" {
				tc.f.Kind = KindDeploy
			}
			err := CheckUpgrade(tc.f)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("allowed, want a refusal")
			}
			var ue *UnsupportedUpgradeError
			if !errors.As(err, &ue) {
				t.Fatalf("%T, want *UnsupportedUpgradeError", err)
			}
			if k, _ := fault.KindOf(err); k != fault.Usage {
				t.Errorf("fault kind %v, want usage (exit 2)", k)
			}
			for _, w := range append(tc.want, "cluster c1", "nothing was changed") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q: %v", w, err)
				}
			}
		})
	}
}

func TestMetadataVersionName(t *testing.T) {
	for l, want := range map[int16]string{1: "3.0-IV1", 7: "3.3-IV3", 14: "3.6-IV2", 20: "3.8-IV0", 21: "3.9-IV0", 25: "4.0-IV3", 27: "4.1-IV1", 29: "4.2-IV1", 0: "", -1: "", 30: ""} {
		if got := MetadataVersionName(l); got != want {
			t.Errorf("level %d: %q, want %q", l, got, want)
		}
	}
}
