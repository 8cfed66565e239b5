package output

import (
	"fmt"
	"io"
	"strings"

	"github.com/kfleet/kfleet/ops/host"
)

// ExecSummary tells (on stderr) how each host did and why the failures failed.
func ExecSummary(w io.Writer, r *host.ExecReport) {
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
