# shellcheck shell=bash
# Point the cluster profile (conf/profiles/cluster.yaml) at the stack of this machine:
#   source stack/cluster-env.sh && .venv/bin/bayres --profile cluster run
# (make stack-up first). Also writes the Spark defaults that Spark on this one-node YARN
# needs: the jars and Python are the same files on the "node" (local:), nothing is uploaded.
_STACK_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_STACK_STATE="$(realpath -m -- "${BAYRES_SERVERS_DIR:-$_STACK_REPO/.servers}")"
export BAYRES_PROFILE=cluster
export BAYRES_HOME="${BAYRES_HOME:-$_STACK_REPO/var/cluster}"
export BAYRES_NAMENODE=127.0.0.1 BAYRES_HDFS_PORT="${BAYRES_HDFS_PORT:-9000}"
export BAYRES_WEBHDFS_PORT="${BAYRES_WEBHDFS_PORT:-9870}" BAYRES_HDFS_USER="${BAYRES_HDFS_USER:-bayres}"
export BAYRES_DB_HOST=127.0.0.1 BAYRES_DB_PORT="${BAYRES_MARIADB_PORT:-3307}"
export BAYRES_DB_USER="${BAYRES_DB_USER:-bayres}" BAYRES_DB_PASSWORD="${BAYRES_DB_PASSWORD:-bayres}"
export BAYRES_ZK_HOSTS="127.0.0.1:${BAYRES_ZK_PORT:-2181}"
export BAYRES_METASTORE=127.0.0.1 BAYRES_HIVESERVER2=127.0.0.1
export BAYRES_HBASE_THRIFT=127.0.0.1 BAYRES_PHOENIX_QS=127.0.0.1
export HADOOP_CONF_DIR="$_STACK_STATE/stack/conf/hadoop" YARN_CONF_DIR="$_STACK_STATE/stack/conf/hadoop"
export HADOOP_USER_NAME="${HADOOP_USER_NAME:-bayres}" SPARK_LOCAL_IP=127.0.0.1
# a driver and executors that fit beside the stack on one machine
export BAYRES__SPARK__DRIVER_MEMORY="${BAYRES__SPARK__DRIVER_MEMORY:-1g}"
# one shuffle partition per executor core: the linkage's Spark jobs (hundreds, on a few hundred
# rows each) cost their tasks' scheduling, not their data; Splink repartitions to the same number
export BAYRES__SPARK__SHUFFLE_PARTITIONS="${BAYRES__SPARK__SHUFFLE_PARTITIONS:-2}"
_spark_home="$("$_STACK_REPO/.venv/bin/python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')"
export SPARK_CONF_DIR="$_STACK_STATE/stack/conf/spark"
mkdir -p "$SPARK_CONF_DIR"
cat >"$SPARK_CONF_DIR/spark-defaults.conf" <<CONF
spark.yarn.jars                  local:$_spark_home/jars/*
spark.driver.host                127.0.0.1
spark.driver.bindAddress         127.0.0.1
spark.executor.instances         1
spark.executor.cores             2
spark.executor.memory            1g
spark.yarn.am.memory             384m
spark.executor.extraJavaOptions  -XX:TieredStopAtLevel=1 -XX:+UseSerialGC
spark.sql.codegen.wholeStage     false
spark.pyspark.python             $_STACK_REPO/.venv/bin/python
CONF
[[ -f "$_spark_home/conf/log4j2.properties" ]] && cp "$_spark_home/conf/log4j2.properties" "$SPARK_CONF_DIR/" 2>/dev/null
unset _STACK_REPO _STACK_STATE _spark_home
