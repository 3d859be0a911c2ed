"""The current state's cost follows the change (issue 18): ``.bench/incremental_<records>.json``.

A catalogue of ``records`` standardized records in four incremental sources (two
``lastmodified``, two ``append``) is merged into an empty state (the full first day), then a
day whose extract holds ``changed_fraction`` of the catalogue — 80 % edits with a newer
modification date, 10 % late older versions (refused), 10 % new records — is merged into it
(the incremental day), for each fraction from the same first day. Both are the whole
:func:`bayres.jobs.state.current.apply_day`: reading the day's zone, the set arithmetic in DuckDB, the
Delta MERGE, the day's history rows and the current-state zone dedup reads.

``equals_full_recompute``: the state after the incremental day equals the state built in one
full day from the final catalogue (computed here with pyarrow, not by the code under test), row
for row on every content column, and the expected names of the changed records are there.

Only the state stage is measured: dedup, load, quality and publish still work on the whole
current state each day (their incremental forms, issue 18's items 2 and 3, are not built)."""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .record import write_result

SOURCES = [
    {"platform": "gz", "source": "instruments", "format": "sql", "id_field": "ID",
     "sql": {"mode": "lastmodified", "check_column": "T"}},
    {"platform": "hk", "source": "equipment", "format": "sql", "id_field": "ID",
     "sql": {"mode": "lastmodified", "check_column": "T"}},
    {"platform": "mo", "source": "equipamento", "format": "sql", "id_field": "ID",
     "sql": {"mode": "append", "check_column": "ID"}},
    {"platform": "sz", "source": "instruments", "format": "sql", "id_field": "ID",
     "sql": {"mode": "append", "check_column": "ID"}},
]
DAY1, DAY2 = date(2026, 11, 1), date(2026, 11, 2)


def _catalogue(n: int, start: int = 0, seed: int = 1) -> pa.Table:
    """``n`` records shaped like the standardized zone (a realistic share of columns filled)."""
    from bayres.jobs.state.current import RECORD_COLUMNS
    from bayres.schemas.resource import RESOURCE_RECORD

    rng = np.random.default_rng(seed)
    ids = np.arange(start, start + n)
    src = ids % len(SOURCES)
    platform = np.array([s["platform"] for s in SOURCES])[src]
    source = np.array([s["source"] for s in SOURCES])[src]
    rid = ids.astype(str)
    filled = {
        "record_id": np.char.add(np.char.add(np.char.add(platform, ":"), np.char.add(source, ":")), rid),
        "src_platform": platform, "src_source": source, "src_record_id": rid,
        "name": np.char.add("仪器 ", rid), "name_en": np.char.add("Instrument ", rid),
        "resource_type": np.full(n, "02"), "region": np.full(n, "GZ"), "language": np.full(n, "zh-Hans"),
        "inst_model": np.char.add("M-", (ids % 997).astype(str)),
        "inst_original_value": rng.integers(10_000, 5_000_000, n).astype(float),
        "owner_org": np.char.add("中山大学 ", (ids % 301).astype(str)),
        "contact_phone": np.char.add("+86208", (ids % 100_000).astype(str)),
        "src_location": np.char.add("table T row ", rid), "src_run_id": np.full(n, "bench"),
    }
    updated = date(2026, 10, 1)
    kinds = {"string": pa.string(), "date": pa.date32(), "double": pa.float64(), "long": pa.int64(),
             "boolean": pa.bool_()}
    cols = {}
    for f in RESOURCE_RECORD.fields:
        if f.name in filled:
            cols[f.name] = pa.array(filled[f.name], kinds[f.type])
        elif f.name == "updated_date":
            cols[f.name] = pa.array([updated] * n, pa.date32())
        else:
            cols[f.name] = pa.nulls(n, kinds[f.type])
    assert set(RECORD_COLUMNS) <= set(cols)
    return pa.table(cols)


def _write(table: pa.Table, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, directory / "part-00000.parquet", row_group_size=128_000)


class Home:
    def __init__(self, root: Path):
        self.root = root

    def zones(self, day: str):
        from bayres.jobs.state.current import DayZones

        return DayZones(standardized=(self.root / "standardized" / day).as_uri(), quarantine=None,
                        raw_dirs={}, changes=(self.root / "changes" / day).as_uri(),
                        current=(self.root / "current" / day).as_uri())

    def apply(self, day: date, table: pa.Table) -> float:
        from bayres.jobs.state.current import apply_day

        _write(table, self.root / "standardized" / day.isoformat())
        started = time.perf_counter()
        apply_day(state_path=self.root / "state", run_date=day, run_id=f"bench-{day}", sources=SOURCES,
                  zones=self.zones, duckdb={"memory_limit": "4GB", "threads": 2})
        return round(time.perf_counter() - started, 2)


def _delta(base: pa.Table, records: int, fraction: float, seed: int) -> tuple[pa.Table, pa.Table]:
    """(the day's extract, the catalogue it should leave)."""
    rng = np.random.default_rng(seed)
    changed = max(10, int(records * fraction))
    picked = rng.choice(records, size=changed - changed // 10, replace=False)
    edits, late = picked[: changed * 8 // 10], picked[changed * 8 // 10:]
    edited = base.take(pa.array(np.sort(edits)))
    edited = edited.set_column(edited.schema.get_field_index("name"), "name",
                               pc.binary_join_element_wise(edited["name"], "（修订）", ""))
    edited = edited.set_column(edited.schema.get_field_index("updated_date"), "updated_date",
                               pa.array([date(2026, 10, 30)] * len(edited), pa.date32()))
    stale = base.take(pa.array(np.sort(late)))
    stale = stale.set_column(stale.schema.get_field_index("name"), "name",
                             pc.binary_join_element_wise(stale["name"], "（旧）", ""))
    stale = stale.set_column(stale.schema.get_field_index("updated_date"), "updated_date",
                             pa.array([date(2026, 9, 1)] * len(stale), pa.date32()))
    new = _catalogue(changed // 10, start=records, seed=seed)
    day = pa.concat_tables([edited, stale, new])
    keep = np.ones(records, bool)
    keep[edits] = False
    final = pa.concat_tables([base.filter(pa.array(keep)), edited, new])
    return day, final


def _equal(a: Path, b: Path) -> bool:
    import duckdb

    from bayres.jobs.state.current import CONTENT, KEY

    cols = ", ".join([*KEY, *CONTENT])

    def missing(x: Path, y: Path) -> int:
        return duckdb.sql(f"SELECT count(*) FROM (SELECT {cols} FROM read_parquet('{x}/*.parquet') "
                          f"EXCEPT ALL SELECT {cols} FROM read_parquet('{y}/*.parquet'))").fetchall()[0][0]

    return missing(a, b) == 0 and missing(b, a) == 0


def run(records: int = 1_000_000, fractions=(0.001, 0.01, 0.1)) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="bayres-bench-incremental-",
                                    dir=os.environ.get("SPARK_LOCAL_DIRS") or None))
    try:
        base = _catalogue(records)
        first = Home(scratch / "first")
        full_seconds = first.apply(DAY1, base)
        results = []
        for i, fraction in enumerate(fractions):
            home = Home(scratch / f"day-{fraction}")
            shutil.copytree(first.root, home.root)  # the same first day for every fraction
            day, final = _delta(base, records, fraction, seed=10 + i)
            incremental_seconds = home.apply(DAY2, day)
            truth = Home(scratch / f"truth-{fraction}")
            truth.apply(DAY2, final)  # the final catalogue in one full day
            equal = _equal(home.root / "current" / DAY2.isoformat(), truth.root / "current" / DAY2.isoformat())
            results.append({"changed_fraction": fraction, "changed_records": day.num_rows,
                            "incremental_seconds": incremental_seconds,
                            "ratio": round(incremental_seconds / full_seconds, 3),
                            "equals_full_recompute": bool(equal)})
            shutil.rmtree(truth.root)
            shutil.rmtree(home.root)
        main = next(r for r in results if r["changed_fraction"] == 0.01)
        write_result(f"incremental_{records}", {
            "records": records, "changed_fraction": main["changed_fraction"],
            "full_seconds": full_seconds, "incremental_seconds": main["incremental_seconds"],
            "ratio": main["ratio"], "goal_ratio": 0.10,
            "equals_full_recompute": all(r["equals_full_recompute"] for r in results),
            "curve": results, "load_average": list(os.getloadavg()),
            "measured": "jobs/state/current.apply_day only (read the day, DuckDB set arithmetic, Delta MERGE, "
                        "history rows, current-state zone); dedup/load/quality/publish not included"})
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    import sys

    run(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
