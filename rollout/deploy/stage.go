package deploy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pkg/sftp"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/ssh"
)

// Stage actions.
const (
	StageUpload   = "upload"   // upload, verify, unpack
	StageSkip     = "skip"     // releases/<V> is there with the same checksum
	StageConflict = "conflict" // releases/<V> is there with another or no checksum: refuse
)

// StageStep is what staging does on one host (one install root; brokers sharing it are listed).
type StageStep struct {
	Host    string            `json:"host" yaml:"host"`
	Root    string            `json:"root" yaml:"root"`
	Brokers []int32           `json:"brokers" yaml:"brokers"`
	Action  string            `json:"action" yaml:"action"`
	Why     string            `json:"why" yaml:"why"`
	broker  *inventory.Broker // the first broker: its SSH settings reach the host
}

// PlanStage decides, per host, whether the artifact must be uploaded. It is pure: states are the
// hosts' answers to ProbeRelease for the artifact's version, in broker order.
func PlanStage(a Artifact, brokers []*inventory.Broker, states []HostRelease) []StageStep {
	var steps []StageStep
	index := map[string]int{}
	for i, b := range brokers {
		key := stageKey(b)
		if j, ok := index[key]; ok {
			steps[j].Brokers = append(steps[j].Brokers, b.ID)
			continue
		}
		st := states[i]
		s := StageStep{Host: b.Host, Root: b.Install.Root, Brokers: []int32{b.ID}, broker: b}
		rel := path.Join(b.Install.Root, releasesDir, a.Version)
		switch {
		case !st.Exists:
			s.Action, s.Why = StageUpload, fmt.Sprintf("%s is not there", rel)
		case st.Marker == a.SHA256:
			s.Action, s.Why = StageSkip, fmt.Sprintf("%s is staged from this artifact (same SHA-256)", rel)
		case st.Marker == "":
			s.Action, s.Why = StageConflict, fmt.Sprintf("%s exists but was not staged by kfleet (no %s); move it away to stage this artifact", rel, markerFile)
		default:
			s.Action, s.Why = StageConflict, fmt.Sprintf("%s exists, staged from another artifact (SHA-256 %s); move it away to stage this one", rel, short12(st.Marker))
		}
		index[key] = len(steps)
		steps = append(steps, s)
	}
	return steps
}

// stageKey identifies one host's install root: brokers sharing it are staged once.
func stageKey(b *inventory.Broker) string {
	return fmt.Sprintf("%s\x00%d\x00%s", b.Host, b.SSH.Port, b.Install.Root)
}

func short12(s string) string {
	if len(s) > 12 {
		return s[:12] + "..."
	}
	return s
}

// StageProgress reports one host's upload.
type StageProgress struct {
	Cluster string `json:"cluster"`
	Host    string `json:"host"`
	Sent    int64  `json:"sent_bytes"`
	Total   int64  `json:"total_bytes"`
	// Phase is upload, verify (checksum and unpack on the host), done or failed.
	Phase   string `json:"phase"`
	Message string `json:"message,omitempty"`
}

// StageFailure is one host that could not be staged.
type StageFailure struct {
	Host    string
	Brokers []int32
	Err     error
}

// StageError says staging failed on some hosts: nothing was activated anywhere.
type StageError struct {
	Version  string
	Failures []StageFailure
}

func (e *StageError) Error() string {
	parts := make([]string, len(e.Failures))
	for i, f := range e.Failures {
		parts[i] = fmt.Sprintf("host %s (broker %s): %v", f.Host, inventory.JoinIDs(f.Brokers), f.Err)
	}
	return fmt.Sprintf("staging release %s failed on %d host(s): %s; no broker was stopped and nothing was activated",
		e.Version, len(e.Failures), strings.Join(parts, "; "))
}

// StageConflictError says some hosts hold a different releases/<V>: nothing was touched.
type StageConflictError struct {
	Steps []StageStep
}

func (e *StageConflictError) Error() string {
	parts := make([]string, len(e.Steps))
	for i, s := range e.Steps {
		parts[i] = fmt.Sprintf("host %s: %s", s.Host, s.Why)
	}
	return "cannot stage: " + strings.Join(parts, "; ") + "; nothing was touched"
}

// FaultKind says what kind of failure this is (usage: nothing was changed).
func (e *StageConflictError) FaultKind() fault.Kind { return fault.Usage }

// Stager uploads an artifact to hosts over SFTP, verifies it there and unpacks it into
// releases/<V>, a bounded number of hosts at a time.
type Stager struct {
	SSH         *ssh.Runner
	Concurrency int           // hosts at once; <= 0 -> 4
	Timeout     time.Duration // per host, upload to unpacked; <= 0 -> 30m
	Progress    func(StageProgress)
}

// Stage runs the upload steps of plan. Any failure is reported per host in a *StageError once
// every host has finished; hosts that were staged keep their release (it is not activated).
func (s *Stager) Stage(ctx context.Context, a Artifact, plan []StageStep) error {
	if s.Concurrency <= 0 {
		s.Concurrency = 4
	}
	if s.Timeout <= 0 {
		s.Timeout = 30 * time.Minute
	}
	var conflicts []StageStep
	for _, st := range plan {
		if st.Action == StageConflict {
			conflicts = append(conflicts, st)
		}
	}
	if len(conflicts) > 0 {
		return &StageConflictError{Steps: conflicts}
	}
	var mu sync.Mutex
	var failures []StageFailure
	sem := make(chan struct{}, s.Concurrency)
	var wg sync.WaitGroup
	for _, st := range plan {
		if st.Action != StageUpload {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				mu.Lock()
				failures = append(failures, StageFailure{Host: st.Host, Brokers: st.Brokers, Err: ctx.Err()})
				mu.Unlock()
				return
			}
			defer func() { <-sem }()
			if err := s.stageHost(ctx, a, st); err != nil {
				s.progress(StageProgress{Host: st.Host, Total: a.Size, Phase: "failed", Message: err.Error()})
				mu.Lock()
				failures = append(failures, StageFailure{Host: st.Host, Brokers: st.Brokers, Err: err})
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(failures) > 0 {
		slices.SortFunc(failures, func(x, y StageFailure) int { return int(x.Brokers[0] - y.Brokers[0]) })
		return &StageError{Version: a.Version, Failures: failures}
	}
	return nil
}

func (s *Stager) progress(p StageProgress) {
	if s.Progress != nil {
		s.Progress(p)
	}
}

// stageHost: upload to releases/.kfleet-upload-<V>-<rand>.tgz, then on the host verify the
// checksum, unpack into a temporary directory, write the marker and rename it to releases/<V>.
func (s *Stager) stageHost(ctx context.Context, a Artifact, st StageStep) error {
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	b := st.broker
	t := ssh.TargetFor(b)
	t.CommandTimeout = s.Timeout
	releases := path.Join(b.Install.Root, releasesDir)
	if _, _, err := s.SSH.Output(ctx, t, ssh.ShellJoin("mkdir", "-p", "--", releases)); err != nil {
		return fmt.Errorf("creating %s: %w", releases, err)
	}
	upload := path.Join(releases, ".kfleet-upload-"+a.Version+"-"+randomSuffix()+".tgz")
	if err := s.upload(ctx, t, a, st.Host, upload); err != nil {
		// Best effort: the upload may have left a partial file.
		cctx, ccancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		_, _, _ = s.SSH.Output(cctx, t, ssh.ShellJoin("rm", "-f", "--", upload))
		ccancel()
		return err
	}
	s.progress(StageProgress{Host: st.Host, Sent: a.Size, Total: a.Size, Phase: "verify"})
	out, _, err := s.SSH.Output(ctx, t, "sh -c "+ssh.ShellQuote(unpackScript)+" kfleet-unpack "+
		ssh.ShellJoin(releases, a.Version, a.SHA256, upload, a.ServerJar))
	if err != nil {
		return fmt.Errorf("verifying and unpacking on the host: %w", err)
	}
	msg := "staged " + path.Join(releases, a.Version)
	if strings.Contains(string(out), "already=1") {
		msg = path.Join(releases, a.Version) + " was staged meanwhile from the same artifact"
	}
	s.progress(StageProgress{Host: st.Host, Sent: a.Size, Total: a.Size, Phase: "done", Message: msg})
	return nil
}

// unpackScript runs in releases/: $1 releases dir, $2 version, $3 sha256, $4 uploaded file,
// $5 the broker jar the release must hold. POSIX sh; GNU or busybox tar and mv.
const unpackScript = `dir=$1 v=$2 sha=$3 up=$4 jar=$5
cd "$dir" || exit 10
if command -v sha256sum >/dev/null 2>&1; then got=$(sha256sum "$up" | cut -d' ' -f1)
else got=$(shasum -a 256 "$up" | cut -d' ' -f1); fi
if [ "$got" != "$sha" ]; then
  rm -f "$up"; echo "SHA-256 on the host is ${got:-unreadable}, expected $sha (upload corrupted?)" >&2; exit 11
fi
tmp=$(mktemp -d ".kfleet-unpack-$v.XXXXXX") || { rm -f "$up"; echo "cannot create a temporary directory in $dir" >&2; exit 12; }
fail() { rm -rf "$tmp" "$up"; echo "$1" >&2; exit 13; }
tar -xzf "$up" -C "$tmp" --strip-components=1 || fail "unpacking failed"
[ -f "$tmp/$jar" ] || fail "the unpacked release lacks $jar"
printf '%s\n' "$sha" > "$tmp/.kfleet-sha256" || fail "cannot write the checksum marker"
chmod 755 "$tmp" || fail "chmod failed"
rm -f "$up"
if [ -e "$v" ]; then
  rm -rf "$tmp"
  if [ "$(cat "$v/.kfleet-sha256" 2>/dev/null)" = "$sha" ]; then echo already=1; exit 0; fi
  echo "$dir/$v appeared while staging, from another artifact" >&2; exit 14
fi
mv -T "$tmp" "$v" || { rm -rf "$tmp"; echo "renaming to $dir/$v failed" >&2; exit 15; }
sync 2>/dev/null || true
`

// sftpServer starts the host's SFTP server on the session's stdin/stdout: unlike the sftp
// subsystem, an exec'd server honours the inventory's sudo setting.
const sftpServer = `for p in /usr/lib/openssh/sftp-server /usr/libexec/openssh/sftp-server /usr/libexec/sftp-server /usr/lib/ssh/sftp-server /usr/lib/sftp-server; do
  [ -x "$p" ] && exec "$p"
done
echo "no sftp-server found (looked in /usr/lib/openssh, /usr/libexec/openssh, /usr/libexec, /usr/lib/ssh)" >&2
exit 127`

func (s *Stager) upload(ctx context.Context, t ssh.Target, a Artifact, host, dest string) error {
	f, err := os.Open(a.Path)
	if err != nil {
		return err
	}
	defer f.Close()

	toServer, clientOut := io.Pipe()
	clientIn, fromServer := io.Pipe()
	var stderr strings.Builder
	var errMu sync.Mutex
	ran := make(chan error, 1)
	go func() {
		code, err := s.SSH.Run(ctx, t, "sh -c "+ssh.ShellQuote(sftpServer), toServer, fromServer, writerFunc(func(p []byte) {
			errMu.Lock()
			stderr.Write(p)
			errMu.Unlock()
		}))
		if err == nil && code != 0 {
			errMu.Lock()
			err = fmt.Errorf("sftp server exited %d: %s", code, strings.TrimSpace(stderr.String()))
			errMu.Unlock()
		}
		_ = fromServer.CloseWithError(io.EOF)
		ran <- err
	}()
	// closeAll ends the session: the server sees EOF and exits.
	closeAll := func() error {
		_ = clientOut.Close()
		return <-ran
	}

	client, err := sftp.NewClientPipe(clientIn, clientOut, sftp.UseConcurrentWrites(true), sftp.MaxConcurrentRequestsPerFile(32))
	if err != nil {
		rerr := closeAll()
		if rerr != nil {
			return fmt.Errorf("starting sftp: %w", rerr)
		}
		return fmt.Errorf("starting sftp: %w", err)
	}
	dst, err := client.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		_ = client.Close()
		_ = closeAll()
		return fmt.Errorf("creating %s: %w", dest, err)
	}
	pr := &progressReader{r: f, total: a.Size, report: func(sent int64) {
		s.progress(StageProgress{Host: host, Sent: sent, Total: a.Size, Phase: "upload"})
	}}
	n, err := dst.ReadFrom(pr)
	cerr := dst.Close()
	_ = client.Close()
	// The session's own end is not checked: once the file is closed the checksum on the host
	// decides whether it is whole.
	_ = closeAll()
	switch {
	case err != nil:
		return fmt.Errorf("uploading to %s after %d of %d bytes: %w", dest, n, a.Size, err)
	case cerr != nil:
		return fmt.Errorf("closing %s: %w", dest, cerr)
	case n != a.Size:
		return fmt.Errorf("uploaded %d of %d bytes to %s", n, a.Size, dest)
	}
	return nil
}

// progressReader counts bytes read and reports at most every 1% (and at the end). Len tells
// sftp how much is left so it writes concurrently.
type progressReader struct {
	r      io.Reader
	total  int64
	read   atomic.Int64
	last   atomic.Int64
	report func(int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	sent := p.read.Add(int64(n))
	step := max(p.total/100, 1)
	if last := p.last.Load(); sent-last >= step || (sent == p.total && last != sent) {
		if p.last.CompareAndSwap(last, sent) {
			p.report(sent)
		}
	}
	return n, err
}

func (p *progressReader) Len() int { return int(p.total - p.read.Load()) }

type writerFunc func([]byte)

func (w writerFunc) Write(p []byte) (int, error) { w(p); return len(p), nil }

func randomSuffix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
