#!/usr/bin/env bash
# Brings up, idempotently, the local sandbox fleet: one KRaft cluster "sandbox" of SANDBOX_BROKERS
# brokers, each on its own "host" (loopback address 127.0.0.(10+id), its own OpenSSH sshd, its own
# server-like root under .sandbox/hosts/<id>/), and writes the kfleet inventory .sandbox/fleet.yaml.
# Run again at any time: it restarts what died, adds missing hosts and leaves the rest alone.
# SANDBOX_KAFKA_VERSION picks the Kafka release (3.7.x-3.9.x or 4.x, built from Maven Central jars);
# SANDBOX_METADATA=zookeeper (Kafka 3.x only) keeps the metadata in a real 3-node ZooKeeper
# ensemble instead of KRaft: node N on its own host 127.0.1.(10+N) with its own sshd and root
# .sandbox/zookeeper/<N>/, started and waited for (a leader, two followers) before the brokers.
# SANDBOX_SECURITY=sasl_ssl secures the cluster (TLS, SASL users, ACLs); SANDBOX_BASTION=1 adds an
# SSH jump host the inventory reaches every host through; SANDBOX_CLUSTER_NAME names the cluster in
# the inventory (sandbox/fleet.sh runs several such clusters as one fleet). See sandbox/README.md.
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
MAJOR="$(kafka_major "$VERSION")"
# SANDBOX_METADATA=zookeeper: the ZooKeeper release the ensemble runs (set in main).
ZK_VERSION=""
CLUSTER_ID_FILE="$SANDBOX_DIR/cluster-id"
INVENTORY="$SANDBOX_DIR/fleet.yaml"
# sasl_ssl: the Kafka CLI tools' client config (as kfleet), passed to every call they make here.
CLIENT_CONFIG="$SECRETS_DIR/client.properties"
CLI_AUTH=()
[ "$SANDBOX_SECURITY" = plaintext ] || CLI_AUTH=(--command-config "$CLIENT_CONFIG")
# sasl_ssl: the SASL users besides the brokers' own "broker" (kfleet is a super user, viewer may only
# describe the cluster and topics, noacl has no ACLs).
SASL_USERS=(kfleet viewer noacl)
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

# The brokers' zookeeper.connect: every ensemble node's client address, then the chroot.
zookeeper_connect() {
  local n list=""
  for ((n = 1; n <= ZK_NODES; n++)); do
    list="${list:+$list,}$(zk_ip "$n"):$ZK_CLIENT_PORT"
  done
  printf '%s%s' "$list" "$ZK_CHROOT"
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
  if [ "$SANDBOX_SECURITY" = sasl_ssl ]; then
    command -v openssl >/dev/null 2>&1 || die "openssl not found; SANDBOX_SECURITY=sasl_ssl needs it for the certificates"
  fi
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

# check_mode file setting unrecorded made: records the value of the variable named setting
# (SANDBOX_SECURITY, SANDBOX_METADATA) in file, refusing a sandbox set up with another value: what
# made names was made for that mode and is never rewritten. A sandbox without the file but with
# hosts was set up before the mode was recorded: it counts as unrecorded.
check_mode() {
  local file="$1" setting="$2" unrecorded="$3" made="$4" value="${!2}" recorded=""
  if [ -s "$file" ]; then
    recorded="$(tr -d '[:space:]' <"$file")"
  elif compgen -G "$SANDBOX_DIR/hosts/*/config/server.properties" >/dev/null; then
    recorded="$unrecorded"
  fi
  if [ -n "$recorded" ] && [ "$recorded" != "$value" ]; then
    die "$(rel "$SANDBOX_DIR") was set up with $setting=$recorded, not $value; a sandbox cannot switch modes ($made are made for one). Run up.sh with $setting=$recorded, or start over: SANDBOX_DIR=$SANDBOX_DIR bash sandbox/down.sh && rm -rf $SANDBOX_DIR"
  fi
  write_if_changed "$file" "$value" || true
}

# SANDBOX_SECURITY: the storage (SCRAM users) and server.properties are made for one mode.
check_security_mode() { check_mode "$SECURITY_FILE" SANDBOX_SECURITY plaintext "its storage and server.properties"; }
# SANDBOX_METADATA: the brokers' server.properties and storage are made for one mode.
check_metadata_mode() { check_mode "$METADATA_FILE" SANDBOX_METADATA kraft "its brokers' storage and server.properties"; }

# Prints a new random password: 24 letters and digits.
new_password() {
  local pw=""
  while [ "${#pw}" -lt 24 ]; do
    pw+="$(openssl rand -base64 48 | tr -dc 'A-Za-z0-9')"
  done
  printf '%s' "${pw:0:24}"
}

# The password of $1 (keystore, broker, kfleet, viewer, noacl). Never print it.
password() { tr -d '\n' <"$SECRETS_DIR/$1.password"; }

# Writes file $1 with content $2, mode 0600, when the content differs.
write_secret_file() {
  (
    umask 077
    write_if_changed "$1" "$2"
  ) || true
  chmod 600 "$1"
}

# Generates the passwords once (kept on reruns: the SCRAM users and configs are made from them).
ensure_secrets() {
  local name
  mkdir -p "$SECRETS_DIR"
  chmod 700 "$SECRETS_DIR"
  for name in keystore broker "${SASL_USERS[@]}"; do
    if [ ! -s "$SECRETS_DIR/$name.password" ]; then
      write_secret_file "$SECRETS_DIR/$name.password" "$(new_password)"
      say "new password $(rel "$SECRETS_DIR/$name.password")"
    fi
    chmod 600 "$SECRETS_DIR/$name.password"
  done
}

# Kafka CLI client configs: client.properties as kfleet (what up.sh uses), and one per other user.
write_client_configs() {
  local user file
  for user in "${SASL_USERS[@]}"; do
    file="$SECRETS_DIR/client-$user.properties"
    [ "$user" = kfleet ] && file="$CLIENT_CONFIG"
    write_secret_file "$file" "# Generated by sandbox/up.sh: Kafka CLI tools as SASL user $user (--command-config).
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"$user\" password=\"$(password "$user")\";
ssl.truststore.type=PEM
ssl.truststore.location=$TLS_DIR/ca.pem"
  done
}

# Runs openssl quietly (it chatters on stderr), dying with its output when it fails.
openssl_q() {
  local out
  out="$(openssl "$@" 2>&1)" || die "openssl $1 failed: $out"
}

# The sandbox CA, generated once: $TLS_DIR/ca.pem and ca.key (0600).
ensure_ca() {
  mkdir -p "$TLS_DIR"
  if [ ! -s "$TLS_DIR/ca.pem" ] || [ ! -s "$TLS_DIR/ca.key" ]; then
    rm -f "$TLS_DIR/ca.pem" "$TLS_DIR/ca.key"
    (umask 077 && openssl_q req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
      -subj "/CN=kfleet sandbox CA" -keyout "$TLS_DIR/ca.key.tmp" -out "$TLS_DIR/ca.pem.tmp")
    chmod 644 "$TLS_DIR/ca.pem.tmp"
    mv -f "$TLS_DIR/ca.key.tmp" "$TLS_DIR/ca.key"
    mv -f "$TLS_DIR/ca.pem.tmp" "$TLS_DIR/ca.pem"
    say "new CA $(rel "$TLS_DIR/ca.pem")"
  fi
  chmod 600 "$TLS_DIR/ca.key"
}

# Host $1's TLS identity under config/tls/: a key and certificate (CN=kafka-broker, SAN IP:<host ip>)
# signed by the sandbox CA in keystore.p12, and the CA as ca.pem (the truststore). Made when
# missing, or again when the sandbox CA is not the one it was made with.
setup_host_tls() {
  local id="$1" root ip dir tmp
  root="$(host_root "$id")"
  ip="$(host_ip "$id")"
  dir="$root/config/tls"
  if [ -s "$dir/keystore.p12" ] && cmp -s "$dir/ca.pem" "$TLS_DIR/ca.pem"; then
    return 0
  fi
  mkdir -p "$dir"
  chmod 700 "$dir"
  tmp="$(mktemp -d "$dir/.new.XXXXXX")"
  printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=serverAuth,clientAuth" "subjectAltName=IP:$ip,DNS:localhost" >"$tmp/ext.cnf"
  openssl_q req -new -newkey rsa:2048 -nodes -subj "/CN=kafka-broker" -keyout "$tmp/broker.key" -out "$tmp/broker.csr"
  openssl_q x509 -req -sha256 -days 3650 -in "$tmp/broker.csr" -CA "$TLS_DIR/ca.pem" -CAkey "$TLS_DIR/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -extfile "$tmp/ext.cnf" -out "$tmp/broker.pem"
  openssl_q pkcs12 -export -in "$tmp/broker.pem" -inkey "$tmp/broker.key" -name kafka-broker \
    -passout "file:$SECRETS_DIR/keystore.password" -out "$tmp/keystore.p12"
  chmod 600 "$tmp/keystore.p12"
  mv -f "$tmp/broker.pem" "$dir/broker.pem"
  mv -f "$tmp/keystore.p12" "$dir/keystore.p12"
  cp "$TLS_DIR/ca.pem" "$dir/ca.pem.tmp"
  mv -f "$dir/ca.pem.tmp" "$dir/ca.pem"
  rm -rf "$tmp"
  say "host $id: new TLS certificate $(rel "$dir/broker.pem") (CN=kafka-broker, IP:$ip)"
}

# The SANDBOX_SECURITY=sasl_ssl part of host $1's server.properties (holds passwords: file is 0600).
security_properties() {
  local root ks bp
  root="$(host_root "$1")"
  ks="$(password keystore)"
  bp="$(password broker)"
  cat <<EOF

# SANDBOX_SECURITY=sasl_ssl: clients and brokers talk SASL over TLS on :$KAFKA_PORT (brokers as
# User:broker, SCRAM-SHA-512); brokers and controllers talk mutual TLS on :$CONTROLLER_PORT (the host
# certificate: User:CN=kafka-broker). Passwords: $SECRETS_DIR/.
ssl.keystore.type=PKCS12
ssl.keystore.location=$root/config/tls/keystore.p12
ssl.keystore.password=$ks
ssl.key.password=$ks
ssl.truststore.type=PEM
ssl.truststore.location=$root/config/tls/ca.pem
listener.name.controller.ssl.client.auth=required
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_broker="$bp" user_kfleet="$(password kfleet)" user_viewer="$(password viewer)" user_noacl="$(password noacl)";
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" password="$bp";
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:broker;User:kfleet;User:CN=kafka-broker
allow.everyone.if.no.acl.found=false
EOF
}

server_properties() {
  local props
  if [ "$SANDBOX_METADATA" = zookeeper ]; then
    props="$(zookeeper_server_properties "$1")"
  else
    props="$(kraft_server_properties "$1")"
  fi
  if [ "$MAJOR" -lt 4 ]; then
    # Kafka 3.x has no share groups: leave their settings out (it would warn they are unknown).
    grep -v '^share\.coordinator\.' <<<"$props"
  else
    printf '%s\n' "$props"
  fi
}

# broker_properties id liveness: the settings of host id's broker that do not depend on the
# metadata mode (log dir and rack, replication and topic defaults, footprint), with liveness (the
# mode's own settings for noticing a dead broker, and their comment) among them. The share groups'
# settings are in: server_properties drops them for Kafka 3.x (so for every ZooKeeper-mode broker).
broker_properties() {
  local id="$1" liveness="$2"
  cat <<EOF
log.dirs=$(host_root "$id")/data
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

$liveness
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

# SANDBOX_METADATA=zookeeper (Kafka 3.x): broker.id, zookeeper.connect (with the chroot, which the
# first broker creates) and no KRaft settings. inter.broker.protocol.version is pinned to the
# release's own MAJOR.MINOR, as operators pin it before an upgrade: after a deploy to a newer 3.x the
# brokers keep speaking the old protocol until \`kfleet deploy finalize\` raises it.
zookeeper_server_properties() {
  local id="$1" ip
  ip="$(host_ip "$id")"
  cat <<EOF
# Sandbox host $id ($ip, rack $(host_rack "$id")), ZooKeeper mode. Written by sandbox/up.sh only
# when missing: it leaves an existing file alone, so changes made here (or by kfleet config apply)
# stay.
broker.id=$id
listeners=PLAINTEXT://$ip:$KAFKA_PORT
advertised.listeners=PLAINTEXT://$ip:$KAFKA_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
inter.broker.protocol.version=$(echo "$SANDBOX_KAFKA_VERSION" | cut -d. -f1,2)
zookeeper.connect=$(zookeeper_connect)
EOF
  broker_properties "$id" "# Notice a dead broker fast (its ZooKeeper session expires), yet stay stable on a loaded 2-core
# machine.
zookeeper.session.timeout.ms=6000
zookeeper.connection.timeout.ms=18000"
}

kraft_server_properties() {
  local id="$1" ip roles listeners client map
  ip="$(host_ip "$id")"
  if [ "$SANDBOX_SECURITY" = sasl_ssl ]; then
    client="SASL_SSL"
    map="SASL_SSL:SASL_SSL,CONTROLLER:SSL"
  else
    client="PLAINTEXT"
    map="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
  fi
  if [ "$id" -le "$CONTROLLERS" ]; then
    roles="broker,controller"
    listeners="$client://$ip:$KAFKA_PORT,CONTROLLER://$ip:$CONTROLLER_PORT"
  else
    roles="broker"
    listeners="$client://$ip:$KAFKA_PORT"
  fi
  cat <<EOF
# Sandbox host $id ($ip, rack $(host_rack "$id")). Written by sandbox/up.sh only when missing: it
# leaves an existing file alone, so changes made here (or by kfleet config apply) stay.
node.id=$id
process.roles=$roles
listeners=$listeners
advertised.listeners=$client://$ip:$KAFKA_PORT
listener.security.protocol.map=$map
controller.listener.names=CONTROLLER
inter.broker.listener.name=$client
controller.quorum.voters=$(quorum_voters)
EOF
  broker_properties "$id" "# Notice a dead broker fast, yet stay stable on a loaded 2-core machine.
broker.session.timeout.ms=6000
broker.heartbeat.interval.ms=1000"
  [ "$SANDBOX_SECURITY" = plaintext ] || security_properties "$id"
}

# Creates whatever host $1 is missing; never changes an existing release, current link or config.
setup_host() {
  local id="$1" root ip template
  root="$(host_root "$id")"
  ip="$(host_ip "$id")"
  mkdir -p "$root"/{releases,config,data,logs,run,bin,ssh}

  install_release "$root" "$(artifact_path "$VERSION")" "$VERSION" "host $id"

  [ "$SANDBOX_SECURITY" = plaintext ] || setup_host_tls "$id"
  if [ ! -f "$root/config/server.properties" ]; then
    if [ "$SANDBOX_SECURITY" = plaintext ]; then
      write_if_changed "$root/config/server.properties" "$(server_properties "$id")"
    else
      write_secret_file "$root/config/server.properties" "$(server_properties "$id")"
    fi
  fi

  install_script "$SANDBOX_SRC/host/kafka-service" "$root/bin/kafka-service"
  # The host's boot id (the inventory's service.boot_id reads it); simulate-reboot changes it.
  [ -s "$root/run/boot_id" ] || cat /proc/sys/kernel/random/uuid >"$root/run/boot_id"
  mkdir -p "$SANDBOX_DIR/bin"
  install_script "$SANDBOX_SRC/host/simulate-reboot" "$SANDBOX_DIR/bin/simulate-reboot"

  ensure_host_key "$root" "sandbox-host-$id"
  write_sshd_config "$SANDBOX_SRC/host/sshd_config.template" "$root" "$ip" "$id" || true
}

# install_release root tgz version label: unpacks release tarball tgz into root/releases/<version>
# when missing, and points root/current at it when root has none; an existing current link stays
# (kfleet deploy moves it).
install_release() {
  local root="$1" tgz="$2" version="$3" label="$4"
  unpack_release "$tgz" "$root/releases/$version"
  if [ ! -e "$root/current" ] && [ ! -L "$root/current" ]; then
    ln -s "releases/$version" "$root/current"
  elif [ "$(readlink "$root/current")" != "releases/$version" ]; then
    say "$label: current -> $(readlink "$root/current") (not $version); leaving it"
  fi
}

# install_script src dest: copies script src to dest (mode 755) when the content differs.
install_script() {
  if write_if_changed "$2" "$(cat "$1")"; then
    chmod 755 "$2"
  fi
}

# ensure_host_key root comment: the sshd host key root/ssh/ssh_host_ed25519_key, made once.
ensure_host_key() {
  local key="$1/ssh/ssh_host_ed25519_key"
  if [ ! -f "$key" ]; then
    rm -f "$key.pub"
    ssh-keygen -q -t ed25519 -N '' -C "$2" -f "$key"
  fi
}

# write_sshd_config template root ip id: <root>/ssh/sshd_config from the template; true when it
# (re)wrote the file.
write_sshd_config() {
  local template root="$2" ip="$3" id="$4"
  template="$(cat "$1")"
  template="${template//@ID@/$id}"
  template="${template//@IP@/$ip}"
  template="${template//@PORT@/$SANDBOX_SSH_PORT}"
  template="${template//@ROOT@/$root}"
  template="${template//@AUTHORIZED_KEYS@/$SSH_DIR/authorized_keys}"
  write_if_changed "$root/ssh/sshd_config" "$template"
}

# SANDBOX_BASTION=1: the jump host's root ($BASTION_ROOT: ssh/ with its own host key and
# sshd_config, run/, logs/). It runs nothing but its sshd, on host_ip 0. A running bastion sshd
# whose config changed is told to reload it (SIGHUP: sshd re-executes itself, same pid).
setup_bastion() {
  local pid
  mkdir -p "$BASTION_ROOT"/{ssh,run,logs}
  ensure_host_key "$BASTION_ROOT" sandbox-bastion
  if write_sshd_config "$SANDBOX_SRC/host/bastion_sshd_config.template" "$BASTION_ROOT" "$(host_ip 0)" bastion &&
    pid="$(sshd_pid "$BASTION_ROOT")"; then
    /usr/sbin/sshd -t -f "$BASTION_ROOT/ssh/sshd_config" 2>"$BASTION_ROOT/logs/sshd-check.log" ||
      die "bastion: sshd rejects $(rel "$BASTION_ROOT/ssh/sshd_config"): $(cat "$BASTION_ROOT/logs/sshd-check.log")"
    kill -HUP "$pid"
    say "bastion: sshd (pid $pid) reloads its changed $(rel "$BASTION_ROOT/ssh/sshd_config")"
  fi
}

# SANDBOX_METADATA=zookeeper: node $1's zoo.cfg. Each node serves clients, quorum and election on
# its own address; the admin server (Jetty, :8080) is off; the four-letter words kfleet reads
# (srvr, mntr, ruok, stat) are allowed.
zoo_cfg() {
  local n="$1" root m
  root="$(zk_root "$n")"
  cat <<EOF
# Sandbox ZooKeeper node $n ($(zk_ip "$n")). Written by sandbox/up.sh only when missing.
tickTime=2000
initLimit=10
syncLimit=5
dataDir=$root/data
clientPort=$ZK_CLIENT_PORT
clientPortAddress=$(zk_ip "$n")
maxClientCnxns=100
admin.enableServer=false
4lw.commands.whitelist=srvr,mntr,ruok,stat
autopurge.snapRetainCount=3
autopurge.purgeInterval=1
EOF
  for ((m = 1; m <= ZK_NODES; m++)); do
    printf 'server.%d=%s:%d:%d\n' "$m" "$(zk_ip "$m")" "$ZK_QUORUM_PORT" "$ZK_ELECTION_PORT"
  done
}

# SANDBOX_METADATA=zookeeper: creates whatever ZooKeeper host $1 is missing (its release, current
# link, zoo.cfg, myid, service script, boot id, sshd); never changes an existing release, current
# link or zoo.cfg.
setup_zk_node() {
  local n="$1" root
  root="$(zk_root "$n")"
  mkdir -p "$root"/{releases,config,data,logs,run,bin,ssh}
  install_release "$root" "$(zk_artifact_path "$ZK_VERSION")" "$ZK_VERSION" "zookeeper $n"
  [ -f "$root/config/zoo.cfg" ] || write_if_changed "$root/config/zoo.cfg" "$(zoo_cfg "$n")"
  [ -s "$root/data/myid" ] || printf '%d\n' "$n" >"$root/data/myid"
  install_script "$SANDBOX_SRC/host/zookeeper-service" "$root/bin/zookeeper-service"
  [ -s "$root/run/boot_id" ] || cat /proc/sys/kernel/random/uuid >"$root/run/boot_id"
  ensure_host_key "$root" "sandbox-zookeeper-$n"
  write_sshd_config "$SANDBOX_SRC/host/sshd_config.template" "$root" "$(zk_ip "$n")" "zookeeper-$n" || true
}

start_zk_node() {
  start_service "$(zk_root "$1")" zookeeper-service "zookeeper $1" server
}

# Waits until the ensemble serves: one leader and every other node a follower, as each node's
# srvr says. Fails early when a node's server died.
wait_for_ensemble() {
  local deadline=$((SECONDS + SANDBOX_WAIT_TIMEOUT)) n root mode modes leaders followers said=0
  while :; do
    modes=()
    leaders=0
    followers=0
    for ((n = 1; n <= ZK_NODES; n++)); do
      root="$(zk_root "$n")"
      mode="$(zk_mode "$(zk_ip "$n")" "$ZK_CLIENT_PORT")" || mode="-"
      modes+=("$n:$mode")
      case "$mode" in
        leader) leaders=$((leaders + 1)) ;;
        follower) followers=$((followers + 1)) ;;
      esac
      if [ "$mode" = "-" ] && ! "$root/bin/zookeeper-service" status >/dev/null; then
        die "zookeeper $n exited while starting; see $(rel "$root/logs/zookeeper.log")"$'\n'"$(tail -n 15 "$root/logs/zookeeper.out" 2>/dev/null | sed 's/^/  /')"
      fi
    done
    if [ "$leaders" -eq 1 ] && [ "$followers" -eq $((ZK_NODES - 1)) ]; then
      [ "$said" -eq 0 ] || say "zookeeper ensemble serves (${modes[*]})"
      return 0
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      die "the ZooKeeper ensemble has no leader and $((ZK_NODES - 1)) followers after ${SANDBOX_WAIT_TIMEOUT}s (${modes[*]}); see $(rel "$SANDBOX_DIR")/zookeeper/<n>/logs/zookeeper.log"
    fi
    if [ "$said" -eq 0 ]; then
      say "waiting for the ZooKeeper ensemble to elect a leader (${modes[*]})"
      said=1
    fi
    sleep 0.5
  done
}

# Formats the storage of every host in $@ (in parallel) with its own release's StorageTool.
format_hosts() {
  local id root pids=() failed=() scram=() user
  if [ "$SANDBOX_SECURITY" = sasl_ssl ]; then
    # The SCRAM users go into the bootstrap metadata. (Their passwords are on the command line for
    # these few seconds: StorageTool has no other way to take them.)
    scram+=(--add-scram "SCRAM-SHA-512=[name=broker,password=$(password broker)]")
    for user in "${SASL_USERS[@]}"; do
      scram+=(--add-scram "SCRAM-SHA-256=[name=$user,password=$(password "$user")]")
      scram+=(--add-scram "SCRAM-SHA-512=[name=$user,password=$(password "$user")]")
    done
  fi
  for id in "$@"; do
    root="$(host_root "$id")"
    say "host $id: formatting $(rel "$root/data") (cluster $CLUSTER_ID)"
    LOG_DIR="$root/logs" "$root/current/bin/kafka-storage.sh" format -t "$CLUSTER_ID" \
      -c "$root/config/server.properties" "${scram[@]+"${scram[@]}"}" >"$root/logs/format.log" 2>&1 &
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

# known_hosts_line ip root: the known_hosts line of the sshd on ip (at SANDBOX_SSH_PORT) whose host
# key is under root/ssh/.
known_hosts_line() {
  local host="$1" line
  read -r -a line <"$2/ssh/ssh_host_ed25519_key.pub" || return 1
  [ "$SANDBOX_SSH_PORT" -eq 22 ] || host="[$host]:$SANDBOX_SSH_PORT"
  printf '%s %s %s' "$host" "${line[0]}" "${line[1]}"
}

write_known_hosts() {
  local id content=""
  for ((id = 1; id <= N; id++)); do
    content+="$(known_hosts_line "$(host_ip "$id")" "$(host_root "$id")")"$'\n'
  done
  if [ "$SANDBOX_METADATA" = zookeeper ]; then
    for ((id = 1; id <= ZK_NODES; id++)); do
      content+="$(known_hosts_line "$(zk_ip "$id")" "$(zk_root "$id")")"$'\n'
    done
  fi
  if [ "$SANDBOX_BASTION" = 1 ]; then
    # The jump host, on host_ip 0.
    content+="$(known_hosts_line "$(host_ip 0)" "$BASTION_ROOT")"$'\n'
  fi
  write_if_changed "$SSH_DIR/known_hosts" "${content%$'\n'}" || true
}

# inventory_service indent root script: an inventory service block (start, stop and status through
# root/bin/<script>, boot_id from root/run/boot_id), every line after a newline and indent.
inventory_service() {
  local in="$1" root="$2" script="$3"
  printf '\n%s%s' "$in" "service:" \
    "$in" "  start: $root/bin/$script start" \
    "$in" "  stop: $root/bin/$script stop" \
    "$in" "  status: $root/bin/$script status" \
    "$in" "  boot_id: cat $root/run/boot_id"
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
    host_key_policy: strict"
  if [ "$SANDBOX_BASTION" = 1 ]; then
    y+="
    bastion: {host: $(host_ip 0), port: $SANDBOX_SSH_PORT}"
  fi
  y+="
clusters:
  - name: $SANDBOX_CLUSTER_NAME
    bootstrap: [$bootstrap]"
  if [ "$SANDBOX_SECURITY" = sasl_ssl ]; then
    y+="
    kafka:
      tls: {ca_file: $TLS_DIR/ca.pem}
      sasl: {mechanism: SCRAM-SHA-512, user: kfleet, password_file: $SECRETS_DIR/kfleet.password}"
  fi
  if [ "$SANDBOX_METADATA" = zookeeper ]; then
    y+="
    metadata:
      mode: zookeeper
      zookeeper:
        chroot: $ZK_CHROOT
        nodes:"
    for ((id = 1; id <= ZK_NODES; id++)); do
      root="$(zk_root "$id")"
      y+="
          - id: $id
            host: $(zk_ip "$id")
            client_port: $ZK_CLIENT_PORT"
      y+="$(inventory_service '            ' "$root" zookeeper-service)"
    done
  fi
  y+="
    brokers:"
  for ((id = 1; id <= N; id++)); do
    root="$(host_root "$id")"
    y+="
      - id: $id
        host: $(host_ip "$id")
        rack: $(host_rack "$id")
        install:
          root: $root
          config_file: $root/config/server.properties"
    y+="$(inventory_service '        ' "$root" kafka-service)"
  done
  write_if_changed "$INVENTORY" "$y" || true
}

start_sshd() {
  start_sshd_at "$(host_root "$1")" "host $1" "$(host_ip "$1")"
}

# start_sshd_at root label ip: starts the sshd of root $1 (a host or the bastion) unless it runs.
start_sshd_at() {
  local root="$1" label="$2" ip="$3"
  if sshd_pid "$root" >/dev/null; then
    return 0
  fi
  rm -f "$root/run/sshd.pid"
  /usr/sbin/sshd -t -f "$root/ssh/sshd_config" 2>"$root/logs/sshd-check.log" ||
    die "$label: sshd rejects $(rel "$root/ssh/sshd_config"): $(cat "$root/logs/sshd-check.log")"
  /usr/sbin/sshd -f "$root/ssh/sshd_config" -E "$root/logs/sshd.log" 9>&- ||
    die "$label: sshd failed to start; see $(rel "$root/logs/sshd.log")"
  say "$label: sshd started on $ip:$SANDBOX_SSH_PORT"
}

start_broker() {
  start_service "$(host_root "$1")" kafka-service "host $1" broker
}

# start_service root script label what: starts root/bin/<script> (kafka-service, zookeeper-service)
# unless it runs, and says "<label>: <what> started pid N".
start_service() {
  local root="$1" script="$2" label="$3" what="$4" out
  if "$root/bin/$script" status >/dev/null; then
    return 0
  fi
  out="$("$root/bin/$script" start 2>&1 9>&-)" ||
    die "$label: $script start failed: $out"
  say "$label: $what $out"
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

# The root of host id $1, or of the jump host for id "bastion" (as wait_for_ports names it).
sshd_or_host_root() {
  case "$1" in
    bastion) printf '%s' "$BASTION_ROOT" ;;
    zk*) zk_root "${1#zk}" ;;
    *) host_root "$1" ;;
  esac
}
# "host N", "zookeeper N", or "the bastion".
sshd_name() {
  case "$1" in
    bastion) printf 'the bastion' ;;
    zk*) printf 'zookeeper %s' "${1#zk}" ;;
    *) printf 'host %s' "$1" ;;
  esac
}

# Waits until every broker and sshd port accepts connections; fails early when a broker died.
wait_for_ports() {
  local deadline=$((SECONDS + SANDBOX_WAIT_TIMEOUT)) id pending=() what
  for ((id = 1; id <= N; id++)); do
    pending+=("broker $id $(host_ip "$id") $KAFKA_PORT" "sshd $id $(host_ip "$id") $SANDBOX_SSH_PORT")
  done
  [ "$SANDBOX_BASTION" = 0 ] || pending+=("sshd bastion $(host_ip 0) $SANDBOX_SSH_PORT")
  if [ "$SANDBOX_METADATA" = zookeeper ]; then
    for ((id = 1; id <= ZK_NODES; id++)); do
      pending+=("sshd zk$id $(zk_ip "$id") $SANDBOX_SSH_PORT")
    done
  fi
  local first=1
  while [ "${#pending[@]}" -gt 0 ]; do
    local still=() kind hid ip port root
    for what in "${pending[@]}"; do
      read -r kind hid ip port <<<"$what"
      if port_open "$ip" "$port"; then
        continue
      fi
      root="$(sshd_or_host_root "$hid")"
      if [ "$kind" = broker ] && ! "$root/bin/kafka-service" status >/dev/null; then
        die "broker $hid exited while starting; see $(rel "$root/logs/server.log")$(last_log_lines "$root")"
      fi
      if [ "$kind" = sshd ] && ! sshd_pid "$root" >/dev/null; then
        die "sshd of $(sshd_name "$hid") exited while starting; see $(rel "$root/logs/sshd.log")$(tail -n 5 "$root/logs/sshd.log" 2>/dev/null | sed 's/^/\n  /')"
      fi
      still+=("$what")
    done
    pending=("${still[@]+"${still[@]}"}")
    [ "${#pending[@]}" -eq 0 ] && break
    if [ "$SECONDS" -ge "$deadline" ]; then
      read -r kind hid ip port <<<"${pending[0]}"
      root="$(sshd_or_host_root "$hid")"
      if [ "$kind" = broker ]; then
        die "broker $hid did not accept connections on $ip:$port within ${SANDBOX_WAIT_TIMEOUT}s; see $(rel "$root/logs/server.log")"
      fi
      die "sshd of $(sshd_name "$hid") did not accept connections on $ip:$port within ${SANDBOX_WAIT_TIMEOUT}s; see $(rel "$root/logs/sshd.log")"
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
    out="$(timeout 30 "$TOOLS/bin/kafka-broker-api-versions.sh" --bootstrap-server "$(bootstrap_servers)" \
      "${CLI_AUTH[@]+"${CLI_AUTH[@]}"}" 2>&1)" || true
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
  out="$(timeout 60 "$TOOLS/bin/kafka-topics.sh" --bootstrap-server "$(bootstrap_servers)" \
    "${CLI_AUTH[@]+"${CLI_AUTH[@]}"}" --create --if-not-exists \
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
    if out="$(timeout 30 "$TOOLS/bin/kafka-topics.sh" --bootstrap-server "$(bootstrap_servers)" \
      "${CLI_AUTH[@]+"${CLI_AUTH[@]}"}" --describe 2>&1)"; then
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

# kafka-acls.sh (this release's bin/ has no script for it), as kfleet.
kafka_acls() {
  local class=org.apache.kafka.tools.AclCommand
  [ "$MAJOR" -ge 4 ] || class=kafka.admin.AclCommand # Kafka 3.x
  timeout 60 "$TOOLS/bin/kafka-run-class.sh" "$class" \
    --bootstrap-server "$(bootstrap_servers)" "${CLI_AUTH[@]+"${CLI_AUTH[@]}"}" "$@"
}

# SANDBOX_SECURITY=sasl_ssl: gives User:viewer Describe on the cluster and Describe and
# DescribeConfigs on every topic (literal "*"), nothing else; noacl gets none. Adds only what is
# missing (one --list call when all is there); never removes ACLs.
ensure_acls() {
  local out have want missing=()
  out="$(kafka_acls --list 2>&1)" || die "kafka-acls --list failed: $out"
  # One line per ACL: "<resource type> <name> <pattern type> <principal> <operation> <permission>".
  have="$(awk '
    /^Current ACLs for resource/ {
      match($0, /resourceType=[^,]+/); type = substr($0, RSTART + 13, RLENGTH - 13)
      match($0, /name=[^,]+/); name = substr($0, RSTART + 5, RLENGTH - 5)
      match($0, /patternType=[^)]+/); pattern = substr($0, RSTART + 12, RLENGTH - 12)
    }
    /\(principal=/ {
      match($0, /principal=[^,]+/); principal = substr($0, RSTART + 10, RLENGTH - 10)
      match($0, /operation=[^,]+/); op = substr($0, RSTART + 10, RLENGTH - 10)
      match($0, /permissionType=[^)]+/); perm = substr($0, RSTART + 15, RLENGTH - 15)
      print type, name, pattern, principal, op, perm
    }' <<<"$out")"
  for want in "CLUSTER kafka-cluster LITERAL User:viewer DESCRIBE ALLOW" \
    "TOPIC * LITERAL User:viewer DESCRIBE ALLOW" "TOPIC * LITERAL User:viewer DESCRIBE_CONFIGS ALLOW"; do
    grep -qxF -- "$want" <<<"$have" || missing+=("$want")
  done
  [ "${#missing[@]}" -gt 0 ] || return 0
  out="$(kafka_acls --add --allow-principal User:viewer --operation Describe --cluster 2>&1)" ||
    die "could not add the ACLs of User:viewer on the cluster: $out"
  out="$(kafka_acls --add --allow-principal User:viewer --operation Describe --operation DescribeConfigs \
    --topic '*' --resource-pattern-type literal 2>&1)" ||
    die "could not add the ACLs of User:viewer on topic *: $out"
  say "ACLs: User:viewer may Describe the cluster and Describe, DescribeConfigs every topic (User:noacl: none)"
}

main() {
  ensure_prerequisites
  mkdir -p "$SANDBOX_DIR/hosts" "$ARTIFACTS_DIR" "$SANDBOX_DIR/tools"
  lock_sandbox
  check_security_mode
  check_metadata_mode

  bash "$SANDBOX_SRC/build-release.sh" "$VERSION"
  unpack_release "$(artifact_path "$VERSION")" "$TOOLS"
  if [ "$SANDBOX_METADATA" = zookeeper ]; then
    # The ensemble runs the ZooKeeper the Kafka release brings, unless told otherwise.
    ZK_VERSION="$SANDBOX_ZOOKEEPER_VERSION"
    if [ -z "$ZK_VERSION" ]; then
      local zk_jars=("$TOOLS"/libs/zookeeper-[0-9]*.jar)
      [ -e "${zk_jars[0]}" ] || die "Kafka $VERSION brings no zookeeper jar; set SANDBOX_ZOOKEEPER_VERSION"
      ZK_VERSION="${zk_jars[0]##*/zookeeper-}"
      ZK_VERSION="${ZK_VERSION%.jar}"
    fi
    bash "$SANDBOX_SRC/build-zookeeper.sh" "$ZK_VERSION"
  else
    ensure_cluster_id # ZooKeeper mode: the first broker makes the cluster id in ZooKeeper
  fi
  ensure_client_key
  if [ "$SANDBOX_SECURITY" = sasl_ssl ]; then
    ensure_secrets
    ensure_ca
    write_client_configs
  fi
  [ "$SANDBOX_BASTION" = 0 ] || setup_bastion

  local id root to_format=()
  if [ "$SANDBOX_METADATA" = zookeeper ]; then
    for ((id = 1; id <= ZK_NODES; id++)); do
      setup_zk_node "$id"
    done
  fi
  for ((id = 1; id <= N; id++)); do
    setup_host "$id"
    # KRaft storage is formatted before the first start; a ZooKeeper-mode broker needs none.
    [ "$SANDBOX_METADATA" = zookeeper ] || [ -f "$(host_root "$id")/data/meta.properties" ] || to_format+=("$id")
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
  if [ "$SANDBOX_METADATA" = zookeeper ]; then
    for ((id = 1; id <= ZK_NODES; id++)); do
      start_sshd_at "$(zk_root "$id")" "zookeeper $id" "$(zk_ip "$id")"
    done
    # The brokers need the ensemble: start it and wait for a leader and its followers first.
    for ((id = 1; id <= ZK_NODES; id++)); do
      start_zk_node "$id"
    done
    wait_for_ensemble
  fi
  if [ "$SANDBOX_BASTION" = 1 ]; then
    start_sshd_at "$BASTION_ROOT" bastion "$(host_ip 0)"
  elif [ -d "$BASTION_ROOT" ]; then
    stop_sshd_at "$BASTION_ROOT" bastion # SANDBOX_BASTION=0 now: the inventory no longer uses it
  fi
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
  [ "$SANDBOX_SECURITY" = plaintext ] || ensure_acls

  if ! wait "$next_pid"; then
    cat "$next_log" >&2
    die "building release $SANDBOX_KAFKA_NEXT_VERSION failed (see above)"
  fi
  grep -v 'already built' "$next_log" || true
  rm -f "$next_log"

  say "up in $((SECONDS - began))s: cluster $SANDBOX_CLUSTER_NAME, $N broker(s) on Kafka $VERSION, bootstrap $(bootstrap_servers)"
  if [ "$SANDBOX_METADATA" = zookeeper ]; then
    say "zookeeper: $ZK_NODES-node ensemble on ZooKeeper $ZK_VERSION, zookeeper.connect $(zookeeper_connect)"
  fi
  say "inventory $(rel "$INVENTORY"); ssh: ssh -i $(rel "$SSH_DIR/id_ed25519") -o UserKnownHostsFile=$(rel "$SSH_DIR/known_hosts") -p $SANDBOX_SSH_PORT $(id -un)@$(host_ip 1)"
  if [ "$SANDBOX_SECURITY" = sasl_ssl ]; then
    say "kafka: SASL_SSL (users kfleet, viewer, noacl; passwords in $(rel "$SECRETS_DIR")/); Kafka CLI tools: --command-config $(rel "$CLIENT_CONFIG")"
  fi
  if [ "$SANDBOX_BASTION" = 1 ]; then
    say "bastion: $(host_ip 0):$SANDBOX_SSH_PORT (the inventory reaches every host through it; log $(rel "$BASTION_ROOT/logs/sshd.log"))"
  fi
}

main "$@"
