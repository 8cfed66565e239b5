package host

import (
	"context"
	"fmt"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/cluster"
	"github.com/kfleet/kfleet/ops/ssh"
)

// Control is the brokers' hosts for operations: service commands and process probes.
type Control struct {
	SSH *ssh.Runner
}

// Service runs the broker's start, stop or status command.
func (h *Control) Service(ctx context.Context, b *inventory.Broker, action ServiceAction) error {
	return RunService(ctx, h.SSH, b, action)
}

// Process reports the broker's Kafka process. A host whose process was started as another
// broker is an *IdentityError: every operation asks this before it acts on a host, so a wrong
// inventory refuses the run instead of stopping a broker the safety gate did not judge.
func (h *Control) Process(ctx context.Context, b *inventory.Broker) (cluster.BrokerProcess, error) {
	p, err := ProbeBrokerProcess(ctx, h.SSH, ssh.TargetFor(b), b.Install.ConfigFile)
	if err != nil {
		return p, fmt.Errorf("broker %d: %w", b.ID, err)
	}
	if err := CheckIdentity(b, p); err != nil {
		return p, err
	}
	return p, nil
}

// CheckService confirms the broker's service commands exist on its host (see CheckService).
func (h *Control) CheckService(ctx context.Context, b *inventory.Broker) error {
	return CheckService(ctx, h.SSH, b)
}
