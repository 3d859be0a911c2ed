"""Two days of a changing catalogue through the whole pipeline with real Spark (issue 18).

The shipped sources mix ``full`` (gz/instruments …), ``lastmodified`` (hk/equipment) and
``append`` (mo/equipamento). Between day 1 and day 2 one hk/equipment row is edited, one
gz/instruments row deleted and one mo/equipamento row appended at the platforms; day 2 extracts
only the changed rows of the incremental sources, yet its curated records, golden records and
serving tables hold the whole catalogue, changed exactly so. Re-running day 2 changes nothing, and
recomputing day 2 from nothing (a fresh home, the same databases and saved models) gives the same
records, golden records and lineage. The runs are in a process of their own (tests/state_days.py):
its own Spark session and metastore, so the suite's Hive tables are not touched."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def days(tmp_path_factory):
    home = tmp_path_factory.mktemp("state_days")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAYRES__")}
    env.update(BAYRES_HOME=str(home), SPARK_LOCAL_DIRS=str(home / "spark-tmp"),
               BAYRES_STATE_DAYS_DRIVER_MEMORY="1g")
    out = home / "days.json"
    done = subprocess.run([sys.executable, "-m", "tests.state_days", str(home), str(out)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    return json.loads(out.read_text(encoding="utf-8"))


def _ids(rows, key="record_id"):
    return {r[key] for r in rows}


def _golden_content(rows, skip=("cstr_id", "run_date", "src_run_id", "src_raw_path")):
    """Golden records without their id and day: what a recomputation must give again."""
    skip = set(skip)
    return sorted(json.dumps({k: v for k, v in r.items() if k not in skip}, sort_keys=True,
                             ensure_ascii=False) for r in rows)


def test_day2_extracts_only_the_changes_of_incremental_sources(days):
    assert days["day1"]["status"] == days["day2"]["status"] == "ok"
    assert days["day2"]["raw_rows"]["hk/equipment"] == 1       # lastmodified: the edited row
    assert days["day2"]["raw_rows"]["mo/equipamento"] == 1     # append: the new row
    assert days["day2"]["raw_rows"]["gz/instruments"] == days["day1"]["raw_rows"]["gz/instruments"] - 1


def test_day2_catalogue_is_the_whole_current_state(days):
    changed = days["changed"]
    edited, deleted, appended = (f"hk:equipment:{changed['edited']}", f"gz:instruments:{changed['deleted']}",
                                 f"mo:equipamento:{changed['appended']}")
    day1, day2 = _ids(days["day1"]["resource_record"]), _ids(days["day2"]["resource_record"])
    # records that did not change are still there (an incremental day is not the catalogue)
    assert day2 == (day1 - {deleted}) | {appended}
    names = {r["record_id"]: r["name"] for r in days["day2"]["resource_record"]}
    assert names[edited].endswith("（新型號）") and names[appended] == "全新電子顯微鏡"
    # lineage and serving: the deleted record is gone, the new one is served
    lineage = _ids(days["day2"]["record_lineage"])
    assert deleted not in lineage and appended in lineage and edited in lineage
    served_names = {name for _, name in days["day2"]["serving_resource"]}
    golden_of = {r["record_id"]: r["cstr_id"] for r in days["day2"]["record_lineage"]}
    golden_names = {r["cstr_id"]: r["name"] for r in days["day2"]["golden_resource"]}
    assert golden_names[golden_of[appended]] in served_names
    assert len(days["day2"]["serving_resource"]) == len(days["day2"]["golden_resource"])
    served_records = {row[0] for row in days["day2"]["serving_lineage"]} | {row[1] for row in days["day2"]["serving_lineage"]}
    assert appended in served_records and deleted not in served_records


def test_day2_history_in_hive(days):
    changed = days["changed"]
    rows = {(r["change"], r["src_platform"], r["src_source"], r["src_record_id"]): r
            for r in days["day2"]["record_change"]}
    assert ("delete", "gz", "instruments", changed["deleted"]) in rows
    assert ("insert", "mo", "equipamento", changed["appended"]) in rows
    update = rows[("update", "hk", "equipment", changed["edited"])]
    assert "name" in update["changed_fields"].split(",")
    # and nothing else: a record a full snapshot lists again unchanged is no update, though the
    # run stamps it (GB/T 30523's metadata date)
    assert len(days["day2"]["record_change"]) == 3, sorted(rows)[:10]
    state = days["day2"]["state"]
    assert state["delete"] >= 1 and state["insert"] >= 1 and state["update"] >= 1
    assert days["day1"]["state"]["insert"] == days["day1"]["state"]["records"]


def test_rerunning_day2_changes_nothing(days):
    again, first = days["day2_again"], days["day2"]
    assert again["state"]["rerun"] and not first["state"]["rerun"]
    for table in ("resource_record", "golden_resource", "record_lineage"):
        assert _golden_content(again[table]) == _golden_content(first[table]), table
    assert sorted(again["serving_resource"]) == sorted(first["serving_resource"])
    assert Counter(r["change"] for r in again["record_change"]) == \
        Counter(r["change"] for r in first["record_change"])


def test_incremental_day_equals_a_full_recomputation(days):
    inc, fresh = days["day2"], days["fresh"]
    assert _ids(inc["resource_record"]) == _ids(fresh["resource_record"])
    # the metadata date is the day a record entered or last changed: a recomputation from
    # nothing has no history, so every record of it is of day 2; incrementally only the changed
    run_stamps = ("cstr_id", "run_date", "src_run_id", "src_raw_path", "metadata_date")
    assert _golden_content(inc["golden_resource"], run_stamps) == \
        _golden_content(fresh["golden_resource"], run_stamps)
    assert {str(r["metadata_date"])[:10] for r in fresh["resource_record"]} == {"2026-11-02"}
    stamped = {r["record_id"]: str(r["metadata_date"])[:10] for r in inc["resource_record"]}
    changed = days["changed"]
    day2 = {f"hk:equipment:{changed['edited']}", f"mo:equipamento:{changed['appended']}"}
    assert {stamped[r] for r in day2} == {"2026-11-02"}
    assert {d for r, d in stamped.items() if r not in day2} == {"2026-11-01"}

    def clusters(rows):
        by = {}
        for r in rows:
            by.setdefault(r["cstr_id"], set()).add(r["record_id"])
        return sorted(sorted(c) for c in by.values())

    assert clusters(inc["record_lineage"]) == clusters(fresh["record_lineage"])
