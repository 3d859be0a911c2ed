"""Run an expectation suite on a Spark DataFrame with Great Expectations and judge the result.

GX objects live in a file-backed context under ``context_root`` (``context_root/gx``): one Spark
data source ``bayres``, one dataframe asset and validation definition and checkpoint per
``data_name``, replaced on every call so that re-runs with the same names are idempotent.  Each
run's validation result is copied to ``context_root/results/<run_id>/<data_name>.json`` and the
Data Docs site is updated under ``context_root/gx/uncommitted/data_docs/local_site/``.
"""
from __future__ import annotations

import copy
import fcntl
import json
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote, urlparse

import great_expectations as gx
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.expectations.row_conditions import deserialize_row_condition
from pyspark import StorageLevel
from pyspark.sql import DataFrame

from .expectations import CRITICAL


def _escape_unexpected_values() -> None:
    """Data Docs show the sampled unexpected values of a failed check in a table whose cells GX
    (1.24) writes into the page as raw HTML: a value such as ``<script>…`` from a feed became
    live markup (found by tests/test_escaping.py). Escape those cells — the values stay verbatim
    in the data and in the JSON results; only their HTML rendering changes. Applied once."""
    import functools
    import html

    from great_expectations.render.components import RenderedTableContent
    from great_expectations.render.view.view import DefaultJinjaView

    original = DefaultJinjaView.render_content_block
    if getattr(original, "_bayres_escapes", False):
        return

    def header(block) -> str:
        row = block.get("header_row") if isinstance(block, dict) else getattr(block, "header_row", None)
        first = (row or [None])[0]
        return str(first.get("string_template", {}).get("template", "") if isinstance(first, dict) else first)

    def escaped(rows):
        return [[html.escape(c) if isinstance(c, str) else c for c in row] for row in rows or []]

    @functools.wraps(original)  # keeps Jinja's pass_context marker
    def render_content_block(self, jinja_context, content_block, *args, **kwargs):
        kind = (content_block.get("content_block_type") if isinstance(content_block, dict)
                else getattr(content_block, "content_block_type", None))
        if kind == "table" and "Unexpected Value" in header(content_block):
            if isinstance(content_block, dict):
                content_block = {**content_block, "table": escaped(content_block.get("table"))}
            elif isinstance(content_block, RenderedTableContent):
                content_block = copy.copy(content_block)
                content_block.table = escaped(content_block.table)
        return original(self, jinja_context, content_block, *args, **kwargs)

    render_content_block._bayres_escapes = True
    DefaultJinjaView.render_content_block = render_content_block


_escape_unexpected_values()

DATASOURCE = "bayres"
BATCH_DEFINITION = "whole_dataframe"
DOCS_SITE = "local_site"
#: the Data Docs index loads every result it lists; list only the latest ones
DOCS_INDEX_LIMIT = 500
#: run ids and data names become GX object names and file names
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:=+-]*$")


@dataclass
class QualityResult:
    """What the caller needs to decide whether to publish, and where the evidence is."""

    success: bool
    critical_failures: list[str]
    warnings: list[str]
    statistics: dict
    results_path: Path
    data_docs_index: Path
    suite_name: str = ""
    failed: list[dict] = field(default_factory=list)


def validate(spark_df: DataFrame, suite: gx.ExpectationSuite, *, context_root: Path,
             run_id: str, data_name: str, samples: int = 0,
             cache: bool = False) -> QualityResult:
    """Validate ``spark_df`` against ``suite``; ``success`` is false iff a critical check failed.

    Results carry unexpected counts; ``samples`` > 0 adds that many unexpected values per
    failed check, at the price of one extra Spark scan per expectation (passing ones included).
    ``cache`` persists the DataFrame during the run: worth it only for an expensive lineage not
    yet materialised — GX's metric queries read just the columns they need, which a Parquet
    source serves faster than a cache of the whole wide row.
    """
    for value in (run_id, data_name):
        if not SAFE_NAME.match(value):
            raise ValueError(f"{value!r}: use letters, digits and _ . : = + - only")
    context_root = Path(context_root)
    result_format = {"result_format": "BASIC", "partial_unexpected_count": samples}
    persisted = cache and not spark_df.storageLevel.useMemory and not spark_df.storageLevel.useDisk
    if persisted:
        spark_df.persist(StorageLevel.MEMORY_AND_DISK)
    started = time.perf_counter()
    try:
        with _locked(context_root):
            context = _context(context_root)
            checkpoint = _checkpoint(context, suite, data_name, result_format)
            outcome = checkpoint.run(batch_parameters={"dataframe": spark_df},
                                     run_id=RunIdentifier(run_name=run_id,
                                                          run_time=datetime.now(timezone.utc)))
            docs_index = _docs_index(context)
    finally:
        if persisted:
            spark_df.unpersist()
    elapsed = time.perf_counter() - started
    (validation,) = outcome.run_results.values()

    critical, warnings, failed = _judge(validation)
    statistics = dict(validation.statistics, seconds=round(elapsed, 3),
                      critical_failures=len(critical), warnings=len(warnings))
    results_path = context_root / "results" / run_id / f"{data_name}.json"
    results_path.parent.mkdir(parents=True, exist_ok=True)
    results_path.write_text(json.dumps(validation.to_json_dict(), indent=2, ensure_ascii=False,
                                       default=str), encoding="utf-8")
    return QualityResult(success=not critical, critical_failures=critical, warnings=warnings,
                         statistics=statistics, results_path=results_path,
                         data_docs_index=docs_index, suite_name=suite.name,
                         failed=failed)


@contextmanager
def _locked(context_root: Path):
    """One validation at a time per context: GX rewrites great_expectations.yml when it adds
    assets, and two processes doing so at once would lose each other's changes."""
    context_root.mkdir(parents=True, exist_ok=True)
    with open(context_root / ".bayres-quality.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _context(context_root: Path):
    """The file-backed context under ``context_root``: quiet (no analytics, no progress bars)
    and with a Data Docs index of bounded size."""
    context = gx.get_context(mode="file", project_root_dir=str(context_root))
    variables = context.variables
    sites = copy.deepcopy(variables.data_docs_sites)
    index = sites[DOCS_SITE].setdefault("site_index_builder", {})
    if (variables.progress_bars is None or variables.analytics_enabled is not False
            or index.get("validation_results_limit") != DOCS_INDEX_LIMIT):
        variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        variables.analytics_enabled = False
        index.setdefault("class_name", "DefaultSiteIndexBuilder")
        index["validation_results_limit"] = DOCS_INDEX_LIMIT
        variables.data_docs_sites = sites
        variables.save()
    return context


def _checkpoint(context, suite: gx.ExpectationSuite, data_name: str, result_format: dict):
    """Data source → asset → batch definition → validation definition → checkpoint, each added
    or replaced under a fixed name so that calling again with the same names reuses them."""
    try:
        source = context.data_sources.get(DATASOURCE)
    except (KeyError, ValueError, LookupError):
        # persist=False: caching is decided in validate() and undone after the run
        source = context.data_sources.add_spark(name=DATASOURCE, persist=False)
    try:
        asset = source.get_asset(data_name)
    except LookupError:
        asset = source.add_dataframe_asset(name=data_name)
    try:
        batch_definition = asset.get_batch_definition(BATCH_DEFINITION)
    except (KeyError, LookupError):
        batch_definition = asset.add_batch_definition_whole_dataframe(BATCH_DEFINITION)

    stored_suite = context.suites.add_or_update(_copy(suite))
    definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=data_name, data=batch_definition, suite=stored_suite))
    return context.checkpoints.add_or_update(gx.Checkpoint(
        name=data_name, validation_definitions=[definition],
        actions=[gx.checkpoint.UpdateDataDocsAction(name="update_data_docs",
                                                    site_names=[DOCS_SITE])],
        result_format=result_format))


def _copy(suite: gx.ExpectationSuite) -> gx.ExpectationSuite:
    """A detached copy: the caller's suite object stays usable with other contexts."""
    return gx.ExpectationSuite(name=suite.name, meta=dict(suite.meta or {}),
                               expectations=[e.copy(update={"id": None}, deep=True)
                                             for e in suite.expectations])


def _judge(validation) -> tuple[list[str], list[str], list[dict]]:
    """Failed expectations split into critical ones and the rest (warning, info), each
    described as ``expectation(column): count``."""
    critical: list[str] = []
    warnings: list[str] = []
    failed: list[dict] = []
    for result in validation.results:
        if result.success:
            continue
        config = result.expectation_config
        severity = (config.meta or {}).get("severity") or getattr(config.severity, "value",
                                                                  config.severity)
        message = describe_failure(result)
        failed.append({"severity": severity, "expectation": config.type,
                       "column": _column_label(config.kwargs), "message": message,
                       "unexpected_count": (result.result or {}).get("unexpected_count")})
        (critical if severity == CRITICAL else warnings).append(message)
    return critical, warnings, failed


def describe_failure(result) -> str:
    """``expect_x(column): N unexpected of M [sample]`` or the exception GX raised."""
    config = result.expectation_config
    label = f"{config.type}({_column_label(config.kwargs)})"
    condition = config.kwargs.get("row_condition")
    if condition is not None:
        label += f" where {deserialize_row_condition(condition)!r}"
    if config.type == "unexpected_rows_expectation" and config.description:
        label += f" [{config.description}]"
    error = _exception_message(result.exception_info)
    if error:
        return f"{label}: error: {error}"
    details = result.result or {}
    if "unexpected_count" in details:
        sample = details.get("partial_unexpected_list") or []
        text = f"{label}: {details['unexpected_count']} unexpected"
        if details.get("element_count") is not None:
            text += f" of {details['element_count']}"
        return text + (f" e.g. {sample[:3]}" if sample else "")
    if config.type == "expect_table_columns_to_match_set":
        mismatched = (details.get("details") or {}).get("mismatched") or {}
        return f"{label}: columns {mismatched}"
    if config.type == "unexpected_rows_expectation":
        return f"{label}: {details.get('observed_value')} unexpected rows"
    if "observed_value" in details:
        return f"{label}: observed {details['observed_value']}"
    return f"{label}: failed"


def _exception_message(info) -> str | None:
    """GX reports an exception flat, or nested per metric when a metric could not be computed."""
    if not info:
        return None
    if "raised_exception" in info:
        return info.get("exception_message") if info.get("raised_exception") else None
    for nested in info.values():
        if isinstance(nested, dict) and nested.get("raised_exception", True):
            message = str(nested.get("exception_message") or "").strip()
            return message.splitlines()[0] if message else "metric could not be computed"
    return None


def _column_label(kwargs: dict) -> str:
    if kwargs.get("column"):
        return str(kwargs["column"])
    if kwargs.get("column_list"):
        return ",".join(kwargs["column_list"])
    return "table"


def _docs_index(context) -> Path:
    """The local Data Docs site's index.html."""
    for site in context.get_docs_sites_urls(site_name=DOCS_SITE):
        url = site.get("site_url") or ""
        if url.startswith("file://"):
            return Path(unquote(urlparse(url).path))
    return Path(context.root_directory) / "uncommitted" / "data_docs" / DOCS_SITE / "index.html"
