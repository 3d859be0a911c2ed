"""`python -m tests.bench [--scales 5000,1000000] [--dedup-scales 1000000,4000000]
[--dedup-rounds 1] [--dedup-spark] [--portal-records 100000] [--stack-scale 5000]
[--incremental-records 1000000] [--service-log-lines 1000000]
[--service-stats-lines 10000000] [--governance-rows 200000]` — run the benchmarks, write .bench/*.json.

Each pipeline scale writes ``.bench/pipeline_vs_copy_<scale>.json`` (the whole run against a
plain PySpark read-raw-write-Parquet job, ``ratio``) and ``.bench/pipeline_local_<scale>.json``
(tests/bench/pipeline_run.py).

By default the dedup stage is measured at 1M records against the peer, one round each (about
half an hour with the preparation on 2 cores): ``.bench/dedup_scale_1000000.json`` and
``.bench/dedup_accuracy_1000000.json``.  4M (``--dedup-scales 1000000,4000000``), more rounds
and the Spark backend run are opt-in: they take hours."""
from __future__ import annotations

import argparse

from . import pipeline_run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", default="5000,1000000",
                        help="pipeline scales to time, comma-separated (default 5000,1000000)")
    parser.add_argument("--rounds", type=int, default=0,
                        help="pipeline/copy alternations per scale (default: 3 up to 200,000 records, 1 above)")
    parser.add_argument("--portal-records", type=int, default=100_000,
                        help="golden records in the portal search benchmark's index (0: skip it)")
    parser.add_argument("--stack-scale", default="5000",
                        help="cluster profile on the stack vs local at this scale (default 5000; "
                             "skipped when the stack is not up: make stack-up; empty: never)")
    parser.add_argument("--dedup-scales", default="1000000",
                        help="dedup stage vs a plain Splink-DuckDB script at these scales (default 1000000; "
                             "'' for none)")
    parser.add_argument("--incremental-records", type=int, default=1_000_000,
                        help="the current state's full day vs incremental days of 0.1/1/10 %% changed "
                             "at this catalogue size (.bench/incremental_<n>.json; 0: skip it)")
    parser.add_argument("--dedup-rounds", type=int, default=1, help="ours/peer alternations per scale")
    parser.add_argument("--dedup-spark", action="store_true", help="also the Spark backend at 1M")
    parser.add_argument("--service-log-lines", type=int, default=1_000_000,
                        help="lines of service logs through the Flume collector vs cat (0: skip)")
    parser.add_argument("--service-stats-lines", type=int, default=10_000_000,
                        help="lines of one day of service logs through the Spark statistics job "
                             "(into .bench/service_logs.json as stats_*; 0: skip)")
    parser.add_argument("--governance-rows", type=int, default=200_000,
                        help="rows of the serving store's main table governed per audience, column "
                             "by column vs row by row (.bench/governance_<n>.json; 0: skip)")
    args = parser.parse_args()
    if args.governance_rows:  # a minute
        __import__("tests.bench.governance", fromlist=["run"]).run(args.governance_rows)
    if args.incremental_records:  # first: a few minutes, before the long runs load the machine
        __import__("tests.bench.incremental", fromlist=["run"]).run(args.incremental_records)
    if args.service_log_lines or args.service_stats_lines:
        __import__("tests.bench.service_logs", fromlist=["run"]).run(args.service_log_lines,
                                                                     args.service_stats_lines)
    for scale in [int(s) for s in args.scales.split(",") if s]:
        pipeline_run.run(scale, rounds=args.rounds or None)
    __import__("tests.bench.extract_vs_mysqldump", fromlist=["run"]).run()  # skipped without MariaDB
    if args.portal_records:  # over make run's var/ if it holds a catalogue, else a fresh 5,000 sample
        __import__("tests.bench.portal_search", fromlist=["run"]).run(records=args.portal_records)
    if args.stack_scale:
        from tests import server_endpoints

        if all(server_endpoints.reachable(n) for n in ("hdfs", "yarn", "hbase_thrift", "phoenix",
                                                        "mariadb", "hive_metastore")):
            __import__("tests.bench.stack_cluster_vs_local", fromlist=["run"]).run(int(args.stack_scale))
        else:
            print("bench stack_cluster_vs_local: skipped, the stack is not up (make stack-up)")
    dedup_scales = tuple(int(s) for s in args.dedup_scales.split(",") if s)
    if dedup_scales:
        __import__("tests.bench.dedup_scale", fromlist=["run"]).run(
            dedup_scales, rounds=args.dedup_rounds, spark=True if args.dedup_spark else False)


if __name__ == "__main__":
    main()
