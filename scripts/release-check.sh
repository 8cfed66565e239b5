#!/usr/bin/env bash
# Release check: `goreleaser check`, a snapshot release build (nothing published), and then the
# artifacts a user installs: the checksums verify, and the kfleet binary in the linux/amd64
# archive and in the deb (and the rpm, when rpm2cpio is here) reports the version goreleaser
# injected. Prints each thing it checked; exits non-zero at the first that fails.
set -euo pipefail
cd "$(dirname "$0")/.."

GORELEASER=${GORELEASER:-goreleaser}
if ! command -v "$GORELEASER" >/dev/null 2>&1; then
  GORELEASER="$(go env GOPATH)/bin/goreleaser"
fi
if [[ ! -x $GORELEASER ]] && ! command -v "$GORELEASER" >/dev/null 2>&1; then
  echo "release-check: goreleaser not found; install it with: go install github.com/goreleaser/goreleaser/v2@v2.15.1" >&2
  exit 2
fi

fail() { echo "release-check: FAIL: $*" >&2; exit 1; }
ok() { echo "release-check: ok: $*"; }

# goreleaser reads the commit, its date and the tag from git, and gives up on all of them (commit
# "none") when the clone has no remote. A checkout without one (a CI workspace, a local copy) gets
# a remote URL through git's environment config; the repository itself is left alone.
if [[ -z $(git remote) ]]; then
  export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=remote.origin.url \
    GIT_CONFIG_VALUE_0=https://github.com/kfleet/kfleet.git
  echo "release-check: no git remote configured; goreleaser sees origin = $GIT_CONFIG_VALUE_0"
fi

"$GORELEASER" check
ok "goreleaser check: .goreleaser.yaml is valid"

"$GORELEASER" release --snapshot --clean --skip=publish
ok "snapshot release build finished"

[[ -f dist/metadata.json ]] || fail "dist/metadata.json missing: did the snapshot build run?"
want=$(sed -n 's/.*"version":"\([^"]*\)".*/\1/p' dist/metadata.json)
[[ -n $want ]] || fail "no version in dist/metadata.json"
[[ $want == *-snapshot+* ]] || fail "snapshot version $want does not follow {{ incpatch .Version }}-snapshot+{{ .ShortCommit }}"
ok "snapshot version: $want"

archive="dist/kfleet_${want}_linux_amd64.tar.gz"
[[ -f $archive ]] || fail "$archive missing; dist/ has: $(ls dist)"
for os in linux darwin; do
  for arch in amd64 arm64; do
    [[ -f dist/kfleet_${want}_${os}_${arch}.tar.gz ]] || fail "archive for $os/$arch missing"
  done
done
ok "archives for linux and darwin on amd64 and arm64"

[[ -f dist/checksums.txt ]] || fail "dist/checksums.txt missing"
(cd dist && sha256sum --quiet -c checksums.txt) || fail "dist/checksums.txt does not verify"
ok "sha256 checksums of $(wc -l < dist/checksums.txt) artifacts verify"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# check_binary BIN WHAT: BIN's `version` output carries the injected version and a real commit.
check_binary() {
  local bin=$1 what=$2 out
  [[ -x $bin ]] || fail "$what: no kfleet binary"
  out=$("$bin" version) || fail "$what: kfleet version exited $?"
  [[ $out == "kfleet $want (commit "* ]] || fail "$what: kfleet version printed '$out', want version $want"
  [[ $out != *"commit none"* && $out != *"built unknown"* ]] || fail "$what: commit or date not injected: '$out'"
  ok "$what: '$out'"
}

mkdir "$tmp/tgz"
tar -xzf "$archive" -C "$tmp/tgz"
check_binary "$tmp/tgz/kfleet" "$archive"
for f in README.md LICENSE docs/index.md docs/commands/kfleet.md completions/kfleet.bash \
  completions/_kfleet completions/kfleet.fish manpages/kfleet.1.gz manpages/kfleet-restart.1.gz; do
  [[ -f $tmp/tgz/$f ]] || fail "$archive lacks $f"
done
ok "$archive carries README.md, LICENSE, docs/, completions and man pages"

for pkg in 'dist/*_amd64.deb' 'dist/*_arm64.deb' 'dist/*.x86_64.rpm' 'dist/*.aarch64.rpm'; do
  [[ -n $(compgen -G "$pkg") ]] || fail "no package $pkg"
done
debs=(dist/*_amd64.deb) rpms=(dist/*.x86_64.rpm)
deb=${debs[0]} rpm=${rpms[0]}
ok "deb and rpm packages for amd64 and arm64"
if command -v dpkg-deb >/dev/null 2>&1; then
  dpkg-deb -x "$deb" "$tmp/deb"
  check_binary "$tmp/deb/usr/bin/kfleet" "$deb"
  for f in usr/share/bash-completion/completions/kfleet usr/share/zsh/vendor-completions/_kfleet \
    usr/share/fish/vendor_completions.d/kfleet.fish usr/share/man/man1/kfleet.1.gz \
    usr/share/man/man1/kfleet-status.1.gz; do
    [[ -f $tmp/deb/$f ]] || fail "$deb lacks /$f"
  done
  ok "$deb installs /usr/bin/kfleet, bash/zsh/fish completions and man pages"
else
  echo "release-check: skipped: dpkg-deb not installed; $deb not unpacked"
fi
if command -v rpm2cpio >/dev/null 2>&1 && command -v cpio >/dev/null 2>&1; then
  mkdir "$tmp/rpm"
  (cd "$tmp/rpm" && rpm2cpio "$OLDPWD/$rpm" | cpio -idm --quiet)
  check_binary "$tmp/rpm/usr/bin/kfleet" "$rpm"
else
  echo "release-check: skipped: rpm2cpio/cpio not installed; $rpm built but not unpacked"
fi
echo "release-check: all checks passed for kfleet $want"
