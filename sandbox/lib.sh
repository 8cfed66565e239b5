# shellcheck shell=bash disable=SC2034 # settings used by the scripts that source this
# Shared settings and helpers for the sandbox scripts (sourced, never run).
#
# Environment (all optional):
#   SANDBOX_DIR                 state directory (default <project>/.sandbox)
#   SANDBOX_BROKERS             number of brokers/hosts (default 3)
#   SANDBOX_SSH_PORT            port every host's sshd listens on (default 2222)
#   SANDBOX_KAFKA_VERSION       Kafka version the brokers run: 3.7.x-3.9.x or 4.x (default 4.1.1)
#   SANDBOX_KAFKA_NEXT_VERSION  second release built for deployment tests (default: 4.2.0 for a
#                               4.x version; for 3.x another 3.x: 3.7.x -> 3.8.1, 3.8.x -> 3.9.1,
#                               3.9.0 -> 3.9.1, 3.9.1 -> 3.9.2, later 3.9.x -> 3.9.1)
#   SANDBOX_METADATA            kraft (default) or zookeeper: a 3-node ZooKeeper ensemble, each node
#                               on its own host 127.0.1.(SANDBOX_IP_BASE+N); Kafka 3.x only (fixed
#                               per SANDBOX_DIR)
#   SANDBOX_ZOOKEEPER_VERSION   ZooKeeper version the ensemble runs (default: the one the Kafka
#                               release brings, e.g. 3.8.4 for Kafka 3.9.1)
#   SANDBOX_WAIT_TIMEOUT        seconds up.sh waits for each readiness phase (default 120)
#   SANDBOX_IP_BASE             host N lives on 127.0.0.(SANDBOX_IP_BASE+N) (default 10)
#   SANDBOX_SECURITY            plaintext (default) or sasl_ssl: TLS, SASL users and ACLs (fixed per SANDBOX_DIR)
#   SANDBOX_BASTION             1: hosts are reached over SSH through a jump host at host_ip 0 (default 0)
#   SANDBOX_CLUSTER_NAME        the cluster's name in the inventory up.sh writes (default sandbox)

SANDBOX_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
PROJECT_ROOT="$(dirname "$SANDBOX_SRC")"
SANDBOX_DIR="${SANDBOX_DIR:-$PROJECT_ROOT/.sandbox}"
case "$SANDBOX_DIR" in
  /*) ;;
  *) SANDBOX_DIR="$PWD/$SANDBOX_DIR" ;;
esac
SANDBOX_BROKERS="${SANDBOX_BROKERS:-3}"
SANDBOX_SSH_PORT="${SANDBOX_SSH_PORT:-2222}"
SANDBOX_KAFKA_VERSION="${SANDBOX_KAFKA_VERSION:-4.1.1}"
SANDBOX_METADATA="${SANDBOX_METADATA:-kraft}"
SANDBOX_ZOOKEEPER_VERSION="${SANDBOX_ZOOKEEPER_VERSION:-}"
SANDBOX_WAIT_TIMEOUT="${SANDBOX_WAIT_TIMEOUT:-120}"
SANDBOX_SECURITY="${SANDBOX_SECURITY:-plaintext}"
SANDBOX_BASTION="${SANDBOX_BASTION:-0}"
SANDBOX_CLUSTER_NAME="${SANDBOX_CLUSTER_NAME:-sandbox}"
SCALA_VERSION="2.13"

# default_next_version V: the second release built for deployment tests when
# SANDBOX_KAFKA_NEXT_VERSION is not set: 4.2.0 for a 4.x base (as always), another 3.x for a 3.x
# base so that deploy tests can go between two 3.x versions (and a ZooKeeper-mode cluster, which
# cannot run 4.x, has somewhere to go).
default_next_version() {
  case "$1" in
    3.7.*) printf '3.8.1' ;;
    3.8.*) printf '3.9.1' ;;
    3.9.0) printf '3.9.1' ;;
    3.9.1) printf '3.9.2' ;;
    3.*) printf '3.9.1' ;;
    *) printf '4.2.0' ;;
  esac
}
SANDBOX_KAFKA_NEXT_VERSION="${SANDBOX_KAFKA_NEXT_VERSION:-$(default_next_version "$SANDBOX_KAFKA_VERSION")}"
# kafka_major V: 3 for 3.9.1.
kafka_major() { printf '%s' "${1%%.*}"; }
KAFKA_PORT=9092
CONTROLLER_PORT=9093
SSH_DIR="$SANDBOX_DIR/ssh"
ARTIFACTS_DIR="$SANDBOX_DIR/artifacts"
# sasl_ssl mode: the CA, the generated passwords (and Kafka CLI client configs), the recorded mode.
TLS_DIR="$SANDBOX_DIR/tls"
SECRETS_DIR="$SANDBOX_DIR/secrets"
SECURITY_FILE="$SANDBOX_DIR/security"
# SANDBOX_BASTION=1: the jump host's own server-like root (ssh/, run/, logs/).
BASTION_ROOT="$SANDBOX_DIR/bastion"
# SANDBOX_METADATA=zookeeper: the ensemble. Node N (myid N, 1..ZK_NODES) is a host of its own,
# 127.0.1.(SANDBOX_IP_BASE+N): another third octet than the brokers' 127.0.0.x, so that it never
# collides with a broker of this or another sandbox whatever SANDBOX_BROKERS and SANDBOX_IP_BASE
# are. Each has its own sshd (SANDBOX_SSH_PORT) and the ports below on its own address.
METADATA_FILE="$SANDBOX_DIR/metadata"
ZK_NODES=3
ZK_CLIENT_PORT=2181
ZK_QUORUM_PORT=2888
ZK_ELECTION_PORT=3888
ZK_CHROOT=/kafka

say() { printf 'sandbox: %s\n' "$*"; }
warn() { printf 'sandbox: warning: %s\n' "$*" >&2; }
die() {
  printf 'sandbox: %s\n' "$*" >&2
  exit 1
}

is_root() { [ "$(id -u)" -eq 0 ]; }

# Runs a command as root: directly when root, else through non-interactive sudo.
as_root() {
  if is_root; then
    "$@"
  else
    sudo -n "$@"
  fi
}

# Path relative to the project root when below it (for messages), else absolute.
rel() {
  case "$1" in
    "$PROJECT_ROOT"/*) printf '%s' "${1#"$PROJECT_ROOT"/}" ;;
    *) printf '%s' "$1" ;;
  esac
}

# Host id N lives on 127.0.0.(SANDBOX_IP_BASE+N); another base lets a second sandbox run beside.
SANDBOX_IP_BASE="${SANDBOX_IP_BASE:-10}"
host_ip() { printf '127.0.0.%d' "$((SANDBOX_IP_BASE + $1))"; }
host_rack() {
  local racks=(a b c)
  printf '%s' "${racks[$((($1 - 1) % 3))]}"
}
host_root() { printf '%s/hosts/%d' "$SANDBOX_DIR" "$1"; }
zk_ip() { printf '127.0.1.%d' "$((SANDBOX_IP_BASE + $1))"; }
zk_root() { printf '%s/zookeeper/%d' "$SANDBOX_DIR" "$1"; }
zk_artifact_path() { printf '%s/apache-zookeeper-%s-bin.tgz' "$ARTIFACTS_DIR" "$1"; }

# zk_cmd ip port word: ZooKeeper's four-letter-word command (srvr, mntr, ruok, stat) over its
# client port; prints the answer, false when nothing answered.
zk_cmd() {
  timeout 5 bash -c 'exec 3<>"/dev/tcp/$1/$2" && printf "%s" "$3" >&3 && cat <&3' zk_cmd "$@" 2>/dev/null
}
# zk_mode ip port: leader, follower, standalone, ... from srvr's "Mode:" line; false when none.
zk_mode() {
  local out
  out="$(zk_cmd "$1" "$2" srvr)" || return 1
  out="$(sed -n 's/^Mode: //p' <<<"$out")"
  [ -n "$out" ] || return 1
  printf '%s' "$out"
}
min() { if [ "$1" -lt "$2" ]; then printf '%d' "$1"; else printf '%d' "$2"; fi; }
artifact_path() { printf '%s/kafka_%s-%s.tgz' "$ARTIFACTS_DIR" "$SCALA_VERSION" "$1"; }

# True when something accepts TCP connections on $1:$2 (loopback refuses at once, so no timeout).
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# True when $1 is a live (non-zombie) process.
pid_alive() {
  local state
  [ -r "/proc/$1/stat" ] || return 1
  state="$(sed -E 's/^.*\) (.).*$/\1/' "/proc/$1/stat" 2>/dev/null)" || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

# Pid of the sshd this sandbox started for host root $1, if it is running.
sshd_pid() {
  local root="$1" pid
  pid="$(cat "$root/run/sshd.pid" 2>/dev/null)" || pid=""
  if ! own_sshd "$root" "$pid"; then
    # The pid file is gone but our listener may still hold the port: adopt it, or the next
    # start would fail to bind and the host could never be managed again.
    pid="$(pgrep -o -f -- "sshd -f $root/ssh/sshd_config")" || return 1
    own_sshd "$root" "$pid" || return 1
    printf '%s\n' "$pid" >"$root/run/sshd.pid"
  fi
  printf '%s' "$pid"
}

# own_sshd root pid: is pid a live /usr/sbin/sshd started with this host's config?
own_sshd() {
  local root="$1" pid="$2" exe cmd
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  pid_alive "$pid" || return 1
  exe="$(readlink "/proc/$pid/exe" 2>/dev/null)" || return 1
  [ "${exe% (deleted)}" = /usr/sbin/sshd ] || return 1
  # No `| grep -q` here: under pipefail its early exit can fail the pipeline at random.
  cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  [[ "$cmd" == *"$root/ssh/sshd_config"* ]]
}

# stop_sshd_at root label: stops the sshd this sandbox started for root $1, and its
# per-connection children (open sessions: they are what this sshd started). Idempotent.
stop_sshd_at() {
  local root="$1" label="$2" pid children deadline
  if ! pid="$(sshd_pid "$root")"; then
    rm -f "$root/run/sshd.pid"
    return 0
  fi
  children="$(ps -o pid= --ppid "$pid" 2>/dev/null | tr -s ' \n' ' ')" || true
  # shellcheck disable=SC2086 # a list of pids
  kill -TERM "$pid" $children 2>/dev/null || true
  deadline=$((SECONDS + 10))
  while pid_alive "$pid" && [ "$SECONDS" -lt "$deadline" ]; do
    sleep 0.1
  done
  if pid_alive "$pid"; then
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$root/run/sshd.pid"
  say "$label: sshd stopped (was pid $pid)"
}

# lock_dir dir who seconds: serialises the runs of who (up.sh/down.sh, fleet.sh) on dir: a lock on
# dir/.lock held on fd 9 (never pass it to what they start), waiting up to seconds for another run.
lock_dir() {
  local dir="$1" who="$2" seconds="$3"
  mkdir -p "$dir"
  exec 9>"$dir/.lock"
  if ! flock -n 9; then
    say "another $who is running on $(rel "$dir"); waiting for it"
    flock -w "$seconds" 9 || die "gave up waiting for the other $who (lock $(rel "$dir/.lock"))"
  fi
}

# Serialises up.sh and down.sh runs on one SANDBOX_DIR.
lock_sandbox() { lock_dir "$SANDBOX_DIR" up.sh/down.sh 600; }

# Writes $2 to file $1 only when the content differs (atomically); true when it wrote.
write_if_changed() {
  local file="$1" content="$2"
  if [ -f "$file" ] && [ "$(cat "$file")" = "$content" ]; then
    return 1
  fi
  printf '%s\n' "$content" >"$file.tmp.$$"
  mv -f "$file.tmp.$$" "$file"
}

# begin_release_build label out name work_prefix subdir...: how build-release.sh and
# build-zookeeper.sh start. Exits 0 when the tarball out is built already; else installs Maven when
# missing (it fetches the jars) and makes the work dir $ARTIFACTS_DIR/<work_prefix>.XXXXXX
# (removed on exit) with the distribution's name/subdir... in it. Sets work and dist (work/name).
begin_release_build() {
  local label="$1" out="$2" name="$3" prefix="$4" sub
  shift 4
  if [ -f "$out" ]; then
    say "$label: $(rel "$out") already built"
    exit 0
  fi
  if ! command -v mvn >/dev/null 2>&1; then
    say "installing Maven (apt-get install maven)"
    as_root apt-get update -qq >/dev/null || die "apt-get update failed; install Maven by hand"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq maven >/dev/null ||
      die "could not install Maven; install it by hand (apt-get install maven)"
  fi
  mkdir -p "$ARTIFACTS_DIR"
  work="$(mktemp -d "$ARTIFACTS_DIR/$prefix.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  dist="$work/$name"
  for sub in "$@"; do
    mkdir -p "$dist/$sub"
  done
}

# pack_release_build label name out: how both builds end: work/name packed into out, with
# out.sha256 ("HEX  NAME"), each moved into place whole.
pack_release_build() {
  local label="$1" name="$2" out="$3"
  tar -C "$work" -cf - "$name" | gzip -1 >"$work/$name.tgz"
  (cd "$work" && sha256sum "$name.tgz") >"$work/$name.tgz.sha256"
  mv "$work/$name.tgz.sha256" "$out.sha256"
  mv "$work/$name.tgz" "$out"
  say "$label: built $(rel "$out")"
}

validate_settings() {
  if ! [[ "$SANDBOX_BROKERS" =~ ^[0-9]+$ ]] || [ "$SANDBOX_BROKERS" -lt 1 ] || [ "$SANDBOX_BROKERS" -gt 20 ]; then
    die "SANDBOX_BROKERS must be a number from 1 to 20, got '$SANDBOX_BROKERS'"
  fi
  if ! [[ "$SANDBOX_SSH_PORT" =~ ^[0-9]+$ ]] || [ "$SANDBOX_SSH_PORT" -lt 1 ] || [ "$SANDBOX_SSH_PORT" -gt 65535 ]; then
    die "SANDBOX_SSH_PORT must be a TCP port, got '$SANDBOX_SSH_PORT'"
  fi
  if [ "$SANDBOX_SSH_PORT" -eq "$KAFKA_PORT" ] || [ "$SANDBOX_SSH_PORT" -eq "$CONTROLLER_PORT" ]; then
    die "SANDBOX_SSH_PORT must not be $KAFKA_PORT or $CONTROLLER_PORT (Kafka uses them)"
  fi
  [[ "$SANDBOX_WAIT_TIMEOUT" =~ ^[0-9]+$ ]] || die "SANDBOX_WAIT_TIMEOUT must be whole seconds, got '$SANDBOX_WAIT_TIMEOUT'"
  local v
  for v in "$SANDBOX_KAFKA_VERSION" "$SANDBOX_KAFKA_NEXT_VERSION"; do
    [[ "$v" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "Kafka versions look like 4.1.1, got '$v'"
    [[ "$v" =~ ^(3\.([7-9]|[1-9][0-9])|[4-9]|[1-9][0-9]+)\. ]] ||
      die "the sandbox runs Kafka 3.7 or later (3.7.x-3.9.x in KRaft or ZooKeeper mode, 4.x in KRaft mode), got '$v'"
  done
  case "$SANDBOX_METADATA" in
    kraft) ;;
    zookeeper)
      [ "$(kafka_major "$SANDBOX_KAFKA_VERSION")" = 3 ] ||
        die "SANDBOX_METADATA=zookeeper needs a Kafka 3.x SANDBOX_KAFKA_VERSION (e.g. 3.9.1), got $SANDBOX_KAFKA_VERSION: ZooKeeper mode was removed in Kafka 4.0"
      [ "$SANDBOX_SECURITY" = plaintext ] ||
        die "SANDBOX_METADATA=zookeeper runs only with SANDBOX_SECURITY=plaintext (the sandbox sets up SASL users and ACLs the KRaft way)"
      [ -z "$SANDBOX_ZOOKEEPER_VERSION" ] || [[ "$SANDBOX_ZOOKEEPER_VERSION" =~ ^3\.[0-9]+\.[0-9]+$ ]] ||
        die "SANDBOX_ZOOKEEPER_VERSION looks like 3.8.4, got '$SANDBOX_ZOOKEEPER_VERSION'"
      if ! [[ "$SANDBOX_IP_BASE" =~ ^[0-9]+$ ]] || [ $((SANDBOX_IP_BASE + ZK_NODES)) -gt 254 ]; then
        die "SANDBOX_IP_BASE must be a number from 0 to $((254 - ZK_NODES)), got '$SANDBOX_IP_BASE'"
      fi
      ;;
    *) die "SANDBOX_METADATA must be kraft or zookeeper, got '$SANDBOX_METADATA'" ;;
  esac
  case "$SANDBOX_SECURITY" in
    plaintext | sasl_ssl) ;;
    *) die "SANDBOX_SECURITY must be plaintext or sasl_ssl, got '$SANDBOX_SECURITY'" ;;
  esac
  case "$SANDBOX_BASTION" in
    0 | 1) ;;
    *) die "SANDBOX_BASTION must be 0 or 1, got '$SANDBOX_BASTION'" ;;
  esac
  # The inventory's rule for cluster names (inventory/names.go).
  [[ "$SANDBOX_CLUSTER_NAME" =~ ^[a-z0-9][a-z0-9._-]*$ ]] ||
    die "SANDBOX_CLUSTER_NAME must be lowercase letters, digits, '.', '_' and '-', starting with a letter or digit, got '$SANDBOX_CLUSTER_NAME'"
  if [ "$SANDBOX_BASTION" = 1 ] && { ! [[ "$SANDBOX_IP_BASE" =~ ^[0-9]+$ ]] || [ "$SANDBOX_IP_BASE" -lt 1 ]; }; then
    die "SANDBOX_BASTION=1 puts the jump host on 127.0.0.(SANDBOX_IP_BASE): SANDBOX_IP_BASE must be 1 or more, got '$SANDBOX_IP_BASE'"
  fi
}
