package output

import (
	"fmt"
	"io"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/rollout/deploy"
)

// FinalizeResult is what deploy finalize prints; -o json|yaml prints it whole (feature, from and
// to say what was raised).
type FinalizeResult struct {
	deploy.FinalizePlan
	DryRun    bool `json:"dry_run" yaml:"dry_run"`
	Finalized bool `json:"finalized" yaml:"finalized"`
}

// Text is its one line, and in ZooKeeper mode the plan of file edits and restarts.
func (r *FinalizeResult) Text(w io.Writer) error {
	p := r.FinalizePlan
	if p.Feature == deploy.ProtocolVersionFeature {
		return r.protocolText(w)
	}
	switch {
	case p.UpToDate:
		fmt.Fprintf(w, "cluster %s: every broker runs Kafka %s; metadata.version is %d, the highest they support; nothing to do\n",
			p.Cluster, p.Version, p.From)
	case r.Finalized:
		fmt.Fprintf(w, "cluster %s: metadata.version raised from %d to %d (Kafka %s)\n", p.Cluster, p.From, p.To, p.Version)
	default:
		fmt.Fprintf(w, "cluster %s: every broker runs Kafka %s; metadata.version %d -> %d (validated by the controller; nothing changed: dry run)\n",
			p.Cluster, p.Version, p.From, p.To)
	}
	return nil
}

// protocolText shows a ZooKeeper-mode finalize: inter.broker.protocol.version raised in
// server.properties and loaded by a rolling restart.
func (r *FinalizeResult) protocolText(w io.Writer) error {
	p := r.FinalizePlan
	feature := deploy.ProtocolVersionFeature
	switch {
	case p.UpToDate:
		fmt.Fprintf(w, "cluster %s: every broker runs Kafka %s with %s %s (or the release's default); nothing to do\n",
			p.Cluster, p.Version, feature, p.ToVersion)
		return nil
	case r.Finalized:
		fmt.Fprintf(w, "cluster %s: %s raised from %s to %s on broker(s) %s (Kafka %s)\n",
			p.Cluster, feature, p.FromVersion, p.ToVersion, inventory.JoinIDs(p.Raise), p.Version)
		return nil
	}
	fmt.Fprintf(w, "cluster %s: every broker runs Kafka %s; %s %s -> %s on broker(s) %s\n",
		p.Cluster, p.Version, feature, p.FromVersion, p.ToVersion, inventory.JoinIDs(p.Raise))
	for _, e := range p.Files {
		fmt.Fprintf(w, "%s on %s (broker %d):\n", e.Path, e.Host, e.Broker)
		for _, l := range e.Diff {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
	if p.Restart != nil {
		RollingPlan(w, p.Restart)
	}
	if r.DryRun {
		fmt.Fprintln(w, "dry run: nothing changed")
	}
	return nil
}
