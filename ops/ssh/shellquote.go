package ssh

import "strings"

// ShellQuote quotes s for a POSIX shell so that the shell reads it back as exactly one word
// equal to s, whatever bytes it holds: quotes, $(...), backticks, ;, &, |, globs, spaces,
// newlines, a leading dash (still one word; the receiving program decides what a dash means).
// The empty string becomes a pair of single quotes.
//
// Every value kfleet puts into a remote command line goes through here: the remote side is a
// shell, and an unquoted value is code. The quoting is the single-quote form, which a POSIX shell
// (sh, dash, bash, ksh, zsh) never interprets inside; an embedded single quote closes the
// quoting, is written backslash-escaped, and the quoting reopens.
// A NUL byte cannot be passed through a shell at all; Run refuses commands that contain one.
func ShellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ShellJoin quotes each argument with ShellQuote and joins them with spaces, giving a command
// line whose words are exactly args.
func ShellJoin(args ...string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = ShellQuote(a)
	}
	return strings.Join(quoted, " ")
}
