package fleet

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/kfleet/kfleet/rollout/operation"
)

// Kind is a fleet operation's kind in the journal and in history.
const Kind = "fleet"

func init() { operation.RegisterSettings(Kind, recordedSpec) }

// recordedSpec reads a fleet run's journaled spec with its clusters' settings read as their
// kind's (operation.Settings), for history to show.
func recordedSpec(args json.RawMessage) (any, error) {
	var spec Spec
	if err := json.Unmarshal(args, &spec); err != nil {
		return nil, err
	}
	view := struct {
		Kind   string `json:"kind"`
		Args   any    `json:"args"`
		Waves  []Wave `json:"waves"`
		Policy Policy `json:"policy"`
	}{spec.Kind, spec.Args, spec.Waves, spec.Policy}
	if s, ok := operation.Settings(operation.StartArgsKind(spec.Kind), spec.Args); ok {
		view.Args = s
	} else if s, ok := operation.Settings(spec.Kind, spec.Args); ok {
		view.Args = s
	}
	return &view, nil
}

// Spec is what a fleet run does, recorded as its journal's settings so that resume replays it:
// the operation each cluster gets, the waves and the policy.
type Spec struct {
	// Kind is the clusters' operation kind (restart, deploy, config, patch); Args its settings
	// as the command line gave them, before each cluster's inventory hooks are added.
	Kind   string          `json:"kind"`
	Args   json.RawMessage `json:"args"`
	Waves  []Wave          `json:"waves"`
	Policy Policy          `json:"policy"`
}

// Policy is how the run moves from cluster to cluster and wave to wave.
type Policy struct {
	// Bake is how long every cluster a wave finished must stay healthy before the next wave.
	Bake time.Duration `json:"bake"`
	// MaxFailed is the failure budget: more failed clusters than this and no new cluster starts.
	MaxFailed int `json:"max_failed_clusters"`
	// WindowWait is how long a cluster outside its maintenance windows may wait for the next one
	// to open; 0: it is not waited for (outside-window).
	WindowWait time.Duration `json:"window_wait"`
	// IgnoreWindows starts clusters whatever their windows say (emergencies); it is recorded in
	// each cluster's journal and event log.
	IgnoreWindows bool `json:"ignore_windows"`
	// BakePoll is how often the clusters are read during the bake (default 10s).
	BakePoll time.Duration `json:"bake_poll,omitempty"`
}

func (p Policy) bakePoll() time.Duration {
	if p.BakePoll > 0 {
		return p.BakePoll
	}
	return 10 * time.Second
}

// clusters lists the clusters of the waves, in plan order.
func (s Spec) clusters() []string {
	var out []string
	for _, w := range s.Waves {
		out = append(out, w.Clusters...)
	}
	return out
}

// Summary says in one line what the run does and its policy.
func (s Spec) Summary() string {
	p := s.Policy
	out := fmt.Sprintf("%s on %d cluster(s) in %d wave(s); failure budget %d cluster(s)", s.Kind, len(s.clusters()), len(s.Waves), p.MaxFailed)
	if p.Bake > 0 {
		out += fmt.Sprintf("; bake %s between waves", p.Bake)
	}
	switch {
	case p.IgnoreWindows:
		out += "; maintenance windows IGNORED"
	case p.WindowWait > 0:
		out += fmt.Sprintf("; a cluster waits up to %s for its maintenance window", p.WindowWait)
	default:
		out += "; a cluster outside its maintenance window is left for later"
	}
	return out
}
