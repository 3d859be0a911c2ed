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
the processed-file ledger (:mod:`bayres.jobs.extract.feed_ledger`): unchanged files are carried from the
previous run, never parsed twice; changed and removed ones are detected and listed.

Parquet bytes depend only on the input and ``batch_rows`` (no timestamps inside), so a re-run
over the same input writes identical parts.

The stage is cut along its seams: :mod:`bayres.jobs.extract.parts` (the raw zone's run
directories and parquet parts), :mod:`bayres.jobs.extract.files` (feeds from the drop folder),
:mod:`bayres.jobs.extract.sql` (relational sources: modes and splits) and
:mod:`bayres.jobs.extract.watermark` (incremental windows and the watermark).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import posixpath
import re
import shutil
import tempfile
from pathlib import Path
from typing import Optional

from ...connectors.drop_folder import LocalDropFolder
from ...connectors.feeds import FORMATS
from ...connectors.lake import MANIFEST, Lake
from ...connectors.sql_source import SqlReader
from ...connectors.state_store import StateConflict, StateStore
from .files import extract_files
from .parts import RUN_DATE, SRC_COLUMNS, Part, PartWriter, raw_path
from .sql import extract_sql, sql_config
from .watermark import check_unmoved, plan_incremental, state_doc
from .feed_ledger import FeedLedger

log = logging.getLogger(__name__)

_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
_RUN_ID = re.compile(r"^[A-Za-z0-9_.:+-]+$")


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def needs_state(source: dict) -> bool:
    """Whether extracting ``source`` reads or moves a watermark in the state store."""
    return source.get("format") == "sql" and (source.get("sql") or {}).get("mode", "full") != "full"


def _publish_parts(parts: list[Part], lake: Lake, staging: str) -> tuple[list[dict], str]:
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
    if not RUN_DATE.match(run_date) or not _RUN_ID.match(run_id):
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
                plan = plan_incremental(cfg, reader, state, lake, platform, name, run_date)
        _remove_dead_spools()
        with tempfile.TemporaryDirectory(prefix=f"{_SPOOL_PREFIX}{os.getpid()}-") as spool, \
                lake.staged_directory(final, run_id) as staging:
            files, sql_read = {}, None
            if cfg is not None:
                columns, parts, splits = extract_sql(cfg, reader, plan.window if plan else None,
                                                      Path(spool), batch_rows)
                sql_read = {"path": "fast" if reader.fast else "generic", "splits": splits}
            else:
                writer = PartWriter(Path(spool), batch_rows)
                ledger = FeedLedger.previous(lake, posixpath.dirname(final), run_date)
                drop = feeds_root if hasattr(feeds_root, "local_copy") else LocalDropFolder(feeds_root)
                files = extract_files(source, writer, drop, ledger, lake, Path(spool))
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
                check_unmoved(state, plan)
        # the run directory is published: the run is committed; only now move the watermark
        if plan is not None and plan.advance:
            doc = {**state_doc(plan.info, run_date, run_id), "rows": manifest["rows"]}
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
    log.debug("extracted %s/%s %s: %d rows (%d error rows), %d files quarantined%s",
             platform, name, run_date, manifest["rows"], manifest["error_rows"],
             len(manifest["files_quarantined"]),
             f", window {plan.info['window']}" if plan is not None else "")
    return manifest
