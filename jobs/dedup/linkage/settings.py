"""Splink settings built from a type's configuration — the same creators for every SQL dialect.

Comparisons and blocking rules are made with Splink's dialect-neutral creators (comparison
library, comparison-level library, ``block_on``); Splink renders them in DuckDB or Spark SQL
when the linker is built.  Trained m/u values are applied to the creators (``configure``), so a
model estimated on one backend is rebuilt, not re-read as SQL, on the other.
"""
from __future__ import annotations

from typing import Any

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on
from splink.internals.comparison_level_creator import ComparisonLevelCreator

from .blocking import Rule
from .config import TypeConfig

#: dialect the hand-written SQL conditions of ``sql`` levels are written in (translated by sqlglot)
SQL_BASE_DIALECT = "duckdb"
UNIQUE_ID = "record_id"


class ArraysOverlapLevel(ComparisonLevelCreator):
    """Some pair of arrays of the two records overlap — ``[a, b]``: ``a`` of one record and ``b``
    of the other, either way round — and none of the ``unless`` pairs do.  Comparing two
    *different* array columns (a record's parent names against the other's names) is what
    Splink's ArrayIntersectLevel cannot say; written per dialect (DuckDB list_has_any, Spark
    arrays_overlap), a missing array counting as no overlap."""

    def __init__(self, pairs, unless=()):
        self.pairs = [tuple(p) for p in pairs]
        self.unless = [tuple(p) for p in unless]

    @staticmethod
    def _overlap(dialect: str, a: str, b: str) -> str:
        if dialect == "spark":
            return f"coalesce(arrays_overlap({a}, {b}), false)"
        return f"coalesce(list_has_any({a}, {b}), false)"

    def _any(self, dialect: str, pairs) -> str:
        terms = []
        for a, b in pairs:
            terms.append(self._overlap(dialect, f"{a}_l", f"{b}_r"))
            if a != b:
                terms.append(self._overlap(dialect, f"{b}_l", f"{a}_r"))
        return "(" + " OR ".join(terms) + ")"

    def create_sql(self, sql_dialect) -> str:
        dialect = sql_dialect.sql_dialect_str
        sql = self._any(dialect, self.pairs)
        if self.unless:
            sql += " AND NOT " + self._any(dialect, self.unless)
        return sql

    def create_label_for_charts(self) -> str:
        return "overlap of " + ", ".join(f"{a}/{b}" for a, b in self.pairs)


def _level(spec: dict):
    """One comparison level from its configuration entry, with its chart label if given.
    ``fixed: {m, u}`` fixes both probabilities: evidence that no training may move (a level
    that training rarely or never observes, such as a parent and its branch, would otherwise
    keep its prior); ``fixed: {m}`` fixes m only, u is estimated from random pairs."""
    level = _plain_level(spec)
    fixed = spec.get("fixed") or {}
    if "u" in fixed:
        level = level.configure(m_probability=float(fixed["m"]), u_probability=float(fixed["u"]),
                                fix_m_probability=True, fix_u_probability=True)
    elif "m" in fixed:  # m fixed, u estimated from random pairs as usual
        level = level.configure(m_probability=float(fixed["m"]), fix_m_probability=True)
    return level.configure(label_for_charts=spec["label"]) if spec.get("label") else level


def _plain_level(spec: dict):
    if "all" in spec:  # every one of the listed conditions
        return cll.And(*[_level(s) for s in spec["all"]])
    if "any" in spec:  # one of the listed conditions
        return cll.Or(*[_level(s) for s in spec["any"]])
    if "overlap" in spec:
        return ArraysOverlapLevel(spec["overlap"], spec.get("unless") or ())
    if "exact" in spec:
        return cll.ExactMatchLevel(spec["exact"], term_frequency_adjustments=bool(spec.get("term_frequency")))
    if "jaro_winkler" in spec:
        return cll.JaroWinklerLevel(spec["jaro_winkler"], float(spec["threshold"]))
    if "levenshtein" in spec:
        return cll.LevenshteinLevel(spec["levenshtein"], int(spec["threshold"]))
    if "array_intersect" in spec:
        return cll.ArrayIntersectLevel(spec["array_intersect"], int(spec.get("min_size", 1)))
    if "date_within" in spec:
        return cll.AbsoluteDateDifferenceLevel(spec["date_within"], input_is_string=False,
                                               threshold=spec["threshold"], metric=spec["metric"])
    if "percentage_difference" in spec:
        return cll.PercentageDifferenceLevel(spec["percentage_difference"], float(spec["threshold"]))
    return cll.CustomLevel(spec["sql"], label_for_charts=spec.get("label"), base_dialect_str=SQL_BASE_DIALECT)


def _library_comparison(spec: dict):
    if "exact" in spec:
        return cl.ExactMatch(spec["exact"])
    if "jaro_winkler" in spec:
        return cl.JaroWinklerAtThresholds(spec["jaro_winkler"], spec.get("thresholds", [0.9, 0.7]))
    if "levenshtein" in spec:
        return cl.LevenshteinAtThresholds(spec["levenshtein"], spec.get("thresholds", [1, 2]))
    within = spec.get("within") or [[1, "month"], [1, "year"]]
    return cl.AbsoluteDateDifferenceAtThresholds(spec["date"], input_is_string=False,
                                                 metrics=[w[1] for w in within],
                                                 thresholds=[w[0] for w in within])


def comparison(spec: dict):
    """A Splink comparison creator from one ``comparisons`` entry of a type configuration.

    ``fixed_m`` (one value per non-null level) sets m probabilities that EM must not move: for
    identifiers, where a true duplicate carries the same number (m of "different" near 0) —
    estimated freely, EM can mistake homonyms (two instruments of one model and owner) for
    duplicates."""
    if "levels" in spec:
        levels = [cll.NullLevel(spec["missing"])] + [_level(lv) for lv in spec["levels"]] + [cll.ElseLevel()]
    else:
        c = _library_comparison(spec)
        if spec.get("term_frequency"):
            c = c.configure(term_frequency_adjustments=True)
        levels = c.get_configured_comparison_levels()
    if spec.get("fixed_m"):
        non_null = [lv for lv in levels if not getattr(lv, "is_null_level", False)]
        if len(spec["fixed_m"]) != len(non_null):
            raise ValueError(f"comparison {spec['name']}: fixed_m needs {len(non_null)} values")
        for lv, m in zip(non_null, spec["fixed_m"]):
            lv.configure(m_probability=float(m), fix_m_probability=True)
    return cl.CustomComparison(levels, output_column_name=spec["name"],
                               comparison_description=spec.get("description"))


def blocking_rule(rule, resource_types: tuple[str, ...], *, guarded: bool = False):
    """A blocking rule: a list of columns (equal on both sides), or {columns, explode}.
    Pairs are always within one resource type when the configuration covers several.
    ``guarded``: the rule goes through its block-purging column (blocking.py)."""
    parsed = Rule.parse(rule)
    cols, explode = list(parsed.columns), list(parsed.explode)
    if guarded and explode:
        explode = [parsed.guard]       # the keys left after purging
    elif guarded:
        cols.append(parsed.guard)      # "1" in a small block, NULL in a purged one
    cols = cols + explode
    if len(resource_types) > 1:
        cols = ["resource_type"] + cols
    return block_on(*cols, arrays_to_explode=explode or None)


def settings_creator(conf: TypeConfig, *, link_type: str = "dedupe_only",
                     parameters: dict | None = None) -> SettingsCreator:
    """Settings for ``conf``; ``parameters`` (from the model store) carry λ and m/u values."""
    comparisons = []
    for spec in conf.comparisons:
        c = comparison(spec)
        trained = (parameters or {}).get("comparisons", {}).get(spec["name"])
        if trained:
            c.configure(m_probabilities=trained["m"], u_probabilities=trained["u"])
        comparisons.append(c)
    kwargs: dict[str, Any] = {}
    if parameters and parameters.get("probability_two_random_records_match"):
        kwargs["probability_two_random_records_match"] = parameters["probability_two_random_records_match"]
    elif conf.training.get("probability_two_random_records_match"):
        kwargs["probability_two_random_records_match"] = float(conf.training["probability_two_random_records_match"])
    return SettingsCreator(
        link_type=link_type,
        unique_id_column_name=UNIQUE_ID,
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=[
            blocking_rule(r, conf.resource_types, guarded=bool(conf.max_block_size)) for r in conf.blocking],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
        additional_columns_to_retain=["resource_type"],
        em_convergence=float(conf.training.get("em_convergence", 0.001)),
        max_iterations=int(conf.training.get("max_iterations", 25)),
        **kwargs,
    )


def trained_parameters(linker) -> dict:
    """λ and per comparison the m/u values of its non-null levels, from a trained linker."""
    model = linker.misc.save_model_to_json()
    out = {"probability_two_random_records_match": model["probability_two_random_records_match"],
           "comparisons": {}}
    for comp in model["comparisons"]:
        levels = [lv for lv in comp["comparison_levels"] if not lv.get("is_null_level")]
        out["comparisons"][comp["output_column_name"]] = {
            "labels": [lv.get("label_for_charts") for lv in levels],
            "m": [lv.get("m_probability") for lv in levels],
            "u": [lv.get("u_probability") for lv in levels],
        }
    return out
