"""Stages 2+3 on Spark: raw rows of every source → canonical, calibrated records + quarantine.

Each source's raw-zone directory is read by Spark and mapped batch by batch (``mapInPandas``)
through ``standardize_batch`` then ``calibrate_batch``; the result carries, per row, either a
record or the reason it was refused. Both land in the lake's ``standardized`` zone.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Iterator

import pandas as pd
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from bayres.schemas.derive_spark import spark_schema
from bayres.schemas.resource import QUARANTINE, RESOURCE_RECORD

from .calibrate import calibrate_batch
from .calibration.money import FxRates
from .calibration.names import OrgAliases
from .rejections import Rejections
from . import gbt30523
from .standardize import SourceContext, payload_json, standardize_batch

RECORD_COLUMNS = [f.name for f in RESOURCE_RECORD.fields if f.name not in ("cstr_id", "run_date")]
REFUSAL_COLUMNS = ["q_stage", "q_field", "q_reason", "q_payload"]


def conformed_schema() -> StructType:
    record = spark_schema(RESOURCE_RECORD)
    fields = [f for f in record.fields if f.name in RECORD_COLUMNS]
    return StructType(fields + [StructField(c, StringType()) for c in REFUSAL_COLUMNS])


@dataclass(frozen=True)
class ConformJob:
    """The per-batch work: rows of any sources in, conformed rows out (one source at a time)."""

    contexts: dict[str, SourceContext]   # "<platform>/<source>" → its context
    fx: FxRates
    aliases: OrgAliases
    run_date: date

    def __call__(self, batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        schema = conformed_schema()
        for batch in batches:
            # …/raw/<platform>/<source>/<run date>/part-N.parquet
            parts = batch.pop("_src_file").str.split("/")
            source = parts.str[-4] + "/" + parts.str[-3]
            for key, rows in batch.groupby(source, sort=True):
                ctx = self.contexts[key]
                yield _typed(self.conform(rows.reset_index(drop=True), ctx), schema)

    def conform(self, raw: pd.DataFrame, ctx: SourceContext) -> pd.DataFrame:
        rejections = Rejections(raw.index)
        rec = standardize_batch(raw, ctx, rejections)
        rec = calibrate_batch(rec, ctx.conventions, self.fx, self.run_date, rejections, self.aliases)
        # GB/T 30523 elements a rule can fill (keywords, rights, access URL, metadata date)
        rec = gbt30523.fill(rec, ctx.source, self.run_date)
        rec["field_flags"] = rejections.flags_column(rec.index)
        out = rec[RECORD_COLUMNS].copy()
        out["q_stage"] = rejections.stage
        out["q_field"] = rejections.field
        out["q_reason"] = rejections.reason
        out["q_payload"] = None
        refused = rejections.refused
        if refused.any():
            out.loc[refused, "q_payload"] = payload_json(raw[refused])
        return out


def _typed(pdf: pd.DataFrame, schema: StructType) -> pd.DataFrame:
    """Coerce columns to what Arrow expects for the declared Spark types."""
    for f in schema.fields:
        name, kind = f.name, f.dataType.simpleString()
        if kind == "double":
            pdf[name] = pd.to_numeric(pdf[name], errors="coerce").astype("float64")
        else:
            pdf[name] = pdf[name].astype("object").where(pdf[name].notna(), None)
    return pdf


def conform_sources(spark: SparkSession, contexts: dict[str, SourceContext], fx: FxRates,
                    aliases: OrgAliases, run_date: date) -> DataFrame:
    """One Spark job over every source's raw directory (columns merged by name, all strings)."""
    raw = spark.read.option("mergeSchema", "true").parquet(*(c.raw_path for c in contexts.values())) \
        .withColumn("_src_file", F.col("_metadata.file_path"))
    return raw.mapInPandas(ConformJob(contexts, fx, aliases, run_date), schema=conformed_schema())


def split_conformed(conformed: DataFrame, run_date: date, run_id: str) -> tuple[DataFrame, DataFrame]:
    """(accepted records, quarantine rows), both shaped like their declared tables."""
    day = F.lit(run_date).cast("date")
    accepted = conformed.where(F.col("q_stage").isNull()).select(
        *RECORD_COLUMNS, F.lit(None).cast("string").alias("cstr_id"), day.alias("run_date"))
    refused = conformed.where(F.col("q_stage").isNotNull()).select(
        F.lit(run_id).alias("run_id"), "src_platform", "src_source", "src_record_id",
        F.coalesce("src_location", F.lit("?")).alias("src_location"),
        F.col("q_stage").alias("stage"), F.col("q_field").alias("field"),
        F.col("q_reason").alias("reason"), F.col("q_payload").alias("payload"), day.alias("run_date"))
    if refused.columns != QUARANTINE.names:  # the declared table is the contract
        raise RuntimeError(f"quarantine columns {refused.columns} differ from {QUARANTINE.names}")
    return accepted, refused
