package output

import (
	"fmt"
	"io"

	"github.com/kfleet/kfleet/rollout/deploy"
)

// FinalizeResult is what deploy finalize prints; -o json|yaml prints it whole.
type FinalizeResult struct {
	deploy.FinalizePlan
	DryRun    bool `json:"dry_run" yaml:"dry_run"`
	Finalized bool `json:"finalized" yaml:"finalized"`
}

// Text is its one line.
func (r *FinalizeResult) Text(w io.Writer) error {
	p := r.FinalizePlan
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
