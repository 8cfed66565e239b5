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

// ServiceError says a broker's (or a ZooKeeper node's) service command ran and failed.
type ServiceError struct {
	Broker int32
	// Subject names what the command serves when it is not a broker: "zookeeper node 2".
	Subject  string
	Host     string
	Action   ServiceAction
	Command  string
	ExitCode int
	Output   string
}

func (e *ServiceError) Error() string {
	msg := fmt.Sprintf("%s (%s): service %s (%s) exited %d", e.subject(), e.Host, e.Action, e.Command, e.ExitCode)
	if out := strings.TrimSpace(e.Output); out != "" {
		msg += ": " + truncate(lastLines(out, 3), 400)
	}
	return msg
}

// RunService runs the broker's start, stop or status command from the inventory on its host.
// The command is the operator's own shell line, used as written; sudo comes from ssh.sudo.
func RunService(ctx context.Context, r *ssh.Runner, b *inventory.Broker, action ServiceAction) error {
	return runService(ctx, r, ssh.TargetFor(b), b.Service, action, ServiceError{Broker: b.ID, Host: b.Host})
}

// runService runs svc's command for action on target; a failure is failed filled in.
func runService(ctx context.Context, r *ssh.Runner, target ssh.Target, svc inventory.Service, action ServiceAction, failed ServiceError) error {
	var cmd string
	switch action {
	case ServiceStart:
		cmd = svc.Start
	case ServiceStop:
		cmd = svc.Stop
	case ServiceStatus:
		cmd = svc.Status
	default:
		return fmt.Errorf("unknown service action %q", action)
	}
	failed.Action, failed.Command = action, cmd
	var out bytes.Buffer
	code, err := r.Run(ctx, target, cmd, nil, &out, &out)
	if err != nil {
		return fmt.Errorf("%s (%s): service %s: %w", failed.subject(), failed.Host, action, err)
	}
	if code != 0 {
		failed.ExitCode, failed.Output = code, out.String()
		return &failed
	}
	return nil
}

func (e *ServiceError) subject() string { return subjectOf(e.Subject, e.Broker) }

// subjectOf names what a service command serves: subject, else "broker N".
func subjectOf(subject string, broker int32) string {
	if subject != "" {
		return subject
	}
	return fmt.Sprintf("broker %d", broker)
}

func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "; ")
}
