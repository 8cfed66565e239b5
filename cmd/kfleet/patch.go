package main

import (
	"context"
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
	"github.com/kfleet/kfleet/patch"
	"github.com/kfleet/kfleet/rollout/ensemble"
	"github.com/kfleet/kfleet/rollout/operation"
)

func newPatchCmd(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "patch",
		Short: "Patching-system hook (pre/post/status) and a rolling host patch (run)",
		Long: `A patching system asks 'kfleet patch pre --host H' before it takes a broker host down and calls
'kfleet patch post --host H' when the host is back; 'patch status' shows who holds each cluster.
'patch run' drives a rolling patch of a cluster itself. The contract (inputs, exit codes, JSON,
lease and timeouts) is in docs/patch-hook.md.`,
		Args: noArgs,
	}
	cmd.AddCommand(newPatchPreCmd(f), newPatchPostCmd(f), newPatchStatusCmd(f), newPatchRunCmd(f))
	return cmd
}

// hookFor resolves --host to its cluster and brokers and the cluster's client.
func hookFor(f *factory.Factory, hostName string) (*patch.Hook, error) {
	if hostName == "" {
		return nil, fault.Usagef("--host is required")
	}
	fleet, err := f.Inventory()
	if err != nil {
		return nil, err
	}
	c, brokers, nodes, err := patch.FindHost(fleet, hostName)
	if err != nil {
		return nil, err
	}
	cl, err := f.Kafka(c)
	if err != nil {
		return nil, err
	}
	h := &patch.Hook{Cluster: c, Host: hostName, Brokers: brokers, ZooKeeper: nodes, Client: cl, Hosts: &host.Control{SSH: f.SSH()},
		Log: f.IO.ErrOut}
	if c.Metadata.Mode() == inventory.MetadataZooKeeper {
		h.Ensemble = ensemble.Live(c, operation.Deps{SSH: f.SSH()})
	}
	return h, nil
}

// runHook runs pre or post for --host and prints its result: the JSON object with -o json|yaml
// (the exit code still tells the outcome), one line otherwise.
func runHook(f *factory.Factory, host string, call func(*patch.Hook) (patch.Result, error)) error {
	h, err := hookFor(f, host)
	if err != nil {
		return err
	}
	r, err := call(h)
	if perr := output.Render(f.IO.Out, f.Output, r, output.PatchResult(r)); perr != nil {
		return perr
	}
	if err == nil || f.Output == output.FormatTable {
		return err
	}
	return exitcode.Quiet{Err: err}
}

func newPatchPreCmd(f *factory.Factory) *cobra.Command {
	var host string
	var o patch.PreOptions
	cmd := &cobra.Command{
		Use:   "pre --host H",
		Short: "May host H be taken down now? Takes the cluster lease, checks the gate, stops its broker(s)",
		Long: `Find the broker(s) on host H, take the cluster's lease (purpose "patch H"; wait up to --wait for
it), check the safety gate for them, and stop them gracefully (controlled shutdown, confirmed)
unless --no-stop. In ZooKeeper mode a host may also (or only) carry a ZooKeeper node: the gate
then also asks that the ensemble keeps a synced majority without it (the leader only alone), and
the node is stopped after the brokers and confirmed down. Exit 0 means go ahead; the lease stays held until 'patch post --host H' (or
--lease-ttl) ends it, so no other host of the cluster starts patching meanwhile.

Exit 75: another operation holds the cluster (named), or the gate said no (the partitions at risk
are named; the lease is released). Exit 1: stopping failed (the broker was started again). A retry
of a pre that already said go for this host exits 0 without doing anything again.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runHook(f, host, func(h *patch.Hook) (patch.Result, error) {
				r, err := h.Pre(cmd.Context(), o)
				h.Record(f.StateDir, "pre", r)
				return r, err
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&host, "host", "", "the broker host about to be patched, as the inventory names it")
	fl.DurationVar(&o.Wait, "wait", 0, "how long to wait for a cluster lease held by someone else before exiting 75")
	fl.BoolVar(&o.NoStop, "no-stop", false, "check and hold the lease only; the patching system stops Kafka itself")
	fl.DurationVar(&o.LeaseTTL, "lease-ttl", time.Hour, "how long the lease holds without post (at most 1h)")
	fl.DurationVar(&o.StopTimeout, "stop-timeout", 5*time.Minute, "how long the broker(s) may take to stop")
	fl.BoolVar(&o.Gate.AllowUnavailable, "allow-unavailable", false, "accept partitions that cannot stay writable (RF <= min ISR)")
	return cmd
}

func newPatchPostCmd(f *factory.Factory) *cobra.Command {
	var host string
	var o patch.PostOptions
	cmd := &cobra.Command{
		Use:   "post --host H",
		Short: "Host H is back: start its broker(s), wait until healthy, release the lease",
		Long: `Start the ZooKeeper node(s) on host H unless they answer, and wait until each serves in sync
with a leader (ZooKeeper mode). Start the broker(s) on host H if they are not running, wait until they are registered and
unfenced and nothing is under-replicated (bounded by --timeout), move leadership back to preferred
replicas, and release the host's lease. Exit 0: healthy. Exit 1: not healthy in time; the lease
stays held so no other host starts patching while this one is unhealthy (see 'patch status').

Safe to call after a failed pre or when nothing is held: it then only verifies health, so it can
be the patching system's "on exit" hook.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runHook(f, host, func(h *patch.Hook) (patch.Result, error) {
				r, err := h.Post(cmd.Context(), o)
				h.Record(f.StateDir, "post", r)
				return r, err
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&host, "host", "", "the broker host that was patched")
	fl.DurationVar(&o.Timeout, "timeout", 30*time.Minute, "how long to wait for the broker(s) and the cluster to be healthy")
	fl.IntVar(&o.HealthyPolls, "healthy-polls", 3, "consecutive healthy polls that confirm")
	return cmd
}

func newPatchStatusCmd(f *factory.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Per cluster: who holds the lease, for what, since when, expiring when",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			clusters, err := f.SelectedClusters()
			if err != nil {
				return err
			}
			rows := make([]output.LeaseRow, len(clusters))
			failed := readClusters(cmd.Context(), clusters, func(ctx context.Context, i int, c *inventory.Cluster) error {
				st, err := readLease(ctx, f, c)
				rows[i] = output.LeaseRow{Cluster: c.Name, Lease: st.LeaseHolder()}
				if err != nil {
					rows[i].Error = err.Error()
				}
				return err
			})
			return renderEach(f, rows, output.Leases(rows), failed)
		},
	}
}

func newPatchRunCmd(f *factory.Factory) *cobra.Command {
	o := &restartOptions{f: f}
	var hosts []string
	var hostPick string
	var s patch.RunSettings
	cmd := &cobra.Command{
		Use:   "run [--hosts H...] [--max-parallel N] -- CMD",
		Short: "Rolling host patch: per batch gate, stop, run CMD on the host (reboot ok), start, wait healthy",
		Long: `Patch the hosts of one cluster in batches on the rolling engine (the same gate, hooks,
lease, journal, resume, --dry-run and JSON events as restart): gate -> stop the broker(s) -> run
CMD on the host over SSH -> if the host reboots (the connection drops), wait until SSH answers
again with a new boot id (the inventory's service.boot_id command) -> start the broker(s) -> wait
healthy -> preferred leaders. CMD is a shell command line run by the remote shell.`,
		Example: `  kfleet -c payments-prod patch run --max-parallel 2 --yes -- 'sudo apt-get -y upgrade && sudo reboot'`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.ArgsLenAtDash() != 0 || len(args) == 0 || strings.TrimSpace(strings.Join(args, " ")) == "" {
				return fault.Usagef("patch run needs the command after --, e.g. kfleet patch run -- 'sudo apt-get -y upgrade'")
			}
			s.Command = args[0]
			if len(args) > 1 {
				s.Command = ssh.ShellJoin(args...)
			}
			if len(hosts) > 0 {
				hostPick = "--hosts"
			}
			if clusters, err := o.fleetClusters(hostPick); err != nil || len(clusters) > 1 {
				if err != nil {
					return err
				}
				s.Settings = o.settings
				return f.OperateFleet(cmd.Context(), clusters, patch.RunKind, s, o.fleet, o.dryRun)
			}
			c, brokers, err := o.prepare()
			if err != nil {
				return err
			}
			if brokers, err = patch.HostBrokers(c, brokers, hosts); err != nil {
				return err
			}
			if err := patch.CheckZooKeeperHosts(c, brokers, o.settings.MaxParallel); err != nil {
				return err
			}
			d, err := f.Deps(c, f.InventoryPath)
			if err != nil {
				return err
			}
			s.Settings = o.settings
			op := patch.NewRun(c, brokers, d, s)
			return f.Operate(cmd.Context(), op, o.dryRun)
		},
	}
	o.flags(cmd)
	cmd.Flags().StringArrayVar(&hosts, "hosts", nil, "hosts to patch (default: every broker host of the cluster)")
	cmd.Flags().DurationVar(&s.RebootTimeout, "reboot-timeout", 15*time.Minute, "how long a host may take to come back after its connection dropped")
	cmd.Flags().DurationVar(&s.CommandTimeout, "command-timeout", time.Hour, "how long CMD may run on one host")
	return cmd
}
