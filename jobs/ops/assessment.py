"""The run report as Hive tables kept over time: ``run_stage`` and ``platform_assessment``.

``run_stage`` — one row per stage of a run: when it started, how long it took, ``ok`` or
``failed`` and the error. ``platform_assessment`` — one row per platform and run: the platform
performance assessment of the seed paper,

* failure rate — ``quarantined / extracted``: the share of the platform's records refused by
  standardisation and calibration (null when nothing was extracted);
* service quality — measured from the platform's service logs (the ``logs`` stage,
  jobs/service_logs/stats.py): ``availability × (1 − error_rate)``; with the logs' ``availability``,
  ``service_failure_rate`` (1 − availability), ``error_rate``, ``latency_p95_ms`` and user
  ``satisfaction``. A run that collected no logs falls back to ``sources_delivered / sources``
  (the share of the platform's sources delivered with no unreadable file); with ``published``
  (the run reached the catalogue) and ``stages_failed``;
* data quality — ``quality_score``: the run's ``quality_score.score`` for the platform.

Rows are computed from the run report (a dict, see ``report.write_report``), so they are the
same figures as report.json. Both tables are partitioned by ``run_date`` and ``run_id``;
loading a run replaces that run's partition only (dynamic partition overwrite), so the rows of
other runs of the same date stay, and re-running a day never duplicates.
"""
from __future__ import annotations

import logging
from datetime import date

from bayres.schemas.derive_spark import spark_schema
from bayres.schemas.resource import PLATFORM_ASSESSMENT, RUN_STAGE

log = logging.getLogger("bayres")
#: the order stages run in (report rows follow it; unknown stages come after)
STAGE_ORDER = ("extract", "conform", "dedup", "load", "quality", "publish", "logs")


def _stage_key(name: str) -> tuple:
    return (STAGE_ORDER.index(name) if name in STAGE_ORDER else len(STAGE_ORDER), name)


def stage_rows(rep: dict) -> list[dict]:
    """``run_stage`` rows of a run report."""
    day = date.fromisoformat(rep["run_date"])
    return [{"run_id": rep["run_id"], "profile": rep["profile"], "stage": name,
             "started_at": info.get("started_at"), "seconds": _float(info.get("seconds")),
             "status": info.get("status") or "ok", "error": info.get("error"), "run_date": day}
            for name, info in sorted(rep["stages"].items(), key=lambda kv: _stage_key(kv[0]))]


def delivered_sources(stages: dict) -> dict[str, dict]:
    """``platform/source`` → {platform, rows, files_quarantined} of the sources that landed:
    the lake's manifests as conform read them, else the extraction's own manifests."""
    extracted = (stages.get("conform") or {}).get("extracted")
    if extracted:
        return extracted
    return {f"{m['platform']}/{m['source']}": {
                "platform": m["platform"], "rows": m["rows"],
                "files_quarantined": len(m.get("files_quarantined") or [])}
            for m in (stages.get("extract") or {}).get("manifests") or []}


def platform_rows(rep: dict, sources: list[dict]) -> list[dict]:
    """``platform_assessment`` rows of a run report; ``sources`` are the profile's sources."""
    stages = rep["stages"]
    configured: dict[str, int] = {}
    for s in sources:
        configured[s["platform"]] = configured.get(s["platform"], 0) + 1
    delivered: dict[str, int] = {}
    for m in delivered_sources(stages).values():
        if not m.get("files_quarantined"):
            delivered[m["platform"]] = delivered.get(m["platform"], 0) + 1
    scores = {s["src_platform"]: s["score"] for s in (stages.get("quality") or {}).get("scores") or []}
    published = bool(stages["publish"].get("published")) if "publish" in stages else None
    failed = sum(1 for info in stages.values() if info.get("status") == "failed")
    svc = (stages.get("logs") or {}).get("platforms") or {}
    rows = []
    for platform in sorted(set(configured) | set(rep["accounting"])):
        acc = rep["accounting"].get(platform) or {}
        extracted = int(acc.get("extracted", 0))
        quarantined = int(acc.get("quarantined", 0))
        rows.append({
            "run_id": rep["run_id"], "src_platform": platform,
            "sources": configured.get(platform, 0),
            "sources_delivered": delivered.get(platform, 0),
            "extracted": extracted, "standardized": int(acc.get("standardized", 0)),
            "quarantined": quarantined, "files_quarantined": int(acc.get("files_quarantined", 0)),
            "failure_rate": quarantined / extracted if extracted else None,
            "service_quality": service_quality(svc.get(platform),
                                               delivered.get(platform, 0), configured.get(platform)),
            **service_figures(svc.get(platform)),
            "quality_score": _float(scores.get(platform)),
            "gbt30523_conformance": _float((rep.get("gbt30523") or {}).get(platform, {})
                                           .get("gbt30523_conformance")),
            "published": published, "stages_failed": failed,
            "run_date": date.fromisoformat(rep["run_date"])})
    return rows


def service_quality(measured: dict | None, delivered: int, configured: int | None) -> float | None:
    """availability x (1 - error rate) from the service logs; without logs, the share of the
    platform's sources delivered."""
    if measured and measured.get("availability") is not None and measured.get("error_rate") is not None:
        return float(measured["availability"]) * (1.0 - float(measured["error_rate"]))
    return delivered / configured if configured else None


def service_figures(measured: dict | None) -> dict:
    """The service logs' figures of a platform (nulls when the run collected none)."""
    m = measured or {}
    avail = _float(m.get("availability"))
    return {"availability": avail, "service_failure_rate": None if avail is None else 1.0 - avail,
            "error_rate": _float(m.get("error_rate")), "latency_p95_ms": _float(m.get("latency_p95_ms")),
            "satisfaction": _float(m.get("satisfaction"))}


def _float(value) -> float | None:
    return None if value is None else float(value)


def ensure_tables(spark, database: str) -> None:
    """Create both tables if they do not exist (jobs/publish/load.ensure_table: an earlier
    BayRes's table gains the columns declared since, one laid out otherwise is refused)."""
    from ..publish.load import ensure_table

    for table in (RUN_STAGE, PLATFORM_ASSESSMENT):
        ensure_table(spark, table, database)


def load_stages(spark, database: str, rep: dict) -> dict:
    """Write the run's ``run_stage`` rows only (a run under way: its stage is ``running``).
    jobs/ops/report.load_progress calls it once the run's background Spark session is up, so the
    Hive client's first statements are not paid at the end of the run."""
    ensure_tables(spark, database)
    return _write(spark, database, RUN_STAGE, stage_rows(rep), date.fromisoformat(rep["run_date"]))


def load(spark, database: str, rep: dict, sources: list[dict]) -> dict:
    """Write the run's rows of both tables (Hive, partitions ``run_date``/``run_id``: the run's
    own partition is replaced, other runs' are not touched); table → rows of the run."""
    ensure_tables(spark, database)
    out = {}
    day = date.fromisoformat(rep["run_date"])
    for table, rows in ((RUN_STAGE, stage_rows(rep)), (PLATFORM_ASSESSMENT, platform_rows(rep, sources))):
        loaded = _write(spark, database, table, rows, day)
        out[table.name] = {**loaded, "rows": len(rows), "partition_rows": loaded["rows"]}
    return out


def _write(spark, database: str, table, rows: list[dict], day: date) -> dict:
    """Replace the run's partition of ``table`` (created by :func:`ensure_tables`) with ``rows``."""
    from ..publish.load import to_hive

    frame = spark.createDataFrame(rows, schema=spark_schema(table))
    return to_hive(spark, frame, table, database, day, ensure=False)
