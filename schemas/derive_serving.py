"""DDL of the embedded serving store (DuckDB, ``local`` profile): the Phoenix views' twins.

Same tables, same upper-case column names, same logical types (VARCHAR, DOUBLE, BIGINT, BOOLEAN;
dates as ISO VARCHAR), so a portal query library written in the common SQL subset runs on both.
Columns that are UNSIGNED in Phoenix get ``CHECK (x >= 0)`` so both stores refuse negatives.
"""
from __future__ import annotations

from .derive_hbase import SERVING_TABLES, SERVING_TABLES_BY_NAME, qualifier


def serving_columns(table_name: str) -> list[tuple[str, str]]:
    """(column name, DuckDB type) of the table, key parts first — as in the Phoenix view."""
    t = SERVING_TABLES_BY_NAME[table_name]
    return [(qualifier(f), f.serving_type) for f in t.key + t.columns]


def serving_ddl(table_name: str) -> str:
    """``CREATE TABLE IF NOT EXISTS <TABLE> (...)`` for DuckDB (no semicolon)."""
    t = SERVING_TABLES_BY_NAME[table_name]
    lines = []
    for f in t.key + t.columns:
        col = f"{qualifier(f)} {f.serving_type}"
        if len(t.key) == 1 and f is t.key[0]:
            col += " PRIMARY KEY"
        elif f in t.key:
            col += " NOT NULL"
        elif f.phoenix_type.startswith("UNSIGNED_"):
            col += f" CHECK ({qualifier(f)} >= 0)"
        lines.append(col)
    if len(t.key) > 1:
        lines.append("PRIMARY KEY (" + ", ".join(qualifier(f) for f in t.key) + ")")
    return (f"CREATE TABLE IF NOT EXISTS {t.name} (\n"
            + ",\n".join("    " + line for line in lines) + "\n)")


def serving_ddl_all() -> list[str]:
    """The DDL of every serving table, in declaration order."""
    return [serving_ddl(t.name) for t in SERVING_TABLES]
