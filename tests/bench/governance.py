"""Governance at publication: ``python -m tests.bench.governance [--rows 200000]``.

Rows of the serving store's main table (its 67 columns; regions of all four platforms, consent
both ways, personal fields of every kind; drawn here, not from the pipeline) governed for every
audience of conf/governance/rules.yaml two ways, alternated over three rounds in one window:
``apply_frame`` (column by column: the local serving stores) and ``apply_rows`` (row by row: the
cluster profile's HBase audience tables, on the executors). ``.bench/governance_<rows>.json``:
medians, ``ratio`` = frame / rows, both results checked equal, the machine and its load average.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import time

from .record import write_result


def _frame(rows: int, seed: int = 42):
    """Rows with every column of the serving store's BAYRES_RESOURCE (67 columns, 10 of them
    personal or internal), sparse where golden records are: a resource type's own fields are
    null for the other types."""
    import pandas as pd

    from bayres.schemas.derive_serving import serving_columns

    rnd = random.Random(seed)
    own = {"INST_": "02", "ORG_": "04", "PERSON_": "05", "ACH_": "09", "PROJ_": "14"}
    types = [rnd.choice(["02", "04", "05", "09", "14"]) for _ in range(rows)]
    data = {}
    for col, typ in serving_columns("BAYRES_RESOURCE"):
        prefix = next((p for p in own if col.startswith(p)), None)
        def value(i, col=col, typ=typ):
            if typ == "DOUBLE":
                return rnd.random() * 1e6
            if typ == "BIGINT":
                return rnd.randint(1, 5)
            if typ == "BOOLEAN":
                return rnd.choice([True, False, None])
            return f"{col.lower()} {i % 9973}"
        data[col] = [value(i) if prefix is None or own[prefix] == types[i] else None for i in range(rows)]
    data["RESOURCE_TYPE"] = types
    data["REGION"] = [rnd.choice(["GZ", "SZ", "HK", "MO", None]) for _ in range(rows)]
    data["SOURCE_PLATFORMS"] = [rnd.choice(["gz", "sz", "hk", "mo", "hk,sz"]) for _ in range(rows)]
    data["CONTACT_NAME"] = [rnd.choice(["陈大文", "Chan Tai Man", None]) for _ in range(rows)]
    data["CONTACT_PHONE"] = [rnd.choice([f"+86138{i % 10**8:08d}", f"+852{i % 10**8:08d}", None])
                             for i in range(rows)]
    data["CONTACT_EMAIL"] = [f"user{i % 50000}@example.org" if rnd.random() < 0.6 else None for i in range(rows)]
    return pd.DataFrame(data)


def run(rows: int = 200_000, rounds: int = 3) -> None:
    from bayres.jobs.publish import governance as gov

    rules = gov.load_rules(allow_dev_key=True)
    frame = _frame(rows)
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    columns = list(frame.columns)
    load_before = os.getloadavg()
    times: dict[str, list[float]] = {"frame": [], "rows": []}
    for i in range(rounds):
        for how in (("frame", "rows") if i % 2 == 0 else ("rows", "frame")):
            started = time.perf_counter()
            out = {a: (gov.apply_frame(rules, a, frame) if how == "frame"
                       else gov.apply_rows(rules, a, records, columns)) for a in rules.audiences}
            times[how].append(time.perf_counter() - started)
            if how == "frame":
                by_frame = out
            else:
                by_rows = out
    same = all(by_frame[a].astype(object).where(by_frame[a].notna(), None).to_dict("records") == by_rows[a]
               for a in rules.audiences)
    frame_s, rows_s = statistics.median(times["frame"]), statistics.median(times["rows"])
    write_result(f"governance_{rows}", {
        "rows": rows, "audiences": len(rules.audiences), "columns": len(columns), "rounds": rounds,
        "frame_seconds": round(frame_s, 2), "rows_seconds": round(rows_s, 2),
        "ratio": round(frame_s / rows_s, 3), "results_equal": same,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()]})


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    run(parser.parse_args().rows)
