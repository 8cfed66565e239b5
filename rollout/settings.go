package rollout

import (
	"time"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/cluster"
	"github.com/kfleet/kfleet/ops/fault"
)

// Settings are the knobs every rolling operation shares (restart, deploy, rollback, patch run,
// the restarts of config apply). They are journaled with the operation so resume replays them.
type Settings struct {
	MaxParallel      int           `json:"max_parallel"`
	AllowUnavailable bool          `json:"allow_unavailable"`
	GateTimeout      time.Duration `json:"gate_timeout"`
	StopTimeout      time.Duration `json:"stop_timeout"`
	StartTimeout     time.Duration `json:"start_timeout"`
	HealthyTimeout   time.Duration `json:"healthy_timeout"`
	Poll             time.Duration `json:"poll"`
	HealthyPolls     int           `json:"healthy_polls"`
	PreStop          []string      `json:"pre_stop,omitempty"`
	PostStop         []string      `json:"post_stop,omitempty"`
	PostStart        []string      `json:"post_start,omitempty"`
	HookTimeout      time.Duration `json:"hook_timeout"`
	LeaseTTL         time.Duration `json:"lease_ttl"`
	LeaseWait        time.Duration `json:"lease_wait"`
}

// Check refuses settings the engine cannot run with; nothing has been touched.
func (s Settings) Check() error {
	switch {
	case s.MaxParallel < 1:
		return fault.Usagef("--max-parallel must be at least 1")
	case s.HealthyPolls < 1:
		return fault.Usagef("--healthy-polls must be at least 1")
	case s.Poll <= 0 || s.Poll > 10*time.Second:
		return fault.Usagef("--poll-interval must be between 1ms and 10s")
	}
	return nil
}

// WithInventoryHooks puts the cluster's own hooks before the ones given, and takes its hook
// timeout when none was given.
func (s Settings) WithInventoryHooks(c *inventory.Cluster) Settings {
	s.PreStop = append(append([]string{}, c.Hooks.PreStop...), s.PreStop...)
	s.PostStop = append(append([]string{}, c.Hooks.PostStop...), s.PostStop...)
	s.PostStart = append(append([]string{}, c.Hooks.PostStart...), s.PostStart...)
	if s.HookTimeout == 0 {
		s.HookTimeout = c.Hooks.Timeout
	}
	return s
}

// Gate is the safety gate's tuning these settings ask for.
func (s Settings) Gate() cluster.GateOptions {
	return cluster.GateOptions{AllowUnavailable: s.AllowUnavailable}
}

// options is the engine's view of one run.
func (s Settings) options(opID string, c *inventory.Cluster, brokers []*inventory.Broker, skip map[int32]bool) Options {
	return Options{
		OpID: opID, Cluster: c, Brokers: brokers, MaxParallel: s.MaxParallel, Gate: s.Gate(),
		GateTimeout: s.GateTimeout, StopTimeout: s.StopTimeout, StartTimeout: s.StartTimeout,
		HealthyTimeout: s.HealthyTimeout, Poll: s.Poll, HealthyPolls: s.HealthyPolls,
		Hooks: Hooks{PreStop: s.PreStop, PostStop: s.PostStop, PostStart: s.PostStart, Timeout: s.HookTimeout},
		Skip:  skip,
	}
}
