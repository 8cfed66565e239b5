#!/usr/bin/env bash
# Lists every live broker and the API versions it supports: kafka-broker-api-versions.sh --bootstrap-server HOST:PORT
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/kafka-run-class.sh" org.apache.kafka.tools.BrokerApiVersionsCommand "$@"
