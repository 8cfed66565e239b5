#!/usr/bin/env bash
# Prints records: kafka-console-consumer.sh --bootstrap-server HOST:PORT --topic T --from-beginning
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/kafka-run-class.sh" org.apache.kafka.tools.consumer.ConsoleConsumer "$@"
