"""Stage 5 — load / publish: Hive tables for analysts, the serving store for portals.

Hive tables are created from the DDL derived from schemas/ and written with dynamic partition
overwrite, so re-loading a day replaces exactly that day's partition. The serving store is
replaced whole (embedded DuckDB in the `local` profile: each store written aside and renamed in;
HBase through happybase in the `cluster` profile, by difference; see connectors/).
"""
from __future__ import annotations

import logging
from datetime import date

from pyspark.sql import DataFrame, SparkSession

from bayres.schemas.derive_hive import hive_add_columns_ddl, hive_database_ddl, hive_ddl, ordered_fields
from bayres.schemas.fields import Table

log = logging.getLogger("bayres")


def ensure_table(spark: SparkSession, table: Table, database: str) -> None:
    """Create the database and the table if they do not exist; a table made by an earlier
    BayRes gains the data fields declared since (``ALTER TABLE … ADD COLUMNS``: its older
    partitions read them as null). A declared partition column it lacks, or a column the schema
    no longer declares, cannot be evolved in place: refused, naming the table and the fix."""
    spark.sql(hive_database_ddl(database))
    spark.sql(hive_ddl(table, database))
    fq = f"{database}.{table.name}"
    existing = {c.name: c.isPartition for c in spark.catalog.listColumns(fq)}
    declared = ordered_fields(table)
    gone = [c for c in existing if c not in {f.name for f in declared}]
    parts = [c for c, is_part in existing.items() if is_part]
    fix = (f"it was made by an earlier BayRes. Drop it (DROP TABLE {fq}); the next run creates it "
           "again — re-run the days it should hold (the lake keeps every run's zones)")
    if parts != list(table.partition_by):
        raise RuntimeError(f"Hive table {fq} is partitioned by ({', '.join(parts)}) but the schema "
                           f"declares ({', '.join(table.partition_by)}): {fix}")
    if gone:
        raise RuntimeError(f"Hive table {fq} has columns the schema no longer declares "
                           f"({', '.join(gone)}): {fix}")
    new = [f.name for f in declared if f.name not in existing]
    if new:
        spark.sql(hive_add_columns_ddl(table, new, database))
        spark.catalog.refreshTable(fq)
        log.warning("Hive table %s: added the columns declared since it was made: %s", fq, ", ".join(new))


def to_hive(spark: SparkSession, df: DataFrame, table: Table, database: str, run_date: date,
            ensure: bool = True) -> dict:
    """Create the table if needed (``ensure``: False when the caller just did) and overwrite
    the partitions of ``df`` (dynamic partition overwrite: the run date's, and for the run
    tables the run's)."""
    if ensure:
        ensure_table(spark, table, database)
    fq = f"{database}.{table.name}"
    # insertInto is positional: the table's own order (an evolved table has its newer columns
    # after the older ones, not where the schema declares them)
    columns = [c.name for c in spark.catalog.listColumns(fq)]
    df.select(*columns).write.insertInto(fq, overwrite=True)
    rows = spark.table(fq).where(f"run_date = DATE'{run_date.isoformat()}'").count()
    log.info("loaded %s partition run_date=%s: %d rows", fq, run_date, rows)
    return {"table": fq, "partition": f"run_date={run_date.isoformat()}", "rows": rows}


# ---------------------------------------------------------------- serving store
def serving_frames(golden: DataFrame, lineage: DataFrame, records: DataFrame) -> dict[str, DataFrame]:
    """Per serving table (schemas/derive_hbase.SERVING_TABLES) the rows to store, with the
    declared fields as columns (lower-case names, dates as ISO strings)."""
    from pyspark.sql import functions as F

    from bayres.schemas.derive_hbase import RECENT_BUCKETS, SERVING_TABLES

    frames = {}
    for table in SERVING_TABLES:
        if table.name == "BAYRES_LINEAGE":
            base = lineage.join(records.select("record_id", "src_source", "src_record_id", "name"),
                                "record_id")
        elif table.name == "BAYRES_RESOURCE_RECENT":
            updated = F.date_format("updated_date", "yyyyMMdd").cast("long")
            base = golden.where(F.col("updated_date").isNotNull()) \
                .withColumn("bucket", (F.crc32("cstr_id") % RECENT_BUCKETS).cast("string")) \
                .withColumn("recency", F.lpad((F.lit(99999999) - updated).cast("string"), 8, "0"))
        else:
            base = golden
        frames[table.name] = base.select(*[
            (F.col(f.name).cast("string") if f.type == "date" else F.col(f.name))
            for f in table.key + table.columns])
    return frames


def to_serving(ctx, golden: DataFrame, lineage: DataFrame, records: DataFrame) -> dict:
    """Replace the serving store's tables with this run's golden records and lineage."""
    frames = serving_frames(golden, lineage, records)
    kind = ctx.profile.get("serving.kind")
    if kind == "duckdb":
        from bayres.connectors.serving_duckdb import replace_tables
        from bayres.schemas.derive_hbase import SERVING_TABLES_BY_NAME, qualifier

        exported = {}
        for name, frame in frames.items():
            t = SERVING_TABLES_BY_NAME[name]
            path = ctx.zone("serving_export", name)
            frame.select(*[frame[f.name].alias(qualifier(f)) for f in t.key + t.columns]) \
                .write.mode("overwrite").parquet(path)
            exported[name] = path
        result = replace_tables(ctx.profile.path("serving.path"), exported)
        if ctx.profile.get("serving.audience_dir"):
            # governance: one store per audience whose bytes already hold what it may see
            from bayres.connectors.serving_duckdb import publish_audiences
            from bayres.jobs.publish.governance import rules_for

            rules = rules_for(ctx)
            result["audiences"] = publish_audiences(ctx.profile.path("serving.path"),
                                                    ctx.profile.path("serving.audience_dir"),
                                                    rules, list(exported))
            result["rule_version"] = rules.version
        return result
    if kind == "hbase":
        from bayres.connectors.hbase_store import replace_frames

        # delete_nulls: a value that became empty is removed, so Phoenix never serves a stale one;
        # rows this run no longer has (merged, retired, moved index rows) are deleted after the puts
        host, port = str(ctx.profile.get("serving.thrift_host")), int(ctx.profile.get("serving.thrift_port") or 9090)
        result = replace_frames(frames, host=host, port=port, delete_nulls=True)
        if ctx.profile.get("serving.audiences", True):
            # governance: per audience, HBase tables whose cells already hold what it may see,
            # read through the Phoenix views "<BAYRES_AUDIENCE>"."<TABLE>" (hbase/README.md)
            from bayres.connectors.hbase_store import replace_audience_frames
            from bayres.jobs.publish.governance import rules_for

            rules = rules_for(ctx)
            result["audiences"] = replace_audience_frames(frames, rules, host=host, port=port,
                                                          delete_nulls=True)
            result["rule_version"] = rules.version
        return result
    raise ValueError(f"profile {ctx.profile.name}: unknown serving.kind {kind!r}")
