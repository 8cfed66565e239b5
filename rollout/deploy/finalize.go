package deploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/host"
	"github.com/kfleet/kfleet/ops/journal"
	"github.com/kfleet/kfleet/ops/kafka"
	"github.com/kfleet/kfleet/ops/ssh"
	"github.com/kfleet/kfleet/rollout"
	"github.com/kfleet/kfleet/rollout/operation"
)

// MetadataVersionFeature is the feature finalize raises.
const MetadataVersionFeature = "metadata.version"

// FeatureRange is the metadata.version levels one broker supports.
type FeatureRange struct {
	Min int16 `json:"min" yaml:"min"`
	Max int16 `json:"max" yaml:"max"`
}

// MetadataVersions is what the brokers say about metadata.version: the cluster's finalized
// level and the range each broker's software supports.
type MetadataVersions struct {
	Finalized int16                  `json:"finalized" yaml:"finalized"`
	Supported map[int32]FeatureRange `json:"supported" yaml:"supported"`
	// Errors holds the brokers that did not answer.
	Errors map[int32]string `json:"errors,omitempty" yaml:"errors,omitempty"`
}

// ReadMetadataVersions asks every broker of ids for its ApiVersions: each reports the
// metadata.version range it supports and the level the cluster finalized.
func ReadMetadataVersions(ctx context.Context, cl *kgo.Client, ids []int32) (MetadataVersions, error) {
	mv := MetadataVersions{Finalized: -1, Supported: map[int32]FeatureRange{}, Errors: map[int32]string{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := kmsg.NewPtrApiVersionsRequest()
			req.ClientSoftwareName, req.ClientSoftwareVersion = "kfleet", "1"
			resp, err := req.RequestWith(ctx, cl.Broker(int(id)))
			if err == nil {
				err = kerr.ErrorForCode(resp.ErrorCode)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				mv.Errors[id] = err.Error()
				return
			}
			for _, f := range resp.SupportedFeatures {
				if f.Name == MetadataVersionFeature {
					mv.Supported[id] = FeatureRange{Min: f.MinVersion, Max: f.MaxVersion}
				}
			}
			for _, f := range resp.FinalizedFeatures {
				if f.Name == MetadataVersionFeature && f.MaxVersionLevel > mv.Finalized {
					mv.Finalized = f.MaxVersionLevel
				}
			}
		}()
	}
	wg.Wait()
	if len(mv.Supported) == 0 {
		return mv, fmt.Errorf("no broker reported its supported %s (%d answered with errors)", MetadataVersionFeature, len(mv.Errors))
	}
	return mv, nil
}

// FinalizePlan is what finalize would do.
type FinalizePlan struct {
	Cluster string `json:"cluster" yaml:"cluster"`
	// Version is the Kafka release every broker runs.
	Version string  `json:"version" yaml:"version"`
	Brokers []int32 `json:"brokers" yaml:"brokers"`
	From    int16   `json:"from" yaml:"from"`
	To      int16   `json:"to" yaml:"to"`
	// UpToDate says the cluster already runs the highest level every broker supports.
	UpToDate bool `json:"up_to_date" yaml:"up_to_date"`
}

// MixedVersionsError says finalize refused: the brokers do not all run one release (or some
// do not answer), so raising metadata.version could strand the others.
type MixedVersionsError struct {
	Cluster string
	Reason  string
}

func (e *MixedVersionsError) Error() string {
	return fmt.Sprintf("cluster %s: refusing to finalize: %s; finish the deploy (or roll back) first, nothing was changed", e.Cluster, e.Reason)
}

// FaultKind says what kind of failure this is (refused for now: retry later).
func (e *MixedVersionsError) FaultKind() fault.Kind { return fault.RefusedForNow }

// PlanFinalize decides the metadata.version to finalize. It is pure: versions are the Kafka
// releases the brokers' processes run ("" when no process runs), mv what the brokers reported.
// It refuses, naming brokers, unless every broker runs the same release and reported its range.
func PlanFinalize(cluster string, brokers []*inventory.Broker, versions map[int32]string, mv MetadataVersions) (FinalizePlan, error) {
	p := FinalizePlan{Cluster: cluster, From: mv.Finalized}
	groups := map[string][]int32{}
	var down, silent []int32
	for _, b := range brokers {
		p.Brokers = append(p.Brokers, b.ID)
		v := versions[b.ID]
		if v == "" {
			down = append(down, b.ID)
			continue
		}
		groups[v] = append(groups[v], b.ID)
		if _, ok := mv.Supported[b.ID]; !ok {
			silent = append(silent, b.ID)
		}
	}
	refuse := func(format string, args ...any) (FinalizePlan, error) {
		return p, &MixedVersionsError{Cluster: cluster, Reason: fmt.Sprintf(format, args...)}
	}
	switch {
	case len(down) > 0:
		return refuse("no Kafka process (or no version) found for broker(s) %s", inventory.JoinIDs(down))
	case len(groups) > 1:
		return refuse("versions are mixed: %s", describeGroups(groups))
	case len(silent) > 0:
		return refuse("broker(s) %s did not report the %s levels they support", inventory.JoinIDs(silent), MetadataVersionFeature)
	}
	for v := range groups {
		p.Version = v
	}
	p.To = -1
	for _, id := range p.Brokers {
		if r := mv.Supported[id]; p.To < 0 || r.Max < p.To {
			p.To = r.Max
		}
	}
	// Other registered brokers (not in the inventory) must support the level too.
	for id, r := range mv.Supported {
		if !slices.Contains(p.Brokers, id) && r.Max < p.To {
			return refuse("broker %d (not in the inventory) supports %s up to %d only", id, MetadataVersionFeature, r.Max)
		}
	}
	p.UpToDate = p.To <= p.From
	return p, nil
}

// Finalize raises metadata.version to plan.To with UpdateFeatures; validateOnly asks the
// controller to check the change without making it (--dry-run). It then waits (bounded) until
// the brokers report the new level.
func Finalize(ctx context.Context, cl *kgo.Client, plan FinalizePlan, validateOnly bool) error {
	req := kmsg.NewPtrUpdateFeaturesRequest()
	req.TimeoutMillis = 30000
	req.ValidateOnly = validateOnly
	u := kmsg.NewUpdateFeaturesRequestFeatureUpdate()
	u.Feature = MetadataVersionFeature
	u.MaxVersionLevel = plan.To
	u.UpgradeType = 1 // upgrade only: never a downgrade
	req.FeatureUpdates = append(req.FeatureUpdates, u)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("cluster %s: UpdateFeatures: %w", plan.Cluster, err)
	}
	if err := featureError(resp.ErrorCode, resp.ErrorMessage); err != nil {
		return fmt.Errorf("cluster %s: the controller refused %s %d: %w", plan.Cluster, MetadataVersionFeature, plan.To, err)
	}
	for _, r := range resp.Results {
		if err := featureError(r.ErrorCode, r.ErrorMessage); err != nil {
			return fmt.Errorf("cluster %s: the controller refused %s %d: %w", plan.Cluster, r.Feature, plan.To, err)
		}
	}
	if validateOnly {
		return nil
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		mv, err := ReadMetadataVersions(ctx, cl, plan.Brokers)
		if err == nil && mv.Finalized >= plan.To && len(mv.Errors) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cluster %s: %s %d was accepted but the brokers still report %d after 30s; check with kfleet status",
				plan.Cluster, MetadataVersionFeature, plan.To, mv.Finalized)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func featureError(code int16, msg *string) error {
	err := kerr.ErrorForCode(code)
	if err == nil {
		return nil
	}
	if msg != nil && *msg != "" {
		return fmt.Errorf("%w: %s", err, *msg)
	}
	return err
}

// RunningVersions probes the brokers' hosts for the Kafka release their processes run. A
// broker whose host cannot be asked is an error: finalize must not guess.
func RunningVersions(ctx context.Context, r *ssh.Runner, brokers []*inventory.Broker) (map[int32]string, error) {
	procs, failed := host.ProbeBrokers(ctx, r, brokers, 16)
	out := map[int32]string{}
	var errs []error
	for _, b := range brokers {
		if err := failed[b.ID]; err != nil {
			errs = append(errs, fmt.Errorf("broker %d: %w", b.ID, err))
			continue
		}
		if err := host.CheckIdentity(b, procs[b.ID]); err != nil {
			errs = append(errs, err)
			continue
		}
		out[b.ID] = ""
		if p := procs[b.ID]; p.Running {
			out[b.ID] = p.Version
		}
	}
	return out, errors.Join(errs...)
}

// KindFinalize is the kind of a finalize in the journal and in history (not resumable: it is
// one request, retried by running it again).
const KindFinalize = "finalize"

// Work is 1 when metadata.version is to be raised.
func (p *FinalizePlan) Work() int {
	if p.UpToDate {
		return 0
	}
	return 1
}

// Question asks for confirmation, saying that there is no way back.
func (p *FinalizePlan) Question() string {
	return fmt.Sprintf("raise metadata.version of %s from %d to %d? This cannot be undone: no rollback below Kafka %s afterwards",
		p.Cluster, p.From, p.To, p.Version)
}

// Finalizer raises a cluster's metadata.version once every broker runs the new release.
type Finalizer struct {
	cluster   *inventory.Cluster
	deps      operation.Deps
	leaseWait time.Duration
	opID      string
	plan      *FinalizePlan
	mv        MetadataVersions
}

// NewFinalizer builds the finalize of cluster c; leaseWait bounds the wait for a held lease.
func NewFinalizer(c *inventory.Cluster, d operation.Deps, leaseWait time.Duration) *Finalizer {
	return &Finalizer{cluster: c, deps: d, leaseWait: leaseWait, opID: journal.NewID(d.Clock())}
}

// Plan reads what every broker runs and supports and decides the level; nothing is changed.
// It refuses (MixedVersionsError) unless every broker runs the same release.
func (f *Finalizer) Plan(ctx context.Context) (operation.Plan, error) {
	c, cl := f.cluster, f.deps.Client
	versions, err := RunningVersions(ctx, f.deps.SSH, c.Brokers)
	if err != nil {
		return nil, err
	}
	snap, err := kafka.TakeSnapshot(ctx, cl, c.Name)
	if err != nil {
		return nil, err
	}
	ids := inventory.BrokerIDs(c.Brokers)
	for _, b := range snap.Brokers {
		if !slices.Contains(ids, b.ID) {
			ids = append(ids, b.ID)
		}
	}
	if f.mv, err = ReadMetadataVersions(ctx, cl, ids); err != nil {
		return nil, fmt.Errorf("cluster %s: %w", c.Name, err)
	}
	plan, err := PlanFinalize(c.Name, c.Brokers, versions, f.mv)
	if err != nil {
		return nil, err
	}
	f.plan = &plan
	return f.plan, nil
}

// Validate has the controller check the change without making it (--dry-run).
func (f *Finalizer) Validate(ctx context.Context) error {
	if f.plan == nil {
		return fmt.Errorf("finalize: Validate before Plan")
	}
	return Finalize(ctx, f.deps.Client, *f.plan, true)
}

// Execute raises metadata.version under the cluster lease, after checking again that every
// broker runs the release (one may have been rolled since the plan).
func (f *Finalizer) Execute(ctx context.Context, _ <-chan struct{}) error {
	if f.plan == nil {
		if _, err := f.Plan(ctx); err != nil {
			return err
		}
	}
	plan := *f.plan
	step := fmt.Sprintf("metadata.version %d -> %d", plan.From, plan.To)
	g := operation.Guard{Cluster: f.cluster, Deps: f.deps, OpID: f.opID, Kind: KindFinalize,
		Purpose: "deploy finalize: " + step, Needs: []kafka.Op{kafka.OpUpdateFeatures},
		LeaseWait: f.leaseWait, Brokers: plan.Brokers, Settings: plan}
	return g.Run(ctx, func(ctx context.Context, s *operation.Session) error {
		versions, err := RunningVersions(ctx, f.deps.SSH, f.cluster.Brokers)
		if err != nil {
			return err
		}
		if _, err := PlanFinalize(f.cluster.Name, f.cluster.Brokers, versions, f.mv); err != nil {
			return err
		}
		if err := Finalize(ctx, f.deps.Client, plan, false); err != nil {
			return err
		}
		_ = s.Journal.Append(rollout.Event{Time: f.deps.Clock().UTC(), Op: f.opID, Cluster: f.cluster.Name,
			Kind: rollout.EventFinished, Message: step})
		_ = s.Lease.Event(ctx, "finalized", step, nil)
		return nil
	})
}

// OpID is the operation's id.
func (f *Finalizer) OpID() string { return f.opID }
