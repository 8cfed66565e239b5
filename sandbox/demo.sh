#!/usr/bin/env bash
# A first look at kfleet against the sandbox fleet (make demo brings the sandbox up first).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
inventory="${SANDBOX_DIR:-.sandbox}/fleet.yaml"

bin/kfleet -i "$inventory" status
bin/kfleet -i "$inventory" exec -- uname -n
