# shellcheck shell=bash disable=SC2034 # settings used by the scripts that source this
# Shared settings and helpers for the sandbox scripts (sourced, never run).
#
# Environment (all optional):
#   SANDBOX_DIR                 state directory (default <project>/.sandbox)
#   SANDBOX_BROKERS             number of brokers/hosts (default 3)
#   SANDBOX_SSH_PORT            port every host's sshd listens on (default 2222)
#   SANDBOX_KAFKA_VERSION       Kafka version the brokers run (default 4.1.1)
#   SANDBOX_KAFKA_NEXT_VERSION  second release built for deployment tests (default 4.2.0)
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
SANDBOX_KAFKA_NEXT_VERSION="${SANDBOX_KAFKA_NEXT_VERSION:-4.2.0}"
SANDBOX_WAIT_TIMEOUT="${SANDBOX_WAIT_TIMEOUT:-120}"
SANDBOX_SECURITY="${SANDBOX_SECURITY:-plaintext}"
SANDBOX_BASTION="${SANDBOX_BASTION:-0}"
SANDBOX_CLUSTER_NAME="${SANDBOX_CLUSTER_NAME:-sandbox}"
SCALA_VERSION="2.13"
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

# Serialises up.sh and down.sh runs on one SANDBOX_DIR (fd 9; never pass it to what they start).
lock_sandbox() {
  mkdir -p "$SANDBOX_DIR"
  exec 9>"$SANDBOX_DIR/.lock"
  if ! flock -n 9; then
    say "another up.sh/down.sh is running on $(rel "$SANDBOX_DIR"); waiting for it"
    flock -w 600 9 || die "gave up waiting for the other up.sh/down.sh (lock $(rel "$SANDBOX_DIR/.lock"))"
  fi
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
  done
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
