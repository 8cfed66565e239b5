package deploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
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
	"github.com/kfleet/kfleet/rollout/brokerconfig"
	"github.com/kfleet/kfleet/rollout/operation"
)

// MetadataVersionFeature is the feature finalize raises.
const MetadataVersionFeature = kafka.MetadataVersionFeature

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
			l := kafka.Feature(resp, MetadataVersionFeature)
			if l.Supported {
				mv.Supported[id] = FeatureRange{Min: l.Min, Max: l.Max}
			}
			mv.Finalized = max(mv.Finalized, l.Finalized)
		}()
	}
	wg.Wait()
	if len(mv.Supported) == 0 {
		return mv, fmt.Errorf("no broker reported its supported %s (%d answered with errors)", MetadataVersionFeature, len(mv.Errors))
	}
	return mv, nil
}

// FinalizePlan is what finalize would do: raise metadata.version (KRaft) or
// inter.broker.protocol.version (ZooKeeper mode), named by Feature.
type FinalizePlan struct {
	Cluster string `json:"cluster" yaml:"cluster"`
	// Version is the Kafka release every broker runs.
	Version string  `json:"version" yaml:"version"`
	Brokers []int32 `json:"brokers" yaml:"brokers"`
	// Feature is what finalize raises: metadata.version or inter.broker.protocol.version.
	Feature string `json:"feature" yaml:"feature"`
	// From and To are metadata.version levels (KRaft; absent in ZooKeeper mode).
	From int16 `json:"from,omitempty" yaml:"from,omitempty"`
	To   int16 `json:"to,omitempty" yaml:"to,omitempty"`
	// FromVersion and ToVersion are the feature's values as Kafka names them: "4.1-IV1" for a
	// metadata.version level ("" when kfleet does not know its name), "3.8" and "3.9" for
	// inter.broker.protocol.version (From: the lowest a broker runs).
	FromVersion string `json:"from_version" yaml:"from_version"`
	ToVersion   string `json:"to_version" yaml:"to_version"`
	// UpToDate says there is nothing to raise.
	UpToDate bool `json:"up_to_date" yaml:"up_to_date"`
	// ZooKeeper mode: the brokers whose protocol version is raised, the server.properties edits
	// and the gated rolling restart that loads them.
	Raise   []int32                 `json:"raise,omitempty" yaml:"raise,omitempty"`
	Files   []brokerconfig.FileEdit `json:"files,omitempty" yaml:"files,omitempty"`
	Restart *rollout.RollingPlan    `json:"-" yaml:"-"`
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
	p := FinalizePlan{Cluster: cluster, Feature: MetadataVersionFeature, From: mv.Finalized, FromVersion: MetadataVersionName(mv.Finalized)}
	version, err := CommonRelease(cluster, brokers, versions)
	for _, b := range brokers {
		p.Brokers = append(p.Brokers, b.ID)
	}
	if err != nil {
		return p, err
	}
	p.Version = version
	refuse := func(format string, args ...any) (FinalizePlan, error) {
		return p, &MixedVersionsError{Cluster: cluster, Reason: fmt.Sprintf(format, args...)}
	}
	var silent []int32
	for _, b := range brokers {
		if _, ok := mv.Supported[b.ID]; !ok {
			silent = append(silent, b.ID)
		}
	}
	if len(silent) > 0 {
		return refuse("broker(s) %s did not report the %s levels they support", inventory.JoinIDs(silent), MetadataVersionFeature)
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
	p.ToVersion = MetadataVersionName(p.To)
	return p, nil
}

// CommonRelease is the one release every broker's process runs (versions: "" when none runs).
// It refuses (MixedVersionsError), naming brokers, while versions are mixed or a broker is down:
// raising what the cluster speaks then could strand the others.
func CommonRelease(cluster string, brokers []*inventory.Broker, versions map[int32]string) (string, error) {
	groups := map[string][]int32{}
	var down []int32
	for _, b := range brokers {
		v := versions[b.ID]
		if v == "" {
			down = append(down, b.ID)
			continue
		}
		groups[v] = append(groups[v], b.ID)
	}
	switch {
	case len(down) > 0:
		return "", &MixedVersionsError{Cluster: cluster, Reason: fmt.Sprintf("no Kafka process (or no version) found for broker(s) %s", inventory.JoinIDs(down))}
	case len(groups) > 1:
		return "", &MixedVersionsError{Cluster: cluster, Reason: "versions are mixed: " + describeGroups(groups)}
	}
	for v := range groups {
		return v, nil
	}
	return "", &MixedVersionsError{Cluster: cluster, Reason: "no broker selected"}
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

// KindFinalize is the kind of a finalize in the journal and in history. A KRaft finalize is one
// request, retried by running it again; a ZooKeeper-mode one rolls brokers and resumes like a
// restart (kfleet resume OP-ID).
const KindFinalize = "finalize"

func init() {
	operation.Register(KindFinalize, resumeFinalize)
	operation.RegisterSettings(KindFinalize, operation.DecodeInto[FinalizeSettings])
}

// Work is 1 when metadata.version is to be raised, or the number of brokers whose
// inter.broker.protocol.version is raised.
func (p *FinalizePlan) Work() int {
	switch {
	case p.UpToDate:
		return 0
	case p.Feature == ProtocolVersionFeature:
		return len(p.Raise)
	}
	return 1
}

// Question asks for confirmation, saying that there is no way back.
func (p *FinalizePlan) Question() string {
	if p.Feature == ProtocolVersionFeature {
		return fmt.Sprintf("raise %s of %s from %s to %s on broker(s) %s (server.properties and a rolling restart)? "+
			"This cannot be undone: no rollback below Kafka %s afterwards",
			ProtocolVersionFeature, p.Cluster, p.FromVersion, p.ToVersion, inventory.JoinIDs(p.Raise), p.ToVersion)
	}
	return fmt.Sprintf("raise metadata.version of %s from %d to %d? This cannot be undone: no rollback below Kafka %s afterwards",
		p.Cluster, p.From, p.To, p.Version)
}

// FinalizeSettings are finalize's settings. In ZooKeeper mode they are journaled (the restart's
// settings, and the release and protocol version it raises to, for resume); in KRaft mode only
// LeaseWait matters.
type FinalizeSettings struct {
	Feature          string `json:"feature,omitempty"`
	Version          string `json:"version,omitempty"` // the release every broker runs
	To               string `json:"to,omitempty"`      // the inter.broker.protocol.version written
	rollout.Settings `yaml:",inline"`
	// VerifyTimeout bounds the wait, after the restarts, until every broker reports the new
	// protocol version.
	VerifyTimeout time.Duration `json:"verify_timeout"`
}

// Finalizer raises what a cluster's brokers speak once every broker runs the new release:
// metadata.version (KRaft, UpdateFeatures) or inter.broker.protocol.version (ZooKeeper mode,
// server.properties and a gated rolling restart).
type Finalizer struct {
	cluster  *inventory.Cluster
	deps     operation.Deps
	settings FinalizeSettings
	opID     string
	plan     *FinalizePlan
	mv       MetadataVersions
	// ZooKeeper mode
	files   []brokerconfig.FileEdit
	rolling rollout.Rolling
	resumed *journal.Entry
}

// NewFinalizer builds the finalize of cluster c.
func NewFinalizer(c *inventory.Cluster, d operation.Deps, s FinalizeSettings) *Finalizer {
	return &Finalizer{cluster: c, deps: d, settings: s, opID: journal.NewID(d.Clock())}
}

// Plan reads what every broker runs and supports and decides the level; nothing is changed.
// It refuses (MixedVersionsError) unless every broker runs the same release.
func (f *Finalizer) Plan(ctx context.Context) (operation.Plan, error) {
	if f.cluster.Metadata.Mode() == inventory.MetadataZooKeeper {
		return f.planProtocol(ctx)
	}
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

// planProtocol plans a ZooKeeper-mode finalize: the brokers below the release's protocol
// version, their server.properties edits and the restart that loads them.
func (f *Finalizer) planProtocol(ctx context.Context) (operation.Plan, error) {
	c, cl := f.cluster, f.deps.Client
	version := f.settings.Version
	if f.resumed == nil {
		versions, err := RunningVersions(ctx, f.deps.SSH, c.Brokers)
		if err != nil {
			return nil, err
		}
		if version, err = CommonRelease(c.Name, c.Brokers, versions); err != nil {
			return nil, err
		}
	}
	live, failed := kafka.ProtocolVersions(ctx, cl, inventory.BrokerIDs(c.Brokers))
	if len(failed) > 0 {
		if f.resumed == nil {
			return nil, protocolFailures(c.Name, failed)
		}
		// Resumed: a broker the interrupted run left down is restarted (its file was written
		// before any restart).
		for id := range failed {
			live[id] = ""
		}
	}
	plan, err := PlanProtocolFinalize(c.Name, c.Brokers, version, live, ProtocolPins(c))
	if err != nil {
		return nil, err
	}
	f.plan = &plan
	if plan.UpToDate {
		return f.plan, nil
	}
	var raise, answered []*inventory.Broker
	for _, b := range c.Brokers {
		if slices.Contains(plan.Raise, b.ID) {
			raise = append(raise, b)
			if live[b.ID] != "" {
				answered = append(answered, b)
			}
		}
	}
	files, err := planProtocolFiles(ctx, cl, f.deps.SSH, c, answered, plan.ToVersion)
	if err != nil {
		return nil, err
	}
	f.files, plan.Files = files.Files, files.Files
	s := f.settings
	s.Feature, s.Version, s.To = ProtocolVersionFeature, version, plan.ToVersion
	f.settings = s
	step := fmt.Sprintf("%s %s -> %s", ProtocolVersionFeature, plan.FromVersion, plan.ToVersion)
	f.rolling = rollout.Rolling{Kind: KindFinalize, Cluster: c, Brokers: raise, OpID: f.opID, Deps: f.deps,
		Settings: s.Settings, Journaled: s,
		Purpose: fmt.Sprintf("deploy finalize: %s on brokers %s (rolling restart)", step, inventory.JoinIDs(plan.Raise))}
	if f.resumed != nil {
		if err := f.rolling.ResumeFrom(ctx, f.resumed); err != nil {
			return nil, err
		}
	}
	if plan.Restart, err = f.rolling.Plan(ctx); err != nil {
		return nil, err
	}
	f.plan = &plan
	return f.plan, nil
}

// Validate checks the change without making it (--dry-run): in KRaft mode the controller
// validates the UpdateFeatures; in ZooKeeper mode the lease, ACLs, SSH to every broker to
// restart and the safety gate are checked, as for restart.
func (f *Finalizer) Validate(ctx context.Context) error {
	if f.plan == nil {
		return fmt.Errorf("finalize: Validate before Plan")
	}
	if f.plan.Feature == ProtocolVersionFeature {
		return f.rolling.Preflight(ctx, f.plan.Restart)
	}
	return Finalize(ctx, f.deps.Client, *f.plan, true)
}

// Execute raises the feature under the cluster lease, after checking again that every broker
// runs the release (one may have been rolled since the plan).
func (f *Finalizer) Execute(ctx context.Context, soft <-chan struct{}) error {
	if f.plan == nil {
		if _, err := f.Plan(ctx); err != nil {
			return err
		}
	}
	if f.plan.Feature == ProtocolVersionFeature {
		return f.executeProtocol(ctx, soft)
	}
	plan := *f.plan
	step := fmt.Sprintf("metadata.version %d -> %d", plan.From, plan.To)
	g := operation.Guard{Cluster: f.cluster, Deps: f.deps, OpID: f.opID, Kind: KindFinalize,
		Purpose: "deploy finalize: " + step, Needs: []kafka.Op{kafka.OpUpdateFeatures},
		LeaseWait: f.settings.LeaseWait, Brokers: plan.Brokers, Settings: plan}
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

// executeProtocol raises inter.broker.protocol.version: under the lease it checks the releases
// again, rewrites server.properties (each write journaled before and after, as config apply
// does), restarts the brokers batch by batch on the gated engine, and waits until each reports
// the new version.
func (f *Finalizer) executeProtocol(ctx context.Context, soft <-chan struct{}) error {
	plan, c := *f.plan, f.cluster
	step := fmt.Sprintf("%s %s -> %s", ProtocolVersionFeature, plan.FromVersion, plan.ToVersion)
	g := f.rolling.Guard()
	g.UnderLease = func(ctx context.Context) error {
		if f.resumed != nil {
			return nil // a broker may be down: the interrupted run left it so
		}
		versions, err := RunningVersions(ctx, f.deps.SSH, c.Brokers)
		if err != nil {
			return err
		}
		v, err := CommonRelease(c.Name, c.Brokers, versions)
		if err == nil && v != plan.Version {
			err = &MixedVersionsError{Cluster: c.Name, Reason: fmt.Sprintf("the brokers run Kafka %s now, not %s as planned", v, plan.Version)}
		}
		return err
	}
	byID := map[int32]*inventory.Broker{}
	for _, b := range c.Brokers {
		byID[b.ID] = b
	}
	return g.Run(ctx, func(ctx context.Context, s *operation.Session) error {
		record := func(kind, status string, brokers []int32, msg string) {
			e := rollout.Event{Time: f.deps.Clock().UTC(), Op: f.rolling.OpID, Cluster: c.Name, Kind: kind, Status: status, Brokers: brokers, Message: msg}
			if s.Journal != nil {
				_ = s.Journal.Append(e)
				if status == rollout.StatusStarted {
					_ = s.Journal.FlushIntent(ctx)
				}
			}
			f.deps.Event(e)
		}
		now := f.deps.Clock()
		for _, e := range f.files {
			record(brokerconfig.EventFile, rollout.StatusStarted, []int32{e.Broker}, fmt.Sprintf("setting %s=%s in %s on %s", ProtocolVersionFeature, plan.ToVersion, e.Path, e.Host))
			backup, err := brokerconfig.WriteConfigFile(ctx, f.deps.SSH, byID[e.Broker], e, now)
			if err != nil {
				record(rollout.EventHalted, rollout.StatusFailed, []int32{e.Broker}, err.Error())
				return err
			}
			record(brokerconfig.EventFile, rollout.StatusOK, []int32{e.Broker}, fmt.Sprintf("%s rewritten on %s (backup %s)", e.Path, e.Host, backup))
		}
		if err := f.rolling.Run(ctx, s, soft); err != nil {
			return err
		}
		if err := f.waitProtocol(ctx, plan); err != nil {
			record(rollout.EventHalted, rollout.StatusFailed, plan.Raise, err.Error())
			return err
		}
		record(rollout.EventFinished, "", plan.Raise, step)
		if s.Lease != nil {
			_ = s.Lease.Event(ctx, "finalized", step, nil)
		}
		return nil
	})
}

// waitProtocol polls until every raised broker reports the new protocol version (bounded).
func (f *Finalizer) waitProtocol(ctx context.Context, plan FinalizePlan) error {
	target, _ := kafka.ParseRelease(plan.ToVersion)
	timeout := f.settings.VerifyTimeout
	if timeout <= 0 {
		timeout = time.Minute
	}
	deadline := time.Now().Add(timeout)
	for {
		live, failed := kafka.ProtocolVersions(ctx, f.deps.Client, plan.Raise)
		var behind []string
		for _, id := range plan.Raise {
			r, ok := kafka.ParseRelease(live[id])
			switch {
			case failed[id] != nil:
				behind = append(behind, fmt.Sprintf("broker %d: %v", id, failed[id]))
			case !ok || r.Less(target):
				behind = append(behind, fmt.Sprintf("broker %d runs %q", id, live[id]))
			}
		}
		if len(behind) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cluster %s: after the restarts, %s is not %s everywhere within %s: %s; check server.properties (kfleet config diff) and run kfleet deploy finalize again",
				plan.Cluster, ProtocolVersionFeature, plan.ToVersion, timeout, strings.Join(behind, "; "))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// resumeFinalize continues a ZooKeeper-mode finalize that stopped part-way: brokers already on
// the new protocol version are done, the rest are (re)written if their file still differs and
// restarted; a broker the run left down is started. A KRaft finalize is one request: run it again.
func resumeFinalize(ctx context.Context, c *inventory.Cluster, d operation.Deps, e *journal.Entry) (operation.Operation, error) {
	var s FinalizeSettings
	if _, err := operation.Recorded(c, e, &s); err != nil {
		return nil, err
	}
	if s.Feature != ProtocolVersionFeature || c.Metadata.Mode() != inventory.MetadataZooKeeper {
		return nil, fault.Usagef("operation %s raised metadata.version, which is one request: run kfleet deploy finalize again", e.Op.ID)
	}
	f := NewFinalizer(c, d, s)
	f.opID, f.resumed = e.Op.ID, e
	return f, nil
}

// OpID is the operation's id.
func (f *Finalizer) OpID() string { return f.opID }
