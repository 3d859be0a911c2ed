#!/usr/bin/env bash
# One-shot `airflow-init` service: migrate the metadata database and set the admin password of
# Airflow's SimpleAuthManager from AIRFLOW_ADMIN_USER / AIRFLOW_ADMIN_PASSWORD (docker/.env).
set -euo pipefail

airflow db migrate
# loads of the catalogue's tables never overlap (dags/bayres_aggregate.py uses this pool)
airflow pools set bayres_load 1 "BayRes: one load of the catalogue tables at a time"

python3 - <<'PY'
import json
import os

path = os.environ["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]
user = os.environ.get("AIRFLOW_ADMIN_USER") or "admin"
password = os.environ["AIRFLOW_ADMIN_PASSWORD"]
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path, "w", encoding="utf-8") as fh:
    json.dump({user: password}, fh)
os.chmod(path, 0o600)
print(f"airflow-init: password of {user!r} set in {path}")
PY
