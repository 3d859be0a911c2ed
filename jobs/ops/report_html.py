"""The run report as a web page people look at: ``reports/<run id>/report.html``.

One section per question, each with one chart and the figures it is drawn from (a table):

* stage timings — seconds per stage, failed stages in red, with the error;
* records per platform — extracted / standardized / quarantined;
* quarantine reasons — refused records per platform, stage and field;
* quality scores over time — every run's per-platform score found in the reports root
  (``reports/*/report.json``), this run included;
* de-duplication — records, golden records, merged duplicates, links per rule;
* platform assessment — failure rate, service quality, data quality (``jobs/ops/assessment.py``).

Charts are declared with Altair (Vega-Lite) and rendered to static SVG in-process by
vl-convert, so the page is self-contained: no JavaScript, nothing fetched when it is opened.
"""
from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import altair as alt
import pandas as pd
from jinja2 import Environment
from markupsafe import Markup

from .assessment import platform_rows, stage_rows

log = logging.getLogger("bayres")
STATUS_COLOURS = {"ok": "#4c78a8", "failed": "#d62728", "running": "#9d9d9d"}
MEASURES = ("extracted", "standardized", "quarantined")
WIDTH = 560
#: the font the SVG text is measured and drawn with: the one a browser's sans-serif is on Debian,
#: so the labels vl-convert measured are the labels the page shows (no clipped "z · calibrate …")
FONT = "DejaVu Sans"


# ---------------------------------------------------------------- the figures of each section
def score_history(reports_root: Path, rep: dict) -> list[dict]:
    """Per run and platform, the quality scores of every report under ``reports_root`` (one
    report per run id; this run's from ``rep``), ordered by run date."""
    reports = {}
    for path in sorted(reports_root.glob("*/report.json")):
        try:
            other = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            log.warning("report %s unreadable, left out of the history: %s", path, exc)
            continue
        if isinstance(other, dict) and other.get("run_id"):
            reports[other["run_id"]] = other
    reports[rep["run_id"]] = rep
    rows = []
    for other in reports.values():
        for s in ((other.get("stages") or {}).get("quality") or {}).get("scores") or []:
            rows.append({"run_date": other.get("run_date"), "run_id": other["run_id"],
                         "src_platform": s["src_platform"], "score": s["score"],
                         "completeness": s.get("completeness"), "validity": s.get("validity"),
                         "uniqueness": s.get("uniqueness"), "timeliness": s.get("timeliness")})
    return sorted(rows, key=lambda r: (str(r["run_date"]), r["run_id"], r["src_platform"]))


def dedup_rows(rep: dict) -> list[dict]:
    d = rep["stages"].get("dedup") or {}
    if "records" not in d:
        return []
    rows = [{"figure": "source records", "kind": "totals", "count": d["records"]},
            {"figure": "golden records", "kind": "totals", "count": d["golden"]},
            {"figure": "merged duplicates", "kind": "totals", "count": d["merged"]}]
    rows += [{"figure": f"linked by {rule}", "kind": "records per match rule", "count": n}
             for rule, n in sorted((d.get("by_rule") or {}).items())]
    return rows


def check_rows(rep: dict) -> list[dict]:
    """Every Great Expectations check of the run (raw, standardized, golden records), from the
    validation results the quality stage wrote: what Data Docs show, here in the page itself —
    Data Docs' styling and scripts come from CDNs and a page opened offline shows them bare."""
    rows = []
    for stage, info in (((rep["stages"].get("quality") or {}).get("stages")) or {}).items():
        try:
            doc = json.loads(Path(str(info.get("results"))).read_text(encoding="utf-8"))
        except (OSError, ValueError, TypeError) as exc:
            log.warning("quality results of %s unreadable, left out of the page: %s", stage, exc)
            continue
        for r in doc.get("results") or []:
            config = r.get("expectation_config") or {}
            kwargs, result = config.get("kwargs") or {}, r.get("result") or {}
            column = kwargs.get("column") or ", ".join(kwargs.get("column_list") or []) or "(table)"
            meta = config.get("meta") or {}
            rows.append({"records": stage, "check": str(config.get("type", "")).removeprefix("expect_")
                         .replace("_", " "), "rule": meta.get("rule", ""), "column": column,
                         "severity": meta.get("severity") or config.get("severity") or "",
                         "result": "passed" if r.get("success") else "FAILED",
                         "unexpected": result.get("unexpected_count"),
                         "of": result.get("element_count")})
    return rows


def record_rows(rep: dict) -> list[dict]:
    return [{"platform": p, **{k: r.get(k, 0) for k in (*MEASURES, "flagged", "files_quarantined")},
             "balanced": r.get("balanced", "-")} for p, r in rep["accounting"].items()]


# ---------------------------------------------------------------- charts
def _bars(frame: pd.DataFrame, title: str, **encode) -> alt.Chart:
    return alt.Chart(frame, title=title).mark_bar().encode(**encode).properties(width=WIDTH)


def timings_chart(rows: list[dict]) -> alt.Chart:
    frame = pd.DataFrame(rows)[["stage", "seconds", "status"]]
    colours = alt.Scale(domain=list(STATUS_COLOURS), range=list(STATUS_COLOURS.values()))
    return _bars(frame, "Stage timings (s)",
                 x=alt.X("seconds:Q", title="seconds"),
                 y=alt.Y("stage:N", sort=[r["stage"] for r in rows], title=None),
                 color=alt.Color("status:N", scale=colours),
                 tooltip=["stage", "seconds", "status"])


def records_chart(rows: list[dict]) -> alt.Chart:
    """Extracted and standardized side by side; the quarantined, counted in tens beside
    thousands, on a scale of their own to the right."""
    frame = pd.DataFrame(rows).melt(id_vars="platform", value_vars=list(MEASURES),
                                    var_name="measure", value_name="records")
    big, small = list(MEASURES[:2]), [MEASURES[2]]
    colours = alt.Scale(domain=list(MEASURES), range=["#4c78a8", "#72b7b2", "#e45756"])
    x = alt.X("platform:N", title=None, axis=alt.Axis(labelAngle=0))
    left = alt.Chart(frame[frame.measure.isin(big)], title="Records per platform").mark_bar().encode(
        x=x, xOffset=alt.XOffset("measure:N", sort=big), y=alt.Y("records:Q", title="records"),
        color=alt.Color("measure:N", scale=colours, title=None), tooltip=["platform", "measure", "records"],
    ).properties(width=WIDTH * 0.55)
    right = alt.Chart(frame[frame.measure.isin(small)], title="of which quarantined").mark_bar().encode(
        x=x, y=alt.Y("records:Q", title="quarantined records"),
        color=alt.Color("measure:N", scale=colours, title=None), tooltip=["platform", "measure", "records"],
    ).properties(width=WIDTH * 0.3)
    return alt.hconcat(left, right).resolve_scale(y="independent")


def reasons_chart(reasons: list[dict]) -> alt.Chart:
    frame = pd.DataFrame([{"reason": f"{r['src_platform']} · {r['stage']} · {r['field'] or '-'}",
                           "platform": r["src_platform"], "records": r["count"]} for r in reasons])
    return _bars(frame, "Quarantined records by platform, stage and field",
                 x=alt.X("records:Q"), y=alt.Y("reason:N", sort="-x", title=None),
                 color=alt.Color("platform:N"), tooltip=["reason", "records"])


def scores_chart(history: list[dict]) -> alt.Chart:
    frame = pd.DataFrame(history)[["run_date", "run_id", "src_platform", "score"]]
    runs = frame["run_id"].nunique()
    title = "Quality score per platform, run after run" if runs > 1 else \
        alt.TitleParams("Quality score per platform", subtitle="one run so far: the trend starts with the next run")
    return alt.Chart(frame, title=title).mark_line(point=alt.OverlayMarkDef(size=60)) \
        .encode(x=alt.X("yearmonthdate(run_date):T", title="run date",
                      axis=alt.Axis(format="%Y-%m-%d", tickCount="day")),
                y=alt.Y("score:Q", scale=alt.Scale(domain=[0, 1])),
                color=alt.Color("src_platform:N", title="platform"),
                tooltip=["run_date", "run_id", "src_platform", "score"]).properties(width=WIDTH)


def dedup_chart(rows: list[dict]) -> alt.Chart:
    """Totals (records in, golden records out, merged) and the records per match rule: two
    measures, two charts, each on its own axis."""
    frame = pd.DataFrame(rows)
    parts = []
    for kind, title in (("totals", "De-duplication: records in and out"),
                        ("records per match rule", "Records by the rule that linked them")):
        part = frame[frame.kind == kind]
        if not part.empty:
            parts.append(alt.Chart(part, title=title).mark_bar(color="#4c78a8").encode(
                x=alt.X("count:Q", title="records", axis=alt.Axis(tickCount=5, labelOverlap="greedy")),
                y=alt.Y("figure:N", sort=None, title=None),
                tooltip=["figure", "count"]).properties(width=WIDTH))
    return alt.vconcat(*parts).resolve_scale(x="independent")


def assessment_chart(rows: list[dict]) -> alt.Chart:
    measures = [m for m in ("failure_rate", "service_quality", "quality_score", "availability",
                            "error_rate", "gbt30523_conformance") if any(r.get(m) is not None for r in rows)]
    frame = pd.DataFrame(rows).melt(id_vars="src_platform", value_vars=measures,
                                    var_name="measure", value_name="value").dropna()
    titles = {"failure_rate": "failure rate (lower is better)", "service_quality": "service quality",
              "quality_score": "data quality score", "availability": "availability (service logs)",
              "error_rate": "error rate (lower is better)",
              "gbt30523_conformance": "GB/T 30523 conformance"}
    # a failure or error rate of 2 % is a sliver on 0–1: each gets a scale of its own
    charts = [alt.Chart(frame[frame.measure == m], title=titles[m]).mark_bar(color="#4c78a8").encode(
        x=alt.X("src_platform:N", title="platform", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("value:Q", title=None,
                scale=alt.Scale(zero=True) if m.endswith("_rate") else alt.Scale(domain=[0, 1])),
        tooltip=["src_platform", "measure", "value"]).properties(width=WIDTH / 3 - 30)
        for m in measures if (frame.measure == m).any()]
    return alt.hconcat(*charts).resolve_scale(y="independent")


def checks_chart(rows: list[dict]) -> alt.Chart:
    frame = pd.DataFrame(rows).groupby(["records", "result"], as_index=False).size()
    colours = alt.Scale(domain=["passed", "FAILED"], range=["#4c78a8", "#d62728"])
    return _bars(frame, "Great Expectations checks per stage",
                 x=alt.X("size:Q", title="checks", axis=alt.Axis(tickMinStep=1)),
                 y=alt.Y("records:N", title=None, sort=["raw", "standardized", "golden"]),
                 color=alt.Color("result:N", scale=colours, title=None), tooltip=["records", "result", "size"])


def service_chart(rows: list[dict]) -> alt.Chart:
    frame = pd.DataFrame(rows)[["platform", "latency_p50_ms", "latency_p95_ms"]].melt(
        id_vars="platform", var_name="percentile", value_name="ms").dropna()
    return _bars(frame, "Request latency per platform (the day's service logs)",
                 x=alt.X("platform:N", axis=alt.Axis(labelAngle=0)), xOffset=alt.XOffset("percentile:N"),
                 y=alt.Y("ms:Q", title="ms"), color=alt.Color("percentile:N"),
                 tooltip=["platform", "percentile", "ms"])


def svg(chart: alt.Chart) -> Markup:
    """The chart as inline SVG (Vega-Lite rendered by vl-convert, no browser, no network)."""
    out = io.StringIO()
    chart = chart.configure(font=FONT, padding={"left": 12, "right": 24, "top": 8, "bottom": 8}) \
        .configure_axis(labelLimit=0, titleLimit=0, labelFontSize=11, labelOverlap=True) \
        .configure_legend(orient="bottom", labelLimit=0, titleLimit=0, columns=4) \
        .configure_title(anchor="start", subtitleColor="#666")
    chart.save(out, format="svg")
    text = out.getvalue()
    return Markup(text[text.index("<svg"):])


# ---------------------------------------------------------------- the page
def _cell(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _section(ident: str, title: str, rows: list[dict], chart, columns=None, empty="") -> dict:
    if not rows:
        return {"id": ident, "title": title, "svg": None, "columns": [], "rows": [],
                "empty": empty or "not run in this run"}
    columns = columns or list(rows[0])
    return {"id": ident, "title": title, "svg": svg(chart(rows)), "columns": columns,
            "rows": [[_cell(r.get(c)) for c in columns] for r in rows], "empty": ""}


def sections(rep: dict, history: list[dict], sources: list[dict]) -> list[dict]:
    stages = stage_rows(rep)
    reasons = (rep["stages"].get("conform") or {}).get("quarantine_reasons") or []
    assessment = platform_rows(rep, sources)
    return [
        _section("stages", "Stage timings", stages, timings_chart,
                 ["stage", "status", "seconds", "started_at", "error"]),
        _section("records", "Records per platform", record_rows(rep) if "conform" in rep["stages"] else [],
                 records_chart),
        _section("quarantine", "Quarantine reasons", reasons, reasons_chart,
                 ["src_platform", "stage", "field", "count"],
                 empty="nothing quarantined" if "conform" in rep["stages"] else ""),
        _section("quality", "Quality scores over time", history, scores_chart,
                 ["run_date", "run_id", "src_platform", "score", "completeness", "validity",
                  "uniqueness", "timeliness"]),
        _section("checks", "Quality checks (the Data Docs' results, readable offline)", check_rows(rep),
                 checks_chart, ["records", "check", "column", "rule", "severity", "result",
                                "unexpected", "of"]),
        _section("dedup", "De-duplication", dedup_rows(rep), dedup_chart, ["figure", "count"]),
        _section("assessment", "Platform assessment", assessment if rep["accounting"] else [],
                 assessment_chart,
                 ["src_platform", "extracted", "quarantined", "failure_rate", "sources",
                  "sources_delivered", "service_quality", "quality_score", "availability",
                  "error_rate", "latency_p95_ms", "satisfaction", "gbt30523_conformance",
                  "published", "stages_failed"]),
        _section("service", "Service (the platforms' logs of the day)",
                 [{"platform": p, **{k: v for k, v in r.items() if k != "alerts"},
                   "alerts": "; ".join(r.get("alerts") or []) or None}
                  for p, r in (rep.get("service") or {}).items()], service_chart,
                 ["platform", "availability", "error_rate", "latency_p50_ms", "latency_p95_ms",
                  "satisfaction", "requests", "distinct_users", "quarantined", "service_quality", "alerts"],
                 empty="no service logs collected in this run"),
    ]


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>BayRes run {{ rep.run_id }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 980px; color: #222; }
table { border-collapse: collapse; margin: .5em 0 1.5em; font-size: 90%; }
th, td { border: 1px solid #ccc; padding: 2px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.failed { color: #d62728; font-weight: bold; } .chart { overflow-x: auto; }
</style></head><body>
<h1>BayRes run {{ rep.run_id }}</h1>
<p>{{ rep.profile }} profile · run date {{ rep.run_date }} · finished {{ rep.finished }} ·
status <span class="{{ rep.status }}">{{ rep.status }}</span>
{%- if not rep.balanced %} · <span class="failed">record accounting does not balance</span>{% endif %}</p>
{% for s in failed %}<p class="failed">{{ s.stage }} failed: {{ s.error }}</p>{% endfor %}
{% for sec in sections %}
<section id="{{ sec.id }}"><h2>{{ sec.title }}</h2>
{% if sec.svg %}<div class="chart">{{ sec.svg }}</div>
<table><thead><tr>{% for c in sec.columns %}<th>{{ c }}</th>{% endfor %}</tr></thead><tbody>
{% for row in sec.rows %}<tr>{% for v in row %}<td>{{ v }}</td>{% endfor %}</tr>
{% endfor %}</tbody></table>
{% else %}<p>{{ sec.empty }}</p>{% endif %}
</section>
{% endfor %}
<h2>Where everything landed</h2>
<table>{% for k, v in rep.outputs.items() %}<tr><td>{{ k }}</td><td style="text-align:left">{{ v }}</td></tr>{% endfor %}</table>
</body></html>
"""


def write_html(rep: dict, path: Path, reports_root: Path, sources: list[dict]) -> Path:
    """Render the page for ``rep`` (the run report) to ``path``."""
    page = Environment(autoescape=True).from_string(PAGE).render(
        rep=rep, sections=sections(rep, score_history(reports_root, rep), sources),
        failed=[r for r in stage_rows(rep) if r["status"] == "failed"])
    path.write_text(page, encoding="utf-8")
    return path
