#!/usr/bin/env python3
"""Create the Phoenix views of hbase/phoenix/*.sql through the Phoenix Query Server (phoenixdb).

Used by the `phoenix-init` one-shot service of docker/compose.yaml, after `hbase-init` created
the HBase tables the views map. This is the path the portals use (phoenixdb → Avatica protobuf
→ PQS), so a successful run also proves that path works. The statements are
`CREATE VIEW IF NOT EXISTS …`, and a view that already exists is not created again (Phoenix
5.2's client compiling CREATE VIEW over an existing view of the same name spins a Query Server
thread forever): re-running is harmless. After creating them it reads one row from every view,
which fails loudly when a view does not match its table.

    python create_phoenix_views.py --url http://phoenix-qs:8765/ /opt/bayres-hbase/phoenix
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

_VIEW = re.compile(r'CREATE\s+VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?"?([A-Za-z0-9_.]+)"?', re.IGNORECASE)


def statements(sql: str) -> list[str]:
    """The SQL statements of a file: `--` comment lines dropped, split on `;` at line ends.

    Phoenix (through Avatica) takes one statement per execute and no trailing semicolon."""
    body = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
    parts = re.split(r";\s*(?:\n|$)", body)
    return [p.strip() for p in parts if p.strip()]


def view_name(statement: str) -> str | None:
    m = _VIEW.search(statement)
    return m.group(1) if m else None


def existing_views(cursor) -> set[str]:
    """The views Phoenix has, as ``NAME`` or ``SCHEMA.NAME``."""
    cursor.execute("SELECT DISTINCT TABLE_SCHEM, TABLE_NAME FROM SYSTEM.CATALOG WHERE TABLE_TYPE = 'v'")
    return {f"{schema}.{name}" if schema else name for schema, name in cursor.fetchall()}


def sql_files(path: Path) -> list[Path]:
    return sorted(path.glob("*.sql")) if path.is_dir() else [path]


def connect(url: str, attempts: int, delay: float):
    import phoenixdb

    for attempt in range(1, attempts + 1):
        try:
            return phoenixdb.connect(url, autocommit=True)
        except Exception as exc:  # PQS up but HBase/SYSTEM tables not ready yet
            if attempt == attempts:
                raise
            print(f"phoenix-init: {url} not ready ({exc}); retry {attempt}/{attempts} in {delay:.0f} s",
                  file=sys.stderr)
            time.sleep(delay)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sql", type=Path, help="a .sql file or a directory of them (hbase/phoenix)")
    parser.add_argument("--url", default=os.environ.get("BAYRES_PHOENIX_URL", "http://phoenix-qs:8765/"))
    parser.add_argument("--attempts", type=int, default=30)
    parser.add_argument("--delay", type=float, default=10.0)
    args = parser.parse_args(argv)

    todo = [(f, s) for f in sql_files(args.sql) for s in statements(f.read_text(encoding="utf-8"))]
    if not todo:
        print(f"phoenix-init: no statements under {args.sql}", file=sys.stderr)
        return 1
    conn = connect(args.url, args.attempts, args.delay)
    views = []
    try:
        cur = conn.cursor()
        existing = existing_views(cur)
        for path, stmt in todo:
            name = view_name(stmt)
            if name and name in existing:
                print(f"phoenix-init: {path.name}: view {name} exists")
            else:
                print(f"phoenix-init: {path.name}: {stmt.splitlines()[0]} …")
                cur.execute(stmt)
            if name:
                views.append(name)
        for name in views:
            cur.execute(f'SELECT * FROM "{name}" LIMIT 1')
            cur.fetchall()
            print(f"phoenix-init: view {name} readable")
    finally:
        conn.close()
    print(f"phoenix-init: {len(views)} views ready: {', '.join(views)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
