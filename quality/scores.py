"""Per-platform data-quality scores (schemas.resource.QUALITY_SCORE), computed in Spark.

For each ``src_platform`` of a run's records:

* completeness — mean over records of the share of GB/T 30523 core fields (fields with
  ``gbt30523`` set) that are filled (not null, not blank);
* validity — share of records without ``field_flags`` whose patterned fields all match;
* uniqueness — 1 − share of records that are duplicates, i.e. whose ``cstr_id`` (else
  ``record_id``) is shared with another record of the same platform;
* timeliness — share of records with ``updated_date`` within the two years up to ``run_date``
  (null, older or later dates are not timely);
* score — the mean of the four.
"""
from __future__ import annotations

from datetime import date

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from bayres.schemas.resource import QUALITY_SCORE, RESOURCE_RECORD

#: GB/T 30523 core elements a record is scored on
CORE_FIELDS = tuple(f for f in RESOURCE_RECORD.fields if f.gbt30523)
#: fields whose values must match a declared pattern
PATTERN_FIELDS = tuple(f for f in RESOURCE_RECORD.fields if f.pattern)
TIMELY_MONTHS = 24


def platform_scores(records_df: DataFrame, run_id: str, run_date: date | str) -> DataFrame:
    """One QUALITY_SCORE row per ``src_platform`` of ``records_df`` (RESOURCE_RECORD-shaped)."""
    run_day = F.lit(str(run_date)).cast("date")
    per_record = records_df.select(
        F.col("src_platform"),
        _completeness(records_df).alias("_complete"),
        _valid(records_df).cast("double").alias("_valid"),
        _duplicate(records_df).cast("double").alias("_duplicate"),
        _timely(records_df, run_day).cast("double").alias("_timely"),
    )
    scores = per_record.groupBy("src_platform").agg(
        F.count(F.lit(1)).alias("records"),
        F.avg("_complete").alias("completeness"),
        F.avg("_valid").alias("validity"),
        (F.lit(1.0) - F.avg("_duplicate")).alias("uniqueness"),
        F.avg("_timely").alias("timeliness"),
    )
    scores = scores.withColumn(
        "score", (F.col("completeness") + F.col("validity") + F.col("uniqueness")
                  + F.col("timeliness")) / F.lit(4.0))
    scores = scores.withColumn("run_id", F.lit(run_id)).withColumn("run_date", run_day)
    return scores.select(*[F.col(f.name).cast(f.spark_type).alias(f.name)
                           for f in QUALITY_SCORE.fields])


def _column(df: DataFrame, name: str) -> Column:
    """A column of ``df``, or null when the frame does not carry it."""
    return F.col(name) if name in df.columns else F.lit(None)


def _filled(df: DataFrame, name: str) -> Column:
    col = _column(df, name)
    if name in df.columns and dict(df.dtypes)[name] == "string":
        return col.isNotNull() & (F.trim(col) != "")
    return col.isNotNull()


def _completeness(df: DataFrame) -> Column:
    filled = [F.when(_filled(df, f.name), 1.0).otherwise(0.0) for f in CORE_FIELDS]
    total = filled[0]
    for term in filled[1:]:
        total = total + term
    return total / F.lit(float(len(CORE_FIELDS)))


def _valid(df: DataFrame) -> Column:
    flags = _column(df, "field_flags")
    ok = flags.isNull() | (F.trim(flags) == "")
    for f in PATTERN_FIELDS:
        col = _column(df, f.name)
        ok = ok & (col.isNull() | col.cast("string").rlike(f.pattern))
    return F.coalesce(ok, F.lit(False))


def _duplicate(df: DataFrame) -> Column:
    identity = F.coalesce(_column(df, "cstr_id"), _column(df, "record_id"))
    return F.count(F.lit(1)).over(Window.partitionBy(F.col("src_platform"), identity)) > 1


def _timely(df: DataFrame, run_day: Column) -> Column:
    updated = _column(df, "updated_date").cast("date")
    timely = (updated >= F.add_months(run_day, -TIMELY_MONTHS)) & (updated <= run_day)
    return F.coalesce(timely, F.lit(False))
