package rollout

import (
	"context"
	"fmt"
	"strings"

	"github.com/kfleet/kfleet/ops/cluster"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/lease"
)

// StrandedError refuses a rolling run while a broker of the cluster is down because an earlier
// operation stopped it and never started it again (its kfleet was killed, or it halted): a new
// run would plan around the broker and wait on the gate it keeps closed. Resume that operation
// first. Exit 75.
type StrandedError struct {
	Cluster string
	Stopped []cluster.StoppedBroker
}

func (e *StrandedError) Error() string {
	parts := make([]string, len(e.Stopped))
	for i, s := range e.Stopped {
		parts[i] = s.Explain()
	}
	return fmt.Sprintf("cluster %s: %s; it is still down, so nothing else is restarted before it is back",
		e.Cluster, strings.Join(parts, "; "))
}

// FaultKind says what kind of failure this is (refused for now: resume the other operation).
func (e *StrandedError) FaultKind() fault.Kind { return fault.RefusedForNow }

// CheckStranded refuses the run if the cluster's ops log names a broker that another operation
// stopped and that is down (fenced or unregistered) now. The run's own operation (a resume) is
// exempt: bringing its broker back is what it is about to do.
func (r *Rolling) CheckStranded(ctx context.Context) error {
	if r.Deps.Client == nil {
		return nil
	}
	st, err := lease.Read(ctx, r.Deps.Client, r.Cluster.Name)
	if err != nil || len(st.Stopped) == 0 {
		return err
	}
	var snap *cluster.Snapshot
	var stranded []cluster.StoppedBroker
	for _, s := range st.Stopped {
		if s.OpID == r.OpID || s.Running {
			continue
		}
		if snap == nil {
			if snap, err = r.admin().Snapshot(ctx); err != nil {
				return err
			}
		}
		if b, ok := snap.Broker(s.Broker); !ok || b.Fenced {
			stranded = append(stranded, s)
		}
	}
	if len(stranded) == 0 {
		return nil
	}
	return &StrandedError{Cluster: r.Cluster.Name, Stopped: stranded}
}
