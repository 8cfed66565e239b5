package factory

import (
	"context"
	"encoding/json"
	"time"

	"github.com/spf13/pflag"

	"github.com/kfleet/kfleet/cmd/internal/output"
	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/journal"
	"github.com/kfleet/kfleet/rollout/fleet"
	"github.com/kfleet/kfleet/rollout/operation"
)

// FleetFlags are the flags with which every disruptive command runs over many clusters: the
// waves and the policy between them.
type FleetFlags struct {
	Waves  fleet.WaveOptions
	Policy fleet.Policy
}

// Register adds the fleet flags to a command.
func (ff *FleetFlags) Register(fl *pflag.FlagSet) {
	fl.StringArrayVar(&ff.Waves.Canary, "canary", nil, `fleet runs: the clusters that go first, alone: a count (default 1: those labelled kfleet.io/canary: "true", else the first in inventory order) or cluster names; 0 for none`)
	fl.StringVar(&ff.Waves.MaxClusters, "max-clusters", "", "fleet runs: clusters at once after the canary, a count or a percentage, e.g. 10 or 25% (default 1)")
	fl.StringArrayVar(&ff.Waves.Waves, "waves", nil, "fleet runs: wave sizes after the canary, the last repeated, e.g. 1,5,25%,100% (excludes --max-clusters)")
	fl.StringVar(&ff.Waves.WaveBy, "wave-by", "", "fleet runs: a label no wave mixes two values of, e.g. dc (one data centre at a time)")
	fl.DurationVar(&ff.Policy.Bake, "bake", 0, "fleet runs: how long every cluster of a wave must stay healthy before the next wave starts")
	fl.IntVar(&ff.Policy.MaxFailed, "max-failed-clusters", 0, "fleet runs: failed clusters tolerated; one more and no new cluster starts")
	fl.DurationVar(&ff.Policy.WindowWait, "window-wait", 0, "fleet runs: how long a cluster outside its maintenance windows may wait for the next one (default: not at all)")
	fl.BoolVar(&ff.Policy.IgnoreWindows, "ignore-windows", false, "fleet runs: start clusters outside their maintenance windows (emergencies; recorded in each cluster's journal and event log)")
}

// OperateFleet runs operation kind, with settings args, over clusters in waves, as one
// operation: one plan, one confirmation, one journal that owns the clusters' own.
func (f *Factory) OperateFleet(ctx context.Context, clusters []*inventory.Cluster, kind string, args any, ff FleetFlags, dryRun bool) error {
	if ff.Policy.MaxFailed < 0 {
		return fault.Usagef("--max-failed-clusters must be 0 or more")
	}
	if ff.Policy.WindowWait < 0 || ff.Policy.Bake < 0 {
		return fault.Usagef("--window-wait and --bake must not be negative")
	}
	waves, err := fleet.Plan(clusters, ff.Waves)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(args)
	if err != nil {
		return err
	}
	byName := make(map[string]*inventory.Cluster, len(clusters))
	for _, c := range clusters {
		byName[c.Name] = c
	}
	r, err := fleet.New(fleet.Spec{Kind: kind, Args: raw, Waves: waves, Policy: ff.Policy}, byName, time.Now())
	if err != nil {
		return err
	}
	f.wireFleet(r, AbsPath(f.InventoryPath), f.StateDir)
	return f.Operate(ctx, r, dryRun)
}

// ResumeFleet continues the fleet operation a journal entry records, on the inventory's clusters.
func (f *Factory) ResumeFleet(ctx context.Context, e *journal.Entry, inv *inventory.Fleet, inventoryPath, stateDir string, dryRun bool) error {
	byName := map[string]*inventory.Cluster{}
	for _, c := range inv.Clusters {
		byName[c.Name] = c
	}
	r, err := fleet.Load(e, byName)
	if err != nil {
		return err
	}
	f.wireFleet(r, AbsPath(inventoryPath), stateDir)
	return f.Operate(ctx, r, dryRun)
}

// wireFleet gives a fleet run this process's clients, printers and state dir: each cluster's
// events go to the same stream, prefixed with its name (carrying the fleet op with -o json).
func (f *Factory) wireFleet(r *fleet.Run, inventoryPath, stateDir string) {
	printer := output.NewEventPrinter(f.IO, f.Output)
	r.StateDir, r.Inventory = stateDir, inventoryPath
	r.Emit = func(e fleet.Event) { printer.Print(e) }
	r.Deps = func(c *inventory.Cluster) (operation.Deps, error) {
		cl, err := f.Kafka(c)
		if err != nil {
			return operation.Deps{}, err
		}
		cp := printer.ForCluster(c.Name, r.ID)
		return operation.Deps{Client: cl, SSH: f.SSH(), StateDir: stateDir, Inventory: inventoryPath,
			Emit: cp.Print, Say: cp.Say}, nil
	}
	r.Healthy = func(ctx context.Context, c *inventory.Cluster) error {
		cl, err := f.Kafka(c)
		if err != nil {
			return err
		}
		return fleet.KafkaHealthy(ctx, cl, c)
	}
}
