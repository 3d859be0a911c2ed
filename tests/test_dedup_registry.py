"""The golden-id registry (jobs/dedup/id_registry.py) across runs: kept, new, merged, split, retired,
same-day re-runs, and a new record with a smaller id joining an existing cluster."""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from bayres.jobs.conform.calibration.identifiers import stable_local_id
from bayres.jobs.dedup.id_registry import Registry, assign, previous_run_date
from bayres.schemas.resource import CSTR_CHANGE, REGISTRY_ID, REGISTRY_MEMBER

D1, D2, D3 = date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)


def clusters(groups: dict[str, list[str]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """{cluster name: record ids} → (record_id, cluster_key = min record id), (cluster_key, type)."""
    rows = [(rid, min(ids)) for ids in groups.values() for rid in ids]
    frame = pd.DataFrame(rows, columns=["record_id", "cluster_key"])
    types = pd.DataFrame({"cluster_key": sorted({k for _, k in rows}), "resource_type": "04"})
    return frame, types


def run(groups, previous, day):
    frame, types = clusters(groups)
    return assign(frame, types, previous, agency="GBA01", run_date=day)


def id_of(result, rid):
    members = result.registry.members.set_index("record_id")["cstr_id"]
    return members[rid]


def change(result, cstr_id):
    return result.changes.set_index("cstr_id").loc[cstr_id]


def test_first_run_mints_from_the_smallest_record_id():
    r = run({"a": ["gz:2", "hk:1"], "b": ["mo:5"]}, None, D1)
    assert id_of(r, "gz:2") == id_of(r, "hk:1") == f"CSTR:GBA01.04.{stable_local_id('gz:2')}"
    assert set(r.changes["change"]) == {"new"}
    assert list(r.changes.columns) == CSTR_CHANGE.names
    assert list(r.registry.members.columns) == REGISTRY_MEMBER.names
    assert list(r.registry.ids.columns) == REGISTRY_ID.names
    assert (r.registry.ids["status"] == "active").all()


def test_a_new_record_with_a_smaller_id_keeps_the_id():
    day1 = run({"a": ["gz:2", "hk:1"]}, None, D1)
    old = id_of(day1, "gz:2")
    day2 = run({"a": ["gz:0", "gz:2", "hk:1"]}, day1.registry, D2)  # gz:0 < gz:2 joins
    assert id_of(day2, "gz:0") == old
    c = change(day2, old)
    assert (c["change"], c["members_before"], c["members_after"]) == ("kept", 2, 3)
    # today's scheme (hash of the smallest record id) would have changed it
    assert old != f"CSTR:GBA01.04.{stable_local_id('gz:0')}"


def test_re_running_a_day_gives_the_same_ids():
    day1 = run({"a": ["gz:2", "hk:1"], "b": ["mo:5"]}, None, D1)
    day2 = run({"a": ["gz:0", "gz:2"], "b": ["hk:1", "mo:5"]}, day1.registry, D2)
    again = run({"a": ["gz:0", "gz:2"], "b": ["hk:1", "mo:5"]}, day1.registry, D2)  # as of D1 again
    pd.testing.assert_frame_equal(day2.registry.members, again.registry.members)
    pd.testing.assert_frame_equal(day2.changes, again.changes)


def test_merge_keeps_the_plurality_id_and_retires_the_other():
    day1 = run({"a": ["gz:1", "gz:2"], "b": ["hk:1", "hk:2", "hk:3"]}, None, D1)
    a, b = id_of(day1, "gz:1"), id_of(day1, "hk:1")
    day2 = run({"ab": ["gz:1", "gz:2", "hk:1", "hk:2", "hk:3"]}, day1.registry, D2)
    assert id_of(day2, "gz:1") == b  # 3 of the 5 members carried b
    merged = change(day2, a)
    assert (merged["change"], merged["related_cstr_id"], merged["members_after"]) == ("merged", b, 0)
    ids = day2.registry.ids.set_index("cstr_id")
    assert (ids.loc[a, "status"], ids.loc[a, "successor_id"]) == ("retired", b)
    # a retired id is never issued again, even for the record it was minted from
    day3 = run({"a": ["gz:1", "gz:2"], "b": ["hk:1", "hk:2", "hk:3"]}, day2.registry, D3)
    assert a not in set(day3.registry.members["cstr_id"])
    assert id_of(day3, "hk:1") == b
    assert change(day3, id_of(day3, "gz:1"))["change"] == "split"


def test_ties_go_to_the_oldest_id():
    day1 = run({"a": ["gz:5", "gz:6"]}, None, D1)
    day2 = run({"a": ["gz:5", "gz:6"], "b": ["hk:1", "hk:2"]}, day1.registry, D2)
    old, young = id_of(day2, "gz:5"), id_of(day2, "hk:1")
    day3 = run({"ab": ["gz:5", "gz:6", "hk:1", "hk:2"]}, day2.registry, D3)  # 2 against 2
    assert id_of(day3, "hk:1") == old and change(day3, young)["change"] == "merged"


def test_split_keeps_the_id_on_the_larger_part():
    day1 = run({"a": ["gz:1", "gz:2", "gz:3", "hk:9"]}, None, D1)
    a = id_of(day1, "gz:1")
    day2 = run({"big": ["gz:2", "gz:3", "hk:9"], "small": ["gz:1"]}, day1.registry, D2)
    assert id_of(day2, "hk:9") == a
    new = id_of(day2, "gz:1")
    assert new != a
    c = change(day2, new)
    assert (c["change"], c["related_cstr_id"], c["members_before"], c["members_after"]) == ("split", a, 0, 1)
    assert change(day2, a)["change"] == "kept"


def test_retired_when_its_records_are_gone():
    day1 = run({"a": ["gz:1"], "b": ["hk:1"]}, None, D1)
    b = id_of(day1, "hk:1")
    day2 = run({"a": ["gz:1"], "n": ["mo:1"]}, day1.registry, D2)
    c = change(day2, b)
    assert (c["change"], c["members_before"], c["members_after"]) == ("retired", 1, 0)
    assert pd.isna(c["related_cstr_id"])
    assert change(day2, id_of(day2, "mo:1"))["change"] == "new"
    ids = day2.registry.ids.set_index("cstr_id")
    assert ids.loc[b, "status"] == "retired" and ids.loc[b, "last_run_date"] == D1


def test_previous_run_date_is_strictly_before():
    names = ["run_date=2026-11-01", "run_date=2026-11-02", "_SUCCESS", "run_date=bad"]
    assert previous_run_date(names, D2) == D1
    assert previous_run_date(names, D3) == D2
    assert previous_run_date(names, D1) is None
    assert Registry.empty().members.empty


# ---------------------------------------------------------------- the stage, day after day
@pytest.mark.parametrize("backend", ["duckdb", "spark"])
def test_stage_keeps_ids_across_days_in_the_lake(tmp_path, monkeypatch, request, backend):
    """dedup.run_stage on either engine, two days and a re-run: the registry is read from the
    lake as of the previous day, cstr_change and the review queue are written."""
    import pyarrow.parquet as pq

    from bayres.connectors.lake import LocalLake
    from bayres.jobs.dedup import stage as dedup
    from bayres.jobs.run.config import load_profile
    from bayres.jobs.run.context import RunContext

    try:
        from tests.test_dedup import as_table, record
    except ImportError:
        from test_dedup import as_table, record

    monkeypatch.setenv("BAYRES_HOME", str(tmp_path))
    profile = load_profile("local", environ={"BAYRES_HOME": str(tmp_path),
                                             "BAYRES__LINKAGE__BACKEND": backend,
                                             "BAYRES__LINKAGE__PROBABILISTIC": "false"})
    spark = request.getfixturevalue("spark") if backend == "spark" else None
    lake = LocalLake(profile.path("lake.root"))

    def stage(day, rows):
        ctx = RunContext(profile=profile, run_date=day)
        out = tmp_path / "lake" / "standardized" / f"run_date={day}"
        out.mkdir(parents=True, exist_ok=True)
        pq.write_table(as_table([{**r, "run_date": day} for r in rows]), out / "part-0.parquet")
        info = dedup.run_stage(ctx, spark, lake=lake)
        lineage = pd.read_parquet(tmp_path / "lake" / "curated" / "record_lineage" / f"run_date={day}")
        changes = pd.read_parquet(tmp_path / "lake" / "curated" / "cstr_change" / f"run_date={day}")
        return info, lineage.set_index("record_id")["cstr_id"], changes

    day1 = [record("gz:o:5", "gz", "04", "中山大学"), record("hk:o:1", "hk", "04", "中山大学"),
            record("mo:o:1", "mo", "04", "澳门大学")]
    info1, ids1, changes1 = stage(D1, day1)
    assert info1["engine"] == backend and info1["identifiers"]["new"] == 2
    assert info1["identifiers"]["previous_registry"] is None and info1["linkage"] is None
    assert ids1["gz:o:5"] == ids1["hk:o:1"] == f"CSTR:GBA01.04.{stable_local_id('gz:o:5')}"
    assert (tmp_path / "linkage" / "review" / "2026-11-01" / "pairs.csv").exists()

    day2 = day1 + [record("gz:o:1", "gz", "04", "中山大学")]  # a smaller record id joins
    info2, ids2, changes2 = stage(D2, day2)
    assert info2["identifiers"]["previous_registry"] == "2026-11-01"
    assert ids2["gz:o:1"] == ids1["gz:o:5"] and ids2["mo:o:1"] == ids1["mo:o:1"]
    assert set(changes2["change"]) == {"kept"}
    again, ids_again, changes_again = stage(D2, day2)  # re-run: as of day 1 again, same result
    pd.testing.assert_series_equal(ids2.sort_index(), ids_again.sort_index())
    pd.testing.assert_frame_equal(changes2, changes_again)
    assert lake.list("registry/cstr_registry_member") == ["run_date=2026-11-01", "run_date=2026-11-02"]
