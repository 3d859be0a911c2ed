"""The current state of every source (issue 18): each day's extract merged into one Delta table.

A source is extracted either as a whole snapshot (``sql.mode: full``, every file feed) or as a
delta (``sql.mode: append`` / ``lastmodified``: only the rows whose check column moved). Dedup,
load, quality and publish must see the *catalogue*, not the day's extract, so after conform the
day's standardized records are merged into ``<lake>/state/current``, a Delta Lake table keyed by
(``src_platform``, ``src_source``, ``src_record_id``) and partitioned by platform and source:

* **insert** — a key the state does not hold (or holds deleted, see below);
* **update** — a key whose content changed (the provenance of the run — ``src_run_id``,
  ``src_raw_path``, ``src_location`` — is not content), and only when the incoming version is
  not older than the state's: versions are ordered by the source's modification date
  (``state.version_field``, default ``updated_date``, the field sources map their
  last-modified / check column to; a missing date is older than any date) and, on a tie, by the
  run date — a *late, older version never overwrites a newer one* (counted as ``stale``);
* **delete** — a key missing from a full snapshot (a row deleted at the source, a feed file
  withdrawn with ``file.on_removed: drop``; a row that was extracted but refused by conform is
  *not* missing: its last good version stays), or a tombstone: a raw row whose
  ``state.deleted_when.field`` holds one of ``state.deleted_when.values`` (a source's delete
  flag). A deleted key stays in the table as a tombstone (``_deleted``), so a late older
  version — or the deleted version itself, arriving late — cannot bring it back; a strictly
  newer one can, and so can a full snapshot that lists the key again.

History: every change of a day is a row of ``<lake>/changes/run_date=<day>`` (the record as it
became — for a delete, as it was — with ``change`` and ``changed_fields``), loaded into the Hive
table ``record_change`` by the load stage, so "what did the catalogue say on date D" and "when
did this field change" are Hive SQL (conf/README.md *Current state*). The Delta table's own log
adds time travel (``DeltaTable(path, version=…)``) and is how re-runs are made idempotent.

Runs: each day is one Delta commit carrying ``bayres.days`` (the days applied so far) in its
commit metadata. Re-running the newest day first restores the table to the version before it
(Delta ``RESTORE``), then applies the day again — the same result as the first time. A day
before the newest applied one (a backfill) rewinds the table to before it and replays the later
days from their own zones, so the state is what applying every day in order gives; when a later
day's standardized zone is gone the backfill is refused with :class:`StateConflict`, naming it
(``bayres state rewind --to DAY`` then re-running the days is the way out). A run killed before
its commit leaves the table as it was; one killed after it is a re-run of the newest day.

Why Delta Lake through delta-rs (the ``deltalake`` package) and not Spark's Delta or Iceberg:
both Spark integrations were tried on this project's pyspark 4.3.0 — Delta 4.4.0
(``io.delta:delta-spark_2.13``, built for Spark 4.2) fails its MERGE with a
``NoSuchMethodError`` on ``LogicalRDD.<init>``; Iceberg 1.12.0 (``iceberg-spark-runtime-4.1``)
fails its first ``CREATE TABLE`` with an ``IncompatibleClassChangeError``. delta-rs gives the
same open format with a real MERGE (inserts, conditional updates, deletes in one atomic
commit), time travel and RESTORE, with no JVM; the table stays readable by Spark's Delta once a
release for Spark 4.3 exists. The set arithmetic around the MERGE runs in DuckDB.

On an HDFS lake (the cluster profile) the table lives at ``hdfs://…/<lake root>/state/current``,
written by delta-rs's own HDFS client (hdfs-native, speaking the NameNode's RPC, no JVM); the
day's input zones are copied from the lake to a scratch directory for DuckDB on the driver and its
``changes`` / ``current`` zones published back into the lake (:class:`LakeZones`).
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import time
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from urllib.parse import unquote, urlparse

import pyarrow as pa

from bayres.schemas.fields import Field, Table
from bayres.schemas.resource import RESOURCE_RECORD

log = logging.getLogger("bayres")

KEY = ("src_platform", "src_source", "src_record_id")
#: the record's columns as conform writes them (without cstr_id and run_date)
RECORD_COLUMNS = [f.name for f in RESOURCE_RECORD.fields if f.name not in ("cstr_id", "run_date")]
#: where a record was read this run: not content, a change of these alone is no update
PROVENANCE = ("src_run_id", "src_raw_path", "src_location")
#: stamped by the run that read the record (GB/T 30523's metadata date): a version keeps the day it
#: entered the catalogue, so a record a full snapshot lists again unchanged is no update
RUN_STAMPS = ("metadata_date",)
CONTENT = [c for c in RECORD_COLUMNS if c not in PROVENANCE + RUN_STAMPS and c not in KEY]
#: the state's own columns after the record's
STATE_COLUMNS = (("_modified", "DATE"), ("_deleted", "BOOLEAN"), ("_inserted_on", "DATE"),
                 ("_changed_on", "DATE"))
DAYS = "bayres.days"
CHANGES = ("insert", "update", "delete")

#: the history of the catalogue, one partition per day (Hive: bayres.record_change)
RECORD_CHANGE = Table(
    "record_change",
    (Field("change", mandatory=True, derived=True, description="insert | update | delete"),
     Field("changed_fields", derived=True,
           description="update: the content fields whose value changed, comma-separated"),
     Field("modified_date", type="date", derived=True,
           description="the version's modification date (state.version_field)"))
    + tuple(f for f in RESOURCE_RECORD.fields if f.name not in ("cstr_id", "run_date"))
    + (Field("run_date", type="date", mandatory=True, group="run", derived=True,
             description="the day the change took effect in the catalogue"),),
    "Every change of the current state: the record as it became (a delete: as it was)",
    key=("src_platform", "src_source", "src_record_id"), partition_by=("run_date",))


class StateConflict(RuntimeError):
    """A day that cannot be applied to the current state as it is (out of order)."""


@dataclass(frozen=True)
class SourceRule:
    """What the state needs to know of one source (from its conf/sources file)."""

    platform: str
    source: str
    snapshot: bool                  # the day's extract is the whole source
    version_field: str = "updated_date"
    deleted_field: str | None = None
    deleted_values: tuple = ()
    id_field: str = ""
    version_column: str | None = None   # the raw column the version field is mapped from

    @staticmethod
    def of(source: dict) -> "SourceRule":
        mode = (source.get("sql") or {}).get("mode", "full") if source.get("format") == "sql" else "full"
        conf = source.get("state") or {}
        label = f"{source['platform']}/{source['source']}"
        version = conf.get("version_field", "updated_date")
        if version not in RECORD_COLUMNS:
            raise ValueError(f"{label}: state.version_field {version!r} is not a record field")
        deleted = conf.get("deleted_when") or {}
        if deleted and (not deleted.get("field") or not deleted.get("values")):
            raise ValueError(f"{label}: state.deleted_when needs field and values")
        return SourceRule(platform=source["platform"], source=source["source"], snapshot=mode == "full",
                          version_field=version, deleted_field=deleted.get("field"),
                          deleted_values=tuple(str(v) for v in deleted.get("values") or ()),
                          id_field=source["id_field"],
                          version_column=(source.get("mapping") or {}).get(version))


def local_path(uri: str) -> Path:
    """A file:// URI (or a plain path) as a local path."""
    return Path(unquote(urlparse(uri).path)) if uri.startswith("file:") else Path(uri)


def _q(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _parquet(uri: str) -> str:
    return f"read_parquet({_q((local_path(uri) / '*.parquet').as_posix())}, union_by_name = true)"


# ---------------------------------------------------------------- the table and its days
def _is_remote(path) -> bool:
    return "://" in str(path) and not str(path).startswith("file:")


def _table(path):
    from deltalake import DeltaTable

    if not _is_remote(path):
        return DeltaTable(str(path)) if (Path(path) / "_delta_log").is_dir() else None
    return DeltaTable(str(path)) if DeltaTable.is_deltatable(str(path)) else None


def _drop_table(path) -> None:
    """Remove the whole table (rewinding to before its first day)."""
    if not _is_remote(path):
        shutil.rmtree(path)
        return
    from deltalake.fs import DeltaStorageHandler
    from pyarrow.fs import PyFileSystem

    parts = urlparse(str(path))
    PyFileSystem(DeltaStorageHandler(f"{parts.scheme}://{parts.netloc}")).delete_dir(parts.path)


def applied_days(path: Path | str) -> list[str]:
    """The days the state holds, oldest first (from the newest commit's metadata)."""
    table = _table(path)
    if table is None:
        return []
    for commit in table.history():  # newest first
        if DAYS in commit:
            return json.loads(commit[DAYS])
    return []


def _version_before(table, day: str) -> int | None:
    """The newest version whose days do not include ``day`` (None: before the table)."""
    for commit in table.history():
        if DAYS in commit and day not in json.loads(commit[DAYS]):
            return int(commit["version"])
    return None


def rewind(path: Path | str, day: str) -> list[str]:
    """Restore the state to what it was before ``day`` was applied (for a backfill: then re-run
    the days from ``day`` on). Returns the days it then holds."""
    from deltalake import CommitProperties

    table = _table(path)
    if table is None or day not in applied_days(path):
        return applied_days(path)
    before = _version_before(table, day)
    if before is None:  # the first day itself: no state at all before it
        _drop_table(path)
        return []
    days = [d for d in applied_days(path) if d < day]
    table.restore(before, commit_properties=CommitProperties(custom_metadata={DAYS: json.dumps(days)}))
    return days


# ---------------------------------------------------------------- one day
@dataclass(frozen=True)
class DayZones:
    """Where one day's inputs and outputs are (URIs)."""

    standardized: str
    quarantine: str | None
    raw_dirs: dict            # "platform/source" → the day's raw directory (tombstones)
    changes: str              # out: the day's history rows
    current: str              # out: the state after the day, shaped like the standardized zone


def apply_day(*, state_path: Path | str, run_date: date, run_id: str, sources: list[dict], zones,
              duckdb: dict | None = None) -> dict:
    """Merge one day's standardized records into the state; write the day's changes and the
    current state for the stages after. ``zones``: a day (ISO) → its :class:`DayZones`.

    Re-running the newest day restores the state to before it first. A day before the newest
    one (a backfill) rewinds the state to before it and replays the later days from their own
    zones, so the state is what applying every day in order gives; their curated outputs must
    then be re-run (``replayed`` names them). A later day whose standardized zone is gone
    cannot be replayed: :class:`StateConflict`, naming it."""
    day = run_date.isoformat()
    days = applied_days(state_path)
    later = [d for d in days if d > day]
    for d in later:
        if not any(local_path(zones(d).standardized).glob("*.parquet")):
            raise StateConflict(
                f"state: {day} comes before {', '.join(later)}, already applied to the current "
                f"state ({state_path}), and {d} cannot be replayed after it: its standardized zone "
                f"{zones(d).standardized} is gone. Re-run conform for {d} first, or rewind the "
                f"state (bayres state rewind --to {day}) and re-run every day from there")
    was_applied = day in days
    if day in days or later:
        days = rewind(state_path, day if day in days else later[0])
    result = _apply(state_path, day, run_id, days, sources, zones(day), duckdb)
    result["rerun"] = was_applied
    replayed = []
    for d in later:
        _apply(state_path, d, f"{run_id}-replay-{d}", applied_days(state_path), sources, zones(d), duckdb)
        replayed.append(d)
    if replayed:
        log.warning("[%s] state: %s applied before the later days %s, which were replayed: re-run "
                    "their dedup and the stages after it", run_id, day, ", ".join(replayed))
    result["replayed"] = replayed
    return result


def _apply(state_path: Path | str, day: str, run_id: str, days: list[str], sources: list[dict],
           zones: DayZones, duckdb: dict | None) -> dict:
    from deltalake import CommitProperties

    from ..run.duckdb_connection import connect

    started = time.perf_counter()
    rules = [SourceRule.of(s) for s in sources]
    con = connect(duckdb)
    con.execute("SET enable_progress_bar = false")
    try:
        table = _table(state_path)
        if table is not None:
            _evolve(table, days)
        _register_current(con, table)
        _incoming(con, rules, zones.standardized, zones.raw_dirs, day)
        present = _present(con, rules, zones.quarantine)
        _changes(con, rules, day, present)
        counts = dict(con.execute("SELECT change, count(*) FROM state_actions GROUP BY change").fetchall())
        compared = time.perf_counter()
        _write_parquet(con, "SELECT * FROM state_changes", zones.changes, run_id)
        metadata = CommitProperties(custom_metadata={DAYS: json.dumps(days + [day]),
                                                     "bayres.run_id": run_id})
        batch = _arrow(con.sql("SELECT * FROM state_merge").arrow())
        merge_started = time.perf_counter()
        if table is None:
            _create(state_path, batch, metadata)
        else:
            _merge(table, batch, metadata)
        merged = time.perf_counter()
        table = _table(state_path)
        _register_current(con, table)
        _write_parquet(con, f"""SELECT {', '.join(RECORD_COLUMNS)}, CAST(NULL AS VARCHAR) AS cstr_id,
                                DATE {_q(day)} AS run_date
                                FROM state_current WHERE NOT _deleted""", zones.current, run_id)
        exported = time.perf_counter()
        live = con.execute("SELECT count(*) FROM state_current WHERE NOT _deleted").fetchone()[0]
        by_source = {f"{p}/{s}": n for p, s, n in con.execute(
            "SELECT src_platform, src_source, count(*) FROM state_current WHERE NOT _deleted "
            "GROUP BY ALL ORDER BY ALL").fetchall()}
    finally:
        con.close()
    return {"day": day, "days": len(days) + 1, "version": table.version(),
            "records": int(live), "by_source": by_source,
            **{c: int(counts.get(c, 0)) for c in (*CHANGES, "stale", "unchanged")},
            "step_seconds": {"compare": round(compared - started, 3),
                             "history": round(merge_started - compared, 3),
                             "merge": round(merged - merge_started, 3),
                             "current_zone": round(exported - merged, 3)},
            "seconds": round(time.perf_counter() - started, 3)}


_DELTA_TYPES = {"date": "date", "double": "double", "long": "long", "boolean": "boolean"}


def _evolve(table, days: list[str]) -> None:
    """A table made by an earlier BayRes gains the record fields declared since (Delta schema
    evolution: ``ADD COLUMNS``, one commit carrying the same days; older rows read null, so a
    record whose new field has a value counts once as an update). A column no longer declared
    stays in the table, null in the rows written from now on."""
    from deltalake import CommitProperties
    from deltalake.schema import Field as DeltaField, PrimitiveType

    have = {f.name for f in table.schema().fields}
    kinds = {f.name: f.type for f in RESOURCE_RECORD.fields}
    missing = [c for c in RECORD_COLUMNS if c not in have]
    if missing:
        log.warning("state: the table gains the field(s) %s, declared since it was made (older rows "
                    "read null)", ", ".join(missing))
        table.alter.add_columns(
            [DeltaField(c, PrimitiveType(_DELTA_TYPES.get(kinds[c], "string")), nullable=True)
             for c in missing],
            commit_properties=CommitProperties(custom_metadata={DAYS: json.dumps(days)}))


def _register_current(con, table) -> None:
    """``state_current``: the state's rows as this version declares them (an empty relation of
    that shape before day 1; a field the table's files predate reads null, a column no longer
    declared is left out). DuckDB reads the live Parquet files of the table's version itself
    (delta-rs writes no deletion vectors, so the file list is the table; the partition columns
    are in the paths); on HDFS it scans them through delta-rs's file system."""
    declared = [(c, _duck_type(c)) for c in RECORD_COLUMNS] + list(STATE_COLUMNS)
    files = table.file_uris() if table is not None else []
    if not files:
        cols = ", ".join(f"CAST(NULL AS {t}) AS {c}" for c, t in declared)
        con.execute(f"CREATE OR REPLACE TEMP VIEW state_current AS SELECT {cols} WHERE false")
        return
    if _is_remote(files[0]):
        con.register("state_current_arrow", table.to_pyarrow_dataset())
        read = "state_current_arrow"
    else:
        listed = ", ".join(_q(local_path(f).as_posix()) for f in files)
        read = (f"read_parquet([{listed}], hive_partitioning = true, hive_types_autocast = false, "
                f"union_by_name = true)")
    found = {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {read}").fetchall()}
    cols = ", ".join(c if c in found else f"CAST(NULL AS {t}) AS {c}" for c, t in declared)
    con.execute(f"CREATE OR REPLACE TEMP VIEW state_current AS SELECT {cols} FROM {read}")


def _duck_type(column: str) -> str:
    kind = next(f.type for f in RESOURCE_RECORD.fields if f.name == column)
    return {"date": "DATE", "double": "DOUBLE", "long": "BIGINT", "boolean": "BOOLEAN"}.get(kind, "VARCHAR")


def _incoming(con, rules: list[SourceRule], standardized_uri: str, raw_dirs: dict, day: str) -> None:
    """``state_incoming``: one row per key of the day — its newest version, or its tombstone."""
    casts = ", ".join(f"CAST({c} AS {_duck_type(c)}) AS {c}" for c in RECORD_COLUMNS)
    version = "CASE " + " ".join(
        f"WHEN src_platform = {_q(r.platform)} AND src_source = {_q(r.source)} THEN "
        f"CAST({r.version_field} AS DATE)" for r in rules) + " END" if rules else "NULL"
    con.execute(f"CREATE OR REPLACE TEMP VIEW state_day AS SELECT {casts}, {version} AS _modified, "
                f"false AS _tomb FROM {_parquet(standardized_uri)}")
    tombs = []
    for r in rules:
        raw = raw_dirs.get(f"{r.platform}/{r.source}")
        if not r.deleted_field or not raw or not any(local_path(raw).glob("*.parquet")):
            continue
        cols = {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {_parquet(raw)}").fetchall()}
        if r.deleted_field not in cols or r.id_field not in cols:
            continue
        values = ", ".join(_q(v) for v in r.deleted_values)
        # the tombstone's own modification date, when the raw row carries it
        version = (f"try_cast(left(trim({r.version_column}), 10) AS DATE)"
                   if r.version_column in cols else "CAST(NULL AS DATE)")
        tombs.append(f"""SELECT {', '.join(
            f"{_q(r.platform)} AS {c}" if c == 'src_platform' else
            f"{_q(r.source)} AS {c}" if c == 'src_source' else
            f"NULLIF(trim({r.id_field}), '') AS {c}" if c == 'src_record_id' else
            f"CAST(NULL AS {_duck_type(c)}) AS {c}" for c in RECORD_COLUMNS)},
            {version} AS _modified, true AS _tomb
            FROM {_parquet(raw)} WHERE trim({r.deleted_field}) IN ({values})
              AND NULLIF(trim({r.id_field}), '') IS NOT NULL""")
    union = " UNION ALL ".join(["SELECT * FROM state_day"] + tombs)
    # a tombstone beats the same key's record of the day; then the newest version, then the
    # last row read (a source listing a key twice)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE state_incoming AS
        SELECT * EXCLUDE (_rank) FROM (
          SELECT *, row_number() OVER (PARTITION BY {', '.join(KEY)}
                   ORDER BY _tomb DESC, _modified DESC NULLS LAST, src_location DESC NULLS LAST) AS _rank
          FROM ({union}) WHERE src_record_id IS NOT NULL)
        WHERE _rank = 1""")


def _present(con, rules: list[SourceRule], quarantine_uri: str | None) -> str:
    """``state_present``: the keys a full snapshot listed (accepted or refused): the others of
    its source are deleted."""
    snapshot = [r for r in rules if r.snapshot]
    refused = "SELECT NULL AS src_platform, NULL AS src_source, NULL AS src_record_id WHERE false"
    if quarantine_uri and any(local_path(quarantine_uri).glob("*.parquet")):
        refused = (f"SELECT src_platform, src_source, trim(src_record_id) AS src_record_id "
                   f"FROM {_parquet(quarantine_uri)} WHERE src_record_id IS NOT NULL")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE state_present AS
        SELECT DISTINCT * FROM (SELECT {', '.join(KEY)} FROM state_incoming UNION ALL {refused})""")
    return " OR ".join(f"(t.src_platform = {_q(r.platform)} AND t.src_source = {_q(r.source)})"
                       for r in snapshot) or "false"


def _changes(con, rules: list[SourceRule], day: str, snapshot_of: str) -> None:
    """``state_actions`` (every incoming key's fate), ``state_changes`` (the history rows of the
    day) and ``state_merge`` (what the MERGE writes)."""
    on = " AND ".join(f"s.{k} = t.{k}" for k in KEY)
    differs = " OR ".join(f"s.{c} IS DISTINCT FROM t.{c}" for c in CONTENT)
    changed = "concat_ws(',', " + ", ".join(
        f"CASE WHEN s.{c} IS DISTINCT FROM t.{c} THEN {_q(c)} END" for c in CONTENT) + ")"
    newer = "coalesce(s._modified, DATE '0001-01-01') >= coalesce(t._modified, DATE '0001-01-01')"
    # a deleted key comes back in a full snapshot that lists it, or with a strictly newer version
    snapshot = " OR ".join(f"(s.src_platform = {_q(r.platform)} AND s.src_source = {_q(r.source)})"
                           for r in rules if r.snapshot) or "false"
    back = f"({snapshot}) OR coalesce(s._modified, DATE '0001-01-01') > coalesce(t._modified, DATE '0001-01-01')"
    con.execute(f"""CREATE OR REPLACE TEMP TABLE state_actions AS
        SELECT s.*, t._modified AS _t_modified, t._inserted_on AS _t_inserted,
          CASE WHEN s._tomb THEN CASE WHEN t.src_record_id IS NULL THEN 'tombstone'
                                      WHEN t._deleted THEN 'none' ELSE 'delete' END
               WHEN t.src_record_id IS NULL THEN 'insert'
               WHEN NOT ({newer}) THEN 'stale'
               WHEN t._deleted AND NOT ({back}) THEN 'stale'
               WHEN t._deleted THEN 'insert'
               WHEN {differs} THEN 'update'
               ELSE 'unchanged' END AS change,
          CASE WHEN t.src_record_id IS NOT NULL AND NOT t._deleted THEN {changed} END AS changed_fields
        FROM state_incoming s LEFT JOIN state_current t ON {on}""")
    # rows of a full snapshot's source that the snapshot no longer lists
    con.execute(f"""INSERT INTO state_actions BY NAME
        SELECT t.* EXCLUDE (_deleted, _inserted_on, _changed_on), false AS _tomb,
               t._modified AS _t_modified, t._inserted_on AS _t_inserted,
               'delete' AS change, NULL AS changed_fields
        FROM state_current t ANTI JOIN state_present p ON {on.replace('s.', 'p.')}
        WHERE NOT t._deleted AND ({snapshot_of})""")
    # the record as it became (a tombstone: as it was, so its history row shows it)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE state_changed AS
        SELECT a.change, nullif(a.changed_fields, '') AS changed_fields,
               CASE WHEN a.change = 'delete' AND a._modified IS NOT NULL AND t._modified IS NOT NULL
                    THEN greatest(a._modified, t._modified)
                    WHEN a.change = 'delete' THEN coalesce(a._modified, t._modified)
                    ELSE a._modified END AS modified_date,
               {', '.join(f"CASE WHEN a._tomb THEN t.{c} ELSE a.{c} END AS {c}" if c not in KEY
                          else f"a.{c} AS {c}" for c in RECORD_COLUMNS)},
               DATE {_q(day)} AS run_date, t._inserted_on AS _t_inserted
        FROM state_actions a LEFT JOIN state_current t
          ON {' AND '.join(f"a.{k} = t.{k}" for k in KEY)}
        WHERE a.change IN ('insert', 'update', 'delete', 'tombstone')""")
    # a tombstone for a key never seen is kept (a late copy of it must not appear), not history
    con.execute(f"""CREATE OR REPLACE TEMP VIEW state_changes AS
        SELECT {', '.join(f.name for f in RECORD_CHANGE.fields)} FROM state_changed
        WHERE change <> 'tombstone'""")
    con.execute(f"""CREATE OR REPLACE TEMP VIEW state_merge AS
        SELECT {', '.join(RECORD_COLUMNS)}, modified_date AS _modified,
               change IN ('delete', 'tombstone') AS _deleted,
               coalesce(_t_inserted, DATE {_q(day)}) AS _inserted_on,
               DATE {_q(day)} AS _changed_on
        FROM state_changed""")


def _arrow(result) -> pa.Table:
    """DuckDB's Arrow result as a table (a reader in newer DuckDB releases)."""
    return result.read_all() if hasattr(result, "read_all") else result


def _create(path, batch: pa.Table, metadata) -> None:
    from deltalake import write_deltalake

    if not _is_remote(path):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_deltalake(str(path), batch, partition_by=["src_platform", "src_source"],
                    commit_properties=metadata)


def _merge(table, batch: pa.Table, metadata) -> None:
    """One atomic commit: inserts, updates and deletes (as tombstone rows) of the day."""
    from deltalake import write_deltalake

    before = table.version()
    target = pa.schema(table.schema().to_arrow())
    for field in target:  # a column the table still has but no longer declared: null from now on
        if field.name not in batch.column_names:
            batch = batch.append_column(field.name, pa.nulls(len(batch), field.type))
    source = batch.select(target.names).cast(target)
    keys = " AND ".join(f"t.{k} = s.{k}" for k in KEY)
    assign = {c: f"s.{c}" for c in target.names}
    (table.merge(source, predicate=keys, source_alias="s", target_alias="t",
                 commit_properties=metadata)
     .when_matched_update(updates=assign)
     .when_not_matched_insert(updates=assign)
     .execute())
    if table.version() == before:  # nothing changed: the day is still recorded
        write_deltalake(table.table_uri, source.slice(0, 0), mode="append",
                        commit_properties=metadata)


def _write_parquet(con, select: str, uri: str, run_id: str) -> None:
    """A zone directory written aside and swapped in (never half-written)."""
    final = local_path(uri)
    aside = final.with_name(f"{final.name}.tmp-{run_id}")
    shutil.rmtree(aside, ignore_errors=True)
    aside.mkdir(parents=True)
    con.execute(f"COPY ({select}) TO {_q((aside / 'part-00000.parquet').as_posix())} (FORMAT parquet)")
    old = final.with_name(f"{final.name}.old-{run_id}")
    if final.exists():
        os.replace(final, old)
    os.replace(aside, final)
    shutil.rmtree(old, ignore_errors=True)


# ---------------------------------------------------------------- the pipeline's view
def _on_hdfs(ctx) -> bool:
    return ctx.profile.get("lake.kind") == "hdfs"


def state_path(ctx) -> Path | str:
    """``<lake>/state/current``: a local directory, or on an HDFS lake its ``hdfs://`` URI (the
    Delta table lives on HDFS beside the zones; delta-rs reads and writes it there)."""
    if _on_hdfs(ctx):
        return f"{ctx.lake_root}/state/current"
    return local_path(ctx.lake_root) / "state" / "current"


class LakeZones:
    """The days' zones of an HDFS lake, as :func:`apply_day` wants them (``zones(day)``).

    The comparison runs in DuckDB on the driver, which reads local files: a day's standardized
    records, refused records and (for sources with a delete flag) raw rows are copied from the
    lake into a scratch directory when a day is first asked for; the day's outputs (``changes``,
    ``current``) are written there and :meth:`publish` moves them into the lake, each directory
    written aside and renamed over the old one (``Lake.staged_directory``). They are published
    after the state's commit: a run killed in between re-runs the newest day, which restores the
    table to before it and writes them again."""

    def __init__(self, ctx, lake, scratch: Path, rules: list[SourceRule]):
        self.ctx, self.lake, self.scratch = ctx, lake, scratch
        self.deleting = [r for r in rules if r.deleted_field]
        self.days: dict[str, DayZones] = {}

    def _fetch(self, uri: str) -> str:
        rel = self.ctx.lake_path(uri)
        local = self.scratch / "in" / rel
        local.mkdir(parents=True, exist_ok=True)
        if self.lake.exists(rel):
            for name in self.lake.list(rel):
                if name.endswith(".parquet"):
                    (local / name).write_bytes(self.lake.read_bytes(self.lake.join(rel, name)))
        return local.as_posix()

    def __call__(self, day: str) -> DayZones:
        if day not in self.days:
            other = replace(self.ctx, run_date=date.fromisoformat(day))
            self.days[day] = DayZones(
                standardized=self._fetch(other.zone("standardized")),
                quarantine=self._fetch(other.zone("quarantine")),
                raw_dirs={f"{r.platform}/{r.source}": self._fetch(other.raw_dir(r.platform, r.source))
                          for r in self.deleting},
                changes=(self.scratch / "out" / self.ctx.lake_path(other.zone("changes"))).as_posix(),
                current=(self.scratch / "out" / self.ctx.lake_path(other.zone("current"))).as_posix())
        return self.days[day]

    def publish(self) -> list[str]:
        """Every output directory written (the day's, and the days replayed after it)."""
        published = []
        for zones in self.days.values():
            for out in (zones.changes, zones.current):
                local = Path(out)
                if not local.is_dir():
                    continue
                final = local.relative_to(self.scratch / "out").as_posix()
                with self.lake.staged_directory(final, self.ctx.run_id) as staging:
                    for part in sorted(local.glob("*.parquet")):
                        self.lake.put_file(part, self.lake.join(staging, part.name))
                published.append(final)
        return published


def run_state(ctx) -> dict:
    """The conform stage's last step: merge the day into the state (see the module)."""
    from ..dedup.stage import duckdb_settings

    sources = ctx.profile.sources
    if _on_hdfs(ctx):
        import tempfile

        # delta-rs's HDFS client acts as HADOOP_USER_NAME (else the OS user), as Spark's does
        if ctx.profile.get("lake.user"):
            os.environ.setdefault("HADOOP_USER_NAME", str(ctx.profile.get("lake.user")))
        scratch_root = ctx.profile.path("home") / "tmp"
        scratch_root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=f"state-{ctx.run_id}-", dir=scratch_root) as scratch:
            zones = LakeZones(ctx, ctx.lake(), Path(scratch), [SourceRule.of(s) for s in sources])
            result = apply_day(state_path=state_path(ctx), run_date=ctx.run_date, run_id=ctx.run_id,
                               sources=sources, zones=zones, duckdb=duckdb_settings(ctx.profile))
            result["published"] = zones.publish()
        return result

    def zones(day: str) -> DayZones:
        other = replace(ctx, run_date=date.fromisoformat(day))
        return DayZones(standardized=other.zone("standardized"), quarantine=other.zone("quarantine"),
                        raw_dirs={f"{s['platform']}/{s['source']}": other.raw_dir(s["platform"], s["source"])
                                  for s in sources},
                        changes=other.zone("changes"), current=other.zone("current"))

    return apply_day(state_path=state_path(ctx), run_date=ctx.run_date, run_id=ctx.run_id,
                     sources=sources, zones=zones, duckdb=duckdb_settings(ctx.profile))


def _zone_exists(ctx, name: str) -> bool:
    uri = ctx.zone(name)
    if _on_hdfs(ctx):
        return ctx.lake().exists(ctx.lake_path(uri))
    return local_path(uri).is_dir()


def has_changes(ctx) -> bool:
    return _zone_exists(ctx, "changes")


def records_zone(ctx) -> str:
    """What dedup reads: the current state of the day when the state ran, else the day's records."""
    return ctx.zone("current") if _zone_exists(ctx, "current") else ctx.zone("standardized")
