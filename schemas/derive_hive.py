"""Hive DDL of the declared tables (HiveQL: valid for Spark SQL with Hive support and HiveServer2).

Tables are Parquet, partitioned by ``table.partition_by``; partition columns are not repeated in
the column list.  Column comments carry the field description and its GB/T 30523 element.
"""
from __future__ import annotations

from .fields import Field, Table
from .resource import TABLES_BY_NAME

DATABASE = "bayres"


def table_of(table: Table | str) -> Table:
    """The declared table, given itself or its name."""
    return TABLES_BY_NAME[table] if isinstance(table, str) else table


def ordered_fields(table: Table | str) -> list[Field]:
    """Data fields in declaration order, then the partition fields — the order Hive stores them."""
    t = table_of(table)
    return ([f for f in t.fields if f.name not in t.partition_by]
            + [t.field(p) for p in t.partition_by])


def quote(text: str) -> str:
    """A HiveQL/Spark SQL string literal."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def column_comment(field: Field) -> str:
    """Description and GB/T 30523 element, e.g. ``Name as published (GB/T 30523: 资源名称)``."""
    parts = [field.description] if field.description else []
    if field.gbt30523:
        parts.append(f"(GB/T 30523: {field.gbt30523})")
    return " ".join(parts)


def _column(field: Field) -> str:
    comment = column_comment(field)
    return f"`{field.name}` {field.hive_type}" + (f" COMMENT {quote(comment)}" if comment else "")


def hive_ddl(table: Table | str, database: str = DATABASE, location: str | None = None) -> str:
    """``CREATE [EXTERNAL] TABLE IF NOT EXISTS <database>.<name> ...`` (no trailing semicolon).

    With a ``location`` the table is EXTERNAL over that directory (dropping it keeps the data).
    """
    t = table_of(table)
    fields = ordered_fields(t)
    data = [_column(f) for f in fields if f.name not in t.partition_by]
    parts = [_column(f) for f in fields if f.name in t.partition_by]
    props = {
        "bayres.key": ",".join(t.key),
        "bayres.mandatory": ",".join(f.name for f in fields if f.mandatory),
    }
    lines = [f"CREATE {'EXTERNAL ' if location else ''}TABLE IF NOT EXISTS `{database}`.`{t.name}` (",
             ",\n".join("  " + c for c in data),
             ")",
             f"COMMENT {quote(t.description)}"]
    if parts:
        lines.append("PARTITIONED BY (" + ", ".join(parts) + ")")
    lines.append("STORED AS PARQUET")
    if location:
        lines.append(f"LOCATION {quote(location)}")
    lines.append("TBLPROPERTIES (" + ", ".join(f"{quote(k)}={quote(v)}" for k, v in props.items()) + ")")
    return "\n".join(lines)


def hive_add_columns_ddl(table: Table | str, names, database: str = DATABASE) -> str:
    """``ALTER TABLE <database>.<name> ADD COLUMNS (...)`` for declared data fields ``names``
    (a table made by an earlier BayRes gains the fields declared since; Hive appends them after
    the existing data columns, before the partition columns)."""
    t = table_of(table)
    cols = [_column(t.field(n)) for n in names]
    return f"ALTER TABLE `{database}`.`{t.name}` ADD COLUMNS (" + ", ".join(cols) + ")"


def hive_database_ddl(database: str = DATABASE) -> str:
    """``CREATE DATABASE IF NOT EXISTS <database>`` (no trailing semicolon)."""
    return f"CREATE DATABASE IF NOT EXISTS `{database}` COMMENT {quote('BayRes S&T resource catalogue')}"
