"""`python -m tests.bench [--scales 5000,1000000]` — run the benchmarks, write .bench/*.json."""
from __future__ import annotations

import argparse

from . import pipeline_run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", default="5000,1000000",
                        help="pipeline scales to time, comma-separated (default 5000,1000000)")
    args = parser.parse_args()
    for scale in [int(s) for s in args.scales.split(",") if s]:
        pipeline_run.run(scale)
    __import__("tests.bench.extract_vs_mysqldump", fromlist=["run"]).run()  # skipped without MariaDB


if __name__ == "__main__":
    main()
