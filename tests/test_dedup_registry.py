"""The golden-id registry (jobs/id_registry.py) across runs: kept, new, merged, split, retired,
same-day re-runs, and a new record with a smaller id joining an existing cluster."""
from __future__ import annotations

from datetime import date

import pandas as pd

from bayres.jobs.calibration.identifiers import stable_local_id
from bayres.jobs.id_registry import Registry, assign, previous_run_date
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
