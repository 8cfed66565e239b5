// Command kfleet operates fleets of Apache Kafka clusters safely. This package is wiring only:
// flags become an options struct, and a domain package does the work.
package main

import (
	"context"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Set at build time with -ldflags "-X main.version=... -X main.commit=... -X main.date=...".
var (
	version = "dev"
	commit  = "none"
	date    = "unknown"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], SystemIO()))
}

// run executes one command line and returns the process exit code.
func run(ctx context.Context, args []string, io *IOStreams) int {
	f := &Factory{IO: io}
	root := NewRootCmd(f)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	f.Close()
	switch {
	case err == nil:
	case ctx.Err() != nil:
		err = interrupted{err}
	case strings.HasPrefix(err.Error(), "unknown command"):
		// cobra's own message for a mistyped subcommand.
		err = &usageError{err.Error()}
	}
	return reportError(io, err)
}
