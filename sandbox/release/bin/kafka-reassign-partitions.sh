#!/usr/bin/env bash
# Moves partition replicas: kafka-reassign-partitions.sh --bootstrap-server HOST:PORT --execute --reassignment-json-file FILE
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/kafka-run-class.sh" org.apache.kafka.tools.reassign.ReassignPartitionsCommand "$@"
