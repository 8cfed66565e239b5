package kafka

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// ReleaseLine is a Kafka release line, MAJOR.MINOR: what inter.broker.protocol.version and
// metadata.version name, and what the upgrade rules compare.
type ReleaseLine struct{ Major, Minor int }

func (r ReleaseLine) String() string { return fmt.Sprintf("%d.%d", r.Major, r.Minor) }

// Less orders releases.
func (r ReleaseLine) Less(o ReleaseLine) bool {
	return r.Major < o.Major || r.Major == o.Major && r.Minor < o.Minor
}

// ParseRelease reads the release line of a Kafka version ("3.9.1"), an
// inter.broker.protocol.version ("3.8", "3.8-IV0", "0.10.2-IV0") or a metadata.version name.
func ParseRelease(v string) (ReleaseLine, bool) {
	v, _, _ = strings.Cut(strings.TrimSpace(v), "-")
	parts := strings.Split(v, ".")
	if len(parts) < 2 {
		return ReleaseLine{}, false
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil || major < 0 || minor < 0 {
		return ReleaseLine{}, false
	}
	return ReleaseLine{major, minor}, true
}

// LowestRelease is the lowest release line among versions (by broker id), as its broker spelled
// it ("3.8", "3.8-IV0"); on a tie, the lowest broker id's spelling; "" when none parses.
func LowestRelease(versions map[int32]string) string {
	return firstRelease(versions, ReleaseLine.Less)
}

// HighestRelease is LowestRelease's counterpart: the highest release line among versions.
func HighestRelease(versions map[int32]string) string {
	return firstRelease(versions, func(a, b ReleaseLine) bool { return b.Less(a) })
}

// firstRelease is the version whose release line comes first by before, in broker id order.
func firstRelease(versions map[int32]string, before func(a, b ReleaseLine) bool) string {
	first, firstR := "", ReleaseLine{}
	for _, id := range slices.Sorted(maps.Keys(versions)) {
		if r, ok := ParseRelease(versions[id]); ok && (first == "" || before(r, firstR)) {
			first, firstR = versions[id], r
		}
	}
	return first
}
