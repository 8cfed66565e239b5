package inventory

import (
	"fmt"
	"strings"
)

// Pos is a position in the inventory file. Line and Column start at 1.
type Pos struct {
	File   string
	Line   int
	Column int
}

// String renders the position as "file:line:col", the form editors and terminals can jump to.
func (p Pos) String() string {
	if p.File == "" {
		return fmt.Sprintf("%d:%d", p.Line, p.Column)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
}

// Error is one problem in the inventory: where it is, which field, and what is wrong.
type Error struct {
	Pos   Pos
	Field string // path such as clusters[0].brokers[1].host; empty for whole-file problems
	Msg   string
}

func (e *Error) Error() string {
	if e.Field == "" {
		return e.Pos.String() + ": " + e.Msg
	}
	return e.Pos.String() + ": " + e.Field + ": " + e.Msg
}

// BadInput says the error is the operator's input (exit 2: nothing was changed).
func (e *Error) BadInput() bool { return true }

// Errors is every problem found in one inventory, in file order.
type Errors []*Error

// Error renders one problem per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// BadInput says the errors are the operator's input (exit 2: nothing was changed).
func (e Errors) BadInput() bool { return true }

// Unwrap lets errors.As find the individual *Error values.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// SelectionError reports a cluster name or broker id that the inventory does not have, or a
// selection that cannot be parsed. Its message lists what would have been valid.
type SelectionError struct {
	Msg string
}

func (e *SelectionError) Error() string { return e.Msg }

// BadInput says the error is the operator's input (exit 2: nothing was changed).
func (e *SelectionError) BadInput() bool { return true }
