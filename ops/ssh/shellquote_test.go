package ssh

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// testShellPrint has the local sh print s after quoting it, the way a remote shell would read it.
func testShellPrint(t testing.TB, dir, s string) string {
	t.Helper()
	cmd := exec.Command("sh", "-c", "printf %s "+ShellQuote(s))
	cmd.Dir = dir // a relative side effect would land here
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sh -c printf %%s %s: %v", ShellQuote(s), err)
	}
	return string(out)
}

func TestShellQuoteRoundTrip(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "pwned")
	for _, s := range []string{
		"",
		"plain",
		"two words",
		"it's",
		"'",
		"''",
		`'\''`,
		`"double"`,
		`back\slash\`,
		"$(touch /tmp/pwned)",
		"$(touch " + marker + ")",
		"`touch " + marker + "`",
		"`id`",
		"$HOME ${PATH} $1 $@ $$",
		"a; touch " + marker,
		"a && touch " + marker,
		"a | tee " + marker,
		"a & b",
		"line1\nline2\n",
		"tab\there",
		"*",
		"/etc/*",
		"?[a-z]",
		"-rf",
		"--",
		"~root",
		"#comment",
		"!event",
		"héllo wörld ✓ 日本",
		"a\rb",
		"\x01\x7f\xff",
		"> " + marker,
		"< /etc/passwd",
		"a=b",
		"'; touch " + marker + "; echo '",
	} {
		if got := testShellPrint(t, dir, s); got != s {
			t.Errorf("round trip of %q gave %q (quoted: %s)", s, got, ShellQuote(s))
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("a quoted string was executed")
	}
	if got := ShellQuote(""); got != "''" {
		t.Errorf("ShellQuote(\"\") = %s, want ''", got)
	}
	if got := ShellQuote("it's"); got != `'it'\''s'` {
		t.Errorf("ShellQuote(it's) = %s", got)
	}
}

func TestShellJoin(t *testing.T) {
	args := []string{"kafka-configs.sh", "--alter", "", "it's a $(test)", "*", "a\nb"}
	cmd := exec.Command("sh", "-c", "set -- "+ShellJoin(args...)+`; for a in "$@"; do printf '[%s]' "$a"; done`)
	cmd.Dir = t.TempDir()
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for _, a := range args {
		want.WriteString("[" + a + "]")
	}
	if string(out) != want.String() {
		t.Fatalf("got %q, want %q", out, want.String())
	}
	if got := ShellJoin(); got != "" {
		t.Errorf("ShellJoin() = %q", got)
	}
}

func FuzzShellQuote(f *testing.F) {
	for _, s := range []string{"", "'", "it's", "$(id)", "`id`", "a\nb", "*", "-n", "\\", "\"'\"", "héllo"} {
		f.Add(s)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, s string) {
		if strings.IndexByte(s, 0) >= 0 || len(s) > 100_000 {
			t.Skip("a shell argument cannot hold NUL; exec limits argument length")
		}
		if got := testShellPrint(t, dir, s); got != s {
			t.Fatalf("round trip of %q (valid UTF-8: %v) gave %q", s, utf8.ValidString(s), got)
		}
		entries, err := os.ReadDir(dir)
		if err != nil || len(entries) != 0 {
			t.Fatalf("quoting %q let the shell create files: %v", s, entries)
		}
	})
}
