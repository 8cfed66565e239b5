package main

import (
	"bytes"
	"io"
	"os"

	"golang.org/x/term"
)

// IOStreams is every byte kfleet reads or writes, so tests can capture both TTY and non-TTY runs.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// OutTTY says whether Out is a terminal: tables may then use color and live refresh.
	OutTTY bool
	// Color is false with --no-color, NO_COLOR, or when Out is not a terminal.
	Color bool
}

// SystemIO wires the process's standard streams.
func SystemIO() *IOStreams {
	tty := term.IsTerminal(int(os.Stdout.Fd()))
	_, noColor := os.LookupEnv("NO_COLOR")
	return &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, OutTTY: tty, Color: tty && !noColor}
}

// TestIO returns streams backed by buffers: stdout, stderr.
func TestIO(tty bool) (*IOStreams, *bytes.Buffer, *bytes.Buffer) {
	out, errOut := &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: &bytes.Buffer{}, Out: out, ErrOut: errOut, OutTTY: tty, Color: false}, out, errOut
}
