"""The peer of the dedup scale benchmark: a plain Splink + DuckDB de-duplication script.

    python -m tests.bench.splink_peer --standardized <lake>/standardized/run_date=<day>
        --out <dir> [--threshold 0.95]

What a competent engineer writes from Splink's documentation in about a hundred lines, to
de-duplicate the pipeline's standardized records on one machine (the strongest simple peer of
our dedup stage, tests/bench/dedup_scale.py): DuckDB reads the standardized Parquet zone; one
Splink model per resource type (types differ too much for one λ and one set of m/u: a shared
model merged homonymous instruments); blocking on the Simplified name key and on the English
name key, each with the owner, and on the strong identifier;
Jaro-Winkler on the name key, exact on the English key, the owner and the strong identifier
(serial, patent, grant, credit code, ORCID or official number), date distance on the
creation date; λ from deterministic rules, u by random sampling, m by expectation maximisation;
predict, then Splink's own ``cluster_pairwise_predictions_at_threshold``. Writes
``<out>/clusters.parquet`` (record_id, cluster_id) and ``<out>/stats.json`` (records, pairs,
clusters, seconds per type). Not product code: a yardstick for the benchmark only.
"""
from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import duckdb
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.internals.exceptions import EMTrainingException

COLUMNS = "record_id, resource_type, name_key, name_en_key, created_date"
#: who owns or holds the resource; blocking on the name alone gives 10^9 candidate pairs at 1M
#: records (one instrument name is listed by thousands of owners), so blocks are name + owner
#: (an empty owner is a value here: organisations have none)
OWNER = """coalesce(owner_org_key, ach_holders) AS owner,
    coalesce(owner_org_key, ach_holders, '') AS owner_block"""
#: a type with fewer records is not linked (Splink's estimates break down on a handful of rows)
MIN_RECORDS = 1000
#: the record's strong identifier, whichever its type has, as upper-case letters and digits
IDENTIFIER = """nullif(upper(regexp_replace(coalesce(inst_serial_no, ach_patent_no, proj_number,
    org_credit_code, person_orcid, official_no), '[^A-Za-z0-9]', '', 'g')), '') AS identifier"""


def settings() -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        blocking_rules_to_generate_predictions=[
            block_on("resource_type", "name_key", "owner_block"),
            block_on("resource_type", "name_en_key", "owner_block"),
            block_on("resource_type", "identifier"),
        ],
        comparisons=[
            cl.JaroWinklerAtThresholds("name_key", [0.95, 0.88]),
            cl.ExactMatch("name_en_key"),
            cl.ExactMatch("owner"),
            cl.ExactMatch("identifier"),
            cl.AbsoluteDateDifferenceAtThresholds("created_date", input_is_string=False,
                                                  metrics=["day", "year"], thresholds=[1, 1]),
        ],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


def train(linker: Linker) -> None:
    linker.training.estimate_probability_two_random_records_match(
        [block_on("resource_type", "identifier"),
         block_on("resource_type", "name_key", "owner_block"),
         block_on("resource_type", "name_en_key", "owner_block")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=42)
    for rule in (block_on("resource_type", "name_key", "owner_block"),
                 block_on("resource_type", "owner_block", "created_date")):
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True)
        except (EMTrainingException, ValueError):  # a small type: no pairs, or an m underflows
            pass


def link_type(con: duckdb.DuckDBPyConnection, table: str, threshold: float) -> tuple[str, int]:
    """Train, predict and cluster one resource type's records; (clusters table, pairs)."""
    linker = Linker(DuckDBAPI(con).register(table), settings(), log_level=logging.WARNING)
    train(linker)
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    pairs = predictions.as_duckdbpyrelation().count("*").fetchall()[0][0]
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=threshold)
    return clusters.physical_name, pairs


def deduplicate(standardized: Path, out: Path, threshold: float, min_records: int = MIN_RECORDS,
                memory_limit: str = "") -> dict:
    """One Splink model per resource type (its own λ, m and u), clusters of all types written."""
    started = time.perf_counter()
    con = duckdb.connect()
    if memory_limit:  # a shared machine: DuckDB spills to disk beyond this instead of growing
        (out / "duckdb-tmp").mkdir(parents=True, exist_ok=True)
        con.execute(f"SET memory_limit = '{memory_limit}'").fetchall()
        con.execute(f"SET temp_directory = '{(out / 'duckdb-tmp').as_posix()}'").fetchall()
    con.sql(f"CREATE TABLE records AS SELECT {COLUMNS}, {OWNER}, {IDENTIFIER} "
            f"FROM read_parquet('{standardized.as_posix()}/*.parquet')")
    con.sql("CREATE TABLE clusters (record_id VARCHAR, cluster_id VARCHAR)")
    per_type = {}
    for (rtype,) in con.sql("SELECT DISTINCT resource_type FROM records ORDER BY 1").fetchall():
        type_started = time.perf_counter()
        con.sql(f"CREATE OR REPLACE TABLE records_{rtype} AS "
                f"SELECT * FROM records WHERE resource_type = '{rtype}'")
        n = con.sql(f"SELECT count(*) FROM records_{rtype}").fetchall()[0][0]
        if n < min_records:  # too few to estimate a model from: every record on its own
            table, pairs = f"(SELECT record_id, record_id AS cluster_id FROM records_{rtype})", 0
        else:
            table, pairs = link_type(con, f"records_{rtype}", threshold)
        con.sql(f"INSERT INTO clusters SELECT record_id, '{rtype}-' || cluster_id FROM {table}")
        per_type[rtype] = {"records": n, "pairs_at_threshold": pairs,
                           "seconds": round(time.perf_counter() - type_started, 2)}
    out.mkdir(parents=True, exist_ok=True)
    con.sql(f"COPY clusters TO '{(out / 'clusters.parquet').as_posix()}' (FORMAT parquet)")
    records, n_clusters = con.sql("SELECT count(*), count(DISTINCT cluster_id) FROM clusters").fetchall()[0]
    stats = {"records": records, "clusters": n_clusters, "threshold": threshold,
             "memory_limit": memory_limit or "duckdb default",
             "seconds": round(time.perf_counter() - started, 2), "per_type": per_type}
    (out / "stats.json").write_text(json.dumps(stats, indent=2))
    return stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--standardized", required=True, type=Path,
                        help="the standardized zone of one run date (a folder of Parquet files)")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--threshold", type=float, default=0.95,
                        help="match probability from which two records are one (default 0.95)")
    parser.add_argument("--min-records", type=int, default=MIN_RECORDS,
                        help=f"types with fewer records are not linked (default {MIN_RECORDS})")
    parser.add_argument("--memory-limit", default="",
                        help="DuckDB memory_limit, e.g. 8GB (default: DuckDB's, 80%% of RAM)")
    args = parser.parse_args()
    print(json.dumps(deduplicate(args.standardized, args.out, args.threshold, args.min_records,
                                 args.memory_limit)))


if __name__ == "__main__":
    main()
