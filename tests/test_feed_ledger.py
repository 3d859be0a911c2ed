"""The processed-file ledger of feed sources: a file is parsed once, a changed file is detected,
a removed file is kept or dropped as configured, every run directory is a complete snapshot."""
from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bayres.connectors import feeds as feeds_mod
from bayres.connectors.lake import LocalLake
from bayres.jobs.extract import files as extract_files
from bayres.jobs.extract.stage import extract_source

DAY1, DAY2, DAY3 = "2026-11-01", "2026-11-02", "2026-11-03"


def source(**file_conf):
    return {"platform": "sz", "source": "grants", "format": "csv", "id_field": "id",
            "file": {"path": "sz/feeds/grants_*.csv", "encoding": "utf-8", **file_conf}}


@pytest.fixture
def drop(tmp_path):
    root = tmp_path / "drop"
    (root / "sz" / "feeds").mkdir(parents=True)
    return root


@pytest.fixture
def lake(tmp_path):
    return LocalLake(tmp_path / "lake")


@pytest.fixture
def parsed(monkeypatch):
    """Names of the files the feed readers were asked to parse (a spy on the real reader)."""
    calls = []
    real = feeds_mod.read_feed

    def spy(path, file_conf, **kw):
        calls.append(kw["name"])
        return real(path, file_conf, **kw)

    monkeypatch.setattr(extract_files, "read_feed", spy)
    return calls


def write(drop, name, rows, header="id,name,amount"):
    path = drop / "sz" / "feeds" / name
    path.write_text(header + "\n" + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def run(src, drop, lake, day):
    return extract_source(src, feeds_root=drop, database_urls={}, lake=lake, run_date=day,
                          run_id=f"local-{day}")


def rows(lake, day):
    directory = lake.root / "raw" / "sz" / "grants" / day
    table = pa.concat_tables([pq.read_table(p) for p in sorted(directory.glob("part-*.parquet"))])
    return sorted((r["_src_location"], r["id"], r["name"], r["_src_error"]) for r in table.to_pylist())


def names(entries):
    return [e["name"] for e in entries]


def test_an_unchanged_file_is_not_parsed_again_and_its_rows_are_carried(drop, lake, parsed):
    write(drop, "grants_a.csv", ["1,深圳大学,100", "2,南方科技大学"])  # row 2: wrong field count
    write(drop, "grants_b.csv", ["3,鹏城实验室,70"])
    first = run(source(), drop, lake, DAY1)
    assert parsed == ["sz/feeds/grants_a.csv", "sz/feeds/grants_b.csv"]

    write(drop, "grants_c.csv", ["4,哈工大深圳,50"])  # a new delivery arrives
    parsed.clear()
    second = run(source(), drop, lake, DAY2)
    assert parsed == ["sz/feeds/grants_c.csv"]  # only the new file is read
    assert names(second["files_read"]) == ["sz/feeds/grants_c.csv"]
    assert names(second["files_carried"]) == ["sz/feeds/grants_a.csv", "sz/feeds/grants_b.csv"]
    assert all(e["loaded_run_date"] == DAY1 for e in second["files_carried"])
    by_name = {e["name"]: e for e in first["files_read"]}
    for e in second["files_carried"]:  # name, size, checksum and counts as first recorded
        assert {k: e[k] for k in ("size", "sha256", "rows", "error_rows")} == \
            {k: by_name[e["name"]][k] for k in ("size", "sha256", "rows", "error_rows")}
    # the day's directory is a complete snapshot: yesterday's rows (broken one included) + today's
    assert rows(lake, DAY2) == sorted(rows(lake, DAY1) + [("sz/feeds/grants_c.csv line 2", "4", "哈工大深圳", None)])
    assert second["rows"] == 4 and second["error_rows"] == 1

    # a third day carries from the second (which carried from the first), still never re-parsing
    parsed.clear()
    third = run(source(), drop, lake, DAY3)
    assert parsed == [] and third["files_read"] == []
    assert [e["loaded_run_date"] for e in third["files_carried"]] == [DAY1, DAY1, DAY2]
    assert rows(lake, DAY3) == rows(lake, DAY2)


def test_a_changed_file_with_the_same_name_is_detected_and_read_again(drop, lake, parsed):
    path = write(drop, "grants_a.csv", ["1,深圳大学,100", "2,南方科技大学,20"])
    first = run(source(), drop, lake, DAY1)
    write(drop, "grants_a.csv", ["1,深圳大学,100", "2,南方科技大学,25", "5,深圳湾实验室,9"])
    parsed.clear()
    second = run(source(), drop, lake, DAY2)
    assert parsed == ["sz/feeds/grants_a.csv"]
    [changed] = second["files_changed"]
    assert changed["name"] == "sz/feeds/grants_a.csv"
    assert changed["previous_sha256"] == first["files_read"][0]["sha256"] != changed["sha256"]
    assert changed["previous_run_date"] == DAY1 and changed["size"] == path.stat().st_size
    assert second["files_carried"] == []
    assert [r[1] for r in rows(lake, DAY2)] == ["1", "2", "5"]  # the new version replaces the old


def test_removed_files_are_kept_by_default_and_dropped_when_configured(drop, lake):
    write(drop, "grants_a.csv", ["1,深圳大学,100"])
    b = write(drop, "grants_b.csv", ["3,鹏城实验室,70"])
    run(source(), drop, lake, DAY1)
    b.unlink()  # the drop folder was cleared of a delivered file
    kept = run(source(), drop, lake, DAY2)
    assert kept["files_removed"] == [{"name": "sz/feeds/grants_b.csv", "sha256": kept["files_carried"][1]["sha256"],
                                      "rows": 1, "action": "keep"}]
    assert [r[1] for r in rows(lake, DAY2)] == ["1", "3"]

    dropped = run(source(on_removed="drop"), drop, lake, DAY3)
    assert [e["action"] for e in dropped["files_removed"]] == ["drop"]
    assert [r[1] for r in rows(lake, DAY3)] == ["1"]
    with pytest.raises(ValueError, match="on_removed"):
        run(source(on_removed="forget"), drop, lake, DAY3)


def test_an_unchanged_unreadable_file_is_quarantined_again_without_reading_it(drop, lake, parsed):
    write(drop, "grants_a.csv", ["1,深圳大学,100"])
    # a header that does not decode fails the file (a bad data row would be an error row)
    (drop / "sz" / "feeds" / "grants_bad.csv").write_bytes(b"id,na\xff\xfeme,amount\n1,broken,1\n")
    first = run(source(), drop, lake, DAY1)
    [bad] = first["files_quarantined"]
    assert "decode" in bad["reason"]
    parsed.clear()
    second = run(source(), drop, lake, DAY2)
    assert parsed == []
    [again] = second["files_quarantined"]
    assert again["reason"] == bad["reason"] and again["sha256"] == bad["sha256"]
    assert again["loaded_run_date"] == DAY1


def test_rerunning_days_is_idempotent(drop, lake):
    write(drop, "grants_a.csv", ["1,深圳大学,100"])
    day1 = run(source(), drop, lake, DAY1)
    write(drop, "grants_b.csv", ["3,鹏城实验室,70"])
    day2 = run(source(), drop, lake, DAY2)
    again2 = run(source(), drop, lake, DAY2)  # the same day again: compared with DAY1 again
    again1 = run(source(), drop, lake, DAY1)  # an older day again: nothing earlier, reads all
    strip = lambda m: {k: v for k, v in m.items() if k not in ("started", "finished")}  # noqa: E731
    assert strip(again2) == strip(day2)
    assert names(again1["files_read"]) == ["sz/feeds/grants_a.csv", "sz/feeds/grants_b.csv"]
    assert day1["rows"] == 1 and again1["rows"] == 2  # the folder holds both files now
    manifest = json.loads((lake.root / "raw/sz/grants" / DAY2 / "_manifest.json").read_text())
    assert manifest["sha256"] == day2["sha256"]


def test_a_ledger_that_disagrees_with_its_run_directory_is_an_error(drop, lake):
    write(drop, "grants_a.csv", ["1,深圳大学,100", "2,南方科技大学,20"])
    run(source(), drop, lake, DAY1)
    manifest_path = lake.root / "raw/sz/grants" / DAY1 / "_manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["files_read"][0]["rows"] = 5  # tampered with
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(RuntimeError, match="ledger says sz/feeds/grants_a.csv has 5 rows"):
        run(source(), drop, lake, DAY2)
    assert not (lake.root / "raw/sz/grants" / DAY2).exists()  # nothing half-written
