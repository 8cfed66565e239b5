package output

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/kfleet/kfleet/ops/fault"
)

// IOStreams is every byte kfleet reads or writes, so tests can capture both TTY and non-TTY runs.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// OutTTY says whether Out is a terminal: tables may then use color and live refresh.
	OutTTY bool
	// InTTY says whether In is a terminal: only then may kfleet ask for confirmation.
	InTTY bool
	// Color is false with --no-color, NO_COLOR, or when Out is not a terminal.
	Color bool
}

// SystemIO wires the process's standard streams.
func SystemIO() *IOStreams {
	tty := term.IsTerminal(int(os.Stdout.Fd()))
	_, noColor := os.LookupEnv("NO_COLOR")
	return &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, OutTTY: tty,
		InTTY: term.IsTerminal(int(os.Stdin.Fd())), Color: tty && !noColor}
}

// TestIO returns streams backed by buffers: stdout, stderr.
func TestIO(tty bool) (*IOStreams, *bytes.Buffer, *bytes.Buffer) {
	out, errOut := &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: &bytes.Buffer{}, Out: out, ErrOut: errOut, OutTTY: tty, Color: false}, out, errOut
}

// Confirm asks a yes/no question on a terminal. Without a terminal it refuses: unattended runs
// must say --yes.
func (s *IOStreams) Confirm(question string) (bool, error) {
	if !s.InTTY {
		return false, fault.Usagef("%s: refusing to go ahead without confirmation; stdin is not a terminal, pass --yes", question)
	}
	fmt.Fprintf(s.ErrOut, "%s [y/N] ", question)
	line, err := bufio.NewReader(s.In).ReadString('\n')
	if err != nil && line == "" {
		return false, nil
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}
