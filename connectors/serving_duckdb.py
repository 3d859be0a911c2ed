"""The embedded serving store of the `local` profile: DuckDB with the Phoenix views' tables.

Tables and columns are exactly those of the Phoenix views (schemas/derive_serving.py), so the
portal's query library (hbase/queries/) runs unchanged on both stores.
"""
from __future__ import annotations

import os
from pathlib import Path

import duckdb

from bayres.schemas.derive_serving import serving_columns, serving_ddl


def _local_path(uri: str) -> str:
    return uri[len("file://"):] if uri.startswith("file://") else uri


def _replace_store(db_path: Path, fill) -> None:
    """Write a store aside (``<name>.new``), then rename it over ``db_path``: a reader opening it
    sees the old store or the new one, whole. The published file is never opened for writing, so
    a publication does not wait for (or fail on) a portal holding it open, bulk inserts go into
    empty tables (no delete of the old rows, no old index to maintain), and the file does not grow
    with the free blocks of earlier days. A run killed before the rename leaves the old store."""
    db_path = Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    aside = db_path.with_name(db_path.name + ".new")
    for stale in (aside, aside.with_name(aside.name + ".wal")):
        stale.unlink(missing_ok=True)
    try:
        with duckdb.connect(str(aside)) as con:
            fill(con)
            con.execute("CHECKPOINT")
    except BaseException:
        aside.unlink(missing_ok=True)
        raise
    # a write-ahead log left by a killed writer of the old file must not be replayed onto the new
    db_path.with_name(db_path.name + ".wal").unlink(missing_ok=True)
    os.replace(aside, db_path)


def replace_tables(db_path: Path, exported: dict[str, str]) -> dict:
    """The store holds exactly each table's Parquet export of this run (:func:`_replace_store`)."""
    counts = {}

    def fill(con):
        for name, uri in exported.items():
            con.execute(serving_ddl(name))
            columns = ", ".join(c for c, _ in serving_columns(name))
            con.execute(f"INSERT INTO {name} ({columns}) SELECT {columns} "
                        f"FROM read_parquet('{_local_path(uri)}/*.parquet')")
            counts[name] = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]

    _replace_store(db_path, fill)
    return {"store": str(db_path), "rows": counts}


def connect(db_path: Path, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """A connection for portal-style queries (read-only by default)."""
    return duckdb.connect(str(db_path), read_only=read_only)


def audience_path(audience_dir: Path, audience: str) -> Path:
    """The serving store of one governance audience."""
    return Path(audience_dir) / f"{audience}.duckdb"


def publish_audiences(db_path: Path, audience_dir: Path, rules, tables: list[str]) -> dict:
    """Per governance audience, a store of its own whose tables hold the values it may see
    (jobs/publish/governance.apply_frame on every table of the full store), each replaced whole
    (:func:`_replace_store`). Returns per audience the rows per table and the values masked/pseudonymised/
    generalised/withheld."""
    from bayres.jobs.publish.governance import apply_frame

    Path(audience_dir).mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(db_path), read_only=True) as src:
        frames = {t: src.execute(f"SELECT * FROM {t}").fetchdf() for t in tables}
    result = {}
    for audience in rules.audiences:
        counts: dict = {}
        rows = {}
        path = audience_path(audience_dir, audience)

        def fill(con, audience=audience, counts=counts, rows=rows):
            for name, frame in frames.items():
                published = apply_frame(rules, audience, frame, counts)
                con.register("published", published)
                con.execute(serving_ddl(name))
                columns = ", ".join(c for c, _ in serving_columns(name))
                con.execute(f"INSERT INTO {name} ({columns}) SELECT {columns} FROM published")
                con.unregister("published")
                rows[name] = len(published)

        _replace_store(path, fill)
        result[audience] = {"store": str(path), "rows": rows, **counts}
    return result
