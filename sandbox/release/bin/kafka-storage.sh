#!/usr/bin/env bash
# Formats and inspects KRaft storage: kafka-storage.sh format -t CLUSTER_ID -c server.properties
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/kafka-run-class.sh" kafka.tools.StorageTool "$@"
