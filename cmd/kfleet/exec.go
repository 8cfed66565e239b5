package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/ssh"
)

type execOptions struct {
	f           *Factory
	brokerFlags []string
	concurrency int
	timeout     time.Duration
	argv        []string
}

func newExecCmd(f *Factory) *cobra.Command {
	o := &execOptions{f: f}
	cmd := &cobra.Command{
		Use:   "exec [--brokers IDS] -- CMD [ARG...]",
		Short: "Run a command on broker hosts over SSH, a bounded number at a time",
		Long: `Run a command on the hosts of the selected brokers (every broker of the selected clusters by
default) over SSH, with host keys verified against known_hosts. Output lines are prefixed with
the host; a summary follows on stderr.

A single CMD argument is a shell command line, run by the remote shell as ssh would (pipes and
globs work: kfleet exec -- 'df -h | grep kafka'). Several arguments are an argv: each is quoted,
so nothing in them is interpreted by the remote shell.

Exit codes: 0 the command succeeded everywhere, 1 it failed (non-zero exit) on some host,
2 some host's SSH settings cannot be used (an unreadable key or known_hosts; nothing ran there),
69 some host could not be reached or its host key did not verify (nothing ran there).`,
		Example: `  kfleet exec -- uptime
  kfleet -c payments-prod exec --brokers 1,3 -- 'df -h /var/lib/kafka'
  kfleet exec -o json -- cat /proc/loadavg`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.ArgsLenAtDash() != 0 || len(args) == 0 || strings.TrimSpace(strings.Join(args, "")) == "" {
				return usagef("exec needs the command after --, e.g. kfleet exec -- uptime")
			}
			o.argv = args
			return o.run(cmd.Context())
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&o.brokerFlags, "brokers", nil, "broker ids whose hosts run the command, e.g. 1,2 or 4-6 (default: all)")
	fl.IntVar(&o.concurrency, "concurrency", 16, "hosts at once")
	fl.DurationVar(&o.timeout, "timeout", 0, "per-host command timeout (default: the inventory's ssh.command_timeout)")
	return cmd
}

// execResult is one host's outcome; -o json prints these.
type execResult struct {
	Cluster    string `json:"cluster" yaml:"cluster"`
	Broker     int32  `json:"broker" yaml:"broker"`
	Host       string `json:"host" yaml:"host"`
	ExitCode   int    `json:"exit_code" yaml:"exit_code"`
	Error      string `json:"error" yaml:"error"`
	Stdout     string `json:"stdout" yaml:"stdout"`
	Stderr     string `json:"stderr" yaml:"stderr"`
	DurationMS int64  `json:"duration_ms" yaml:"duration_ms"`
}

type execReport struct {
	Command string       `json:"command" yaml:"command"`
	Results []execResult `json:"results" yaml:"results"`
	OK      int          `json:"ok" yaml:"ok"`
	Failed  int          `json:"failed" yaml:"failed"`
	Down    int          `json:"unreachable" yaml:"unreachable"`
}

func (o *execOptions) run(ctx context.Context) error {
	if o.concurrency < 1 {
		return usagef("--concurrency must be at least 1")
	}
	clusters, err := o.f.SelectedClusters()
	if err != nil {
		return err
	}
	ids, err := inventory.ParseBrokerIDs(o.brokerFlags)
	if err != nil {
		return err
	}
	var targets []ssh.Target
	var owners []*inventory.Broker
	var owner []string
	for _, c := range clusters {
		bs, err := c.SelectBrokers(ids)
		if err != nil {
			return err
		}
		for _, b := range bs {
			t := ssh.TargetFor(b)
			if o.timeout > 0 {
				t.CommandTimeout = o.timeout
			}
			targets = append(targets, t)
			owners = append(owners, b)
			owner = append(owner, c.Name)
		}
	}
	command := o.argv[0]
	if len(o.argv) > 1 {
		command = ssh.ShellJoin(o.argv...)
	}

	structured := o.f.Output != formatTable
	var mu sync.Mutex
	bufs := map[string]*[2]bytes.Buffer{}
	onLine := func(host, stream string, line []byte) {
		if structured {
			mu.Lock()
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
			mu.Unlock()
			return
		}
		w := o.f.IO.Out
		if stream == "stderr" {
			w = o.f.IO.ErrOut
		}
		fmt.Fprintf(w, "%s: %s\n", host, line)
	}
	results := o.f.SSH().RunAll(ctx, targets, command, o.concurrency, onLine)

	rep := execReport{Command: command}
	badSettings := 0
	for i, r := range results {
		er := execResult{Cluster: owner[i], Broker: owners[i].ID, Host: r.Target.Host, ExitCode: r.ExitCode,
			DurationMS: r.Duration.Milliseconds()}
		if b := bufs[r.Target.Host]; b != nil {
			er.Stdout, er.Stderr = b[0].String(), b[1].String()
		}
		var down *ssh.UnreachableError
		var key *ssh.HostKeyError
		var settings *ssh.ConfigError
		switch {
		case r.Err != nil && (errors.As(r.Err, &down) || errors.As(r.Err, &key)):
			er.Error, er.ExitCode = r.Err.Error(), -1
			rep.Down++
		case r.Err != nil && errors.As(r.Err, &settings):
			// Nothing was run: the host's SSH settings (a key file, known_hosts) cannot be used.
			er.Error, er.ExitCode = r.Err.Error(), -1
			rep.Failed++
			badSettings++
		case r.Err != nil:
			er.Error = r.Err.Error()
			rep.Failed++
		case r.ExitCode != 0:
			rep.Failed++
		default:
			rep.OK++
		}
		rep.Results = append(rep.Results, er)
	}
	if structured {
		if err := render(o.f.IO.Out, o.f.Output, rep, nil); err != nil {
			return err
		}
	} else {
		rep.summary(o.f.IO.ErrOut)
	}
	switch {
	case ctx.Err() != nil:
		return interrupted{ctx.Err()}
	case badSettings > 0:
		return &codedError{code: exitUsage, quiet: !structured,
			msg: fmt.Sprintf("the SSH settings of %d of %d hosts cannot be used (nothing ran there)", badSettings, len(results))}
	case rep.Down > 0:
		return &codedError{code: exitUnreachable, quiet: !structured,
			msg: fmt.Sprintf("%d of %d hosts unreachable or refused by host key check", rep.Down, len(results))}
	case rep.Failed > 0:
		return &codedError{code: exitFailed, quiet: !structured,
			msg: fmt.Sprintf("command failed on %d of %d hosts", rep.Failed, len(results))}
	}
	return nil
}

// summary tells, on stderr, how each host did and why the failures failed.
func (r *execReport) summary(w io.Writer) {
	fmt.Fprintf(w, "\n%d hosts: %d ok, %d failed, %d unreachable\n", len(r.Results), r.OK, r.Failed, r.Down)
	for _, res := range r.Results {
		switch {
		case res.Error != "":
			fmt.Fprintf(w, "  %s (cluster %s, broker %d): %s\n", res.Host, res.Cluster, res.Broker, oneLine(res.Error))
		case res.ExitCode != 0:
			fmt.Fprintf(w, "  %s (cluster %s, broker %d): exited %d\n", res.Host, res.Cluster, res.Broker, res.ExitCode)
		}
	}
}

func oneLine(s string) string { return strings.ReplaceAll(strings.TrimSpace(s), "\n", "; ") }
