package host

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/ssh"
)

// ExecResult is one broker host's outcome of a command.
type ExecResult struct {
	Cluster    string `json:"cluster" yaml:"cluster"`
	Broker     int32  `json:"broker" yaml:"broker"`
	Host       string `json:"host" yaml:"host"`
	ExitCode   int    `json:"exit_code" yaml:"exit_code"`
	Error      string `json:"error" yaml:"error"`
	Stdout     string `json:"stdout" yaml:"stdout"`
	Stderr     string `json:"stderr" yaml:"stderr"`
	DurationMS int64  `json:"duration_ms" yaml:"duration_ms"`
}

// ExecReport is a command's outcome on every host it ran on.
type ExecReport struct {
	Command string       `json:"command" yaml:"command"`
	Results []ExecResult `json:"results" yaml:"results"`
	OK      int          `json:"ok" yaml:"ok"`
	Failed  int          `json:"failed" yaml:"failed"`
	Down    int          `json:"unreachable" yaml:"unreachable"`
	// badSettings counts hosts whose SSH settings could not be used (nothing ran there).
	badSettings int
}

// ExecTarget is a broker whose host runs the command.
type ExecTarget struct {
	Cluster string
	Broker  *inventory.Broker
}

// ExecOptions tune a fan-out.
type ExecOptions struct {
	Concurrency int           // hosts at once
	Timeout     time.Duration // per host; 0: the inventory's ssh.command_timeout
	// Line, when set, receives every output line as it comes (the command's output is then not
	// kept in the report); otherwise output is collected per host.
	Line func(host, stream string, line []byte)
}

// Exec runs command on the hosts of targets over SSH, a bounded number at a time, and reports
// how each did. A host that cannot be reached or whose host key does not verify counts as down;
// one whose SSH settings cannot be used, or where the command failed, counts as failed.
func Exec(ctx context.Context, r *ssh.Runner, targets []ExecTarget, command string, o ExecOptions) *ExecReport {
	ts := make([]ssh.Target, len(targets))
	for i, t := range targets {
		ts[i] = ssh.TargetFor(t.Broker)
		if o.Timeout > 0 {
			ts[i].CommandTimeout = o.Timeout
		}
	}
	var mu sync.Mutex
	bufs := map[string]*[2]bytes.Buffer{}
	onLine := o.Line
	if onLine == nil {
		onLine = func(host, stream string, line []byte) {
			mu.Lock()
			defer mu.Unlock()
			b := bufs[host]
			if b == nil {
				b = &[2]bytes.Buffer{}
				bufs[host] = b
			}
			i := 0
			if stream == "stderr" {
				i = 1
			}
			b[i].Write(line)
			b[i].WriteByte('\n')
		}
	}
	results := r.RunAll(ctx, ts, command, o.Concurrency, onLine)

	rep := &ExecReport{Command: command}
	for i, res := range results {
		er := ExecResult{Cluster: targets[i].Cluster, Broker: targets[i].Broker.ID, Host: res.Target.Host,
			ExitCode: res.ExitCode, DurationMS: res.Duration.Milliseconds()}
		if b := bufs[res.Target.Host]; b != nil {
			er.Stdout, er.Stderr = b[0].String(), b[1].String()
		}
		var down *ssh.UnreachableError
		var key *ssh.HostKeyError
		var settings *ssh.ConfigError
		switch {
		case res.Err != nil && (errors.As(res.Err, &down) || errors.As(res.Err, &key)):
			er.Error, er.ExitCode = res.Err.Error(), -1
			rep.Down++
		case res.Err != nil && errors.As(res.Err, &settings):
			// Nothing was run: the host's SSH settings (a key file, known_hosts) cannot be used.
			er.Error, er.ExitCode = res.Err.Error(), -1
			rep.Failed++
			rep.badSettings++
		case res.Err != nil:
			er.Error = res.Err.Error()
			rep.Failed++
		case res.ExitCode != 0:
			rep.Failed++
		default:
			rep.OK++
		}
		rep.Results = append(rep.Results, er)
	}
	return rep
}

// Err is the report's verdict: unusable SSH settings (usage: nothing ran there), then hosts
// down (unreachable), then failures; nil when the command succeeded everywhere.
func (r *ExecReport) Err() error {
	n := len(r.Results)
	switch {
	case r.badSettings > 0:
		return &fault.Error{Kind: fault.Usage, Msg: fmt.Sprintf("the SSH settings of %d of %d hosts cannot be used (nothing ran there)", r.badSettings, n)}
	case r.Down > 0:
		return &fault.Error{Kind: fault.Unreachable, Msg: fmt.Sprintf("%d of %d hosts unreachable or refused by host key check", r.Down, n)}
	case r.Failed > 0:
		return &fault.Error{Kind: fault.Failed, Msg: fmt.Sprintf("command failed on %d of %d hosts", r.Failed, n)}
	}
	return nil
}
