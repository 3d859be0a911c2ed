#!/usr/bin/env bash
# Stop the BayRes test servers. Safe to call any number of times.
#   tests/servers/stop.sh                    # all of them (incl. the ZooKeeper ensemble)
#   tests/servers/stop.sh hive zookeeper     # only these
# Processes are found by the pid files under $BAYRES_SERVERS_DIR/run; each server runs in its
# own process group, which gets SIGTERM, then SIGKILL after a grace period.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
source "$REPO/stack/servers.sh"

(($# == 0)) && set -- all
want=()
for s in "$@"; do
  case "$s" in
    all) want+=(stack hiveserver2 hive-metastore zk-ensemble zookeeper mariadb) ;;
    stack | hadoop | hbase | phoenix) want+=(stack) ;;
    hive) want+=(hiveserver2 hive-metastore) ;;
    mariadb | mysql) want+=(mariadb) ;;
    zookeeper | zk) want+=(zookeeper) ;;
    hive-metastore | metastore) want+=(hive-metastore) ;;
    hiveserver2 | hs2 | thriftserver) want+=(hiveserver2) ;;
    zk-ensemble) want+=(zk-ensemble) ;;
    *) die "unknown server '$s' (mariadb zookeeper hive hive-metastore hiveserver2 zk-ensemble stack all)" ;;
  esac
done

# the stack first (HBase must leave ZooKeeper and HDFS before they stop), in its own order
for s in "${want[@]}"; do [[ "$s" == stack ]] && stack_stop; done
# the others in parallel (each stop waits for its own server to exit)
jobs_=()
for s in "${want[@]}"; do
  case "$s" in
    hiveserver2) stop_server hiveserver2 "$HS2_MATCH" 30 & jobs_+=($!) ;;
    hive-metastore) stop_server hive-metastore "$HMS_MATCH" 20 & jobs_+=($!) ;;
    zookeeper) stop_server zookeeper "$STATE/zookeeper/zoo.cfg" 20 & jobs_+=($!) ;;
    zk-ensemble)
      for n in 1 2 3; do stop_server "zk-ensemble-$n" "$(zk_ens_dir "$n")/zoo.cfg" 20 & jobs_+=($!); done ;;
    mariadb) stop_server mariadb "$STATE/mariadb/my.cnf" 60 & jobs_+=($!) ;;
  esac
done
rc=0
for j in "${jobs_[@]}"; do wait "$j" || rc=1; done
log "stopped: ${want[*]}"
exit "$rc"
