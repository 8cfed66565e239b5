package inventory

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func mustWindows(t *testing.T, texts ...string) []Window {
	t.Helper()
	out := make([]Window, len(texts))
	for i, s := range texts {
		w, err := ParseWindow(s)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = w
	}
	return out
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func schedule(t *testing.T, zone string, windows ...string) *Maintenance {
	t.Helper()
	return &Maintenance{Windows: mustWindows(t, windows...), Location: mustZone(t, zone)}
}

// wall reads "2006-01-02 15:04" as a wall-clock time in zone.
func wall(t *testing.T, zone, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, mustZone(t, zone))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// dayList renders a window's days for comparison: "mon,tue".
func dayList(w Window) string {
	var out []string
	for _, d := range []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday} {
		if w.days&(1<<d) != 0 {
			out = append(out, dayNames[d])
		}
	}
	return strings.Join(out, ",")
}

func TestParseWindow(t *testing.T) {
	for _, tt := range []struct {
		in, days   string
		start, end int // minutes after midnight
	}{
		{"Sat 01:00-05:00", "sat", 60, 300},
		{"saturday 1:00-5:00", "sat", 60, 300},
		{"SAT 01:00-05:00", "sat", 60, 300},
		{"  Sat   01:00 - 05:00 ", "sat", 60, 300},
		{"Mon-Fri 22:00-02:00", "mon,tue,wed,thu,fri", 22 * 60, 120},
		{"monday-friday 09:30-17:45", "mon,tue,wed,thu,fri", 9*60 + 30, 17*60 + 45},
		{"Fri-Mon 00:00-24:00", "mon,fri,sat,sun", 0, 24 * 60},
		{"Sat,Sun 00:00-24:00", "sat,sun", 0, 24 * 60},
		{"Sat, Sun 03:00-04:00", "sat,sun", 180, 240},
		{"Mon - Wed , Fri 03:00-04:00", "mon,tue,wed,fri", 180, 240},
		{"Sun,Tuesday 03:00-04:00", "tue,sun", 180, 240},
		{"* 03:00-04:00", "mon,tue,wed,thu,fri,sat,sun", 180, 240},
		{"daily 03:00-04:00", "mon,tue,wed,thu,fri,sat,sun", 180, 240},
		{"Daily 23:59-00:01", "mon,tue,wed,thu,fri,sat,sun", 23*60 + 59, 1},
		{"Sun 23:00-00:00", "sun", 23 * 60, 0},
	} {
		w, err := ParseWindow(tt.in)
		if err != nil {
			t.Errorf("ParseWindow(%q): %v", tt.in, err)
			continue
		}
		if got := dayList(w); got != tt.days || w.start != tt.start || w.end != tt.end {
			t.Errorf("ParseWindow(%q) = %s %d-%d, want %s %d-%d", tt.in, got, w.start, w.end, tt.days, tt.start, tt.end)
		}
		if w.String() != strings.TrimSpace(tt.in) {
			t.Errorf("ParseWindow(%q).String() = %q, want it as written", tt.in, w.String())
		}
	}
}

func TestParseWindowRefuses(t *testing.T) {
	for _, tt := range []struct{ in, problem string }{
		{"", "it is empty"},
		{"Sat", "it has no times"},
		{"01:00-05:00", `it names no day; start with the days, e.g. "daily 01:00-05:00"`},
		{"Sta 01:00-05:00", `unknown day "sta" (did you mean "Sat"?)`},
		{"Stu 01:00-05:00", `unknown day "stu"; days are Mon, Tue`},
		{"Tues 01:00-05:00", `did you mean "Tue"?`},
		{"Saturdy 01:00-05:00", `did you mean "Saturday"?`},
		{"weekend 01:00-05:00", `unknown day "weekend"; days are Mon, Tue, Wed, Thu, Fri, Sat, Sun or their full names`},
		{"Sat Sun 01:00-05:00", "days are separated by ',' (Sat,Sun), not spaces"},
		{"Sat,,Sun 01:00-05:00", "a day is missing around a ','"},
		{"Sat, 01:00-05:00", "a day is missing around a ','"},
		{"Mon- 01:00-05:00", "a day is missing around a '-'"},
		{"Mon-Mon 01:00-05:00", `the range "mon-mon" starts and ends on the same day`},
		{"Sat,Sat 01:00-05:00", "Sat is listed twice"},
		{"Mon-Fri,Wed 01:00-05:00", "Wed is listed twice"},
		{"daily,Sat 01:00-05:00", `"daily" already means every day`},
		{"Sat 25:00-05:00", `"25:00" is not a time: hours run from 00 to 23 (24:00 only as an end)`},
		{"Sat 24:30-05:00", `"24:30" is not a time: hours run from 00 to 23`},
		{"Sat 01:60-05:00", `"01:60" is not a time: minutes run from 00 to 59`},
		{"Sat 24:00-05:00", "24:00 is allowed only as an end"},
		{"Sat 01:00-01:00", "it starts and ends at the same time; a whole day is 00:00-24:00"},
		{"Sat 00:00-00:00", "it starts and ends at the same time"},
		{"Sat 1am-5am", `"1am" is not a time; times are HH:MM on a 24-hour clock`},
		{"Sat 01:00-05:00 SGT", "a window has no time zone of its own; set the maintenance timezone"},
		{"Sat 01:00", `"01:00" is not a span of times HH:MM-HH:MM`},
		{"Sat 01:00:00-05:00:00", `"01:00:00" is not a time`},
		{"Sat 01:00-05:00-06:00", `"05:00-06:00" is not a time`},
	} {
		_, err := ParseWindow(tt.in)
		if err == nil {
			t.Errorf("ParseWindow(%q) accepted it, want %q", tt.in, tt.problem)
			continue
		}
		want := "invalid window " + `"` + strings.TrimSpace(tt.in) + `": `
		if msg := err.Error(); !strings.HasPrefix(msg, want) || !strings.Contains(msg, tt.problem) || !strings.HasSuffix(msg, "; "+windowSyntax) {
			t.Errorf("ParseWindow(%q) = %q\nwant %s...%s...; %s", tt.in, msg, want, tt.problem, windowSyntax)
		}
	}
}

// sgSchedule is payments-prod's schedule in testdata/fleet.yaml. 2025-03-29 is a Saturday.
func sgSchedule(t *testing.T) *Maintenance {
	return schedule(t, "Asia/Singapore", "Sat 01:00-05:00", "Sun 23:00-02:00")
}

func TestOpen(t *testing.T) {
	m := sgSchedule(t)
	sg := func(s string) time.Time { return wall(t, "Asia/Singapore", s) }
	for _, tt := range []struct {
		at   time.Time
		open bool
	}{
		{sg("2025-03-29 00:59"), false},
		{sg("2025-03-29 01:00"), true}, // the start is inside
		{sg("2025-03-29 04:59"), true},
		{sg("2025-03-29 05:00"), false}, // the end is not
		{sg("2025-03-30 22:59"), false},
		{sg("2025-03-30 23:00"), true},
		{sg("2025-03-31 01:59"), true}, // Sunday's window runs on into Monday, into the next week
		{sg("2025-03-31 02:00"), false},
		{sg("2025-04-01 01:00"), false}, // Tuesday: no window
		// The same instants written in UTC: the windows are in Singapore time (UTC+8).
		{wall(t, "UTC", "2025-03-28 17:00"), true},           // Sat 01:00 in Singapore
		{wall(t, "UTC", "2025-03-29 01:00"), false},          // Sat 09:00 in Singapore
		{wall(t, "UTC", "2025-03-30 17:30"), true},           // Mon 01:30 in Singapore
		{wall(t, "UTC", "2025-03-30 23:30"), false},          // Mon 07:30 in Singapore
		{wall(t, "Europe/Berlin", "2025-03-28 18:30"), true}, // Sat 01:30 in Singapore
	} {
		if got := m.Open(tt.at); got != tt.open {
			t.Errorf("Open(%s = %s in Singapore) = %v, want %v", tt.at, tt.at.In(m.Location).Format("Mon 15:04"), got, tt.open)
		}
	}
}

func TestNextAndRemaining(t *testing.T) {
	const layout = "Mon 2006-01-02 15:04 MST"
	for _, tt := range []struct {
		name       string
		m          *Maintenance
		at         time.Time
		start, end time.Time     // in the schedule's zone; want is the same instants
		remaining  time.Duration // 0 when closed at t
	}{
		{"before Saturday's window", sgSchedule(t), wall(t, "Asia/Singapore", "2025-03-29 00:00"),
			wall(t, "Asia/Singapore", "2025-03-29 01:00"), wall(t, "Asia/Singapore", "2025-03-29 05:00"), 0},
		{"inside Saturday's window", sgSchedule(t), wall(t, "Asia/Singapore", "2025-03-29 02:00"),
			wall(t, "Asia/Singapore", "2025-03-29 01:00"), wall(t, "Asia/Singapore", "2025-03-29 05:00"), 3 * time.Hour},
		{"at the end of Saturday's: Sunday's across midnight is next", sgSchedule(t), wall(t, "Asia/Singapore", "2025-03-29 05:00"),
			wall(t, "Asia/Singapore", "2025-03-30 23:00"), wall(t, "Asia/Singapore", "2025-03-31 02:00"), 0},
		{"Monday inside Sunday's window", sgSchedule(t), wall(t, "Asia/Singapore", "2025-03-31 01:00"),
			wall(t, "Asia/Singapore", "2025-03-30 23:00"), wall(t, "Asia/Singapore", "2025-03-31 02:00"), time.Hour},
		{"Monday after it: next Saturday", sgSchedule(t), wall(t, "Asia/Singapore", "2025-03-31 02:00"),
			wall(t, "Asia/Singapore", "2025-04-05 01:00"), wall(t, "Asia/Singapore", "2025-04-05 05:00"), 0},
		{"asked in UTC", sgSchedule(t), wall(t, "UTC", "2025-03-28 18:00"),
			wall(t, "Asia/Singapore", "2025-03-29 01:00"), wall(t, "Asia/Singapore", "2025-03-29 05:00"), 3 * time.Hour},
		{"week wrap: Sunday to Monday", schedule(t, "UTC", "Mon 00:00-01:00"), wall(t, "UTC", "2025-03-30 23:30"),
			wall(t, "UTC", "2025-03-31 00:00"), wall(t, "UTC", "2025-03-31 01:00"), 0},
		{"week wrap: the window just closed opens again in a week", schedule(t, "UTC", "Mon 00:00-01:00"), wall(t, "UTC", "2025-03-31 01:00"),
			wall(t, "UTC", "2025-04-07 00:00"), wall(t, "UTC", "2025-04-07 01:00"), 0},
		{"a range across the week end", schedule(t, "UTC", "Sat-Mon 22:00-02:00"), wall(t, "UTC", "2025-03-31 12:00"),
			wall(t, "UTC", "2025-03-31 22:00"), wall(t, "UTC", "2025-04-01 02:00"), 0},
		{"touching windows are one", schedule(t, "UTC", "Fri 22:00-24:00", "Sat 00:00-02:00"), wall(t, "UTC", "2025-03-29 01:00"),
			wall(t, "UTC", "2025-03-28 22:00"), wall(t, "UTC", "2025-03-29 02:00"), time.Hour},
		{"overlapping windows are one", schedule(t, "UTC", "Sat 04:00-08:00", "Sat 01:00-05:00"), wall(t, "UTC", "2025-03-29 04:30"),
			wall(t, "UTC", "2025-03-29 01:00"), wall(t, "UTC", "2025-03-29 08:00"), 3*time.Hour + 30*time.Minute},
		{"windows with a gap are not", schedule(t, "UTC", "Sat 01:00-03:00", "Sat 03:01-05:00"), wall(t, "UTC", "2025-03-29 02:00"),
			wall(t, "UTC", "2025-03-29 01:00"), wall(t, "UTC", "2025-03-29 03:00"), time.Hour},
		// Europe/Berlin goes from 02:00 CET to 03:00 CEST on Sunday 2025-03-30 and from 03:00 CEST
		// back to 02:00 CET on Sunday 2025-10-26. Windows are wall-clock times.
		{"DST forward: a 3h window lasts 2h", schedule(t, "Europe/Berlin", "Sun 01:00-04:00"), wall(t, "UTC", "2025-03-29 23:30"),
			wall(t, "UTC", "2025-03-30 00:00"), wall(t, "UTC", "2025-03-30 02:00"), 0},
		{"DST forward: remaining across the jump", schedule(t, "Europe/Berlin", "Sun 01:00-04:00"), wall(t, "Europe/Berlin", "2025-03-30 01:30"),
			wall(t, "UTC", "2025-03-30 00:00"), wall(t, "UTC", "2025-03-30 02:00"), 90 * time.Minute},
		{"DST forward: a week ahead is a week of wall clock, not 168h", schedule(t, "Europe/Berlin", "Sun 05:00-06:00"), wall(t, "Europe/Berlin", "2025-03-23 07:00"),
			wall(t, "UTC", "2025-03-30 03:00"), wall(t, "UTC", "2025-03-30 04:00"), 0},
		{"DST forward: a start in the skipped hour moves forward by the gap", schedule(t, "Europe/Berlin", "Sun 02:30-05:00"), wall(t, "UTC", "2025-03-29 12:00"),
			wall(t, "UTC", "2025-03-30 01:30"), wall(t, "UTC", "2025-03-30 03:00"), 0},
		{"DST forward: a window inside the skipped hour does not happen that day", schedule(t, "Europe/Berlin", "Sun 02:00-03:00"), wall(t, "UTC", "2025-03-29 12:00"),
			wall(t, "UTC", "2025-04-06 00:00"), wall(t, "UTC", "2025-04-06 01:00"), 0},
		{"DST back: a 3h window lasts 4h", schedule(t, "Europe/Berlin", "Sun 01:00-04:00"), wall(t, "UTC", "2025-10-26 00:00"),
			wall(t, "UTC", "2025-10-25 23:00"), wall(t, "UTC", "2025-10-26 03:00"), 3 * time.Hour},
		{"DST back: a start in the repeated hour is its second occurrence", schedule(t, "Europe/Berlin", "Sun 02:30-05:00"), wall(t, "UTC", "2025-10-25 12:00"),
			wall(t, "UTC", "2025-10-26 01:30"), wall(t, "UTC", "2025-10-26 04:00"), 0},
		{"no zone is UTC", &Maintenance{Windows: mustWindows(t, "Sat 01:00-05:00")}, wall(t, "Asia/Singapore", "2025-03-29 02:00"),
			wall(t, "UTC", "2025-03-29 01:00"), wall(t, "UTC", "2025-03-29 05:00"), 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			start, end, ok := tt.m.Next(tt.at)
			if !ok || !start.Equal(tt.start) || !end.Equal(tt.end) {
				loc := tt.m.location()
				t.Errorf("Next(%s) = %s .. %s, %v\nwant %s .. %s", tt.at.In(loc).Format(layout),
					start.In(loc).Format(layout), end.In(loc).Format(layout), ok, tt.start.In(loc).Format(layout), tt.end.In(loc).Format(layout))
			}
			if got := tt.m.Remaining(tt.at); got != tt.remaining {
				t.Errorf("Remaining = %s, want %s", got, tt.remaining)
			}
			if open := tt.m.Open(tt.at); open != (tt.remaining > 0) {
				t.Errorf("Open = %v, but Remaining = %s", open, tt.remaining)
			}
		})
	}
}

func TestNoWindowsMeansAnyTime(t *testing.T) {
	now := time.Date(2025, 3, 29, 12, 0, 0, 0, time.UTC)
	for _, m := range []*Maintenance{nil, {}, {Location: mustZone(t, "Asia/Singapore")}} {
		if !m.Open(now) {
			t.Errorf("%#v: Open = false, want true", m)
		}
		if _, _, ok := m.Next(now); ok {
			t.Errorf("%#v: Next reports a window", m)
		}
		if got := m.Remaining(now); got != math.MaxInt64 {
			t.Errorf("%#v: Remaining = %s, want forever", m, got)
		}
		if got := m.String(); got != "any time" {
			t.Errorf("%#v: String = %q", m, got)
		}
	}
}

func TestWindowsThatNeverClose(t *testing.T) {
	m := schedule(t, "Europe/Berlin", "daily 00:00-24:00")
	for _, at := range []time.Time{wall(t, "UTC", "2025-03-30 01:30"), wall(t, "UTC", "2025-10-26 01:30")} {
		if !m.Open(at) {
			t.Errorf("Open(%s) = false", at)
		}
		if got := m.Remaining(at); got < 7*24*time.Hour {
			t.Errorf("Remaining(%s) = %s, want at least a week", at, got)
		}
	}
}

func TestTimezones(t *testing.T) {
	for _, name := range []string{"UTC", "Asia/Singapore", "Europe/Berlin", "America/New_York", "Etc/GMT-8"} {
		if loc, problem := loadZone(name); problem != "" || loc.String() != name {
			t.Errorf("loadZone(%q) = %v, %q", name, loc, problem)
		}
	}
	// Etc/GMT-8 is UTC+8, as the docs say.
	if _, off := time.Date(2025, 1, 1, 0, 0, 0, 0, mustZone(t, "Etc/GMT-8")).Zone(); off != 8*3600 {
		t.Errorf("Etc/GMT-8 is UTC%+d", off/3600)
	}
	for name, problem := range map[string]string{
		"Asia/Singapur":  `unknown time zone "Asia/Singapur"; use an IANA time zone name`,
		"europe/berlin":  `did you mean "Europe/Berlin"?`,
		"utc":            `did you mean "UTC"?`,
		"UTC+8":          "a fixed offset is written Etc/GMT-8 for UTC+8",
		"Local":          `"Local" is the time zone of whichever machine runs kfleet`,
		"../../etc/pass": "unknown time zone",
	} {
		if _, got := loadZone(name); !strings.Contains(got, problem) {
			t.Errorf("loadZone(%q) problem = %q, want ...%s...", name, got, problem)
		}
	}
}

func TestMaintenanceString(t *testing.T) {
	if got, want := sgSchedule(t).String(), "Sat 01:00-05:00, Sun 23:00-02:00 (Asia/Singapore)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got, want := (&Maintenance{Windows: mustWindows(t, "daily 03:00-04:00")}).String(), "daily 03:00-04:00 (UTC)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func maintenanceCaseSource(defaults, cluster string) string {
	return twoClusterSource("maintenance", defaults, cluster)
}

func TestMaintenanceMerge(t *testing.T) {
	const sat = `{windows: ["Sat 01:00-05:00"], timezone: Asia/Singapore}`
	for _, tt := range []struct {
		name, defaults, cluster string
		want, other             string // the clusters' String()
	}{
		{"none anywhere", "", "", "any time", "any time"},
		{"defaults only", sat, "", "Sat 01:00-05:00 (Asia/Singapore)", "Sat 01:00-05:00 (Asia/Singapore)"},
		{"cluster only, UTC by default", `{windows: ["daily 03:00-04:00"]}`, "", "daily 03:00-04:00 (UTC)", "daily 03:00-04:00 (UTC)"},
		{"cluster only", "", `{windows: ["Sun 23:00-02:00", "Wed 12:00-13:00"], timezone: Europe/Berlin}`,
			"Sun 23:00-02:00, Wed 12:00-13:00 (Europe/Berlin)", "any time"},
		{"cluster replaces the defaults as a whole, timezone too", sat, `{windows: ["Sun 02:00-04:00"]}`,
			"Sun 02:00-04:00 (UTC)", "Sat 01:00-05:00 (Asia/Singapore)"},
		{"empty windows clear the defaults'", sat, `{windows: []}`, "any time", "Sat 01:00-05:00 (Asia/Singapore)"},
		{"null inherits", sat, "null", "Sat 01:00-05:00 (Asia/Singapore)", "Sat 01:00-05:00 (Asia/Singapore)"},
		{"unquoted windows", "", "{windows: [Sat 01:00-05:00, Sun 23:00-02:00], timezone: UTC}",
			"Sat 01:00-05:00, Sun 23:00-02:00 (UTC)", "any time"},
		{"anchors and aliases", "&m " + sat, "{<<: *m, timezone: Europe/Berlin}",
			"Sat 01:00-05:00 (Europe/Berlin)", "Sat 01:00-05:00 (Asia/Singapore)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			src := maintenanceCaseSource(tt.defaults, tt.cluster)
			fleet, err := Parse("/etc/kfleet/fleet.yaml", []byte(src))
			if err != nil {
				t.Fatalf("Parse:\n%s\n%v", src, err)
			}
			a, b := fleet.Clusters[0].Maintenance, fleet.Clusters[1].Maintenance
			if got := a.String(); got != tt.want {
				t.Errorf("clusters[0].maintenance = %q, want %q", got, tt.want)
			}
			if got := b.String(); got != tt.other {
				t.Errorf("clusters[1].maintenance = %q, want %q", got, tt.other)
			}
			for _, m := range []*Maintenance{a, b} {
				if m != nil && (len(m.Windows) == 0 || m.Location == nil) {
					t.Errorf("a schedule without windows or zone is not nil: %#v", m)
				}
			}
			if a != nil && b != nil && &a.Windows[0] == &b.Windows[0] {
				t.Errorf("clusters share one windows slice")
			}
		})
	}
}

func TestMaintenanceErrorNamesFileLineAndField(t *testing.T) {
	_, err := Parse("fleet.yaml", []byte(`defaults:
  maintenance: {windows: ["Sat 01:00-05:00"], timezone: Asia/Singapur}
clusters:
  - {name: a, bootstrap: [k1:9092], brokers: [{id: 1, host: k1}]}
  - {name: b, bootstrap: [k2:9092], brokers: [{id: 1, host: k2}]}
  - name: c
    bootstrap: [k3:9092]
    maintenance:
      windows:
        - Sat 01:00-25:00
        - Sun 23:00-02:00
        - Sta 01:00-02:00
    brokers: [{id: 1, host: k3}]
`))
	want := []string{
		`fleet.yaml:2:57: defaults.maintenance.timezone: unknown time zone "Asia/Singapur"; use an IANA time zone name such as Asia/Singapore, Europe/Berlin, America/New_York or UTC`,
		`fleet.yaml:10:11: clusters[2].maintenance.windows[0]: invalid window "Sat 01:00-25:00": "25:00" is not a time: hours run from 00 to 23 (24:00 only as an end); ` + windowSyntax,
		`fleet.yaml:12:11: clusters[2].maintenance.windows[2]: invalid window "Sta 01:00-02:00": unknown day "sta" (did you mean "Sat"?); ` + windowSyntax,
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Errorf("got:\n%v\nwant:\n%s", err, strings.Join(want, "\n"))
	}
	var e *Error
	if !errors.As(err, &e) || e.Pos.Line != 2 {
		t.Errorf("errors.As(*Error) = %v, want the first problem", e)
	}
}

func TestMaintenanceRender(t *testing.T) {
	fleet := loadExample(t)
	assertRenders(t, fleet, []string{
		`"maintenance":{"windows":["Sat 01:00-05:00","Sun 23:00-02:00"],"timezone":"Asia/Singapore"}`,
		`"maintenance":{"windows":["Tue-Thu 10:00-16:00"],"timezone":"Asia/Singapore"}`,
	}, "maintenance:\n    windows:\n        - Sat 01:00-05:00\n        - Sun 23:00-02:00\n    timezone: Asia/Singapore\n")
	// The rendering reads back as the same schedule.
	ys, err := yaml.Marshal(fleet.Clusters[0])
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Maintenance yaml.Node }
	if err := yaml.Unmarshal(ys, &doc); err != nil {
		t.Fatal(err)
	}
	d := &decoder{file: "show.yaml"}
	back, _ := d.maintenance(&doc.Maintenance, "maintenance")
	if len(d.errs) > 0 || back.String() != fleet.Clusters[0].Maintenance.String() {
		t.Errorf("rendered maintenance reads back as %v (%v), want %v", back, d.errs, fleet.Clusters[0].Maintenance)
	}

	// Without windows the key is left out.
	plain, err := Parse("fleet.yaml", []byte(maintenanceCaseSource("", "")))
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []func(any) ([]byte, error){json.Marshal, yaml.Marshal} {
		b, err := out(plain)
		if err != nil || strings.Contains(string(b), "maintenance") {
			t.Errorf("a fleet without windows renders maintenance (%v):\n%s", err, b)
		}
	}
}

// FuzzParseWindow: any accepted window opens within a week, and Open, Next and Remaining agree
// at its start.
func FuzzParseWindow(f *testing.F) {
	for _, s := range []string{"Sat 01:00-05:00", "Mon-Fri 22:00-02:00", "Fri-Mon 00:00-24:00", "Sat, Sun 03:00 - 04:00", "daily 23:59-00:01", "Sat 25:00-05:00", "Sta 1:00-2:00"} {
		f.Add(s)
	}
	from := time.Date(2025, 3, 26, 7, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		w, err := ParseWindow(s)
		if err != nil {
			if !strings.HasSuffix(err.Error(), windowSyntax) {
				t.Fatalf("error without the syntax: %v", err)
			}
			return
		}
		if w.days == 0 || w.start == w.end || w.start < 0 || w.start >= minutesPerDay || w.end < 0 || w.end > minutesPerDay {
			t.Fatalf("accepted %q as %+v", s, w)
		}
		m := &Maintenance{Windows: []Window{w}}
		start, end, ok := m.Next(from)
		if !ok || !end.After(start) || start.Sub(from) > 7*24*time.Hour {
			t.Fatalf("%q: Next = %s .. %s, %v", s, start, end, ok)
		}
		if !m.Open(start) || m.Open(end) && w.days != everyDay || m.Remaining(start) != end.Sub(start) {
			t.Fatalf("%q: Open(start) %v, Open(end) %v, Remaining(start) %s, want %s", s, m.Open(start), m.Open(end), m.Remaining(start), end.Sub(start))
		}
	})
}
