package fleet

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/journal"
	"github.com/kfleet/kfleet/rollout/operation"
)

// Every fleet run has the shape of one operation: planned, shown, confirmed once, executed.
var (
	_ operation.Operation   = (*Run)(nil)
	_ operation.Preflighter = (*Run)(nil)
)

// FleetPlan is what a fleet run would do now: every wave, every cluster's own plan and
// maintenance window, and the policy.
type FleetPlan struct {
	Op      string     `json:"fleet_op"`
	Kind    string     `json:"kind"`
	Summary string     `json:"summary"` // the run and its policy in one line
	Policy  Policy     `json:"policy"`
	Waves   []WavePlan `json:"waves"`
}

// WavePlan is one wave of the plan.
type WavePlan struct {
	Wave
	Plans []ClusterPlan `json:"plans"`
}

// ClusterPlan is one cluster's part of the plan.
type ClusterPlan struct {
	Cluster string `json:"cluster"`
	// Op is the cluster's operation: new, or resumed ("" when the cluster is done).
	Op      string `json:"op,omitempty"`
	Resumed bool   `json:"resumed,omitempty"`
	Done    bool   `json:"done,omitempty"` // by an earlier run of this fleet operation
	// Plan is the cluster's own plan now (its batches and the gate's verdict).
	// (Rendered on its own: a cluster's plan carries its whole snapshot.)
	Plan operation.Plan `json:"-"`
	// Window says whether the cluster may start now: "any time", "open until ...", "closed; ...".
	Window     string `json:"window"`
	WindowOpen bool   `json:"window_open"`
}

// Work counts the brokers the clusters' plans roll.
func (p *FleetPlan) Work() int {
	n := 0
	for _, w := range p.Waves {
		for _, c := range w.Plans {
			if c.Plan != nil {
				n += c.Plan.Work()
			}
		}
	}
	return n
}

// Clusters counts the clusters the run would work on (not done yet).
func (p *FleetPlan) Clusters() int {
	n := 0
	for _, w := range p.Waves {
		for _, c := range w.Plans {
			if !c.Done && c.Plan != nil && c.Plan.Work() > 0 {
				n++
			}
		}
	}
	return n
}

// Question asks for the one confirmation of the whole run.
func (p *FleetPlan) Question() string {
	return fmt.Sprintf("%s %d cluster(s) (%d broker(s)) in %d wave(s), as planned above?", p.Kind, p.Clusters(), p.Work(), len(p.Waves))
}

// Plan builds every cluster's operation (a new one, or the resumed one of an earlier run) and
// plans it, a bounded number of clusters at once; nothing is changed. A cluster that cannot be
// planned (unreachable, a bad setting) refuses the whole run: every such cluster is listed.
func (r *Run) Plan(ctx context.Context) (operation.Plan, error) {
	plan := &FleetPlan{Op: r.ID, Kind: r.Spec.Kind, Summary: r.Spec.Summary(), Policy: r.Spec.Policy}
	for _, w := range r.Spec.Waves {
		wp := WavePlan{Wave: w, Plans: make([]ClusterPlan, len(w.Clusters))}
		for i, name := range w.Clusters {
			wp.Plans[i] = ClusterPlan{Cluster: name}
		}
		plan.Waves = append(plan.Waves, wp)
	}
	ops := map[string]operation.Operation{}
	var mu sync.Mutex
	errs := make([]error, len(r.Spec.clusters()))
	k := -1
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.planParallel())
	now := r.clock().Now()
	for wi := range plan.Waves {
		for i := range plan.Waves[wi].Plans {
			cp := &plan.Waves[wi].Plans[i]
			c := r.Clusters[cp.Cluster]
			k++
			k := k
			cp.Window, cp.WindowOpen = windowNow(c, now, r.Spec.Policy.IgnoreWindows)
			if op, done := r.doneEarlier(c.Name); done {
				cp.Done, cp.Op = true, op
				continue
			}
			g.Go(func() error {
				op, resumed, err := r.build(gctx, c)
				if err == nil {
					cp.Op, cp.Resumed = op.OpID(), resumed
					cp.Plan, err = op.Plan(gctx)
				}
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs[k] = nameCluster(c.Name, err)
					return nil
				}
				ops[c.Name] = op
				return nil
			})
		}
	}
	_ = g.Wait()
	if err := fault.Join(errs...); err != nil {
		return plan, err
	}
	r.ops = ops
	return plan, nil
}

// build makes the cluster's operation: the one an earlier run of this fleet operation left
// unfinished, resumed, else a new one.
func (r *Run) build(ctx context.Context, c *inventory.Cluster) (op operation.Operation, resumed bool, err error) {
	d, err := r.Deps(c)
	if err != nil {
		return nil, false, err
	}
	d.Parent = r.ID
	if r.Spec.Policy.IgnoreWindows && c.Maintenance != nil && len(c.Maintenance.Windows) > 0 {
		d.Notes = append(d.Notes, fmt.Sprintf("maintenance windows (%s) ignored: fleet operation %s runs with --ignore-windows", c.Maintenance, r.ID))
	}
	if prior := r.prior[c.Name]; prior.Op != "" {
		e, err := journal.Load(r.StateDir, prior.Op)
		switch {
		case errors.Is(err, journal.ErrNoSuchOp):
			// Refused before it journaled anything (a run of an older kfleet): start it anew.
		case err != nil:
			return nil, false, err
		case e.Status == journal.StatusRefused || e.Status == journal.StatusFailed:
			// It changed nothing (the lease was held, a host could not be reached): start anew.
		default:
			op, err := operation.Resume(ctx, c, d, e)
			return op, true, err
		}
	}
	op, err = operation.Start(ctx, r.Spec.Kind, c, d, r.Spec.Args)
	return op, false, err
}

// doneEarlier says whether an earlier run of this fleet operation finished the cluster: its
// result was done, or its own operation's journal says done (it failed only the bake, or the
// run was killed between the two).
func (r *Run) doneEarlier(name string) (string, bool) {
	prior, ok := r.prior[name]
	if !ok {
		return "", false
	}
	if prior.Outcome == OutcomeDone {
		return prior.Op, true
	}
	if prior.Op == "" {
		return "", false
	}
	e, err := journal.Load(r.StateDir, prior.Op)
	return prior.Op, err == nil && e.Status == journal.StatusDone
}

// Preflight asks every cluster's operation, changing nothing, whether it could start now: the
// dry run's exit code is the worst of theirs.
func (r *Run) Preflight(ctx context.Context) error {
	return r.eachOp(ctx, func(ctx context.Context, op operation.Operation) error {
		if pf, ok := op.(operation.Preflighter); ok {
			return pf.Preflight(ctx)
		}
		return nil
	})
}

// eachOp calls f on every cluster's operation, a bounded number at once, and joins the errors
// in plan order, each naming its cluster.
func (r *Run) eachOp(ctx context.Context, f func(ctx context.Context, op operation.Operation) error) error {
	names := r.Spec.clusters()
	errs := make([]error, len(names))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.planParallel())
	for i, name := range names {
		op, ok := r.ops[name]
		if !ok {
			continue // done earlier
		}
		g.Go(func() error {
			if err := f(gctx, op); err != nil {
				errs[i] = nameCluster(name, err)
			}
			return nil
		})
	}
	_ = g.Wait()
	return fault.Join(errs...)
}

// stager is an operation that stages what it installs before any cluster is touched (deploy).
type stager interface {
	Stage(ctx context.Context) error
}

// stageAll stages every cluster that has something to stage, a bounded number at once, before
// wave 1: a bad artifact or a full disk stops the run before any broker restarts.
func (r *Run) stageAll(ctx context.Context) error {
	return r.eachOp(ctx, func(ctx context.Context, op operation.Operation) error {
		if st, ok := op.(stager); ok {
			return st.Stage(ctx)
		}
		return nil
	})
}

func (r *Run) planParallel() int {
	if r.PlanParallel > 0 {
		return r.PlanParallel
	}
	return 16
}

// nameCluster makes sure an error names its cluster.
func nameCluster(name string, err error) error {
	if strings.Contains(err.Error(), name) {
		return err
	}
	return fmt.Errorf("cluster %s: %w", name, err)
}

// joinNames lists cluster names, eliding the middle of a long list.
func joinNames(names []string) string {
	if len(names) > 8 {
		return strings.Join(names[:6], ", ") + fmt.Sprintf(", ... (%d more), ", len(names)-7) + names[len(names)-1]
	}
	return strings.Join(names, ", ")
}

// Label says what kind of wave w is: " (canary)", " (canary, sg1)", or "".
func (w Wave) Label() string {
	var parts []string
	if w.Canary {
		parts = append(parts, "canary")
	}
	if w.Group != "" {
		parts = append(parts, w.Group)
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}
