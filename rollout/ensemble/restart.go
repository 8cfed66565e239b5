package ensemble

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/host"
	"github.com/kfleet/kfleet/ops/journal"
	"github.com/kfleet/kfleet/ops/lease"
	"github.com/kfleet/kfleet/ops/zookeeper"
	"github.com/kfleet/kfleet/rollout/operation"
)

// Kind is the operation kind in the journal and in history.
const Kind = "zookeeper-restart"

// Every operation has the one shape a fleet run drives.
var _ operation.Operation = (*Restart)(nil)

func init() {
	operation.Register(Kind, resume)
	operation.RegisterStarter(Kind, start)
	operation.RegisterSettings(Kind, operation.DecodeInto[Settings])
}

// Settings are an ensemble restart's knobs, journaled so resume replays them.
type Settings struct {
	GateTimeout  time.Duration `json:"gate_timeout"`  // waiting until the next node may stop
	StopTimeout  time.Duration `json:"stop_timeout"`  // stop command until the node stops answering
	StartTimeout time.Duration `json:"start_timeout"` // start command until it serves, in sync
	Poll         time.Duration `json:"poll"`
	LeaseTTL     time.Duration `json:"lease_ttl"`
	LeaseWait    time.Duration `json:"lease_wait"`
}

// defaults fills what is unset with the documented defaults.
func (s Settings) defaults() Settings {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&s.GateTimeout, 10*time.Minute)
	def(&s.StopTimeout, 2*time.Minute)
	def(&s.StartTimeout, 5*time.Minute)
	def(&s.Poll, 500*time.Millisecond)
	def(&s.LeaseTTL, lease.DefaultTTL)
	return s
}

// Ensemble reads and controls the nodes; the default is over their client ports and SSH.
type Ensemble interface {
	Read(ctx context.Context) zookeeper.Ensemble
	Service(ctx context.Context, n *inventory.ZooKeeperNode, action host.ServiceAction) error
	// CheckService confirms, changing nothing, that the node's start and stop programs exist.
	CheckService(ctx context.Context, n *inventory.ZooKeeperNode) error
}

// Restart is one rolling restart of a cluster's ZooKeeper ensemble.
type Restart struct {
	Cluster  *inventory.Cluster
	Deps     operation.Deps
	Settings Settings
	// Ensemble replaces the nodes' reads and service commands (tests); nil: the real ones.
	Ensemble Ensemble
	opID     string
	done     map[int]bool // nodes a resumed run finished already
	resuming bool
}

// New builds a restart of every node of c's ensemble. A KRaft cluster has none: a usage error.
func New(c *inventory.Cluster, d operation.Deps, s Settings) (*Restart, error) {
	if c.Metadata.Mode() != inventory.MetadataZooKeeper || c.Metadata.ZooKeeper == nil || len(c.Metadata.ZooKeeper.Nodes) == 0 {
		return nil, fault.Usagef("cluster %s keeps its metadata in KRaft (%s): it has no ZooKeeper ensemble to restart; `kfleet restart` restarts its brokers and controllers",
			c.Name, c.Pos)
	}
	return &Restart{Cluster: c, Deps: d, Settings: s.defaults(), opID: journal.NewID(d.Clock()), done: map[int]bool{}}, nil
}

// start builds an ensemble restart of c from the settings a fleet run recorded (args).
func start(_ context.Context, c *inventory.Cluster, d operation.Deps, args json.RawMessage) (operation.Operation, error) {
	var s Settings
	if err := json.Unmarshal(args, &s); err != nil {
		return nil, fmt.Errorf("zookeeper restart settings: %w", err)
	}
	return New(c, d, s)
}

// resume continues a journaled ensemble restart: nodes whose restart finished are skipped; a node
// cut short is restarted again (stopping a stopped node is harmless, and it must come back synced).
func resume(_ context.Context, c *inventory.Cluster, d operation.Deps, e *journal.Entry) (operation.Operation, error) {
	var s Settings
	if err := json.Unmarshal(e.Op.Args, &s); err != nil {
		return nil, fmt.Errorf("operation %s: journal settings unreadable: %w", e.Op.ID, err)
	}
	r, err := New(c, d, s)
	if err != nil {
		return nil, err
	}
	r.opID, r.resuming = e.Op.ID, true
	for _, n := range finishedNodes(e) {
		r.done[n] = true
	}
	return r, nil
}

// OpID is the operation's id.
func (r *Restart) OpID() string { return r.opID }

func (r *Restart) ensemble() Ensemble {
	if r.Ensemble != nil {
		return r.Ensemble
	}
	return Live(r.Cluster, r.Deps)
}

// node is the inventory's node id.
func (r *Restart) node(id int) *inventory.ZooKeeperNode {
	for _, n := range r.Cluster.Metadata.ZooKeeper.Nodes {
		if n.ID == id {
			return n
		}
	}
	return nil
}

// left is the nodes still to restart, in the order RestartOrder gives for e, except that nodes
// which are down or out of sync come first: restarting one of them costs the ensemble nothing,
// while a healthy follower may not stop until they are back.
func (r *Restart) left(e zookeeper.Ensemble) []int {
	var lagging, rest []int
	for _, id := range zookeeper.RestartOrder(e) {
		switch m := member(e, id); {
		case r.done[id]:
		case id != e.Leader && (!m.Up || !m.Synced):
			lagging = append(lagging, id)
		default:
			rest = append(rest, id)
		}
	}
	return append(lagging, rest...)
}

// Plan reads the ensemble and says in which order the nodes would restart, and whether the first
// may stop now; nothing is touched.
func (r *Restart) Plan(ctx context.Context) (operation.Plan, error) {
	e := r.ensemble().Read(ctx)
	p := &Plan{Kind: Kind, OpID: r.opID, Cluster: r.Cluster.Name, Leader: e.Leader, Healthy: e.Healthy,
		Problems: e.Problems, Settings: r.Settings}
	for id := range r.done {
		p.Done = append(p.Done, id)
	}
	slices.Sort(p.Done)
	for _, id := range r.left(e) {
		m := member(e, id)
		p.Order = append(p.Order, PlanNode{ID: id, Address: m.Addr(), Mode: modeOf(m)})
	}
	if len(p.Order) > 0 {
		p.GateNow.OK, p.GateNow.Reasons = zookeeper.CanStop(e, []int{p.Order[0].ID})
	}
	return p, nil
}

// Preflight says, changing nothing, whether the run could start now: SSH to every node's host
// and its start and stop programs, the lease, and the gate for the first node.
func (r *Restart) Preflight(ctx context.Context) error {
	var errs []error
	for _, n := range r.Cluster.Metadata.ZooKeeper.Nodes {
		if r.done[n.ID] {
			continue
		}
		if err := r.ensemble().CheckService(ctx, n); err != nil {
			errs = append(errs, err)
		}
	}
	if err := r.guard().Check(ctx); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	e := r.ensemble().Read(ctx)
	if left := r.left(e); len(left) > 0 {
		if ok, reasons := zookeeper.CanStop(e, left[:1]); !ok {
			return &RefusedError{Cluster: r.Cluster.Name, Node: left[0], Reasons: reasons}
		}
	}
	return nil
}

func (r *Restart) guard() operation.Guard {
	var all []int
	for _, n := range r.Cluster.Metadata.ZooKeeper.Nodes {
		all = append(all, n.ID)
	}
	return operation.Guard{
		Cluster: r.Cluster, Deps: r.Deps, OpID: r.opID, Kind: Kind,
		Purpose:  "restart zookeeper nodes " + ids(all),
		LeaseTTL: r.Settings.LeaseTTL, LeaseWait: r.Settings.LeaseWait,
		Settings: r.Settings, Resuming: r.resuming,
	}
}

// Execute takes the cluster lease, journals the restart and runs it node by node.
func (r *Restart) Execute(ctx context.Context, soft <-chan struct{}) error {
	return r.guard().Run(ctx, func(ctx context.Context, s *operation.Session) error {
		run := &runner{r: r, ens: r.ensemble(), journal: s.Journal, lease: s.Lease}
		return run.run(ctx, soft)
	})
}
