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
if [ -f "$out" ]; then
  say "zookeeper $version: $(rel "$out") already built"
  exit 0
fi
if ! command -v mvn >/dev/null 2>&1; then
  say "installing Maven (apt-get install maven)"
  as_root apt-get update -qq >/dev/null || die "apt-get update failed; install Maven by hand"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq maven >/dev/null ||
    die "could not install Maven; install it by hand (apt-get install maven)"
fi

mkdir -p "$ARTIFACTS_DIR"
work="$(mktemp -d "$ARTIFACTS_DIR/.build-zookeeper-$version.XXXXXX")"
trap 'rm -rf "$work"' EXIT
dist="$work/$name"
mkdir -p "$dist/lib" "$dist/bin" "$dist/conf"

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
tar -C "$work" -cf - "$name" | gzip -1 >"$work/$name.tgz"
(cd "$work" && sha256sum "$name.tgz") >"$work/$name.tgz.sha256"
mv "$work/$name.tgz.sha256" "$out.sha256"
mv "$work/$name.tgz" "$out"
say "zookeeper $version: built $(rel "$out")"
