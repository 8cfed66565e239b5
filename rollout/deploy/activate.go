package deploy

import (
	"context"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/cluster"
	"github.com/kfleet/kfleet/ops/host"
	"github.com/kfleet/kfleet/ops/ssh"
)

// Activation switches stopped brokers to a staged release and confirms they came back on it:
// Switch is the engine's Between step, Verify its check after start. Deploy and rollback both
// use it.
type Activation struct {
	SSH     *ssh.Runner
	Version string
	Say     func(format string, args ...any)
}

// switchScript points current at releases/$2 under root $1, atomically (a new link renamed
// over the old one), and previous at what current pointed at before. When the config file
// lives inside the release ($3, relative to current/), it is carried over. POSIX sh; GNU or
// busybox ln and mv.
const switchScript = `root=$1 v=$2 cfg=$3
cd "$root" || exit 10
new="releases/$v"
[ -d "$new" ] || { echo "$root/$new does not exist (stage it first)" >&2; exit 11; }
if [ -e current ] && [ ! -L current ]; then echo "$root/current is not a symlink" >&2; exit 12; fi
old=$(readlink current 2>/dev/null)
if [ -n "$old" ] && [ "$(cd current 2>/dev/null && pwd -P)" = "$(cd "$new" && pwd -P)" ]; then
  printf 'from=%s\nunchanged=1\n' "$old"; exit 0
fi
if [ -n "$cfg" ] && [ -n "$old" ] && [ -f "current/$cfg" ]; then
  mkdir -p "$(dirname "$new/$cfg")" && cp -p "current/$cfg" "$new/$cfg.kfleet.$$" && mv -f "$new/$cfg.kfleet.$$" "$new/$cfg" ||
    { rm -f "$new/$cfg.kfleet.$$"; echo "could not carry current/$cfg over to $new" >&2; exit 13; }
fi
ln -sfn "$new" ".current.kfleet.$$" && mv -T ".current.kfleet.$$" current ||
  { rm -f ".current.kfleet.$$"; echo "could not switch $root/current to $new" >&2; exit 14; }
if [ -n "$old" ]; then
  ln -sfn "$old" ".previous.kfleet.$$" && mv -T ".previous.kfleet.$$" previous ||
    { rm -f ".previous.kfleet.$$"; echo "switched current, but could not record $root/previous -> $old" >&2; exit 15; }
fi
printf 'from=%s\n' "$old"
`

// Switch points the stopped broker's current link at releases/<Version>.
func (a Activation) Switch(ctx context.Context, b *inventory.Broker) error {
	cfg := ""
	if rel, ok := strings.CutPrefix(path.Clean(b.Install.ConfigFile), path.Join(b.Install.Root, currentLink)+"/"); ok {
		cfg = rel
	}
	out, _, err := a.SSH.Output(ctx, ssh.TargetFor(b), "sh -c "+ssh.ShellQuote(switchScript)+" kfleet-switch "+
		ssh.ShellJoin(b.Install.Root, a.Version, cfg))
	if err != nil {
		return fmt.Errorf("broker %d (%s): switching to release %s: %w", b.ID, b.Host, a.Version, err)
	}
	from := ""
	for line := range strings.SplitSeq(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "from="); ok {
			from = v
		}
	}
	if strings.Contains(string(out), "unchanged=1") {
		a.say("broker %d: current already points at releases/%s", b.ID, a.Version)
	} else {
		a.say("broker %d: current -> releases/%s (was %s)", b.ID, a.Version, orNone(from))
	}
	return nil
}

// Verify confirms the started broker's process runs Version.
func (a Activation) Verify(ctx context.Context, b *inventory.Broker) error {
	p, err := host.ProbeBrokerProcess(ctx, a.SSH, ssh.TargetFor(b), b.Install.ConfigFile)
	if err != nil {
		return fmt.Errorf("broker %d: %w", b.ID, err)
	}
	if err := host.CheckIdentity(b, p); err != nil {
		return err
	}
	switch {
	case !p.Running:
		return fmt.Errorf("broker %d (%s): no Kafka process runs after the start", b.ID, b.Host)
	case p.Version != a.Version:
		return fmt.Errorf("broker %d (%s): process %d runs Kafka %s, not %s (does the service start %s/current/bin/kafka-server-start.sh?)",
			b.ID, b.Host, p.PID, orNone(p.Version), a.Version, b.Install.Root)
	}
	a.say("broker %d: process %d runs Kafka %s", b.ID, p.PID, p.Version)
	return nil
}

func (a Activation) say(format string, args ...any) {
	if a.Say != nil {
		a.Say(format, args...)
	}
}

func orNone(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// Activated says a broker already runs version: its current link points at releases/<version>
// and its process runs it. Such brokers are skipped (a re-run restarts nothing).
func Activated(h HostRelease, p cluster.BrokerProcess, version string) bool {
	return h.Current == version && p.Running && p.Version == version
}

// RollbackTarget decides which release a rollback activates: the previous release every
// selected host recorded. It refuses when the hosts disagree, e.g. after a rollback that was
// cut short (resume it, or name the release with --to).
func RollbackTarget(states []HostRelease) (string, error) {
	currents := map[string][]int32{}
	previous := map[string][]int32{}
	for _, h := range states {
		currents[h.Current] = append(currents[h.Current], h.Broker)
		previous[h.Previous] = append(previous[h.Previous], h.Broker)
	}
	if len(currents) > 1 {
		return "", fmt.Errorf("the brokers run different releases (%s); finish or resume the operation under way, or name the release with --to",
			describeGroups(currents))
	}
	if len(previous) > 1 {
		return "", fmt.Errorf("the brokers recorded different previous releases (%s); name the release with --to", describeGroups(previous))
	}
	for prev, ids := range previous {
		if prev == "" {
			return "", fmt.Errorf("broker(s) %s have no previous release recorded (no %s link into releases/); name the release with --to",
				inventory.JoinIDs(ids), previousLink)
		}
		return prev, nil
	}
	return "", fmt.Errorf("no broker selected")
}

// describeGroups renders {"4.1.1": [2,3], "4.2.0": [1]} as "4.1.1 on 2,3; 4.2.0 on 1".
func describeGroups(g map[string][]int32) string {
	keys := slices.Sorted(maps.Keys(g))
	parts := make([]string, len(keys))
	for i, k := range keys {
		ids := slices.Clone(g[k])
		slices.Sort(ids)
		parts[i] = fmt.Sprintf("%s on broker(s) %s", orNone(k), inventory.JoinIDs(ids))
	}
	return strings.Join(parts, "; ")
}

// PruneReleases picks the release directories retention removes: it keeps the keep most
// recently staged ones and never current, previous or the release just activated. keep <= 0
// keeps everything.
func PruneReleases(dirs []ReleaseDir, keep int, protect ...string) []string {
	if keep <= 0 {
		return nil
	}
	sorted := slices.Clone(dirs)
	slices.SortStableFunc(sorted, func(a, b ReleaseDir) int {
		if a.MTime != b.MTime {
			return int(b.MTime - a.MTime)
		}
		return strings.Compare(b.Version, a.Version)
	})
	var drop []string
	kept := 0
	for _, d := range sorted {
		switch {
		case slices.Contains(protect, d.Version):
			kept++
		case kept < keep:
			kept++
		default:
			drop = append(drop, d.Version)
		}
	}
	return drop
}

// Retention removes old releases from the brokers' hosts after a deploy.
type Retention struct {
	SSH  *ssh.Runner
	Keep int
	Say  func(format string, args ...any)
}

// Prune applies retention on each host of brokers (once per install root).
func (r Retention) Prune(ctx context.Context, brokers []*inventory.Broker, version string) error {
	if r.Keep <= 0 {
		return nil
	}
	seen := map[string]bool{}
	var errs []string
	for _, b := range brokers {
		if seen[stageKey(b)] {
			continue
		}
		seen[stageKey(b)] = true
		h, err := ProbeRelease(ctx, r.SSH, b, version)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		drop := PruneReleases(h.Releases, r.Keep, h.Current, h.Previous, version)
		if len(drop) == 0 {
			continue
		}
		args := []string{"rm", "-rf", "--"}
		for _, v := range drop {
			if ValidVersion(v) != nil {
				continue // never hand an odd name to rm
			}
			args = append(args, path.Join(b.Install.Root, releasesDir, v))
		}
		if len(args) == 3 {
			continue
		}
		if _, _, err := r.SSH.Output(ctx, ssh.TargetFor(b), ssh.ShellJoin(args...)); err != nil {
			errs = append(errs, fmt.Sprintf("broker %d (%s): removing old releases: %v", b.ID, b.Host, err))
			continue
		}
		if r.Say != nil {
			r.Say("host %s: removed old release(s) %s (keeping %d)", b.Host, strings.Join(drop, ", "), r.Keep)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("retention: %s", strings.Join(errs, "; "))
	}
	return nil
}
