"""Stage 4 — deduplicate: link records that are the same resource, cluster them, build golden records.

Today: exact matching on strong identifiers (patent number, unified social credit code, ORCID,
instrument serial number, grant number, a published CSTR) and on normalised name keys (the
Simplified, alias-resolved ``name_key`` or the English key, within a resource type and owner).
Records sharing a key are linked; clusters are the connected components of those links;
each cluster yields one golden record by explicit survivorship rules, with a CSTR identifier.
Probabilistic linkage (Splink) extends the links in its own issue; clustering and survivorship
stay as they are.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from bayres.schemas.resource import GOLDEN_RESOURCE, RECORD_LINEAGE

def _alnum(col: str):
    return F.upper(F.regexp_replace(F.col(col), r"[^A-Za-z0-9]", ""))


#: strong identifiers: (key prefix, expression); a record may carry several
STRONG_KEYS = (
    ("pat", lambda: F.col("ach_patent_no")),
    ("usc", lambda: F.col("org_credit_code")),
    ("orcid", lambda: F.col("person_orcid")),
    ("sn", lambda: _alnum("inst_serial_no")),
    ("proj", lambda: _alnum("proj_number")),
    ("off", lambda: F.when(F.col("official_no").isNotNull(),
                           F.concat_ws("|", "resource_type", _alnum("official_no")))),
    ("cstr", lambda: F.col("cstr")),
)


def _keyed(name_column: str, rules: dict):
    """The name key of ``name_column`` with the companion fields conf/linkage gives per type."""
    def key(fields):
        parts = [F.col("resource_type")] + [F.coalesce(F.col(f).cast("string"), F.lit("")) for f in
                                            [name_column] + [f for f in fields if f != "name_key"]]
        return F.when(F.col(name_column).isNotNull(), F.concat_ws("|", *parts))

    expr = key(rules.get("default") or ["name_key"])
    for type_code, fields in sorted((rules.get("types") or {}).items()):
        expr = F.when(F.col("resource_type") == str(type_code), key(fields)).otherwise(expr)
    return expr


def record_keys(records: DataFrame, rules: dict) -> DataFrame:
    """(record_id, key, strong) for every match key of every record."""
    name_keys = (("nk", _keyed("name_key", rules)), ("en", _keyed("name_en_key", rules)))
    parts = [(p, expr(), True) for p, expr in STRONG_KEYS] + [(p, e, False) for p, e in name_keys]
    keyed = records.select("record_id", F.explode(F.array(*[
        F.struct(F.when(e.isNotNull() & (e != ""), F.concat(F.lit(p + ":"), e)).alias("key"),
                 F.lit(strong).alias("strong")) for p, e, strong in parts])).alias("k"))
    return keyed.select("record_id", "k.key", "k.strong").where(F.col("key").isNotNull())


def components(pairs: pd.DataFrame) -> pd.DataFrame:
    """Connected components of the record–key graph: (record_id, cluster_id = min record_id)."""
    if pairs.empty:
        return pd.DataFrame({"record_id": [], "cluster_id": []})
    rec_codes, rec_ids = pd.factorize(pairs["record_id"])
    key_codes, _ = pd.factorize(pairs["key"])
    n_rec = len(rec_ids)
    n = n_rec + int(key_codes.max()) + 1
    graph = coo_matrix((np.ones(len(pairs), dtype=np.int8), (rec_codes, key_codes + n_rec)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    out = pd.DataFrame({"record_id": rec_ids, "label": labels[:n_rec]})
    out["cluster_id"] = out.groupby("label")["record_id"].transform("min")
    return out[["record_id", "cluster_id"]]


@dataclass
class DedupResult:
    records: DataFrame      # accepted records with cstr_id set
    golden: DataFrame       # GOLDEN_RESOURCE rows
    lineage: DataFrame      # RECORD_LINEAGE rows
    giant_clusters: list    # (cluster_id, size) above the guard
    ambiguous_keys: int     # name keys not used because their records' strong ids disagree


def deduplicate(spark: SparkSession, records: DataFrame, *, agency: str, rules: dict) -> DedupResult:
    """Link, cluster and merge ``records``; ``rules`` is conf/linkage/exact.yaml."""
    platform_priority = list(rules.get("platform_priority") or [])
    max_cluster_size = int(rules.get("max_cluster_size") or 50)
    records = records.cache()
    keys = record_keys(records, rules)
    # only keys shared by two or more records link anything, and a name key links only when its
    # records do not carry two different strong identifiers of one kind (homonyms: two
    # instruments of one model and owner, two patents of one title and holder)
    shared = keys.groupBy("key").agg(F.count("*").alias("n")).where("n > 1")
    strong_ids = records.select("record_id", *[expr().alias(p) for p, expr in STRONG_KEYS])
    ambiguous = keys.where(~F.col("strong")).join(shared, "key").join(strong_ids, "record_id") \
        .groupBy("key").agg(*[F.countDistinct(p).alias(p) for p, _ in STRONG_KEYS]) \
        .where(reduce(lambda a, b: a | b, [F.col(p) > 1 for p, _ in STRONG_KEYS])).select("key")
    linking = keys.join(shared.select("key"), "key").join(ambiguous, "key", "left_anti") \
        .select("record_id", "key", "strong").cache()
    pairs = linking.select("record_id", "key").toPandas()
    clusters_pd = components(pairs)
    rules = linking.groupBy("record_id").agg(F.max(F.col("strong").cast("int")).alias("strong"))

    clusters = spark.createDataFrame(clusters_pd, "record_id string, cluster_id string") \
        if len(clusters_pd) else spark.createDataFrame([], "record_id string, cluster_id string")
    members = records.join(F.broadcast(clusters) if len(clusters_pd) < 2_000_000 else clusters,
                           "record_id", "left") \
        .withColumn("cluster_id", F.coalesce("cluster_id", "record_id")) \
        .join(rules, "record_id", "left")

    sizes = members.groupBy("cluster_id").agg(F.count("*").alias("cluster_size"))
    giant = [(r.cluster_id, r.cluster_size)
             for r in sizes.where(F.col("cluster_size") > max_cluster_size).collect()]

    # survivorship: source priority, then most complete, then most recent, then record id;
    # each golden field takes the first non-null value in that order (min_by skips null orders)
    priority = F.create_map(*[x for i, p in enumerate(platform_priority) for x in (F.lit(p), F.lit(i))])
    golden_cols = [f.name for f in GOLDEN_RESOURCE.fields]
    carried = [c for c in golden_cols if c in records.columns and c != "cstr_id"]
    completeness = sum(F.when(F.col(c).isNotNull(), 1).otherwise(0) for c in carried)
    order = Window.partitionBy("cluster_id").orderBy(
        F.coalesce(priority[F.col("src_platform")], F.lit(99)), completeness.desc(),
        F.col("updated_date").desc_nulls_last(), F.col("record_id"))
    ranked = members.withColumn("_rank", F.row_number().over(order)).cache()
    clustered = ranked.groupBy("cluster_id").agg(
        *[F.min_by(c, F.when(F.col(c).isNotNull(), F.col("_rank"))).alias(c) for c in carried],
        F.count("*").alias("member_count"),
        F.array_join(F.array_sort(F.collect_set("src_platform")), ",").alias("source_platforms"),
        F.min_by("record_id", "_rank").alias("survivor_record_id"))
    # CSTR:<agency>.<type>.<stable id of the cluster> — identifiers.stable_local_id, natively
    local_id = F.upper(F.substring(F.sha2(F.col("cluster_id"), 256), 1, 16))
    clustered = clustered.withColumn(
        "cstr_id", F.concat(F.lit(f"CSTR:{agency}."), F.col("resource_type"), F.lit("."), local_id)) \
        .cache()
    golden = clustered.select(*golden_cols)

    members = ranked.drop("cstr_id").join(clustered.select("cluster_id", "cstr_id", "member_count"),
                                          "cluster_id")
    lineage = members.select(
        "record_id", "cstr_id", "src_platform",
        F.when(F.col("member_count") == 1, "singleton")
        .when(F.col("strong") == 1, "strong_id").otherwise("name_key").alias("match_rule"),
        (F.col("_rank") == 1).alias("is_survivor"), "run_date")
    if lineage.columns != RECORD_LINEAGE.names:
        raise RuntimeError(f"lineage columns {lineage.columns} differ from {RECORD_LINEAGE.names}")
    with_ids = members.select(*records.columns)
    return DedupResult(records=with_ids, golden=golden, lineage=lineage, giant_clusters=giant,
                       ambiguous_keys=ambiguous.count())
