"""Service statistics by Spark, per platform and day, from the logs the collector landed in
``raw/logs/<platform>/<date>/`` (jobs/service_logs/collector.py).

Per platform: ``availability`` (minutes of the day whose uptime probe ``/healthz`` was answered
without a 5xx ÷ 1,440), ``requests`` (user requests: well-formed, unique lines other than the
probe), ``error_rate`` (5xx ÷ requests), ``latency_p50_ms`` / ``latency_p95_ms`` (exact
percentiles, linear interpolation), ``distinct_users`` (authenticated users), ``top_resources``
(local ids most viewed / downloaded / cited, answered < 400), ``satisfaction`` (mean rating on a
1–5 scale; a 1–10 platform's scores halved), ``duplicate_lines`` (identical lines: a re-sent
batch), ``clock_skew_lines`` (timestamps outside the day in the platform's time), and
``quarantined`` with reasons — every line is either a request, a probe, a duplicate or
quarantined. Across platforms: instrument utilisation (used ÷ offered hours) per instrument and
region, and views / downloads / citations per GOLDEN resource (local ids resolved through the
lineage to CSTR ids).

The formats are the platforms' own (FORMATS): nginx ``combined`` + ``$request_time`` (gz, sz),
JSON lines (hk), Apache ``common`` + ``%D`` (mo). This module shares no code with the generator.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

PROBE_PATH = "/healthz"
DAY_MINUTES = 1440
_NGINX = (r'^(\S+) - (\S+) \[([^\]]+)\] "(\S+) (\S+) (\S+)" (\d{3}) (\d+|-) "([^"]*)" "([^"]*)" '
          r'(\d+\.\d+)$')
_COMMON_D = r'^(\S+) (\S+) (\S+) \[([^\]]+)\] "(\S+) (\S+) (\S+)" (\d{3}) (\d+|-) (\d+)$'
#: per platform: access-log file, format, UTC offset of the platform's day, resource paths
FORMATS = {
    "gz": {"file": "access.log", "format": "nginx_timed_combined", "utc_offset_h": 8,
           "paths": {"view": r"^/resource/([^/?]+)/([^/?]+)$", "download": r"^/download/([^/?]+)/([^/?]+)$",
                     "cite": r"^/cite/([^/?]+)/([^/?]+)$"}},
    "sz": {"file": "access.log", "format": "nginx_timed_combined", "utc_offset_h": 8,
           "paths": {"view": r"^/api/v1/([^/?]+)/([^/?]+)$", "download": r"^/api/v1/([^/?]+)/([^/?]+)/file$",
                     "cite": r"^/api/v1/([^/?]+)/([^/?]+)/citation$"}},
    "hk": {"file": "access.jsonl", "format": "json_lines", "utc_offset_h": 8,
           "paths": {"view": r"^/en/([^/?]+)/([^/?]+)$", "download": r"^/en/([^/?]+)/([^/?]+)/download$",
                     "cite": r"^/en/([^/?]+)/([^/?]+)/cite$"}},
    "mo": {"file": "access_log", "format": "apache_common_D", "utc_offset_h": 8,
           "paths": {"view": r"^/recurso\.php\?cat=([^&]+)&id=([^&]+)$",
                     "download": r"^/descarregar\.php\?cat=([^&]+)&id=([^&]+)$",
                     "cite": r"^/citar\.php\?cat=([^&]+)&id=([^&]+)$"}},
}
_JSON = T.StructType([T.StructField("ts", T.StringType()), T.StructField("client", T.StringType()),
                      T.StructField("user", T.StringType()), T.StructField("method", T.StringType()),
                      T.StructField("path", T.StringType()), T.StructField("status", T.IntegerType()),
                      T.StructField("bytes", T.LongType()), T.StructField("latency_ms", T.DoubleType())])


def parse_access(spark: SparkSession, path: str, platform: str) -> tuple[DataFrame, int, int]:
    """The access log at ``path``: (parsed frame with ``_ok``/``_reason``, lines, duplicates)."""
    fmt = FORMATS[platform]
    raw = spark.read.text(path).select(F.col("value").alias("line"))
    lines = raw.count()
    uniq = raw.dropDuplicates(["line"])
    dups = lines - uniq.count()
    garbage = F.col("line").rlike(r"[\x00-\x08]")
    if fmt["format"] == "json_lines":
        j = F.from_json("line", _JSON, {"mode": "PERMISSIVE"})
        df = uniq.select("line", j.alias("j")).select(
            "line", F.col("j.ts").alias("ts_text"), F.col("j.user").alias("user"),
            F.col("j.path").alias("path"), F.col("j.status").alias("status"),
            F.col("j.latency_ms").alias("latency_ms"))
        ts = F.try_to_timestamp("ts_text", F.lit("yyyy-MM-dd'T'HH:mm:ssXXX"))
        not_json = ~F.col("line").rlike(r"^\{.*\}$")
        reason = (F.when(garbage, "binary garbage in the line")
                  .when(not_json, "not a JSON object (truncated line)")
                  .when(F.col("status").isNull(), "field status missing or not an integer")
                  .when(F.col("path").isNull(), "field path missing")
                  .when(F.col("latency_ms").isNull(), "field latency_ms missing or not a number")
                  .when(ts.isNull(), "field ts not an ISO 8601 time"))
        df = df.withColumn("ts", ts)
    else:
        nginx = fmt["format"] == "nginx_timed_combined"
        rx = _NGINX if nginx else _COMMON_D
        g = (lambda i: F.regexp_extract("line", rx, i))
        matched = F.col("line").rlike(rx)
        user_i, ts_i, path_i, status_i = (2, 3, 5, 7) if nginx else (3, 4, 6, 8)
        lat = (g(11).try_cast("double") * 1000 if nginx else g(10).try_cast("double") / 1000)
        df = uniq.select("line", g(user_i).alias("user"), g(ts_i).alias("ts_text"), g(path_i).alias("path"),
                         g(status_i).try_cast("int").alias("status"), F.round(lat, 3).alias("latency_ms"))
        df = df.withColumn("ts", F.try_to_timestamp("ts_text", F.lit("dd/MMM/yyyy:HH:mm:ss Z")))
        reason = (F.when(garbage, "binary garbage in the line")
                  .when(~matched, f"does not match the {fmt['format']} format (truncated line)")
                  .when(F.col("ts").isNull(), "time stamp not dd/MMM/yyyy:HH:mm:ss Z"))
    df = df.withColumn("_reason", reason).withColumn("_ok", F.col("_reason").isNull())
    df = df.withColumn("user", F.when(F.col("user").isin("-", ""), None).otherwise(F.col("user")))
    return df, lines, dups


def platform_stats(spark: SparkSession, root: str, platform: str, day: date) -> tuple[dict, DataFrame]:
    """KPIs of one platform's day from the landed directory ``root`` (a URI); and the
    quarantined lines (platform, file, line, reason)."""
    fmt = FORMATS[platform]
    df, lines, dups = parse_access(spark, f"{root}/{fmt['file']}", platform)
    df = df.cache()
    start = datetime.combine(day, time(0), timezone(timedelta(hours=fmt["utc_offset_h"])))
    minute = F.floor((F.unix_timestamp("ts") - int(start.timestamp())) / 60)
    ok = df.where("_ok").withColumn("minute", minute)
    probes = ok.where(F.col("path") == PROBE_PATH)
    req = ok.where(F.col("path") != PROBE_PATH).cache()
    up = probes.where("status < 500 AND minute >= 0 AND minute < 1440").select("minute").distinct().count()
    agg = req.agg(F.count("*").alias("requests"), F.sum(F.when(F.col("status") >= 500, 1).otherwise(0)).alias("errors"),
                  F.expr("percentile(latency_ms, array(0.5, 0.95))").alias("p"),
                  F.countDistinct("user").alias("users"),
                  F.sum(F.when((F.col("minute") < 0) | (F.col("minute") >= DAY_MINUTES), 1).otherwise(0)).alias("skew"),
                  ).first()
    uses = resource_uses(req, platform)
    top = (uses.groupBy(F.concat_ws("/", "source", "local_id").alias("res")).agg(F.sum("n").alias("uses"))
           .orderBy(F.desc("uses"), "res").limit(10).collect())
    quarantine = df.where(~F.col("_ok")).select(F.lit(platform).alias("platform"), F.lit(fmt["file"]).alias("file"),
                                               "line", F.col("_reason").alias("reason"))
    reasons = {r["reason"]: r["count"] for r in quarantine.groupBy("reason").count().collect()}
    n_probes = probes.count()
    requests = int(agg["requests"])
    sat = satisfaction(spark, root, platform)
    stats = {
        "lines": lines, "duplicate_lines": dups, "probe_lines": n_probes, "requests": requests,
        "quarantined": sum(reasons.values()), "quarantine_reasons": dict(sorted(reasons.items())),
        "availability": up / DAY_MINUTES, "errors": int(agg["errors"] or 0),
        "error_rate": (int(agg["errors"] or 0) / requests) if requests else None,
        "latency_p50_ms": float(agg["p"][0]) if agg["p"] else None,
        "latency_p95_ms": float(agg["p"][1]) if agg["p"] else None,
        "distinct_users": int(agg["users"]), "clock_skew_lines": int(agg["skew"] or 0),
        "top_resources": [{"resource": r["res"], "uses": int(r["uses"])} for r in top],
        **sat,
    }
    accounted = requests + n_probes + dups + stats["quarantined"]
    if accounted != lines:
        raise RuntimeError(f"service logs of {platform} {day}: {lines} lines but {accounted} accounted for")
    return stats, quarantine


def resource_uses(req: DataFrame, platform: str) -> DataFrame:
    """(platform, source, local_id, kind, n) of requests for a resource answered < 400 (a local
    id is unique within its source, the portal's catalogue named in the path)."""
    frames = []
    for kind, rx in FORMATS[platform]["paths"].items():
        frames.append(req.where(F.col("path").rlike(rx) & (F.col("status") < 400))
                      .select(F.regexp_extract("path", rx, 1).alias("source"),
                              F.regexp_extract("path", rx, 2).alias("local_id"), F.lit(kind).alias("kind")))
    u = frames[0]
    for f in frames[1:]:
        u = u.unionByName(f)
    return u.groupBy("source", "local_id", "kind").agg(F.count("*").alias("n")).withColumn("platform", F.lit(platform))


def satisfaction(spark: SparkSession, root: str, platform: str) -> dict:
    """Mean rating on a 1–5 scale; out-of-range scores refused (counted)."""
    r = spark.read.option("header", True).csv(f"{root}/ratings.csv")
    score, top = F.col("score").try_cast("double"), F.col("scale_max").try_cast("double")
    valid = score.isNotNull() & top.isNotNull() & (score >= 1) & (score <= top)
    row = r.agg(F.avg(F.when(valid, score * 5 / top)).alias("s"), F.sum(F.when(valid, 1).otherwise(0)).alias("n"),
                F.sum(F.when(valid, 0).otherwise(1)).alias("bad")).first()
    return {"satisfaction": row["s"], "ratings": int(row["n"] or 0), "ratings_refused": int(row["bad"] or 0)}


def utilisation(spark: SparkSession, roots: dict[str, str], ids: DataFrame | None) -> dict:
    """Used ÷ offered hours per instrument (``platform/local id``) and per region (through
    ``ids``: platform, source, local_id, golden_id, region)."""
    cal, book = [], []
    for p, root in roots.items():
        cal.append(spark.read.option("header", True).csv(f"{root}/calendar.csv").withColumn("platform", F.lit(p)))
        book.append(spark.read.option("header", True).csv(f"{root}/bookings.csv").withColumn("platform", F.lit(p)))
    c, b = cal[0], book[0]
    for x in cal[1:]:
        c = c.unionByName(x)
    for x in book[1:]:
        b = b.unionByName(x)
    key = ["platform", "catalogue", "instrument_id"]
    used = b.where(F.col("cancelled") != "Y").groupBy(*key) \
        .agg(F.sum(F.col("used_hours").try_cast("double")).alias("used"))
    per = (c.groupBy(*key).agg(F.sum(F.col("offered_hours").try_cast("double")).alias("offered"))
           .join(used, key, "left").fillna({"used": 0.0}))
    out = {"instrument": {f"{r['platform']}/{r['catalogue']}/{r['instrument_id']}": {
        "offered_hours": r["offered"], "used_hours": r["used"],
        "utilisation": r["used"] / r["offered"] if r["offered"] else None} for r in per.collect()}, "region": {}}
    if ids is not None:
        reg = (per.join(ids.select("platform", F.col("source").alias("catalogue"),
                                   F.col("local_id").alias("instrument_id"), "region"), key, "left").fillna({"region": "unresolved"})
               .groupBy("region").agg(F.sum("offered").alias("o"), F.sum("used").alias("u")).collect())
        out["region"] = {r["region"]: {"offered_hours": r["o"], "used_hours": r["u"],
                                       "utilisation": r["u"] / r["o"] if r["o"] else None} for r in reg}
    return out


def golden_usage(uses: DataFrame, ids: DataFrame) -> DataFrame:
    """Views / downloads / citations per golden resource across platforms: (golden_id, view,
    download, cite); local ids the lineage does not know are ``unresolved``."""
    j = uses.join(ids.select("platform", "source", "local_id", "golden_id"),
                  ["platform", "source", "local_id"], "left") \
        .fillna({"golden_id": "unresolved"})
    return (j.groupBy("golden_id").pivot("kind", ["view", "download", "cite"]).agg(F.sum("n"))
            .fillna(0))


def lineage_ids(spark: SparkSession, resource_record: str, record_lineage: str) -> DataFrame:
    """(platform, source, local_id, golden_id, region) of the run's curated records."""
    rr = spark.read.parquet(resource_record).select("record_id", F.col("src_platform").alias("platform"),
                                                    F.col("src_source").alias("source"),
                                                    F.col("src_record_id").alias("local_id"), "region")
    ln = spark.read.parquet(record_lineage).select("record_id", F.col("cstr_id").alias("golden_id"))
    return rr.join(ln, "record_id").drop("record_id").dropDuplicates(["platform", "source", "local_id"])


def day_stats(spark: SparkSession, roots: dict[str, str], day: date, ids: DataFrame | None) -> dict:
    """Every platform's KPIs, utilisation and golden usage of the day; (report dict, quarantine
    frame)."""
    platforms, quarantine, uses = {}, None, None
    for p, root in sorted(roots.items()):
        stats, q = platform_stats(spark, root, p, day)
        platforms[p] = stats
        quarantine = q if quarantine is None else quarantine.unionByName(q)
        df, _, _ = parse_access(spark, f"{root}/{FORMATS[p]['file']}", p)
        u = resource_uses(df.where(F.col("_ok") & (F.col("path") != PROBE_PATH)), p)
        uses = u if uses is None else uses.unionByName(u)
    out = {"platforms": platforms, "utilisation": utilisation(spark, roots, ids)}
    if ids is not None:
        g = golden_usage(uses, ids).collect()
        out["golden_usage"] = {r["golden_id"]: {"view": int(r["view"]), "download": int(r["download"]),
                                                "cite": int(r["cite"])} for r in g}
    return out, quarantine
