#!/usr/bin/env bash
# Show which test servers are running, their ports and their memory (RSS of each server's
# process group, i.e. including children such as the Thrift server's Python daemon).
#   tests/servers/status.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
source "$REPO/stack/servers.sh"

rss_kb() { # session id -> summed RSS in kB of all processes of that session
  ps -o rss= -s "$1" 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'
}

total=0
row() { # NAME MATCH PORT
  local pid rss
  if pid="$(live_pid "$1" "$2")"; then
    rss="$(rss_kb "$pid")"
    total=$((total + rss))
    printf '%-18s %-18s pid %-8s RSS %6d MiB\n' "$1" "$BIND_HOST:$3" "$pid" $((rss / 1024))
  else
    printf '%-18s %-18s %s\n' "$1" "$BIND_HOST:$3" "not running"
  fi
}

row mariadb "$STATE/mariadb/my.cnf" "$MARIADB_PORT"
row zookeeper "$STATE/zookeeper/zoo.cfg" "$ZK_PORT"
row hive-metastore "$HMS_MATCH" "$HIVE_METASTORE_PORT"
row hiveserver2 "$HS2_MATCH" "$HS2_PORT"
for n in 1 2 3; do row "zk-ensemble-$n" "$(zk_ens_dir "$n")/zoo.cfg" "${ZK_ENS_CLIENT_PORTS[n - 1]}"; done
for s in "${STACK_SERVERS[@]}"; do row "$s" "$(stack_match "$s")" "$(stack_port "$s")"; done
printf '%-18s %-18s %-12s RSS %6d MiB\n' total "" "" $((total / 1024))
echo "state: $STATE"
