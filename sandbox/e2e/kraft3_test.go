//go:build e2e

package e2e

import "testing"

// TestKRaftThree runs kfleet against Kafka 3.8.1 in KRaft mode: 4 brokers, the first three also
// the controllers, a sandbox of its own (it finalizes metadata.version):
//
//	SANDBOX_DIR=$PWD/.sandbox-kraft3 SANDBOX_KAFKA_VERSION=3.8.1 SANDBOX_BROKERS=4 bash sandbox/up.sh
//	SANDBOX_DIR=$PWD/.sandbox-kraft3 SANDBOX_KAFKA_VERSION=3.8.1 SANDBOX_BROKERS=4 \
//	  KFLEET_E2E=1 KFLEET_E2E_KRAFT3=1 go test -tags e2e -count=1 -run TestKRaftThree -v ./sandbox/e2e/
//
// The scenarios run in order; each leaves the sandbox healthy, but the last leaves a broker dead.
func TestKRaftThree(t *testing.T) {
	sb := threeX{mode: "kraft", brokers: 4}
	needThreeX(t, "KFLEET_E2E_KRAFT3", sb)
	// metadata.version 3.8-IV0, the level a Kafka 3.8 cluster is formatted at; the deploy
	// scenario raises it.
	const mv38 = 20
	t.Run("status", func(t *testing.T) { statusScenario(t, sb, 2, mv38) })
	t.Run("restart", func(t *testing.T) { restartScenario(t, sb) })
	t.Run("deploy", func(t *testing.T) { deployWithinThree(t, "3.8.1", "3.9.1") })
	// Broker 4 is a broker only (the controller quorum stays whole) and in rack a with broker 1:
	// rack-aware placement gives every partition a replica on 2 (rack b) and 3 (rack c) and the
	// third on 1 or 4, so the partitions with theirs on 1 must not move.
	t.Run("reassign-after-broker-death", func(t *testing.T) { reassignScenario(t, sb, 4) })
}
