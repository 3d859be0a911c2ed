"""The whole run: extract → standardize/calibrate → dedup → load → quality → publish → report.

Each stage reads the zone the previous stage wrote, so any stage can be re-run alone
(``bayres run --stage dedup``), and every stage replaces its own day's outputs: re-running a
day gives the same result, never duplicates.
"""
from __future__ import annotations

import contextlib
import logging
from datetime import date
from functools import partial
from pathlib import Path

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from bayres.schemas.fields import Field, Table
from bayres.schemas.resource import (CSTR_CHANGE, GOLDEN_RESOURCE, QUALITY_SCORE, QUARANTINE,
                                     RECORD_LINEAGE, RESOURCE_RECORD)

from ..dedup import stage as dedup
from ..publish import load
from ..ops import report
from ..conform.calibration.money import FxRates
from ..conform.calibration.names import OrgAliases
from .config import load_yaml
from ..conform.stage import conform_sources, split_conformed
from ...connectors.commit import write_spark_directory
from ...connectors.drop_folder import drop_folder_for
from ...connectors.state_store import state_store_for
from ..extract.stage import extract_source, needs_state
from ..extract.parts import raw_path
from .locks import publish_lock
from .progress import Progress, spark_tasks
from .context import RunContext
from ..conform.standardize import SourceContext

log = logging.getLogger("bayres")
STAGES = ("extract", "conform", "dedup", "load", "quality", "publish", "logs")


# ---------------------------------------------------------------- stages
def select_sources(all_sources: list[dict], wanted=None) -> list[dict]:
    """The sources named by ``wanted`` (platform codes or ``platform/source`` keys); all if None."""
    if wanted is None:
        return list(all_sources)
    wanted = {wanted} if isinstance(wanted, str) else set(wanted)
    chosen = [s for s in all_sources
              if s["platform"] in wanted or f"{s['platform']}/{s['source']}" in wanted]
    known = {s["platform"] for s in all_sources} | {f"{s['platform']}/{s['source']}" for s in all_sources}
    if wanted - known:
        raise ValueError(f"no configured source or platform named {', '.join(sorted(wanted - known))}")
    return chosen


def run_extract(ctx: RunContext, sources=None) -> None:
    """Extract every source, or only ``sources`` (platform codes or ``platform/source`` keys):
    then the manifests an earlier invocation of the same run wrote for the others are kept."""
    selected = select_sources(ctx.profile.sources, sources)
    with ctx.stage("extract") as info:
        lake = ctx.lake()
        feeds_root = drop_folder_for(ctx.profile)  # a local or an HDFS directory
        urls = ctx.profile.get("sources.databases") or {}
        manifests = []
        with contextlib.ExitStack() as stack:
            # incremental SQL sources keep their watermarks in the profile's state store
            # (ZooKeeper in the cluster, files locally); opened only when a source needs it
            state = stack.enter_context(state_store_for(ctx.profile)) \
                if any(needs_state(s) for s in selected) else None
            with Progress("extract", len(selected), unit="sources") as progress:
                for i, source in enumerate(selected, 1):
                    manifests.append(_extract_one(ctx, source, i, len(selected), feeds_root=feeds_root,
                                                  urls=urls, lake=lake, state=state))
                    progress.update(detail=f"{source['platform']}/{source['source']} "
                                           f"{manifests[-1]['rows']:,} records")
        if sources is not None:  # re-read now: other platforms' extractions may have finished since
            done = {(m["platform"], m["source"]) for m in manifests}
            earlier = (report.previous_stages(ctx).get("extract") or {}).get("manifests") or []
            manifests = [m for m in earlier if (m["platform"], m["source"]) not in done] + manifests
        info["manifests"] = manifests


def _extract_one(ctx: RunContext, source: dict, i: int, n: int, *, feeds_root, urls, lake, state) -> dict:
    manifest = extract_source(source, feeds_root=feeds_root, database_urls=urls, lake=lake,
                              run_date=ctx.run_date.isoformat(), run_id=ctx.run_id, state=state)
    log.info("[%s] extract %d/%d %s/%s: %d rows (%d broken), %d files quarantined",
             ctx.run_id, i, n, source["platform"], source["source"], manifest["rows"],
             manifest.get("error_rows", 0), len(manifest.get("files_quarantined") or []))
    return manifest


def run_conform(ctx: RunContext, spark: SparkSession) -> None:
    """Standardize + calibrate every source; write the standardized and quarantine zones."""
    with ctx.stage("conform") as info:
        fx = FxRates.from_csv(ctx.profile.path("reference.fx_rates"))
        aliases = OrgAliases.from_csv(ctx.profile.path("reference.org_aliases"))
        contexts = {}
        lake = ctx.lake()
        info["warnings"] = []
        for source in ctx.profile.sources:
            raw_dir = ctx.raw_dir(source["platform"], source["source"])
            manifest = lake.read_manifest(raw_path(source["platform"], source["source"],
                                                   ctx.run_date.isoformat()))
            # the lake's manifests are the authority on what was extracted (extraction may have
            # run platform by platform, in other processes)
            info.setdefault("extracted", {})[f"{source['platform']}/{source['source']}"] = {
                "platform": source["platform"], "rows": manifest["rows"],
                "files_quarantined": len(manifest.get("files_quarantined") or []),
                "rows_discarded": manifest.get("rows_discarded") or 0}
            absent = sorted(set((source.get("mapping") or {}).values()) - set(manifest["columns"]))
            if absent:  # the mapping names columns this run's data does not have
                info["warnings"].append(f"{source['platform']}/{source['source']}: mapped columns "
                                        f"absent from the raw data: {', '.join(absent)}")
            contexts[f"{source['platform']}/{source['source']}"] = SourceContext(source=source, vocabularies=ctx.profile.vocabularies,
                                              run_id=ctx.run_id, raw_path=raw_dir)
        conformed = conform_sources(spark, contexts, fx, aliases, ctx.run_date)
        # one pass over the sources: materialise to the lake, then count from there
        # every zone written aside and swapped in (bayres.connectors.commit): a kill never
        # leaves a day's zone half-written or missing
        write_spark_directory(conformed, ctx.zone("conformed"), ctx.run_id)
        conformed = spark.read.parquet(ctx.zone("conformed"))
        accepted, refused = split_conformed(conformed, ctx.run_date, ctx.run_id)
        write_spark_directory(accepted, ctx.zone("standardized"), ctx.run_id)
        write_spark_directory(refused, ctx.zone("quarantine"), ctx.run_id)
        counts = conformed.groupBy("src_platform", "src_source").agg(
            F.count("*").alias("rows"),
            F.sum(F.when(F.col("q_stage").isNull(), 1).otherwise(0)).alias("standardized"),
            F.sum(F.when(F.col("q_stage").isNotNull(), 1).otherwise(0)).alias("quarantined"),
            F.sum(F.when(F.col("field_flags").isNotNull() & F.col("q_stage").isNull(), 1)
                  .otherwise(0)).alias("flagged"),
        ).collect()
        info["sources"] = {f"{r.src_platform}/{r.src_source}": r.asDict() for r in counts}
        info["quarantine_reasons"] = [
            r.asDict() for r in spark.read.parquet(ctx.zone("quarantine"))
            .groupBy("src_platform", "stage", "field").count().orderBy("src_platform", "stage", "field")
            .collect()]
        # the day merged into the current state of every source (jobs/state/current.py, issue 18): what
        # dedup and the stages after it read
        from ..state.current import run_state

        info["state"] = run_state(ctx)


def run_dedup(ctx: RunContext, spark: SparkSession, retrain: bool = False) -> None:
    """Link, cluster, merge (jobs/dedup/stage.py) on the engine of ``linkage.backend``."""
    with ctx.stage("dedup") as info:
        info.update(dedup.run_stage(ctx, spark, lake=ctx.lake(), retrain=retrain))


def run_load(ctx: RunContext, spark: SparkSession) -> None:
    """Curated records, lineage and quarantine into Hive (analysts); golden waits for quality."""
    with ctx.stage("load") as info:
        db = str(ctx.profile.get("spark.hive_database") or "bayres")
        info["hive"] = {}
        for table, path in ((RESOURCE_RECORD, ctx.zone("curated", "resource_record")),
                            (RECORD_LINEAGE, ctx.zone("curated", "record_lineage")),
                            (CSTR_CHANGE, ctx.zone("curated", "cstr_change")),
                            (QUARANTINE, ctx.zone("quarantine"))):
            info["hive"][table.name] = load.to_hive(spark, spark.read.parquet(path), table, db,
                                                    ctx.run_date)
        from ..state.current import RECORD_CHANGE, has_changes

        if has_changes(ctx):  # the catalogue's history: the day's changes of the current state
            info["hive"][RECORD_CHANGE.name] = load.to_hive(
                spark, spark.read.parquet(ctx.zone("changes")), RECORD_CHANGE, db, ctx.run_date)


def raw_index(ctx: RunContext, spark: SparkSession):
    """One row per raw record of every source: (_source, _src_id, _src_location, _src_error)."""
    sources = ctx.profile.sources
    raw = spark.read.option("mergeSchema", "true").parquet(
        *(ctx.raw_dir(s["platform"], s["source"]) for s in sources))
    source = F.concat_ws("/", *[F.element_at(F.split(F.col("_metadata.file_path"), "/"), i)
                                for i in (-4, -3)])
    src_id = F.lit(None).cast("string")
    for s in sources:
        src_id = F.when(source == f"{s['platform']}/{s['source']}", F.col(s["id_field"])) \
            .otherwise(src_id)
    return raw.select(source.alias("_source"), src_id.alias("_src_id"), "_src_location", "_src_error")


#: the raw stage's table: every parsed raw row has its source's id and a location
RAW_INDEX = Table("raw_records", (
    Field("_source", mandatory=True, derived=True), Field("_src_id", derived=True),
    Field("_src_location", mandatory=True, derived=True), Field("_src_error", derived=True)),
    "Raw records of every source, as extracted", key=("_source", "_src_id"))


def run_quality(ctx: RunContext, spark: SparkSession) -> None:
    """Great Expectations at the raw, standardized and golden stages; platform scores."""
    from bayres.quality.expectations import suite_for
    from bayres.quality.scores import platform_scores
    from bayres.quality.validate import validate

    with ctx.stage("quality") as info:
        vocab = {name: list(v.codes) for name, v in ctx.profile.vocabularies.items()}
        records = spark.read.parquet(ctx.zone("curated", "resource_record"))
        batches = (("raw", RAW_INDEX, raw_index(ctx, spark)),
                   ("standardized", RESOURCE_RECORD, records),
                   ("golden", GOLDEN_RESOURCE, spark.read.parquet(ctx.zone("curated", "golden_resource"))))
        info.update(critical_failures=[], warnings=[], stages={})
        for i, (stage, table, frame) in enumerate(batches, 1):
            suite = suite_for(table, vocab, stage)
            log.info("[%s] quality %d/%d: %d checks on the %s records (%s)", ctx.run_id, i,
                     len(batches), len(suite.expectations), stage, table.name)
            result = validate(frame, suite, context_root=ctx.profile.path("quality.root"),
                              run_id=ctx.run_id, data_name=table.name)
            info["stages"][stage] = {"success": result.success, "results": str(result.results_path),
                                     "statistics": result.statistics}
            info["critical_failures"] += [f"{stage}: {text}" for text in result.critical_failures]
            info["warnings"] += [f"{stage}: {text}" for text in result.warnings]
            info["data_docs"] = str(result.data_docs_index)
        info["success"] = not info["critical_failures"]
        # GB/T 30523 conformance per platform and source (report.json: gbt30523)
        from ..conform.gbt30523 import measure
        info["gbt30523"] = measure(records, batches[2][2])
        scores = platform_scores(records, ctx.run_id, ctx.run_date)
        db = str(ctx.profile.get("spark.hive_database") or "bayres")
        load.to_hive(spark, scores, QUALITY_SCORE, db, ctx.run_date)
        info["scores"] = [r.asDict() for r in scores.orderBy("src_platform").collect()]


#: the publication's commits, in the order they are made: Hive's golden partition, the serving
#: store (full store, then each audience's), the audiences' Hive views, the audit, the portal's
#: index. Each replaces what it publishes, so doing one again rewrites the same state.
PUBLISH_STEPS = ("hive", "serving", "hive_views", "governance", "portal_index")
#: the publish journal, in the lake: present while a publication is under way (issue 19)
PUBLISH_JOURNAL = "publish/_journal.json"


def _journal_write(lake, journal: dict) -> None:
    import json

    lake.write_bytes(PUBLISH_JOURNAL, json.dumps(journal, ensure_ascii=False, indent=1,
                                                 default=str).encode("utf-8"))


def pending_publish(lake) -> dict | None:
    """The journal of a publication that a kill interrupted, if any."""
    import json

    if not lake.exists(PUBLISH_JOURNAL):
        return None
    return json.loads(lake.read_bytes(PUBLISH_JOURNAL).decode("utf-8"))


def _publish_step(ctx: RunContext, spark: SparkSession, name: str, info: dict):
    db = str(ctx.profile.get("spark.hive_database") or "bayres")
    if name == "hive":
        golden = spark.read.parquet(ctx.zone("curated", "golden_resource"))
        return load.to_hive(spark, golden, GOLDEN_RESOURCE, db, ctx.run_date)
    if name == "serving":
        return load.to_serving(ctx, spark.read.parquet(ctx.zone("curated", "golden_resource")),
                               spark.read.parquet(ctx.zone("curated", "record_lineage")),
                               spark.read.parquet(ctx.zone("curated", "resource_record")))
    from ..publish.governance import publish_audit, publish_hive_views, rules_for

    if name == "hive_views":
        # governance (issue 20): per-audience Hive views over the curated tables
        return publish_hive_views(
            spark, rules_for(ctx), db,
            (RESOURCE_RECORD, GOLDEN_RESOURCE, RECORD_LINEAGE, CSTR_CHANGE, QUARANTINE, QUALITY_SCORE))
    if name == "governance":  # the audit of what went to which audience
        return publish_audit(ctx, spark, info["serving"], info["hive_views"])
    if name == "portal_index":  # the portal's search index and statistics (bayres serve, portal/)
        from bayres.portal.publish import build_portal_index

        return build_portal_index(ctx, spark)
    raise ValueError(f"unknown publish step {name!r}")


def publish_in_order(ctx: RunContext, spark: SparkSession, info: dict, still_ours=lambda: None,
                     journal: dict | None = None) -> None:
    """Make the publication's commits (:data:`PUBLISH_STEPS`) in their order, journalled: the
    journal (``publish/_journal.json`` in the lake) is written before the first commit, records
    each commit (and what it returned) once it is made, and is removed after the last. A run
    killed between two commits leaves it behind, and the next run — whatever its stages —
    completes that publication first (:func:`complete_pending_publish`): readers of Hive and of
    the serving store may see two runs mixed only until then, and the state it leaves is the
    state an uninterrupted publication leaves."""
    lake = ctx.lake()
    journal = journal or {"run_id": ctx.run_id, "run_date": ctx.run_date.isoformat(),
                          "steps": list(PUBLISH_STEPS), "done": {}}
    info.update(journal["done"])
    _journal_write(lake, journal)
    for name in PUBLISH_STEPS:
        if name in journal["done"]:
            continue
        still_ours()
        info[name] = _publish_step(ctx, spark, name, info)
        journal["done"][name] = info[name]
        _journal_write(lake, journal)
    lake.delete(PUBLISH_JOURNAL)


def complete_pending_publish(profile, spark: SparkSession) -> dict | None:
    """Complete the publication a killed run left journalled (its own run id and date, the
    commits it had not made), under the publish lock; returns what it did, or None."""
    ctx = RunContext(profile=profile, run_date=date.today())  # only for the lake's location
    journal = pending_publish(ctx.lake())
    if journal is None:
        return None
    ctx = RunContext(profile=profile, run_date=date.fromisoformat(journal["run_date"]),
                     run_id=journal["run_id"])
    missing = [s for s in PUBLISH_STEPS if s not in journal["done"]]
    log.warning("[%s] its publication was interrupted after %s: completing %s", ctx.run_id,
                ", ".join(journal["done"]) or "no commit", ", ".join(missing))
    info: dict = {}
    with publish_lock(profile, f"{ctx.run_id} (recovery)") as still_ours:
        journal = pending_publish(ctx.lake())  # another run may have completed it meanwhile
        if journal is not None:
            publish_in_order(ctx, spark, info, still_ours, journal)
    return {"run_id": ctx.run_id, "run_date": ctx.run_date.isoformat(),
            "completed": missing, "was_done": [s for s in PUBLISH_STEPS if s not in missing]}


def run_publish(ctx: RunContext, spark: SparkSession) -> None:
    """Golden records to Hive and the serving store — only when quality raised no critical failure."""
    with ctx.stage("publish") as info:
        quality = ctx.stages.get("quality")
        if quality is None:
            raise RuntimeError(f"[{ctx.run_id}] quality has not run for this run: nothing is "
                               "published unvalidated (run the quality stage first)")
        if quality.get("critical_failures"):
            info["published"] = False
            info["why_not"] = quality["critical_failures"]
            log.error("[%s] not publishing: critical quality failures: %s", ctx.run_id,
                      "; ".join(quality["critical_failures"]))
            return
        with publish_lock(ctx.profile, ctx.run_id) as still_ours:
            publish_in_order(ctx, spark, info, still_ours)
        info["published"] = True


def run_logs(ctx: RunContext, spark: SparkSession) -> None:
    """The platforms' service logs of the day: collected by the Flume agent into
    ``raw/logs/<platform>/<date>/`` (jobs/service_logs/collector.py), then the service statistics by Spark
    (jobs/service_logs/stats.py); malformed lines to ``service_log_quarantine`` with their reasons."""
    from ..service_logs import collector as log_collector, stats as service_stats

    with ctx.stage("logs") as info:
        day = ctx.run_date.isoformat()
        root = ctx.profile.get("logs.root") or ctx.profile.get("sources.feeds_root")
        sources = {p: Path(str(root)) / p / "logs" / day for p in sorted(service_stats.FORMATS)}
        sources = {p: d for p, d in sources.items() if d.is_dir()}
        if not sources:
            info["skipped"] = f"no service logs for {day} under {root}/<platform>/logs/{day}"
            log.warning("[%s] logs: %s", ctx.run_id, info["skipped"])
            return
        lake = ctx.lake()
        home = Path(str(ctx.profile.get("home") or "var")) / "collector" / day
        info["collector"] = log_collector.collect(sources, home, lake, day)
        roots = {p: lake.uri(lake.join("raw", "logs", p, day)) for p in sources}
        ids = None
        with contextlib.suppress(Exception):  # no curated zone yet: golden usage is left out
            ids = service_stats.lineage_ids(spark, ctx.zone("curated", "resource_record"),
                                            ctx.zone("curated", "record_lineage"))
            ids.limit(1).count()
        out, quarantine = service_stats.day_stats(spark, roots, ctx.run_date, ids)
        write_spark_directory(quarantine, ctx.zone("service_log_quarantine"), ctx.run_id)
        info.update(out)
        log.info("[%s] logs: %s", ctx.run_id, ", ".join(
            f"{p} availability {v['availability']:.4f} error rate {v['error_rate']:.4f} "
            f"p95 {v['latency_p95_ms']:.0f} ms" for p, v in out["platforms"].items()))


#: the Hive tables the load, quality and publish stages write (created by the warm-up)
WARM_TABLES = (RESOURCE_RECORD, RECORD_LINEAGE, CSTR_CHANGE, QUARANTINE, QUALITY_SCORE, GOLDEN_RESOURCE)


def warm_up(ctx: RunContext, session) -> "threading.Thread":
    """Pay the fixed costs of the later stages while a DuckDB dedup leaves the JVM idle: the
    Hive client's first metastore call (Derby's boot and schema check, ~10-30 s on 2 cores), the
    tables the run will write, and the import of Great Expectations (~5-10 s). Never raises: the
    stage that needs a failed step meets the error itself. The caller joins the thread before
    the next Spark stage (two threads must not create the same table at once)."""
    import threading
    import time

    def work() -> None:
        started = time.perf_counter()
        try:
            spark = session.get()
            db = str(ctx.profile.get("spark.hive_database") or "bayres")
            for table in WARM_TABLES:
                load.ensure_table(spark, table, db)
            import bayres.quality.validate  # noqa: F401  (Great Expectations' import)
            log.debug("[%s] Hive tables and Great Expectations ready in %.1f s (beside dedup)",
                      ctx.run_id, time.perf_counter() - started)
        except Exception as exc:  # the load stage will raise it with its own context
            log.debug("[%s] warm-up stopped: %s", ctx.run_id, exc)

    thread = threading.Thread(target=work, name="bayres-warm-up", daemon=True)
    thread.start()
    return thread


def session_role(stages, dedup_on_spark: bool) -> dict:
    """How the run's Spark session starts, given the stages that need it: a DuckDB dedup needs
    Spark only for the run tables, so when it comes first the JVM starts meanwhile, ``yielding``
    the CPU to the stage (and, once up, shows the stage as running); when it is the only one
    (``bayres run --stage dedup``, as each DAG task runs its stage), the JVM is also ``light``."""
    duckdb_dedup_first = stages[0] == "dedup" and not dedup_on_spark
    return {"yielding": duckdb_dedup_first, "light": duckdb_dedup_first and len(stages) == 1}


def run_pipeline(profile, run_date, stages=STAGES, run_id: str = "", spark: SparkSession | None = None,
                 sources=None, retrain: bool = False):
    """Run the given stages for one day; returns the run report (also written to reports/).
    ``sources`` limits extraction to some platforms or ``platform/source`` keys (default all);
    ``retrain`` re-estimates the probabilistic linkage models instead of reusing them."""
    ctx = RunContext(profile=profile, run_date=run_date, run_id=run_id)
    with ctx.logged():  # the run id on every log line; JSON lines in reports/<run id>/run.log
        ctx.stages.update({k: v for k, v in report.previous_stages(ctx).items() if k not in stages})
        session = None
        try:
            if pending_publish(ctx.lake()) is not None:
                # a publication killed between two commits: completed before anything else
                from .spark_session import SessionOnDemand

                session = SessionOnDemand(profile, spark, then=partial(report.load_progress, ctx))
                with ctx.stage("recovered_publish") as info:
                    info.update(complete_pending_publish(profile, session.get()) or {})
            if "extract" in stages:
                run_extract(ctx, sources=sources)
            needs_spark = [s for s in stages if s != "extract"]
            if needs_spark:
                from .spark_session import SessionOnDemand

                dedup_on_spark = dedup.needs_spark(profile)
                session = session or SessionOnDemand(profile, spark, then=partial(report.load_progress, ctx),
                                                     **session_role(needs_spark, dedup_on_spark))
                warm = None
                for name in needs_spark:
                    if name == "dedup":
                        if not dedup_on_spark and {"load", "quality", "publish"} & set(needs_spark):
                            warm = warm_up(ctx, session)  # while DuckDB links, the JVM is idle
                        run_dedup(ctx, session.get() if dedup_on_spark else None, retrain=retrain)
                    else:
                        if warm is not None:
                            warm.join()
                            warm = None
                        spark_now = session.get()
                        with spark_tasks(spark_now, name):  # Spark's tasks done of planned
                            {"conform": run_conform, "load": run_load, "quality": run_quality,
                             "publish": run_publish, "logs": run_logs}[name](ctx, spark_now)
            spark = session.get() if session else spark  # the run tables are written with it
        except BaseException:  # a failed stage is reported (status, error), then raised on
            report.write_failed_report(ctx, _started(session))
            raise
        return report.write_report(ctx, spark)


def _started(session) -> SparkSession | None:
    """The run's session for a failure report, or None if it could not start (the report's
    files are still written)."""
    if session is None:
        return None
    try:
        return session.get()
    except Exception as exc:
        log.error("Spark did not start, the failed run's tables are not written: %s", exc)
        return None
