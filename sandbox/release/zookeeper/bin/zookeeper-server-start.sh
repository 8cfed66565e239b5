#!/usr/bin/env bash
# Runs one ZooKeeper server of an ensemble in the foreground: zookeeper-server-start.sh zoo.cfg
# (what Apache's `bin/zkServer.sh start-foreground` does). Every jar of lib/ goes on an explicit
# classpath, so /proc/PID/cmdline names .../lib/zookeeper-VERSION.jar.
#
# Environment: JAVA_HOME, ZK_HEAP_OPTS (default -Xms32m -Xmx128m), ZK_JVM_OPTS, ZOO_LOG_DIR (where
# zookeeper.log goes; default <release>/logs).
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "USAGE: $0 zoo.cfg" >&2
  exit 1
fi

base_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
classpath=""
for jar in "$base_dir"/lib/*.jar; do
  [ -e "$jar" ] || continue
  classpath="${classpath:+$classpath:}$jar"
done
if [ -z "$classpath" ]; then
  echo "$0: no jars in $base_dir/lib" >&2
  exit 1
fi
if [ -n "${JAVA_HOME:-}" ]; then
  java="$JAVA_HOME/bin/java"
else
  java="java"
fi
log_dir="${ZOO_LOG_DIR:-$base_dir/logs}"
mkdir -p "$log_dir" 2>/dev/null || true

# Small, light JVM: the ensemble shares a 2-core machine with the brokers.
read -r -a heap_opts <<<"${ZK_HEAP_OPTS:--Xms32m -Xmx128m}"
read -r -a jvm_opts <<<"${ZK_JVM_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true}"

exec "$java" "${heap_opts[@]}" "${jvm_opts[@]}" "-Dzookeeper.log.dir=$log_dir" \
  "-Dlogback.configurationFile=$base_dir/conf/logback.xml" -Dzookeeper.admin.enableServer=false \
  -cp "$classpath" org.apache.zookeeper.server.quorum.QuorumPeerMain "$1"
