package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kfleet/kfleet/cmd/internal/factory"
	"github.com/kfleet/kfleet/cmd/internal/output"
)

// generateMarkdown runs 'kfleet docs --markdown' into a temp dir, on a machine whose environment
// differs from the developer's, and returns the dir.
func generateMarkdown(t *testing.T) string {
	t.Helper()
	// Pages must not depend on who generated them where.
	t.Setenv("HOME", "/nonexistent/home")
	t.Setenv("XDG_STATE_HOME", "/nonexistent/state")
	t.Setenv("KFLEET_INVENTORY", "/nonexistent/fleet.yaml")
	dir := t.TempDir()
	_, errOut, code := runCLI(t, "docs", "--markdown", dir)
	if code != 0 {
		t.Fatalf("kfleet docs --markdown exited %d: %s", code, errOut)
	}
	return dir
}

func mdFiles(t *testing.T, dir string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range names {
		names[i] = filepath.Base(n)
	}
	return names
}

func TestDocsCommandsUpToDate(t *testing.T) {
	const committed = "../../docs/commands"
	gen := generateMarkdown(t)
	want, have := mdFiles(t, gen), mdFiles(t, committed)
	for _, name := range want {
		if !slices.Contains(have, name) {
			t.Errorf("docs/commands/%s is missing: the command was added or renamed; run `make docs` and commit the result", name)
			continue
		}
		w, err := os.ReadFile(filepath.Join(gen, name))
		if err != nil {
			t.Fatal(err)
		}
		h, err := os.ReadFile(filepath.Join(committed, name))
		if err != nil {
			t.Fatal(err)
		}
		if string(w) != string(h) {
			t.Errorf("docs/commands/%s differs from the command's help and flags; run `make docs` and commit the result", name)
		}
	}
	for _, name := range have {
		if !slices.Contains(want, name) {
			t.Errorf("docs/commands/%s documents a command that no longer exists; run `make docs` and commit the result", name)
		}
	}
}

func TestDocsCoverEveryCommandAndFlag(t *testing.T) {
	gen := generateMarkdown(t)
	io, _, _ := output.TestIO(false)
	root := NewRootCmd(&factory.Factory{IO: io})
	// cobra adds these when the command line runs; the generated pages include them.
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()

	var walk func(c *cobra.Command)
	commands := 0
	walk = func(c *cobra.Command) {
		if !c.IsAvailableCommand() && c != root {
			return
		}
		if c.IsAdditionalHelpTopicCommand() {
			// Help topics (kfleet help exit-codes) have no page; docs/exit-codes.md covers them.
			return
		}
		commands++
		page := strings.ReplaceAll(c.CommandPath(), " ", "_") + ".md"
		body, err := os.ReadFile(filepath.Join(gen, page))
		if err != nil {
			t.Errorf("%s: no generated page %s: %v", c.CommandPath(), page, err)
			return
		}
		text := string(body)
		if !strings.Contains(text, "## "+c.CommandPath()+"\n") {
			t.Errorf("%s: page %s does not carry the command's heading", c.CommandPath(), page)
		}
		check := func(fl *pflag.Flag) {
			if fl.Hidden {
				return
			}
			if !strings.Contains(text, "--"+fl.Name+" ") {
				t.Errorf("%s: flag --%s missing from %s", c.CommandPath(), fl.Name, page)
			}
		}
		c.NonInheritedFlags().VisitAll(check)
		c.InheritedFlags().VisitAll(check)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	if commands < 20 {
		t.Fatalf("walked only %d commands; the tree walk is broken", commands)
	}
}

func TestDocsNeedsExactlyOneFormat(t *testing.T) {
	for _, args := range [][]string{
		{"docs"},
		{"docs", "--man", t.TempDir(), "--markdown", t.TempDir()},
		{"docs", "extra"},
	} {
		if _, errOut, code := runCLI(t, args...); code != 2 {
			t.Errorf("kfleet %s: exit %d, want 2 (stderr %q)", strings.Join(args, " "), code, errOut)
		}
	}
}

func TestDocsMan(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "man1")
	if _, errOut, code := runCLI(t, "docs", "--man", dir); code != 0 {
		t.Fatalf("kfleet docs --man exited %d: %s", code, errOut)
	}
	for _, page := range []string{"kfleet.1", "kfleet-restart.1", "kfleet-reassign-plan.1", "kfleet-docs.1"} {
		body, err := os.ReadFile(filepath.Join(dir, page))
		if err != nil {
			t.Fatalf("no man page %s: %v", page, err)
		}
		if !strings.Contains(string(body), `.TH "KFLEET" "1"`) {
			t.Errorf("%s has no section-1 .TH header:\n%.200s", page, body)
		}
	}
}
