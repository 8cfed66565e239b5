// Package exitcode is the one place where kfleet's errors become exit codes (SPEC section 4):
// the table 'kfleet help exit-codes' prints, the mapping from the kind of failure a domain error
// reports (ops/fault), and the one line an error prints on stderr, with the next step worded.
// It may import ops/fault and ops/kafka; the commands import it.
package exitcode

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/kafka"
)

// Exit codes: the same for every command (SPEC section 4).
const (
	OK          = 0
	Failed      = 1
	Usage       = 2
	CheckFailed = 3
	Unreachable = 69
	TempFail    = 75
	Interrupted = 130
)

// Table is the one table of exit codes; `kfleet help exit-codes` prints it.
var Table = []struct {
	Code    int
	Meaning string
}{
	{OK, "success; healthy; no drift"},
	{Failed, "the operation failed part-way and needs attention (what was done is in the journal)"},
	{Usage, "usage or inventory error; nothing was changed"},
	{CheckFailed, "the check ran and found a problem (status unhealthy, config drift)"},
	{Unreachable, "Kafka or a host could not be reached, refused kfleet's credentials or ACLs, or a host key did not verify; nothing was changed"},
	{TempFail, "refused for now, retry later: a safety gate said no, or the cluster lease is held"},
	{Interrupted, "interrupted; the journal says where it stopped; `resume` continues"},
}

// Help is what kfleet help exit-codes prints.
func Help() string {
	var b strings.Builder
	b.WriteString("Every kfleet command exits with one of these codes:\n\n")
	for _, e := range Table {
		fmt.Fprintf(&b, "  %3d  %s\n", e.Code, e.Meaning)
	}
	b.WriteString("\nScripts and patching systems may rely on them; they do not change between releases.\n")
	return b.String()
}

// exitByKind is the exit code of each kind of failure the domain reports.
var exitByKind = map[fault.Kind]int{
	fault.Failed:        Failed,
	fault.Usage:         Usage,
	fault.CheckFailed:   CheckFailed,
	fault.Unreachable:   Unreachable,
	fault.RefusedForNow: TempFail,
	fault.Halted:        Failed,
	fault.Interrupted:   Interrupted,
}

// Of maps an error to its exit code; the only place that does. The outermost error that
// knows its kind decides.
func Of(err error) int {
	if err == nil {
		return OK
	}
	if kind, ok := fault.KindOf(err); ok {
		return exitByKind[kind]
	}
	if kafka.IsAuthorizationError(err) {
		// A Kafka refusal that no kfleet error explained (e.g. from the lease's own topic).
		return Unreachable
	}
	return Failed
}

// Worst is the error of errs whose exit code is the highest (nil when all are nil): a read of
// many clusters exits with its worst cluster's code.
func Worst(errs ...error) error {
	var worst error
	for _, err := range errs {
		if err != nil && (worst == nil || Of(err) > Of(worst)) {
			worst = err
		}
	}
	return worst
}

// ReportEach prints one line per failed cluster of a multi-cluster read (after its results) and
// returns the worst of them, already said: nil when none failed.
func ReportEach(w io.Writer, errs []error) error {
	for _, err := range errs {
		fmt.Fprintf(w, "kfleet: %s\n", err)
	}
	if worst := Worst(errs...); worst != nil {
		return Quiet{Err: worst}
	}
	return nil
}

// Quiet is an error whose story the command has printed already: only its exit code remains.
type Quiet struct{ Err error }

func (e Quiet) Error() string { return e.Err.Error() }
func (e Quiet) Unwrap() error { return e.Err }

// Interrupt wraps whatever was cut short by Ctrl-C or SIGTERM.
type Interrupt struct{ Err error }

func (e Interrupt) Error() string       { return "interrupted: " + e.Err.Error() }
func (e Interrupt) Unwrap() error       { return e.Err }
func (Interrupt) FaultKind() fault.Kind { return fault.Interrupted }

// Report prints the error (unless the command already said it) and returns the exit code.
func Report(w io.Writer, err error) int {
	code := Of(err)
	if err == nil {
		return code
	}
	var q Quiet
	if !errors.As(err, &q) {
		fmt.Fprintf(w, "kfleet: %s%s\n", err, nextStep(err))
	}
	return code
}

// nextStep words what to do after an operation stopped short, from the step its error names.
func nextStep(err error) string {
	var r fault.Resumable
	if !errors.As(err, &r) {
		return ""
	}
	op, next := r.NextStep()
	switch next {
	case fault.FixThenResume:
		return "; fix the cause, then: kfleet resume " + op
	case fault.Resume:
		return "; continue with: kfleet resume " + op
	case fault.CheckThenResume:
		return "; check with kfleet status, then kfleet resume " + op
	case fault.ResumeOrCancel:
		return fmt.Sprintf("; see kfleet reassign status; continue with: kfleet resume %s, or revert with: kfleet reassign cancel", op)
	case fault.FollowOrCancel:
		return fmt.Sprintf("; see kfleet reassign status; kfleet resume %s follows them and removes the throttles, kfleet reassign cancel reverts them", op)
	}
	return ""
}

// Checked is the verdict of a check that found a problem and has said so: exit 3, nothing more
// printed.
func Checked(msg string) error { return Quiet{&fault.Error{Kind: fault.CheckFailed, Msg: msg}} }
