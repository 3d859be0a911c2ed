"""The current state (jobs/state/current.py, issue 18): days of full snapshots, append and lastmodified
deltas, tombstones, late older versions and re-runs merged into a real Delta table.

Each day's inputs are written as conform writes them (standardized and quarantine zones, the raw
directory of a source with a delete flag); the expected catalogue after each day is computed here
from the scenario, independently of the merge."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bayres.jobs.state import current as state
from bayres.schemas.resource import QUARANTINE, RESOURCE_RECORD

ARROW = {"string": pa.string(), "date": pa.date32(), "double": pa.float64(), "long": pa.int64(),
         "boolean": pa.bool_()}

SOURCES = [
    {"platform": "gz", "source": "inst", "format": "sql", "id_field": "ID", "sql": {"mode": "full"}},
    {"platform": "sz", "source": "inst", "format": "sql", "id_field": "ID",
     "sql": {"mode": "lastmodified", "check_column": "T"}, "mapping": {"updated_date": "T"},
     "state": {"deleted_when": {"field": "ZT", "values": ["D"]}}},
    {"platform": "hk", "source": "talent", "format": "sql", "id_field": "ID",
     "sql": {"mode": "append", "check_column": "ID"}},
    {"platform": "mo", "source": "feed", "format": "xml", "id_field": "ID",
     "file": {"on_removed": "drop"}},
]


def _zone(path: Path, table, rows: list[dict]) -> str:
    path.mkdir(parents=True, exist_ok=True)
    schema = pa.schema([(f.name, ARROW[f.type]) for f in table.fields])
    cols = {f.name: [r.get(f.name) for r in rows] for f in table.fields}
    pq.write_table(pa.table(cols, schema=schema), path / "part-00000.parquet")
    return path.as_uri()


def _record(platform, source, rid, name, updated=None, **more) -> dict:
    return {"record_id": f"{platform}:{source}:{rid}", "src_platform": platform, "src_source": source,
            "src_record_id": rid, "name": name, "resource_type": "02", "region": "GZ",
            "updated_date": date.fromisoformat(updated) if updated else None,
            "src_location": f"row {rid}", "src_run_id": "run", **more}


class Lake:
    def __init__(self, root: Path):
        self.root = root

    def run(self, day: str, records: list[dict], refused: list[tuple] = (), tombstones: list[str] = (),
            deleted_on: str | None = None):
        """One day: the day's accepted records, refused (platform, source, id), sz tombstones."""
        d = date.fromisoformat(day)
        _zone(self.root / "standardized" / f"run_date={day}", RESOURCE_RECORD,
                    [{**r, "run_date": d, "src_raw_path": f"raw/{day}"} for r in records])
        _zone(self.root / "quarantine" / f"run_date={day}", QUARANTINE,
                           [{"run_id": day, "src_platform": p, "src_source": s, "src_record_id": i,
                             "src_location": "?", "stage": "standardize", "run_date": d}
                            for p, s, i in refused])
        raw = self.root / "raw" / "sz" / "inst" / day
        raw.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.table({"ID": [f" {t} " for t in tombstones] or pa.array([], pa.string()),
                                 "ZT": ["D"] * len(tombstones) or pa.array([], pa.string()),
                                 "T": [f"{deleted_on} 10:00:00" if deleted_on else None] * len(tombstones)
                                 or pa.array([], pa.string())}),
                       raw / "part-00000.parquet")
        return state.apply_day(
            state_path=self.root / "state" / "current", run_date=d, run_id=f"test-{day}",
            sources=SOURCES, zones=self.zones, duckdb={"memory_limit": "1GB", "threads": 1})

    def zones(self, day: str) -> state.DayZones:
        return state.DayZones(
            standardized=(self.root / "standardized" / f"run_date={day}").as_uri(),
            quarantine=(self.root / "quarantine" / f"run_date={day}").as_uri(),
            raw_dirs={"sz/inst": (self.root / "raw" / "sz" / "inst" / day).as_uri()},
            changes=(self.root / "changes" / f"run_date={day}").as_uri(),
            current=(self.root / "current" / f"run_date={day}").as_uri())

    def current(self, day: str) -> dict:
        t = pq.read_table(self.root / "current" / f"run_date={day}")
        return {(r["src_platform"], r["src_source"], r["src_record_id"]): r["name"] for r in t.to_pylist()}

    def changes(self, day: str) -> list[tuple]:
        t = pq.read_table(self.root / "changes" / f"run_date={day}")
        return sorted((r["change"], r["src_platform"], r["src_record_id"], r["changed_fields"])
                      for r in t.to_pylist())


def test_days_of_snapshots_and_deltas(tmp_path):
    lake = Lake(tmp_path)
    day1 = [_record("gz", "inst", "1", "质谱仪"), _record("gz", "inst", "2", "电镜"),
            _record("sz", "inst", "10", "光谱仪", "2026-10-01"), _record("sz", "inst", "11", "色谱仪", "2026-10-01"),
            _record("hk", "talent", "100", "陳大文"), _record("mo", "feed", "x1", "Microscópio")]
    out = lake.run("2026-11-01", day1)
    assert out["insert"] == 6 and out["records"] == 6 and not out["rerun"]
    assert lake.current("2026-11-01") == {("gz", "inst", "1"): "质谱仪", ("gz", "inst", "2"): "电镜",
                                          ("sz", "inst", "10"): "光谱仪", ("sz", "inst", "11"): "色谱仪",
                                          ("hk", "talent", "100"): "陳大文", ("mo", "feed", "x1"): "Microscópio"}

    # day 2: gz's snapshot lost row 2, renamed row 1; sz's delta updates 10 (newer) and brings a
    # late older version of 11; hk appends 101; mo's feed file was withdrawn (on_removed: drop)
    out = lake.run("2026-11-02", [
        _record("gz", "inst", "1", "质谱仪（高分辨）"),
        _record("sz", "inst", "10", "光谱仪 II", "2026-10-20"), _record("sz", "inst", "11", "旧名", "2026-09-01"),
        _record("hk", "talent", "101", "李小明")])
    assert (out["insert"], out["update"], out["delete"], out["stale"]) == (1, 2, 2, 1)
    expected2 = {("gz", "inst", "1"): "质谱仪（高分辨）", ("sz", "inst", "10"): "光谱仪 II",
                 ("sz", "inst", "11"): "色谱仪", ("hk", "talent", "100"): "陳大文",
                 ("hk", "talent", "101"): "李小明"}
    assert lake.current("2026-11-02") == expected2
    assert lake.changes("2026-11-02") == [
        ("delete", "gz", "2", None), ("delete", "mo", "x1", None), ("insert", "hk", "101", None),
        ("update", "gz", "1", "name"), ("update", "sz", "10", "name,updated_date")]

    # day 3: a tombstone for sz 10; gz's row 1 is refused by conform (kept, not deleted);
    # an empty lastmodified window changes nothing else
    out = lake.run("2026-11-03", [], refused=[("gz", "inst", "1")], tombstones=["10"])
    assert (out["delete"], out["insert"], out["update"]) == (1, 0, 0)
    expected3 = {k: v for k, v in expected2.items() if k != ("sz", "inst", "10")}
    assert lake.current("2026-11-03") == expected3
    # the tombstone's history row shows the record as it was
    deleted = pq.read_table(tmp_path / "changes" / "run_date=2026-11-03").to_pylist()
    assert [(r["change"], r["name"]) for r in deleted] == [("delete", "光谱仪 II")]

    # day 4: a late older version of the deleted record does not bring it back; a newer one of 11 does update
    out = lake.run("2026-11-04", [_record("sz", "inst", "10", "光谱仪 II", "2026-10-02"),
                                  _record("sz", "inst", "11", "色谱仪（新）", "2026-11-03"),
                                  _record("gz", "inst", "1", "质谱仪（高分辨）"),
                                  _record("gz", "inst", "3", "离心机")])
    assert (out["stale"], out["update"], out["insert"]) == (1, 1, 1)
    expected4 = {**expected3, ("sz", "inst", "11"): "色谱仪（新）", ("gz", "inst", "3"): "离心机"}
    assert lake.current("2026-11-04") == expected4

    # a re-run of the newest day gives the same state and the same history (no duplicates)
    again = lake.run("2026-11-04", [_record("sz", "inst", "10", "光谱仪 II", "2026-10-02"),
                                    _record("sz", "inst", "11", "色谱仪（新）", "2026-11-03"),
                                    _record("gz", "inst", "1", "质谱仪（高分辨）"),
                                    _record("gz", "inst", "3", "离心机")])
    assert again["rerun"] and lake.current("2026-11-04") == expected4
    assert {k: again[k] for k in ("insert", "update", "delete", "stale")} == \
        {k: out[k] for k in ("insert", "update", "delete", "stale")}
    assert state.applied_days(tmp_path / "state" / "current") == \
        ["2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04"]

    # a backfill of an older day (day 2 again, now with one more record) rewinds the state and
    # replays the days after it: the state is what applying the days in order gives
    out = lake.run("2026-11-02", [
        _record("gz", "inst", "1", "质谱仪（高分辨）"), _record("gz", "inst", "4", "补录"),
        _record("sz", "inst", "10", "光谱仪 II", "2026-10-20"), _record("sz", "inst", "11", "旧名", "2026-09-01"),
        _record("hk", "talent", "101", "李小明")])
    assert out["replayed"] == ["2026-11-03", "2026-11-04"] and out["rerun"]
    # gz is a full snapshot: days 3 and 4 did not list row 4, so it is deleted again on day 4 —
    # as applying the four days in order from nothing gives
    assert lake.current("2026-11-02") == {**expected2, ("gz", "inst", "4"): "补录"}
    assert lake.current("2026-11-04") == expected4
    fresh = Lake(tmp_path / "fresh")
    for d in ("2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04"):
        for zone in ("standardized", "quarantine"):
            target = fresh.root / zone / f"run_date={d}"
            target.mkdir(parents=True)
            (target / "part-00000.parquet").write_bytes(
                (tmp_path / zone / f"run_date={d}" / "part-00000.parquet").read_bytes())
        raw = fresh.root / "raw" / "sz" / "inst" / d
        raw.mkdir(parents=True)
        (raw / "part-00000.parquet").write_bytes(
            (tmp_path / "raw" / "sz" / "inst" / d / "part-00000.parquet").read_bytes())
        state.apply_day(state_path=fresh.root / "state" / "current", run_date=date.fromisoformat(d),
                        run_id="fresh", sources=SOURCES, zones=fresh.zones)
        assert fresh.current(d) == lake.current(d), d
        assert fresh.changes(d) == lake.changes(d), d

    # a later day that cannot be replayed (its standardized zone is gone) refuses the backfill
    import shutil

    shutil.rmtree(tmp_path / "standardized" / "run_date=2026-11-04")
    with pytest.raises(state.StateConflict, match="2026-11-04 cannot be replayed"):
        lake.run("2026-11-03", [], tombstones=["10"])


def test_killed_run_leaves_the_state_unchanged(tmp_path, monkeypatch):
    """A run killed before its commit: the table is as before, the re-run applies the day once."""
    lake = Lake(tmp_path)
    lake.run("2026-11-01", [_record("gz", "inst", "1", "a"), _record("gz", "inst", "2", "b")])

    def killed(*args, **kwargs):
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(state, "_merge", killed)
    with pytest.raises(KeyboardInterrupt):
        lake.run("2026-11-02", [_record("gz", "inst", "1", "a2")])
    assert state.applied_days(tmp_path / "state" / "current") == ["2026-11-01"]
    monkeypatch.undo()
    out = lake.run("2026-11-02", [_record("gz", "inst", "1", "a2")])
    assert not out["rerun"] and (out["update"], out["delete"]) == (1, 1)
    assert lake.current("2026-11-02") == {("gz", "inst", "1"): "a2"}


def test_history_answers_as_of_and_field_changes(tmp_path):
    """What the catalogue said on a date, and when a field changed, from the change rows alone."""
    import duckdb

    lake = Lake(tmp_path)
    lake.run("2026-11-01", [_record("gz", "inst", "1", "a"), _record("gz", "inst", "2", "b")])
    lake.run("2026-11-02", [_record("gz", "inst", "1", "a2"), _record("gz", "inst", "2", "b")])
    lake.run("2026-11-03", [_record("gz", "inst", "1", "a2")])
    changes = f"read_parquet('{tmp_path.as_posix()}/changes/*/*.parquet', hive_partitioning = true)"
    as_of = f"""SELECT src_record_id, name FROM (
        SELECT *, row_number() OVER (PARTITION BY src_platform, src_source, src_record_id
                                     ORDER BY run_date DESC) AS n
        FROM {changes} WHERE run_date <= DATE '{{day}}') WHERE n = 1 AND change <> 'delete'
        ORDER BY src_record_id"""
    assert duckdb.sql(as_of.format(day="2026-11-01")).fetchall() == [("1", "a"), ("2", "b")]
    assert duckdb.sql(as_of.format(day="2026-11-02")).fetchall() == [("1", "a2"), ("2", "b")]
    assert duckdb.sql(as_of.format(day="2026-11-03")).fetchall() == [("1", "a2")]
    when = duckdb.sql(f"SELECT CAST(run_date AS VARCHAR) FROM {changes} WHERE src_record_id = '1' "
                      "AND list_contains(string_split(changed_fields, ','), 'name')").fetchall()
    assert when == [("2026-11-02",)]
    json.dumps(state.applied_days(tmp_path / "state" / "current"))


def test_state_command_lists_days_and_rewinds(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from bayres.jobs.run.cli import main

    lake = Lake(tmp_path / "lake")  # the local profile's lake under BAYRES_HOME
    lake.run("2026-11-01", [_record("gz", "inst", "1", "a")])
    lake.run("2026-11-02", [_record("gz", "inst", "1", "b")])
    monkeypatch.setenv("BAYRES_HOME", str(tmp_path))
    runner = CliRunner()
    assert runner.invoke(main, ["state", "days"]).output.split() == ["2026-11-01", "2026-11-02"]
    done = runner.invoke(main, ["state", "rewind", "--to", "2026-11-02"])
    assert done.exit_code == 0 and "newest 2026-11-01" in done.output
    assert state.applied_days(tmp_path / "lake" / "state" / "current") == ["2026-11-01"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_days_leave_what_the_platforms_hold(tmp_path, seed):
    """Property-style: days of random inserts, edits, deletions, tombstones and late older
    versions in a full, a lastmodified and an append source. After every day the state holds
    exactly what the platforms hold (their own tables, kept here), and a re-run of the day
    changes nothing."""
    import random
    from datetime import timedelta

    rng = random.Random(seed)
    lake = Lake(tmp_path)
    # the platforms' own tables: key → (name, modification date); and older versions seen
    tables = {("gz", "inst"): {}, ("sz", "inst"): {}, ("hk", "talent"): {}}
    history: dict = {}
    serial = iter(range(10_000))
    start = date(2026, 10, 1)
    for n in range(6):
        day = (date(2026, 11, 1) + timedelta(days=n)).isoformat()
        stamp = (start + timedelta(days=n)).isoformat()
        extract, tombs = [], []
        for key, table in tables.items():
            for _ in range(rng.randint(1, 6) if n else 8):  # inserts
                rid = str(next(serial))
                table[rid] = (f"{key[0]}-{rid}-v{n}", stamp)
                extract.append((key, rid))
            if n == 0 or key == ("hk", "talent"):  # append: inserts only
                continue
            for rid in rng.sample(sorted(table), k=min(len(table), rng.randint(0, 3))):  # edits
                history.setdefault((key, rid), []).append(table[rid])
                table[rid] = (f"{key[0]}-{rid}-v{n}", stamp)
                extract.append((key, rid))
            for rid in rng.sample(sorted(table), k=min(len(table), rng.randint(0, 2))):  # deletions
                history.setdefault((key, rid), []).append(table.pop(rid))
                if key == ("sz", "inst"):
                    tombs.append(rid)
        records = []
        for key, table in tables.items():
            if key == ("gz", "inst"):  # a full snapshot: the whole table
                records += [_record(*key, rid, name, updated) for rid, (name, updated) in table.items()]
            else:
                records += [_record(*key, rid, *table[rid]) for k, rid in extract if k == key and rid in table]
        # late, older versions of sz records (live or deleted) arrive again
        olds = [(k, rid) for k, rid in history if k == ("sz", "inst")]
        for k, rid in rng.sample(olds, k=min(len(olds), 2)):
            name, updated = history[(k, rid)][0]
            if rid not in tombs and not any(r["src_record_id"] == rid and r["src_platform"] == "sz"
                                            for r in records):
                records.append(_record("sz", "inst", rid, name, updated))
        expected = {(p, s, rid): name for (p, s), table in tables.items() for rid, (name, _) in table.items()}
        lake.run(day, records, tombstones=tombs, deleted_on=stamp)
        assert lake.current(day) == expected, (seed, day)
        again = lake.run(day, records, tombstones=tombs, deleted_on=stamp)
        assert again["rerun"] and lake.current(day) == expected, (seed, day)


def test_a_state_made_by_an_earlier_bayres_gains_the_fields_declared_since(tmp_path):
    """Upgrading BayRes over a kept state: a table written before a record field existed
    (here ``consent_cross_border``) and holding one no longer declared (``old_field``) takes the
    next day — the new field added to the table (older rows null), the old one left null from
    then on — and gives the state the same days give on a table made by this version."""
    from deltalake import CommitProperties, DeltaTable, write_deltalake

    days = [("2026-11-01", [_record("gz", "inst", "1", "质谱仪"), _record("gz", "inst", "2", "电镜"),
                            _record("sz", "inst", "10", "光谱仪", "2026-10-01")]),
            ("2026-11-02", [_record("gz", "inst", "1", "质谱仪（高分辨）", consent_cross_border=True),
                            _record("sz", "inst", "11", "色谱仪", "2026-10-02")])]
    fresh, old = Lake(tmp_path / "fresh"), Lake(tmp_path / "old")
    fresh.run(*days[0])
    old.run(*days[0])
    # the table as an earlier BayRes left it: rewritten without the field, with one since dropped
    path = str(old.root / "state" / "current")
    before = DeltaTable(path).to_pyarrow_table().drop_columns(["consent_cross_border"])
    before = before.append_column("old_field", pa.array(["x"] * len(before), pa.string()))
    write_deltalake(path, before, mode="overwrite", schema_mode="overwrite",
                    partition_by=["src_platform", "src_source"],
                    commit_properties=CommitProperties(custom_metadata={state.DAYS: '["2026-11-01"]'}))
    assert "consent_cross_border" not in {f.name for f in DeltaTable(path).schema().fields}

    expected, got = fresh.run(*days[1]), old.run(*days[1])
    assert {k: got[k] for k in ("insert", "update", "delete", "records")} == \
        {k: expected[k] for k in ("insert", "update", "delete", "records")}
    assert old.current("2026-11-02") == fresh.current("2026-11-02")
    assert old.changes("2026-11-02") == fresh.changes("2026-11-02")
    rows = {r["src_record_id"]: r for r in DeltaTable(path).to_pyarrow_table().to_pylist()}
    assert rows["1"]["consent_cross_border"] is True and rows["1"]["old_field"] is None
    assert rows["10"]["consent_cross_border"] is None and rows["10"]["old_field"] == "x"
    assert state.applied_days(path) == ["2026-11-01", "2026-11-02"]
    # and a re-run of the day over the evolved table is still the same day
    assert old.run(*days[1])["rerun"] and old.current("2026-11-02") == fresh.current("2026-11-02")


@pytest.mark.cluster
def test_the_state_on_an_hdfs_lake_gives_what_a_local_lake_gives(tmp_path):
    """The cluster profile keeps the current state on HDFS: the Delta table written there by
    delta-rs (its own HDFS client), each day's zones read from the lake and its ``changes`` and
    ``current`` zones published into it (jobs/state/current.py ``LakeZones``). The same days —
    snapshots, deltas, a tombstone, a re-run and a backfill — give, on the real NameNode and
    DataNode, exactly the states and history a local lake gives."""
    import io
    import uuid

    from bayres.connectors.lake import HdfsLake
    from bayres.jobs.run.config import Profile
    from bayres.jobs.run.context import RunContext
    from tests import server_endpoints

    server_endpoints.require("hdfs")
    root = f"/tmp/bayres-state-{uuid.uuid4().hex[:10]}"
    profile = Profile("cluster", {
        "home": str(tmp_path / "home"),
        "lake": {"kind": "hdfs", "url": server_endpoints.WEBHDFS_URL, "user": "bayres",
                 "spark_uri": server_endpoints.HDFS_URI, "root": root},
        "linkage": {"duckdb": {"memory_limit": "1GB", "threads": 1}}})
    profile.__dict__["sources"] = SOURCES  # the scenario's sources, not conf/sources
    hdfs = HdfsLake(server_endpoints.WEBHDFS_URL, root, "bayres")
    local = Lake(tmp_path / "local")

    def upload(day: str) -> None:
        for rel in (f"standardized/run_date={day}", f"quarantine/run_date={day}", f"raw/sz/inst/{day}"):
            hdfs.delete(rel)
            hdfs.makedirs(rel)
            for part in sorted((local.root / rel).glob("*.parquet")):
                hdfs.write_bytes(f"{rel}/{part.name}", part.read_bytes())

    def on_hdfs(zone: str, day: str) -> list[dict]:
        names = [n for n in hdfs.list(f"{zone}/run_date={day}") if n.endswith(".parquet")]
        return [r for n in names
                for r in pq.read_table(io.BytesIO(hdfs.read_bytes(f"{zone}/run_date={day}/{n}"))).to_pylist()]

    def day_on_both(day: str, *args, **kwargs) -> dict:
        expected = local.run(day, *args, **kwargs)
        upload(day)
        got = state.run_state(RunContext(profile, date.fromisoformat(day)))
        for key in ("insert", "update", "delete", "stale", "records", "rerun", "replayed"):
            assert got[key] == expected[key], (day, key, got[key], expected[key])
        return got

    def same_as_local(day: str) -> None:
        assert {(r["src_platform"], r["src_source"], r["src_record_id"]): r["name"]
                for r in on_hdfs("current", day)} == local.current(day)
        assert sorted((r["change"], r["src_platform"], r["src_record_id"], r["changed_fields"])
                      for r in on_hdfs("changes", day)) == local.changes(day)

    try:
        day1 = [_record("gz", "inst", "1", "质谱仪"), _record("gz", "inst", "2", "电镜"),
                _record("sz", "inst", "10", "光谱仪", "2026-10-01"),
                _record("sz", "inst", "11", "色谱仪", "2026-10-01"), _record("mo", "feed", "x1", "Microscópio")]
        day2 = [_record("gz", "inst", "1", "质谱仪（高分辨）"),
                _record("sz", "inst", "10", "光谱仪 II", "2026-10-20"),
                _record("sz", "inst", "11", "旧名", "2026-09-01"), _record("hk", "talent", "101", "李小明")]
        got = day_on_both("2026-11-01", day1)
        assert got["published"] == ["changes/run_date=2026-11-01", "current/run_date=2026-11-01"]
        day_on_both("2026-11-02", day2)
        day_on_both("2026-11-03", [], refused=[("gz", "inst", "1")], tombstones=["10"])
        for day in ("2026-11-01", "2026-11-02", "2026-11-03"):
            same_as_local(day)
        assert day_on_both("2026-11-03", [], refused=[("gz", "inst", "1")], tombstones=["10"])["rerun"]
        # a backfill of day 2 with one more record: the state rewinds on HDFS and day 3 is replayed
        got = day_on_both("2026-11-02", day2 + [_record("gz", "inst", "4", "补录")])
        assert got["replayed"] == ["2026-11-03"]
        assert "current/run_date=2026-11-03" in got["published"]
        for day in ("2026-11-02", "2026-11-03"):
            same_as_local(day)
        uri = state.state_path(RunContext(profile, date(2026, 11, 3)))
        assert uri.startswith("hdfs://") and hdfs.exists("state/current/_delta_log")
        assert state.applied_days(uri) == ["2026-11-01", "2026-11-02", "2026-11-03"]
        # the rewind to before the first day removes the table's files from HDFS
        assert state.rewind(uri, "2026-11-01") == [] and state.applied_days(uri) == []
        assert [files for _, _, files in hdfs.client.walk(f"{root}/state/current") if files] == []
        assert not list((tmp_path / "home" / "tmp").iterdir())  # the scratch copies are gone
    finally:
        hdfs.delete("")
