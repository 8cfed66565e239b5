package fleet

import (
	"fmt"
	"time"

	"github.com/kfleet/kfleet/inventory"
)

// windowNow says whether cluster c may start at now, and how its windows stand, in words.
func windowNow(c *inventory.Cluster, now time.Time, ignore bool) (string, bool) {
	m := c.Maintenance
	if m == nil || len(m.Windows) == 0 {
		return "any time", true
	}
	start, end, ok := m.Next(now)
	where := func(t time.Time) string { return m.Local(t).Format("Mon 15:04 MST") }
	var s string
	switch {
	case !ok:
		s = fmt.Sprintf("closed (%s)", m)
	case !start.After(now):
		s = fmt.Sprintf("open until %s (%s)", where(end), m)
	default:
		s = fmt.Sprintf("closed; next opens %s, in %s (%s)", where(start), roundDur(start.Sub(now)), m)
	}
	if ignore {
		return s + "; IGNORED", true
	}
	return s, m.Open(now)
}
