package host

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/cluster"
	"github.com/kfleet/kfleet/ops/ssh"
)

// nodeIDFunc defines node_id, which prints the node id a Kafka process was started with, read
// from stdin: its config file, then its command line's --override values. It reads them as Kafka
// does: node.id, else broker.id; java.util.Properties syntax (spaces around "=", ":" or a space
// as the separator); the last assignment wins, so an --override wins over the file. It prints
// nothing when neither key is set. POSIX sh.
const nodeIDFunc = `node_id() {
  props=$(cat)
  for key in 'node\.id' 'broker\.id'; do
    v=$(printf '%s\n' "$props" | sed -n "s/^[[:space:]]*$key[[:space:]]*[=:[:space:]][[:space:]]*\([^[:space:]]*\).*/\1/p" | tail -n 1)
    if [ -n "$v" ]; then printf '%s\n' "$v"; return 0; fi
  done
}
`

// processProbe finds the broker's java process on the host: the kafka.Kafka process started with
// this broker's server.properties (the same file, whatever path spelled it), and reads its start
// time, the Kafka version from its classpath and the node id it was started with (so a host that
// runs another broker than the inventory says can be told). POSIX sh; $1 is the config file.
//
// With $2 and $3, the pid and start time of the process an earlier probe found, it first checks,
// with shell builtins alone, whether that process still runs (same start time, not a zombie) and
// then only says so (unchanged=1): no scan of /proc, no fork. The caller keeps the rest.
const processProbe = nodeIDFunc + `cfg=$1 kpid=$2 kstart=$3
boot=
read -r boot 2>/dev/null </proc/sys/kernel/random/boot_id
printf 'boot_id=%s\n' "$boot"
if [ -n "$kpid" ] && read -r stat 2>/dev/null <"/proc/$kpid/stat"; then
  set -- ${stat##*) }
  if [ "$1" != Z ] && [ "$1" != X ] && [ "${20}" = "$kstart" ]; then
    printf 'running=1\npid=%s\nstart_ticks=%s\nunchanged=1\n' "$kpid" "$kstart"
    exit 0
  fi
fi
match= n=0
for f in $(grep -l -a -F -e kafka.Kafka /proc/[0-9]*/cmdline 2>/dev/null); do
  pid=${f#/proc/}; pid=${pid%/cmdline}
  [ "$pid" = "$$" ] && continue
  args=$(tr '\0' '\n' 2>/dev/null < "$f") || continue
  printf '%s\n' "$args" | grep -qxF -e kafka.Kafka || continue
  n=$((n+1))
  for a in $(printf '%s\n' "$args" | grep -e '[.]properties$'); do
    case $a in /*) p=$a ;; *) p=/proc/$pid/cwd/$a ;; esac
    if [ "$p" -ef "$cfg" ]; then match=$pid; break 2; fi
  done
done
printf 'kafka_processes=%s\n' "$n"
[ -z "$match" ] && { echo running=0; exit 0; }
stat=$(cat "/proc/$match/stat" 2>/dev/null) || { echo running=0; exit 0; }
set -- ${stat##*) }
start=${20}
ver=$(tr '\0:' '\n\n' < "/proc/$match/cmdline" | sed -n 's#^.*/kafka_2\.[0-9][0-9]*-\([^/]*\)\.jar$#\1#p' | head -n 1)
if [ -z "$ver" ]; then
  for d in $(tr '\0:' '\n\n' < "/proc/$match/cmdline" | sed -n 's#/\*$##p'); do
    for j in "$d"/kafka_2.*-*.jar; do
      [ -e "$j" ] && ver=$(basename "$j" .jar | sed 's/^kafka_2\.[0-9]*-//') && break 2
    done
  done
fi
# The newline after the file keeps an --override off a last line that has none.
nid=$({ cat "$cfg" 2>/dev/null; echo; tr '\0' '\n' 2>/dev/null < "/proc/$match/cmdline" | sed -n -e '/^--override$/{n;p;}' -e 's/^--override=//p'; } | node_id)
printf 'running=1\npid=%s\nstart_ticks=%s\nversion=%s\nnode_id=%s\n' "$match" "$start" "$ver" "$nid"
`

// ProbeBrokerProcess asks the broker's host about its Kafka process over SSH.
func ProbeBrokerProcess(ctx context.Context, r *ssh.Runner, t ssh.Target, configFile string) (cluster.BrokerProcess, error) {
	return probeProcess(ctx, r, t, configFile, nil)
}

// probeProcess is ProbeBrokerProcess that, given the process an earlier probe found (known), only
// confirms it still runs and then answers with known's facts and the host's boot id.
func probeProcess(ctx context.Context, r *ssh.Runner, t ssh.Target, configFile string, known *cluster.BrokerProcess) (cluster.BrokerProcess, error) {
	cmd := "sh -c " + ssh.ShellQuote(processProbe) + " kfleet-probe " + ssh.ShellQuote(configFile)
	if known != nil {
		cmd += " " + strconv.Itoa(known.PID) + " " + strconv.FormatUint(known.StartTicks, 10)
	}
	out, code, err := r.Output(ctx, t, cmd)
	if err != nil {
		return cluster.BrokerProcess{}, err
	}
	if code != 0 {
		return cluster.BrokerProcess{}, fmt.Errorf("host %s: process probe exited %d", t.Host, code)
	}
	p, unchanged, err := parseProcessProbe(out)
	if err != nil {
		return cluster.BrokerProcess{}, fmt.Errorf("host %s: %w", t.Host, err)
	}
	p.Checked = time.Now()
	if unchanged && known != nil {
		k := *known
		k.BootID, k.Checked = p.BootID, p.Checked
		return k, nil
	}
	return p, nil
}

func parseProcessProbe(out []byte) (p cluster.BrokerProcess, unchanged bool, err error) {
	seen := false
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		var err error
		switch k {
		case "boot_id":
			p.BootID = v
		case "running":
			seen = true
			p.Running = v == "1"
		case "kafka_processes":
			p.KafkaProcesses, err = strconv.Atoi(v)
		case "pid":
			p.PID, err = strconv.Atoi(v)
		case "start_ticks":
			p.StartTicks, err = strconv.ParseUint(v, 10, 64)
		case "version":
			p.Version = v
		case "node_id":
			p.NodeID, p.HasNodeID = parseNodeID(v)
		case "unchanged":
			unchanged = v == "1"
		}
		if err != nil {
			return cluster.BrokerProcess{}, false, fmt.Errorf("process probe: bad %s %q", k, v)
		}
	}
	if !seen {
		return cluster.BrokerProcess{}, false, fmt.Errorf("process probe printed no answer: %q", truncate(string(out), 200))
	}
	return p, unchanged, nil
}

// parseNodeID reads the probe's node_id. None is known when the config sets none, sets one
// Kafka could not have started with (its file may have been edited since), or sets a negative
// one (broker.id=-1 asks ZooKeeper-mode Kafka to generate an id): nothing to compare then.
func parseNodeID(v string) (int32, bool) {
	id, err := strconv.ParseInt(v, 10, 32)
	if err != nil || id < 0 {
		return 0, false
	}
	return int32(id), true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// ProbeBrokers asks each broker's host about its Kafka process, a bounded number at a time
// (16 when concurrency <= 0); a host that cannot be asked has an error instead.
func ProbeBrokers(ctx context.Context, r *ssh.Runner, brokers []*inventory.Broker, concurrency int) (map[int32]cluster.BrokerProcess, map[int32]error) {
	return ProbeBrokersCached(ctx, r, brokers, concurrency, nil)
}

// ProbeBrokersCached is ProbeBrokers that remembers each process in cache (nil: none) and, for
// a process the cache knows, only confirms on its host that it still runs.
func ProbeBrokersCached(ctx context.Context, r *ssh.Runner, brokers []*inventory.Broker, concurrency int, cache *ProcessCache) (map[int32]cluster.BrokerProcess, map[int32]error) {
	if concurrency <= 0 {
		concurrency = 16
	}
	procs := make(map[int32]cluster.BrokerProcess, len(brokers))
	errs := make(map[int32]error)
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, concurrency)
	for _, b := range brokers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			t := ssh.TargetFor(b)
			p, err := probeProcess(ctx, r, t, b.Install.ConfigFile, cache.get(t.Host, b.Install.ConfigFile))
			cache.put(t.Host, b.Install.ConfigFile, p, err)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs[b.ID] = err
				return
			}
			procs[b.ID] = p
		}()
	}
	wg.Wait()
	return procs, errs
}
