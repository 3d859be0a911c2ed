"""``bayres generate --day N`` (jobs/generate/days.py): the platforms as they stand on day N.

Day N is deterministic; its changes (inserted, edited, deleted, late, duplicates) are what the
summary says, counted here from the databases themselves (day 1's against day N's); its truth
describes exactly the records the sources of day N hold; and, end to end, running the local
pipeline day by day over generated days leaves the catalogue a fresh home running only the last
day's sources computes (tests/generate_days_run.py, two seeds)."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from bayres.jobs.generate import generate
from bayres.jobs.generate.days import CHANGES, DB_SOURCES
from bayres.jobs.generate.sqlite_db import db_path
from tests.test_generate import _by_source, _paired, _truth, confs, read_source, tree_hashes

ROOT = Path(__file__).resolve().parents[1]
SCALE = 300
STAMPS = {2: datetime(2026, 11, 2, 10, 0, 0), 3: datetime(2026, 11, 3, 11, 30, 0)}


def _without_logs(hashes: dict) -> dict:
    # the service logs are of the day the generator runs (log_date), not of the catalogue's day
    return {k: v for k, v in hashes.items() if "/logs/" not in k}


@pytest.fixture(scope="module")
def days(tmp_path_factory):
    base = tmp_path_factory.mktemp("gen_days")
    out = {}
    for n in (1, 3):
        out[n] = base / f"day{n}", generate(base / f"day{n}", seed=11, scale=SCALE, day=n, changes_at=STAMPS)
    return out


def _rows(out: Path, s) -> dict[str, tuple]:
    con = sqlite3.connect(db_path(out, s.platform))
    cur = con.execute(f'SELECT * FROM "{s.table}"')
    cols = [d[0] for d in cur.description]
    at = cols.index(s.id_col)
    rows = {str(r[at]): r for r in cur}
    con.close()
    return rows


def _changes(out: Path) -> list[dict]:
    import csv
    with open(out / "truth" / "changes.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_day_n_is_deterministic_and_day_1_is_todays_output(days, tmp_path):
    (d1, _), (d3, s3) = days[1], days[3]
    again = tmp_path / "again"
    generate(again, seed=11, scale=SCALE, day=3, changes_at=STAMPS)
    assert _without_logs(tree_hashes(again)) == _without_logs(tree_hashes(d3))
    plain = tmp_path / "plain"
    generate(plain, seed=11, scale=SCALE)  # no day: day 1, byte for byte
    assert _without_logs(tree_hashes(plain)) == _without_logs(tree_hashes(d1))
    assert not (d1 / "truth" / "changes.csv").exists()
    # day 3 differs from day 1 in every platform's database, not in the file feeds
    h1, h3 = tree_hashes(d1), tree_hashes(d3)
    for p in ("gz", "sz", "hk", "mo"):
        assert h1[f"{p}/{p}_platform.sqlite"] != h3[f"{p}/{p}_platform.sqlite"], p
    edited = {c["detail"].split(" ")[2] for c in _changes(d3) if " edited: " in c["detail"]}
    assert edited and {Path(k).name for k in h1 if "/feeds/" in k and h1[k] != h3.get(k)} == edited
    assert any("/feeds/" in k and "_d002_" in k for k in h3) and any("_d003_" in k for k in h3)
    # another day's changes are other changes
    day2 = tmp_path / "day2"
    generate(day2, seed=11, scale=SCALE, day=2, changes_at=STAMPS)
    assert tree_hashes(day2)["truth/records.csv"] != h3["truth/records.csv"]
    assert s3["day"] == 3 and set(s3["changes_at"]) == {"2", "3"}


def test_changes_are_what_the_summary_says(days):
    (d1, _), (d3, s3) = days[1], days[3]
    changes = _changes(d3)
    listed = Counter((c["platform"], c["source"], c["change"]) for c in changes)
    dups = Counter((c["platform"], c["source"]) for c in changes if "duplicate of a listed entity" in c["detail"])
    for s in DB_SOURCES:
        counts = s3["changes"][s.platform][s.source]
        assert set(counts) == set(CHANGES)
        for c in ("inserted", "edited", "deleted", "late"):
            assert counts[c] == listed[(s.platform, s.source, c)], (s, c)
        assert counts["duplicates"] == dups[(s.platform, s.source)]
        # and the databases agree: ids gone, ids new, rows whose content moved
        before, after = _rows(d1, s), _rows(d3, s)
        assert len(set(before) - set(after)) == counts["deleted"], s
        assert len(set(after) - set(before)) == counts["inserted"], s
        moved = {k for k in set(before) & set(after) if before[k] != after[k]}
        last: dict = {}
        for c in changes:
            if (c["platform"], c["source"]) == (s.platform, s.source) and c["change"] in ("edited", "late"):
                last[c["src_record_id"]] = c["change"]   # in day order: the last change wins
        assert moved == {k for k, c in last.items() if c == "edited" and k in before and k in after}, s
        # per source mode: append only appends, lastmodified never deletes, late only there
        if s.mode == "append":
            assert counts["edited"] == counts["deleted"] == counts["late"] == 0
        if s.mode == "lastmodified":
            assert counts["deleted"] == 0
        else:
            assert counts["late"] == 0
        # every changed or new row carries its day's modification time
        stamp_of = {c["src_record_id"]: STAMPS[int(c["day"])].strftime("%Y-%m-%d %H:%M:%S")
                    for c in changes if (c["platform"], c["source"]) == (s.platform, s.source)
                    and c["change"] in ("edited", "inserted")}
        con = sqlite3.connect(db_path(d3, s.platform))
        for rid, stamp in stamp_of.items():
            if last.get(rid) == "late":
                continue
            key = int(rid) if s.platform in ("sz", "mo") else rid
            got = con.execute(f'SELECT "{s.stamp_col}" FROM "{s.table}" WHERE "{s.id_col}" = ?', (key,)).fetchone()
            if got is not None:
                assert got[0] >= stamp, (s, rid)
        con.close()
    # the file feeds: one source a day gets a new delivery file, the files of day 1 stay as they were
    feeds = {(c["platform"], c["source"]) for c in changes if c["detail"].startswith("feed file")
             and " added" in c["detail"]}
    assert 1 <= len(feeds) <= 2
    for platform, source in feeds:
        new = [c for c in changes if (c["platform"], c["source"]) == (platform, source) and c["change"] == "inserted"]
        assert s3["changes"][platform][source]["inserted"] == len(new)
        conf = confs()[f"{platform}_{source}"]
        _, rows1 = read_source(d1, conf)
        _, rows3 = read_source(d3, conf)
        assert len(rows3) == len(rows1) + len(new)
        ids1 = {str(r.get(conf["id_field"])) for r in rows1 if not r["_broken"]}
        ids3 = {str(r.get(conf["id_field"])) for r in rows3 if not r["_broken"]}
        assert ids1 < ids3 and not ids1 & {c["src_record_id"] for c in new}
    for c in changes:
        if " edited: " in c["detail"]:
            conf = confs()[f"{c['platform']}_{c['source']}"]
            _, rows3 = read_source(d3, conf)
            row = next(r for r in rows3 if str(r.get(conf["id_field"])) == c["src_record_id"])
            assert c["detail"].split(" → ")[1] in row.values(), c
            assert s3["changes"][c["platform"]][c["source"]]["edited"] >= 1
    total = {c: sum(v[c] for src in s3["changes"].values() for v in src.values()) for c in CHANGES}
    # at this scale every kind of change happens over two days
    assert all(total[c] > 0 for c in CHANGES), total
    kinds = Counter(c["detail"].split(":")[0] for c in changes if c["change"] == "edited")
    assert {"name corrected", "price revised", "Traditional name added"} <= set(kinds), kinds


def test_truth_of_day_n_is_the_sources_of_day_n(days):
    d3, s3 = days[3]
    truth = _truth(d3)
    assert len(truth) == s3["total_records"]
    by_source = _by_source(truth)
    for key, c in confs().items():
        _, rows = read_source(d3, c)
        ts = by_source[key]
        assert len(rows) == len(ts), key
        pairs = _paired(rows, ts, c["id_field"])
        assert len(pairs) == len(rows) - sum(r["_broken"] for r in rows), key
    ids = [(t["platform"], t["source"], t["src_record_id"]) for t in truth]
    assert len(ids) == len(set(ids))
    # entities: exactly those with a record on day 3, counted right
    import csv
    with open(d3 / "truth" / "entities.csv", encoding="utf-8", newline="") as f:
        entities = {e["entity_id"]: int(e["n_records"]) for e in csv.DictReader(f)}
    assert entities == Counter(t["entity_id"] for t in truth)
    # a duplicate that appeared later belongs to an entity with several records
    changes = _changes(d3)
    by_id = {(t["platform"], t["source"], t["src_record_id"]): t for t in truth}
    for c in changes:
        key = (c["platform"], c["source"], c["src_record_id"])
        if c["change"] == "deleted":
            assert key not in by_id or any(x["change"] == "inserted" and
                                           (x["platform"], x["source"], x["src_record_id"]) == key for x in changes)
        if "duplicate of a listed entity" in c["detail"] and key in by_id:
            assert entities[by_id[key]["entity_id"]] >= 2, c
    # a corrected name is the entity's canonical name in the source's script
    for s in DB_SOURCES:
        rows = _rows(d3, s)
        con = sqlite3.connect(db_path(d3, s.platform))
        cols = [r[1] for r in con.execute(f'PRAGMA table_info("{s.table}")')]
        con.close()
        for c in changes:
            if (c["platform"], c["source"]) == (s.platform, s.source) and c["detail"].startswith("name corrected"):
                rid = c["src_record_id"]
                if rid in rows:
                    assert rows[rid][cols.index(s.name_col)] == c["detail"].split(" → ")[1]
                    if s.script == "hans":
                        assert rows[rid][cols.index(s.name_col)] == by_id[(s.platform, s.source, rid)]["true_name_zh_hans"]


def test_db_sources_agree_with_the_pipelines_configuration():
    by_key = confs()
    for s in DB_SOURCES:
        c = by_key[f"{s.platform}_{s.source}"]
        assert c["format"] == "sql" and c["sql"]["table"] == s.table and c["id_field"] == s.id_col
        assert c["sql"].get("mode", "full") == s.mode, s
        assert c["mapping"]["name"] == s.name_col and c["mapping"]["updated_date"] == s.stamp_col
    assert {k for k, c in by_key.items() if c["format"] == "sql"} == {f"{s.platform}_{s.source}" for s in DB_SOURCES}


def test_cli_day_and_its_table(tmp_path):
    from bayres.jobs.run.cli import main

    runner = CliRunner()
    done = runner.invoke(main, ["generate", "--seed", "5", "--scale", str(SCALE), "--out", str(tmp_path / "s"),
                                "--day", "2", "--changes-at", "2026-11-02T08:00:00"])
    assert done.exit_code == 0, done.output
    assert "changes of days 2..2" in done.output and "hk/equipment" in done.output
    summary = json.loads((tmp_path / "s" / "truth" / "summary.json").read_text(encoding="utf-8"))
    assert summary["day"] == 2 and summary["changes_at"] == {"2": "2026-11-02 08:00:00"}
    bad = runner.invoke(main, ["generate", "--scale", str(SCALE), "--out", str(tmp_path / "b"), "--day", "2",
                               "--changes-at", "yesterday"])
    assert bad.exit_code != 0 and "--changes-at" in bad.output and "day 2" in bad.output
    assert runner.invoke(main, ["generate", "--out", str(tmp_path / "z"), "--day", "0"]).exit_code != 0
    many = runner.invoke(main, ["generate", "--out", str(tmp_path / "m"), "--day", "2",
                                "--changes-at", "2026-11-02T08:00:00,2026-11-03T08:00:00"])
    assert many.exit_code != 0 and "at most 1" in many.output


# ------------------------------------------------------------------------------ end to end
SEEDS = (7, 21)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Both seeds' days in one process of their own (one Spark session, its own metastore)."""
    base = tmp_path_factory.mktemp("gen_days_run")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAYRES__")}
    env.update(BAYRES_HOME=str(base / f"seed-{SEEDS[0]}"), SPARK_LOCAL_DIRS=str(base / "spark-tmp"),
               BAYRES_STATE_DAYS_DRIVER_MEMORY="1g")
    out = base / "days.json"
    done = subprocess.run([sys.executable, "-m", "tests.generate_days_run", str(base), str(out),
                           *map(str, SEEDS)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    return json.loads(out.read_text(encoding="utf-8"))


def _clusters(lineage: list[dict]) -> dict[str, frozenset]:
    by: dict = {}
    for r in lineage:
        by.setdefault(r["cstr_id"], set()).add(r["record_id"])
    return {k: frozenset(v) for k, v in by.items()}


def _content(row: dict, skip=("cstr_id", "run_date", "src_run_id", "src_raw_path", "src_location",
                                "metadata_date")) -> str:
    """A row without its id, its day and where it was read (a row number moves when rows before it
    go): what a recomputation must give again."""
    return json.dumps({k: v for k, v in row.items() if k not in skip}, sort_keys=True, ensure_ascii=False)


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_incremental_days_equal_a_full_recomputation(runs, seed):
    check_days(runs[str(seed)])


def check_days(run: dict) -> None:
    """Day 3 run incrementally (after days 1 and 2) against day 3 computed from nothing."""
    for d in ("day1", "day2", "day3", "fresh"):
        assert run[d]["status"] == "ok", d
    inc, fresh = run["day3"], run["fresh"]
    late = {f"{c['platform']}:{c['source']}:{c['src_record_id']}" for c in run["changes"] if c["change"] == "late"}
    # day 2's incremental hk/equipment extract is exactly day 2's changed rows (lastmodified)
    day2_hk = {c["src_record_id"] for c in run["changes"] if c["day"] == "2"
               and (c["platform"], c["source"]) == ("hk", "equipment") and c["change"] in ("edited", "inserted")}
    assert run["day2"]["raw_rows"]["hk/equipment"] == len(day2_hk) > 0
    # the same records
    ids = {r["record_id"] for r in inc["resource_record"]}
    assert ids == {r["record_id"] for r in fresh["resource_record"]}
    # deleted records are gone, new ones are in (unless conform refused them)
    key = lambda c: f"{c['platform']}:{c['source']}:{c['src_record_id']}"
    assert not {key(c) for c in run["changes"] if c["change"] == "deleted"} & ids
    assert {key(c) for c in run["changes"] if c["change"] == "inserted"} & ids
    # record content: the same, but for a late older version — the catalogue keeps the newer one
    # (the incremental reader never sees the late row), a reader of the whole table the older
    inc_rec = {r["record_id"]: _content(r) for r in inc["resource_record"]}
    fresh_rec = {r["record_id"]: _content(r) for r in fresh["resource_record"]}
    differ = {k for k in ids if inc_rec[k] != fresh_rec[k]}
    assert differ == late & ids, (sorted(differ - late)[:5], sorted(late))
    # the same records per cluster
    ci, cf = _clusters(inc["record_lineage"]), _clusters(fresh["record_lineage"])
    assert sorted(map(sorted, ci.values())) == sorted(map(sorted, cf.values()))
    # golden records: the same, cluster by cluster, outside clusters holding a late version
    gi = {r["cstr_id"]: _content(r) for r in inc["golden_resource"]}
    gf = {r["cstr_id"]: _content(r) for r in fresh["golden_resource"]}
    fresh_id = {members: cid for cid, members in cf.items()}
    for cid, members in ci.items():
        if not members & late:
            assert gi[cid] == gf[fresh_id[members]], sorted(members)
    # CSTR ids: a recomputation issues every cluster its new id (the hash of its smallest record
    # id); the incremental registry keeps an id its members carried. They are the same for a
    # cluster whose members never changed since day 1; they may differ only for one that changed
    day1 = _clusters(run["day1"]["record_lineage"])
    unchanged = [cid for cid, members in ci.items() if day1.get(cid) == members]
    assert len(unchanged) > len(ci) // 2
    for cid in unchanged:
        assert fresh_id[ci[cid]] == cid, sorted(ci[cid])
    # one that changed and kept an id the recomputation does not give: an id its members carried
    # the day before (the registry hands a cluster the id of the plurality of its members)
    before = {r: cid for cid, members in _clusters(run["day2"]["record_lineage"]).items() for r in members}
    for cid, members in ci.items():
        if fresh_id[members] != cid:
            assert cid in {before.get(r) for r in members}, (cid, sorted(members))
    # serving rows: one per golden record, the same names
    assert len(inc["serving_resource"]) == len(fresh["serving_resource"]) == len(inc["golden_resource"])
    assert sorted(n for _, n in inc["serving_resource"]) == sorted(n for _, n in fresh["serving_resource"])
    served = lambda rows: {v for row in rows for v in row if v in ids}
    assert served(inc["serving_lineage"]) == served(fresh["serving_lineage"])
    assert len(inc["serving_lineage"]) == len(fresh["serving_lineage"])
