"""Kill a publication between every pair of its commits (issue 19), for real: ``bayres run
--stage publish`` in a subprocess (tests/kill_child.py, scenario ``publish``) SIGKILLs itself
right after its k-th commit — Hive's golden partition, the full serving store, the audiences'
stores, the audiences' Hive views, the audit, the portal index. The commits are made in that
order under a journal; the next run (here: an extraction only, which publishes nothing itself)
completes the killed publication first, and everything published is then exactly what an
uninterrupted publication leaves."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.kill_child import hive_golden_ids, serving_ids

ROOT = Path(__file__).resolve().parent.parent
DAY = "2026-11-01"
#: the counted commits of a publication, in order (tests/kill_child.instrument_publish)
COMMITS = ("hive", "serving: full store", "serving: audiences", "hive_views", "governance",
           "portal_index")

#: the kill points tried (1-based commit numbers): set BAYRES_KILL_POINTS=1,2,3,4,5,6 for all
KILL_POINTS = tuple(int(k) for k in os.environ.get("BAYRES_KILL_POINTS", "1,2,3,6").split(","))

pytestmark = pytest.mark.slow


def _env(home: Path, **more) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAYRES__")}
    env.update(BAYRES_HOME=str(home), SPARK_LOCAL_DIRS=str(home / "spark-tmp"),
               PYTHONPATH=str(ROOT.parent), **more)
    return env


def child(home: Path, kill_at: int, stages: str = "publish") -> subprocess.CompletedProcess:
    (home / "tmp").mkdir(exist_ok=True)
    return subprocess.run([sys.executable, "-m", "tests.kill_child", "publish", str(home), str(kill_at)],
                          cwd=ROOT, env=_env(home, STAGES=stages), capture_output=True, text=True,
                          timeout=1800)


def state_of(done: subprocess.CompletedProcess) -> dict:
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(next(ln for ln in reversed(done.stdout.splitlines()) if ln.startswith("{")))


def restore(template: Path, home: Path) -> None:
    """The home as the template left it, at the same path (the metastore holds its paths)."""
    shutil.rmtree(home, ignore_errors=True)
    shutil.copytree(template, home, symlinks=True)


@pytest.fixture(scope="module")
def published_then_rerun(tmp_path_factory):
    """A home where day 2026-11-01 was published from one sample, then re-run up to quality on
    another (its curated zones await publication); and a saved copy of it."""
    base = tmp_path_factory.mktemp("kill-publish")
    home = base / "home"
    (home / "tmp").mkdir(parents=True)
    # both runs in one process (one Spark session)
    setup = subprocess.run([sys.executable, "-m", "tests.kill_child", "publish-setup", str(home), "0"],
                           cwd=ROOT, env=_env(home), capture_output=True, text=True, timeout=1800)
    assert setup.returncode == 0, setup.stdout[-3000:] + setup.stderr[-3000:]
    old = state_of(setup)  # what the first run published (hive_golden_ids, serving_ids)
    template = base / "template"
    shutil.copytree(home, template, symlinks=True)
    return home, template, old


def test_a_publication_killed_between_any_two_commits_is_completed_by_the_next_run(published_then_rerun):
    home, template, old = published_then_rerun
    clean_run = child(home, 0)
    clean = state_of(clean_run)
    assert int(clean_run.stdout.split()[-1]) == len(COMMITS)
    assert clean["journal"] is False
    new = {"hive": hive_golden_ids(home), "serving": serving_ids(home)}
    assert new["hive"] == new["serving"] and new["serving"] != old["serving"]  # two distinct runs
    assert any(k.startswith("serving public.duckdb/") for k in clean)
    assert any(k.startswith("hive bayres_public.") for k in clean)

    # between the Hive publish and the serving store's; within the serving store (full store,
    # audiences); between the serving store and the views; after the last commit, before the
    # journal is removed (each point costs two Spark processes: the others are alike)
    for k in KILL_POINTS:
        restore(template, home)
        killed = child(home, k)
        assert killed.returncode == -signal.SIGKILL, (k, killed.stderr[-2000:])
        journal = json.loads((home / "lake" / "publish" / "_journal.json").read_text("utf-8"))
        # the journal names the commits made, in order (the k-th is made but maybe not recorded)
        assert list(journal["done"]) == [c for c in ("hive", "serving", "hive_views", "governance",
                                                      "portal_index")][:len(journal["done"])]
        if k == 1:  # killed between the Hive publish and the serving store's: the mix, journalled
            assert hive_golden_ids(home) == new["hive"] and serving_ids(home) == old["serving"]
        if k == 2:  # the full store committed, the audiences' not yet: theirs still the old run's
            assert serving_ids(home) == new["serving"]
        # the next run — an extraction, which publishes nothing itself — completes it first
        after = state_of(child(home, 0, stages="extract"))
        assert after == clean, (k, COMMITS[k - 1], {x for x in clean if after.get(x) != clean[x]})
        assert not (home / "lake" / "publish" / "_journal.json").exists()
        report = json.loads(next((home / "reports").glob("*/report.json")).read_text("utf-8"))
        recovered = report["stages"]["recovered_publish"]
        assert recovered["status"] == "ok" and recovered["run_date"] == DAY, recovered
