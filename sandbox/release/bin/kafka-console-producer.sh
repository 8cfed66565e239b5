#!/usr/bin/env bash
# Produces lines from stdin: kafka-console-producer.sh --bootstrap-server HOST:PORT --topic T
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/kafka-run-class.sh" org.apache.kafka.tools.ConsoleProducer "$@"
