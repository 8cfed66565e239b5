package tui

import (
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// styles are the few looks the views use. Without color every style is empty, so the output
// carries no escape sequences at all (NO_COLOR, --no-color); the selected row is still marked
// with a leading '>'.
type styles struct {
	title, header, dim, selected lipgloss.Style
	bad, warn, good              lipgloss.Style
	help                         help.Styles
}

func newStyles(color bool) styles {
	if !color {
		plain := lipgloss.NewStyle()
		return styles{title: plain, header: plain, dim: plain, selected: plain, bad: plain, warn: plain,
			good: plain, help: help.Styles{Ellipsis: plain, ShortKey: plain, ShortDesc: plain,
				ShortSeparator: plain, FullKey: plain, FullDesc: plain, FullSeparator: plain}}
	}
	return styles{
		title:    lipgloss.NewStyle().Bold(true),
		header:   lipgloss.NewStyle().Bold(true).Underline(true),
		dim:      lipgloss.NewStyle().Foreground(lipgloss.BrightBlack),
		selected: lipgloss.NewStyle().Reverse(true),
		bad:      lipgloss.NewStyle().Foreground(lipgloss.Red).Bold(true),
		warn:     lipgloss.NewStyle().Foreground(lipgloss.Yellow),
		good:     lipgloss.NewStyle().Foreground(lipgloss.Green),
		help:     help.DefaultDarkStyles(),
	}
}

// render applies st unless the text is empty, so plain styles cost nothing.
func render(st lipgloss.Style, s string) string {
	if s == "" {
		return s
	}
	return st.Render(s)
}

// width is s's width in cells. Most of what the views draw is plain ASCII, which needs no
// grapheme segmentation: that fast path makes a frame of 100 rows several times cheaper.
func width(s string) int {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x80 || c < 0x20 || c == 0x7f {
			return ansi.StringWidth(s)
		}
	}
	return len(s)
}

// fit cuts s (which may hold escape sequences) to at most w cells.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if width(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

// pad fits plain text s into exactly w cells, left or right aligned.
func pad(s string, w int, right bool) string {
	s = fit(s, w)
	gap := w - width(s)
	if gap <= 0 {
		return s
	}
	if right {
		return strings.Repeat(" ", gap) + s
	}
	return s + strings.Repeat(" ", gap)
}

// flow joins segments with sep into as few lines of at most w cells as it can; a segment wider
// than a line is cut.
func flow(segments []string, sep string, w int) []string {
	return indentFlow(segments, sep, w, "")
}

// oneLine keeps a message (an error, an event) on one row.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
