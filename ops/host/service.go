package host

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/ssh"
)

// ServiceAction is one of the inventory's service commands.
type ServiceAction string

const (
	ServiceStart  ServiceAction = "start"
	ServiceStop   ServiceAction = "stop"
	ServiceStatus ServiceAction = "status"
)

// ServiceError says a broker's service command ran and failed.
type ServiceError struct {
	Broker   int32
	Host     string
	Action   ServiceAction
	Command  string
	ExitCode int
	Output   string
}

func (e *ServiceError) Error() string {
	msg := fmt.Sprintf("broker %d (%s): service %s (%s) exited %d", e.Broker, e.Host, e.Action, e.Command, e.ExitCode)
	if out := strings.TrimSpace(e.Output); out != "" {
		msg += ": " + truncate(lastLines(out, 3), 400)
	}
	return msg
}

// RunService runs the broker's start, stop or status command from the inventory on its host.
// The command is the operator's own shell line, used as written; sudo comes from ssh.sudo.
func RunService(ctx context.Context, r *ssh.Runner, b *inventory.Broker, action ServiceAction) error {
	var cmd string
	switch action {
	case ServiceStart:
		cmd = b.Service.Start
	case ServiceStop:
		cmd = b.Service.Stop
	case ServiceStatus:
		cmd = b.Service.Status
	default:
		return fmt.Errorf("unknown service action %q", action)
	}
	var out bytes.Buffer
	code, err := r.Run(ctx, ssh.TargetFor(b), cmd, nil, &out, &out)
	if err != nil {
		return fmt.Errorf("broker %d (%s): service %s: %w", b.ID, b.Host, action, err)
	}
	if code != 0 {
		return &ServiceError{Broker: b.ID, Host: b.Host, Action: action, Command: cmd, ExitCode: code, Output: out.String()}
	}
	return nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "; ")
}
