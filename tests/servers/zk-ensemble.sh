#!/usr/bin/env bash
# A 3-node ZooKeeper ensemble on one machine, for failover tests.
#
#   tests/servers/zk-ensemble.sh start        # start all 3 nodes, wait until they form a quorum
#   tests/servers/zk-ensemble.sh start N      # (re)start node N (1..3), wait until it serves
#   tests/servers/zk-ensemble.sh kill N       # SIGKILL node N (a crash, no clean shutdown)
#   tests/servers/zk-ensemble.sh stop [N]     # clean stop of node N, or of all nodes
#   tests/servers/zk-ensemble.sh status       # mode of each node (leader/follower/down)
#   tests/servers/zk-ensemble.sh leader       # prints the number of the current leader
#
# Nodes listen on 127.0.0.1: client ports $BAYRES_ZK_ENSEMBLE_PORTS (2191 2192 2193), quorum
# ports 2891-2893, election ports 3891-3893; state and logs in $BAYRES_SERVERS_DIR/zk-ensemble.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

node_mode() { # N -> leader|follower|standalone|down|not-serving
  local out
  out="$(zk_4lw "${ZK_ENS_CLIENT_PORTS[$1 - 1]}" srvr)" || { echo down; return; }
  if grep -q '^Mode:' <<<"$out"; then
    sed -n 's/^Mode: //p' <<<"$out"
  elif [[ -z "$out" ]]; then
    echo down
  else
    echo not-serving
  fi
}

check_n() { [[ "${1:-}" =~ ^[123]$ ]] || die "node number must be 1, 2 or 3 (got '${1:-}')"; }

start_nodes() { # N...
  zk_check_installed
  local n pid t0 pids=() launched=0
  t0="$(now)"
  for n in "$@"; do
    if pid="$(live_pid "zk-ensemble-$n" "$(zk_ens_dir "$n")/zoo.cfg")"; then
      log "zk-ensemble node $n already running (pid $pid)"
    else
      log "zk-ensemble node $n: starting on $BIND_HOST:${ZK_ENS_CLIENT_PORTS[n - 1]}"
      pid="$(zk_ens_launch "$n")"
      launched=1
    fi
    pids+=("$pid")
  done
  local i=0
  for n in "$@"; do
    wait_ready "zk-ensemble-$n" "${pids[i]}" "$(zk_ens_dir "$n")/zookeeper.log" \
      zk_ready "${ZK_ENS_CLIENT_PORTS[n - 1]}" || die "zk-ensemble node $n did not start"
    i=$((i + 1))
  done
  local t
  t="$(elapsed "$t0")"
  ((launched == 0)) || record_time "zk-ensemble($*)" "$t"
  log "zk-ensemble node(s) $* ready in ${t}s: $(hosts)"
}

hosts() {
  local p out=()
  for p in "${ZK_ENS_CLIENT_PORTS[@]}"; do out+=("$BIND_HOST:$p"); done
  (IFS=,; echo "${out[*]}")
}

cmd="${1:-status}"
shift || true
case "$cmd" in
  start)
    if (($# == 0)); then start_nodes 1 2 3; else check_n "$1"; start_nodes "$1"; fi ;;
  kill)
    check_n "${1:-}"
    if pid="$(live_pid "zk-ensemble-$1" "$(zk_ens_dir "$1")/zoo.cfg")"; then
      log "zk-ensemble: killing node $1 (pid $pid) with SIGKILL"
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid"
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      rm -f "$(pidfile "zk-ensemble-$1")"
    else
      log "zk-ensemble node $1 is not running"
    fi ;;
  stop)
    if (($# == 0)); then set -- 1 2 3; else check_n "$1"; fi
    for n in "$@"; do stop_server "zk-ensemble-$n" "$(zk_ens_dir "$n")/zoo.cfg" 20; done ;;
  status)
    for n in 1 2 3; do
      pid="$(live_pid "zk-ensemble-$n" "$(zk_ens_dir "$n")/zoo.cfg" || echo -)"
      printf 'node %s  %s:%s  pid %-7s %s\n' "$n" "$BIND_HOST" "${ZK_ENS_CLIENT_PORTS[n - 1]}" "$pid" "$(node_mode "$n")"
    done ;;
  leader)
    for n in 1 2 3; do [[ "$(node_mode "$n")" == leader ]] && { echo "$n"; exit 0; }; done
    exit 1 ;;
  hosts) hosts ;;
  -h | --help | help) sed -n '2,13p' "$0" ;;
  *) die "usage: zk-ensemble.sh start [N] | kill N | stop [N] | status | leader | hosts" ;;
esac
