#!/usr/bin/env bash
# pyspark's own beeline (Hive 2.3 JDBC client, shipped in pyspark/bin), connected to the test
# HiveServer2 as user bayres. Extra arguments go to beeline:
#   tests/servers/beeline.sh -e 'SHOW DATABASES;'
#   tests/servers/beeline.sh --outputformat=csv2 -f query.sql
#   tests/servers/beeline.sh                      # interactive
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
SPARK_HOME="$(spark_home)"
export SPARK_HOME
exec "$SPARK_HOME/bin/beeline" -u "jdbc:hive2://$BIND_HOST:$HS2_PORT/default" -n bayres "$@"
