package brokerconfig

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Properties is a server.properties file held for editing: it keeps every line as written
// (comments, blank lines, order, continuation lines, separators, line endings), so Set changes
// exactly the entries it names and Bytes gives back the rest untouched. Parsing follows
// java.util.Properties.load, which is how Kafka reads the file.
type Properties struct {
	lines []propLine
}

// propLine is one logical line: raw holds its physical lines with their terminators.
type propLine struct {
	raw   string
	entry bool   // a key/value line (not blank, not a comment)
	key   string // unescaped
	value string // unescaped
	// prefix is the raw text up to where the value starts on the first physical line, used to
	// rewrite the value while keeping the key as written and its separator.
	prefix string
	eol    string // the terminator of the last physical line ("" at the end of a file without one)
}

// ParseProperties reads a properties file. It never fails: like Java, it reads any text.
func ParseProperties(data []byte) *Properties {
	p := &Properties{}
	s := string(data)
	for len(s) > 0 {
		// Gather one logical line: physical lines joined while one ends in an odd number of
		// backslashes (comments never continue).
		var raw strings.Builder
		var logical strings.Builder
		first := true
		comment := false
		eol := ""
		for {
			line, term, rest := cutLine(s)
			s = rest
			raw.WriteString(line)
			raw.WriteString(term)
			eol = term
			content := line
			if !first {
				content = strings.TrimLeft(content, " \t\f")
			} else {
				t := strings.TrimLeft(content, " \t\f")
				comment = t == "" || t[0] == '#' || t[0] == '!'
			}
			first = false
			if comment || !oddBackslashes(content) || len(s) == 0 {
				if !comment && oddBackslashes(content) {
					content = content[:len(content)-1] // a trailing backslash at EOF is dropped
				}
				logical.WriteString(content)
				break
			}
			logical.WriteString(content[:len(content)-1])
		}
		pl := propLine{raw: raw.String(), eol: eol}
		if !comment {
			pl.entry = true
			pl.key, pl.value, pl.prefix = splitEntry(logical.String(), raw.String())
		}
		p.lines = append(p.lines, pl)
	}
	return p
}

// cutLine splits off the first physical line and its terminator (\n, \r\n or \r).
func cutLine(s string) (line, term, rest string) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\n':
			return s[:i], "\n", s[i+1:]
		case '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				return s[:i], "\r\n", s[i+2:]
			}
			return s[:i], "\r", s[i+1:]
		}
	}
	return s, "", ""
}

func oddBackslashes(s string) bool {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// splitEntry splits a logical line into its unescaped key and value. The key ends at the first
// unescaped '=', ':' or whitespace; whitespace and then at most one '=' or ':' (and whitespace
// again) separate it from the value. prefix is the same split taken on the raw first line.
func splitEntry(logical, raw string) (key, value, prefix string) {
	s := strings.TrimLeft(logical, " \t\f")
	end := keyEnd(s)
	key = unescapeProps(s[:end])
	value = unescapeProps(s[valueStart(s, end):])

	first, _, _ := cutLine(raw)
	if oddBackslashes(first) {
		// A continued line is rewritten as one line: keep the key and separator only.
		first = strings.TrimSuffix(first, "\\")
	}
	lead := len(first) - len(strings.TrimLeft(first, " \t\f"))
	fe := lead + keyEnd(first[lead:])
	prefix = first[:valueStart(first, fe)]
	return key, value, prefix
}

func keyEnd(s string) int {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '=', ':', ' ', '\t', '\f':
			return i
		}
	}
	return len(s)
}

func valueStart(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\f') {
		i++
	}
	if i < len(s) && (s[i] == '=' || s[i] == ':') {
		i++
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\f') {
			i++
		}
	}
	return i
}

func unescapeProps(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			var r rune
			if i+4 < len(s) {
				if _, err := fmt.Sscanf(s[i+1:i+5], "%04x", &r); err == nil {
					b.WriteRune(r)
					i += 4
					continue
				}
			}
			b.WriteByte('u')
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// escapeProps writes s so that Properties.load reads it back as s.
func escapeProps(s string, isKey bool) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\f':
			b.WriteString(`\f`)
		case r == ' ' && (isKey || i == 0):
			b.WriteString(`\ `)
		case isKey && (r == '=' || r == ':' || (i == 0 && (r == '#' || r == '!'))):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == utf8.RuneError:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Get returns the value Kafka reads for key: the last entry wins, as in Java.
func (p *Properties) Get(key string) (string, bool) {
	for i := len(p.lines) - 1; i >= 0; i-- {
		if l := p.lines[i]; l.entry && l.key == key {
			return l.value, true
		}
	}
	return "", false
}

// Set makes key read as value: entries already there are rewritten in place (keeping the key as
// written and its separator), otherwise key=value is appended. It reports whether the text changed.
func (p *Properties) Set(key, value string) bool {
	found, changed := false, false
	for i := range p.lines {
		l := &p.lines[i]
		if !l.entry || l.key != key {
			continue
		}
		found = true
		if l.value == value {
			continue
		}
		raw := l.prefix + escapeProps(value, false) + l.eol
		if raw != l.raw {
			l.raw, l.value, changed = raw, value, true
		}
	}
	if found {
		return changed
	}
	if n := len(p.lines); n > 0 && p.lines[n-1].eol == "" {
		p.lines[n-1].eol = "\n"
		p.lines[n-1].raw += "\n"
	}
	prefix := escapeProps(key, true) + "="
	p.lines = append(p.lines, propLine{raw: prefix + escapeProps(value, false) + "\n", entry: true,
		key: key, value: value, prefix: prefix, eol: "\n"})
	return true
}

// Bytes renders the file.
func (p *Properties) Bytes() []byte {
	var b strings.Builder
	for _, l := range p.lines {
		b.WriteString(l.raw)
	}
	return []byte(b.String())
}
