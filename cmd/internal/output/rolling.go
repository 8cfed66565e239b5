package output

import (
	"fmt"
	"io"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/cluster"
	"github.com/kfleet/kfleet/rollout"
)

// rollingDryRun is what --dry-run prints of a rolling operation with -o json|yaml.
type RollingDryRun struct {
	Op       string             `json:"op" yaml:"op"`
	Cluster  string             `json:"cluster" yaml:"cluster"`
	Batches  []rollout.Batch    `json:"batches" yaml:"batches"`
	GateNow  cluster.GateResult `json:"gate_now" yaml:"gate_now"`
	Settings any                `json:"settings" yaml:"settings"`
}

func RollingPlan(w io.Writer, p *rollout.RollingPlan) {
	a := p.Settings
	fmt.Fprintf(w, "%s of cluster %s: %d broker(s) in %d batch(es), at most %d at once\n",
		p.Kind, p.Cluster, p.Work(), len(p.Batches), a.MaxParallel)
	t := NewTable(w, "BATCH", "BROKERS", "WHY")
	for i, b := range p.Batches {
		_ = t.Append([]string{Cell(i + 1), inventory.JoinIDs(b.Brokers), b.Why})
	}
	_ = t.Render()
	if len(p.Batches) > 0 {
		fmt.Fprintln(w, p.GateLine())
	}
	if len(p.Closing) > 0 {
		fmt.Fprintf(w, "closing the cut-short batch: broker(s) %s already run a new process; the run waits for a healthy cluster and gives them their leaders back\n",
			inventory.JoinIDs(p.Closing))
	}
	fmt.Fprintf(w, "timeouts: gate %s, stop %s, start %s, healthy %s; poll every %s, %d healthy polls to confirm\n",
		a.GateTimeout, a.StopTimeout, a.StartTimeout, a.HealthyTimeout, a.Poll, a.HealthyPolls)
	if len(a.PreStop)+len(a.PostStop)+len(a.PostStart) > 0 {
		fmt.Fprintf(w, "hooks: pre-stop %v, post-stop %v, post-start %v\n", a.PreStop, a.PostStop, a.PostStart)
	}
	fmt.Fprintln(w, "batches are re-formed before each one from the cluster's state then; the active controller stays last")
}
