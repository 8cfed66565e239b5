package fleet

import (
	"fmt"
	"strings"
	"time"

	"github.com/kfleet/kfleet/ops/fault"
)

// Outcomes of one cluster in a fleet run. Only failed spends the failure budget; the others
// that are not done are "not done for now" (the run exits 75) or the operator's interrupt (130).
const (
	OutcomeDone          = "done"
	OutcomeFailed        = "failed"         // its operation failed, or it turned unhealthy during the bake
	OutcomeRefused       = "refused"        // refused for now: lease held, gate timeout (75)
	OutcomeOutsideWindow = "outside-window" // not started: outside its maintenance windows
	OutcomeWindowClosed  = "window-closed"  // stopped after a batch: its window closed
	OutcomeStopped       = "stopped"        // stopped after a batch: the failure budget was spent
	OutcomeInterrupted   = "interrupted"    // stopped by Ctrl-C
	OutcomeNotStarted    = "not-started"    // the run stopped before its turn
)

// ClusterResult is one cluster's part in a fleet run.
type ClusterResult struct {
	Cluster string `json:"cluster"`
	Wave    int    `json:"wave"`
	Outcome string `json:"outcome"`
	// Op is the cluster's own operation ("" when none was started).
	Op string `json:"op,omitempty"`
	// Brokers is how many brokers the cluster's plan rolls (restarts, patches, activates).
	Brokers int       `json:"brokers"`
	Started time.Time `json:"started,omitzero"`
	Seconds float64   `json:"seconds"`
	Message string    `json:"message,omitempty"`
}

// Err is the fleet run's outcome as an error (nil: every cluster done): a failed cluster makes
// it halted (exit 1); else an interrupt interrupted (130); else a cluster not done for now
// (refused, outside its window) refused for now (75).
func Err(op string, results []ClusterResult, interrupted bool) error {
	by := map[string][]string{}
	for _, r := range results {
		by[r.Outcome] = append(by[r.Outcome], r.Cluster)
	}
	notDone := len(results) - len(by[OutcomeDone])
	switch {
	case len(by[OutcomeFailed]) > 0:
		return &fault.Error{Kind: fault.Halted, Msg: fmt.Sprintf("fleet operation %s: %d cluster(s) failed (%s); %d of %d not done; fix, then run kfleet resume %s",
			op, len(by[OutcomeFailed]), strings.Join(by[OutcomeFailed], ", "), notDone, len(results), op)}
	case interrupted && notDone > 0:
		return &fault.Error{Kind: fault.Interrupted, Msg: fmt.Sprintf("fleet operation %s interrupted: %d of %d cluster(s) not done; kfleet resume %s continues",
			op, notDone, len(results), op)}
	case notDone > 0:
		var parts []string
		for _, o := range []string{OutcomeRefused, OutcomeOutsideWindow, OutcomeWindowClosed, OutcomeStopped, OutcomeInterrupted, OutcomeNotStarted} {
			if n := by[o]; len(n) > 0 {
				parts = append(parts, o+": "+strings.Join(n, ", "))
			}
		}
		return &fault.Error{Kind: fault.RefusedForNow, Msg: fmt.Sprintf("fleet operation %s: %d of %d cluster(s) not done for now (%s); kfleet resume %s continues",
			op, notDone, len(results), strings.Join(parts, "; "), op)}
	}
	return nil
}

// outcomeOf is the outcome of a cluster whose operation returned err; why says what closed its
// soft stop, if anything did.
func outcomeOf(err error, why string) string {
	if err == nil {
		return OutcomeDone
	}
	kind, _ := fault.KindOf(err)
	switch kind {
	case fault.RefusedForNow:
		return OutcomeRefused
	case fault.Interrupted:
		if why != "" {
			return why
		}
		return OutcomeInterrupted
	}
	return OutcomeFailed
}
