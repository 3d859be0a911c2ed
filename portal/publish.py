"""The publish stage's part for the portal: the search index and the statistics (portal/index.py).

Built from what the run publishes: locally from the serving store the stage has just replaced
(DuckDB) and the lake's registry snapshot and id changes of the run; in the cluster profile from
the same Spark frames the HBase loader wrote, streamed to the driver (``toLocalIterator``), the
index file written on the machine that publishes (``portal.index``), where ``bayres serve`` runs.
"""
from __future__ import annotations

import logging

from . import index

log = logging.getLogger("bayres")


def build_portal_index(ctx, spark=None) -> dict:
    """Build ``portal.index`` for the run of ``ctx``; returns what the report shows."""
    out = ctx.profile.path("portal.index")
    run_date = ctx.run_date.isoformat()
    registry_uri = ctx.zone("registry", "cstr_registry_id")
    changes_uri = ctx.zone("curated", "cstr_change")
    if ctx.profile.get("serving.kind") == "duckdb" and ctx.profile.get("lake.kind") != "hdfs":
        result = index.build_from_serving(out, ctx.profile.path("serving.path"),
                                          registry_uri=registry_uri, changes_uri=changes_uri,
                                          run_date=run_date)
    else:
        def rows(uri, *cols):
            frame = spark.read.parquet(uri)
            frame = frame.select(*cols) if cols else frame
            for c, t in frame.dtypes:  # dates as ISO strings, as in the serving store
                if t in ("date", "timestamp"):
                    from pyspark.sql import functions as F

                    frame = frame.withColumn(c, F.col(c).cast("string"))
            return (r.asDict() for r in frame.toLocalIterator())

        lineage = list(rows(ctx.zone("curated", "record_lineage"), "cstr_id", "src_platform"))
        result = index.build(out, rows(ctx.zone("curated", "golden_resource")), lineage,
                             list(rows(registry_uri)), list(rows(changes_uri)), run_date=run_date)
    log.info("[%s] portal index: %d records in %.1f s → %s", ctx.run_id, result["records"],
             result["seconds"], result["index"])
    return result
