#!/usr/bin/env bash
# Describes the KRaft quorum: kafka-metadata-quorum.sh --bootstrap-server HOST:PORT describe --status
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/kafka-run-class.sh" org.apache.kafka.tools.MetadataQuorumCommand "$@"
