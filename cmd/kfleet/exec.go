package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kfleet/kfleet/cmd/internal/exitcode"
	"github.com/kfleet/kfleet/cmd/internal/factory"
	"github.com/kfleet/kfleet/cmd/internal/output"
	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/host"
	"github.com/kfleet/kfleet/ops/ssh"
)

type execOptions struct {
	f           *factory.Factory
	brokerFlags []string
	concurrency int
	timeout     time.Duration
	stream      bool
	argv        []string
}

func newExecCmd(f *factory.Factory) *cobra.Command {
	o := &execOptions{f: f}
	cmd := &cobra.Command{
		Use:   "exec [--brokers IDS] -- CMD [ARG...]",
		Short: "Run a command on broker hosts over SSH, a bounded number at a time",
		Long: `Run a command on the hosts of the selected brokers (every broker of the selected clusters by
default) over SSH, with host keys verified against known_hosts. Output lines are prefixed with
the host and come host by host in inventory order once every host is done (--stream: each line as
it comes, hosts interleaved); a summary follows on stderr.

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
				return fault.Usagef("exec needs the command after --, e.g. kfleet exec -- uptime")
			}
			o.argv = args
			return o.run(cmd.Context())
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&o.brokerFlags, "brokers", nil, "broker ids whose hosts run the command, e.g. 1,2 or 4-6 (default: all)")
	fl.IntVar(&o.concurrency, "concurrency", 16, "hosts at once")
	fl.DurationVar(&o.timeout, "timeout", 0, "per-host command timeout (default: the inventory's ssh.command_timeout)")
	fl.BoolVar(&o.stream, "stream", false, "print each output line as it comes instead of host by host in inventory order")
	return cmd
}

func (o *execOptions) run(ctx context.Context) error {
	if o.concurrency < 1 {
		return fault.Usagef("--concurrency must be at least 1")
	}
	clusters, err := o.f.SelectedClusters()
	if err != nil {
		return err
	}
	ids, err := inventory.ParseBrokerIDs(o.brokerFlags)
	if err != nil {
		return err
	}
	var targets []host.ExecTarget
	for _, c := range clusters {
		bs, err := c.SelectBrokers(ids)
		if err != nil {
			return err
		}
		for _, b := range bs {
			targets = append(targets, host.ExecTarget{Cluster: c.Name, Broker: b})
		}
	}
	command := o.argv[0]
	if len(o.argv) > 1 {
		command = ssh.ShellJoin(o.argv...)
	}
	eo := host.ExecOptions{Concurrency: o.concurrency, Timeout: o.timeout}
	structured := o.f.Output != output.FormatTable
	if !structured && o.stream {
		// Lines as they come, prefixed with the host; the report keeps no output.
		eo.Line = func(h, stream string, line []byte) {
			w := o.f.IO.Out
			if stream == "stderr" {
				w = o.f.IO.ErrOut
			}
			fmt.Fprintf(w, "%s: %s\n", h, line)
		}
	}
	rep := host.Exec(ctx, o.f.SSH(), targets, command, eo)
	switch {
	case structured:
		if err := output.Render(o.f.IO.Out, o.f.Output, rep, nil); err != nil {
			return err
		}
	case o.stream:
		output.ExecSummary(o.f.IO.ErrOut, rep)
	default:
		output.ExecOutput(o.f.IO.Out, o.f.IO.ErrOut, rep)
		output.ExecSummary(o.f.IO.ErrOut, rep)
	}
	if ctx.Err() != nil {
		return exitcode.Interrupt{Err: ctx.Err()}
	}
	if err := rep.Err(); err != nil && !structured {
		return exitcode.Quiet{Err: err}
	} else if err != nil {
		return err
	}
	return nil
}
