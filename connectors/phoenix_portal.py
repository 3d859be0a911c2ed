"""The portal's read layer: the query library of ``hbase/queries/`` on Phoenix or the serving store.

Small on purpose, so a portal can copy it. Every query is one ``.sql`` file in the common SQL
subset of Phoenix and DuckDB (upper-case unquoted identifiers, ``?`` placeholders — the qmark
paramstyle of both phoenixdb and DuckDB), headed by comments saying what it answers and its
``@param`` lines. The same text runs on:

* Phoenix Query Server: ``PortalQueries.open("http://pqs:8765/")`` (phoenixdb, autocommit) or
  ``PortalQueries.open("phoenix://pqs:8765/")`` (phoenixdb's SQLAlchemy dialect);
* the embedded serving store (``local`` profile): ``PortalQueries.open("/path/serving.duckdb")``.

Rows come back as dicts keyed by the upper-case column names; NULL is None, dates are
'YYYY-MM-DD' strings, UNSIGNED_DOUBLE/DOUBLE float, UNSIGNED_LONG/BIGINT int, BOOLEAN bool.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

#: hbase/queries/ of this repository (pass ``queries_dir`` when the module is copied elsewhere)
QUERIES_DIR = Path(__file__).resolve().parent.parent / "hbase" / "queries"
_PARAM = re.compile(r"^--\s*@param\s+(\w+)\s+(\w+)\s*(.*)$")
_TABLE = re.compile(r"\bBAYRES_[A-Z_]+\b")


@dataclass(frozen=True)
class Query:
    """One query of the library: its name (file stem), SQL without comments, header, params."""

    name: str
    sql: str
    doc: str
    params: tuple[str, ...]


@dataclass(frozen=True)
class Page:
    """A page of a keyset-paged listing; ``next_after`` is None on the last page."""

    rows: list[dict[str, Any]]
    next_after: str | None


def load_queries(queries_dir: Path | str = QUERIES_DIR) -> dict[str, Query]:
    """Every ``*.sql`` of the folder, by file stem. Comment lines are header, the rest is SQL."""
    queries = {}
    for path in sorted(Path(queries_dir).glob("*.sql")):
        lines = path.read_text("utf-8").splitlines()
        header = [ln for ln in lines if ln.lstrip().startswith("--")]
        sql = "\n".join(ln for ln in lines if ln.strip() and not ln.lstrip().startswith("--"))
        params = tuple(m.group(1) for ln in header if (m := _PARAM.match(ln.strip())))
        if sql.count("?") != len(params):
            raise ValueError(f"{path.name}: {sql.count('?')} placeholders, {len(params)} @param lines")
        queries[path.stem] = Query(path.stem, sql, "\n".join(ln.lstrip("- ") for ln in header), params)
    return queries


def recency(since: date | str) -> str:
    """``99999999 - yyyymmdd`` (8 digits): the RECENCY bound of "updated on or after ``since``"."""
    day = since.isoformat() if isinstance(since, date) else str(since)
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", day[:10]):
        raise ValueError(f"not an ISO date: {since!r}")
    return f"{99999999 - int(day[:10].replace('-', '')):08d}"


def connect(url: str):
    """A DB-API connection (qmark paramstyle) for a store URL; see the module docstring."""
    if url.startswith(("http://", "https://")):
        import phoenixdb

        return phoenixdb.connect(url, autocommit=True)
    if url.startswith("phoenix://"):
        import sqlalchemy

        return sqlalchemy.create_engine(url).raw_connection()  # phoenixdb underneath
    import duckdb

    path = url[len("duckdb://"):] if url.startswith("duckdb://") else url  # duckdb:///abs → /abs
    return duckdb.connect(path, read_only=True)


class PortalQueries:
    """The portal's queries over one DB-API connection (phoenixdb, SQLAlchemy raw, DuckDB).

    ``table_prefix`` renames the tables the queries read to ``<prefix>_BAYRES_*`` (isolated test
    tables, as happybase's ``table_prefix``); portals leave it empty. ``schema`` reads the tables
    of that Phoenix schema, ``"<schema>".BAYRES_*`` (a governance audience's own views).
    """

    def __init__(self, connection, *, queries_dir: Path | str = QUERIES_DIR, table_prefix: str = "",
                 schema: str = ""):
        self.connection = connection
        self.queries = load_queries(queries_dir)
        self.table_prefix = table_prefix
        if schema and not re.fullmatch(r"[A-Z][A-Z0-9_]*", schema):
            raise ValueError(f"not a Phoenix schema name: {schema!r}")
        self.schema = schema

    @classmethod
    def open(cls, url: str, **kwargs) -> PortalQueries:
        """Connect to ``url`` (Phoenix Query Server or a serving-store file) and load the library."""
        return cls(connect(url), **kwargs)

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> PortalQueries:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---------------------------------------------------------------- generic
    def sql(self, name: str) -> str:
        """The SQL text of query ``name`` as it will be executed."""
        sql = self.queries[name].sql
        if self.table_prefix:
            sql = _TABLE.sub(lambda m: f"{self.table_prefix}_{m.group(0)}", sql)
        if self.schema:
            sql = _TABLE.sub(lambda m: f'"{self.schema}".{m.group(0)}', sql)
        return sql

    def run(self, name: str, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        """Run query ``name`` with its parameters (positional, or by their @param names)."""
        query = self.queries[name]
        if kwargs:
            if args or set(kwargs) != set(query.params):
                raise TypeError(f"{name} takes the parameters {query.params}, got {sorted(kwargs)}")
            args = tuple(kwargs[p] for p in query.params)
        if len(args) != len(query.params):
            raise TypeError(f"{name} takes {len(query.params)} parameters {query.params}, got {len(args)}")
        return self._fetch(self.sql(name), args)

    def _fetch(self, sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql, list(params) if params else None)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]
        finally:
            cursor.close()

    # ---------------------------------------------------------------- the portal's questions
    def resource(self, cstr_id: str) -> dict[str, Any] | None:
        """The golden record with this CSTR id, or None."""
        rows = self.run("resource_by_cstr", cstr_id)
        return rows[0] if rows else None

    def list_by_type_region(self, resource_type: str, region: str, *, page_size: int = 50,
                            after: str | None = None) -> Page:
        """One page of the resources of a type in a region, by CSTR id; pass ``next_after`` of
        the previous page as ``after`` for the next one (a full last page is followed by an
        empty one)."""
        if page_size < 1:
            raise ValueError("page_size must be >= 1")
        if after:
            rows = self.run("list_by_type_region_after", resource_type, region, after, page_size)
        else:
            rows = self.run("list_by_type_region", resource_type, region, page_size)
        return Page(rows, rows[-1]["CSTR_ID"] if len(rows) == page_size else None)

    def recent_changes(self, since: date | str, *, limit: int = 50) -> list[dict[str, Any]]:
        """Resources updated on or after ``since``, newest first (then by CSTR id)."""
        return self.run("recent_changes", recency(since), limit)

    def counts_by_region_type(self) -> list[dict[str, Any]]:
        """Number of resources per region and type: REGION, RESOURCE_TYPE, RESOURCE_COUNT."""
        return self.run("count_by_region_type")

    def lineage(self, cstr_id: str) -> list[dict[str, Any]]:
        """The source records merged into a golden record, by record id."""
        return self.run("lineage_of_resource", cstr_id)
