"""Our SQL extraction against ``mysqldump --tab`` on the same MariaDB table, side by side.

``python -m tests.bench.extract_vs_mysqldump [--rows 1000000] [--repeats 3] [--splits 1,2,4]``
(the test MariaDB must be running: ``tests/servers/start.sh mariadb``).

Loads a synthetic S&T instrument table of ``--rows`` rows (ten columns: integer key, codes,
CJK names, DECIMAL values with NULLs, DATE, DATETIME) with ``INSERT … SELECT`` over a cross join
of a digits table — no row-by-row inserts — then, alternating so that both see the same machine
load, times:

* ``mysqldump --tab`` into the server's ``secure_file_priv`` directory (tab-separated text
  written by the server, as ``SELECT … INTO OUTFILE``), and ``SELECT … INTO OUTFILE`` alone;
* ``extract_source`` in full mode, one row per source row into the raw zone (zstd parquet parts
  + manifest, published atomically), for each split count.

Each side is scored by its best run (the least disturbed by other work on the machine); medians
are recorded too. ``ratio`` = our best rows/s ÷ mysqldump's. A separate single-split run is
timed stage by stage (where the time goes), with the server's CPU seconds for both tools.
Writes ``.bench/extract_vs_mysqldump.json``.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import sqlalchemy as sa

from bayres.connectors import mysql_protocol, sql_source
from bayres.connectors.lake import LocalLake
from bayres.jobs.extract import stage as extract_mod
from bayres.jobs.extract import parts as extract_parts
from bayres.jobs.extract.stage import extract_source

from .record import write_result

try:
    from tests import server_endpoints as ep
except ImportError:  # pragma: no cover
    import server_endpoints as ep

DATABASE = "bayres_bench_extract"
TABLE = "instrument"
RUN_DATE = "2026-11-01"


def _url(database: str) -> str:
    return sa.engine.make_url(ep.MARIADB_URL).set(database=database).render_as_string(hide_password=False)


def load_table(rows: int) -> float:
    """(Re)create ``bayres_bench_extract.instrument`` with ``rows`` rows; seconds taken."""
    started = time.perf_counter()
    admin = sa.create_engine(ep.MARIADB_URL)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {DATABASE}")
        conn.exec_driver_sql(f"CREATE DATABASE {DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    admin.dispose()
    digits = 1
    while 10 ** digits < rows:
        digits += 1
    number = " + ".join(f"{10 ** i} * d{i}.n" for i in range(digits))
    joins = ", ".join(f"digit d{i}" for i in range(digits))
    engine = sa.create_engine(_url(DATABASE))
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE digit (n INT PRIMARY KEY)")
        conn.exec_driver_sql("INSERT INTO digit VALUES " + ",".join(f"({i})" for i in range(10)))
        conn.exec_driver_sql(f"""
            CREATE TABLE {TABLE} (
              id BIGINT NOT NULL PRIMARY KEY,
              code VARCHAR(32) NOT NULL,
              name VARCHAR(200),
              model VARCHAR(64),
              manufacturer VARCHAR(100),
              original_value DECIMAL(14,2),
              purchase_date DATE,
              org VARCHAR(100),
              status TINYINT,
              updated_at DATETIME
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci""")
        conn.exec_driver_sql(f"""
            INSERT INTO {TABLE}
            SELECT n, CONCAT('SZYQ', LPAD(n, 8, '0')),
                   CONCAT(ELT(1 + n % 5, '透射电子显微镜', '液相色谱-质谱联用仪', '核磁共振波谱仪',
                              'X射线衍射仪', '激光共聚焦显微镜'), ' ', n % 997),
                   CONCAT('M-', n % 1000),
                   ELT(1 + n % 4, 'Thermo Fisher', 'Bruker', '岛津 Shimadzu', 'Agilent "Tech"'),
                   IF(n % 50 = 0, NULL, 300000 + (n * 7919) % 9000000 + 0.5 * (n % 2)),
                   DATE('2010-01-01') + INTERVAL (n % 5000) DAY,
                   CONCAT('深圳', ELT(1 + n % 3, '大学', '先进技术研究院', '湾实验室'), n % 100),
                   n % 3,
                   TIMESTAMP('2024-01-01 00:00:00') + INTERVAL n SECOND
            FROM (SELECT {number} + 1 AS n FROM {joins}) s
            WHERE n <= {rows}""".replace("%", "%%"))  # the driver formats with %
        conn.exec_driver_sql(f"ANALYZE TABLE {TABLE}")
        count = conn.exec_driver_sql(f"SELECT COUNT(*) FROM {TABLE}").scalar()
    engine.dispose()
    assert count == rows, (count, rows)
    return time.perf_counter() - started


def _server_cpu() -> float:
    """CPU seconds used so far by the MariaDB server (when it runs on this machine)."""
    pid_file = ep.SERVERS_DIR / "mariadb" / "mariadbd.pid"
    try:
        import psutil

        times = psutil.Process(int(pid_file.read_text().strip())).cpu_times()
        return times.user + times.system
    except Exception:  # noqa: BLE001 — a remote server: not measured
        return float("nan")


def _outfile_dir() -> Path:
    engine = sa.create_engine(_url(DATABASE))
    with engine.connect() as conn:
        directory = conn.exec_driver_sql("SELECT @@secure_file_priv").scalar()
    engine.dispose()
    if not directory:
        raise RuntimeError("the server has no secure_file_priv directory")
    return Path(directory)


def _clear(directory: Path) -> None:
    for name in (f"{TABLE}.txt", f"{TABLE}.sql", "outfile.tsv"):
        (directory / name).unlink(missing_ok=True)


def time_mysqldump(directory: Path) -> dict:
    """``mysqldump --tab``: the server writes ``instrument.txt`` (the client only the DDL)."""
    _clear(directory)
    url = sa.engine.make_url(ep.MARIADB_URL)
    env = {**os.environ, "MYSQL_PWD": url.password or ""}
    cpu = _server_cpu()
    started = time.perf_counter()
    subprocess.run(["mysqldump", f"--host={url.host}", f"--port={url.port}", f"--user={url.username}",
                    "--default-character-set=utf8mb4", f"--tab={directory}", DATABASE, TABLE],
                   env=env, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    out = {"seconds": seconds, "server_cpu_seconds": _server_cpu() - cpu,
           "bytes": (directory / f"{TABLE}.txt").stat().st_size}
    _clear(directory)
    return out


def time_outfile(directory: Path) -> dict:
    _clear(directory)
    engine = sa.create_engine(_url(DATABASE))
    cpu = _server_cpu()
    started = time.perf_counter()
    with engine.connect() as conn:
        conn.exec_driver_sql(f"SELECT * INTO OUTFILE '{directory / 'outfile.tsv'}' FROM {TABLE}")
    seconds = time.perf_counter() - started
    engine.dispose()
    out = {"seconds": seconds, "server_cpu_seconds": _server_cpu() - cpu}
    _clear(directory)
    return out


def _source(splits: int, fetch_size: int) -> dict:
    return {"platform": "bench", "source": "instrument", "format": "sql", "id_field": "id",
            "sql": {"database": "bench", "table": TABLE, "splits": splits, "fetch_size": fetch_size}}


def time_extract(splits: int, fetch_size: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bayres-bench-extract-") as tmp:
        cpu, process = _server_cpu(), time.process_time()
        started = time.perf_counter()
        manifest = extract_source(_source(splits, fetch_size), feeds_root=Path(tmp),
                                  database_urls={"bench": _url(DATABASE)}, lake=LocalLake(Path(tmp) / "lake"),
                                  run_date=RUN_DATE, run_id=f"bench-{splits}")
        seconds = time.perf_counter() - started
        return {"seconds": seconds, "rows": manifest["rows"], "bytes": manifest["bytes"],
                "path": manifest["sql_read"]["path"], "client_cpu_seconds": time.process_time() - process,
                "server_cpu_seconds": _server_cpu() - cpu}


def stage_breakdown(fetch_size: int) -> dict:
    """One single-split extraction with each stage timed, in wall and CPU seconds of the one
    thread doing everything: ``wall - cpu`` of the socket stage is time spent waiting for the
    server (or for a core, on a busy machine)."""
    wall: dict[str, float] = defaultdict(float)
    cpu: dict[str, float] = defaultdict(float)
    socket_stage = "socket → row packets (python loop over packet headers)"

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            w, c = time.perf_counter(), time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                wall[name] += time.perf_counter() - w
                cpu[name] += time.thread_time() - c
        return wrapper

    chunks = mysql_protocol.RowChunks.chunks

    def timed_chunks(self, max_rows):
        iterator = chunks(self, max_rows)
        while True:
            w, c = time.perf_counter(), time.thread_time()
            try:
                item = next(iterator)
            except StopIteration:
                return
            finally:
                wall[socket_stage] += time.perf_counter() - w
                cpu[socket_stage] += time.thread_time() - c
            yield item

    patches = [(mysql_protocol.RowChunks, "chunks", timed_chunks),
               (mysql_protocol, "cut_fields", timed("fields → arrow columns (numpy, arrow take)", mysql_protocol.cut_fields)),
               (sql_source, "_locations", timed("_src_location column", sql_source._locations)),
               (extract_parts, "_write", timed("parquet write (zstd)", extract_parts._write)),
               (extract_mod, "_publish_parts", timed("hash + move parts into the lake", extract_mod._publish_parts))]
    originals = [(obj, name, getattr(obj, name)) for obj, name, _ in patches]
    for obj, name, replacement in patches:
        setattr(obj, name, replacement)
    try:
        figures = time_extract(1, fetch_size)
    finally:
        for obj, name, original in originals:
            setattr(obj, name, original)
    stages = {k: {"wall": round(wall[k], 3), "cpu": round(cpu[k], 3)} for k in wall}
    stages["other (planning, connections, manifest)"] = {"wall": round(figures["seconds"] - sum(wall.values()), 3)}
    return {"seconds": round(figures["seconds"], 3), "stages": stages,
            "client_cpu_seconds": round(figures["client_cpu_seconds"], 3),
            "server_cpu_seconds": round(figures["server_cpu_seconds"], 3)}


def _summary(runs: list[dict], rows: int) -> dict:
    seconds = [r["seconds"] for r in runs]
    best = min(seconds)
    return {"rows": rows, "seconds": round(best, 3), "rows_per_second": round(rows / best),
            "median_seconds": round(statistics.median(seconds), 3), "runs_seconds": [round(s, 3) for s in seconds],
            **{k: round(min(r[k] for r in runs), 3) for k in ("server_cpu_seconds", "client_cpu_seconds")
               if k in runs[0]}}


def run(rows: int = 1_000_000, repeats: int = 3, splits: tuple[int, ...] = (1, 2, 4),
        fetch_size: int = 50_000, keep: bool = False) -> Path | None:
    """Measure and write ``.bench/extract_vs_mysqldump.json``; skipped (None) without MariaDB.
    The benchmark database is dropped afterwards unless ``keep``."""
    if not ep.reachable("mariadb"):
        print("bench extract_vs_mysqldump: MariaDB is not reachable; start it with "
              "tests/servers/start.sh mariadb")
        return None
    try:
        return _measure(rows, repeats, splits, fetch_size)
    finally:
        if not keep:
            admin = sa.create_engine(ep.MARIADB_URL)
            with admin.begin() as conn:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {DATABASE}")
            admin.dispose()


def _measure(rows: int, repeats: int, splits: tuple[int, ...], fetch_size: int) -> Path:
    load_seconds = load_table(rows)
    directory = _outfile_dir()
    time_extract(max(splits), fetch_size)  # warm-up: buffer pool, imports
    time_mysqldump(directory)
    dumps, outfiles, ours = [], [], {s: [] for s in splits}
    for _ in range(repeats):  # alternate, so that both see the same machine load
        dumps.append(time_mysqldump(directory))
        for s in splits:
            ours[s].append(time_extract(s, fetch_size))
        outfiles.append(time_outfile(directory))
    assert all(r["rows"] == rows for runs in ours.values() for r in runs)
    mysqldump = _summary(dumps, rows)
    by_splits = {str(s): _summary(runs, rows) for s, runs in ours.items()}
    best_splits = min(ours, key=lambda s: by_splits[str(s)]["seconds"])
    best = by_splits[str(best_splits)]
    figures = {
        "rows": rows,
        "ours": {**best, "splits": best_splits, "fetch_size": fetch_size, "path": ours[best_splits][0]["path"],
                 "parquet_bytes": ours[best_splits][0]["bytes"]},
        "mysqldump": {**mysqldump, "tool": "mysqldump --tab", "text_bytes": dumps[0]["bytes"]},
        "select_into_outfile": _summary(outfiles, rows),
        "ratio": round(best["rows_per_second"] / mysqldump["rows_per_second"], 3),
        "ratio_median": round(mysqldump["median_seconds"] / best["median_seconds"], 3),
        "ours_by_splits": by_splits,
        "where_the_time_goes_1_split_serial": stage_breakdown(fetch_size),
        "load_seconds": round(load_seconds, 1),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
    }
    return write_result("extract_vs_mysqldump", figures, target_ratio=0.8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--splits", default="1,2,4")
    parser.add_argument("--fetch-size", type=int, default=50_000)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args()
    run(args.rows, args.repeats, tuple(int(s) for s in args.splits.split(",")), args.fetch_size, args.keep)


if __name__ == "__main__":
    main()
