package host

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/ssh"
)

// ServiceMissingError says a broker's start or stop command names a program its host does not
// have: the run is refused before its first stop, instead of stopping the broker and then
// failing to start it. Exit 2: fix the inventory (or the host).
type ServiceMissingError struct {
	Broker int32
	// Subject names what the commands serve when it is not a broker: "zookeeper node 2".
	Subject string
	Host    string
	Missing []string // "start: /opt/kafka/bin/kafka-service"
}

func (e *ServiceMissingError) Error() string {
	return fmt.Sprintf("%s (%s): the service command's program is not on the host (%s); fix service.start/stop in the inventory or install it",
		subjectOf(e.Subject, e.Broker), e.Host, strings.Join(e.Missing, "; "))
}

// FaultKind says what kind of failure this is (bad input: the inventory names what is not there).
func (e *ServiceMissingError) FaultKind() fault.Kind { return fault.Usage }

// CheckService confirms, changing nothing, that the program each of the broker's start and stop
// commands begins with exists on its host (`command -v`, run the way the commands are, sudo
// included), in one round trip.
func CheckService(ctx context.Context, r *ssh.Runner, b *inventory.Broker) error {
	return checkService(ctx, r, ssh.TargetFor(b), b.Service, ServiceMissingError{Broker: b.ID, Host: b.Host})
}

// CheckZooKeeperService is CheckService for a ZooKeeper node's commands.
func CheckZooKeeperService(ctx context.Context, r *ssh.Runner, n *inventory.ZooKeeperNode) error {
	return checkService(ctx, r, ssh.TargetForZooKeeper(n), n.Service,
		ServiceMissingError{Subject: fmt.Sprintf("zookeeper node %d", n.ID), Host: n.Host})
}

// checkService checks svc's start and stop programs on target; missing is filled in when some
// is not there.
func checkService(ctx context.Context, r *ssh.Runner, target ssh.Target, svc inventory.Service, missing ServiceMissingError) error {
	subject := subjectOf(missing.Subject, missing.Broker)
	var script strings.Builder
	actions := map[string]string{}
	for _, c := range []struct {
		action ServiceAction
		cmd    string
	}{{ServiceStart, svc.Start}, {ServiceStop, svc.Stop}} {
		prog := program(c.cmd)
		if prog == "" {
			continue
		}
		actions[string(c.action)] = prog
		fmt.Fprintf(&script, "command -v %s >/dev/null 2>&1 || echo %s; ", ssh.ShellQuote(prog), c.action)
	}
	if script.Len() == 0 {
		return nil
	}
	var out bytes.Buffer
	code, err := r.Run(ctx, target, "sh -c "+ssh.ShellQuote(script.String()), nil, &out, &out)
	if err != nil {
		return fmt.Errorf("%s (%s): checking the service commands: %w", subject, missing.Host, err)
	}
	if code != 0 {
		return fmt.Errorf("%s (%s): checking the service commands exited %d: %s", subject, missing.Host, code, truncate(out.String(), 200))
	}
	for _, a := range strings.Fields(out.String()) {
		if prog, ok := actions[a]; ok {
			missing.Missing = append(missing.Missing, a+": "+prog)
		}
	}
	if len(missing.Missing) > 0 {
		return &missing
	}
	return nil
}

// program is the program a shell command line runs first: its first word after any leading
// VAR=value assignments, "" when it cannot tell (a quoted or compound first word).
func program(cmd string) string {
	for _, w := range strings.Fields(cmd) {
		if strings.ContainsAny(w, `"'$();&|<>{}`+"`") {
			return ""
		}
		if i := strings.IndexByte(w, '='); i > 0 && !strings.Contains(w[:i], "/") {
			continue // an environment assignment
		}
		return w
	}
	return ""
}
