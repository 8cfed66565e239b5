package output

import (
	"fmt"
	"io"
	"time"

	"github.com/kfleet/kfleet/ops/cluster"
	"github.com/kfleet/kfleet/patch"
)

// PatchResult is the one line (and reasons) of a patch hook call.
func PatchResult(r patch.Result) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "%s: %s\n", r.Decision, r.Message)
		for _, reason := range r.Reasons {
			fmt.Fprintf(w, "  - %s\n", reason)
		}
		return err
	}
}

// LeaseRow is one cluster's lease as patch status shows it.
type LeaseRow struct {
	Cluster string               `json:"cluster" yaml:"cluster"`
	Error   string               `json:"error,omitempty" yaml:"error,omitempty"`
	Lease   *cluster.LeaseHolder `json:"lease" yaml:"lease"`
}

// Leases is the table of who holds each cluster's lease.
func Leases(rows []LeaseRow) func(io.Writer) error {
	return func(w io.Writer) error {
		t := NewTable(w, "CLUSTER", "HOLDER", "PURPOSE", "OP", "SINCE", "EXPIRES")
		for _, r := range rows {
			switch {
			case r.Error != "":
				_ = t.Append([]string{r.Cluster, "? (unreadable, below)", "", "", "", ""})
			case r.Lease == nil:
				_ = t.Append([]string{r.Cluster, "-", "", "", "", ""})
			default:
				_ = t.Append([]string{r.Cluster, r.Lease.Holder, r.Lease.Purpose, r.Lease.OpID,
					r.Lease.Since.Local().Format(time.DateTime), r.Lease.Expires.Local().Format(time.DateTime)})
			}
		}
		return t.Render()
	}
}
