#!/usr/bin/env bash
# Builds a Kafka release tarball from Maven Central jars, laid out like Apache's binary
# distribution: .sandbox/artifacts/kafka_2.13-VERSION.tgz with kafka_2.13-VERSION/{libs,bin,config}.
# Skips the build when the tarball exists. Also writes VERSION.tgz.sha256 ("HEX  NAME").
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
if [ -f "$out" ]; then
  say "release $version: $(rel "$out") already built"
  exit 0
fi

if ! command -v mvn >/dev/null 2>&1; then
  say "installing Maven (apt-get install maven)"
  as_root apt-get update -qq >/dev/null || die "apt-get update failed; install Maven by hand"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq maven >/dev/null ||
    die "could not install Maven; install it by hand (apt-get install maven)"
fi
command -v java >/dev/null 2>&1 || [ -n "${JAVA_HOME:-}" ] || die "java not found; Kafka needs Java 17 (apt-get install openjdk-17-jre-headless)"

mkdir -p "$ARTIFACTS_DIR"
work="$(mktemp -d "$ARTIFACTS_DIR/.build-$version.XXXXXX")"
trap 'rm -rf "$work"' EXIT
dist="$work/$name"
mkdir -p "$dist/libs" "$dist/bin" "$dist/config"

# Copies every runtime jar of Kafka $version (+ tools + logging binding) into $dist/libs.
fetch_jars() {
  local log="$work/mvn.log"
  rm -f "$dist"/libs/*.jar
  if ! mvn -B -q -f "$SANDBOX_SRC/maven/pom.xml" dependency:copy-dependencies \
    -Dkafka.version="$version" -DincludeScope=runtime -DoutputDirectory="$dist/libs" "$@" >"$log" 2>&1; then
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

say "release $version: fetching jars with Maven (the first run downloads ~55 MB)"
fetch_jars
[ -f "$dist/libs/$name.jar" ] || die "release $version: Maven did not bring libs/$name.jar"

# The broker logs through slf4j-api 1.x; the binding must match the log4j Kafka brings.
slf4j="$(jar_version slf4j-api)"
core="$(jar_version log4j-core)"
binding="$(jar_version log4j-slf4j-impl)"
case "$slf4j" in
  1.7.*) ;;
  *) die "release $version: Kafka brings slf4j-api '$slf4j', but sandbox/maven/pom.xml adds the SLF4J 1.x binding (log4j-slf4j-impl); switch it to log4j-slf4j2-impl for SLF4J 2" ;;
esac
[ -n "$core" ] || die "release $version: Kafka brought no log4j-core; sandbox/maven/pom.xml needs a different logging binding"
if [ "$binding" != "$core" ]; then
  warn "release $version: Kafka brings log4j-core $core but the pom pins log4j-slf4j-impl '$binding'; refetching with $core (add a kafka-$version profile to sandbox/maven/pom.xml)"
  fetch_jars -Dlog4j.version="$core"
  binding="$(jar_version log4j-slf4j-impl)"
  [ "$binding" = "$core" ] || die "release $version: could not get log4j-slf4j-impl $core"
fi

cp "$SANDBOX_SRC"/release/bin/*.sh "$dist/bin/"
cp "$SANDBOX_SRC"/release/config/* "$dist/config/"
chmod 755 "$dist"/bin/*.sh

say "release $version: packing $(rel "$out") ($(find "$dist/libs" -name '*.jar' | wc -l) jars; slf4j-api $slf4j, log4j $core)"
tar -C "$work" -cf - "$name" | gzip -1 >"$work/$name.tgz"
(cd "$work" && sha256sum "$name.tgz") >"$work/$name.tgz.sha256"
mv "$work/$name.tgz.sha256" "$out.sha256"
mv "$work/$name.tgz" "$out"
say "release $version: built $(rel "$out")"
