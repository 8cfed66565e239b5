package output

import (
	"fmt"
	"io"
	"strings"

	"github.com/kfleet/kfleet/ops/host"
)

// ExecOutput prints each host's output, its lines prefixed with the host, host by host in the
// report's (inventory) order: standard output to out, standard error to errOut.
func ExecOutput(out, errOut io.Writer, r *host.ExecReport) {
	printed := map[string]bool{} // two brokers on one host share its output
	for _, res := range r.Results {
		if printed[res.Host] {
			continue
		}
		printed[res.Host] = true
		for _, s := range []struct {
			w    io.Writer
			text string
		}{{out, res.Stdout}, {errOut, res.Stderr}} {
			for line := range strings.Lines(s.text) {
				fmt.Fprintf(s.w, "%s: %s\n", res.Host, strings.TrimSuffix(line, "\n"))
			}
		}
	}
}

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
