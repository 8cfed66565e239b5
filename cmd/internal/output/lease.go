package output

import (
	"fmt"
	"io"
	"time"

	"github.com/kfleet/kfleet/ops/cluster"
	"github.com/kfleet/kfleet/ops/lease"
)

// LeaseState is one cluster's lease as `kfleet lease show` shows it. Lease and Operation are the
// objects status prints for the cluster (the lease, and its holder judged alive or gone with the
// operation's progress), so a script reads them the same way from either command.
type LeaseState struct {
	Cluster string `json:"cluster" yaml:"cluster"`
	Error   string `json:"error,omitempty" yaml:"error,omitempty"` // the cluster could not be read
	Held    bool   `json:"held" yaml:"held"`
	// Detached: no process holds it on purpose (patch pre keeps the cluster until its post), so
	// none can be judged alive or gone.
	Detached  bool                 `json:"detached" yaml:"detached"`
	Lease     *cluster.LeaseHolder `json:"lease" yaml:"lease"`         // null when free
	Operation *cluster.Operation   `json:"operation" yaml:"operation"` // null when free
}

// LeaseStateOf is cluster name's lease st, its holder judged as status judges it, at now.
func LeaseStateOf(name string, st lease.State, now time.Time) LeaseState {
	_, gone := st.HolderGone()
	held := st.LeaseHolder()
	return LeaseState{Cluster: name, Held: st.Held, Detached: st.Held && st.Proc == nil, Lease: held,
		Operation: cluster.InFlight(held, gone, st.Events, now)}
}

// LeaseStates is the table of every cluster's lease, then what to do about each holder known
// to be gone. A cluster that could not be read shows "?"; its error follows on stderr.
func LeaseStates(rows []LeaseState) func(io.Writer) error {
	return func(w io.Writer) error {
		t := NewTable(w, "CLUSTER", "LEASE", "HOLDER", "OP", "PURPOSE", "SINCE", "EXPIRES", "HOLDER PROCESS")
		var gone []LeaseState
		for _, r := range rows {
			switch {
			case r.Error != "":
				_ = t.Append([]string{r.Cluster, "?", "(unreadable, below)", "", "", "", "", ""})
			case !r.Held:
				_ = t.Append([]string{r.Cluster, "free", "-", "", "", "", "", ""})
			default:
				l, process := r.Lease, "alive"
				switch {
				case r.Detached:
					process = "none: kept until patch post"
				case r.Operation.HolderGone != "":
					process = "gone: " + r.Operation.HolderGone
					gone = append(gone, r)
				}
				_ = t.Append([]string{r.Cluster, "held", l.Holder, l.OpID, l.Purpose,
					l.Since.Local().Format(time.DateTime), l.Expires.Local().Format(time.DateTime), process})
			}
		}
		if err := t.Render(); err != nil {
			return err
		}
		for _, r := range gone {
			fmt.Fprintf(w, "\n%s: the holder of op %s is gone (%s): `kfleet resume %s` takes the lease over and finishes the operation\n",
				r.Cluster, r.Lease.OpID, r.Operation.HolderGone, r.Lease.OpID)
		}
		return nil
	}
}
