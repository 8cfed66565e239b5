package rollout

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/kfleet/kfleet/inventory"
)

// Phase names when a hook runs; hooks see it as KFLEET_PHASE.
type Phase string

const (
	PhasePreStop   Phase = "pre-stop"
	PhasePostStop  Phase = "post-stop"
	PhasePostStart Phase = "post-start"
)

// Hooks are operator executables run on this machine (not on the broker host) for every broker
// of a batch. They get KFLEET_CLUSTER, KFLEET_BROKER_ID, KFLEET_HOST, KFLEET_PHASE and
// KFLEET_OP_ID; a non-zero exit halts the rollout.
type Hooks struct {
	PreStop   []string `json:"pre_stop,omitempty"`
	PostStop  []string `json:"post_stop,omitempty"`
	PostStart []string `json:"post_start,omitempty"`
	// Timeout bounds one hook run; 0 -> 5m.
	Timeout time.Duration `json:"timeout,omitempty"`
}

// HookError says which hook failed, where, and what it printed.
type HookError struct {
	Hook   string
	Phase  Phase
	Broker int32
	Err    error
	Output string
}

func (e *HookError) Error() string {
	msg := fmt.Sprintf("%s hook %s for broker %d: %v", e.Phase, e.Hook, e.Broker, e.Err)
	if out := strings.TrimSpace(e.Output); out != "" {
		msg += ": " + lastLine(out)
	}
	return msg
}

func (e *HookError) Unwrap() error { return e.Err }

func (h Hooks) forPhase(p Phase) []string {
	switch p {
	case PhasePreStop:
		return h.PreStop
	case PhasePostStop:
		return h.PostStop
	case PhasePostStart:
		return h.PostStart
	}
	return nil
}

// run runs the phase's hooks for each broker in turn; the first failure stops it.
func (h Hooks) run(ctx context.Context, phase Phase, o Options, brokers []*inventory.Broker) error {
	timeout := h.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	for _, b := range brokers {
		for _, hook := range h.forPhase(phase) {
			hctx, cancel := context.WithTimeout(ctx, timeout)
			cmd := exec.CommandContext(hctx, hook)
			cmd.Env = append(os.Environ(),
				"KFLEET_CLUSTER="+o.Cluster.Name,
				fmt.Sprintf("KFLEET_BROKER_ID=%d", b.ID),
				"KFLEET_HOST="+b.Host,
				"KFLEET_PHASE="+string(phase),
				"KFLEET_OP_ID="+o.OpID,
			)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			if hctx.Err() == context.DeadlineExceeded {
				err = fmt.Errorf("timed out after %s", timeout)
			}
			cancel()
			if err != nil {
				return &HookError{Hook: hook, Phase: phase, Broker: b.ID, Err: err, Output: out.String()}
			}
		}
	}
	return nil
}

func lastLine(s string) string {
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
