package tui

import (
	"context"
	"errors"
	"io"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
)

// Run shows the live view on the terminal behind in and out until the user quits or ctx ends.
// Quitting is not an error; ctx's end is reported as ctx.Err().
func Run(ctx context.Context, o Options, in io.Reader, out io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the reads in flight
	opts := []tea.ProgramOption{tea.WithContext(ctx), tea.WithInput(in), tea.WithOutput(out)}
	if !o.Color {
		opts = append(opts, tea.WithColorProfile(colorprofile.Ascii))
	}
	m := New(ctx, o)
	m.log.Info("tui started", "clusters", len(o.Clusters), "interval", m.opts.Interval, "timeout", m.opts.Timeout,
		"concurrency", m.opts.Concurrency)
	_, err := tea.NewProgram(m, opts...).Run()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return ctx.Err()
	}
	m.log.Info("tui stopped", "answers", m.answers, "err", err)
	return err
}
