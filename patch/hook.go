// Package patch is kfleet's side of host patching: the hook a patching system calls before and
// after it patches a broker host (pre/post/status), and the rolling host patch kfleet drives
// itself (run, on the rolling engine). It may import inventory, ops and rollout, never cmd/ or
// tui/.
package patch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/cluster"
	"github.com/kfleet/kfleet/ops/host"
	"github.com/kfleet/kfleet/ops/kafka"
	"github.com/kfleet/kfleet/ops/lease"
	"github.com/kfleet/kfleet/ops/zookeeper"
	"github.com/kfleet/kfleet/rollout"
	"github.com/kfleet/kfleet/rollout/ensemble"
	"github.com/kfleet/kfleet/rollout/operation"
)

// Decisions a hook call reports.
const (
	DecisionGo       = "go"        // pre: safe; the broker(s) are stopped (or --no-stop)
	DecisionRefused  = "refused"   // pre: the safety gate said no
	DecisionHeld     = "held"      // pre: another operation holds the cluster
	DecisionHealthy  = "healthy"   // post: back and healthy, lease released
	DecisionNotReady = "unhealthy" // post: not healthy within the timeout; lease kept
	DecisionFailed   = "failed"    // a step failed
)

// eventPreDone marks in the cluster's log that pre finished for a host, so a retried pre for
// the same host succeeds while one still under way does not.
const eventPreDone = "patch-pre-done"

// Result is what pre, post and run report; -o json prints it as one object.
type Result struct {
	Decision string  `json:"decision" yaml:"decision"`
	Host     string  `json:"host,omitempty" yaml:"host,omitempty"`
	Cluster  string  `json:"cluster" yaml:"cluster"`
	Brokers  []int32 `json:"brokers" yaml:"brokers"`
	// ZooKeeperNodes are the ZooKeeper nodes (myid) on the host, for a ZooKeeper-mode cluster.
	ZooKeeperNodes []int              `json:"zookeeper_nodes,omitempty" yaml:"zookeeper_nodes,omitempty"`
	OpID           string             `json:"op_id,omitempty" yaml:"op_id,omitempty"`
	Holder         string             `json:"holder,omitempty" yaml:"holder,omitempty"`
	Reasons        []string           `json:"reasons,omitempty" yaml:"reasons,omitempty"`
	Message        string             `json:"message" yaml:"message"`
	Timings        map[string]float64 `json:"timings_s,omitempty" yaml:"timings_s,omitempty"`
}

// Hook runs pre and post for one host.
type Hook struct {
	Cluster *inventory.Cluster
	Host    string
	Brokers []*inventory.Broker // the brokers on Host
	// ZooKeeper are the ZooKeeper nodes on Host (a ZooKeeper-mode cluster); Ensemble reads and
	// controls the cluster's ensemble, and is set for every ZooKeeper-mode cluster, since the
	// gate for brokers reads it too. Nil for KRaft.
	ZooKeeper []*inventory.ZooKeeperNode
	Ensemble  ensemble.Ensemble
	Client    *kgo.Client
	Hosts     rollout.Hosts
	Log       io.Writer // human progress (stderr)
	Poll      time.Duration
}

// FindHost returns the cluster whose brokers or ZooKeeper nodes live on host (matched
// case-insensitively), and those brokers and nodes.
func FindHost(fleet *inventory.Fleet, host string) (*inventory.Cluster, []*inventory.Broker, []*inventory.ZooKeeperNode, error) {
	var found *inventory.Cluster
	var brokers []*inventory.Broker
	var nodes []*inventory.ZooKeeperNode
	for _, c := range fleet.Clusters {
		var bs []*inventory.Broker
		for _, b := range c.Brokers {
			if strings.EqualFold(b.Host, host) {
				bs = append(bs, b)
			}
		}
		zk := c.ZooKeeperNodesOn(host)
		if len(bs)+len(zk) == 0 {
			continue
		}
		if found != nil {
			return nil, nil, nil, &inventory.SelectionError{Msg: fmt.Sprintf("host %s carries brokers or ZooKeeper nodes of clusters %s and %s; kfleet patches one cluster's host at a time", host, found.Name, c.Name)}
		}
		found, brokers, nodes = c, bs, zk
	}
	if found == nil {
		return nil, nil, nil, &inventory.SelectionError{Msg: fmt.Sprintf("host %s is not in the inventory %s", host, fleet.File)}
	}
	return found, brokers, nodes, nil
}

// OpID names a host's patch operation; post finds pre's lease by it.
func OpID(cluster, host string) string {
	return "patch-" + cluster + "-" + strings.ToLower(host)
}

func (h *Hook) ids() []int32 {
	ids := make([]int32, len(h.Brokers))
	for i, b := range h.Brokers {
		ids[i] = b.ID
	}
	return ids
}

func (h *Hook) nodeIDs() []int {
	var ids []int
	for _, n := range h.ZooKeeper {
		ids = append(ids, n.ID)
	}
	return ids
}

// what names what lives on the host: "broker(s) 1", "zookeeper node(s) 1" or both.
func (h *Hook) what() string {
	var parts []string
	if len(h.Brokers) > 0 {
		parts = append(parts, "broker(s) "+inventory.JoinIDs(h.ids()))
	}
	if len(h.ZooKeeper) > 0 {
		ids := make([]int32, 0, len(h.ZooKeeper))
		for _, id := range h.nodeIDs() {
			ids = append(ids, int32(id))
		}
		parts = append(parts, "zookeeper node(s) "+inventory.JoinIDs(ids))
	}
	return strings.Join(parts, " and ")
}

func (h *Hook) result(decision, msg string) Result {
	return Result{Decision: decision, Host: h.Host, Cluster: h.Cluster.Name, Brokers: h.ids(), ZooKeeperNodes: h.nodeIDs(),
		OpID: OpID(h.Cluster.Name, h.Host), Message: msg, Timings: map[string]float64{}}
}

func (h *Hook) say(format string, args ...any) {
	if h.Log != nil {
		fmt.Fprintf(h.Log, "%s kfleet patch: "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
	}
}

func (h *Hook) admin() *kafka.ClusterAdmin {
	return &kafka.ClusterAdmin{Name: h.Cluster.Name, Client: h.Client, ZooKeeper: h.Ensemble != nil}
}

// gate is the verdict on taking the host down now: its brokers by the safety gate (which, in
// ZooKeeper mode, wants a synced majority of the ensemble), its ZooKeeper nodes by the
// ensemble's rule (it keeps a synced majority without them; the leader alone). The ensemble is
// read once, for both.
func (h *Hook) gate(ctx context.Context, o cluster.GateOptions) ([]string, error) {
	var e zookeeper.Ensemble
	var ensemble func(ctx context.Context) *cluster.ZooKeeperHealth
	if h.Ensemble != nil {
		ensemble = func(ctx context.Context) *cluster.ZooKeeperHealth {
			e = h.Ensemble.Read(ctx)
			return host.EnsembleHealth(e)
		}
	}
	var reasons []string
	if len(h.Brokers) > 0 || h.Ensemble == nil {
		snap, err := rollout.GateSnapshot(ctx, h.admin(), ensemble)
		if err != nil {
			return nil, err
		}
		reasons = append(reasons, cluster.CheckGate(snap, h.ids(), time.Now(), o).Reasons...)
	} else {
		e = h.Ensemble.Read(ctx) // a host with a ZooKeeper node alone: Kafka has no say
	}
	if len(h.ZooKeeper) > 0 {
		if ok, why := zookeeper.CanStop(e, h.nodeIDs()); !ok {
			reasons = append(reasons, why...)
		}
	}
	return reasons, nil
}

func (h *Hook) waiter() rollout.Waiter {
	return rollout.Waiter{Kafka: h.admin(), Hosts: h.Hosts, Poll: h.Poll}
}

// PreOptions tunes pre.
type PreOptions struct {
	Wait        time.Duration // how long to wait for a held lease
	NoStop      bool          // only check and hold the lease; the patch system stops Kafka itself
	LeaseTTL    time.Duration // how long the lease outlives this call without post; default 1h
	StopTimeout time.Duration // default 5m
	Gate        cluster.GateOptions
}

// Pre answers "may this host be taken down now?": it takes the cluster lease, checks the gate
// for the host's brokers, and stops them. The lease stays held after Pre returns "go", until
// Post (or its TTL) ends it. A refusal returns the Result and an error for the exit code:
// *lease.HeldError or *rollout.GateRefusedError (75).
func (h *Hook) Pre(ctx context.Context, o PreOptions) (Result, error) {
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = time.Hour
	}
	if o.StopTimeout <= 0 {
		o.StopTimeout = 5 * time.Minute
	}
	began := time.Now()
	opID := OpID(h.Cluster.Name, h.Host)

	// A retry of a pre that already said go for this host succeeds without touching anything.
	st, err := lease.Read(ctx, h.Client, h.Cluster.Name)
	if err != nil {
		err = kafka.Failure(h.Cluster.Name, lease.OpLease, err)
		return h.result(DecisionFailed, err.Error()), err
	}
	if st.Held && st.OpID == opID {
		if preDone(st, opID) {
			r := h.result(DecisionGo, fmt.Sprintf("already prepared: %s holds the lease for %q since %s", st.Holder, st.Purpose, st.Since.Local().Format("15:04:05")))
			r.Holder = st.Holder
			return r, nil
		}
	}

	r := h.result(DecisionGo, "")
	h.say("taking the lease of cluster %s for patch %s", h.Cluster.Name, h.Host)
	g := operation.Guard{Cluster: h.Cluster, Deps: operation.Deps{Client: h.Client}, OpID: opID, Kind: "patch-pre",
		Purpose: "patch " + h.Host,
		// post elects the preferred leaders back: a principal that may not must be refused
		// before the broker goes down.
		Needs:    []kafka.Op{kafka.OpElectLeaders},
		LeaseTTL: o.LeaseTTL, LeaseWait: o.Wait,
		// The decision is recorded in the cluster's log, where post and every operator see it;
		// the lease outlives this call until post (or its TTL) ends it.
		NoJournal: true, KeepLease: true,
	}
	err = g.Run(ctx, func(ctx context.Context, s *operation.Session) error {
		reasons, err := h.gate(ctx, o.Gate)
		if err != nil {
			r.Decision, r.Message = DecisionFailed, err.Error()
			return err
		}
		if len(reasons) > 0 {
			r.Decision, r.Message, r.Reasons = DecisionRefused, "not safe to take "+h.Host+" down now", reasons
			return &rollout.GateRefusedError{Cluster: h.Cluster.Name, Brokers: h.ids(), Reasons: reasons, Never: true}
		}
		h.say("safety gate open for %s on %s", h.what(), h.Host)
		r.Holder = lease.DetachedHolderString()
		if !o.NoStop {
			stopAt := time.Now()
			if err := h.stop(ctx, o.StopTimeout); err != nil {
				r.Decision, r.Message = DecisionFailed, err.Error()
				return err
			}
			r.Timings["stop"] = time.Since(stopAt).Seconds()
			r.Message = fmt.Sprintf("go ahead: %s on %s stopped; call kfleet patch post --host %s when the host is back", h.what(), h.Host, h.Host)
		} else {
			r.Message = fmt.Sprintf("go ahead: %s on %s may be stopped; call kfleet patch post --host %s when the host is back", h.what(), h.Host, h.Host)
		}
		ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		defer cancel()
		if err := s.Lease.Event(ectx, eventPreDone, r.Message, map[string]string{"host": h.Host, "brokers": inventory.JoinIDs(h.ids())}); err != nil {
			// Without the record a retry could not tell this pre finished: undo it.
			if !o.NoStop {
				h.startAgain(ctx)
			}
			r.Decision, r.Message = DecisionFailed, "recording the decision in the cluster's log: "+err.Error()
			return err
		}
		return nil
	})
	var held *lease.HeldError
	switch {
	case errors.As(err, &held):
		r = h.result(DecisionHeld, err.Error())
		r.Holder = held.Holder
		return r, err
	case err != nil && r.Decision == DecisionGo:
		// Refused before the body ran (an ACL, the lease's own topic).
		return h.result(DecisionFailed, err.Error()), err
	case err != nil:
		return r, err
	}
	r.Timings["total"] = time.Since(began).Seconds()
	h.say("%s", r.Message)
	return r, nil
}

func preDone(st lease.State, opID string) bool {
	for _, e := range st.Events {
		if e.OpID == opID && e.Kind == eventPreDone && !e.Time.Before(st.Since) {
			return true
		}
	}
	return false
}

// stop takes the host's brokers down gracefully and waits until they are gone, then its
// ZooKeeper nodes; on failure it starts them all again.
func (h *Hook) stop(ctx context.Context, timeout time.Duration) error {
	var errs []error
	if len(h.Brokers) > 0 {
		h.say("stopping broker(s) %s (controlled shutdown)", inventory.JoinIDs(h.ids()))
		for _, b := range h.Brokers {
			if err := h.Hosts.Service(ctx, b, host.ServiceStop); err != nil {
				errs = append(errs, err)
			}
		}
		if len(errs) == 0 {
			errs = append(errs, h.waiter().Stopped(ctx, h.Brokers, timeout))
		}
	}
	for _, n := range h.ZooKeeper {
		if errors.Join(errs...) != nil {
			break
		}
		h.say("stopping zookeeper node %d (%s)", n.ID, n.Address())
		errs = append(errs, ensemble.StopNode(ctx, h.Ensemble, n, timeout, h.poll()))
	}
	if err := errors.Join(errs...); err != nil {
		h.startAgain(ctx)
		return fmt.Errorf("stopping %s on %s: %w (started them again)", h.what(), h.Host, err)
	}
	return nil
}

// startAgain starts what pre stopped, ZooKeeper first, without waiting: pre is undoing itself.
func (h *Hook) startAgain(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	for _, n := range h.ZooKeeper {
		_ = h.Ensemble.Service(ctx, n, host.ServiceStart)
	}
	for _, b := range h.Brokers {
		_ = h.Hosts.Service(ctx, b, host.ServiceStart)
	}
}

func (h *Hook) poll() time.Duration {
	if h.Poll > 0 {
		return h.Poll
	}
	return 250 * time.Millisecond
}

// PostOptions tunes post.
type PostOptions struct {
	Timeout      time.Duration // until registered and URP zero; default 30m
	HealthyPolls int           // default 3
}

// PostError says the host's brokers did not come back healthy in time; the lease stays held.
type PostError struct {
	Host string
	Err  error
}

func (e *PostError) Error() string {
	return fmt.Sprintf("host %s: not healthy: %v; a lease held for this host's patch stays held so no other host starts patching (see kfleet patch status)", e.Host, e.Err)
}

func (e *PostError) Unwrap() error { return e.Err }

// Post brings the host's brokers back: starts any that is not running, waits until they are
// registered and nothing is under-replicated, moves leadership back to preferred replicas and
// releases the host's lease. It is safe to call when nothing is held: it then only verifies.
func (h *Hook) Post(ctx context.Context, o PostOptions) (Result, error) {
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Minute
	}
	if o.HealthyPolls <= 0 {
		o.HealthyPolls = 3
	}
	began := time.Now()
	deadline := began.Add(o.Timeout)
	r := h.result(DecisionHealthy, "")
	// The ensemble first: brokers cannot register without it.
	for _, n := range h.ZooKeeper {
		h.say("waiting (up to %s) for zookeeper node %d on %s to serve in sync (starting it unless it runs)", o.Timeout, n.ID, h.Host)
		if err := ensemble.StartNode(ctx, h.Ensemble, n, time.Until(deadline).Round(time.Second), h.poll()); err != nil {
			return h.fail(r, fmt.Errorf("zookeeper node %d: %w", n.ID, err))
		}
	}
	if len(h.ZooKeeper) > 0 {
		r.Timings["zookeeper_synced"] = time.Since(began).Seconds()
	}
	for _, b := range h.Brokers {
		p, err := h.Hosts.Process(ctx, b)
		if err != nil {
			return h.fail(r, err)
		}
		if !p.Running {
			h.say("starting broker %d on %s", b.ID, h.Host)
			if err := h.Hosts.Service(ctx, b, host.ServiceStart); err != nil {
				return h.fail(r, err)
			}
		}
	}
	if len(h.Brokers) > 0 {
		h.say("waiting (up to %s) for broker(s) %s to register and the cluster to be healthy", o.Timeout, inventory.JoinIDs(h.ids()))
		if err := h.waiter().Started(ctx, h.Brokers, nil, time.Until(deadline).Round(time.Second)); err != nil {
			return h.fail(r, err)
		}
		r.Timings["registered"] = time.Since(began).Seconds()
	}
	if _, err := h.waiter().Healthy(ctx, h.ids(), o.HealthyPolls, time.Until(deadline).Round(time.Second), nil); err != nil {
		return h.fail(r, err)
	}
	r.Timings["healthy"] = time.Since(began).Seconds()

	snap, err := h.admin().Snapshot(ctx)
	if err != nil {
		return h.fail(r, err)
	}
	if parts := snap.PreferredElsewhere(h.ids()); len(parts) > 0 {
		if err := h.admin().ElectPreferred(ctx, parts); err != nil {
			return h.fail(r, err)
		}
	}

	st, err := lease.Read(ctx, h.Client, h.Cluster.Name)
	if err != nil {
		return h.fail(r, err)
	}
	opID := OpID(h.Cluster.Name, h.Host)
	switch {
	case st.Held && st.OpID == opID:
		if _, err := lease.ForceRelease(ctx, h.Client, h.Cluster.Name, lease.HolderString()); err != nil {
			return h.fail(r, fmt.Errorf("releasing the lease: %w", err))
		}
		r.Message = fmt.Sprintf("%s on %s back and the cluster healthy; lease released", h.what(), h.Host)
	case st.Held:
		r.Message = fmt.Sprintf("%s on %s back and the cluster healthy; the lease is held by %s for %q, not by this host's patch", h.what(), h.Host, st.Holder, st.Purpose)
	default:
		r.Message = fmt.Sprintf("%s on %s back and the cluster healthy; no lease was held", h.what(), h.Host)
	}
	r.Timings["total"] = time.Since(began).Seconds()
	h.say("%s", r.Message)
	return r, nil
}

func (h *Hook) fail(r Result, err error) (Result, error) {
	perr := &PostError{Host: h.Host, Err: err}
	r.Decision, r.Message = DecisionNotReady, perr.Error()
	return r, perr
}
