#!/usr/bin/env bash
# Builds a Kafka release tarball from Maven Central jars, laid out like Apache's binary
# distribution: .sandbox/artifacts/kafka_2.13-VERSION.tgz with kafka_2.13-VERSION/{libs,bin,config}.
# Skips the build when the tarball exists. Also writes VERSION.tgz.sha256 ("HEX  NAME").
#
# Kafka 3.x (3.7+) and 4.x: Maven resolves the runtime dependencies of kafka_2.13 and kafka-tools
# of that version, whatever they are. 4.x logs through log4j2 (the pom adds the log4j-slf4j-impl
# binding); 3.x through log4j 1.x (its jars bring reload4j and slf4j-reload4j; config/ gets
# sandbox/release/log4j1/*.properties and the scripts pass -Dlog4j.configuration). The bin/
# scripts name the tool classes of 4.x; where a class is not in this version's jars (3.x keeps
# some under kafka.admin/kafka.tools), the older name is put in the release's copy of the script.
#
# Usage: bash sandbox/build-release.sh VERSION
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -eq 1 ] || die "usage: bash sandbox/build-release.sh VERSION (e.g. 4.1.1)"
version="$1"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "Kafka versions look like 4.1.1, got '$version'"

name="kafka_$SCALA_VERSION-$version"
out="$(artifact_path "$version")"
# Exits here when built; sets work and dist.
begin_release_build "release $version" "$out" "$name" ".build-$version" libs bin config
if ! command -v unzip >/dev/null 2>&1; then
  say "installing unzip (apt-get install unzip): the build lists the classes in Kafka's jars"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq unzip >/dev/null ||
    die "could not install unzip; install it by hand (apt-get install unzip)"
fi
command -v java >/dev/null 2>&1 || [ -n "${JAVA_HOME:-}" ] || die "java not found; Kafka needs Java 17 (apt-get install openjdk-17-jre-headless)"

# Copies every runtime jar of Kafka $version (+ tools + logging binding) into $dist/libs.
fetch_jars() {
  local log="$work/mvn.log"
  rm -f "$dist"/libs/*.jar
  if ! mvn -B -q -f "$SANDBOX_SRC/maven/pom.xml" dependency:copy-dependencies \
    -Dkafka.version="$version" -DincludeScope=runtime -DoutputDirectory="$dist/libs" \
    "${mvn_logging[@]+"${mvn_logging[@]}"}" "$@" >"$log" 2>&1; then
    sed -e 's/\x1b\[[0-9;]*m//g' "$log" >&2
    die "release $version: Maven could not fetch org.apache.kafka:kafka_$SCALA_VERSION:$version (see the output above)"
  fi
}

# Prints the version part of the single libs/<artifact>-<version>.jar, or nothing.
jar_version() {
  local jars=("$dist/libs/$1"-[0-9]*.jar)
  [ -e "${jars[0]}" ] || return 0
  local base="${jars[0]##*/}"
  base="${base#"$1"-}"
  printf '%s' "${base%.jar}"
}

# Kafka 3.x logs through log4j 1.x (reload4j), 4.x through log4j2.
log4j1=0
mvn_logging=()
if [ "$(kafka_major "$version")" -lt 4 ]; then
  log4j1=1
  mvn_logging=(-Dkafka.log4j1)
fi

say "release $version: fetching jars with Maven (the first run downloads ~55 MB)"
fetch_jars
[ -f "$dist/libs/$name.jar" ] || die "release $version: Maven did not bring libs/$name.jar"

# The broker logs through slf4j-api 1.x; the binding must match the log4j Kafka brings.
slf4j="$(jar_version slf4j-api)"
case "$slf4j" in
  1.7.*) ;;
  *) die "release $version: Kafka brings slf4j-api '$slf4j', but the sandbox expects SLF4J 1.x (sandbox/maven/pom.xml adds log4j-slf4j-impl for 4.x; 3.x brings slf4j-reload4j); switch the binding for SLF4J 2" ;;
esac
if [ "$log4j1" = 1 ]; then
  core="$(jar_version reload4j)"
  [ -n "$core" ] || die "release $version: Kafka brought no reload4j (log4j 1.x); the sandbox's log4j1 configs need it"
  [ -n "$(jar_version slf4j-reload4j)" ] || die "release $version: Kafka brought no slf4j-reload4j binding"
  [ -z "$(jar_version log4j-slf4j-impl)" ] || die "release $version: a second SLF4J binding (log4j-slf4j-impl) came in; is -Dkafka.log4j1 reaching sandbox/maven/pom.xml?"
  core="reload4j $core"
else
  core="$(jar_version log4j-core)"
  binding="$(jar_version log4j-slf4j-impl)"
  [ -n "$core" ] || die "release $version: Kafka brought no log4j-core; sandbox/maven/pom.xml needs a different logging binding"
  if [ "$binding" != "$core" ]; then
    warn "release $version: Kafka brings log4j-core $core but the pom pins log4j-slf4j-impl '$binding'; refetching with $core (add a kafka-$version profile to sandbox/maven/pom.xml)"
    fetch_jars -Dlog4j.version="$core"
    binding="$(jar_version log4j-slf4j-impl)"
    [ "$binding" = "$core" ] || die "release $version: could not get log4j-slf4j-impl $core"
  fi
fi

cp "$SANDBOX_SRC"/release/bin/*.sh "$dist/bin/"
if [ "$log4j1" = 1 ]; then
  cp "$SANDBOX_SRC"/release/config/server.properties "$SANDBOX_SRC"/release/log4j1/*.properties "$dist/config/"
  # The release's scripts point log4j 1.x at its configs instead of log4j2's.
  sed -i -e 's|-Dlog4j2\.configurationFile=\$base_dir/config/tools-log4j2\.properties|-Dlog4j.configuration=file:$base_dir/config/tools-log4j.properties|' \
    "$dist/bin/kafka-run-class.sh"
  sed -i -e 's|-Dlog4j2\.configurationFile=\$base_dir/config/log4j2\.properties|-Dlog4j.configuration=file:$base_dir/config/log4j.properties|' \
    "$dist/bin/kafka-server-start.sh"
  ! grep -q 'log4j2\.configurationFile' "$dist/bin/kafka-run-class.sh" "$dist/bin/kafka-server-start.sh" ||
    die "release $version: could not point bin/kafka-run-class.sh and kafka-server-start.sh at the log4j 1.x configs (sandbox/release/bin changed?)"
else
  cp "$SANDBOX_SRC"/release/config/* "$dist/config/"
fi
chmod 755 "$dist"/bin/*.sh

# Every class the scripts run must be in this version's jars. Kafka 4.0 moved some tools to
# org.apache.kafka.tools; 3.x has them under their older names: use those in this release's copy.
classes="$work/classes"
for jar in "$dist"/libs/kafka*.jar; do
  unzip -Z1 "$jar" '*.class' 2>/dev/null || true
done | sed -e 's/\.class$//' -e 's|/|.|g' | sort -u >"$classes"
older_class() {
  case "$1" in
    org.apache.kafka.tools.BrokerApiVersionsCommand) printf 'kafka.admin.BrokerApiVersionsCommand' ;;
    org.apache.kafka.tools.ConsoleProducer) printf 'kafka.tools.ConsoleProducer' ;;
    org.apache.kafka.tools.consumer.ConsoleConsumer) printf 'kafka.tools.ConsoleConsumer' ;;
    org.apache.kafka.tools.AclCommand) printf 'kafka.admin.AclCommand' ;;
    org.apache.kafka.tools.TopicCommand) printf 'kafka.admin.TopicCommand' ;;
    org.apache.kafka.tools.LeaderElectionCommand) printf 'kafka.admin.LeaderElectionCommand' ;;
    org.apache.kafka.tools.reassign.ReassignPartitionsCommand) printf 'kafka.admin.ReassignPartitionsCommand' ;;
    org.apache.kafka.tools.ConfigCommand) printf 'kafka.admin.ConfigCommand' ;;
  esac
}
for script in "$dist"/bin/*.sh; do
  class="$(sed -nE 's|^exec .*/kafka-run-class\.sh" ([A-Za-z0-9_.]+) .*$|\1|p' "$script")"
  [ -n "$class" ] || continue
  grep -qxF "$class" "$classes" && continue
  older="$(older_class "$class")"
  [ -n "$older" ] && grep -qxF "$older" "$classes" ||
    die "release $version: bin/${script##*/} runs $class, which is not in Kafka $version's jars${older:+ (nor is $older)}"
  sed -i "s|kafka-run-class\.sh\" $class |kafka-run-class.sh\" $older |" "$script"
  say "release $version: bin/${script##*/} runs $older (Kafka $version has no $class)"
done

say "release $version: packing $(rel "$out") ($(find "$dist/libs" -name '*.jar' | wc -l) jars; slf4j-api $slf4j, log4j $core)"
pack_release_build "release $version" "$name" "$out"
