#!/usr/bin/env bash
# A first look at kfleet against the sandbox fleet (make demo brings it up first: two clusters,
# fleet-a and fleet-b, of three brokers each): fleet health, a command on every broker host, then
# kfleet's main job over the whole fleet, a URP-gated rolling restart in waves (the canary
# cluster alone first, then the other), its history, and the health afterwards.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
dir="${SANDBOX_DIR:-.sandbox-fleet}"
inventory="$dir/fleet.yaml"
kfleet() { echo; echo "\$ kfleet $*"; bin/kfleet -i "$inventory" "$@"; }

kfleet inventory show -o json | grep -E '"name"|"labels"' || true
kfleet status
kfleet exec -- 'echo "$(hostname -s) via $(echo $SSH_CONNECTION | cut -d" " -f3): load $(cut -d" " -f1 /proc/loadavg)"'
kfleet restart --dry-run
kfleet restart --yes --state-dir "$dir/state"
kfleet history --state-dir "$dir/state"
kfleet status -l dc=dc2
