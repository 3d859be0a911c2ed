"""Incremental runs and the watermark (key ``watermarks/<platform>/<source>`` of the state store):

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

import logging
from dataclasses import dataclass, replace
from typing import Any, Optional

from ...connectors.lake import MANIFEST, Lake
from ...connectors.sql_predicates import Window, decode_value, encode_value
from ...connectors.sql_source import SqlReader
from ...connectors.state_store import StateConflict, StateStore, watermark_key
from .parts import RUN_DATE, raw_path
from .sql import SqlConfig

log = logging.getLogger(__name__)


@dataclass
class Plan:
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


def state_doc(info: dict, run_date: str, run_id: str) -> dict:
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
                   if RUN_DATE.match(d) and (doc is None or d >= doc["run_date"]))
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
    new = state_doc(info, latest, manifest.get("run_id"))
    version = state.put(key, new, expected_version=version)
    log.warning("%s/%s: run %s of %s was published but had not moved the watermark; the watermark "
                "now records it (%s)", platform, name, manifest.get("run_id"), latest, info.get("window"))
    return new, version


def plan_incremental(cfg: SqlConfig, reader: SqlReader, state: StateStore, lake: Lake,
                     platform: str, name: str, run_date: str) -> Plan:
    """The window of this run (see the notes above)."""
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
        return Plan(key, window, _window_info(cfg, window, run, doc), False, version)
    return Plan(key, window, _window_info(cfg, window, run, doc), True, version)


def check_unmoved(state: StateStore, plan: Plan) -> None:
    """Refuse to publish when the watermark moved since the plan was made (an overlapping run)."""
    _, version = state.get_versioned(plan.key)
    if version != plan.version:
        raise StateConflict(plan.key, plan.version, version)
