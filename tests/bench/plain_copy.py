"""The floor a pipeline run is measured against: a plain PySpark job that reads the raw zone
(every source's raw Parquet of one day) and writes it back as Parquet, nothing else.

``python -m tests.bench.plain_copy RAW_ROOT OUT_DIR`` — run as its own process, as the pipeline
is, so both walls include starting a JVM.  Same master, driver memory and shuffle partitions as
the local profile (conf/profiles/local.yaml); no Hive, no metastore: the least a job that reads
and rewrites the same data must pay."""
from __future__ import annotations

import sys
import time
from pathlib import Path


def raw_dirs(raw_root: Path) -> list[Path]:
    """raw/<platform>/<source>/<date>/ — the directories holding Parquet files."""
    return sorted({p.parent for p in raw_root.rglob("*.parquet")})


def main(raw_root: str, out_dir: str) -> None:
    from pyspark.sql import SparkSession

    started = time.perf_counter()
    spark = (SparkSession.builder.appName("plain-copy").master("local[*]")
             .config("spark.driver.memory", "4g").config("spark.sql.shuffle.partitions", "8")
             .config("spark.sql.caseSensitive", "true").config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    root, dirs = Path(raw_root), raw_dirs(Path(raw_root))
    for src in dirs:
        spark.read.parquet(str(src)).write.mode("overwrite").parquet(str(Path(out_dir) / src.relative_to(root)))
    spark.stop()
    print(f"plain copy: {len(dirs)} raw directories in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main(*sys.argv[1:3])
