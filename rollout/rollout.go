package rollout

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops"
)

// Rollout is one journaled, leased rolling operation on a cluster: what restart (and later
// deploy, config apply and patch run) hand to the engine.
type Rollout struct {
	Kind    string // restart, ...
	Purpose string // shown to other operators while the lease is held
	Cluster *inventory.Cluster
	Client  *kgo.Client
	Hosts   Hosts
	Options Options
	// Args are the kind's own settings, recorded so resume can rebuild the operation.
	Args          any
	StateDir      string
	InventoryPath string
	LeaseTTL      time.Duration
	LeaseWait     time.Duration
	Emit          func(Event)
	// Resuming continues Options.OpID's journal instead of starting one.
	Resuming bool
}

func (r *Rollout) engine() *Engine {
	return &Engine{Kafka: &ops.ClusterAdmin{Name: r.Cluster.Name, Client: r.Client}, Hosts: r.Hosts,
		Emit: r.Emit, Opts: r.Options}
}

// Plan shows what would run now; nothing is touched.
func (r *Rollout) Plan(ctx context.Context) ([]Batch, *ops.Snapshot, error) {
	return r.engine().Plan(ctx)
}

// Execute takes the cluster lease, journals the operation and runs it. The lease is released
// however the run ends.
func (r *Rollout) Execute(ctx context.Context, soft <-chan struct{}) (err error) {
	// Every batch ends with a preferred leader election: a principal that may not elect must be
	// refused now, not after the first broker has restarted.
	if err := ops.RequireClusterOps(ctx, r.Client, r.Cluster.Name, ops.OpElectLeaders); err != nil {
		return err
	}
	lease, err := ops.AcquireLease(ctx, r.Client, r.Cluster.Name, ops.LeaseRequest{
		Holder: ops.LeaseHolderString(), OpID: r.Options.OpID, Purpose: r.Purpose,
		TTL: r.LeaseTTL, Wait: r.LeaseWait,
	})
	if err != nil {
		return err
	}
	defer func() {
		// The run's context may be cancelled by now; releasing must still happen.
		rctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if rerr := lease.Release(rctx); rerr != nil && err == nil {
			err = fmt.Errorf("releasing the cluster lease: %w", rerr)
		}
	}()

	j, err := r.journal()
	if err != nil {
		return err
	}
	defer j.Close()

	e := r.engine()
	e.Journal = j
	e.Lease = lease
	return e.Run(ctx, soft)
}

func (r *Rollout) journal() (*Journal, error) {
	if r.Resuming {
		return ReopenJournal(r.StateDir, r.Options.OpID)
	}
	args, err := json.Marshal(r.Args)
	if err != nil {
		return nil, err
	}
	ids := make([]int32, len(r.Options.Brokers))
	for i, b := range r.Options.Brokers {
		ids[i] = b.ID
	}
	return CreateJournal(r.StateDir, OpRecord{ID: r.Options.OpID, Kind: r.Kind, Cluster: r.Cluster.Name,
		Inventory: r.InventoryPath, Brokers: ids, Created: time.Now().UTC(), Holder: ops.LeaseHolderString(),
		Args: args})
}

// ResumeSkips decides which brokers of an interrupted operation need no restart: those whose
// batch finished, and those of the cut-short batch that already run a new process.
func ResumeSkips(ctx context.Context, st *OpState, hosts Hosts, brokers []*inventory.Broker) (map[int32]bool, error) {
	skip := map[int32]bool{}
	for _, id := range st.Done {
		skip[id] = true
	}
	for _, b := range brokers {
		before, ok := st.InFlight[b.ID]
		if !ok || !before.Known {
			continue
		}
		p, err := hosts.Process(ctx, b)
		if err != nil {
			return nil, err
		}
		if p.Running && (p.PID != before.PID || p.StartTicks != before.StartTicks) {
			skip[b.ID] = true
		}
	}
	return skip, nil
}
