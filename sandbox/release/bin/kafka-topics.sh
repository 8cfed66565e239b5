#!/usr/bin/env bash
# Creates, lists, describes and alters topics: kafka-topics.sh --bootstrap-server HOST:PORT --list
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/kafka-run-class.sh" org.apache.kafka.tools.TopicCommand "$@"
