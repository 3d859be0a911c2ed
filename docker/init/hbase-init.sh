#!/usr/bin/env bash
# One-shot `hbase-init` service: create the serving tables of hbase/tables.json (mounted at
# /opt/bayres-hbase) through the HBase shell. Idempotent; exits non-zero when a create fails.
set -euo pipefail

tables_json="${BAYRES_TABLES_JSON:-/opt/bayres-hbase/tables.json}"
script="$(mktemp /tmp/bayres-tables.XXXXXX.rb)"

python3 "$(dirname "$0")/hbase_tables.py" "$tables_json" > "$script"
echo "bayres-init: HBase shell script from $tables_json:"
cat "$script"
# -n: non-interactive, a failing command ends the shell with a non-zero status
exec hbase shell -n "$script"
