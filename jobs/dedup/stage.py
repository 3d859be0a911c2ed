"""Stage 4 — deduplicate: link records that are the same resource, cluster them, build golden records.

1. Links: exact keys (jobs/dedup/match_keys.py — strong identifiers and normalised name keys), pairs
   the probabilistic linkage (jobs/dedup/linkage, Splink) accepts, and data stewards' decisions read
   back from the review queue (jobs/dedup/review_queue.py) — a *match* forces a link, a *no match*
   removes one.
2. Clusters: connected components with a giant-cluster guard (jobs/dedup/clusters.py).
3. Golden records by the survivorship rules of conf/linkage/survivorship.yaml, with per-field
   provenance (jobs/dedup/survivorship.py).
4. Stable CSTR identifiers from the registry of the previous run, every change recorded
   (jobs/dedup/id_registry.py).
5. Review queue: the uncertain pairs of the run, for a steward.

The SQL of steps 1 and 3 runs on the engine the profile's ``linkage.backend`` names
(jobs/dedup/engine.py): DuckDB on one machine (``local``: no Spark job in this stage), Spark to
scale out (``cluster``); steps 2 and 4 are pandas/numpy on the driver in both cases. Both engines
give identical outputs.
"""
from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from functools import partial

import pandas as pd

from bayres.schemas import gbt30523
from bayres.schemas.resource import (CSTR_CHANGE, GOLDEN_RESOURCE, RECORD_LINEAGE, REGISTRY_ID,
                                     REGISTRY_MEMBER, RESOURCE_RECORD)

from . import clusters, id_registry, match_keys, review_queue
from ..run.config import load_yaml
from .engine import DuckDBEngine, SparkEngine
from .survivorship import Rules, golden_sql

log = logging.getLogger("bayres")

#: the engine's tables of one dedup run (the input is registered as RECORDS by the caller)
RECORDS = "dedup_records"
MEMBERSHIP_SCHEMA = "record_id string, cluster_key string, match_rule string, cluster_size long"


@dataclass
class DedupResult:
    engine: object
    #: SELECT statements over the engine's tables, one per output (RESOURCE_RECORD,
    #: GOLDEN_RESOURCE, RECORD_LINEAGE columns in declared order)
    records_sql: str
    golden_sql: str
    lineage_sql: str
    changes: pd.DataFrame           # CSTR_CHANGE rows
    registry: id_registry.Registry  # the snapshot to keep for this run date
    giant_clusters: list            # clusters.Clustering.giant_clusters
    ambiguous_keys: int             # name keys not used because their records' strong ids disagree
    review_pairs: pd.DataFrame      # undecided pairs of the uncertain band, fields side by side
    review_clusters: pd.DataFrame   # records of clusters the guard could not split
    stats: dict = field(default_factory=dict)

    def frame(self, name: str) -> pd.DataFrame:
        """An output as pandas: "records", "golden" or "lineage"."""
        return self.engine.fetch(getattr(self, f"{name}_sql"))


def _select(table, exprs: dict) -> str:
    """The declared columns of ``table`` in order, each from ``exprs`` or the same-named column."""
    return ", ".join(f"{exprs.get(n, n)} AS {n}" for n in table.names)


def deduplicate(engine, *, agency: str, run_date: date, rules: dict, survivorship: Rules,
                guard: dict | None = None, linker=None, decisions: pd.DataFrame | None = None,
                previous: id_registry.Registry | None = None) -> DedupResult:
    """Link, cluster and merge the records of the engine's table ``dedup_records``.

    ``rules``: conf/linkage/exact.yaml; ``guard``: conf/linkage/clusters.yaml; ``linker``: a
    callable taking the records in the engine's form and returning a
    :class:`~bayres.jobs.dedup.linkage.LinkageResult` (None: exact links only); ``decisions``: from
    :func:`review_queue.read_decisions`; ``previous``: the registry of the previous run date.
    """
    seconds, started = {}, time.perf_counter()

    def lap(name):
        nonlocal started
        now = time.perf_counter()
        seconds[name] = round(now - started, 2)
        started = now

    day = f"DATE '{run_date.isoformat()}'"
    # ---- 1. links: the probabilistic linkage reads only the records, so where the engine
    # allows it, it runs in a thread beside the exact matching ("probabilistic" in the step
    # seconds is then the wait for it after the exact keys)
    to_link = engine.linkage_input(RECORDS) if linker else None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="linkage") as beside:
        pending = beside.submit(linker, to_link) if linker and engine.links_concurrently else None
        engine.create("dedup_keys", match_keys.keys_sql(engine, RECORDS, rules))
        engine.create("dedup_ambiguous", match_keys.ambiguous_sql(engine, RECORDS, "dedup_keys", rules))
        linking = engine.fetch(match_keys.linking_sql("dedup_keys", "dedup_ambiguous"))
        ambiguous = int(engine.scalar("SELECT count(*) FROM dedup_ambiguous"))
        engine.drop("dedup_keys")
        lap("exact_keys")
        if pending is not None:
            linkage = pending.result()
        else:
            linkage = linker(to_link) if linker else None
    pairs = linkage.pairs if linkage is not None else None
    thresholds = linkage.thresholds if linkage is not None else {}
    accepted = review_queue.band(pairs, thresholds, "accept")
    uncertain = review_queue.band(pairs, thresholds, "review")
    lap("probabilistic")
    decisions = _known(engine, decisions)

    # ---- 2. clusters
    clustering = clusters.cluster(linking, accepted, decisions, guard)
    engine.register("dedup_membership", clustering.membership, MEMBERSHIP_SCHEMA)
    engine.define("dedup_members", f"""
        SELECT r.*, coalesce(m.cluster_key, r.record_id) AS _cluster,
               coalesce(m.match_rule, 'singleton') AS _match_rule,
               coalesce(m.cluster_size, 1) AS _size
        FROM {RECORDS} r LEFT JOIN dedup_membership m ON m.record_id = r.record_id""")
    lap("clusters")

    # ---- 3. golden records
    engine.create("dedup_golden", golden_sql(engine, "dedup_members", survivorship))
    lap("survivorship")

    # ---- 4. identifiers
    assignment = id_registry.assign(
        engine.fetch("SELECT record_id, _cluster AS cluster_key FROM dedup_members"),
        engine.fetch(f"SELECT _cluster AS cluster_key, resource_type, "
                     f"{engine.local_id('_cluster')} AS local_id FROM dedup_golden"),
        previous, agency=agency, run_date=run_date)
    engine.register("dedup_ids", assignment.ids, "cluster_key string, cstr_id string")
    lap("identifiers")

    # GB/T 30523: the mandatory elements each golden record lacks (schemas/gbt30523.py)
    gbt_missing = gbt30523.missing_sql(GOLDEN_RESOURCE, "g.", {"cstr_id": "i.cstr_id"})
    golden = f"""SELECT {_select(GOLDEN_RESOURCE, {"cstr_id": "i.cstr_id", "run_date": day,
                                                   "gbt_missing": gbt_missing})}
        FROM dedup_golden g JOIN dedup_ids i ON i.cluster_key = g._cluster"""
    records = f"""SELECT {_select(RESOURCE_RECORD, {"cstr_id": "i.cstr_id", "run_date": day})}
        FROM dedup_members m JOIN dedup_ids i ON i.cluster_key = m._cluster"""
    lineage = f"""SELECT {_select(RECORD_LINEAGE, {
        "record_id": "m.record_id", "src_platform": "m.src_platform", "cstr_id": "i.cstr_id",
        "match_rule": "m._match_rule", "is_survivor": "(m.record_id = g.survivor_record_id)",
        "run_date": day})}
        FROM dedup_members m JOIN dedup_ids i ON i.cluster_key = m._cluster
        JOIN dedup_golden g ON g._cluster = m._cluster"""

    # ---- 5. review queue
    review_pairs = _side_by_side(engine, review_queue.undecided(uncertain, decisions))
    review_clusters = _giant_members(engine, clustering.review_records, assignment.ids)
    lap("review_queue")
    stats = {**clustering.stats, "seconds": seconds, "engine": engine.name,
             "pairs_accepted": int(len(accepted)), "pairs_uncertain": int(len(uncertain)),
             "decisions_applied": int(len(decisions)),
             "linkage": linkage.stats if linkage is not None else None}
    return DedupResult(engine=engine, records_sql=records, golden_sql=golden, lineage_sql=lineage,
                       changes=assignment.changes, registry=assignment.registry,
                       giant_clusters=clustering.giant_clusters, ambiguous_keys=ambiguous,
                       review_pairs=review_pairs, review_clusters=review_clusters, stats=stats)


def _known(engine, decisions: pd.DataFrame | None) -> pd.DataFrame:
    """Decisions about two records both present in this run (others wait or are stale)."""
    cols = ["record_id_l", "record_id_r", "decision"]
    if decisions is None or decisions.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    engine.register("dedup_decisions", decisions[cols],
                    "record_id_l string, record_id_r string, decision string")
    return engine.fetch(f"""
        SELECT d.record_id_l, d.record_id_r, d.decision FROM dedup_decisions d
        JOIN {RECORDS} a ON a.record_id = d.record_id_l
        JOIN {RECORDS} b ON b.record_id = d.record_id_r
        ORDER BY d.record_id_l, d.record_id_r""")


def _side_by_side(engine, pairs: pd.DataFrame) -> pd.DataFrame:
    """Uncertain pairs with both records' key fields, for pairs.csv."""
    engine.register("dedup_review", pairs[["record_id_l", "record_id_r", "resource_type",
                                           "match_probability"]],
                    "record_id_l string, record_id_r string, resource_type string, "
                    "match_probability double")
    side = ", ".join(f"{s}.{f} AS {f}_{s}" for f in review_queue.PAIR_FIELDS for s in ("l", "r"))
    return engine.fetch(f"""
        SELECT p.record_id_l, p.record_id_r, p.resource_type, p.match_probability,
               (l._cluster = r._cluster) AS same_cluster, {side}
        FROM dedup_review p
        JOIN dedup_members l ON l.record_id = p.record_id_l
        JOIN dedup_members r ON r.record_id = p.record_id_r""")


def _giant_members(engine, review_records: pd.DataFrame, ids: pd.DataFrame) -> pd.DataFrame:
    """Records of the clusters too large to split, with their golden id and key fields."""
    if review_records.empty:
        return pd.DataFrame()
    engine.register("dedup_giant", review_records, "cluster_key string, record_id string")
    out = engine.fetch(f"""
        SELECT g.cluster_key, g.record_id, m.resource_type, m._match_rule AS match_rule,
               {', '.join('m.' + f for f in review_queue.PAIR_FIELDS)}
        FROM dedup_giant g JOIN dedup_members m ON m.record_id = g.record_id
        ORDER BY g.cluster_key, g.record_id""")
    return out.merge(ids, on="cluster_key", how="left")


# ---------------------------------------------------------------- the stage
def backend_of(profile) -> str:
    """The profile's ``linkage.backend``: duckdb (the default) or spark."""
    return str(profile.get("linkage.backend") or "duckdb")


def needs_spark(profile) -> bool:
    """Whether the stage runs on Spark (``linkage.backend: spark``) rather than in DuckDB."""
    return backend_of(profile) == "spark"


def engine_for(backend: str, spark=None, duckdb: dict | None = None):
    """The engine of ``linkage.backend``: duckdb → DuckDB (bounded by ``duckdb``, the profile's
    ``linkage.duckdb``), spark → the run's Spark session."""
    if backend == "duckdb":
        return DuckDBEngine(settings=duckdb)
    if backend == "spark":
        if spark is None:
            raise ValueError("linkage.backend spark needs the run's Spark session")
        return SparkEngine(spark)
    raise ValueError(f"linkage.backend must be duckdb or spark, not {backend!r}")


def train_backend_of(profile) -> str | None:
    """The profile's ``linkage.train_backend``: where a linkage model is estimated when none is
    reused (duckdb or spark; unset: the linkage backend itself)."""
    value = profile.get("linkage.train_backend")
    if value in (None, ""):
        return None
    if str(value) not in ("duckdb", "spark"):
        raise ValueError(f"linkage.train_backend must be duckdb or spark, not {value!r}")
    return str(value)


def linker_for(backend: str, conf_dir, model_dir, spark=None, retrain: bool = False,
               duckdb: dict | None = None, train_backend: str | None = None):
    """jobs/dedup/linkage's ``link_records`` bound to the profile."""
    from .linkage import link_records

    return partial(link_records, backend=backend, conf_dir=conf_dir, model_dir=model_dir,
                   spark=spark, retrain=retrain, duckdb=duckdb, train_backend=train_backend)


def _on(value) -> bool:
    """A profile flag: YAML booleans, or the strings an environment override gives."""
    return value if isinstance(value, bool) else str(value).strip().lower() not in ("false", "no", "off", "0")


def duckdb_settings(profile) -> dict:
    """The profile's ``linkage.duckdb`` block, its temp directory as an absolute path."""
    settings = dict(profile.get("linkage.duckdb") or {})
    if settings.get("temp_directory"):
        settings["temp_directory"] = str(profile.path("linkage.duckdb.temp_directory"))
    return settings


REGISTRY_ZONES = {"members": REGISTRY_MEMBER.name, "ids": REGISTRY_ID.name}


def read_registry(engine, lake, lake_root: str, run_date: date) -> tuple[id_registry.Registry | None, str | None]:
    """The registry snapshot of the latest run date before ``run_date`` (None on the first run)."""
    zone = f"registry/{REGISTRY_ZONES['ids']}"
    if not lake.exists(zone):
        return None, None
    day = id_registry.previous_run_date(lake.list(zone), run_date)
    if day is None:
        return None, None
    frames = {}
    for part, table in REGISTRY_ZONES.items():
        uri = f"{lake_root}/registry/{table}/run_date={day.isoformat()}"
        engine.read_parquet(f"dedup_prev_{part}", uri)
        frames[part] = engine.fetch(f"SELECT * FROM dedup_prev_{part}")
    return id_registry.Registry(members=frames["members"], ids=frames["ids"]), day.isoformat()


def _write_frame(engine, name: str, frame: pd.DataFrame, table, uri: str) -> None:
    schema = ", ".join(f"{f.name} {f.type}" for f in table.fields)
    engine.register(name, frame[table.names], schema)
    engine.write_parquet(f"SELECT * FROM {name}", uri)


def run_stage(ctx, spark=None, *, lake, retrain: bool = False) -> dict:
    """The dedup stage of one run: read the standardized zone, write the curated outputs, the
    registry snapshot, the id changes and the review queue; returns what the report shows."""
    conf = ctx.profile.conf_dir / "linkage"
    backend = backend_of(ctx.profile)
    duckdb = duckdb_settings(ctx.profile)
    probabilistic = _on(ctx.profile.get("linkage.probabilistic", True))
    if probabilistic:
        from .linkage import warm_up

        warm_up(conf)  # romanisation dictionaries load while the first types are prepared
    engine = engine_for(backend, spark, duckdb)
    from ..state.current import records_zone

    # the current state of every source (jobs/state/current.py), not the day's extract alone
    engine.read_parquet(RECORDS, records_zone(ctx), cache=True)
    previous, previous_day = read_registry(engine, lake, ctx.lake_root, ctx.run_date)
    review_dir = ctx.profile.path("linkage.review_dir")
    result = deduplicate(
        engine, agency=str(ctx.profile.get("cstr.agency")), run_date=ctx.run_date,
        rules=load_yaml(conf / "exact.yaml"),
        survivorship=Rules.from_yaml(conf / "survivorship.yaml"),
        guard=load_yaml(conf / "clusters.yaml"),
        linker=linker_for(backend, conf, ctx.profile.path("linkage.model_dir"), spark, retrain, duckdb,
                          train_backend_of(ctx.profile))
        if probabilistic else None,
        decisions=review_queue.read_decisions(review_dir, as_of=ctx.run_date),
        previous=previous)

    started = time.perf_counter()
    engine.write_parquet(result.records_sql, ctx.zone("curated", "resource_record"))
    engine.write_parquet(result.golden_sql, ctx.zone("curated", "golden_resource"))
    engine.write_parquet(result.lineage_sql, ctx.zone("curated", "record_lineage"))
    _write_frame(engine, "dedup_changes", result.changes, CSTR_CHANGE, ctx.zone("curated", "cstr_change"))
    for part, table in ((result.registry.members, REGISTRY_MEMBER), (result.registry.ids, REGISTRY_ID)):
        _write_frame(engine, f"dedup_registry_{table.name}", part, table,
                     ctx.zone("registry", table.name))
    from ..publish.governance import log_export, rules_for

    rules = rules_for(ctx)
    queue = review_queue.write_queue(review_dir / ctx.run_date.isoformat(), result.review_pairs,
                                     result.review_clusters, rules=rules)
    log_export(ctx, rules, "review_queue", queue["pairs"], queue["pairs_to_review"],
               counts={k: v for k, v in (queue.get("governance") or {}).items()
                       if k not in ("audience", "rule_version")})
    result.stats["seconds"]["write"] = round(time.perf_counter() - started, 2)

    # counted on what was written (reading it back is cheaper than joining again)
    engine.read_parquet("dedup_written_lineage", ctx.zone("curated", "record_lineage"))
    engine.read_parquet("dedup_written_golden", ctx.zone("curated", "golden_resource"))
    lineage = engine.fetch("SELECT match_rule, count(*) AS n, count(DISTINCT cstr_id) AS golden "
                           "FROM dedup_written_lineage GROUP BY match_rule")
    records = int(lineage["n"].sum())
    golden = int(engine.scalar("SELECT count(*) FROM dedup_written_golden"))
    changes = result.changes["change"].value_counts().to_dict()
    return {
        "engine": engine.name, "records": records, "golden": golden, "merged": records - golden,
        "by_rule": {r.match_rule: int(r.n) for r in lineage.itertuples()},
        "giant_clusters": result.giant_clusters,
        "ambiguous_name_keys": result.ambiguous_keys,
        "identifiers": {"previous_registry": previous_day,
                        **{k: int(changes.get(k, 0)) for k in ("kept", "new", "split", "merged", "retired")}},
        "review": {**queue, "decisions_applied": result.stats["decisions_applied"],
                   "refused_pairs_still_together": result.stats["refused_pairs_still_together"]},
        "linkage": result.stats["linkage"],
        "pairs_accepted": result.stats["pairs_accepted"],
        "step_seconds": result.stats["seconds"],
    }
