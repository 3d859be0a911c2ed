"""A run killed for real at an injected point (issue 19): ``python -m tests.kill_child SCENARIO
WORKDIR KILL_AT``.

Every file-system write of the process — ``os.mkdir``, ``os.rename``, ``os.replace``,
``os.unlink``, ``os.rmdir`` (``shutil.rmtree`` and ``shutil.move`` go through them) and the
directory exchange of :mod:`bayres.connectors.commit` — is counted; right after the
``KILL_AT``-th one returns the process sends itself SIGKILL (no clean-up, no ``finally``: the
fault is real, only its timing is chosen). ``KILL_AT`` 0 runs to the end and prints the number of
writes. ``KILL_NO_EXCHANGE=1`` makes the directory exchange unavailable (the two-rename
replacement and its recovery are then what is killed). The scenarios:

* ``extract``: extract WORKDIR/drop into the lake WORKDIR/lake (one CSV source, run date
  2024-06-01), replacing the run directory an earlier run published;
* ``zone``: the DuckDB engine replaces WORKDIR/zone/run_date=2024-06-01 with new rows.
"""
from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

WRITES = 0
KILL_AT = 0


def _counted(fn):
    def wrapper(*args, **kwargs):
        global WRITES
        result = fn(*args, **kwargs)
        WRITES += 1
        if WRITES == KILL_AT:
            os.kill(os.getpid(), signal.SIGKILL)
        return result
    return wrapper


def instrument() -> None:
    for name in ("mkdir", "rename", "replace", "unlink", "rmdir"):
        setattr(os, name, _counted(getattr(os, name)))
    from bayres.connectors import commit

    if os.environ.get("KILL_NO_EXCHANGE"):  # as on a file system without renameat2: the fallback
        commit.exchange = lambda a, b: False
    commit.exchange = _counted(commit.exchange)


SOURCE = {"platform": "sz", "source": "grants", "format": "csv", "id_field": "id",
          "file": {"path": "sz/feeds/*.csv", "encoding": "utf-8"}}


def run(scenario: str, workdir: Path) -> None:
    if scenario == "extract":
        from bayres.connectors.lake import LocalLake
        from bayres.jobs.extract import extract_source

        extract_source(SOURCE, feeds_root=workdir / "drop", database_urls={},
                       lake=LocalLake(workdir / "lake"), run_date="2024-06-01",
                       run_id=os.environ.get("RUN_ID", "run-x"), batch_rows=2)
    elif scenario == "zone":
        from bayres.jobs.dedup_engine import DuckDBEngine

        engine = DuckDBEngine()
        engine.write_parquet("SELECT range AS n, 'new' AS v FROM range(5)",
                             "file://" + str(workdir / "zone" / "run_date=2024-06-01"))
    else:
        raise SystemExit(f"unknown scenario {scenario}")


if __name__ == "__main__":
    scenario, workdir, KILL_AT = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    os.environ["TMPDIR"] = str(workdir / "tmp")
    import tempfile

    tempfile.tempdir = str(workdir / "tmp")
    instrument()
    run(scenario, workdir)
    print(WRITES)
