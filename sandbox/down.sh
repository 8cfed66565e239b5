#!/usr/bin/env bash
# Stops exactly what sandbox/up.sh started: each host's broker (through its service script), its
# sshd and the jump host's sshd if any (through their pid files). Leaves data, configs and keys
# in place. Idempotent.
#
# Brokers stop in two parallel waves: broker-only hosts, then the KRaft controller hosts together.
# Stopping the controllers one by one would leave the last one without a quorum, and its
# controlled shutdown would then hang until KAFKA_STOP_TIMEOUT.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ ! -d "$SANDBOX_DIR/hosts" ]; then
  say "nothing to stop ($(rel "$SANDBOX_DIR/hosts") does not exist)"
  exit 0
fi

lock_sandbox

brokers=()
controllers=()
for dir in "$SANDBOX_DIR"/hosts/*/; do
  id="$(basename "$dir")"
  [[ "$id" =~ ^[0-9]+$ ]] || continue
  if grep -qE '^process\.roles=.*controller' "$dir/config/server.properties" 2>/dev/null; then
    controllers+=("$id")
  else
    brokers+=("$id")
  fi
done

# Stops the brokers of hosts "$@" in parallel; false when one did not stop.
stop_brokers() {
  local id root pids=() ids=() out failed=0 i
  out="$(mktemp -d)"
  for id in "$@"; do
    root="$(host_root "$id")"
    [ -x "$root/bin/kafka-service" ] || continue
    "$root/bin/kafka-service" stop >"$out/$id" 2>&1 &
    pids+=("$!")
    ids+=("$id")
  done
  for i in "${!pids[@]}"; do
    id="${ids[$i]}"
    if wait "${pids[$i]}"; then
      [ "$(cat "$out/$id")" = stopped ] || say "host $id: broker $(paste -sd " " "$out/$id")"
    else
      warn "host $id: kafka-service stop failed: $(cat "$out/$id")"
      failed=1
    fi
  done
  rm -rf "$out"
  return "$failed"
}

stop_sshd() {
  stop_sshd_at "$(host_root "$1")" "host $1"
}

failed=0
stop_brokers "${brokers[@]+"${brokers[@]}"}" || failed=1
stop_brokers "${controllers[@]+"${controllers[@]}"}" || failed=1
for id in "${brokers[@]+"${brokers[@]}"}" "${controllers[@]+"${controllers[@]}"}"; do
  stop_sshd "$id"
done
# The jump host (SANDBOX_BASTION=1), whether or not this run sets SANDBOX_BASTION.
[ ! -d "$BASTION_ROOT" ] || stop_sshd_at "$BASTION_ROOT" bastion
[ "$failed" -eq 0 ] || die "some brokers did not stop; see the messages above"
say "down: $((${#brokers[@]} + ${#controllers[@]})) host(s) stopped; data kept in $(rel "$SANDBOX_DIR/hosts")"
