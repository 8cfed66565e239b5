package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/kafka"
)

// Exit codes: the same for every command (SPEC section 4).
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitCheckFailed = 3
	exitUnreachable = 69
	exitTempFail    = 75
	exitInterrupted = 130
)

// exitCodes is the one table of exit codes; `kfleet help exit-codes` prints it.
var exitCodes = []struct {
	code    int
	meaning string
}{
	{exitOK, "success; healthy; no drift"},
	{exitFailed, "the operation failed part-way and needs attention (what was done is in the journal)"},
	{exitUsage, "usage or inventory error; nothing was changed"},
	{exitCheckFailed, "the check ran and found a problem (status unhealthy, config drift)"},
	{exitUnreachable, "Kafka or a host could not be reached, refused kfleet's credentials or ACLs, or a host key did not verify; nothing was changed"},
	{exitTempFail, "refused for now, retry later: a safety gate said no, or the cluster lease is held"},
	{exitInterrupted, "interrupted; the journal says where it stopped; `resume` continues"},
}

func exitCodesHelp() string {
	var b strings.Builder
	b.WriteString("Every kfleet command exits with one of these codes:\n\n")
	for _, e := range exitCodes {
		fmt.Fprintf(&b, "  %3d  %s\n", e.code, e.meaning)
	}
	b.WriteString("\nScripts and patching systems may rely on them; they do not change between releases.\n")
	return b.String()
}

// exitByKind is the exit code of each kind of failure the domain reports.
var exitByKind = map[fault.Kind]int{
	fault.Failed:        exitFailed,
	fault.Usage:         exitUsage,
	fault.CheckFailed:   exitCheckFailed,
	fault.Unreachable:   exitUnreachable,
	fault.RefusedForNow: exitTempFail,
	fault.Halted:        exitFailed,
	fault.Interrupted:   exitInterrupted,
}

// exitCode maps an error to its exit code; the only place that does. The outermost error that
// knows its kind decides; a command that weighed several outcomes (exec) gives its own code.
func exitCode(err error) int {
	var coded *codedError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &coded):
		return coded.code
	}
	if kind, ok := fault.KindOf(err); ok {
		return exitByKind[kind]
	}
	if kafka.IsAuthorizationError(err) {
		// A Kafka refusal that no kfleet error explained (e.g. from the lease's own topic).
		return exitUnreachable
	}
	return exitFailed
}

// usageError is a bad flag or argument; nothing was changed.
type usageError struct{ msg string }

func (e *usageError) Error() string         { return e.msg }
func (e *usageError) FaultKind() fault.Kind { return fault.Usage }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// checkFailed says a check ran and found a problem it has already printed.
type checkFailed struct{ msg string }

func (e *checkFailed) Error() string         { return e.msg }
func (e *checkFailed) FaultKind() fault.Kind { return fault.CheckFailed }

// codedError carries an exit code decided by a command that weighed several outcomes (e.g. exec:
// one host unreachable, another failed). Its message has been printed already when quiet.
type codedError struct {
	code  int
	msg   string
	quiet bool
}

func (e *codedError) Error() string { return e.msg }

// interrupted wraps whatever was cut short by Ctrl-C or SIGTERM.
type interrupted struct{ err error }

func (e interrupted) Error() string       { return "interrupted: " + e.err.Error() }
func (e interrupted) Unwrap() error       { return e.err }
func (interrupted) FaultKind() fault.Kind { return fault.Interrupted }

// reportError prints the error (unless the command already said it) and returns the exit code.
func reportError(io *IOStreams, err error) int {
	code := exitCode(err)
	if err == nil {
		return code
	}
	var check *checkFailed
	var coded *codedError
	quiet := errors.As(err, &check) || (errors.As(err, &coded) && coded.quiet)
	if !quiet {
		fmt.Fprintf(io.ErrOut, "kfleet: %s%s\n", err, nextStep(err))
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
