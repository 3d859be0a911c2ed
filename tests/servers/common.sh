# shellcheck shell=bash
# Shared settings and helpers for the BayRes test servers. Sourced by start.sh, stop.sh,
# status.sh and zk-ensemble.sh; not meant to be run on its own.
#
# Every setting can be overridden from the environment (see README.md). Servers bind to
# 127.0.0.1 only; state, logs and pid files live under $BAYRES_SERVERS_DIR.

set -euo pipefail

SERVERS_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$SERVERS_SRC/../.." && pwd)"

STATE="$(realpath -m -- "${BAYRES_SERVERS_DIR:-$REPO/.servers}")"
BIND_HOST=127.0.0.1

MARIADB_PORT="${BAYRES_MARIADB_PORT:-3307}"
ZK_PORT="${BAYRES_ZK_PORT:-2181}"
# 3-node ensemble: client ports, quorum (peer) ports and leader-election ports, one per node
read -r -a ZK_ENS_CLIENT_PORTS <<<"${BAYRES_ZK_ENSEMBLE_PORTS:-2191 2192 2193}"
read -r -a ZK_ENS_PEER_PORTS <<<"${BAYRES_ZK_ENSEMBLE_PEER_PORTS:-2891 2892 2893}"
read -r -a ZK_ENS_ELECTION_PORTS <<<"${BAYRES_ZK_ENSEMBLE_ELECTION_PORTS:-3891 3892 3893}"
HIVE_METASTORE_PORT="${BAYRES_HIVE_METASTORE_PORT:-9083}"
HS2_PORT="${BAYRES_HS2_PORT:-10000}"
HS2_DRIVER_MEMORY="${BAYRES_HS2_DRIVER_MEMORY:-1g}"
# seconds to wait for a server to become ready
TIMEOUT="${BAYRES_SERVER_TIMEOUT:-180}"

# substrings of the servers' command lines, to recognise them behind a pid file
HMS_MATCH="databaseName=$STATE/hive/metastore_db"
HS2_MATCH="spark.local.dir=$STATE/hive/spark-local"

PY="${BAYRES_PYTHON:-$REPO/.venv/bin/python}"
[[ -x "$PY" ]] || PY="$(command -v python3)"

log() { printf '[servers] %s\n' "$*" >&2; }
die() { printf '[servers] ERROR: %s\n' "$*" >&2; exit 1; }

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# --- processes ---------------------------------------------------------------------------

pidfile() { echo "$STATE/run/$1.pid"; }

# pid of server $1 if its pid file names a live process whose command line contains $2
live_pid() {
  local f pid
  f="$(pidfile "$1")"
  [[ -f "$f" ]] || return 1
  pid="$(cat "$f" 2>/dev/null)" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  if [[ -n "${2:-}" ]]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$2" || return 1
  fi
  echo "$pid"
}

# start_bg NAME LOGFILE CMD... : run CMD detached in its own session (so stop can end the
# whole process group), stdout+stderr appended to LOGFILE, pid written to the pid file.
start_bg() {
  local name="$1" logf="$2"
  shift 2
  mkdir -p "$STATE/run" "$(dirname "$logf")"
  printf '\n===== %s starting %s =====\n' "$(date '+%F %T')" "$name" >>"$logf"
  setsid bash -c 'echo $$ > "$0"; exec "$@"' "$(pidfile "$name")" "$@" \
    >>"$logf" 2>&1 </dev/null &
  # wait for the pid file to be written by the child
  local i
  for i in $(seq 50); do [[ -s "$(pidfile "$name")" ]] && break; sleep 0.1; done
}

# stop_server NAME MATCH [GRACE_SECONDS]: TERM the process group of server NAME, KILL after grace
stop_server() {
  local name="$1" match="$2" grace="${3:-30}" pid i
  if ! pid="$(live_pid "$name" "$match")"; then
    rm -f "$(pidfile "$name")"
    return 0
  fi
  log "stopping $name (pid $pid)"
  local t0
  t0="$(now)"
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq $((grace * 5))); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name did not stop in ${grace}s; killing"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
  # children that outlived the leader (e.g. the pyspark daemon of the Thrift server)
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$(pidfile "$name")"
  log "stopped $name in $(elapsed "$t0")s"
}

# --- probes ------------------------------------------------------------------------------

port_open() { (exec 3<>"/dev/tcp/$BIND_HOST/$1") 2>/dev/null; }

# a ZooKeeper four-letter word, answer on stdout
zk_4lw() {
  local port="$1" cmd="${2:-srvr}"
  timeout 5 bash -c '
    exec 3<>"/dev/tcp/$0/$1" || exit 1
    printf "%s" "$2" >&3
    cat <&3' "$BIND_HOST" "$port" "$cmd" 2>/dev/null
}

zk_ready() { zk_4lw "$1" srvr | grep -q '^Mode:'; }

# wait_ready NAME PID LOGFILE CHECK...: poll CHECK until it succeeds; fail (showing the log
# tail) if the process dies or $TIMEOUT passes.
wait_ready() {
  local name="$1" pid="$2" logf="$3" t0 deadline
  shift 3
  t0="$(now)"
  deadline=$((SECONDS + TIMEOUT))
  while ((SECONDS < deadline)); do
    if "$@" >/dev/null 2>&1; then
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      log "$name (pid $pid) exited during start-up; last lines of $logf:"
      tail -n 60 "$logf" >&2 || true
      return 1
    fi
    sleep 0.5
  done
  log "$name not ready after ${TIMEOUT}s (still running as pid $pid); last lines of $logf:"
  tail -n 60 "$logf" >&2 || true
  return 1
}

record_time() { # NAME SECONDS
  mkdir -p "$STATE"
  printf '%s %s %s\n' "$(date '+%F %T')" "$1" "$2" >>"$STATE/startup-times.log"
}

require_free_port() { # NAME PORT
  if port_open "$2"; then
    die "$1: port $BIND_HOST:$2 is already in use by another process (not started by these scripts); stop it or set another port (see tests/servers/README.md)"
  fi
}

# --- tools -------------------------------------------------------------------------------

spark_home() {
  if [[ -n "${SPARK_HOME:-}" && -x "$SPARK_HOME/bin/spark-submit" ]]; then
    echo "$SPARK_HOME"
    return
  fi
  "$PY" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))' 2>/dev/null \
    || die "pyspark not importable with $PY (set BAYRES_PYTHON or SPARK_HOME)"
}

# LD_PRELOAD shim that turns wildcard binds into 127.0.0.1 (the Hive 2.3 metastore has no
# bind-host setting). Built on demand with gcc; empty output if gcc is missing.
bind_shim() {
  local src="$SERVERS_SRC/bind_loopback.c" so="$STATE/lib/bind_loopback.so"
  if [[ ! -f "$so" || "$src" -nt "$so" ]]; then
    command -v gcc >/dev/null 2>&1 || { log "gcc missing: Hive metastore will listen on all interfaces"; return 0; }
    mkdir -p "$STATE/lib"
    gcc -shared -fPIC -O2 -Wall -o "$so.tmp" "$src" -ldl && mv "$so.tmp" "$so"
  fi
  echo "$so"
}

# --- ZooKeeper (shared by start.sh and zk-ensemble.sh) -----------------------------------

# Debian's zookeeper.jar names its dependencies in its manifest Class-Path (netty, jetty,
# jackson, metrics, snappy, zookeeper-jute, slf4j-api, ...); only an slf4j binding is added.
ZK_CLASSPATH="/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar"
ZK_JAVA_OPTS=(-Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1
  -Dorg.slf4j.simpleLogger.showDateTime=true
  "-Dorg.slf4j.simpleLogger.dateTimeFormat=yy/MM/dd HH:mm:ss"
  -Dzookeeper.admin.enableServer=false -Dzookeeper.jmx.log4j.disable=true)

zk_check_installed() {
  [[ -f /usr/share/java/zookeeper.jar && -f /usr/share/java/slf4j-simple.jar ]] \
    || die "ZooKeeper jars missing: run tests/servers/install-debs.sh"
  command -v java >/dev/null || die "java missing: run tests/servers/install-debs.sh"
}

# zk_launch NAME DIR CLIENT_PORT [TICK_MS [SERVER_LINES...]]: write DIR/zoo.cfg and start the
# node in the background unless it is running. Prints the pid.
zk_launch() {
  local name="$1" dir="$2" port="$3" tick="${4:-2000}" pid
  shift 3
  (($# > 0)) && shift
  mkdir -p "$dir/data"
  if pid="$(live_pid "$name" "$dir/zoo.cfg")"; then
    echo "$pid"
    return 0
  fi
  require_free_port "$name" "$port"
  {
    echo "# generated by tests/servers (do not edit: rewritten at every start)"
    echo "tickTime=$tick"
    echo "initLimit=10"
    echo "syncLimit=5"
    echo "dataDir=$dir/data"
    echo "clientPort=$port"
    echo "clientPortAddress=$BIND_HOST"
    echo "maxClientCnxns=0"
    echo "4lw.commands.whitelist=*"
    echo "admin.enableServer=false"
    echo "autopurge.snapRetainCount=3"
    echo "autopurge.purgeInterval=1"
    local line
    for line in "$@"; do echo "$line"; done
  } >"$dir/zoo.cfg"
  (cd "$dir" && start_bg "$name" "$dir/zookeeper.log" \
    java "${ZK_JAVA_OPTS[@]}" -cp "$ZK_CLASSPATH" \
    org.apache.zookeeper.server.quorum.QuorumPeerMain "$dir/zoo.cfg")
  cat "$(pidfile "$name")"
}

# ensemble node N (1..3)
zk_ens_dir() { echo "$STATE/zk-ensemble/node$1"; }

zk_ens_launch() {
  local n="$1" i lines=()
  for i in 1 2 3; do
    lines+=("server.$i=$BIND_HOST:${ZK_ENS_PEER_PORTS[i - 1]}:${ZK_ENS_ELECTION_PORTS[i - 1]}")
  done
  mkdir -p "$(zk_ens_dir "$n")/data"
  echo "$n" >"$(zk_ens_dir "$n")/data/myid"
  zk_launch "zk-ensemble-$n" "$(zk_ens_dir "$n")" "${ZK_ENS_CLIENT_PORTS[n - 1]}" 1000 "${lines[@]}"
}
