// Command kfleet operates fleets of Apache Kafka clusters safely. This package is wiring only:
// flags become an options struct, and a domain package does the work.
package main

import (
	"context"
	"os"
	"strings"

	"github.com/kfleet/kfleet/cmd/internal/exitcode"
	"github.com/kfleet/kfleet/cmd/internal/factory"
	"github.com/kfleet/kfleet/cmd/internal/output"
	"github.com/kfleet/kfleet/ops/fault"
)

// Set at build time with -ldflags "-X main.version=... -X main.commit=... -X main.date=...".
var (
	version = "dev"
	commit  = "none"
	date    = "unknown"
)

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := &factory.Factory{IO: output.SystemIO()}
	f.HandleSignals(cancel)
	os.Exit(run(ctx, os.Args[1:], f))
}

// run executes one command line and returns the process exit code.
func run(ctx context.Context, args []string, f *factory.Factory) int {
	io := f.IO
	root := NewRootCmd(f)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	f.Close()
	switch {
	case err == nil:
	case ctx.Err() != nil:
		err = exitcode.Interrupt{Err: err}
	case strings.HasPrefix(err.Error(), "unknown command"):
		// cobra's own message for a mistyped subcommand.
		err = &fault.Error{Kind: fault.Usage, Msg: err.Error()}
	}
	return exitcode.Report(io.ErrOut, err)
}
