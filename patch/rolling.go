package patch

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/journal"
	"github.com/kfleet/kfleet/rollout"
	"github.com/kfleet/kfleet/rollout/ensemble"
	"github.com/kfleet/kfleet/rollout/operation"
)

// RunKind is the kind of a rolling host patch in the journal and in history.
const RunKind = "patch"

// Every operation has the one shape a fleet run drives.
var _ operation.Operation = (*Run)(nil)

func init() {
	operation.Register(RunKind, resumeRun)
	operation.RegisterStarter(RunKind, startRun)
	operation.RegisterSettings(RunKind, operation.DecodeInto[RunSettings])
}

// RunSettings are a rolling host patch's settings, recorded in its journal.
type RunSettings struct {
	// Command is run on each stopped broker's host; CommandTimeout bounds it and RebootTimeout
	// bounds the host's return when the command reboots it.
	Command          string        `json:"command,omitempty"`
	CommandTimeout   time.Duration `json:"command_timeout,omitempty"`
	RebootTimeout    time.Duration `json:"reboot_timeout,omitempty"`
	rollout.Settings `yaml:",inline"`
}

// Run is a rolling host patch of a cluster: per batch gate, stop, run the command on the host
// (a reboot is fine), start, wait healthy.
type Run struct {
	rollout.Operation
}

// HostBrokers picks the brokers on hosts (every broker when hosts is empty) and refuses hosts
// that carry no broker of the cluster, or more than one: the gate judges brokers, and a host
// patch takes down everything on the host at once.
func HostBrokers(c *inventory.Cluster, brokers []*inventory.Broker, hosts []string) ([]*inventory.Broker, error) {
	if len(hosts) > 0 {
		var keep []*inventory.Broker
		for _, h := range hosts {
			n := len(keep)
			for _, b := range brokers {
				if strings.EqualFold(b.Host, h) {
					keep = append(keep, b)
				}
			}
			if len(keep) == n {
				return nil, &inventory.SelectionError{Msg: fmt.Sprintf("host %s has no broker of cluster %s in the inventory", h, c.Name)}
			}
		}
		brokers = keep
	}
	seen := map[string]int32{}
	for _, b := range brokers {
		if other, ok := seen[strings.ToLower(b.Host)]; ok {
			return nil, fault.Usagef("host %s carries brokers %d and %d: patch run handles one broker per host", b.Host, other, b.ID)
		}
		seen[strings.ToLower(b.Host)] = b.ID
	}
	return brokers, nil
}

// NewRun builds a rolling patch of the hosts of brokers of cluster c.
func NewRun(c *inventory.Cluster, brokers []*inventory.Broker, d operation.Deps, s RunSettings) *Run {
	hc := HostCommand{SSH: d.SSH, Command: s.Command, CommandTimeout: s.CommandTimeout, RebootTimeout: s.RebootTimeout, Say: d.Say}
	between := hc.Run
	if len(zooKeeperHosts(c, brokers)) > 0 {
		z := zooKeeperAround{cluster: c, ens: ensemble.Live(c, d), timeout: s.StartTimeout, poll: time.Second, say: d.Say}
		between = z.wrap(hc.Run)
	}
	return &Run{rollout.Operation{Rolling: rollout.Rolling{
		Kind: RunKind, Purpose: "patch run: brokers " + inventory.JoinIDs(inventory.BrokerIDs(brokers)),
		Cluster: c, Brokers: brokers, OpID: journal.NewID(d.Clock()), Deps: d, Settings: s.Settings, Journaled: s,
		Between: between, BetweenStep: rollout.StepPatchHost,
	}}}
}

// startRun builds a patch of every broker host of c from the settings a fleet run recorded, with
// c's own hooks added as for one cluster.
func startRun(_ context.Context, c *inventory.Cluster, d operation.Deps, args json.RawMessage) (operation.Operation, error) {
	var s RunSettings
	if err := json.Unmarshal(args, &s); err != nil {
		return nil, fmt.Errorf("patch run settings: %w", err)
	}
	brokers, err := HostBrokers(c, c.Brokers, nil)
	if err != nil {
		return nil, err
	}
	if err := CheckZooKeeperHosts(c, brokers, s.MaxParallel); err != nil {
		return nil, err
	}
	s.Settings = s.WithInventoryHooks(c)
	return NewRun(c, brokers, d, s), nil
}

func resumeRun(ctx context.Context, c *inventory.Cluster, d operation.Deps, e *journal.Entry) (operation.Operation, error) {
	var s RunSettings
	brokers, err := operation.Recorded(c, e, &s)
	if err != nil {
		return nil, err
	}
	r := NewRun(c, brokers, d, s)
	if err := r.ResumeFrom(ctx, e); err != nil {
		return nil, err
	}
	return r, nil
}
