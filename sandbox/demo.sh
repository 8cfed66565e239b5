#!/usr/bin/env bash
# A first look at kfleet against the sandbox fleet (make demo brings the sandbox up first):
# fleet health, a command on every broker host, then kfleet's main job, a URP-gated rolling
# restart, and the health afterwards.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
inventory="${SANDBOX_DIR:-.sandbox}/fleet.yaml"
kfleet() { echo; echo "\$ kfleet $*"; bin/kfleet -i "$inventory" "$@"; }

kfleet status
kfleet exec -- 'echo "$(hostname -s) via $(echo $SSH_CONNECTION | cut -d" " -f3): load $(cut -d" " -f1 /proc/loadavg)"'
kfleet restart --dry-run
kfleet restart --yes --state-dir "${SANDBOX_DIR:-.sandbox}/state"
kfleet history --state-dir "${SANDBOX_DIR:-.sandbox}/state"
kfleet status --brokers 1-3
