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
	Broker  int32
	Host    string
	Missing []string // "start: /opt/kafka/bin/kafka-service"
}

func (e *ServiceMissingError) Error() string {
	return fmt.Sprintf("broker %d (%s): the service command's program is not on the host (%s); fix service.start/stop in the inventory or install it",
		e.Broker, e.Host, strings.Join(e.Missing, "; "))
}

// FaultKind says what kind of failure this is (bad input: the inventory names what is not there).
func (e *ServiceMissingError) FaultKind() fault.Kind { return fault.Usage }

// CheckService confirms, changing nothing, that the program each of the broker's start and stop
// commands begins with exists on its host (`command -v`, run the way the commands are, sudo
// included), in one round trip.
func CheckService(ctx context.Context, r *ssh.Runner, b *inventory.Broker) error {
	var script strings.Builder
	actions := map[string]string{}
	for _, c := range []struct {
		action ServiceAction
		cmd    string
	}{{ServiceStart, b.Service.Start}, {ServiceStop, b.Service.Stop}} {
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
	code, err := r.Run(ctx, ssh.TargetFor(b), "sh -c "+ssh.ShellQuote(script.String()), nil, &out, &out)
	if err != nil {
		return fmt.Errorf("broker %d (%s): checking the service commands: %w", b.ID, b.Host, err)
	}
	if code != 0 {
		return fmt.Errorf("broker %d (%s): checking the service commands exited %d: %s", b.ID, b.Host, code, truncate(out.String(), 200))
	}
	var missing []string
	for _, a := range strings.Fields(out.String()) {
		if prog, ok := actions[a]; ok {
			missing = append(missing, a+": "+prog)
		}
	}
	if len(missing) > 0 {
		return &ServiceMissingError{Broker: b.ID, Host: b.Host, Missing: missing}
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
