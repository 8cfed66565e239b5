#!/usr/bin/env bash
# Fleet-scale status, measured as a whole process (docs/benchmarks.md, "Fleet-scale status (issue
# 17)"): `kfleet status --no-hosts -o json` against simulated fleets, each run's wall time, CPU
# (user+sys) and peak RSS as the kernel accounts the finished process (what /usr/bin/time -v
# prints), then the median, min and max.
#
#   bash sandbox/fleetsim/bench.sh            # the three scenarios, 1 warm-up + 5 runs each
#   RUNS=3 bash sandbox/fleetsim/bench.sh b c # some of them
#   KFLEET=/tmp/kfleet-old bash sandbox/fleetsim/bench.sh   # another kfleet binary (default: make build)
#
#   a: 100 clusters x 1000 partitions, 20 ms round trip per request
#   b: 300 clusters x 3333 partitions (1M), no added latency
#   c: b with every partition under min ISR
#
# The simulation runs on the same machine and serves kfleet's requests while it is measured: on
# a 2-core machine the two compete for the CPU, which the wall times include.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${RUNS:-5}
warmup=${WARMUP:-1}
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(a b c)

kfleet=${KFLEET:-}
if [ -z "$kfleet" ]; then
	make build
	kfleet=bin/kfleet
fi
go build -o bin/fleetsim ./sandbox/fleetsim

status=("$kfleet" status --no-hosts -o json)
for s in "${scenarios[@]}"; do
	case $s in
	a) sim=(-clusters 100 -partitions 1000 -latency 20ms) ;;
	b) sim=(-clusters 300 -partitions 3333) ;;
	c) sim=(-clusters 300 -partitions 3333 -under-min-isr) ;;
	*) echo "bench.sh: unknown scenario $s (a, b or c)" >&2; exit 2 ;;
	esac
	echo "== $s: bin/fleetsim ${sim[*]} -warmup $warmup -runs $runs -- ${status[*]}"
	# status exits 3 when it finds a cluster unhealthy, as in c.
	bin/fleetsim "${sim[@]}" -warmup "$warmup" -runs "$runs" -- "${status[@]}" || [ $? -eq 3 ]
done
