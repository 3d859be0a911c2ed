#!/usr/bin/env bash
# Write the Hadoop client configuration (Spark on YARN from Airflow tasks), then hand over to
# the Airflow image's own entrypoint.
set -euo pipefail
python3 /usr/local/lib/bayres-docker/hadoop_conf_from_env.py "${HADOOP_CONF_DIR:-/etc/hadoop/conf}"
exec /entrypoint "$@"
