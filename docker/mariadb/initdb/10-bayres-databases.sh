#!/bin/bash
# Sourced by the official mariadb image's entrypoint on first start (empty data volume), after
# it created the application user from MARIADB_USER / MARIADB_PASSWORD.
# One database per sample platform, as conf/profiles/cluster.yaml `sources.databases` expects;
# the `mariadb-init` service fills them (docker/init/load_sources.py).
for db in bayres_gz bayres_sz bayres_hk bayres_mo; do
  docker_process_sql <<SQL
CREATE DATABASE IF NOT EXISTS \`${db}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
GRANT ALL PRIVILEGES ON \`${db}\`.* TO '${MARIADB_USER}'@'%';
SQL
done
