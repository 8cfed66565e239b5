package deploy

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/kafka"
)

// Which Kafka releases a cluster may move to is Kafka's rule, not kfleet's. CheckUpgrade holds
// the rules Kafka documents in its upgrade notes (docs/upgrade.html, kafka.apache.org/<v>/
// getting-started/upgrade), and only those:
//
//   - "Upgrading Servers to 4.0.x from any version 3.3.x through 3.9.x": Kafka 4.0 removed
//     ZooKeeper mode ("Clusters in ZooKeeper mode have to be migrated to KRaft mode before they
//     can be upgraded to 4.0.x"), and a KRaft cluster needs software and metadata.version of at
//     least 3.3 (4.x's minimum metadata.version is 3.3-IV3, level 7).
//   - The same notes, KRaft: "cluster metadata downgrade is not supported": a broker whose
//     release does not know the finalized metadata.version does not start, so no release older
//     than the finalized level's may be deployed (or rolled back to).
//   - "Upgrading ZooKeeper-based clusters" (3.x): "Once the brokers begin using the latest
//     protocol version, it will no longer be possible to downgrade the cluster to an older
//     version": no release older than the brokers' inter.broker.protocol.version.
//
// Rules kfleet is not sure of (paths between 3.x releases, the ZooKeeper ensemble's own
// version, KRaft versions before 3.3 going to other 3.x) are left to Kafka.

// minMetadataVersionFor4 is the lowest metadata.version Kafka 4.x runs: 3.3-IV3.
const minMetadataVersionFor4 = 7

// metadataVersionNames are Kafka's names of the metadata.version feature levels
// (MetadataVersion.java): index = level. Levels past the end belong to a release newer than the
// last one named.
var metadataVersionNames = []string{1: "3.0-IV1", "3.1-IV0", "3.2-IV0", "3.3-IV0", "3.3-IV1", "3.3-IV2",
	"3.3-IV3", "3.4-IV0", "3.5-IV0", "3.5-IV1", "3.5-IV2", "3.6-IV0", "3.6-IV1", "3.6-IV2", "3.7-IV0",
	"3.7-IV1", "3.7-IV2", "3.7-IV3", "3.7-IV4", "3.8-IV0", "3.9-IV0", "4.0-IV0", "4.0-IV1", "4.0-IV2",
	"4.0-IV3", "4.1-IV0", "4.1-IV1", "4.2-IV0", "4.2-IV1"}

// MetadataVersionName is Kafka's name of a metadata.version level ("3.3-IV3" for 7); "" when
// kfleet does not know it.
func MetadataVersionName(level int16) string {
	if level <= 0 || int(level) >= len(metadataVersionNames) {
		return ""
	}
	return metadataVersionNames[level]
}

// metadataVersionRelease is the oldest release that runs a metadata.version level. A level
// newer than any kfleet knows needs at least the newest release it knows (exact false).
func metadataVersionRelease(level int16) (r kafka.ReleaseLine, exact bool) {
	if name := MetadataVersionName(level); name != "" {
		r, _ = kafka.ParseRelease(name)
		return r, true
	}
	if level > 0 {
		r, _ = kafka.ParseRelease(metadataVersionNames[len(metadataVersionNames)-1])
		return r, false
	}
	return kafka.ReleaseLine{}, false
}

// UpgradeFacts are what decides whether a cluster may move to a release.
type UpgradeFacts struct {
	Cluster string
	// Kind is KindDeploy or KindRollback (for the wording).
	Kind string
	Mode inventory.MetadataMode
	// Running is the release each broker's process runs ("" when none runs).
	Running map[int32]string
	// Target is the release to activate.
	Target string
	// MetadataVersion is a KRaft cluster's finalized metadata.version level; nil: unknown.
	MetadataVersion *int16
	// ProtocolVersion is the highest inter.broker.protocol.version a ZooKeeper-mode cluster's
	// brokers run ("3.8", "3.9-IV0"); "": unknown.
	ProtocolVersion string
}

// UnsupportedUpgradeError refuses a move Kafka does not support; nothing was changed.
type UnsupportedUpgradeError struct {
	Cluster string
	Kind    string
	Target  string
	Reason  string
	// Todo is what to do first.
	Todo string
}

func (e *UnsupportedUpgradeError) Error() string {
	what := "deploy Kafka " + e.Target
	if e.Kind == KindRollback {
		what = "roll back to Kafka " + e.Target
	}
	return fmt.Sprintf("cluster %s: refusing to %s: %s; %s; nothing was changed", e.Cluster, what, e.Reason, e.Todo)
}

// FaultKind says what kind of failure this is (usage: nothing was changed, exit 2).
func (e *UnsupportedUpgradeError) FaultKind() fault.Kind { return fault.Usage }

// CheckUpgrade refuses a move to f.Target that Kafka does not support (see the rules above).
// It is pure; facts it does not have (nil, "") decide nothing.
func CheckUpgrade(f UpgradeFacts) error {
	target, ok := kafka.ParseRelease(f.Target)
	if !ok {
		return nil
	}
	refuse := func(todo, format string, args ...any) error {
		return &UnsupportedUpgradeError{Cluster: f.Cluster, Kind: f.Kind, Target: f.Target, Reason: fmt.Sprintf(format, args...), Todo: todo}
	}
	fixForward := func(r kafka.ReleaseLine) string {
		if f.Kind == KindRollback {
			return fmt.Sprintf("there is no way back below Kafka %s after deploy finalize: fix forward with a deploy of %s.x or later", r, r)
		}
		return fmt.Sprintf("deploy Kafka %s.x or later instead", r)
	}
	switch f.Mode {
	case inventory.MetadataZooKeeper:
		if target.Major >= 4 {
			return refuse(fmt.Sprintf("migrate the cluster to KRaft first (Kafka 3.9's ZooKeeper to KRaft migration; deploy 3.9.x first if it runs older), then deploy %s", f.Target),
				"the cluster keeps its metadata in ZooKeeper (inventory metadata.mode: zookeeper) and Kafka 4.0 removed ZooKeeper mode")
		}
		if ibp, ok := kafka.ParseRelease(f.ProtocolVersion); ok && target.Less(ibp) {
			return refuse(fixForward(ibp),
				"its brokers run inter.broker.protocol.version %s, which Kafka %s does not know (its brokers would not start), and a raised protocol version cannot be lowered",
				f.ProtocolVersion, target)
		}
	case inventory.MetadataKRaft:
		if target.Major >= 4 {
			if old := runningBelow(f.Running, kafka.ReleaseLine{Major: 3, Minor: 3}); len(old) > 0 {
				return refuse(fmt.Sprintf("deploy Kafka 3.9.x first (Kafka recommends 3.9 before 4.x), run kfleet deploy finalize, then deploy %s", f.Target),
					"Kafka 4.x needs every broker on 3.3 or later (with metadata.version 3.3-IV3 or higher) and the cluster runs %s", describeGroups(old))
			}
			if mv := f.MetadataVersion; mv != nil && *mv < minMetadataVersionFor4 {
				return refuse(fmt.Sprintf("run kfleet deploy finalize first (it raises metadata.version to what the brokers support), then deploy %s", f.Target),
					"the cluster's finalized metadata.version is %s and Kafka 4.x needs 3.3-IV3 (level %d) or higher", levelName(*mv), minMetadataVersionFor4)
			}
		}
		if mv := f.MetadataVersion; mv != nil {
			if needs, exact := metadataVersionRelease(*mv); needs != (kafka.ReleaseLine{}) && target.Less(needs) {
				at := "Kafka " + needs.String()
				if !exact {
					at = "a release newer than " + needs.String()
				}
				return refuse(fixForward(needs),
					"the cluster finalized metadata.version %s (%s), which Kafka %s does not know (its brokers would not start), and metadata.version cannot be lowered",
					levelName(*mv), at, target)
			}
		}
	}
	return nil
}

// runningBelow groups the brokers whose process runs a release older than min.
func runningBelow(running map[int32]string, min kafka.ReleaseLine) map[string][]int32 {
	out := map[string][]int32{}
	for id, v := range running {
		if r, ok := kafka.ParseRelease(v); ok && r.Less(min) {
			out[v] = append(out[v], id)
		}
	}
	for v := range out {
		slices.Sort(out[v])
	}
	return out
}

// levelName shows a metadata.version level with Kafka's name when known: "7 (3.3-IV3)".
func levelName(level int16) string {
	if n := MetadataVersionName(level); n != "" {
		return fmt.Sprintf("%d (%s)", level, n)
	}
	return strconv.Itoa(int(level))
}
