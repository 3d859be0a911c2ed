"""Relational sources (``format: sql``), Sqoop-style — the ``sql:`` keys (:func:`sql_config`):

* ``database`` (key into the profile's ``sources.databases``), ``table`` or ``query``, ``where``
  (a SQL condition added to every statement, as ``--where``);
* ``mode``: ``full`` (default) | ``append`` (rows whose ``check_column`` is above the watermark)
  | ``lastmodified`` (rows whose timestamp ``check_column`` changed since the watermark;
  ``merge_key``, default the ``id_field``, is recorded so that downstream keeps the newest
  version per key);
* ``split_by`` (default the ``id_field``) and ``splits`` (``-m``, default 1): the rows are cut
  into ranges of ``split_by`` between its MIN and MAX (quantiles for text columns), read
  concurrently — one thread and one connection each — and written as separate parts, renamed in
  split order, so the output does not depend on thread timing; rows are ordered by the
  ``id_field`` within a split; with several splits ``_src_location`` reads
  ``table T split K row N``. ``split_by`` should be immutable (a key): a row whose split value
  changes while the splits are read may be read twice or not at all;
* ``fetch_size`` (rows per fetch and per Arrow batch, default 50,000; the fast path also ends
  a batch at 4 MiB); ``fast`` (default true: MySQL/MariaDB rows are cut out of the protocol
  buffer column-wise, see :mod:`bayres.connectors.mysql_protocol`).
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pyarrow as pa

from ...connectors.sql_predicates import Split, Window
from ...connectors.sql_source import Cancelled, SqlReader
from .parts import SRC_COLUMNS, ArrowParts, Part, _write

SQL_MODES = ("full", "append", "lastmodified")
_SQL_KEYS = frozenset({"database", "table", "query", "mode", "check_column", "merge_key", "split_by",
                       "splits", "fetch_size", "where", "fast"})


@dataclass(frozen=True)
class SqlConfig:
    """The ``sql:`` block of a source, checked (see :func:`sql_config`)."""
    database: str
    table: Optional[str]
    query: Optional[str]
    mode: str
    check_column: Optional[str]
    merge_key: Optional[str]
    split_by: Optional[str]
    splits: int
    fetch_size: int
    where: Optional[str]
    fast: bool
    order_by: Optional[str]

    @property
    def incremental(self) -> bool:
        return self.mode != "full"

    def origin(self) -> dict:
        """What the manifest says about where the rows came from (never the URL: credentials)."""
        origin = {"database": self.database, "order_by": self.order_by}
        origin.update({k: v for k, v in (("table", self.table), ("query", self.query),
                                         ("where", self.where)) if v})
        if self.incremental:
            origin.update(mode=self.mode, check_column=self.check_column, merge_key=self.merge_key)
        if self.splits > 1:
            origin.update(split_by=self.split_by, splits=self.splits)
        return origin


def sql_config(source: dict) -> SqlConfig:
    """Check a source's ``sql:`` block; unknown keys are refused (a typo would silently turn an
    incremental source into a full one)."""
    label = f"{source.get('platform')}/{source.get('source')}"
    sql = source.get("sql") or {}
    if not isinstance(sql, dict):
        raise ValueError(f"{label}: sql must be a mapping")
    unknown = sorted(set(sql) - _SQL_KEYS)
    if unknown:
        raise ValueError(f"{label}: unknown sql keys {unknown}; known: {sorted(_SQL_KEYS)}")
    mode = sql.get("mode") or "full"
    if mode not in SQL_MODES:
        raise ValueError(f"{label}: sql.mode {mode!r} is not one of {', '.join(SQL_MODES)}")
    table, query = sql.get("table"), sql.get("query")
    if bool(table) == bool(query):
        raise ValueError(f"{label}: give exactly one of sql.table and sql.query")
    check_column = sql.get("check_column")
    if mode != "full" and not check_column:
        raise ValueError(f"{label}: sql.mode {mode} needs sql.check_column")
    id_field = source.get("id_field")
    splits, fetch_size = sql.get("splits", 1), sql.get("fetch_size", 50_000)
    for key, value in (("splits", splits), ("fetch_size", fetch_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{label}: sql.{key} must be a positive integer, not {value!r}")
    split_by = sql.get("split_by") or (id_field if splits > 1 else None)
    if splits > 1 and not split_by:
        raise ValueError(f"{label}: sql.splits > 1 needs sql.split_by (or an id_field)")
    where = sql.get("where")
    if where is not None and (not isinstance(where, str) or not where.strip()):
        raise ValueError(f"{label}: sql.where must be a SQL condition")
    return SqlConfig(database=sql.get("database"), table=table, query=query, mode=mode,
                     check_column=check_column,
                     merge_key=sql.get("merge_key") or (id_field if mode != "full" else None),
                     split_by=split_by, splits=splits, fetch_size=fetch_size, where=where,
                     fast=bool(sql.get("fast", True)), order_by=id_field)


def extract_sql(cfg: SqlConfig, reader: SqlReader, window: Optional[Window], spool: Path,
                batch_rows: int) -> tuple[list[str], list[Part], list[dict]]:
    """Read every split (concurrently, one connection each) into parts; return the columns, the
    parts in split order renamed ``part-NNNNN.parquet``, and what each split read."""
    columns = reader.columns()
    clash = sorted(set(columns) & set(SRC_COLUMNS))
    if clash:
        raise ValueError(f"source columns {clash} clash with raw-zone columns")
    predicates = window.clauses() if window is not None else []
    splits = reader.plan_splits(cfg.split_by, cfg.splits, predicates) if cfg.splits > 1 else [Split()]
    stop = threading.Event()

    def work(split: Split) -> list[Part]:
        prefix = (f"{reader.label} row " if split.count == 1
                  else f"{reader.label} split {split.index + 1} row ")
        writer = ArrowParts(spool / f"split-{split.index:04d}", batch_rows)
        try:
            for table in reader.read([*predicates, *split.clauses()], location_prefix=prefix, stop=stop):
                writer.add(table)
            return writer.close()
        except BaseException:
            stop.set()  # the other splits stop at their next batch
            raise

    if len(splits) == 1:
        results = [work(splits[0])]
    else:
        with ThreadPoolExecutor(len(splits), thread_name_prefix="bayres-split") as pool:
            futures = [pool.submit(work, s) for s in splits]
            wait(futures)
        errors = [f.exception() for f in futures if f.exception() is not None]
        if errors:
            raise next((e for e in errors if not isinstance(e, Cancelled)), errors[0])
        results = [f.result() for f in futures]
    parts, described = [], []
    for split, split_parts in zip(splits, results):
        described.append({**split.describe(), "rows": sum(p.rows for p in split_parts),
                          "parts": len(split_parts)})
        for part in split_parts:
            path = spool / f"part-{len(parts):05d}.parquet"
            part.path.rename(path)
            parts.append(Part(path, part.rows, 0, part.n_columns))
    if not parts:  # an empty extraction still yields a readable, typed part
        schema = pa.schema([pa.field(c, pa.string()) for c in (*columns, *SRC_COLUMNS)])
        parts.append(Part(spool / "part-00000.parquet", 0, 0, len(schema)))
        _write(schema.empty_table(), parts[0].path)
    return [*columns, *SRC_COLUMNS], parts, described
