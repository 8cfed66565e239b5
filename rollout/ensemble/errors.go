package ensemble

import (
	"fmt"
	"strings"
	"time"

	"github.com/kfleet/kfleet/ops/fault"
)

// RefusedError says the gate did not let the node go down within the gate timeout (or never can,
// e.g. a standalone node): nothing was touched.
type RefusedError struct {
	Cluster string
	Node    int
	Reasons []string
	Waited  time.Duration
}

func (e *RefusedError) Error() string {
	msg := fmt.Sprintf("cluster %s: zookeeper node %d may not stop", e.Cluster, e.Node)
	if e.Waited > 0 {
		msg += fmt.Sprintf(" (waited %s)", e.Waited.Round(time.Second))
	}
	return msg + ": " + strings.Join(e.Reasons, "; ")
}

// FaultKind says what kind of failure this is (refused for now: retry later).
func (e *RefusedError) FaultKind() fault.Kind { return fault.RefusedForNow }

// HaltError says a step failed on a node: the restart stopped there and no further node was
// touched.
type HaltError struct {
	OpID string
	Node int
	Step string
	Err  error
	// Down: the node could not be brought back and is still stopped.
	Down bool
}

func (e *HaltError) Error() string {
	msg := fmt.Sprintf("zookeeper node %d: %s failed: %v", e.Node, e.Step, e.Err)
	if e.Down {
		msg += fmt.Sprintf("; zookeeper node %d left STOPPED", e.Node)
	}
	return msg + "; restart halted, no further node touched"
}

// NextStep says to fix the cause, then resume.
func (e *HaltError) NextStep() (string, fault.Next) { return e.OpID, fault.FixThenResume }

// FaultKind says what kind of failure this is.
func (e *HaltError) FaultKind() fault.Kind { return fault.Halted }

func (e *HaltError) Unwrap() error { return e.Err }

// InterruptedError says the operator stopped the restart between nodes: every node is up.
type InterruptedError struct {
	OpID string
	Done []int
	Left []int
}

func (e *InterruptedError) Error() string {
	return fmt.Sprintf("interrupted after zookeeper nodes %s; no node is stopped; %s left", ids(e.Done), ids(e.Left))
}

// NextStep says resume continues.
func (e *InterruptedError) NextStep() (string, fault.Next) { return e.OpID, fault.Resume }

// FaultKind says what kind of failure this is.
func (e *InterruptedError) FaultKind() fault.Kind { return fault.Interrupted }

// AbortedError says a second interrupt cut a node's restart short: it may be stopped.
type AbortedError struct {
	OpID string
	Node int
	Step string
}

func (e *AbortedError) Error() string {
	return fmt.Sprintf("aborted during %s of zookeeper node %d: it may be stopped", e.Step, e.Node)
}

// NextStep says to check the ensemble, then resume.
func (e *AbortedError) NextStep() (string, fault.Next) { return e.OpID, fault.CheckThenResume }

// FaultKind says what kind of failure this is.
func (e *AbortedError) FaultKind() fault.Kind { return fault.Interrupted }

// ids lists node ids as "1,2,3" ("none" when empty).
func ids(nodes []int) string {
	if len(nodes) == 0 {
		return "none"
	}
	parts := make([]string, len(nodes))
	for i, n := range nodes {
		parts[i] = fmt.Sprint(n)
	}
	return strings.Join(parts, ",")
}
