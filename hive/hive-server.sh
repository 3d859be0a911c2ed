#!/usr/bin/env bash
# hive/hive-server.sh — HiveServer2 for an analyst, on the Hive tables of the local profile.
#
#   hive/hive-server.sh start     # after `make run`: serve $BAYRES_HOME's tables on 127.0.0.1:10000
#   hive/hive-server.sh status    # running or not (exit 0 / 3), how to connect
#   hive/hive-server.sh stop      # stop it (TERM, KILL after a grace period); safe to repeat
#
# The server is Spark's HiveServer2-compatible Thrift server (HiveThriftServer2, shipped with
# pyspark), a Spark driver that opens the local profile's metastore itself:
#   - the embedded Derby metastore $BAYRES_HOME/metastore/metastore_db (never created here:
#     `make run` / `bayres run` creates it) and the warehouse $BAYRES_HOME/warehouse;
#   - embedded Derby admits ONE process at a time: while this server runs, `bayres run` cannot
#     open the metastore, and while a run is going this server cannot start — stop the server
#     before `make run`, start it again afterwards;
#   - if the run used a standalone metastore (BAYRES__SPARK__METASTORE_URI=thrift://…), the
#     server uses that instead of Derby.
# Any PyHive / beeline / JDBC client connects to it (see the output of `start`, hive/README.md).
#
# Settings (environment):
#   BAYRES_HOME                   what `bayres run` wrote (default: <repo>/var, as `make run`)
#   BAYRES_HIVE_SERVER_PORT       Thrift port (default 10000)
#   BAYRES_HIVE_SERVER_HOST       bind address (default 127.0.0.1 — keep it local)
#   BAYRES_HIVE_SERVER_MASTER     Spark master of the server (default local[*])
#   BAYRES_HIVE_SERVER_MEMORY     driver memory (default 2g)
#   BAYRES_HIVE_SERVER_TIMEOUT    seconds to wait until it answers (default 180)
#   BAYRES__SPARK__WAREHOUSE_DIR, BAYRES__SPARK__METASTORE_DIR, BAYRES__SPARK__METASTORE_URI,
#   BAYRES__SPARK__HIVE_DATABASE  the same overrides `bayres run` honours
#   BAYRES_PYTHON                 python with pyspark and PyHive (default <repo>/.venv/bin/python)
# Pid file and log: $BAYRES_HOME/hive-server/{hive-server.pid,hive-server.log}.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HOME_DIR="$(realpath -m -- "${BAYRES_HOME:-$REPO/var}")"
STATE="$HOME_DIR/hive-server"
PIDFILE="$STATE/hive-server.pid"
LOGFILE="$STATE/hive-server.log"
HOST="${BAYRES_HIVE_SERVER_HOST:-127.0.0.1}"
PORT="${BAYRES_HIVE_SERVER_PORT:-10000}"
MASTER="${BAYRES_HIVE_SERVER_MASTER:-local[*]}"
MEMORY="${BAYRES_HIVE_SERVER_MEMORY:-2g}"
TIMEOUT="${BAYRES_HIVE_SERVER_TIMEOUT:-180}"
DATABASE="${BAYRES__SPARK__HIVE_DATABASE:-bayres}"
METASTORE_URI="${BAYRES__SPARK__METASTORE_URI:-}"
# relative settings are taken from the working directory, as `bayres run` does
WAREHOUSE="$(realpath -m -- "${BAYRES__SPARK__WAREHOUSE_DIR:-$HOME_DIR/warehouse}")"
METASTORE_DIR="$(realpath -m -- "${BAYRES__SPARK__METASTORE_DIR:-$HOME_DIR/metastore}")"
METASTORE_DB="$METASTORE_DIR/metastore_db"
PY="${BAYRES_PYTHON:-$REPO/.venv/bin/python}"
[[ -x "$PY" ]] || PY="$(command -v python3 || true)"
# recognises our server behind the pid file (its command line contains this)
MATCH="spark.local.dir=$STATE/spark-local"

say() { printf '[hive-server] %s\n' "$*"; }
die() { printf '[hive-server] ERROR: %s\n' "$*" >&2; exit 1; }
usage() { echo "usage: $0 start|stop|status   (see the header of $0)" >&2; exit 2; }

running_pid() {
  local pid
  [[ -f "$PIDFILE" ]] || return 1
  pid="$(cat "$PIDFILE" 2>/dev/null)" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$MATCH" || return 1
  echo "$pid"
}

port_open() { (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; }

spark_home() {
  if [[ -n "${SPARK_HOME:-}" && -x "$SPARK_HOME/bin/spark-submit" ]]; then
    echo "$SPARK_HOME"
    return
  fi
  [[ -n "$PY" ]] && "$PY" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))' 2>/dev/null \
    || die "pyspark not importable with ${PY:-python3}: run \`make install\` (or set BAYRES_PYTHON / SPARK_HOME)"
}

# Answers when HiveServer2 accepts a session; prints the tables and the latest run_date.
probe() {
  "$PY" - "$HOST" "$PORT" "$DATABASE" <<'PY'
import sys
from pyhive import hive

host, port, db = sys.argv[1], int(sys.argv[2]), sys.argv[3]
conn = hive.connect(host=host, port=port, username="bayres")
cur = conn.cursor()
cur.execute("SHOW DATABASES")
if (db,) not in cur.fetchall():
    print(f"database {db} not found: did `make run` (bayres run) finish?")
    sys.exit(0)
cur.execute(f"SHOW TABLES IN {db}")
tables = sorted(r[1] for r in cur.fetchall())
print(f"tables     {db}: {', '.join(tables)}")
if "golden_resource" in tables:
    cur.execute(f"SHOW PARTITIONS {db}.golden_resource")
    parts = sorted(r[0] for r in cur.fetchall())
    days = [p.split("=", 1)[1] for p in parts]
    print(f"run dates  {', '.join(days) or 'none'}")
    if days:
        print(f"LATEST {days[-1]}")
conn.close()
PY
}

beeline_probe() {
  "$(spark_home)/bin/beeline" -u "jdbc:hive2://$HOST:$PORT/default" -n bayres --silent=true \
    --outputformat=csv2 -e 'SHOW DATABASES;' 2>/dev/null | grep -qx default
}

connect_help() {
  local sh run_date="${LATEST:-<run_date>}"
  sh="$(spark_home)"
  cat <<EOF
  HiveServer2   $HOST:$PORT   jdbc:hive2://$HOST:$PORT/$DATABASE   (any user name, no password)
  warehouse     $WAREHOUSE
  metastore     ${METASTORE_URI:-$METASTORE_DB (embedded Derby: one process at a time)}
  log           $LOGFILE

  beeline (shipped with pyspark):
    $sh/bin/beeline -u jdbc:hive2://$HOST:$PORT/$DATABASE -n \$USER
    $sh/bin/beeline -u jdbc:hive2://$HOST:$PORT/default -n \$USER --outputformat=csv2 \\
        --hivevar run_date=$run_date -f $REPO/hive/queries/resources_by_region_type.sql
  PyHive:
    from pyhive import hive
    conn = hive.connect(host="$HOST", port=$PORT, username="analyst",
                        configuration={"set:hivevar:run_date": "$run_date"})
    cur = conn.cursor()
    cur.execute(open("$REPO/hive/queries/merge_rate_by_platform.sql").read().strip().rstrip(";"))
    print(cur.fetchall())
  queries:      $REPO/hive/queries/ (parameters: hive/README.md)
  stop:         BAYRES_HOME=$HOME_DIR $0 stop   (make hive-server-stop)
                — stop it before the next \`make run\`: embedded Derby admits one process
EOF
}

# print what the probe found (tables, run dates); remember the latest run date
show_probe() {
  local line
  while IFS= read -r line; do
    case "$line" in
      "LATEST "*) LATEST="${line#LATEST }" ;;
      "") ;;
      *) printf '  %s\n' "$line" ;;
    esac
  done <<<"$1"
}

derby_busy() {  # this start's part of the log, and Derby's own log
  local hits
  hits="$({ tail -c "+$((LOG_OFFSET + 1))" "$LOGFILE"; cat "$STATE/derby.log"; } 2>/dev/null \
    | grep -c "Another instance of Derby may have already booted" || true)"
  [[ "${hits:-0}" != 0 ]] && echo "[hive-server] the Derby metastore $METASTORE_DB is in use by another process (a running \`bayres run\`?): embedded Derby admits one process at a time — start the server when the run has finished" >&2
  return 0
}

cmd_status() {
  local pid
  if pid="$(running_pid)"; then
    say "running (pid $pid) on $HOST:$PORT, tables of $HOME_DIR"
    show_probe "$(probe 2>/dev/null || true)"
    connect_help
    return 0
  fi
  say "not running (BAYRES_HOME=$HOME_DIR)"
  return 3
}

cmd_stop() {
  local pid i
  if ! pid="$(running_pid)"; then
    rm -f "$PIDFILE"
    say "not running"
    return 0
  fi
  say "stopping (pid $pid)"
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 150); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "did not stop in 30 s: killing"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  # children that outlived the driver (python workers) are in the same process group
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$PIDFILE"
  say "stopped"
}

cmd_start() {
  local pid sh deadline metastore_conf=()
  if pid="$(running_pid)"; then
    say "already running (pid $pid)"
    connect_help
    return 0
  fi
  if [[ -n "$METASTORE_URI" ]]; then
    metastore_conf=(--conf "spark.hadoop.hive.metastore.uris=$METASTORE_URI")
  else
    [[ -d "$METASTORE_DB" ]] || die "no Hive metastore at $METASTORE_DB — run the pipeline first: \`make run\` (or BAYRES_HOME=$HOME_DIR .venv/bin/bayres run)"
    metastore_conf=(--conf "spark.hadoop.javax.jdo.option.ConnectionURL=jdbc:derby:;databaseName=$METASTORE_DB;create=false"
      --conf spark.hadoop.javax.jdo.option.ConnectionDriverName=org.apache.derby.jdbc.EmbeddedDriver)
  fi
  command -v java >/dev/null || die "java missing: run \`make install\` (installs Java 17)"
  port_open && die "$HOST:$PORT is already in use by another process — set BAYRES_HIVE_SERVER_PORT (make hive-server HIVE_SERVER_PORT=…)"
  sh="$(spark_home)"
  mkdir -p "$STATE/tmp" "$STATE/spark-local" "$STATE/spark-conf"
  # quiet Spark's console logging: INFO and up goes to the log file
  cat >"$STATE/spark-conf/log4j2.properties" <<'EOF'
rootLogger.level = info
rootLogger.appenderRef.stdout.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n
logger.jetty.name = org.sparkproject.jetty
logger.jetty.level = warn
logger.datanucleus.name = DataNucleus
logger.datanucleus.level = warn
EOF
  LOG_OFFSET="$(stat -c %s "$LOGFILE" 2>/dev/null || echo 0)"
  rm -f "$STATE/derby.log"
  printf '\n===== %s starting HiveServer2 on %s:%s (BAYRES_HOME=%s) =====\n' \
    "$(date '+%F %T')" "$HOST" "$PORT" "$HOME_DIR" >>"$LOGFILE"
  say "starting Spark's Thrift server on $HOST:$PORT over $WAREHOUSE (log: $LOGFILE)"
  # setsid: own process group, so `stop` ends the driver and everything it started
  (cd "$STATE" && SPARK_HOME="$sh" SPARK_CONF_DIR="$STATE/spark-conf" SPARK_LOCAL_IP="$HOST" \
    SPARK_LOCAL_DIRS="$STATE/spark-local" PYSPARK_PYTHON="$PY" PYSPARK_DRIVER_PYTHON="$PY" \
    setsid bash -c 'echo $$ > "$0"; exec "$@"' "$PIDFILE" \
    "$sh/bin/spark-submit" \
    --class org.apache.spark.sql.hive.thriftserver.HiveThriftServer2 \
    --master "$MASTER" --name bayres-hive-server \
    --driver-memory "$MEMORY" \
    --driver-java-options "-Djava.io.tmpdir=$STATE/tmp -Dderby.system.home=$METASTORE_DIR -Dderby.stream.error.file=$STATE/derby.log" \
    --conf spark.ui.enabled=false \
    --conf spark.driver.bindAddress="$HOST" --conf spark.driver.host="$HOST" \
    --conf spark.local.dir="$STATE/spark-local" \
    --conf spark.sql.session.timeZone=UTC \
    --conf spark.sql.catalogImplementation=hive \
    --conf spark.sql.warehouse.dir="file:$WAREHOUSE" \
    "${metastore_conf[@]}" \
    --hiveconf hive.server2.thrift.port="$PORT" \
    --hiveconf hive.server2.thrift.bind.host="$HOST" \
    --hiveconf hive.server2.enable.doAs=false \
    --hiveconf hive.exec.scratchdir="$STATE/tmp/scratch" \
    --hiveconf hive.exec.local.scratchdir="$STATE/tmp/local-scratch" \
    --hiveconf hive.downloaded.resources.dir="$STATE/tmp/resources" \
    --hiveconf hive.querylog.location="$STATE/tmp/querylog" \
    --hiveconf hive.server2.logging.operation.log.location="$STATE/tmp/operation_logs" \
    spark-internal >>"$LOGFILE" 2>&1 </dev/null &)
  for _ in $(seq 50); do [[ -s "$PIDFILE" ]] && break; sleep 0.1; done
  pid="$(cat "$PIDFILE" 2>/dev/null || true)"
  [[ -n "$pid" ]] || die "the server did not start; see $LOGFILE"

  local use_pyhive=1 info=""
  "$PY" -c 'import pyhive.hive' 2>/dev/null || use_pyhive=""
  deadline=$((SECONDS + TIMEOUT))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PIDFILE"
      printf '[hive-server] ERROR: the server exited during start-up; last lines of %s:\n' "$LOGFILE" >&2
      tail -n 25 "$LOGFILE" >&2 || true
      derby_busy
      exit 1
    fi
    if port_open; then
      if [[ -n "$use_pyhive" ]]; then
        info="$(probe 2>>"$LOGFILE")" && break
      else
        beeline_probe && break
      fi
    fi
    sleep 1
  done
  if ((SECONDS >= deadline)); then
    printf '[hive-server] ERROR: not answering after %ss; last lines of %s:\n' "$TIMEOUT" "$LOGFILE" >&2
    tail -n 25 "$LOGFILE" >&2 || true
    derby_busy
    cmd_stop >&2
    exit 1
  fi
  say "ready (pid $pid)"
  show_probe "$info"
  connect_help
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  -h | --help | help) sed -n '2,29p' "$0" ;;
  *) usage ;;
esac
