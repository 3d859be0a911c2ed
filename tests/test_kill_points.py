"""Kill a run between every pair of its file-system writes (issue 19), for real: a subprocess
(tests/kill_child.py) SIGKILLs itself right after its k-th write. After each kill a reader finds
the previous complete state or the new complete state — never a partial or missing directory —
and a re-run leaves exactly what a clean run leaves, with no staging or spool behind."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from bayres.connectors.lake import LocalLake
from bayres.jobs.extract.stage import extract_source
from tests.kill_child import SOURCE

ROOT = Path(__file__).resolve().parent.parent
DAY = "2024-06-01"
VOLATILE = ("started", "finished", "run_id")


def child(scenario: str, workdir: Path, kill_at: int, run_id: str = "run-x",
          exchange: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "RUN_ID": run_id, "PYTHONPATH": str(ROOT.parent)}
    if not exchange:
        env["KILL_NO_EXCHANGE"] = "1"
    return subprocess.run([sys.executable, "-m", "tests.kill_child", scenario, str(workdir), str(kill_at)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def snapshot(root: Path) -> dict:
    """Every file under ``root``: parquet and other bytes, manifests without their run stamps."""
    out = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if path.name == "_manifest.json":
            doc = json.loads(path.read_text(encoding="utf-8"))
            out[rel] = {k: v for k, v in doc.items() if k not in VOLATILE}
        else:
            out[rel] = path.read_bytes()
    return out


def complete_run(run_dir: Path) -> list[str]:
    """The ids a reader of a published run directory finds; it must be self-consistent."""
    manifest = json.loads((run_dir / "_manifest.json").read_text(encoding="utf-8"))
    parts = sorted(p.name for p in run_dir.glob("part-*.parquet"))
    assert parts == [p["name"] for p in manifest["parts"]]
    ids = [i for p in parts for i in pq.read_table(run_dir / p).column("id").to_pylist()]
    assert len(ids) == manifest["rows"]
    return ids


def write_feed(workdir: Path, files: dict[str, list[str]]) -> None:
    feeds = workdir / "drop" / "sz" / "feeds"
    shutil.rmtree(feeds, ignore_errors=True)
    feeds.mkdir(parents=True)
    for name, ids in files.items():
        (feeds / name).write_text("id,name\n" + "".join(f"{i},名{i}\n" for i in ids), encoding="utf-8")


OLD = {"a.csv": ["A1", "A2", "A3"]}
NEW = {"a.csv": ["A1", "A2", "A9"], "b.csv": ["B1", "B2"]}


@pytest.fixture(scope="module")
def extract_template(tmp_path_factory):
    """A lake holding the published run of the old input; the drop folder holding the new one;
    and what a clean run over it leaves."""
    template = tmp_path_factory.mktemp("kill-extract")
    (template / "tmp").mkdir()
    write_feed(template, OLD)
    extract_source(SOURCE, feeds_root=template / "drop", database_urls={},
                   lake=LocalLake(template / "lake"), run_date=DAY, run_id="run-0", batch_rows=2)
    write_feed(template, NEW)
    clean = tmp_path_factory.mktemp("kill-extract-clean")
    shutil.copytree(template, clean, dirs_exist_ok=True)
    done = child("extract", clean, 0)
    assert done.returncode == 0, done.stderr
    return template, snapshot(clean / "lake"), int(done.stdout.split()[-1])


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "two-renames"])
def test_a_kill_between_any_two_writes_of_an_extraction_is_repaired_by_the_rerun(extract_template, tmp_path,
                                                                                  exchange):
    template, clean, writes = extract_template
    if not exchange:
        probe = tmp_path / "probe"
        shutil.copytree(template, probe)
        done = child("extract", probe, 0, exchange=False)
        assert done.returncode == 0, done.stderr
        writes = int(done.stdout.split()[-1])
        shutil.rmtree(probe)
    assert writes >= 10  # mkdirs, parts moved in, manifest, the swap, the clean-up
    old_ids = [i for i in OLD["a.csv"]]
    new_ids = [i for f in sorted(NEW) for i in NEW[f]]
    seen = set()
    for k in range(1, writes):
        work = tmp_path / f"k{k}"
        shutil.copytree(template, work)
        killed = child("extract", work, k, exchange=exchange)
        assert killed.returncode == -signal.SIGKILL, (k, killed.stderr)
        run_dir = work / "lake" / "raw" / "sz" / "grants" / DAY
        if run_dir.exists() or exchange:  # with exchange a reader always finds it
            ids = complete_run(run_dir)  # the old run or the new one, complete
            assert ids in (old_ids, new_ids), k
            seen.add("new" if ids == new_ids else "old")
        else:  # between the two renames: missing until the next run puts the old one back
            seen.add("missing")
        rerun = child("extract", work, 0, run_id="run-again", exchange=exchange)
        assert rerun.returncode == 0, (k, rerun.stderr)
        assert snapshot(work / "lake") == clean, k
        assert os.listdir(run_dir.parent) == [DAY], k  # no .tmp- or .old- directory
        assert os.listdir(work / "tmp") == [], k        # no spool of the killed process
        shutil.rmtree(work)
    # the kills fell before and after the swap (and, without exchange, between its renames)
    assert seen == ({"old", "new"} if exchange else {"old", "new", "missing"})


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "two-renames"])
def test_a_kill_between_any_two_writes_of_a_zone_replacement(tmp_path, exchange):
    template = tmp_path / "template"
    final = template / "zone" / "run_date=2024-06-01"
    final.mkdir(parents=True)
    (template / "tmp").mkdir()
    pq.write_table(__import__("pyarrow").table({"n": [1, 2], "v": ["old", "old"]}), final / "part-00000.parquet")
    clean = tmp_path / "clean"
    shutil.copytree(template, clean)
    done = child("zone", clean, 0, exchange=exchange)
    assert done.returncode == 0, done.stderr
    writes = int(done.stdout.split()[-1])
    expected = snapshot(clean / "zone")
    assert writes >= 3
    for k in range(1, writes):
        work = tmp_path / f"k{k}"
        shutil.copytree(template, work)
        assert child("zone", work, k, exchange=exchange).returncode == -signal.SIGKILL
        day = work / "zone" / "run_date=2024-06-01"
        if day.exists() or exchange:  # with exchange the day's directory is never missing
            values = set(pq.read_table(day).column("v").to_pylist())
            assert values in ({"old"}, {"new"}), k  # nor mixed
        assert child("zone", work, 0, exchange=exchange).returncode == 0
        assert snapshot(work / "zone") == expected, k
        assert os.listdir(work / "zone") == ["run_date=2024-06-01"], k


def test_spark_zones_are_replaced_aside(spark, tmp_path):
    from bayres.connectors.commit import write_spark_directory

    final = tmp_path / "zone" / "run_date=2024-06-01"
    uri = "file://" + str(final)
    write_spark_directory(spark.createDataFrame([(1, "old")], "n int, v string"), uri, "r1")
    # what a killed replacement leaves beside the day: hidden, so a reader of the zone skips it
    (final.parent / f".{final.name}.writing-dead").mkdir()
    (final.parent / f".{final.name}.writing-dead" / "junk.parquet").write_bytes(b"partial")
    assert [r.v for r in spark.read.parquet("file://" + str(final.parent)).collect()] == ["old"]
    write_spark_directory(spark.createDataFrame([(2, "new"), (3, "new")], "n int, v string"), uri, "r2")
    assert sorted(r.n for r in spark.read.parquet(uri).collect()) == [2, 3]
    assert os.listdir(final.parent) == [final.name]
