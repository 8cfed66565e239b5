package deploy

import (
	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/cluster"
)

// Deployment is how kfleet deploys Kafka binaries (deploy, rollback, finalize):
//
//  1. InspectArtifact checks the tarball here: a Kafka distribution, its version, its SHA-256.
//  2. Stager uploads it to every host that lacks it (SFTP, bounded concurrency), verifies the
//     checksum there and unpacks it into releases/<V> atomically. Any failure stops the deploy
//     before a broker is touched.
//  3. The rolling engine activates it broker by broker: Activation.Switch points current at
//     releases/<V> while the broker is stopped, Activation.Verify confirms the started process
//     runs V. Rollback activates the previous release the same way.
//  4. Finalize raises metadata.version once every broker runs the new release.

// DeployPlan is what a deploy or rollback does before and around the engine's batches.
type Plan struct {
	Version string      `json:"version" yaml:"version"`
	Stage   []StageStep `json:"stage,omitempty" yaml:"stage,omitempty"`
	// Activated lists brokers that already run Version from releases/<Version>: they are
	// skipped, so a re-run restarts nothing.
	Activated []int32 `json:"activated" yaml:"activated"`
	// Activate lists the brokers the engine will roll.
	Activate []int32 `json:"activate" yaml:"activate"`
}

// PlanActivation splits brokers into those already on version and those to roll. It is pure.
func PlanActivation(version string, brokers []*inventory.Broker, states []HostRelease, procs map[int32]cluster.BrokerProcess) Plan {
	p := Plan{Version: version, Activated: []int32{}, Activate: []int32{}}
	for i, b := range brokers {
		if Activated(states[i], procs[b.ID], version) {
			p.Activated = append(p.Activated, b.ID)
		} else {
			p.Activate = append(p.Activate, b.ID)
		}
	}
	return p
}

// Skip is the engine's skip set for the brokers already on the release.
func (p Plan) Skip() map[int32]bool {
	skip := map[int32]bool{}
	for _, id := range p.Activated {
		skip[id] = true
	}
	return skip
}
