package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
	"github.com/spf13/pflag"

	"github.com/kfleet/kfleet/cmd/internal/factory"
	"github.com/kfleet/kfleet/ops/fault"
)

// DocsOptions is what 'kfleet docs' was asked to write.
type DocsOptions struct {
	ManDir      string
	MarkdownDir string
}

func newDocsCmd(f *factory.Factory) *cobra.Command {
	var opts DocsOptions
	cmd := &cobra.Command{
		Use:   "docs (--man DIR | --markdown DIR)",
		Short: "Generate man pages or markdown reference pages for every command",
		Long: `Write one page per command, generated from the commands' own help and flags: man pages
(section 1, kfleet.1, kfleet-status.1, ...) with --man, or markdown (kfleet.md, kfleet_status.md,
...) with --markdown. Exactly one of the two is required. DIR is created when missing; pages
already there are overwritten.

Defaults that come from the environment (--inventory, --state-dir) are documented as where they
come from, not as their value on the machine that generated the pages, so the pages are the same
everywhere. docs/commands/ in the source tree is this command's markdown output ('make docs').`,
		Example: `  kfleet docs --man /usr/local/share/man/man1
  kfleet docs --markdown docs/commands`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return docsRun(cmd.Root(), f, &opts)
		},
	}
	cmd.Flags().StringVar(&opts.ManDir, "man", "", "write man pages (section 1) into `DIR`")
	cmd.Flags().StringVar(&opts.MarkdownDir, "markdown", "", "write markdown pages into `DIR`")
	return cmd
}

func docsRun(root *cobra.Command, f *factory.Factory, opts *DocsOptions) error {
	if (opts.ManDir == "") == (opts.MarkdownDir == "") {
		return fault.Usagef("docs needs exactly one of --man DIR or --markdown DIR\nSee 'kfleet docs --help'.")
	}
	dir := opts.ManDir
	if dir == "" {
		dir = opts.MarkdownDir
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("docs: creating %s: %w", dir, err)
	}
	portableDefaults(root)
	kind := "markdown"
	var err error
	if opts.ManDir != "" {
		kind = "man"
		err = doc.GenManTree(root, &doc.GenManHeader{
			Title:   "KFLEET",
			Section: "1",
			Source:  "kfleet " + version,
			Manual:  "kfleet manual",
		}, dir)
	} else {
		err = doc.GenMarkdownTree(root, dir)
	}
	if err != nil {
		return fmt.Errorf("docs: writing pages into %s: %w", dir, err)
	}
	fmt.Fprintf(f.IO.ErrOut, "wrote %s pages into %s\n", kind, dir)
	return nil
}

// envDefaults are the flags whose default is read from the environment or the home directory.
// Their pages say where the default comes from, so that pages generated on a laptop, in CI and by
// the release build are identical.
var envDefaults = map[string]string{
	"inventory": "$KFLEET_INVENTORY, else fleet.yaml",
	"state-dir": "$XDG_STATE_HOME/kfleet, else ~/.local/state/kfleet",
}

func portableDefaults(cmd *cobra.Command) {
	set := func(fl *pflag.Flag) {
		if d, ok := envDefaults[fl.Name]; ok {
			fl.DefValue = d
		}
	}
	cmd.PersistentFlags().VisitAll(set)
	cmd.LocalNonPersistentFlags().VisitAll(set)
	for _, c := range cmd.Commands() {
		portableDefaults(c)
	}
}
