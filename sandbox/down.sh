#!/usr/bin/env bash
# Stops exactly what sandbox/up.sh started: each host's broker (through its service script), its
# sshd and the jump host's sshd if any (through their pid files), and in ZooKeeper mode each
# ensemble node's ZooKeeper server (zookeeper-service) and sshd. Leaves data, configs and keys in
# place. Idempotent.
#
# Brokers stop in two parallel waves: broker-only hosts, then the KRaft controller hosts together.
# Stopping the controllers one by one would leave the last one without a quorum, and its
# controlled shutdown would then hang until KAFKA_STOP_TIMEOUT. The ZooKeeper ensemble stops last,
# all nodes together, once no broker needs it for its controlled shutdown.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ ! -d "$SANDBOX_DIR/hosts" ] && [ ! -d "$SANDBOX_DIR/zookeeper" ]; then
  say "nothing to stop ($(rel "$SANDBOX_DIR/hosts") does not exist)"
  exit 0
fi

lock_sandbox

brokers=()
controllers=()
zk_nodes=()
for dir in "$SANDBOX_DIR"/zookeeper/*/; do
  id="$(basename "$dir")"
  [[ "$id" =~ ^[0-9]+$ ]] || continue
  zk_nodes+=("$id")
done
for dir in "$SANDBOX_DIR"/hosts/*/; do
  id="$(basename "$dir")"
  [[ "$id" =~ ^[0-9]+$ ]] || continue
  if grep -qE '^process\.roles=.*controller' "$dir/config/server.properties" 2>/dev/null; then
    controllers+=("$id")
  else
    brokers+=("$id")
  fi
done

# stop_services root_of script label what id...: stops <root>/bin/<script> (kafka-service,
# zookeeper-service) of every id in parallel, root from the function root_of (host_root, zk_root);
# says "<label> <id>: <what> ..." unless it was stopped already; false when one did not stop.
stop_services() {
  local root_of="$1" script="$2" label="$3" what="$4" id root pids=() ids=() out failed=0 i
  shift 4
  out="$(mktemp -d)"
  for id in "$@"; do
    root="$("$root_of" "$id")"
    [ -x "$root/bin/$script" ] || continue
    "$root/bin/$script" stop >"$out/$id" 2>&1 &
    pids+=("$!")
    ids+=("$id")
  done
  for i in "${!pids[@]}"; do
    id="${ids[$i]}"
    if wait "${pids[$i]}"; then
      [ "$(cat "$out/$id")" = stopped ] || say "$label $id: $what $(paste -sd " " "$out/$id")"
    else
      warn "$label $id: $script stop failed: $(cat "$out/$id")"
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
stop_services host_root kafka-service host broker "${brokers[@]+"${brokers[@]}"}" || failed=1
stop_services host_root kafka-service host broker "${controllers[@]+"${controllers[@]}"}" || failed=1
for id in "${brokers[@]+"${brokers[@]}"}" "${controllers[@]+"${controllers[@]}"}"; do
  stop_sshd "$id"
done
# The ZooKeeper ensemble (SANDBOX_METADATA=zookeeper), after every broker.
zk_failed=0
stop_services zk_root zookeeper-service zookeeper server "${zk_nodes[@]+"${zk_nodes[@]}"}" || zk_failed=1
for id in "${zk_nodes[@]+"${zk_nodes[@]}"}"; do
  stop_sshd_at "$(zk_root "$id")" "zookeeper $id"
done
# The jump host (SANDBOX_BASTION=1), whether or not this run sets SANDBOX_BASTION.
[ ! -d "$BASTION_ROOT" ] || stop_sshd_at "$BASTION_ROOT" bastion
[ "$failed" -eq 0 ] || die "some brokers did not stop; see the messages above"
[ "$zk_failed" -eq 0 ] || die "some ZooKeeper servers did not stop; see the messages above"
if [ "${#zk_nodes[@]}" -gt 0 ]; then
  say "down: $((${#brokers[@]} + ${#controllers[@]})) host(s) and ${#zk_nodes[@]} ZooKeeper node(s) stopped; data kept in $(rel "$SANDBOX_DIR/hosts") and $(rel "$SANDBOX_DIR/zookeeper")"
else
  say "down: $((${#brokers[@]} + ${#controllers[@]})) host(s) stopped; data kept in $(rel "$SANDBOX_DIR/hosts")"
fi
