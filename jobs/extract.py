"""extract — copy one regional source, as published, into the raw zone.

``raw/<platform>/<source>/<run_date>/`` receives ``part-NNNNN.parquet`` files (every column a
string: the source's fields in first-seen order, then ``_src_location``, ``_src_error``,
``_src_raw``) and ``_manifest.json``; the directory appears only complete (see
:meth:`Lake.staged_directory`). A feed file that cannot be read at all is recorded under
``files_quarantined`` and contributes no rows — the records read from it before its error are
counted there (``rows_discarded``, summed in the manifest) — and the run goes on. A file whose
real path leaves the drop folder (a symbolic link to elsewhere) is quarantined unopened. What
killed runs of the source left (staging and moved-aside directories, spools of dead processes)
is removed when it starts. Feed files are compared with
the processed-file ledger (:mod:`bayres.jobs.feed_ledger`): unchanged files are carried from the
previous run, never parsed twice; changed and removed ones are detected and listed.

Parquet bytes depend only on the input and ``batch_rows`` (no timestamps inside), so a re-run
over the same input writes identical parts.

Relational sources (``format: sql``), Sqoop-style — the ``sql:`` keys (:func:`sql_config`):

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

Incremental runs and the watermark (key ``watermarks/<platform>/<source>`` of the state store):

* windows tile the check column without overlap: ``append`` reads ``(low, high]`` with
  ``high = MAX(check_column)``, ``lastmodified`` reads ``[low, high)`` with ``high`` the
  database's clock at whole seconds (its date for a DATE column) — both taken before reading,
  so rows arriving during the run fall into the next window; the first run has no ``low`` and
  also takes the rows whose check column is NULL (later windows never do);
* commit protocol: every split is written to a local spool, the parts and the manifest to
  ``<run dir>.tmp-<run id>``, which is renamed into place (publish); **only then** is the
  watermark moved, by compare-and-set against the version the run started from. A run that
  fails or is killed before publishing leaves no run directory and an unmoved watermark; one
  that dies between publishing and moving the watermark is recovered by the next run of the
  source, which finds the newer published run directory and adopts its window (the lake is the
  record of what was committed);
* one directory per run date: the window of a date starts at the watermark left by the newest
  earlier date. Running the newest date again re-reads from that same start up to now and
  replaces the directory (the same rows, plus what changed since — never a duplicate; several
  runs a day simply widen that day's window); running an older date again re-reads exactly the
  window its manifest recorded and leaves the watermark alone; an older date that never ran gets
  an empty run (its rows went to the next date). Re-running any day is therefore idempotent:
  across all run directories every change is present once;
* ``manifest["watermark"]`` records mode, check column, merge key, the window (``low``,
  ``high``, inclusivity, ``nulls``, its text), what kind of run it was (``first``, ``next``,
  ``rerun``, ``closed``, ``empty``) and the previous watermark. Two runs of one source must not
  overlap (hold the source's lock): the compare-and-set refuses the second to move the
  watermark, and publication is refused when the watermark moved during the run.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import gc
import hashlib
import json
import logging
import os
import posixpath
import re
import shutil
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from itertools import chain
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional

import pyarrow as pa
import pyarrow.parquet as pq

from ..connectors.drop_folder import FileChanged, LocalDropFolder, OutsideDropFolder
from ..connectors.feeds import FORMATS, FeedError, Record, read_feed
from ..connectors.lake import MANIFEST, Lake, _tag
from ..connectors.sql_predicates import Split, Window, decode_value, encode_value
from ..connectors.sql_source import Cancelled, SqlReader
from ..connectors.state_store import StateConflict, StateStore, watermark_key
from .feed_ledger import ON_REMOVED, FeedLedger

log = logging.getLogger(__name__)

SRC_COLUMNS = ("_src_location", "_src_error", "_src_raw")
_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
_RUN_ID = re.compile(r"^[A-Za-z0-9_.:+-]+$")
_RUN_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# fixed writer options: identical input ⇒ identical bytes. Dictionary pages are capped at 64 KiB:
# low-cardinality columns (codes, units, cities) keep their dictionary, while near-unique ones
# (ids, names, _src_location) fall back to plain encoding early — with the default 1 MiB cap they
# were hashed into a dictionary first (100,000 instrument rows: 30 % more CPU, twice the bytes)
_PARQUET_OPTIONS = dict(compression="zstd", use_dictionary=True, dictionary_pagesize_limit=64 << 10,
                        write_statistics=True, version="2.6", data_page_size=1 << 20)


def raw_path(platform: str, source: str, run_date: str) -> str:
    """The raw-zone run directory of a source, relative to the lake root."""
    return f"raw/{platform}/{source}/{run_date}"


# ------------------------------------------------------------------------------ part writer

@dataclass
class _Part:
    path: Path
    rows: int
    error_rows: int
    n_columns: int


@dataclass
class _Mark:
    parts: int
    rows: int
    columns: int


class PartWriter:
    """Buffers records and writes all-string parquet parts of ``batch_rows`` rows into a local
    spool directory.

    Columns are the union of field names in first-seen order; parts written before a new
    field appeared are rewritten with the full schema by :meth:`close`, so every part has the
    same schema. :meth:`begin_file` / :meth:`rollback_file` drop everything read from a file
    that turns out to be unreadable, including parts already written.
    """

    def __init__(self, spool: Path, batch_rows: int = 100_000):
        if batch_rows < 1:
            raise ValueError("batch_rows must be positive")
        self.spool, self.batch_rows = spool, batch_rows
        self.columns: list[str] = []
        self._known: set[str] = set()
        self._rows: list[Record] = []
        self._scanned = 0  # buffered rows whose field names are already in ``columns``
        self.parts: list[_Part] = []
        self._mark: Optional[_Mark] = None
        self._carry: Optional[list[Record]] = None

    def extend(self, records: Iterable[Record]) -> None:
        rows, batch_rows = self._rows, self.batch_rows
        with _gc_paused():
            for record in records:
                rows.append(record)
                if len(rows) >= batch_rows:
                    self.flush()
                    rows = self._rows

    @property
    def added(self) -> int:
        return sum(p.rows for p in self.parts) + len(self._rows)

    @property
    def errors(self) -> int:
        return sum(p.error_rows for p in self.parts) + sum(1 for r in self._rows if r[2] is not None)

    def _discover_columns(self) -> None:
        names = dict.fromkeys(chain.from_iterable(r[1] for r in self._rows[self._scanned:]))
        for name in names:
            if name not in self._known:
                if name in SRC_COLUMNS:
                    raise ValueError(f"source field {name!r} clashes with a raw-zone column")
                self._known.add(name)
                self.columns.append(name)
        self._scanned = len(self._rows)

    # -- per-file transactions
    def begin_file(self) -> None:
        self._discover_columns()
        self._mark = _Mark(len(self.parts), len(self._rows), len(self.columns))
        self._carry = None

    def end_file(self) -> None:
        self._mark = self._carry = None

    def rollback_file(self) -> None:
        """Forget every record added since :meth:`begin_file`."""
        mark = self._mark
        for part in self.parts[mark.parts:]:
            part.path.unlink()
        del self.parts[mark.parts:]
        if self._carry is not None:  # rows of earlier files went out with this file's first part
            self._rows = self._carry
        else:
            del self._rows[mark.rows:]
        self._scanned = len(self._rows)
        self._known.difference_update(self.columns[mark.columns:])
        del self.columns[mark.columns:]
        self.end_file()

    # -- writing
    def flush(self) -> None:
        if not self._rows:
            return
        self._discover_columns()
        mark = self._mark
        if mark is not None and self._carry is None and len(self.parts) == mark.parts and mark.rows:
            self._carry = self._rows[: mark.rows]
        rows, self._rows, self._scanned = self._rows, [], 0
        path = self.spool / f"part-{len(self.parts):05d}.parquet"
        _write(self._table(rows), path)
        errors = sum(1 for r in rows if r[2] is not None)
        self.parts.append(_Part(path, len(rows), errors, len(self.columns)))

    def _table(self, rows: list[Record]) -> pa.Table:
        schema = self.schema()
        arrays = []
        if self.columns:  # dicts → struct → columns: converted in C++, missing keys become null
            struct = pa.struct(list(schema)[: len(self.columns)])
            arrays = pa.array([r[1] for r in rows], struct).flatten()
        arrays += [pa.array([r[i] for r in rows], pa.string()) for i in (0, 2, 3)]
        return pa.Table.from_arrays(arrays, schema=schema)

    def schema(self) -> pa.Schema:
        return pa.schema([pa.field(c, pa.string()) for c in (*self.columns, *SRC_COLUMNS)])

    def close(self) -> list[_Part]:
        """Flush, give every part the final schema, and return the parts in order."""
        self.flush()
        if not self.parts:  # an empty extraction still yields a readable, typed part
            self.parts.append(_Part(self.spool / "part-00000.parquet", 0, 0, len(self.columns)))
            _write(self.schema().empty_table(), self.parts[0].path)
        schema = self.schema()
        for part in self.parts:
            if part.n_columns != len(self.columns):
                table = pq.read_table(part.path)
                n = table.num_rows
                table = pa.Table.from_arrays(
                    [table.column(c) if c in table.column_names else pa.nulls(n, pa.string())
                     for c in schema.names], schema=schema)
                _write(table, part.path)
                part.n_columns = len(self.columns)
        return self.parts


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while buffering: records are acyclic, and collections triggered by
    100k buffered dicts cost a third of the extraction time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _write(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path, row_group_size=max(table.num_rows, 1), **_PARQUET_OPTIONS)


# ------------------------------------------------------------------------------ extraction

def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _file_digest(path: Path) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _extract_files(source: dict, writer: PartWriter, drop, ledger: FeedLedger, lake: Lake,
                   spool: Path) -> dict:
    """Read the source's drop folder into ``writer`` against the ledger of its previous run
    (:mod:`bayres.jobs.feed_ledger`); returns the manifest's ``files_*`` lists."""
    file_conf = source.get("file") or {}
    label = f"{source['platform']}/{source['source']}"
    if not file_conf.get("path"):
        raise ValueError(f"{label}: file.path is required")
    on_removed = file_conf.get("on_removed", "keep")
    if on_removed not in ON_REMOVED:
        raise ValueError(f"{label}: file.on_removed must be one of {', '.join(ON_REMOVED)}")
    required = [source["id_field"]] if source.get("id_field") else []
    out = {"files_read": [], "files_carried": [], "files_changed": [], "files_removed": [],
           "files_quarantined": []}
    present, to_carry = [], []
    for name, handle in drop.files(file_conf["path"]):
        present.append(name)
        try:
            path = drop.local_copy(name, handle, spool)
        except (FileChanged, OutsideDropFolder) as e:
            log.warning("quarantined %s: %s", name, e)
            out["files_quarantined"].append({"name": name, "size": None, "sha256": None, "reason": str(e)})
            continue
        before = path.stat()
        size, sha256 = _file_digest(path)
        entry = {"name": name, "size": size, "sha256": sha256}
        status = ledger.status(name, sha256)
        if status == "unchanged":
            to_carry.append(entry)
            continue
        if status == "unchanged-quarantined":
            reason = ledger.quarantined[name]["reason"]
            out["files_quarantined"].append({**entry, "reason": reason,
                                             "rows_discarded": ledger.quarantined[name].get("rows_discarded", 0),
                                             "loaded_run_date": ledger.loaded_on(name)})
            continue
        if status == "changed":
            old = ledger.files.get(name) or ledger.quarantined[name]
            log.warning("%s: %s changed since %s (sha256 %s… → %s…); reading it again", label, name,
                        ledger.run_date, old["sha256"][:12], sha256[:12])
            out["files_changed"].append({**entry, "previous_size": old["size"],
                                         "previous_sha256": old["sha256"],
                                         "previous_run_date": ledger.run_date})
        writer.begin_file()
        added, errors = writer.added, writer.errors
        try:
            writer.extend(read_feed(path, file_conf, fmt=source["format"], name=name,
                                    required=required))
            after = path.stat()
            if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
                raise FeedError(path, "file changed while it was being extracted")
        except FeedError as e:
            # the records read before the error go with the file, but are counted: a file cut
            # mid-record never loses its readable part unseen
            discarded = writer.added - added
            writer.rollback_file()
            log.warning("quarantined %s (%d records read before the error discarded): %s", name,
                        discarded, e.reason)
            out["files_quarantined"].append({**entry, "reason": e.reason, "rows_discarded": discarded})
            continue
        writer.end_file()
        out["files_read"].append({**entry, "rows": writer.added - added,
                                  "error_rows": writer.errors - errors})
    for name in sorted(set(ledger.files) - set(present)):
        out["files_removed"].append({"name": name, "sha256": ledger.files[name]["sha256"],
                                     "rows": ledger.files[name]["rows"], "action": on_removed})
        if on_removed == "keep":
            to_carry.append({k: ledger.files[name][k] for k in ("name", "size", "sha256")})
    carried = ledger.carried_records(lake, [e["name"] for e in to_carry])
    for entry in sorted(to_carry, key=lambda e: e["name"]):
        records = carried[entry["name"]]
        writer.begin_file()
        writer.extend(records)
        writer.end_file()
        out["files_carried"].append({**entry, "rows": len(records),
                                     "error_rows": sum(1 for r in records if r[2] is not None),
                                     "loaded_run_date": ledger.loaded_on(entry["name"])})
    return out


def needs_state(source: dict) -> bool:
    """Whether extracting ``source`` reads or moves a watermark in the state store."""
    return source.get("format") == "sql" and (source.get("sql") or {}).get("mode", "full") != "full"


# ------------------------------------------------------------------------------ relational sources

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


# -- incremental windows and the watermark

@dataclass
class _Plan:
    """What an incremental run reads, and whether it moves the watermark once published."""
    key: str
    window: Window
    info: dict                 # the manifest's ``watermark``
    advance: bool              # whether this run moves the watermark (not for earlier days)
    version: int               # the watermark's version this plan was made from (compare-and-set)


def _window(cfg: SqlConfig, low: Any, high: Any, nulls: bool) -> Window:
    """``append``: ``(low, high]``; ``lastmodified``: ``[low, high)`` — consecutive windows tile
    the check column's line without overlap. No ``high`` (``MAX`` of a column without values):
    no row with a value."""
    if cfg.mode == "append":
        return Window(cfg.check_column, low, high, low_inclusive=False, high_inclusive=True, nulls=nulls,
                      values=high is not None)
    return Window(cfg.check_column, low, high, low_inclusive=True, high_inclusive=False, nulls=nulls)


def _later(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return b if a is None else a
    try:
        return max(a, b)
    except TypeError:
        raise ValueError(f"watermark values {a!r} and {b!r} cannot be compared: the check column "
                         "changed type; reset the source's watermark") from None


def _encode(value: Any) -> tuple[Any, Optional[str]]:
    return (None, None) if value is None else encode_value(value)


def _window_info(cfg: SqlConfig, window: Window, run: str, previous: Optional[dict]) -> dict:
    low, low_type = _encode(window.low)
    high, high_type = _encode(window.high)
    if window.empty:
        text = "empty"
    elif not window.values:
        text = "NULL only"
    else:
        text = (f"{'[' if window.low_inclusive else '('}{'-inf' if low is None else low}, "
                f"{'+inf' if high is None else high}{']' if window.high_inclusive else ')'}"
                + (" or NULL" if window.nulls else ""))
    return {"mode": cfg.mode, "check_column": cfg.check_column, "merge_key": cfg.merge_key,
            "type": high_type or low_type, "low": low, "high": high,
            "low_inclusive": window.low_inclusive, "high_inclusive": window.high_inclusive,
            "nulls": window.nulls, "values": window.values, "window": text, "run": run,
            "previous": None if previous is None else
            {k: previous.get(k) for k in ("run_date", "run_id", "value")}}


def _state_doc(info: dict, run_date: str, run_id: str) -> dict:
    return {"mode": info["mode"], "check_column": info["check_column"], "type": info["type"],
            "value": info["high"], "low": info["low"], "nulls": info["nulls"],
            "run_date": run_date, "run_id": run_id}


def _decode(doc: dict, field: str) -> Any:
    return decode_value(doc.get(field), doc.get("type")) if doc.get(field) is not None else None


def _roll_forward(state: StateStore, key: str, doc: Optional[dict], version: int, lake: Lake,
                  platform: str, name: str, cfg: SqlConfig) -> tuple[Optional[dict], int]:
    """Recover from a run that published its directory but died before moving the watermark:
    the newest run directory at or after the watermark's run date, if written by another run
    from the watermark's own starting point, becomes the watermark (the lake is the record of
    what was committed; the state store only caches it)."""
    base = f"raw/{platform}/{name}"
    if not lake.exists(base):
        return doc, version
    dates = sorted(d for d in lake.list(base)
                   if _RUN_DATE.match(d) and (doc is None or d >= doc["run_date"]))
    if not dates or not lake.exists(lake.join(base, dates[-1], MANIFEST)):
        return doc, version
    latest = dates[-1]
    manifest = lake.read_manifest(lake.join(base, latest))
    info = manifest.get("watermark") or {}
    if (info.get("mode"), info.get("check_column")) != (cfg.mode, cfg.check_column) \
            or info.get("run") in ("closed", "empty"):
        return doc, version
    if doc is not None and latest == doc["run_date"] and manifest.get("run_id") == doc.get("run_id"):
        return doc, version  # consistent
    if doc is None and info.get("low") is not None:
        log.warning("%s/%s: no watermark, but %s/%s holds a later window: the watermark was deleted; "
                    "starting again with a full run", platform, name, base, latest)
        return doc, version
    expected = None if doc is None else doc.get("low") if latest == doc["run_date"] else doc.get("value")
    if info.get("low") != expected:
        raise RuntimeError(
            f"{platform}/{name}: {base}/{latest} holds the window {info.get('window')} but the "
            f"watermark ({key}) says {expected!r}; the state and the lake disagree — fix the "
            "watermark by hand (it should be the high end of the newest run directory)")
    new = _state_doc(info, latest, manifest.get("run_id"))
    version = state.put(key, new, expected_version=version)
    log.warning("%s/%s: run %s of %s was published but had not moved the watermark; the watermark "
                "now records it (%s)", platform, name, manifest.get("run_id"), latest, info.get("window"))
    return new, version


def _plan_incremental(cfg: SqlConfig, reader: SqlReader, state: StateStore, lake: Lake,
                      platform: str, name: str, run_date: str) -> _Plan:
    """The window of this run (see the module notes on incremental runs)."""
    key = watermark_key(platform, name)
    doc, version = state.get_versioned(key)
    doc, version = _roll_forward(state, key, doc, version, lake, platform, name, cfg)
    if doc is not None and (doc.get("mode"), doc.get("check_column")) != (cfg.mode, cfg.check_column):
        raise ValueError(
            f"{platform}/{name}: the watermark ({key}) was kept for mode {doc.get('mode')} on "
            f"{doc.get('check_column')!r}, the source now says {cfg.mode} on {cfg.check_column!r}; "
            "delete the watermark to start again with a full run")
    previous = _decode(doc, "value") if doc is not None else None

    def bound() -> Any:
        if cfg.mode == "append":
            return reader.max_value(cfg.check_column)
        like = previous if previous is not None else reader.max_value(cfg.check_column)
        return reader.now(like)

    if doc is None:  # the first run takes everything, NULL check values included
        run, window = "first", _window(cfg, None, bound(), nulls=True)
    elif run_date > doc["run_date"]:
        run, window = "next", _window(cfg, previous, _later(bound(), previous), nulls=False)
    elif run_date == doc["run_date"]:  # the day again: from the same start up to now
        run = "rerun"
        window = _window(cfg, _decode(doc, "low"), _later(bound(), previous), nulls=bool(doc.get("nulls")))
    else:  # a day before the watermark's: exactly the window that day published, or nothing
        run_dir = raw_path(platform, name, run_date)
        if lake.exists(lake.join(run_dir, MANIFEST)):
            info = lake.read_manifest(run_dir).get("watermark") or {}
            if (info.get("mode"), info.get("check_column")) != (cfg.mode, cfg.check_column):
                raise ValueError(f"{platform}/{name}: {run_dir} was not extracted in {cfg.mode} mode "
                                 f"on {cfg.check_column!r}; it is older than the watermark and is "
                                 "left as it is")
        else:
            info = {"run": "empty"}
        if info.get("run") == "empty":
            run, window = "empty", Window(cfg.check_column, values=False)
        else:
            run, window = "closed", replace(_window(cfg, _decode(info, "low"), _decode(info, "high"),
                                                    nulls=bool(info.get("nulls"))),
                                            values=info.get("values", True))
        return _Plan(key, window, _window_info(cfg, window, run, doc), False, version)
    return _Plan(key, window, _window_info(cfg, window, run, doc), True, version)


def _check_unmoved(state: StateStore, plan: _Plan) -> None:
    """Refuse to publish when the watermark moved since the plan was made (an overlapping run)."""
    _, version = state.get_versioned(plan.key)
    if version != plan.version:
        raise StateConflict(plan.key, plan.version, version)


# -- reading splits into parts

class _ArrowParts:
    """Writes the tables of one split as parts of exactly ``batch_rows`` rows (the last shorter),
    in the split's own thread (a separate writer thread was measured slower on two cores)."""

    def __init__(self, directory: Path, batch_rows: int):
        directory.mkdir(parents=True)
        self.directory, self.batch_rows = directory, batch_rows
        self.pending: list[pa.Table] = []
        self.pending_rows = 0
        self.parts: list[_Part] = []

    def add(self, table: pa.Table) -> None:
        self.pending.append(table)
        self.pending_rows += table.num_rows
        while self.pending_rows >= self.batch_rows:
            self._flush(self.batch_rows)

    def _flush(self, n: int) -> None:
        table = self.pending[0] if len(self.pending) == 1 else pa.concat_tables(self.pending)
        head, rest = table.slice(0, n), table.slice(n)
        path = self.directory / f"part-{len(self.parts):05d}.parquet"
        _write(head, path)
        self.parts.append(_Part(path, n, 0, table.num_columns))
        self.pending = [rest] if rest.num_rows else []
        self.pending_rows = rest.num_rows

    def close(self) -> list[_Part]:
        if self.pending_rows:
            self._flush(self.pending_rows)
        return self.parts


def _extract_sql(cfg: SqlConfig, reader: SqlReader, window: Optional[Window], spool: Path,
                 batch_rows: int) -> tuple[list[str], list[_Part], list[dict]]:
    """Read every split (concurrently, one connection each) into parts; return the columns, the
    parts in split order renamed ``part-NNNNN.parquet``, and what each split read."""
    columns = reader.columns()
    clash = sorted(set(columns) & set(SRC_COLUMNS))
    if clash:
        raise ValueError(f"source columns {clash} clash with raw-zone columns")
    predicates = window.clauses() if window is not None else []
    splits = reader.plan_splits(cfg.split_by, cfg.splits, predicates) if cfg.splits > 1 else [Split()]
    stop = threading.Event()

    def work(split: Split) -> list[_Part]:
        prefix = (f"{reader.label} row " if split.count == 1
                  else f"{reader.label} split {split.index + 1} row ")
        writer = _ArrowParts(spool / f"split-{split.index:04d}", batch_rows)
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
            parts.append(_Part(path, part.rows, 0, part.n_columns))
    if not parts:  # an empty extraction still yields a readable, typed part
        schema = pa.schema([pa.field(c, pa.string()) for c in (*columns, *SRC_COLUMNS)])
        parts.append(_Part(spool / "part-00000.parquet", 0, 0, len(schema)))
        _write(schema.empty_table(), parts[0].path)
    return [*columns, *SRC_COLUMNS], parts, described


def _publish_parts(parts: list[_Part], lake: Lake, staging: str) -> tuple[list[dict], str]:
    """Move the spooled parts into the staging directory, hashing each and all of them."""
    listing, combined = [], hashlib.sha256()
    for part in parts:
        digest = hashlib.sha256()
        with open(part.path, "rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
                combined.update(chunk)
        listing.append({"name": part.path.name, "rows": part.rows, "error_rows": part.error_rows,
                        "bytes": part.path.stat().st_size, "sha256": digest.hexdigest()})
        lake.put_file(part.path, lake.join(staging, part.path.name))
    return listing, combined.hexdigest()


_SPOOL_PREFIX = "bayres-extract-"


def _remove_dead_spools() -> None:
    """Delete the local spools (``bayres-extract-<pid>-…`` in the temp directory) of extraction
    processes that no longer exist — what a killed run leaves there."""
    base = Path(tempfile.gettempdir())
    for spool in base.glob(f"{_SPOOL_PREFIX}*-*"):
        pid = spool.name[len(_SPOOL_PREFIX):].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            log.warning("removing %s, the spool of extraction process %s that did not finish", spool, pid)
            shutil.rmtree(spool, ignore_errors=True)
        except PermissionError:  # alive, another user's
            pass


def _remove_stale_staging(lake: Lake, final: str, run_id: str) -> None:
    """Delete what killed runs of this source left behind, whatever their date:
    ``<date>.tmp-<run id>`` staging directories and ``<date>.old-<run id>`` directories a
    replacement had moved aside (never visible to readers; a run directory missing beside its
    ``.old-`` one is first put back, see :meth:`Lake.recover`). Runs of one source must not
    overlap, so none of them is still being written."""
    parent = posixpath.dirname(final)
    if not lake.exists(parent):
        return
    lake.recover(parent)


def extract_source(source: dict, *, feeds_root, database_urls: dict[str, str], lake: Lake,
                   run_date: str, run_id: str, batch_rows: int = 100_000,
                   state: Optional[StateStore] = None) -> dict:
    """Extract one source (a parsed ``conf/sources/*.yaml``) into the raw zone; return its manifest.

    The manifest's ``sha256`` is over the concatenated bytes of the parts in name order
    (``cat part-*.parquet | sha256sum``); each part also carries its own. Incremental SQL
    sources (``sql.mode: append | lastmodified``) need ``state``, where their watermark lives;
    it is moved (compare-and-set) only after the run directory has been published.
    """
    platform, name, fmt = source.get("platform"), source.get("source"), source.get("format")
    for label, value in (("platform", platform), ("source", name)):
        if not isinstance(value, str) or not _NAME.match(value):
            raise ValueError(f"bad {label} name {value!r}")
    if fmt != "sql" and fmt not in FORMATS:
        raise ValueError(f"{platform}/{name}: unsupported format {fmt!r}")
    if not _RUN_DATE.match(run_date) or not _RUN_ID.match(run_id):
        raise ValueError(f"bad run_date {run_date!r} or run_id {run_id!r}")
    cfg = reader = plan = None
    if fmt == "sql":
        cfg = sql_config(source)
        if cfg.database not in database_urls:
            raise ValueError(f"{platform}/{name}: unknown database {cfg.database!r}")
        if cfg.incremental and state is None:
            raise ValueError(f"{platform}/{name}: sql.mode {cfg.mode} needs a state store for its watermark")
    started = _now()
    final = raw_path(platform, name, run_date)
    _remove_stale_staging(lake, final, run_id)
    try:
        if cfg is not None:
            reader = SqlReader(database_urls[cfg.database], table=cfg.table, query=cfg.query,
                               where=cfg.where, order_by=cfg.order_by, fetch_size=cfg.fetch_size,
                               fast=cfg.fast)
            if cfg.incremental:
                plan = _plan_incremental(cfg, reader, state, lake, platform, name, run_date)
        _remove_dead_spools()
        with tempfile.TemporaryDirectory(prefix=f"{_SPOOL_PREFIX}{os.getpid()}-") as spool, \
                lake.staged_directory(final, run_id) as staging:
            files, sql_read = {}, None
            if cfg is not None:
                columns, parts, splits = _extract_sql(cfg, reader, plan.window if plan else None,
                                                      Path(spool), batch_rows)
                sql_read = {"path": "fast" if reader.fast else "generic", "splits": splits}
            else:
                writer = PartWriter(Path(spool), batch_rows)
                ledger = FeedLedger.previous(lake, posixpath.dirname(final), run_date)
                drop = feeds_root if hasattr(feeds_root, "local_copy") else LocalDropFolder(feeds_root)
                files = _extract_files(source, writer, drop, ledger, lake, Path(spool))
                parts = writer.close()
                columns = [*writer.columns, *SRC_COLUMNS]
            listing, sha256 = _publish_parts(parts, lake, staging)
            manifest = {
                "platform": platform, "source": name, "run_date": run_date, "run_id": run_id,
                "format": fmt,
                "rows": sum(p["rows"] for p in listing),
                "error_rows": sum(p["error_rows"] for p in listing),
                "columns": columns,
                "bytes": sum(p["bytes"] for p in listing),
                "sha256": sha256,
                "parts": listing,
                "sql": cfg.origin() if cfg is not None else None,
                "files_read": files.get("files_read", []),
                "files_quarantined": files.get("files_quarantined", []),
                # records read from quarantined files before their error (counted, not kept)
                "rows_discarded": sum(q.get("rows_discarded") or 0
                                      for q in files.get("files_quarantined", [])),
                **{k: v for k, v in files.items() if k not in ("files_read", "files_quarantined")},
                "started": started,
                "finished": _now(),
                "watermark": plan.info if plan is not None else None,
            }
            if sql_read is not None:
                manifest["sql_read"] = sql_read
            lake.write_bytes(lake.join(staging, MANIFEST),
                             json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8"))
            if plan is not None and plan.advance:
                _check_unmoved(state, plan)
        # the run directory is published: the run is committed; only now move the watermark
        if plan is not None and plan.advance:
            doc = {**_state_doc(plan.info, run_date, run_id), "rows": manifest["rows"]}
            try:
                state.put(plan.key, doc, expected_version=plan.version)
            except StateConflict:
                log.error("%s/%s %s: published, but the watermark %s moved meanwhile — two runs of "
                          "this source overlapped (hold its lock); re-run the newest day to repair",
                          platform, name, run_date, plan.key)
                raise
    finally:
        if reader is not None:
            reader.close()
    log.info("extracted %s/%s %s: %d rows (%d error rows), %d files quarantined%s",
             platform, name, run_date, manifest["rows"], manifest["error_rows"],
             len(manifest["files_quarantined"]),
             f", window {plan.info['window']}" if plan is not None else "")
    return manifest
