package brokerconfig

import (
	"testing"
)

const sampleProps = `# Broker 2.
! old-style comment
node.id=2
log.dirs = /data/a,\
           /data/b
num.network.threads: 2
queued.max.requests  500
	indented.key=x
empty.value=
key\ with\ space=v
unicode=caf\u00e9
# num.io.threads=99 (a comment, not an entry)
num.io.threads=4
dup=first
dup=second
`

func TestPropertiesGetReadsLikeJava(t *testing.T) {
	p := ParseProperties([]byte(sampleProps))
	tests := []struct {
		key, want string
		ok        bool
	}{
		{"node.id", "2", true},
		{"log.dirs", "/data/a,/data/b", true},
		{"num.network.threads", "2", true},
		{"queued.max.requests", "500", true},
		{"indented.key", "x", true},
		{"empty.value", "", true},
		{"key with space", "v", true},
		{"unicode", "café", true},
		{"num.io.threads", "4", true},
		{"dup", "second", true},
		{"absent", "", false},
	}
	for _, tt := range tests {
		got, ok := p.Get(tt.key)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Get(%q) = %q, %v; want %q, %v", tt.key, got, ok, tt.want, tt.ok)
		}
	}
	if string(p.Bytes()) != sampleProps {
		t.Errorf("an untouched file must render byte for byte:\n%s", p.Bytes())
	}
}

func TestPropertiesSet(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		key     string
		value   string
		want    string
		changed bool
	}{
		{"equals separator kept", "# c\na=1\nb=2\n", "a", "3", "# c\na=3\nb=2\n", true},
		{"colon separator kept", "a: 1\nb=2\n", "a", "3", "a: 3\nb=2\n", true},
		{"space separator kept", "a   1\n", "a", "3", "a   3\n", true},
		{"spaces around equals kept", "  a = 1\n", "a", "22", "  a = 22\n", true},
		{"same value is no change", "a = 1\n", "a", "1", "a = 1\n", false},
		{"continuation folded to one line", "x=0\nl = a,\\\n    b\ny=1\n", "l", "c,d", "x=0\nl = c,d\ny=1\n", true},
		{"same value across continuation is no change", "l=a,\\\n  b\n", "l", "a,b", "l=a,\\\n  b\n", false},
		{"appended at the end", "# keep me\na=1\n", "z", "9", "# keep me\na=1\nz=9\n", true},
		{"appended after a file without final newline", "a=1", "z", "9", "a=1\nz=9\n", true},
		{"appended to an empty file", "", "z", "9", "z=9\n", true},
		{"commented-out key is not an entry", "#a=1\n", "a", "2", "#a=1\na=2\n", true},
		{"every duplicate is rewritten", "d=1\nx=0\nd=2\n", "d", "3", "d=3\nx=0\nd=3\n", true},
		{"CRLF kept", "a=1\r\nb=2\r\n", "a", "3", "a=3\r\nb=2\r\n", true},
		{"value with leading space and backslash escaped", "a=1\n", "a", ` C:\x`, "a=\\ C:\\\\x\n", true},
		{"empty value", "a=1\n", "a", "", "a=\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := ParseProperties([]byte(tt.in))
			if changed := p.Set(tt.key, tt.value); changed != tt.changed {
				t.Errorf("Set changed = %v, want %v", changed, tt.changed)
			}
			if got := string(p.Bytes()); got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
			// What was written reads back as what was set.
			if got, _ := ParseProperties(p.Bytes()).Get(tt.key); got != tt.value {
				t.Errorf("reads back as %q, want %q", got, tt.value)
			}
		})
	}
}

func TestPropertiesEscapingRoundTrips(t *testing.T) {
	for _, v := range []string{"plain", " leading", "trailing ", `back\slash`, "tab\there", "new\nline", "#hash", "a=b:c", "ünï"} {
		p := ParseProperties(nil)
		p.Set("k", v)
		if got, _ := ParseProperties(p.Bytes()).Get("k"); got != v {
			t.Errorf("%q wrote %q, reads back %q", v, p.Bytes(), got)
		}
	}
	for _, k := range []string{"a:b", "a=b", "a b", "#a", "!a"} {
		p := ParseProperties(nil)
		p.Set(k, "v")
		if got, ok := ParseProperties(p.Bytes()).Get(k); !ok || got != "v" {
			t.Errorf("key %q wrote %q, reads back %q, %v", k, p.Bytes(), got, ok)
		}
	}
}
