#!/usr/bin/env bash
# Brings up, idempotently, the local sandbox fleet: one KRaft cluster "sandbox" of SANDBOX_BROKERS
# brokers, each on its own "host" (loopback address 127.0.0.(10+id), its own OpenSSH sshd, its own
# server-like root under .sandbox/hosts/<id>/), and writes the kfleet inventory .sandbox/fleet.yaml.
# Run again at any time: it restarts what died, adds missing hosts and leaves the rest alone.
# See sandbox/README.md.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
validate_settings

N="$SANDBOX_BROKERS"
VERSION="$SANDBOX_KAFKA_VERSION"
CONTROLLERS="$(min 3 "$N")"
RF="$(min 3 "$N")"
MIN_ISR="$(min 2 "$N")"
TOPIC="sandbox-demo"
TOOLS="$SANDBOX_DIR/tools/$VERSION"
CLUSTER_ID_FILE="$SANDBOX_DIR/cluster-id"
INVENTORY="$SANDBOX_DIR/fleet.yaml"
began="$SECONDS"

bootstrap_servers() {
  local id list=""
  for ((id = 1; id <= N; id++)); do
    list="${list:+$list,}$(host_ip "$id"):$KAFKA_PORT"
  done
  printf '%s' "$list"
}

quorum_voters() {
  local id list=""
  for ((id = 1; id <= CONTROLLERS; id++)); do
    list="${list:+$list,}$id@$(host_ip "$id"):$CONTROLLER_PORT"
  done
  printf '%s' "$list"
}

# Writes $2 to file $1 only when the content differs (atomically); true when it wrote.
write_if_changed() {
  local file="$1" content="$2"
  if [ -f "$file" ] && [ "$(cat "$file")" = "$content" ]; then
    return 1
  fi
  printf '%s\n' "$content" >"$file.tmp.$$"
  mv -f "$file.tmp.$$" "$file"
}

ensure_prerequisites() {
  # openssh-server for the hosts; tmux for the end-to-end test of kfleet tui.
  local missing=()
  [ -x /usr/sbin/sshd ] || missing+=(openssh-server)
  command -v tmux >/dev/null 2>&1 || missing+=(tmux)
  if [ "${#missing[@]}" -gt 0 ]; then
    say "installing ${missing[*]} (apt-get update && apt-get install ${missing[*]})"
    if ! is_root && ! sudo -n true 2>/dev/null; then
      die "${missing[*]} missing and sudo -n is not available; install them as root"
    fi
    as_root apt-get update -qq >/dev/null || die "apt-get update failed; install ${missing[*]} by hand"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null ||
      die "apt-get install ${missing[*]} failed; install them by hand"
    [ -x /usr/sbin/sshd ] || die "openssh-server is installed but /usr/sbin/sshd is missing"
  fi
  command -v ssh-keygen >/dev/null 2>&1 || die "ssh-keygen not found; install openssh-client"
  command -v setsid >/dev/null 2>&1 || die "setsid not found; install util-linux"
  if [ -z "${JAVA_HOME:-}" ] && ! command -v java >/dev/null 2>&1; then
    die "java not found; Kafka needs Java 17 (apt-get install openjdk-17-jre-headless)"
  fi
  # sshd started as root needs its privilege separation directory.
  if is_root; then
    mkdir -p /run/sshd
    chmod 755 /run/sshd
  fi
}

# Unpacks release tarball $1 into directory $2 (the tarball's top directory stripped), atomically.
unpack_release() {
  local tgz="$1" dest="$2" tmp
  [ -d "$dest" ] && return 0
  mkdir -p "$(dirname "$dest")"
  tmp="$(mktemp -d "$(dirname "$dest")/.unpack.XXXXXX")"
  if ! tar -xzf "$tgz" -C "$tmp" --strip-components=1; then
    rm -rf "$tmp"
    die "could not unpack $(rel "$tgz") into $(rel "$dest")"
  fi
  mv "$tmp" "$dest"
}

ensure_cluster_id() {
  if [ ! -s "$CLUSTER_ID_FILE" ]; then
    local id
    id="$("$TOOLS/bin/kafka-storage.sh" random-uuid)" || die "kafka-storage.sh random-uuid failed"
    [[ "$id" =~ ^[A-Za-z0-9_-]{22}$ ]] || die "kafka-storage.sh random-uuid printed '$id', not a cluster id"
    printf '%s\n' "$id" >"$CLUSTER_ID_FILE"
    say "new cluster id $id ($(rel "$CLUSTER_ID_FILE"))"
  fi
  CLUSTER_ID="$(tr -d '[:space:]' <"$CLUSTER_ID_FILE")"
}

ensure_client_key() {
  mkdir -p "$SSH_DIR"
  chmod 700 "$SSH_DIR"
  if [ ! -f "$SSH_DIR/id_ed25519" ]; then
    ssh-keygen -q -t ed25519 -N '' -C "kfleet-sandbox" -f "$SSH_DIR/id_ed25519"
    say "new client key $(rel "$SSH_DIR/id_ed25519")"
  fi
  write_if_changed "$SSH_DIR/authorized_keys" "$(cat "$SSH_DIR/id_ed25519.pub")" || true
  chmod 600 "$SSH_DIR/authorized_keys"
}

server_properties() {
  local id="$1" root ip roles listeners
  root="$(host_root "$id")"
  ip="$(host_ip "$id")"
  if [ "$id" -le "$CONTROLLERS" ]; then
    roles="broker,controller"
    listeners="PLAINTEXT://$ip:$KAFKA_PORT,CONTROLLER://$ip:$CONTROLLER_PORT"
  else
    roles="broker"
    listeners="PLAINTEXT://$ip:$KAFKA_PORT"
  fi
  cat <<EOF
# Sandbox host $id ($ip, rack $(host_rack "$id")). Written by sandbox/up.sh only when missing: it
# leaves an existing file alone, so changes made here (or by kfleet config apply) stay.
node.id=$id
process.roles=$roles
listeners=$listeners
advertised.listeners=PLAINTEXT://$ip:$KAFKA_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
controller.quorum.voters=$(quorum_voters)
log.dirs=$root/data
broker.rack=$(host_rack "$id")

num.partitions=3
default.replication.factor=$RF
min.insync.replicas=$MIN_ISR
offsets.topic.replication.factor=$RF
transaction.state.log.replication.factor=$RF
transaction.state.log.min.isr=$MIN_ISR
share.coordinator.state.topic.replication.factor=$RF
share.coordinator.state.topic.min.isr=$MIN_ISR
auto.create.topics.enable=false
# kfleet elects leaders itself.
auto.leader.rebalance.enable=false
group.initial.rebalance.delay.ms=0

# Notice a dead broker fast, yet stay stable on a loaded 2-core machine.
broker.session.timeout.ms=6000
broker.heartbeat.interval.ms=1000
replica.lag.time.max.ms=10000
controlled.shutdown.enable=true

# Small footprint: several brokers share one small machine.
offsets.topic.num.partitions=12
transaction.state.log.num.partitions=6
num.network.threads=2
num.io.threads=4
background.threads=4
log.cleaner.dedupe.buffer.size=16777216
EOF
}

# Creates whatever host $1 is missing; never changes an existing release, current link or config.
setup_host() {
  local id="$1" root ip template
  root="$(host_root "$id")"
  ip="$(host_ip "$id")"
  mkdir -p "$root"/{releases,config,data,logs,run,bin,ssh}

  unpack_release "$(artifact_path "$VERSION")" "$root/releases/$VERSION"
  if [ ! -e "$root/current" ] && [ ! -L "$root/current" ]; then
    ln -s "releases/$VERSION" "$root/current"
  elif [ "$(readlink "$root/current")" != "releases/$VERSION" ]; then
    say "host $id: current -> $(readlink "$root/current") (not $VERSION); leaving it"
  fi

  if [ ! -f "$root/config/server.properties" ]; then
    write_if_changed "$root/config/server.properties" "$(server_properties "$id")"
  fi

  if write_if_changed "$root/bin/kafka-service" "$(cat "$SANDBOX_SRC/host/kafka-service")"; then
    chmod 755 "$root/bin/kafka-service"
  fi
  # The host's boot id (the inventory's service.boot_id reads it); simulate-reboot changes it.
  [ -s "$root/run/boot_id" ] || cat /proc/sys/kernel/random/uuid >"$root/run/boot_id"
  mkdir -p "$SANDBOX_DIR/bin"
  if write_if_changed "$SANDBOX_DIR/bin/simulate-reboot" "$(cat "$SANDBOX_SRC/host/simulate-reboot")"; then
    chmod 755 "$SANDBOX_DIR/bin/simulate-reboot"
  fi

  if [ ! -f "$root/ssh/ssh_host_ed25519_key" ]; then
    rm -f "$root/ssh/ssh_host_ed25519_key.pub"
    ssh-keygen -q -t ed25519 -N '' -C "sandbox-host-$id" -f "$root/ssh/ssh_host_ed25519_key"
  fi
  template="$(cat "$SANDBOX_SRC/host/sshd_config.template")"
  template="${template//@ID@/$id}"
  template="${template//@IP@/$ip}"
  template="${template//@PORT@/$SANDBOX_SSH_PORT}"
  template="${template//@ROOT@/$root}"
  template="${template//@AUTHORIZED_KEYS@/$SSH_DIR/authorized_keys}"
  write_if_changed "$root/ssh/sshd_config" "$template" || true
}

# Formats the storage of every host in $@ (in parallel) with its own release's StorageTool.
format_hosts() {
  local id root pids=() failed=()
  for id in "$@"; do
    root="$(host_root "$id")"
    say "host $id: formatting $(rel "$root/data") (cluster $CLUSTER_ID)"
    LOG_DIR="$root/logs" "$root/current/bin/kafka-storage.sh" format -t "$CLUSTER_ID" \
      -c "$root/config/server.properties" >"$root/logs/format.log" 2>&1 &
    pids+=("$!")
  done
  local i=0
  for id in "$@"; do
    wait "${pids[$i]}" || failed+=("$id")
    i=$((i + 1))
  done
  for id in "${failed[@]}"; do
    cat "$(host_root "$id")/logs/format.log" >&2
  done
  [ "${#failed[@]}" -eq 0 ] ||
    die "formatting failed on host(s) ${failed[*]}; see $(rel "$SANDBOX_DIR")/hosts/<id>/logs/format.log"
}

write_known_hosts() {
  local id line content="" host
  for ((id = 1; id <= N; id++)); do
    read -r -a line <"$(host_root "$id")/ssh/ssh_host_ed25519_key.pub"
    if [ "$SANDBOX_SSH_PORT" -eq 22 ]; then
      host="$(host_ip "$id")"
    else
      host="[$(host_ip "$id")]:$SANDBOX_SSH_PORT"
    fi
    content+="$host ${line[0]} ${line[1]}"$'\n'
  done
  write_if_changed "$SSH_DIR/known_hosts" "${content%$'\n'}" || true
}

write_inventory() {
  local id root bootstrap="" y
  for ((id = 1; id <= N; id++)); do
    bootstrap="${bootstrap:+$bootstrap, }\"$(host_ip "$id"):$KAFKA_PORT\""
  done
  y="# Generated by sandbox/up.sh: the local sandbox fleet. Do not edit; rerun \`make sandbox\`.
defaults:
  ssh:
    user: $(id -un)
    port: $SANDBOX_SSH_PORT
    identity_file: $SSH_DIR/id_ed25519
    known_hosts: $SSH_DIR/known_hosts
    host_key_policy: strict
clusters:
  - name: sandbox
    bootstrap: [$bootstrap]
    brokers:"
  for ((id = 1; id <= N; id++)); do
    root="$(host_root "$id")"
    y+="
      - id: $id
        host: $(host_ip "$id")
        rack: $(host_rack "$id")
        install:
          root: $root
          config_file: $root/config/server.properties
        service:
          start: $root/bin/kafka-service start
          stop: $root/bin/kafka-service stop
          status: $root/bin/kafka-service status
          boot_id: cat $root/run/boot_id"
  done
  write_if_changed "$INVENTORY" "$y" || true
}

start_sshd() {
  local id="$1" root
  root="$(host_root "$id")"
  if sshd_pid "$root" >/dev/null; then
    return 0
  fi
  rm -f "$root/run/sshd.pid"
  /usr/sbin/sshd -t -f "$root/ssh/sshd_config" 2>"$root/logs/sshd-check.log" ||
    die "host $id: sshd rejects $(rel "$root/ssh/sshd_config"): $(cat "$root/logs/sshd-check.log")"
  /usr/sbin/sshd -f "$root/ssh/sshd_config" -E "$root/logs/sshd.log" 9>&- ||
    die "host $id: sshd failed to start; see $(rel "$root/logs/sshd.log")"
  say "host $id: sshd started on $(host_ip "$id"):$SANDBOX_SSH_PORT"
}

start_broker() {
  local id="$1" root out
  root="$(host_root "$id")"
  if "$root/bin/kafka-service" status >/dev/null; then
    return 0
  fi
  out="$("$root/bin/kafka-service" start 2>&1 9>&-)" ||
    die "host $id: kafka-service start failed: $out"
  say "host $id: broker $out"
}

last_log_lines() {
  local f
  for f in "$1/logs/server.log" "$1/logs/kafka.out"; do
    if [ -s "$f" ]; then
      printf '\n--- last lines of %s ---\n' "$(rel "$f")"
      tail -n 15 "$f"
    fi
  done
}

# Waits until every broker and sshd port accepts connections; fails early when a broker died.
wait_for_ports() {
  local deadline=$((SECONDS + SANDBOX_WAIT_TIMEOUT)) id pending=() what
  for ((id = 1; id <= N; id++)); do
    pending+=("broker $id $(host_ip "$id") $KAFKA_PORT" "sshd $id $(host_ip "$id") $SANDBOX_SSH_PORT")
  done
  local first=1
  while [ "${#pending[@]}" -gt 0 ]; do
    local still=() kind hid ip port root
    for what in "${pending[@]}"; do
      read -r kind hid ip port <<<"$what"
      if port_open "$ip" "$port"; then
        continue
      fi
      root="$(host_root "$hid")"
      if [ "$kind" = broker ] && ! "$root/bin/kafka-service" status >/dev/null; then
        die "broker $hid exited while starting; see $(rel "$root/logs/server.log")$(last_log_lines "$root")"
      fi
      if [ "$kind" = sshd ] && ! sshd_pid "$root" >/dev/null; then
        die "sshd of host $hid exited while starting; see $(rel "$root/logs/sshd.log")$(tail -n 5 "$root/logs/sshd.log" 2>/dev/null | sed 's/^/\n  /')"
      fi
      still+=("$what")
    done
    pending=("${still[@]+"${still[@]}"}")
    [ "${#pending[@]}" -eq 0 ] && break
    if [ "$SECONDS" -ge "$deadline" ]; then
      read -r kind hid ip port <<<"${pending[0]}"
      root="$(host_root "$hid")"
      if [ "$kind" = broker ]; then
        die "broker $hid did not accept connections on $ip:$port within ${SANDBOX_WAIT_TIMEOUT}s; see $(rel "$root/logs/server.log")"
      fi
      die "sshd of host $hid did not accept connections on $ip:$port within ${SANDBOX_WAIT_TIMEOUT}s; see $(rel "$root/logs/sshd.log")"
    fi
    if [ "$first" -eq 1 ]; then
      local names=()
      for what in "${pending[@]}"; do
        read -r kind hid ip port <<<"$what"
        names+=("$ip:$port")
      done
      say "waiting for ${#pending[@]} port(s) to accept connections: ${names[*]}"
      first=0
    fi
    sleep 0.5
  done
}

# Waits until all N brokers are registered, unfenced and answering (as the brokers themselves
# report in a metadata response, then an ApiVersions request to each).
wait_for_registration() {
  local deadline=$((SECONDS + SANDBOX_WAIT_TIMEOUT)) out ids count said=0
  while :; do
    out="$(timeout 30 "$TOOLS/bin/kafka-broker-api-versions.sh" --bootstrap-server "$(bootstrap_servers)" 2>&1)" || true
    ids="$(grep -E '^[0-9.]+:[0-9]+ \(id: [0-9]+ ' <<<"$out" | grep -F ') -> (' | grep -v 'isFenced: true' |
      sed -E 's/^.*\(id: ([0-9]+) .*$/\1/' | sort -un | tr '\n' ' ')" || true
    count="$(wc -w <<<"$ids")"
    if [ "$count" -ge "$N" ]; then
      say "cluster has $count live brokers (ids ${ids% })"
      return 0
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      printf '%s\n' "$out" | tail -n 20 >&2
      die "only $count of $N brokers registered within ${SANDBOX_WAIT_TIMEOUT}s (live ids: ${ids:-none}); see $(rel "$SANDBOX_DIR")/hosts/<id>/logs/server.log"
    fi
    if [ "$said" -eq 0 ]; then
      say "waiting for all $N brokers to register (${count} live so far)"
      said=1
    fi
    sleep 0.5
  done
}

create_topic() {
  local out
  out="$(timeout 60 "$TOOLS/bin/kafka-topics.sh" --bootstrap-server "$(bootstrap_servers)" --create --if-not-exists \
    --topic "$TOPIC" --partitions 6 --replication-factor "$RF" --config "min.insync.replicas=$MIN_ISR" 2>&1)" ||
    die "could not create topic $TOPIC: $out"
  if grep -q 'Created topic' <<<"$out"; then
    say "created topic $TOPIC (6 partitions, replication factor $RF, min.insync.replicas=$MIN_ISR)"
  fi
}

# Counts the partitions in `kafka-topics.sh --describe` output (stdin) that have no leader or
# fewer in-sync replicas than replicas.
count_unhealthy_partitions() {
  awk '
    /Partition: / {
      leader = ""; replicas = ""; isr = ""
      for (i = 1; i <= NF; i++) {
        if ($i == "Leader:") leader = $(i + 1)
        if ($i == "Replicas:") replicas = $(i + 1)
        if ($i == "Isr:") isr = $(i + 1)
      }
      if (leader == "" || leader == "none" || leader == "-1" || split(replicas, r, ",") != split(isr, s, ",")) bad++
    }
    END { print bad + 0 }'
}

# Creates the demo topic when missing, then waits until no partition is offline or
# under-replicated, so callers start from a healthy cluster (a restarted broker registers before
# it has caught up). One describe call covers both on a healthy sandbox.
ensure_topic_in_sync() {
  local deadline=$((SECONDS + SANDBOX_WAIT_TIMEOUT)) out bad said=0 created=0
  while :; do
    if out="$(timeout 30 "$TOOLS/bin/kafka-topics.sh" --bootstrap-server "$(bootstrap_servers)" --describe 2>&1)"; then
      if ! grep -qE "^Topic: ${TOPIC}[[:space:]]" <<<"$out"; then
        [ "$created" -eq 0 ] || die "topic $TOPIC was created but does not show up in kafka-topics.sh --describe"
        create_topic
        created=1
        continue
      fi
      bad="$(count_unhealthy_partitions <<<"$out")"
      [ "$bad" -eq 0 ] && return 0
    else
      bad="?"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      printf '%s\n' "$out" | tail -n 20 >&2
      die "$bad partition(s) still offline or under-replicated after ${SANDBOX_WAIT_TIMEOUT}s; see $(rel "$SANDBOX_DIR")/hosts/<id>/logs/server.log"
    fi
    if [ "$said" -eq 0 ]; then
      say "waiting for $bad offline or under-replicated partition(s) to catch up"
      said=1
    fi
    sleep 0.5
  done
}

main() {
  ensure_prerequisites
  mkdir -p "$SANDBOX_DIR/hosts" "$ARTIFACTS_DIR" "$SANDBOX_DIR/tools"
  lock_sandbox

  bash "$SANDBOX_SRC/build-release.sh" "$VERSION"
  unpack_release "$(artifact_path "$VERSION")" "$TOOLS"
  ensure_cluster_id
  ensure_client_key

  local id root to_format=()
  for ((id = 1; id <= N; id++)); do
    setup_host "$id"
    [ -f "$(host_root "$id")/data/meta.properties" ] || to_format+=("$id")
  done
  for root in "$SANDBOX_DIR"/hosts/*/; do
    id="$(basename "$root")"
    if [[ "$id" =~ ^[0-9]+$ ]] && [ "$id" -gt "$N" ]; then
      warn "host $id is beyond SANDBOX_BROKERS=$N: not in the inventory and left as it is (down.sh stops it)"
    fi
  done
  [ "${#to_format[@]}" -eq 0 ] || format_hosts "${to_format[@]}"

  write_known_hosts
  write_inventory

  for ((id = 1; id <= N; id++)); do
    start_sshd "$id"
  done
  for ((id = 1; id <= N; id++)); do
    start_broker "$id"
  done

  # The second release is only for deployment tests: build it while the brokers boot.
  local next_log="$ARTIFACTS_DIR/.build-$SANDBOX_KAFKA_NEXT_VERSION.log" next_pid
  bash "$SANDBOX_SRC/build-release.sh" "$SANDBOX_KAFKA_NEXT_VERSION" >"$next_log" 2>&1 9>&- &
  next_pid="$!"

  wait_for_ports
  wait_for_registration
  ensure_topic_in_sync

  if ! wait "$next_pid"; then
    cat "$next_log" >&2
    die "building release $SANDBOX_KAFKA_NEXT_VERSION failed (see above)"
  fi
  grep -v 'already built' "$next_log" || true
  rm -f "$next_log"

  say "up in $((SECONDS - began))s: cluster sandbox, $N broker(s) on Kafka $VERSION, bootstrap $(bootstrap_servers)"
  say "inventory $(rel "$INVENTORY"); ssh: ssh -i $(rel "$SSH_DIR/id_ed25519") -o UserKnownHostsFile=$(rel "$SSH_DIR/known_hosts") -p $SANDBOX_SSH_PORT $(id -un)@$(host_ip 1)"
}

main "$@"
