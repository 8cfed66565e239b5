#!/usr/bin/env bash
# Runs a class of this Kafka release on Java. Like Apache's script it puts every jar of libs/ on an
# explicit classpath, so /proc/PID/cmdline names .../libs/kafka_2.13-VERSION.jar (kfleet reads the
# running version from it).
#
# Environment: JAVA_HOME, KAFKA_HEAP_OPTS, KAFKA_JVM_PERFORMANCE_OPTS, KAFKA_LOG4J_OPTS,
# KAFKA_OPTS, LOG_DIR (where the broker's server.log goes; default <release>/logs).
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "USAGE: $0 classname [opts]" >&2
  exit 1
fi

base_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"

classpath=""
for jar in "$base_dir"/libs/*.jar; do
  [ -e "$jar" ] || continue
  classpath="${classpath:+$classpath:}$jar"
done
if [ -z "$classpath" ]; then
  echo "$0: no jars in $base_dir/libs" >&2
  exit 1
fi

if [ -n "${JAVA_HOME:-}" ]; then
  java="$JAVA_HOME/bin/java"
else
  java="java"
fi

LOG_DIR="${LOG_DIR:-$base_dir/logs}"
mkdir -p "$LOG_DIR" 2>/dev/null || true

# Small, light JVM settings: many brokers share a 2-core machine.
read -r -a heap_opts <<<"${KAFKA_HEAP_OPTS:--Xmx256m}"
read -r -a perf_opts <<<"${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true}"
read -r -a log4j_opts <<<"${KAFKA_LOG4J_OPTS:--Dlog4j2.configurationFile=$base_dir/config/tools-log4j2.properties}"
read -r -a extra_opts <<<"${KAFKA_OPTS:-}"

exec "$java" "${heap_opts[@]}" "${perf_opts[@]}" "${log4j_opts[@]}" "-Dkafka.logs.dir=$LOG_DIR" \
  "${extra_opts[@]}" -cp "$classpath" "$@"
