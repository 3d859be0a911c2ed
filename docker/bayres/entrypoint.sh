#!/usr/bin/env bash
# Entrypoint of the bayres image (and, before Airflow's own, of the airflow image): write the
# Hadoop client configuration from the x-hadoop-env variables, then run the command.
set -euo pipefail

python3 /usr/local/lib/bayres-docker/hadoop_conf_from_env.py "${HADOOP_CONF_DIR:-/etc/hadoop/conf}"

if [ "$#" -eq 0 ]; then
  set -- bayres --help
fi
exec "$@"
