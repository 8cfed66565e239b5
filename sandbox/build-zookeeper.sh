#!/usr/bin/env bash
# Builds an Apache ZooKeeper server release from Maven Central jars (sandbox/maven/zookeeper-pom.xml),
# laid out like Apache's binary distribution: .sandbox/artifacts/apache-zookeeper-VERSION-bin.tgz
# with apache-zookeeper-VERSION-bin/{lib,bin,conf}. bin/ holds the sandbox's own
# zookeeper-server-start.sh (sandbox/release/zookeeper/bin/: QuorumPeerMain in the foreground),
# conf/ its logback.xml. For SANDBOX_METADATA=zookeeper. Skips the build when the tarball exists.
# Also writes VERSION-bin.tgz.sha256 ("HEX  NAME").
#
# Usage: bash sandbox/build-zookeeper.sh VERSION   (e.g. 3.8.4, what Kafka 3.9 brings)
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -eq 1 ] || die "usage: bash sandbox/build-zookeeper.sh VERSION (e.g. 3.8.4)"
version="$1"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "ZooKeeper versions look like 3.8.4, got '$version'"

name="apache-zookeeper-$version-bin"
out="$(zk_artifact_path "$version")"
# Exits here when built; sets work and dist.
begin_release_build "zookeeper $version" "$out" "$name" ".build-zookeeper-$version" lib bin conf

say "zookeeper $version: fetching jars with Maven"
if ! mvn -B -q -f "$SANDBOX_SRC/maven/zookeeper-pom.xml" dependency:copy-dependencies \
  -Dzookeeper.version="$version" -DincludeScope=runtime -DoutputDirectory="$dist/lib" >"$work/mvn.log" 2>&1; then
  sed -e 's/\x1b\[[0-9;]*m//g' "$work/mvn.log" >&2
  die "zookeeper $version: Maven could not fetch org.apache.zookeeper:zookeeper:$version (see the output above)"
fi
[ -f "$dist/lib/zookeeper-$version.jar" ] || die "zookeeper $version: Maven did not bring lib/zookeeper-$version.jar"
[ -f "$dist/lib/zookeeper-jute-$version.jar" ] || die "zookeeper $version: Maven did not bring lib/zookeeper-jute-$version.jar"
compgen -G "$dist/lib/logback-classic-*.jar" >/dev/null ||
  die "zookeeper $version: no logback-classic came with it; conf/logback.xml needs it (ZooKeeper 3.8 or later)"

cp "$SANDBOX_SRC"/release/zookeeper/bin/*.sh "$dist/bin/"
cp "$SANDBOX_SRC"/release/zookeeper/conf/* "$dist/conf/"
chmod 755 "$dist"/bin/*.sh

say "zookeeper $version: packing $(rel "$out") ($(find "$dist/lib" -name '*.jar' | wc -l) jars)"
pack_release_build "zookeeper $version" "$name" "$out"
