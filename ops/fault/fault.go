// Package fault names the kinds of failure kfleet's domain errors report, so that the command
// line can map them to its documented exit codes in one place without knowing every error type.
// A domain error says its kind with a FaultKind method; errors that wrap one inherit its kind.
//
// It imports only the standard library, so that every package may use it.
package fault

import (
	"errors"
	"fmt"
	"slices"
)

// Kind is what went wrong, as far as a caller deciding what to do next cares.
type Kind int

const (
	// Failed: the operation failed part-way and needs attention (the default for any error).
	Failed Kind = iota
	// Usage: bad input (flags, inventory, plan file, settings); nothing was changed.
	Usage
	// CheckFailed: a check ran and found a problem (unhealthy, drift, an impossible plan).
	CheckFailed
	// Unreachable: Kafka or a host could not be reached or refused kfleet; nothing was changed.
	Unreachable
	// RefusedForNow: a safety gate or a held lease said no; retry later.
	RefusedForNow
	// Halted: a step failed; the operation stopped there and its journal says where.
	Halted
	// Interrupted: stopped on request (Ctrl-C, SIGTERM); the journal says where.
	Interrupted
)

func (k Kind) String() string {
	switch k {
	case Usage:
		return "usage"
	case CheckFailed:
		return "check-failed"
	case Unreachable:
		return "unreachable"
	case RefusedForNow:
		return "refused-for-now"
	case Halted:
		return "halted"
	case Interrupted:
		return "interrupted"
	}
	return "failed"
}

// Kinded is an error that knows its kind.
type Kinded interface {
	error
	FaultKind() Kind
}

// badInput is how packages below this one (the inventory) say an error is the operator's input,
// without importing it: the behaviour-method idiom of net.Error's Timeout.
type badInput interface {
	error
	BadInput() bool
}

// KindOf returns the kind of the first error in err's chain that knows its own (an error that
// says it is bad input is Usage), else Failed.
func KindOf(err error) (Kind, bool) {
	var k Kinded
	if errors.As(err, &k) {
		return k.FaultKind(), true
	}
	var b badInput
	if errors.As(err, &b) && b.BadInput() {
		return Usage, true
	}
	return Failed, false
}

// Error is an error of a given kind with a message of its own, for failures that have no
// richer type (a bad flag value, an unconfirmed run).
type Error struct {
	Kind Kind
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	if e.Msg == "" && e.Err != nil {
		return e.Err.Error()
	}
	return e.Msg
}
func (e *Error) Unwrap() error   { return e.Err }
func (e *Error) FaultKind() Kind { return e.Kind }

// Usagef is a usage error: bad input, nothing changed.
func Usagef(format string, args ...any) error {
	return &Error{Kind: Usage, Msg: fmt.Sprintf(format, args...)}
}

// severity orders kinds for Join: what stops everything first.
var severity = map[Kind]int{Usage: 0, Unreachable: 1, RefusedForNow: 2, CheckFailed: 3, Halted: 4, Interrupted: 5, Failed: 6}

// Join joins errs (nils dropped) so that the most decisive kind comes first: usage, then
// unreachable, then refused for now. KindOf of the result is that kind; its message lists them all.
func Join(errs ...error) error {
	var kept []error
	for _, e := range errs {
		if e != nil {
			kept = append(kept, e)
		}
	}
	slices.SortStableFunc(kept, func(a, b error) int {
		ka, _ := KindOf(a)
		kb, _ := KindOf(b)
		return severity[ka] - severity[kb]
	})
	return errors.Join(kept...)
}
