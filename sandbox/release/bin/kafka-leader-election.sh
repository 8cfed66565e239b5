#!/usr/bin/env bash
# Elects partition leaders: kafka-leader-election.sh --bootstrap-server HOST:PORT --election-type PREFERRED --all-topic-partitions
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/kafka-run-class.sh" org.apache.kafka.tools.LeaderElectionCommand "$@"
