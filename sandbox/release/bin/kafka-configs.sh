#!/usr/bin/env bash
# Describes and alters dynamic configs: kafka-configs.sh --bootstrap-server HOST:PORT --describe --entity-type brokers --entity-name 1
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/kafka-run-class.sh" kafka.admin.ConfigCommand "$@"
