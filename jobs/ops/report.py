"""The run report: what every stage did, where every input record went, where outputs landed.

Written per run to ``reports/<run id>/``: ``report.json``, ``summary.txt`` (printed at the end of
a run), ``report.html`` (charts, :mod:`report_html`) beside ``run.log`` (:mod:`run_log`); and,
when the run has a Spark session, as rows of the Hive tables ``run_stage`` and
``platform_assessment`` (:mod:`assessment`). The record accounting — per platform, extracted =
standardized + quarantined — is checked here and a mismatch is reported as an error, never
hidden. A run whose stage failed still gets its report, with the stage ``failed`` and its error.
"""
from __future__ import annotations

import json
import logging
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

from ..run.context import RunContext

log = logging.getLogger("bayres")


def accounting(ctx: RunContext) -> dict:
    """Per platform: extracted (manifests), standardized and quarantined (conform), balanced?"""
    table: dict = defaultdict(lambda: {"extracted": 0, "standardized": 0, "quarantined": 0,
                                       "flagged": 0, "files_quarantined": 0,
                                       "rows_discarded": 0})
    extracted = (ctx.stages.get("conform") or {}).get("extracted") or {
        f"{m['platform']}/{m['source']}": {"platform": m["platform"], "rows": m["rows"],
                                           "files_quarantined": len(m.get("files_quarantined") or []),
                                           "rows_discarded": m.get("rows_discarded") or 0}
        for m in (ctx.stages.get("extract") or {}).get("manifests", [])}
    for m in extracted.values():
        row = table[m["platform"]]
        row["extracted"] += m["rows"]
        row["files_quarantined"] += m["files_quarantined"]
        # records read from quarantined files before their error: not extracted, but counted
        row["rows_discarded"] += m.get("rows_discarded") or 0
    for counts in (ctx.stages.get("conform") or {}).get("sources", {}).values():
        row = table[counts["src_platform"]]
        for k in ("standardized", "quarantined", "flagged"):
            row[k] += counts[k]
    if extracted and "conform" in ctx.stages:
        for row in table.values():
            row["balanced"] = row["extracted"] == row["standardized"] + row["quarantined"]
    return dict(sorted(table.items()))


def outputs(ctx: RunContext) -> dict:
    p = ctx.profile
    out = {
        "raw zone": f"{ctx.lake_root}/raw/<platform>/<source>/{ctx.run_date.isoformat()}/",
        "standardized zone": ctx.zone("standardized"),
        "quarantine zone": ctx.zone("quarantine"),
        "curated zone": "/".join([ctx.lake_root, "curated"]),
        "hive database": f"{p.get('spark.hive_database')} (warehouse {p.get('spark.warehouse_dir')})",
        "serving store": str(p.get("serving.path") or p.get("serving.thrift_host")),
    }
    if p.get("portal.index"):  # bayres serve reads it (README: the portal service)
        out["portal index"] = str(p.get("portal.index"))
    quality = ctx.stages.get("quality") or {}
    if quality.get("data_docs"):
        out["data docs"] = quality["data_docs"]
    return out


def previous_stages(ctx: RunContext) -> dict:
    """Stage results of earlier invocations of the same run (stages run one by one, e.g. by
    Airflow tasks), so the report of the last stage still covers the whole run."""
    path = ctx.profile.path("reports.root") / ctx.run_id / "report.json"
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8")).get("stages", {})


def write_report(ctx: RunContext, spark=None, failing: bool = False) -> dict:
    """Write the run's report (JSON, summary, HTML; Hive rows when ``spark`` is given). The
    files are always written; a Hive load that fails raises afterwards, unless the run is
    ``failing`` already (its own error is the one that matters; this one is logged)."""
    acc = accounting(ctx)
    _score_dedup(ctx)
    failed = [name for name, info in ctx.stages.items() if info.get("status") == "failed"]
    folder = ctx.local_dir("reports.root")
    rep = {
        "run_id": ctx.run_id,
        "run_date": ctx.run_date.isoformat(),
        "profile": ctx.profile.name,
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "status": "failed" if failed else "ok",
        "failed_stages": failed,
        "accounting": acc,
        "balanced": all(r.get("balanced", True) for r in acc.values()),
        # GB/T 30523 conformance per platform (quality stage): share of golden records with every
        # mandatory element, records missing each element, share per source
        "gbt30523": (ctx.stages.get("quality") or {}).get("gbt30523") or {},
        "stages": ctx.stages,
        "outputs": {**outputs(ctx), "run report": str(folder / "report.json"),
                    "html report": str(folder / "report.html"), "run log": str(ctx.log_file)},
    }
    rep["service"], rep["service_alerts"] = service_assessment(ctx, ctx.stages)
    hive_error = None
    if spark is not None:
        try:
            rep["hive"] = _load_run_tables(ctx, spark, rep)
        except Exception as exc:
            log.error("[%s] run tables not loaded into Hive: %s", ctx.run_id, exc, exc_info=True)
            rep["hive"], hive_error = {"error": f"{type(exc).__name__}: {exc}"}, exc
    _write_html(ctx, rep, folder)
    (folder / "report.json").write_text(json.dumps(rep, ensure_ascii=False, indent=2, default=str),
                                        encoding="utf-8")
    (folder / "summary.txt").write_text(summary(rep), encoding="utf-8")
    if hive_error is not None and not failing:
        raise hive_error
    return rep


def _score_dedup(ctx: RunContext) -> None:
    """The dedup stage of this run scored against the profile's ``evaluation.truth`` (generated
    samples only): ``stages.dedup.accuracy``, overall and per resource type.  Outside the
    stage's own timing; skipped when there is no truth file or the lake is not local."""
    from ..dedup.engine import local_path
    from ..dedup.evaluate import dedup_accuracy, load_truth

    info = ctx.stages.get("dedup") or {}
    truth = ctx.profile.get("evaluation.truth")
    if info.get("status") == "failed" or "golden" not in info or "accuracy" in info or not truth:
        return
    if not Path(truth).is_file():
        return
    try:
        lineage = local_path(ctx.zone("curated", "record_lineage"))
    except ValueError:  # a lake on HDFS: generated samples live on one machine
        return
    import pyarrow.parquet as pq

    predicted = pq.read_table(lineage, columns=["record_id", "cstr_id"]).to_pandas()
    info["accuracy"] = dedup_accuracy(predicted, load_truth(Path(truth)))
    info["accuracy"]["truth"] = str(truth)


def service_thresholds(path) -> dict:
    """conf/logs/thresholds.yaml: platform → thresholds (``default`` under each)."""
    import yaml

    conf = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    default = conf.pop("default", {}) or {}
    return {"default": default, **{p: {**default, **(v or {})} for p, v in conf.items()}}


def service_assessment(ctx: RunContext, stages: dict) -> tuple[dict, list[str]]:
    """Per platform the measured service figures of the ``logs`` stage and the alerts of the
    thresholds (conf/logs/thresholds.yaml, profile key ``logs.thresholds``)."""
    from .assessment import service_quality

    measured = (stages.get("logs") or {}).get("platforms") or {}
    if not measured:
        return {}, []
    path = ctx.profile.get("logs.thresholds") or (Path(__file__).resolve().parent.parent.parent / "conf" / "logs" / "thresholds.yaml")
    limits = service_thresholds(path)
    out, alerts = {}, []
    for p, m in sorted(measured.items()):
        lim = limits.get(p, limits["default"])
        row = {k: m.get(k) for k in ("availability", "error_rate", "latency_p50_ms", "latency_p95_ms",
                                     "satisfaction", "requests", "distinct_users", "quarantined")}
        row["service_quality"] = service_quality(m, 0, None)
        row["alerts"] = []
        checks = (("availability", "min_availability", lambda v, t: v < t),
                  ("error_rate", "max_error_rate", lambda v, t: v > t),
                  ("latency_p95_ms", "max_latency_p95_ms", lambda v, t: v > t),
                  ("satisfaction", "min_satisfaction", lambda v, t: v < t))
        for key, limit, bad in checks:
            if lim.get(limit) is not None and row[key] is not None and bad(row[key], lim[limit]):
                row["alerts"].append(f"{p}: {key} {row[key]:.4g} outside {limit} {lim[limit]}")
        alerts += row["alerts"]
        out[p] = row
    return out, alerts


def _load_run_tables(ctx: RunContext, spark, rep: dict) -> dict:
    from . import assessment

    db = str(ctx.profile.get("spark.hive_database") or "bayres")
    loaded = assessment.load(spark, db, rep, ctx.profile.sources)
    rep["outputs"]["run tables"] = ", ".join(t["table"] for t in loaded.values())
    return loaded


def load_progress(ctx: RunContext, spark) -> None:
    """The run's ``run_stage`` rows as they stand, the stage under way as ``running``: ops see
    what runs since when, and a run that dies leaves its row.  Written when the run's Spark
    session is up (in the background while a DuckDB stage works); the report at the end
    replaces them.  Never raises: the end of the run writes the same table and reports a
    failure there."""
    from . import assessment

    try:
        stages = {name: dict(info) for name, info in list(ctx.stages.items())}
        if not any(info.get("status") == "running" for info in stages.values()):
            return  # the session is wanted before a stage starts: nothing under way to show
        rep = {"run_id": ctx.run_id, "run_date": ctx.run_date.isoformat(), "profile": ctx.profile.name,
               "stages": stages}
        assessment.load_stages(spark, str(ctx.profile.get("spark.hive_database") or "bayres"), rep)
    except Exception as exc:
        log.warning("[%s] run_stage not updated while the run works: %s", ctx.run_id, exc)


def write_failed_report(ctx: RunContext, spark=None) -> dict | None:
    """The report of a run that is failing: written as far as it can be, never raising (the
    run's own error is the one that matters)."""
    try:
        return write_report(ctx, spark, failing=True)
    except Exception:
        log.exception("[%s] the report of the failed run could not be written", ctx.run_id)
        return None


def _write_html(ctx: RunContext, rep: dict, folder) -> None:
    from .report_html import write_html

    try:
        write_html(rep, folder / "report.html", ctx.profile.path("reports.root"), ctx.profile.sources)
    except Exception as exc:  # the charts are a view of the report: never lose the report for them
        log.exception("[%s] report.html not rendered", ctx.run_id)
        rep["outputs"]["html report"] = f"not rendered: {type(exc).__name__}: {exc}"


def summary(rep: dict) -> str:
    """The report as a person reads it at the end of ``make run``."""
    lines = [f"BayRes run {rep['run_id']} ({rep['profile']} profile, {rep['run_date']})", ""]
    lines.append("Records per platform")
    lines.append(f"  {'platform':<9}{'extracted':>10}{'standard.':>10}{'quarant.':>10}{'flagged':>9}"
                 f"{'bad files':>10}{'discarded':>10}  balanced")
    for platform, r in rep["accounting"].items():
        lines.append(f"  {platform:<9}{r['extracted']:>10}{r['standardized']:>10}{r['quarantined']:>10}"
                     f"{r['flagged']:>9}{r['files_quarantined']:>10}{r.get('rows_discarded', 0):>10}"
                     f"  {r.get('balanced', '-')}")
    lines.append("  (discarded: records read from a bad file before its error, quarantined with it)")
    stages = rep["stages"]
    for warning in (stages.get("conform") or {}).get("warnings") or []:
        lines.append(f"  warning: {warning}")
    reasons = (stages.get("conform") or {}).get("quarantine_reasons") or []
    if reasons:
        lines += ["", "Quarantined, by reason"]
        for r in reasons:
            lines.append(f"  {r['src_platform']:<4} {r['stage']:<12} {r['field'] or '-':<22} {r['count']:>7}")
    d = stages.get("dedup")
    if d and "golden" in d:  # (a failed stage has only its status and error)
        lines += ["", f"De-duplication: {d['records']} records → {d['golden']} golden records "
                      f"({d['merged']} merged duplicates; by rule {d['by_rule']})"]
        giant = d.get("giant_clusters") or []
        if giant:
            shown = ", ".join(f"{g['cluster']} ({g['size']})" for g in giant[:5])
            lines.append(f"  {len(giant)} clusters above the size guard, e.g. {shown} — see the report")
        a = d.get("accuracy")
        if a:
            lines.append(f"  against the sample's ground truth: precision {a['precision']:.3f}, "
                         f"recall {a['recall']:.3f}, F1 {a['f1']:.3f}")
            lines += [f"    type {t}: precision {s['precision']:.3f}  recall {s['recall']:.3f}  "
                      f"F1 {s['f1']:.3f}  ({s['true_pairs']} true pairs)" for t, s in a["per_type"].items()]
        if d.get("ambiguous_name_keys"):
            lines.append(f"  {d['ambiguous_name_keys']} name keys not used: their records carry "
                         "different strong identifiers")
    q = stages.get("quality")
    if q and "success" in q:
        lines += ["", f"Quality (Great Expectations on golden records): "
                      f"{'passed' if q['success'] else 'FAILED'}; "
                      f"{len(q['critical_failures'])} critical, {len(q['warnings'])} warnings"]
        for text in q["critical_failures"][:10]:
            lines.append(f"  critical: {text}")
        for s in q.get("scores", []):
            lines.append(f"  {s['src_platform']:<4} completeness {s['completeness']:.3f}  validity "
                         f"{s['validity']:.3f}  uniqueness {s['uniqueness']:.3f}  timeliness "
                         f"{s['timeliness']:.3f}  score {s['score']:.3f}")
    conf = rep.get("gbt30523") or {}
    if conf:
        lines += ["", "GB/T 30523 core metadata: golden records with every mandatory element"]
        for platform, c in conf.items():
            if c.get("golden_records"):
                worst = sorted(((n, e) for e, n in (c.get("missing") or {}).items() if n), reverse=True)
                lacking = ", ".join(f"{e} {n}" for n, e in worst[:4]) or "none missing"
                lines.append(f"  {platform:<4} {c['gbt30523_conformance']:.3f} of {c['golden_records']}"
                             f"  (missing: {lacking})")
    p = stages.get("publish")
    if p and p.get("status") != "failed":
        lines += ["", "Published: " + ("yes" if p.get("published") else f"NO — {p.get('why_not')}")]
        g = p.get("governance")
        if g:  # issue 20: what each audience was given, under which rules
            lines.append(f"  governance rules {g['rule_version']} (audit: {g['audit']}); values per audience:")
            lines.append(f"    {'audience':<13}{'rows':>8}{'masked':>9}{'pseudon.':>10}{'general.':>10}{'withheld':>10}")
            for aud, c in g["per_audience"].items():
                lines.append(f"    {aud:<13}{c['rows']:>8}{c['masked']:>9}{c['pseudonymised']:>10}"
                             f"{c['generalised']:>10}{c['withheld']:>10}")
    lines += ["", "Stage timings: " + ", ".join(f"{k} {v.get('seconds')} s" + (" FAILED" if v.get("status") == "failed" else "")
                                            for k, v in stages.items())]
    for name in rep.get("failed_stages") or []:
        lines.append(f"  {name} failed: {stages[name].get('error')}")
    if rep.get("service"):
        lines += ["", "Service (the platforms' logs of the day)",
                  f"  {'platform':<9}{'avail.':>9}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'satisf.':>9}{'quality':>9}"]
        for p, r in rep["service"].items():
            f = (lambda v, spec: format(v, spec) if v is not None else "-")
            lines.append(f"  {p:<9}{f(r['availability'], '>9.4f')}{f(r['error_rate'], '>8.4f')}"
                         f"{f(r['latency_p50_ms'], '>9.1f')}{f(r['latency_p95_ms'], '>9.1f')}"
                         f"{f(r['satisfaction'], '>9.2f')}{f(r['service_quality'], '>9.4f')}")
        lines += [f"  ALERT {a}" for a in rep.get("service_alerts") or []]
    lines += ["", "Where everything landed"] + [f"  {k:<18} {v}" for k, v in rep["outputs"].items()]
    if not rep["balanced"]:
        lines += ["", "ERROR: record accounting does not balance — see accounting in the report"]
    return "\n".join(lines) + "\n"
