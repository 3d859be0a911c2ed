# shellcheck shell=bash
# The single-machine Hadoop stack: HDFS (NameNode, DataNode, WebHDFS), YARN (ResourceManager,
# NodeManager), HBase (master, region server, with Phoenix's coprocessors) + its Thrift server,
# and the Phoenix Query Server. Sourced by tests/servers/start.sh, stop.sh and status.sh after
# common.sh (which provides start_bg, wait_ready, live_pid, record_time, ...); see README.md.
#
# Classpaths come from stack/install.sh (Maven, pinned by stack/pom.xml) under $STACK_CACHE.
# Every JVM gets an explicit small heap; state, configuration and logs live under
# $STATE/stack/<server>; all listen on 127.0.0.1 only, ports from the environment.

STACK_SRC="$REPO/stack"
STACK_CACHE="$(realpath -m -- "${BAYRES_STACK_CACHE:-$REPO/.cache/stack}")"
SDIR="$STATE/stack"
SCONF="$SDIR/conf"

HDFS_PORT="${BAYRES_HDFS_PORT:-9000}"             # NameNode RPC (fs.defaultFS)
WEBHDFS_PORT="${BAYRES_WEBHDFS_PORT:-9870}"       # NameNode HTTP (WebHDFS)
DN_PORT="${BAYRES_DATANODE_PORT:-9866}"
DN_HTTP_PORT="${BAYRES_DATANODE_HTTP_PORT:-9864}"
DN_IPC_PORT="${BAYRES_DATANODE_IPC_PORT:-9867}"
RM_PORT="${BAYRES_YARN_RM_PORT:-8032}"
RM_SCHED_PORT="${BAYRES_YARN_SCHEDULER_PORT:-8030}"
RM_TRACKER_PORT="${BAYRES_YARN_TRACKER_PORT:-8031}"
RM_ADMIN_PORT="${BAYRES_YARN_ADMIN_PORT:-8033}"
RM_WEB_PORT="${BAYRES_YARN_WEB_PORT:-8088}"
NM_PORT="${BAYRES_YARN_NM_PORT:-8041}"
NM_LOCALIZER_PORT="${BAYRES_YARN_NM_LOCALIZER_PORT:-8040}"
NM_WEB_PORT="${BAYRES_YARN_NM_WEB_PORT:-8042}"
NM_MEMORY_MB="${BAYRES_YARN_NM_MEMORY_MB:-6144}"
NM_VCORES="${BAYRES_YARN_NM_VCORES:-4}"
HBASE_MASTER_PORT="${BAYRES_HBASE_MASTER_PORT:-16000}"
HBASE_RS_PORT="${BAYRES_HBASE_RS_PORT:-16020}"
HBASE_THRIFT_PORT="${BAYRES_HBASE_THRIFT_PORT:-9090}"
PQS_PORT="${BAYRES_PHOENIX_QS_PORT:-8765}"

# heaps (the whole stack stays near 3 GiB resident beside Spark)
XMX_NN="${BAYRES_XMX_NAMENODE:-256m}"
XMX_DN="${BAYRES_XMX_DATANODE:-160m}"
XMX_RM="${BAYRES_XMX_RESOURCEMANAGER:-320m}"
XMX_NM="${BAYRES_XMX_NODEMANAGER:-192m}"
XMX_HM="${BAYRES_XMX_HBASE_MASTER:-320m}"
XMX_RS="${BAYRES_XMX_HBASE_REGIONSERVER:-512m}"
XMX_THRIFT="${BAYRES_XMX_HBASE_THRIFT:-192m}"
XMX_PQS="${BAYRES_XMX_PHOENIX_QS:-320m}"

JAVA_HOME="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}"
export JAVA_HOME

# Java 17: the servers reflect into java.base (Hadoop's Guice/Jersey webapps, HBase's netty)
JAVA17_OPENS=(
  --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens=java.base/java.lang.invoke=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/java.util.regex=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.cs=ALL-UNNAMED
  --add-opens=java.base/sun.security.action=ALL-UNNAMED --add-opens=java.base/sun.util.calendar=ALL-UNNAMED
  --add-opens=java.base/jdk.internal.misc=ALL-UNNAMED --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED
  --add-opens=java.security.jgss/sun.security.krb5=ALL-UNNAMED
  -Dio.netty.tryReflectionSetAccessible=true
  -Dorg.apache.hbase.thirdparty.io.netty.tryReflectionSetAccessible=true
)
JVM_COMMON=(-XX:+UseSerialGC -Xss512k -XX:ReservedCodeCacheSize=64m -XX:MaxMetaspaceSize=192m
  -Djava.net.preferIPv4Stack=true -Dfile.encoding=UTF-8 "${JAVA17_OPENS[@]}")

# the servers of the stack in start order, and what each is
STACK_SERVERS=(namenode datanode resourcemanager nodemanager hbase-master hbase-regionserver hbase-thrift phoenix-qs)

stack_port() { # server -> its main port
  case "$1" in
    namenode) echo "$WEBHDFS_PORT" ;; datanode) echo "$DN_PORT" ;;
    resourcemanager) echo "$RM_WEB_PORT" ;; nodemanager) echo "$NM_WEB_PORT" ;;
    hbase-master) echo "$HBASE_MASTER_PORT" ;; hbase-regionserver) echo "$HBASE_RS_PORT" ;;
    hbase-thrift) echo "$HBASE_THRIFT_PORT" ;; phoenix-qs) echo "$PQS_PORT" ;;
  esac
}
stack_match() { echo "-Dbayres.stack=$SDIR/$1"; } # on each server's command line
stack_log() { echo "$SDIR/$1/$1.log"; }

# --- install -----------------------------------------------------------------------------

stack_installed() {
  local f
  for f in hadoop hbase phoenix-qs; do [[ -f "$STACK_CACHE/$f/.resolved" ]] || return 1; done
  [[ "$(cat "$STACK_CACHE/.pom-sha" 2>/dev/null)" == "$(stack_pom_sha)" ]]
}
stack_pom_sha() {
  cat "$STACK_SRC"/pom.xml "$STACK_SRC"/*/pom.xml $(find "$STACK_SRC/phoenix-qs/src" -type f | sort) | sha256sum | cut -c1-16
}
stack_require_installed() {
  stack_installed || bash "$STACK_SRC/install.sh" || die "stack: Maven could not resolve stack/pom.xml (see above)"
}

# classpath of a family: its conf dir, then its jars (one slf4j binding: log4j2's)
stack_cp() { # family confdir
  local jars
  jars="$(find "$STACK_CACHE/$1/lib" -name '*.jar' ! -name 'slf4j-reload4j-*' ! -name 'slf4j-log4j12-*' \
    ! -name 'reload4j-*' ! -name 'log4j-1.2.17.jar' | sort | tr '\n' ':')"
  echo "$2:$SCONF/webapps-root:${jars%:}"
}

# --- configuration -----------------------------------------------------------------------

xml_conf() { # FILE name=value ...
  local f="$1" kv
  shift
  {
    echo '<?xml version="1.0"?>'
    echo '<!-- written by stack/servers.sh; edits are overwritten on the next start -->'
    echo '<configuration>'
    for kv in "$@"; do
      printf '  <property><name>%s</name><value>%s</value></property>\n' "${kv%%=*}" "${kv#*=}"
    done
    echo '</configuration>'
  } >"$f"
}

stack_write_conf() {
  local h="$SCONF/hadoop" hb="$SCONF/hbase" q="$SCONF/phoenix-qs"
  mkdir -p "$h" "$hb" "$q" "$SDIR"/{namenode,datanode,resourcemanager,nodemanager,hbase-master,hbase-regionserver,hbase-thrift,phoenix-qs,tmp}
  local fs="hdfs://$BIND_HOST:$HDFS_PORT"
  xml_conf "$h/core-site.xml" \
    "fs.defaultFS=$fs" \
    "hadoop.tmp.dir=$SDIR/tmp" \
    "hadoop.http.staticuser.user=$(id -un)" \
    "hadoop.proxyuser.$(id -un).hosts=*" "hadoop.proxyuser.$(id -un).groups=*" \
    "ipc.client.connect.max.retries=3" "ipc.client.connect.retry.interval=500"
  xml_conf "$h/hdfs-site.xml" \
    "dfs.replication=1" "dfs.permissions.enabled=false" "dfs.webhdfs.enabled=true" \
    "dfs.namenode.name.dir=file://$SDIR/namenode/name" \
    "dfs.datanode.data.dir=file://$SDIR/datanode/data" \
    "dfs.namenode.rpc-address=$BIND_HOST:$HDFS_PORT" \
    "dfs.namenode.http-address=$BIND_HOST:$WEBHDFS_PORT" \
    "dfs.namenode.secondary.http-address=$BIND_HOST:0" \
    "dfs.datanode.address=$BIND_HOST:$DN_PORT" \
    "dfs.datanode.http.address=$BIND_HOST:$DN_HTTP_PORT" \
    "dfs.datanode.ipc.address=$BIND_HOST:$DN_IPC_PORT" \
    "dfs.datanode.hostname=$BIND_HOST" \
    "dfs.namenode.safemode.extension=0" "dfs.namenode.safemode.min.datanodes=1" \
    "dfs.namenode.heartbeat.recheck-interval=30000" "dfs.heartbeat.interval=1" \
    "dfs.namenode.handler.count=8" "dfs.datanode.handler.count=4" \
    "dfs.datanode.du.reserved=0" "dfs.namenode.resource.du.reserved=0" \
    "dfs.namenode.fs-limits.min-block-size=1024" \
    "dfs.blockreport.initialDelay=0" \
    "dfs.client.block.write.replace-datanode-on-failure.enable=false"
  local whitelist="JAVA_HOME,HADOOP_COMMON_HOME,HADOOP_HDFS_HOME,HADOOP_CONF_DIR,HADOOP_YARN_HOME,PATH,LANG,TZ"
  xml_conf "$h/yarn-site.xml" \
    "yarn.resourcemanager.hostname=$BIND_HOST" \
    "yarn.resourcemanager.address=$BIND_HOST:$RM_PORT" \
    "yarn.resourcemanager.scheduler.address=$BIND_HOST:$RM_SCHED_PORT" \
    "yarn.resourcemanager.resource-tracker.address=$BIND_HOST:$RM_TRACKER_PORT" \
    "yarn.resourcemanager.admin.address=$BIND_HOST:$RM_ADMIN_PORT" \
    "yarn.resourcemanager.webapp.address=$BIND_HOST:$RM_WEB_PORT" \
    "yarn.resourcemanager.scheduler.class=org.apache.hadoop.yarn.server.resourcemanager.scheduler.capacity.CapacityScheduler" \
    "yarn.scheduler.capacity.maximum-am-resource-percent=0.5" \
    "yarn.resourcemanager.recovery.enabled=false" \
    "yarn.nodemanager.hostname=$BIND_HOST" \
    "yarn.nodemanager.address=$BIND_HOST:$NM_PORT" \
    "yarn.nodemanager.localizer.address=$BIND_HOST:$NM_LOCALIZER_PORT" \
    "yarn.nodemanager.webapp.address=$BIND_HOST:$NM_WEB_PORT" \
    "yarn.nodemanager.resource.memory-mb=$NM_MEMORY_MB" \
    "yarn.nodemanager.resource.cpu-vcores=$NM_VCORES" \
    "yarn.scheduler.minimum-allocation-mb=256" \
    "yarn.scheduler.maximum-allocation-mb=$NM_MEMORY_MB" \
    "yarn.scheduler.maximum-allocation-vcores=$NM_VCORES" \
    "yarn.nodemanager.pmem-check-enabled=false" "yarn.nodemanager.vmem-check-enabled=false" \
    "yarn.nodemanager.local-dirs=$SDIR/nodemanager/local" \
    "yarn.nodemanager.log-dirs=$SDIR/nodemanager/logs" \
    "yarn.nodemanager.delete.debug-delay-sec=600" \
    "yarn.nodemanager.disk-health-checker.max-disk-utilization-per-disk-percentage=99.9" \
    "yarn.nodemanager.disk-health-checker.min-free-space-per-disk-mb=100" \
    "yarn.nodemanager.env-whitelist=$whitelist" \
    "yarn.log-aggregation-enable=false" \
    "yarn.nodemanager.recovery.enabled=false" \
    "yarn.resourcemanager.nodemanager-connect-retries=3" \
    "yarn.nodemanager.health-checker.interval-ms=10000"
  cat >"$h/capacity-scheduler.xml" <<'XML'
<?xml version="1.0"?>
<configuration>
  <property><name>yarn.scheduler.capacity.root.queues</name><value>default</value></property>
  <property><name>yarn.scheduler.capacity.root.default.capacity</name><value>100</value></property>
  <property><name>yarn.scheduler.capacity.root.default.maximum-capacity</name><value>100</value></property>
  <property><name>yarn.scheduler.capacity.maximum-am-resource-percent</name><value>0.5</value></property>
  <property><name>yarn.scheduler.capacity.resource-calculator</name><value>org.apache.hadoop.yarn.util.resource.DefaultResourceCalculator</value></property>
</configuration>
XML
  cp "$STACK_SRC/conf/log4j2.properties" "$SCONF/log4j2.properties"
  rm -rf "$SCONF/webapps-root" && mkdir -p "$SCONF/webapps-root" && cp -r "$STACK_SRC/conf/webapps" "$SCONF/webapps-root/"
  cp "$STACK_SRC/conf/log4j.properties" "$h/log4j.properties"
  # HBase and PQS read core-site/hdfs-site from their own conf dirs
  local d
  for d in "$hb" "$q"; do cp "$h/core-site.xml" "$h/hdfs-site.xml" "$d/"; done
  local hbase_common=(
    "hbase.cluster.distributed=true"
    "hbase.rootdir=$fs/hbase"
    "hbase.tmp.dir=$SDIR/tmp/hbase"
    "hbase.zookeeper.quorum=$BIND_HOST"
    "hbase.zookeeper.property.clientPort=$ZK_PORT"
    "zookeeper.znode.parent=${BAYRES_HBASE_ZNODE:-/hbase}"
    "hbase.unsafe.stream.capability.enforce=false"
    "hbase.wal.provider=filesystem"
    "hbase.io.compress.snappy.codec=org.apache.hadoop.hbase.io.compress.xerial.SnappyCodec"
    "hbase.regionserver.wal.codec=org.apache.hadoop.hbase.regionserver.wal.IndexedWALEditCodec"
    "phoenix.schema.isNamespaceMappingEnabled=false"
    "phoenix.queryserver.http.port=$PQS_PORT"
    "bayres.queryserver.bind.host=$BIND_HOST"
    "phoenix.queryserver.serialization=PROTOBUF"
    "phoenix.queryserver.withRemoteUserExtractor=false"
  )
  # Phoenix's RPC scheduler and controller: its metadata calls (CREATE VIEW scans SYSTEM.CHILD_LINK
  # from inside the region server) get their own handlers, instead of taking every priority
  # handler and then waiting on a hbase:meta lookup that needs one (a deadlock seen under load)
  xml_conf "$hb/hbase-site.xml" "${hbase_common[@]}" \
    "hbase.master.hostname=$BIND_HOST" "hbase.master.ipc.address=$BIND_HOST" \
    "hbase.master.port=$HBASE_MASTER_PORT" "hbase.master.info.port=-1" \
    "hbase.unsafe.regionserver.hostname=$BIND_HOST" "hbase.regionserver.hostname=$BIND_HOST" \
    "hbase.regionserver.ipc.address=$BIND_HOST" \
    "hbase.regionserver.port=$HBASE_RS_PORT" "hbase.regionserver.info.port=-1" \
    "hbase.master.wait.on.regionservers.mintostart=1" \
    "hbase.master.wait.on.regionservers.timeout=1000" \
    "hbase.regionserver.handler.count=16" "hbase.master.handler.count=10" \
    "hbase.region.server.rpc.scheduler.factory.class=org.apache.hadoop.hbase.ipc.PhoenixRpcSchedulerFactory" \
    "hbase.rpc.controllerfactory.class=org.apache.hadoop.hbase.ipc.controller.ServerRpcControllerFactory" \
    "hbase.zookeeper.property.maxClientCnxns=0" \
    "hbase.master.balancer.stochastic.maxRunningTime=1000" \
    "hbase.regionserver.global.memstore.size=0.3" \
    "hfile.block.cache.size=0.2" \
    "hbase.thrift.info.port=-1" \
    "hbase.regionserver.thrift.framed=false" "hbase.regionserver.thrift.compact=false" \
    "hbase.thrift.server.socket.read.timeout=600000"
  # PQS 6.0.0's /jmx endpoint wants Hadoop's JMXJsonServlet against its relocated servlet API
  # (true of Phoenix 5.1's embedded client, not of 5.2's): off
  xml_conf "$q/hbase-site.xml" "${hbase_common[@]}" "phoenix.queryserver.jmxjsonendpoint.disabled=true"
}

# --- launching ---------------------------------------------------------------------------

# stack_java NAME FAMILY CONFDIR XMX MAINCLASS [ARGS...]: start one server JVM in the background
stack_java() {
  local name="$1" family="$2" conf="$3" xmx="$4" main="$5"
  shift 5
  local dir="$SDIR/$name" cp
  cp="$(stack_cp "$family" "$conf")"
  local props=(
    "$(stack_match "$name")"
    -Xmx"$xmx" "${JVM_COMMON[@]}"
    -Djava.io.tmpdir="$SDIR/tmp"
    -Dlog4j.configurationFile="file:$SCONF/log4j2.properties"
    -Dlog4j2.configurationFile="file:$SCONF/log4j2.properties"
    -Dlog4j.configuration="file:$SCONF/hadoop/log4j.properties"
    -Dhadoop.log.dir="$dir" -Dhadoop.log.file="$name.log" -Dhadoop.home.dir="$STACK_CACHE/hadoop"
    -Dhadoop.root.logger=INFO,console -Dyarn.log.dir="$dir"
    -Dhbase.log.dir="$dir" -Dhbase.root.logger=INFO,console -Dhbase.home.dir="$STACK_CACHE/hbase"
  )
  (cd "$dir" && HADOOP_CONF_DIR="$SCONF/hadoop" HADOOP_HOME="$STACK_CACHE/hadoop" \
    HADOOP_COMMON_HOME="$STACK_CACHE/hadoop" HADOOP_HDFS_HOME="$STACK_CACHE/hadoop" \
    HADOOP_YARN_HOME="$STACK_CACHE/hadoop" YARN_CONF_DIR="$SCONF/hadoop" \
    start_bg "$name" "$(stack_log "$name")" "$JAVA_HOME/bin/java" "${props[@]}" -cp "$cp" "$main" "$@")
}

stack_launch() { # server
  local name="$1" pid
  if pid="$(live_pid "$name" "$(stack_match "$name")")"; then
    log "$name already running (pid $pid)"
    eval "STACK_RUNNING_${name//-/_}=1"
    return
  fi
  require_free_port "$name" "$(stack_port "$name")"
  log "$name: starting on $BIND_HOST:$(stack_port "$name") (log $(stack_log "$name"))"
  eval "STACK_T0_${name//-/_}=$(now)"
  local h="$SCONF/hadoop"
  case "$name" in
    namenode)
      if [[ ! -d "$SDIR/namenode/name/current" ]]; then
        log "namenode: formatting $SDIR/namenode/name"
        mkdir -p "$SDIR/namenode"
        HADOOP_CONF_DIR="$h" "$JAVA_HOME/bin/java" -Xmx"$XMX_NN" "${JVM_COMMON[@]}" \
          -Dlog4j.configuration="file:$h/log4j.properties" -Dhadoop.home.dir="$STACK_CACHE/hadoop" \
          -cp "$(stack_cp hadoop "$h")" org.apache.hadoop.hdfs.server.namenode.NameNode \
          -format -nonInteractive -force >"$SDIR/namenode/format.log" 2>&1 \
          || { tail -n 40 "$SDIR/namenode/format.log" >&2; die "namenode: format failed (log $SDIR/namenode/format.log)"; }
      fi
      stack_java namenode hadoop "$h" "$XMX_NN" org.apache.hadoop.hdfs.server.namenode.NameNode ;;
    datanode)
      stack_java datanode hadoop "$h" "$XMX_DN" org.apache.hadoop.hdfs.server.datanode.DataNode ;;
    resourcemanager)
      stack_java resourcemanager hadoop "$h" "$XMX_RM" org.apache.hadoop.yarn.server.resourcemanager.ResourceManager ;;
    nodemanager)
      stack_java nodemanager hadoop "$h" "$XMX_NM" org.apache.hadoop.yarn.server.nodemanager.NodeManager ;;
    hbase-master)
      stack_java hbase-master hbase "$SCONF/hbase" "$XMX_HM" org.apache.hadoop.hbase.master.HMaster start ;;
    hbase-regionserver)
      stack_java hbase-regionserver hbase "$SCONF/hbase" "$XMX_RS" org.apache.hadoop.hbase.regionserver.HRegionServer start ;;
    hbase-thrift)
      # thrift1 (the API happybase speaks), thread pool server, buffered transport, binary protocol
      stack_java hbase-thrift hbase "$SCONF/hbase" "$XMX_THRIFT" org.apache.hadoop.hbase.thrift.ThriftServer \
        -threadpool -b "$BIND_HOST" -p "$HBASE_THRIFT_PORT" start ;;
    phoenix-qs)
      stack_java phoenix-qs phoenix-qs "$SCONF/phoenix-qs" "$XMX_PQS" org.apache.phoenix.queryserver.server.QueryServer ;;
  esac
}

# --- readiness probes --------------------------------------------------------------------

stack_probe() { # server: exit 0 once it answers for real
  local name="$1"
  case "$name" in
    namenode) "$PY" "$STACK_SRC/probe.py" webhdfs "$BIND_HOST" "$WEBHDFS_PORT" ;;
    datanode) "$PY" "$STACK_SRC/probe.py" hdfs-ready "$BIND_HOST" "$WEBHDFS_PORT" ;;
    resourcemanager) "$PY" "$STACK_SRC/probe.py" rm "$BIND_HOST" "$RM_WEB_PORT" ;;
    nodemanager) "$PY" "$STACK_SRC/probe.py" nm "$BIND_HOST" "$RM_WEB_PORT" ;;
    hbase-master) port_open "$HBASE_MASTER_PORT" &&
      "$PY" "$STACK_SRC/probe.py" hbase-master "$BIND_HOST:$ZK_PORT" "${BAYRES_HBASE_ZNODE:-/hbase}" ;;
    hbase-regionserver) port_open "$HBASE_RS_PORT" &&
      "$PY" "$STACK_SRC/probe.py" hbase-rs "$BIND_HOST:$ZK_PORT" "${BAYRES_HBASE_ZNODE:-/hbase}" "$HBASE_RS_PORT" ;;
    hbase-thrift) port_open "$HBASE_THRIFT_PORT" && "$PY" "$STACK_SRC/probe.py" thrift "$BIND_HOST" "$HBASE_THRIFT_PORT" ;;
    phoenix-qs) port_open "$PQS_PORT" && timeout 150 "$PY" "$STACK_SRC/probe.py" phoenix "$BIND_HOST" "$PQS_PORT" ;;
  esac
}

stack_ready() { # server
  local name="$1" pid t v
  pid="$(live_pid "$name" "$(stack_match "$name")")" || {
    log "$name is not running; last lines of $(stack_log "$name"):"
    tail -n 60 "$(stack_log "$name")" >&2 || true
    die "$name did not start ($BIND_HOST:$(stack_port "$name"))"
  }
  wait_ready "$name" "$pid" "$(stack_log "$name")" stack_probe "$name" \
    || die "$name ($BIND_HOST:$(stack_port "$name")) did not become ready; log: $(stack_log "$name")"
  v="STACK_T0_${name//-/_}"
  if [[ -z "$(eval echo "\${STACK_RUNNING_${name//-/_}:-}")" ]]; then
    t="$(elapsed "${!v}")"
    record_time "$name" "$t"
    log "$name ready in ${t}s ($BIND_HOST:$(stack_port "$name"))"
  fi
}

# start the stack; ZooKeeper must already serve on $ZK_PORT (start.sh starts it first)
stack_start() {
  stack_require_installed
  zk_ready "$ZK_PORT" || die "stack: ZooKeeper is not serving on $BIND_HOST:$ZK_PORT (start.sh zookeeper stack)"
  stack_write_conf
  local t0
  t0="$(now)"
  # HDFS and YARN all at once (a DataNode / NodeManager retries until its master listens);
  # HBase once HDFS is out of safe mode; PQS and Thrift after HBase.
  # The region server only once the master has registered in ZooKeeper: a region server whose
  # ZooKeeper watcher starts before the master has created the base znode (/hbase, on a fresh
  # ZooKeeper) never learns where hbase:meta is (its MetaRegionLocationCache watches the children
  # of a znode that did not exist, so no watch is left), and every call of its own server-side
  # connection -- Phoenix's CREATE VIEW (MetaDataEndpointImpl.createTable -> dropChildViews) --
  # retries "no meta location available" until the client times out.
  stack_launch namenode
  stack_launch datanode
  stack_launch resourcemanager
  stack_launch nodemanager
  stack_ready namenode
  stack_ready datanode
  stack_ready resourcemanager
  stack_launch hbase-master
  stack_ready hbase-master
  stack_launch hbase-regionserver
  stack_ready hbase-regionserver
  stack_launch hbase-thrift
  stack_launch phoenix-qs
  stack_ready nodemanager
  stack_ready hbase-thrift
  stack_ready phoenix-qs
  log "stack ready in $(elapsed "$t0")s: hdfs://$BIND_HOST:$HDFS_PORT, WebHDFS http://$BIND_HOST:$WEBHDFS_PORT, YARN http://$BIND_HOST:$RM_WEB_PORT, HBase Thrift $BIND_HOST:$HBASE_THRIFT_PORT, Phoenix QS http://$BIND_HOST:$PQS_PORT/ (HADOOP_CONF_DIR=$SCONF/hadoop)"
}

stack_stop() { # servers in reverse order, HBase before HDFS
  stop_server phoenix-qs "$(stack_match phoenix-qs)" 20 &
  stop_server hbase-thrift "$(stack_match hbase-thrift)" 20 &
  wait
  stop_server hbase-regionserver "$(stack_match hbase-regionserver)" 30 &
  stop_server nodemanager "$(stack_match nodemanager)" 20 &
  wait
  stop_server hbase-master "$(stack_match hbase-master)" 20 &
  stop_server resourcemanager "$(stack_match resourcemanager)" 20 &
  wait
  stop_server datanode "$(stack_match datanode)" 20 &
  stop_server namenode "$(stack_match namenode)" 20 &
  wait
}
