// Package restart is the URP-gated rolling restart: the brokers of one cluster, batch by batch,
// on the rolling engine, under the cluster lease, journaled and resumable.
//
// It may import inventory, ops/... and rollout; never cmd/ or tui/.
package restart

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/journal"
	"github.com/kfleet/kfleet/rollout"
	"github.com/kfleet/kfleet/rollout/operation"
)

// Kind is the operation kind in the journal and in history.
const Kind = "restart"

// Every operation has the one shape a fleet run drives.
var _ operation.Operation = (*Restart)(nil)

func init() {
	operation.Register(Kind, resume)
	operation.RegisterStarter(Kind, start)
	operation.RegisterSettings(Kind, operation.DecodeInto[Settings])
}

// Settings are a restart's own settings: the engine's, recorded in the journal.
type Settings struct {
	rollout.Settings `yaml:",inline"`
}

// Restart is one rolling restart of brokers of a cluster.
type Restart struct {
	rollout.Operation
}

// New builds a restart of brokers (all of the cluster's when empty) of cluster c.
func New(c *inventory.Cluster, brokers []*inventory.Broker, d operation.Deps, s Settings) *Restart {
	if len(brokers) == 0 {
		brokers = c.Brokers
	}
	opID := journal.NewID(d.Clock())
	return &Restart{rollout.Operation{Rolling: rollout.Rolling{
		Kind: Kind, Purpose: "restart brokers " + inventory.JoinIDs(inventory.BrokerIDs(brokers)),
		Cluster: c, Brokers: brokers, OpID: opID, Deps: d, Settings: s.Settings, Journaled: s,
	}}}
}

// start builds a restart of every broker of c from the settings a fleet run recorded (args), with
// c's own hooks added as for one cluster.
func start(_ context.Context, c *inventory.Cluster, d operation.Deps, args json.RawMessage) (operation.Operation, error) {
	var s Settings
	if err := json.Unmarshal(args, &s); err != nil {
		return nil, fmt.Errorf("restart settings: %w", err)
	}
	s.Settings = s.WithInventoryHooks(c)
	return New(c, nil, d, s), nil
}

// resume continues a journaled restart: brokers whose batch finished are skipped, and so are
// brokers of the cut-short batch that already run a new process.
func resume(ctx context.Context, c *inventory.Cluster, d operation.Deps, e *journal.Entry) (operation.Operation, error) {
	var s Settings
	brokers, err := operation.Recorded(c, e, &s)
	if err != nil {
		return nil, err
	}
	r := New(c, brokers, d, s)
	if err := r.ResumeFrom(ctx, e); err != nil {
		return nil, err
	}
	return r, nil
}
