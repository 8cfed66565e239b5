package deploy

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/cluster"
	"github.com/kfleet/kfleet/ops/host"
	"github.com/kfleet/kfleet/ops/ssh"
)

// The release layout kfleet deploys into, under a broker's install root:
//
//	releases/<V>/                 one unpacked distribution per version
//	releases/<V>/.kfleet-sha256   the SHA-256 of the tarball it was unpacked from
//	current -> releases/<V>       what the service starts
//	previous -> releases/<V>      what current pointed at before the last switch (rollback)
const (
	releasesDir  = "releases"
	markerFile   = ".kfleet-sha256"
	currentLink  = "current"
	previousLink = "previous"
)

// HostRelease is what a broker's host says about its releases.
type HostRelease struct {
	Broker int32  `json:"broker" yaml:"broker"`
	Host   string `json:"host" yaml:"host"`
	Root   string `json:"root" yaml:"root"`
	// Current and Previous are the release versions the links point at ("" when absent);
	// CurrentLink is the raw link target, for messages.
	Current     string `json:"current" yaml:"current"`
	CurrentLink string `json:"current_link" yaml:"current_link"`
	Previous    string `json:"previous" yaml:"previous"`
	// Exists says releases/<V> is there for the version asked about; Marker is its checksum
	// marker ("" when it was not staged by kfleet).
	Exists   bool         `json:"exists" yaml:"exists"`
	Marker   string       `json:"marker" yaml:"marker"`
	Releases []ReleaseDir `json:"releases" yaml:"releases"`
}

// ReleaseDir is one directory under releases/.
type ReleaseDir struct {
	Version string `json:"version" yaml:"version"`
	MTime   int64  `json:"mtime" yaml:"mtime"` // unix seconds: when it was staged
}

// releaseProbe prints the release layout of root ($1) and the state of releases/$2. POSIX sh.
const releaseProbe = `root=$1 v=$2
cd "$root" 2>/dev/null || { echo root_missing=1; exit 0; }
if [ -L current ]; then printf 'current=%s\n' "$(readlink current)"; elif [ -e current ]; then echo current_not_link=1; fi
[ -L previous ] && printf 'previous=%s\n' "$(readlink previous)"
if [ -d "releases/$v" ]; then
  echo exists=1
  printf 'marker=%s\n' "$(cat "releases/$v/.kfleet-sha256" 2>/dev/null)"
fi
for d in releases/*; do
  [ -d "$d" ] && [ ! -L "$d" ] || continue
  printf 'release=%s %s\n' "$(stat -c %Y "$d" 2>/dev/null || echo 0)" "${d#releases/}"
done
exit 0
`

// ProbeRelease asks a broker's host about its releases and about releases/<version>.
func ProbeRelease(ctx context.Context, r *ssh.Runner, b *inventory.Broker, version string) (HostRelease, error) {
	h := HostRelease{Broker: b.ID, Host: b.Host, Root: b.Install.Root}
	out, _, err := r.Output(ctx, ssh.TargetFor(b), "sh -c "+ssh.ShellQuote(releaseProbe)+" kfleet-releases "+
		ssh.ShellJoin(b.Install.Root, version))
	if err != nil {
		return h, fmt.Errorf("broker %d (%s): reading %s: %w", b.ID, b.Host, b.Install.Root, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), "=")
		switch k {
		case "root_missing":
			return h, fmt.Errorf("broker %d (%s): install root %s does not exist", b.ID, b.Host, b.Install.Root)
		case "current_not_link":
			return h, fmt.Errorf("broker %d (%s): %s/current is not a symlink; deploy needs the releases/<version> + current link layout",
				b.ID, b.Host, b.Install.Root)
		case "current":
			h.CurrentLink, h.Current = v, releaseOf(v)
		case "previous":
			h.Previous = releaseOf(v)
		case "exists":
			h.Exists = true
		case "marker":
			h.Marker = strings.TrimSpace(v)
		case "release":
			ts, name, _ := strings.Cut(v, " ")
			mt, _ := strconv.ParseInt(ts, 10, 64)
			h.Releases = append(h.Releases, ReleaseDir{Version: name, MTime: mt})
		}
	}
	return h, nil
}

// releaseOf is the version a link target names when it is releases/<V> (relative or absolute);
// "" otherwise.
func releaseOf(target string) string {
	dir, base := path.Split(strings.TrimSuffix(target, "/"))
	if path.Base(path.Clean(dir)) != releasesDir || base == "" {
		return ""
	}
	return base
}

// ProbeBrokers asks every broker's host, a bounded number at a time, about its releases (and
// releases/<version>) and its Kafka process. Any host that cannot be asked is an error: deploy
// decides nothing on a partial picture.
func ProbeBrokers(ctx context.Context, r *ssh.Runner, brokers []*inventory.Broker, version string) ([]HostRelease, map[int32]cluster.BrokerProcess, error) {
	states := make([]HostRelease, len(brokers))
	procs := make(map[int32]cluster.BrokerProcess, len(brokers))
	errs := make([]error, len(brokers))
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i, b := range brokers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			st, err := ProbeRelease(ctx, r, b, version)
			if err != nil {
				errs[i] = err
				return
			}
			p, err := host.ProbeBrokerProcess(ctx, r, ssh.TargetFor(b), b.Install.ConfigFile)
			if err != nil {
				errs[i] = fmt.Errorf("broker %d: %w", b.ID, err)
				return
			}
			if err := host.CheckIdentity(b, p); err != nil {
				errs[i] = err // a host that runs another broker: deploy nothing anywhere
				return
			}
			states[i] = st
			mu.Lock()
			procs[b.ID] = p
			mu.Unlock()
		}()
	}
	wg.Wait()
	return states, procs, errors.Join(errs...)
}
