#!/usr/bin/env bash
# The sandbox fleet: SANDBOX_CLUSTERS (default 2, 1-5) sandbox clusters of 3 brokers each, run
# side by side, and one kfleet inventory that lists them all, with labels, for end-to-end tests of
# fleet rollouts (-l selectors, canaries, --max-clusters).
#
# Usage: bash sandbox/fleet.sh up|down          (make sandbox-fleet / make sandbox-fleet-down)
#
#   up    brings up, idempotently, the clusters fleet-a, fleet-b, ... each with sandbox/up.sh
#         (SANDBOX_DIR=<fleet dir>/<letter>, SANDBOX_BROKERS=3, SANDBOX_CLUSTER_NAME=fleet-<letter>,
#         SANDBOX_IP_BASE below), then writes <fleet dir>/fleet.yaml, every cluster in one inventory,
#         and checks it with `kfleet inventory validate`.
#   down  stops every cluster of the fleet dir with sandbox/down.sh (whatever SANDBOX_CLUSTERS
#         says); keeps data. Start over from nothing: down, then rm -rf <fleet dir>.
#
#   cluster   dir  hosts (SANDBOX_IP_BASE)        labels
#   fleet-a   a/   127.0.0.11-13 (10)             env=sandbox, dc=dc1, kfleet.io/canary=true
#   fleet-b   b/   127.0.0.21-23 (20)             env=sandbox, dc=dc2
#   fleet-c   c/   127.0.0.61-63 (60)             env=sandbox, dc=dc3
#   fleet-d   d/   127.0.0.71-73 (70)             env=sandbox, dc=dc4
#   fleet-e   e/   127.0.0.81-83 (80)             env=sandbox, dc=dc5
#
# fleet-a takes the addresses of the default sandbox (.sandbox, .sandbox6): stop those first (up
# refuses to start while another process holds one of its ports). 30, 40 and 50 belong to the
# deploy, config and secured sandboxes of the end-to-end tests, so those can run beside the fleet.
#
# Environment (all optional):
#   SANDBOX_FLEET_DIR   the fleet's directory (default <project>/.sandbox-fleet)
#   SANDBOX_CLUSTERS    number of clusters for up (default 2, 1-5)
#   KFLEET              command that runs kfleet to validate the inventory (default: kfleet built
#                       from this tree with go build, else bin/kfleet)
# The other SANDBOX_* settings (SANDBOX_KAFKA_VERSION, SANDBOX_SECURITY, ...) reach every cluster's
# up.sh as they are; SANDBOX_DIR, SANDBOX_IP_BASE, SANDBOX_BROKERS and SANDBOX_CLUSTER_NAME are set
# per cluster. The release tarballs are built once, in <fleet dir>/artifacts (each cluster's
# artifacts/ links there).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FLEET_DIR="${SANDBOX_FLEET_DIR:-$PROJECT_ROOT/.sandbox-fleet}"
case "$FLEET_DIR" in
  /*) ;;
  *) FLEET_DIR="$PWD/$FLEET_DIR" ;;
esac
CLUSTERS="${SANDBOX_CLUSTERS:-2}"
FLEET_INVENTORY="$FLEET_DIR/fleet.yaml"
FLEET_BROKERS=3
# Cluster i (0-based): directory and name letter, SANDBOX_IP_BASE.
LETTERS=(a b c d e)
IP_BASES=(10 20 60 70 80)

# The settings each cluster's up.sh/down.sh gets, for cluster index $1.
cluster_env() {
  printf '%s\n' "SANDBOX_DIR=$FLEET_DIR/${LETTERS[$1]}" "SANDBOX_IP_BASE=${IP_BASES[$1]}" \
    "SANDBOX_BROKERS=$FLEET_BROKERS" "SANDBOX_CLUSTER_NAME=fleet-${LETTERS[$1]}"
}

# The labels of cluster index $1, as a YAML flow mapping.
cluster_labels() {
  local labels="env: sandbox, dc: dc$(($1 + 1))"
  [ "$1" -ne 0 ] || labels+=', kfleet.io/canary: "true"'
  printf '{%s}' "$labels"
}

# Serialises fleet.sh runs on one fleet dir (fd 9, closed for the up.sh/down.sh it runs).
lock_fleet() { lock_dir "$FLEET_DIR" fleet.sh 900; }

# Refuses to start cluster index $1 while something that is not this cluster's own broker or sshd
# answers on one of its addresses' ports (another sandbox on the same IP base): up.sh would take
# that listener for its own and report the other cluster as up.
check_addresses_free() {
  local i="$1" dir="$FLEET_DIR/${LETTERS[$1]}" id ip root port who
  who="another sandbox on SANDBOX_IP_BASE=${IP_BASES[$1]}"
  [ "$i" -ne 0 ] || who+=", such as make sandbox's or .sandbox6"
  for ((id = 1; id <= FLEET_BROKERS; id++)); do
    ip="127.0.0.$((IP_BASES[i] + id))"
    root="$dir/hosts/$id"
    for port in "$KAFKA_PORT" "$CONTROLLER_PORT"; do
      if port_open "$ip" "$port" && ! "$root/bin/kafka-service" status >/dev/null 2>&1; then
        die "fleet-${LETTERS[$i]}: $ip:$port is taken by a process that is not this cluster's broker ($who?); stop it first"
      fi
    done
    if port_open "$ip" "$SANDBOX_SSH_PORT" && ! sshd_pid "$root" >/dev/null; then
      die "fleet-${LETTERS[$i]}: $ip:$SANDBOX_SSH_PORT is taken by a process that is not this cluster's sshd ($who?); stop it first"
    fi
  done
}

# inventory_part file part: from an inventory up.sh wrote, "ssh": the settings under defaults.ssh
# (unindented, one per line); "cluster": the lines of its one cluster, from "  - name:" on. Fails
# on any other structure, so that a change to up.sh's inventory cannot be merged wrongly.
inventory_part() {
  awk -v part="$2" '
    /^#/ || /^$/ { next }
    /^defaults:$/ { sec = "defaults"; next }
    /^clusters:$/ { sec = "clusters"; next }
    /^[^ ]/ { print FILENAME ": unexpected top-level line: " $0 > "/dev/stderr"; bad = 1; exit }
    sec == "defaults" && /^  ssh:$/ { next }
    sec == "defaults" && /^    [^ ]/ { if (part == "ssh") print substr($0, 5); next }
    sec == "defaults" { print FILENAME ": unexpected line under defaults (only ssh is merged): " $0 > "/dev/stderr"; bad = 1; exit }
    sec == "clusters" && /^  - name: / { if (++clusters > 1) { print FILENAME ": more than one cluster" > "/dev/stderr"; bad = 1; exit } }
    sec == "clusters" && /^    / && !clusters { print FILENAME ": a cluster line before its name: " $0 > "/dev/stderr"; bad = 1; exit }
    sec == "clusters" { if (part == "cluster") print; next }
    { print FILENAME ": unexpected line: " $0 > "/dev/stderr"; bad = 1; exit }
    END { if (!bad && !clusters) { print FILENAME ": no cluster" > "/dev/stderr"; bad = 1 } exit bad }
  ' "$1"
}

# Writes the fleet inventory: the clusters of <fleet dir>/<letter>/fleet.yaml for the first $1
# clusters, each with its labels. The defaults.ssh settings every cluster shares (user, port,
# host_key_policy) stay in defaults.ssh; the others (identity_file and known_hosts, which are per
# cluster dir, and a bastion) move to the cluster's own ssh, which overrides defaults.ssh key by key.
write_fleet_inventory() {
  local n="$1" i file line setting common=() own=() first y sources=() cluster_lines
  local -a ssh_of
  for ((i = 0; i < n; i++)); do
    file="$FLEET_DIR/${LETTERS[$i]}/fleet.yaml"
    sources+=("${LETTERS[$i]}/fleet.yaml")
    ssh_of[i]="$(inventory_part "$file" ssh)" || die "cannot merge $(rel "$file"): up.sh wrote an inventory this script does not know (see above)"
  done
  # The settings every cluster has, in the first cluster's order.
  while IFS= read -r line; do
    [ -n "$line" ] || continue
    for ((i = 1; i < n; i++)); do
      grep -qxF -- "$line" <<<"${ssh_of[i]}" || continue 2
    done
    common+=("$line")
  done <<<"${ssh_of[0]}"
  # One per line, for grep (a here-string: `printf | grep -q` can fail at random under pipefail).
  local common_lines
  common_lines="$(printf '%s\n' "${common[@]+"${common[@]}"}")"

  y="# Generated by sandbox/fleet.sh from ${sources[*]}: the local sandbox fleet. Do not edit; rerun \`make sandbox-fleet\`."
  if [ "${#common[@]}" -gt 0 ]; then
    y+=$'\ndefaults:\n  ssh:'
    for line in "${common[@]}"; do
      y+=$'\n'"    $line"
    done
  fi
  y+=$'\nclusters:'
  for ((i = 0; i < n; i++)); do
    file="$FLEET_DIR/${LETTERS[$i]}/fleet.yaml"
    cluster_lines="$(inventory_part "$file" cluster)" || die "cannot merge $(rel "$file") (see above)"
    first=1
    while IFS= read -r line; do
      y+=$'\n'"$line"
      [ "$first" -eq 1 ] || continue
      first=0
      # Right after "  - name: fleet-x": its labels, then its own ssh settings.
      [ "$line" = "  - name: fleet-${LETTERS[$i]}" ] ||
        die "$(rel "$file") names its cluster '${line#  - name: }', not fleet-${LETTERS[$i]}"
      y+=$'\n'"    labels: $(cluster_labels "$i")"
      own=()
      while IFS= read -r setting; do
        [ -n "$setting" ] || continue
        grep -qxF -- "$setting" <<<"$common_lines" || own+=("$setting")
      done <<<"${ssh_of[i]}"
      if [ "${#own[@]}" -gt 0 ]; then
        y+=$'\n    ssh:'
        for setting in "${own[@]}"; do
          y+=$'\n'"      $setting"
        done
      fi
    done <<<"$cluster_lines"
  done

  write_if_changed "$FLEET_INVENTORY" "$y" || return 0
  say "wrote $(rel "$FLEET_INVENTORY") (${n} clusters)"
}

# Checks the fleet inventory with `kfleet inventory validate`, run by $KFLEET if set, else built
# from this tree (go build ./cmd/kfleet; when the tree does not compile, bin/kfleet with a
# warning), else bin/kfleet. Fails loudly when the inventory is invalid or nothing can check it.
validate_inventory() {
  local tmp out kfleet=() rc=0
  tmp="$(mktemp -d)"
  if [ -n "${KFLEET:-}" ]; then
    read -r -a kfleet <<<"$KFLEET"
  elif command -v go >/dev/null 2>&1; then
    if out="$(cd "$PROJECT_ROOT" && go build -o "$tmp/kfleet" ./cmd/kfleet 2>&1)"; then
      kfleet=("$tmp/kfleet")
    elif [ -x "$PROJECT_ROOT/bin/kfleet" ]; then
      warn "go build ./cmd/kfleet failed, validating with bin/kfleet instead: $(head -n 3 <<<"$out" | paste -sd ' ')"
      kfleet=("$PROJECT_ROOT/bin/kfleet")
    else
      rm -rf "$tmp"
      die "cannot validate $(rel "$FLEET_INVENTORY"): go build ./cmd/kfleet failed and there is no bin/kfleet:
$out"
    fi
  elif [ -x "$PROJECT_ROOT/bin/kfleet" ]; then
    kfleet=("$PROJECT_ROOT/bin/kfleet")
  else
    rm -rf "$tmp"
    die "cannot validate $(rel "$FLEET_INVENTORY"): no go toolchain and no bin/kfleet (set KFLEET)"
  fi
  out="$(cd "$PROJECT_ROOT" && "${kfleet[@]}" -i "$FLEET_INVENTORY" inventory validate 2>&1)" || rc=$?
  rm -rf "$tmp"
  [ "$rc" -eq 0 ] || die "$(rel "$FLEET_INVENTORY") is not a valid inventory (kfleet inventory validate, exit $rc):
$out"
}

fleet_up() {
  if ! [[ "$CLUSTERS" =~ ^[0-9]+$ ]] || [ "$CLUSTERS" -lt 1 ] || [ "$CLUSTERS" -gt "${#LETTERS[@]}" ]; then
    die "SANDBOX_CLUSTERS must be a number from 1 to ${#LETTERS[@]}, got '$CLUSTERS'"
  fi
  local began="$SECONDS" i dir names=() env_i
  lock_fleet
  mkdir -p "$FLEET_DIR/artifacts"
  for ((i = 0; i < CLUSTERS; i++)); do
    check_addresses_free "$i"
  done
  for ((i = 0; i < CLUSTERS; i++)); do
    dir="$FLEET_DIR/${LETTERS[$i]}"
    mkdir -p "$dir"
    # One set of release tarballs for the whole fleet: build-release.sh skips those that exist.
    [ -e "$dir/artifacts" ] || ln -s ../artifacts "$dir/artifacts"
    mapfile -t env_i < <(cluster_env "$i")
    say "fleet-${LETTERS[$i]}: ${env_i[*]} bash sandbox/up.sh"
    env "${env_i[@]}" bash "$SANDBOX_SRC/up.sh" 9>&- || die "fleet-${LETTERS[$i]}: sandbox/up.sh failed (see above)"
    names+=("fleet-${LETTERS[$i]}")
  done
  for ((i = CLUSTERS; i < ${#LETTERS[@]}; i++)); do
    if [ -d "$FLEET_DIR/${LETTERS[$i]}/hosts" ]; then
      warn "fleet-${LETTERS[$i]} is beyond SANDBOX_CLUSTERS=$CLUSTERS: not in the inventory and left as it is (down stops it)"
    fi
  done

  write_fleet_inventory "$CLUSTERS"
  validate_inventory
  say "fleet up in $((SECONDS - began))s: ${names[*]} ($FLEET_BROKERS brokers each); inventory $(rel "$FLEET_INVENTORY")"
}

fleet_down() {
  local i dir failed=0 stopped=0 env_i
  if [ ! -d "$FLEET_DIR" ]; then
    say "nothing to stop ($(rel "$FLEET_DIR") does not exist)"
    return 0
  fi
  lock_fleet
  for ((i = 0; i < ${#LETTERS[@]}; i++)); do
    dir="$FLEET_DIR/${LETTERS[$i]}"
    [ -d "$dir/hosts" ] || continue
    mapfile -t env_i < <(cluster_env "$i")
    env "${env_i[@]}" bash "$SANDBOX_SRC/down.sh" 9>&- || {
      warn "fleet-${LETTERS[$i]}: sandbox/down.sh failed (see above)"
      failed=1
    }
    stopped=$((stopped + 1))
  done
  [ "$failed" -eq 0 ] || die "some clusters of the fleet did not stop; see the messages above"
  say "fleet down: $stopped cluster(s) stopped; data kept in $(rel "$FLEET_DIR")"
}

case "${1:-}" in
  up) fleet_up ;;
  down) fleet_down ;;
  *) die "usage: bash sandbox/fleet.sh up|down (SANDBOX_CLUSTERS=N, default 2; see the header of sandbox/fleet.sh)" ;;
esac
