package inventory

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	// Time zone names must resolve the same on every machine, including minimal images without
	// /usr/share/zoneinfo; the embedded database is the fallback time.LoadLocation uses.
	_ "time/tzdata"

	"go.yaml.in/yaml/v3"
)

// Maintenance windows say when a fleet run may start work on a cluster: weekly wall-clock
// windows such as "Sat 01:00-05:00" in the cluster's time zone. They are cluster-wide, written
// under defaults or a cluster; a cluster's maintenance replaces the defaults' as a whole (windows
// and timezone together), because half of a schedule merged with half of another is rarely what
// was meant. This file parses them and answers, without I/O, whether and until when a window is
// open.

var maintenanceKeys = []string{"windows", "timezone"}

// windowSyntax ends every window error, so the operator sees what is accepted.
const windowSyntax = `a window is DAYS HH:MM-HH:MM, e.g. "Sat 01:00-05:00", "Mon-Fri 22:00-02:00", "Sat,Sun 00:00-24:00" or "daily 03:00-04:00"`

const (
	minutesPerDay = 24 * 60
	everyDay      = 1<<7 - 1
	// Next looks this many days around t for the stretch of windows open at t or after it, so a
	// stretch of touching windows is followed for at least a week past the next window's start.
	lookBehindDays = 8
	lookAheadDays  = 15
)

// Window is one weekly maintenance window: on each of its days, from its start to its end
// wall-clock time in the cluster's time zone. Build one with ParseWindow.
type Window struct {
	days       uint8 // bit 1<<time.Weekday per day the window opens on
	start, end int   // minutes after midnight: start 0..1439, end 1..1440; end <= start ends the next day
	text       string
}

// ParseWindow parses a window written as DAYS HH:MM-HH:MM (see docs/inventory.md, "Maintenance
// windows"). DAYS is a day (Mon..Sun or Monday..Sunday, any case), a range (Mon-Fri, Fri-Mon), a
// comma list of days and ranges (Sat,Sun), or * or daily for every day. Times are on a 24-hour
// clock; 24:00 is allowed as the end; an end earlier than the start ends on the next day.
func ParseWindow(s string) (Window, error) {
	w, problem := parseWindow(s)
	if problem != "" {
		return Window{}, fmt.Errorf("invalid window %q: %s; %s", truncate(strings.TrimSpace(s), 60), problem, windowSyntax)
	}
	return w, nil
}

// String returns the window as written.
func (w Window) String() string { return w.text }

func parseWindow(s string) (Window, string) {
	text := strings.TrimSpace(s)
	if text == "" {
		return Window{}, "it is empty"
	}
	// Days never contain digits, so the times start at the first one.
	i := strings.IndexAny(text, "0123456789")
	if i < 0 {
		return Window{}, "it has no times"
	}
	dayPart := strings.TrimSpace(text[:i])
	if dayPart == "" {
		return Window{}, fmt.Sprintf("it names no day; start with the days, e.g. \"daily %s\" or \"Sat %s\"", text, text)
	}
	days, problem := parseDays(dayPart)
	if problem != "" {
		return Window{}, problem
	}
	start, end, problem := parseSpan(text[i:])
	if problem != "" {
		return Window{}, problem
	}
	return Window{days: days, start: start, end: end, text: text}, ""
}

var dayNames = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"} // indexed by time.Weekday

// dayWords are the accepted spellings of each day, lower case: short names, then full names.
var dayWords = func() []string {
	out := slices.Clone(dayNames)
	for d := time.Sunday; d <= time.Saturday; d++ {
		out = append(out, strings.ToLower(d.String()))
	}
	return out
}()

// parseDays reads the DAYS part of a window into a set of weekdays.
func parseDays(s string) (uint8, string) {
	s, problem := squeezeDays(strings.ToLower(s))
	if problem != "" {
		return 0, problem
	}
	if s == "*" || s == "daily" {
		return everyDay, ""
	}
	var days uint8
	for item := range strings.SplitSeq(s, ",") {
		var add uint8
		switch first, last, isRange := strings.Cut(item, "-"); {
		case item == "":
			return 0, "a day is missing around a ','"
		case item == "*" || item == "daily":
			return 0, fmt.Sprintf("%q already means every day; it cannot be listed with other days", item)
		case isRange:
			a, problem := parseDay(first)
			if problem != "" {
				return 0, problem
			}
			b, problem := parseDay(last)
			if problem != "" {
				return 0, problem
			}
			if a == b {
				return 0, fmt.Sprintf("the range %q starts and ends on the same day; write the day alone, or a range of two days such as Mon-Fri", item)
			}
			for d := a; ; d = (d + 1) % 7 {
				add |= 1 << d
				if d == b {
					break
				}
			}
		default:
			d, problem := parseDay(item)
			if problem != "" {
				return 0, problem
			}
			add = 1 << d
		}
		if both := days & add; both != 0 {
			for d := range dayNames {
				if both&(1<<d) != 0 {
					return 0, fmt.Sprintf("%s is listed twice", titleDay(dayNames[d]))
				}
			}
		}
		days |= add
	}
	return days, ""
}

// squeezeDays drops the spaces around ',' and '-' in a DAYS part ("Sat, Sun" is "Sat,Sun"),
// refusing days separated by spaces alone.
func squeezeDays(s string) (string, string) {
	words := strings.Fields(s)
	var b strings.Builder
	for i, w := range words {
		if i > 0 && !strings.HasSuffix(words[i-1], ",") && !strings.HasSuffix(words[i-1], "-") &&
			!strings.HasPrefix(w, ",") && !strings.HasPrefix(w, "-") {
			return "", fmt.Sprintf("days are separated by ',' (Sat,Sun), not spaces: %q", s)
		}
		b.WriteString(w)
	}
	return b.String(), ""
}

func parseDay(s string) (time.Weekday, string) {
	if i := slices.Index(dayWords, s); i >= 0 {
		return time.Weekday(i % 7), ""
	}
	if s == "" {
		return 0, "a day is missing around a '-'"
	}
	if near := Closest(s, dayWords); near != "" {
		return 0, fmt.Sprintf("unknown day %q (did you mean %q?)", s, titleDay(near))
	}
	return 0, fmt.Sprintf("unknown day %q; days are Mon, Tue, Wed, Thu, Fri, Sat, Sun or their full names", truncate(s, 20))
}

func titleDay(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

var clockRE = regexp.MustCompile(`^(\d{1,2}):(\d{2})$`)

// parseSpan reads HH:MM-HH:MM into minutes after midnight.
func parseSpan(s string) (start, end int, problem string) {
	span := strings.Join(strings.Fields(s), "")
	from, to, ok := strings.Cut(span, "-")
	if !ok {
		return 0, 0, fmt.Sprintf("%q is not a span of times HH:MM-HH:MM", s)
	}
	if start, problem = parseClock(from, false); problem != "" {
		return 0, 0, problem
	}
	if end, problem = parseClock(to, true); problem != "" {
		return 0, 0, problem
	}
	if start == end {
		return 0, 0, "it starts and ends at the same time; a whole day is 00:00-24:00"
	}
	return start, end, ""
}

var clockPrefixRE = regexp.MustCompile(`^\d{1,2}:\d{2}[A-Za-z]`)

func parseClock(s string, isEnd bool) (int, string) {
	m := clockRE.FindStringSubmatch(s)
	if m == nil {
		if clockPrefixRE.MatchString(s) {
			return 0, "a window has no time zone of its own; set the maintenance timezone"
		}
		return 0, fmt.Sprintf("%q is not a time; times are HH:MM on a 24-hour clock", truncate(s, 20))
	}
	h, _ := strconv.Atoi(m[1])
	mins, _ := strconv.Atoi(m[2])
	switch {
	case mins > 59:
		return 0, fmt.Sprintf("%q is not a time: minutes run from 00 to 59", s)
	case h == 24 && mins == 0 && isEnd:
		return minutesPerDay, ""
	case h == 24 && mins == 0:
		return 0, "24:00 is allowed only as an end; a window that starts at midnight starts at 00:00"
	case h > 23:
		return 0, fmt.Sprintf("%q is not a time: hours run from 00 to 23 (24:00 only as an end)", s)
	}
	return h*60 + mins, ""
}

// Maintenance is a cluster's maintenance schedule: the weekly windows in which a fleet run may
// start work on it, as wall-clock times in Location. A nil *Maintenance, or one without windows,
// means no windows: the cluster may be worked on at any time. Its methods accept a nil receiver.
type Maintenance struct {
	Windows []Window
	// Location is the time zone the windows are in; nil means UTC.
	Location *time.Location
}

func (m *Maintenance) location() *time.Location {
	if m == nil || m.Location == nil {
		return time.UTC
	}
	return m.Location
}

// Local is t in the schedule's time zone, for display.
func (m *Maintenance) Local(t time.Time) time.Time { return t.In(m.location()) }

// occurrence is one window on one date, as absolute times.
type occurrence struct{ start, end time.Time }

// occurrences returns every window occurrence that starts on a date from t's date + from to t's
// date + to (in the schedule's time zone), sorted by start. Dates are counted on the calendar,
// so the times are right across week boundaries and daylight-saving changes: time.Date turns
// each date's wall-clock times into absolute ones. An occurrence that the clocks going forward
// leave empty is skipped.
func (m *Maintenance) occurrences(t time.Time, from, to int) []occurrence {
	loc := m.location()
	y, mo, d := t.In(loc).Date()
	var out []occurrence
	for k := from; k <= to; k++ {
		date := time.Date(y, mo, d+k, 12, 0, 0, 0, time.UTC) // the calendar date only
		dy, dm, dd := date.Date()
		for _, w := range m.Windows {
			if w.days&(1<<date.Weekday()) == 0 {
				continue
			}
			endDay := dd
			if w.end <= w.start {
				endDay++
			}
			o := occurrence{
				start: time.Date(dy, dm, dd, 0, w.start, 0, 0, loc),
				end:   time.Date(dy, dm, endDay, 0, w.end, 0, 0, loc),
			}
			if o.end.After(o.start) {
				out = append(out, o)
			}
		}
	}
	slices.SortFunc(out, func(a, b occurrence) int {
		if c := a.start.Compare(b.start); c != 0 {
			return c
		}
		return a.end.Compare(b.end)
	})
	return out
}

// Open reports whether t is inside one of the windows. With no windows it is always true.
func (m *Maintenance) Open(t time.Time) bool {
	if m == nil || len(m.Windows) == 0 {
		return true
	}
	// A window lasts at most a day, so one open at t started on t's date or the day before.
	for _, o := range m.occurrences(t, -1, 0) {
		if !o.start.After(t) && o.end.After(t) {
			return true
		}
	}
	return false
}

// Next returns the window open at t (start is then not after t), or else the next one to open,
// as absolute times. Windows that overlap or touch (Fri 22:00-24:00 and Sat 00:00-02:00) count as
// one, so end is when the cluster really leaves its windows; windows that leave no gap at all
// (daily 00:00-24:00) report a stretch of at least a week. ok is false when there are no windows
// (the cluster may be worked on at any time).
func (m *Maintenance) Next(t time.Time) (start, end time.Time, ok bool) {
	if m == nil {
		return time.Time{}, time.Time{}, false
	}
	occ := m.occurrences(t, -lookBehindDays, lookAheadDays)
	for i := 0; i < len(occ); {
		start, end = occ[i].start, occ[i].end
		i++
		for ; i < len(occ) && !occ[i].start.After(end); i++ {
			if occ[i].end.After(end) {
				end = occ[i].end
			}
		}
		if end.After(t) {
			return start, end, true
		}
	}
	return time.Time{}, time.Time{}, false
}

// Remaining returns how long the window open at t stays open (overlapping and touching windows
// count as one), or 0 when t is outside every window. With no windows nothing ever closes, and
// it returns the largest Duration.
func (m *Maintenance) Remaining(t time.Time) time.Duration {
	if m == nil || len(m.Windows) == 0 {
		return time.Duration(1<<63 - 1)
	}
	start, end, ok := m.Next(t)
	if !ok || start.After(t) {
		return 0
	}
	return end.Sub(t)
}

// String renders the windows as written and the time zone, for display:
// "Sat 01:00-05:00, Sun 23:00-02:00 (Asia/Singapore)"; "any time" when there are no windows.
func (m *Maintenance) String() string {
	if m == nil || len(m.Windows) == 0 {
		return "any time"
	}
	texts := make([]string, len(m.Windows))
	for i, w := range m.Windows {
		texts[i] = w.String()
	}
	return strings.Join(texts, ", ") + " (" + m.location().String() + ")"
}

// maintenanceDoc is Maintenance as rendered by `inventory show`: as the inventory writes it.
type maintenanceDoc struct {
	Windows  []string `json:"windows" yaml:"windows"`
	Timezone string   `json:"timezone" yaml:"timezone"`
}

func (m Maintenance) doc() maintenanceDoc {
	out := maintenanceDoc{Windows: []string{}, Timezone: m.location().String()}
	for _, w := range m.Windows {
		out.Windows = append(out.Windows, w.String())
	}
	return out
}

// MarshalJSON renders Maintenance as {"windows": [...], "timezone": "..."}.
func (m Maintenance) MarshalJSON() ([]byte, error) { return json.Marshal(m.doc()) }

// MarshalYAML renders Maintenance as {windows: [...], timezone: ...}.
func (m Maintenance) MarshalYAML() (any, error) { return m.doc(), nil }

// clone copies m, so clusters inheriting the same defaults share no slice.
func (m *Maintenance) clone() *Maintenance {
	if m == nil {
		return nil
	}
	return &Maintenance{Windows: slices.Clone(m.Windows), Location: m.Location}
}

// maintenance decodes a maintenance section. written is false when the level says nothing
// (absent or null), so that the outer level's applies; a written section without windows gives
// nil: no windows, whatever the outer level says.
func (d *decoder) maintenance(n *yaml.Node, path string) (m *Maintenance, written bool) {
	if n == nil {
		return nil, false
	}
	if n = d.deref(n); isNull(n) {
		return nil, false
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, `must be a mapping such as {windows: ["Sat 01:00-05:00"], timezone: Asia/Singapore}, got %s`, describe(n))
		return nil, true
	}
	f := d.mapping(n, path, maintenanceKeys)
	loc := d.timezone(f.get("timezone"), join(path, "timezone"))
	wn := f.get("windows")
	if wn == nil || isNull(d.deref(wn)) {
		if !f.hinted["windows"] {
			d.errorf(n, join(path, "windows"), "required but missing; maintenance is replaced as a whole, never merged, so list the windows here (windows: [] for none)")
		}
		return nil, true
	}
	wpath := join(path, "windows")
	items, ok := d.sequence(wn, wpath, `a list of windows such as ["Sat 01:00-05:00"]`)
	if !ok || len(items) == 0 {
		return nil, true
	}
	m = &Maintenance{Location: loc}
	for i, item := range items {
		p := index(wpath, i)
		if item = d.deref(item); isNull(item) {
			d.typeError(item, p, `a window such as "Sat 01:00-05:00"`)
			continue
		}
		s := d.text(item, p)
		if s == nil {
			continue
		}
		w, err := ParseWindow(*s)
		if err != nil {
			d.errorf(item, p, "%s", err)
			continue
		}
		m.Windows = append(m.Windows, w)
	}
	return m, true
}

// timezone reads an IANA time zone name; absent means UTC.
func (d *decoder) timezone(n *yaml.Node, path string) *time.Location {
	name := d.text(n, path)
	if name == nil {
		return time.UTC
	}
	if loc, ok := d.zones[*name]; ok {
		return loc
	}
	loc, problem := loadZone(*name)
	if problem != "" {
		d.errorf(d.deref(n), path, "%s", problem)
		return time.UTC
	}
	if d.zones == nil {
		d.zones = map[string]*time.Location{}
	}
	d.zones[*name] = loc
	return loc
}

// loadZone loads an IANA time zone, or says what is wrong with the name.
func loadZone(name string) (*time.Location, string) {
	const want = "use an IANA time zone name such as Asia/Singapore, Europe/Berlin, America/New_York or UTC"
	if name == "Local" {
		return nil, `"Local" is the time zone of whichever machine runs kfleet; ` + want
	}
	loc, err := time.LoadLocation(name)
	if err == nil {
		return loc, ""
	}
	problem := fmt.Sprintf("unknown time zone %q; %s", truncate(name, 40), want)
	if strings.ContainsAny(name, "+-") && strings.ContainsAny(name, "0123456789") {
		problem += " (a fixed offset is written Etc/GMT-8 for UTC+8: the sign is inverted)"
	}
	if near := zoneCase(name); near != "" {
		problem = fmt.Sprintf("unknown time zone %q; did you mean %q?", truncate(name, 40), near)
	}
	return nil, problem
}

// zoneCase returns the zone that name differs from only in case, when it can guess it: names
// are case-sensitive with the embedded database and on Linux but not on every system, so an
// inventory must spell them exactly to mean the same everywhere.
func zoneCase(name string) string {
	title := []byte(strings.ToLower(name))
	for i, c := range title {
		if (i == 0 || strings.IndexByte("/_-", title[i-1]) >= 0) && 'a' <= c && c <= 'z' {
			title[i] = c - 'a' + 'A'
		}
	}
	for _, c := range []string{string(title), strings.ToUpper(name)} {
		if c == name {
			continue
		}
		if _, err := time.LoadLocation(c); err == nil {
			return c
		}
	}
	return ""
}
