"""Hostile input at the edges (issue 19): the drop folder is not left, control characters never
reach a record, a truncated file's readable records are counted, mis-encoded rows are caught per
row, killed runs leave nothing behind."""
from __future__ import annotations

import json
import os

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bayres.connectors.drop_folder import LocalDropFolder, OutsideDropFolder
from bayres.connectors.feeds import read_feed
from bayres.connectors.lake import LocalLake
from bayres.jobs.extract.stage import extract_source

RUN_DATE = "2024-06-01"


@pytest.fixture
def feeds_root(tmp_path):
    root = tmp_path / "drop"
    (root / "sz" / "feeds").mkdir(parents=True)
    return root


@pytest.fixture
def lake(tmp_path):
    return LocalLake(tmp_path / "lake")


def csv_source(path="sz/feeds/*.csv", **file_conf):
    return {"platform": "sz", "source": "grants", "format": "csv", "id_field": "id",
            "file": {"path": path, "encoding": "utf-8", **file_conf}}


def extract(source, feeds_root, lake, run_id="run-1", run_date=RUN_DATE):
    return extract_source(source, feeds_root=feeds_root, database_urls={}, lake=lake,
                          run_date=run_date, run_id=run_id)


def rows_of(lake, source, run_date=RUN_DATE):
    directory = lake.root / "raw" / source["platform"] / source["source"] / run_date
    return pa.concat_tables([pq.read_table(p) for p in sorted(directory.glob("part-*.parquet"))])


# ------------------------------------------------------------------ 1. the drop folder is a jail

def test_a_link_leaving_the_drop_folder_is_refused_unopened(feeds_root, lake, tmp_path):
    secret = tmp_path / "outside" / "secret.csv"
    secret.parent.mkdir()
    secret.write_text("id,name\nS1,secret row\n", encoding="utf-8")  # a readable, valid feed
    (feeds_root / "sz/feeds/good.csv").write_text("id,name\nG1,good\n", encoding="utf-8")
    (feeds_root / "sz/feeds/evil.csv").symlink_to(secret)
    (feeds_root / "sz/feeds/dangling.csv").symlink_to(tmp_path / "nowhere.csv")
    (feeds_root / "sz/linked").symlink_to(secret.parent, target_is_directory=True)
    os.chmod(secret, 0o644)
    manifest = extract(csv_source("sz/*/*.csv"), feeds_root, lake)
    assert rows_of(lake, csv_source()).column("id").to_pylist() == ["G1"]
    assert [f["name"] for f in manifest["files_read"]] == ["sz/feeds/good.csv"]
    refused = {q["name"]: q for q in manifest["files_quarantined"]}
    assert set(refused) == {"sz/feeds/evil.csv", "sz/feeds/dangling.csv", "sz/linked/secret.csv"}
    for entry in refused.values():  # never opened: no size, no checksum of the target
        assert entry["size"] is None and entry["sha256"] is None
        assert entry["reason"].startswith("refused, not opened")
    assert "outside the drop folder" in refused["sz/feeds/evil.csv"]["reason"]
    assert "outside the drop folder" in refused["sz/linked/secret.csv"]["reason"]


def test_a_link_inside_the_drop_folder_is_read(feeds_root, lake):
    (feeds_root / "sz/feeds/real.data").write_text("id,name\nR1,real\n", encoding="utf-8")
    (feeds_root / "sz/feeds/alias.csv").symlink_to("real.data")
    manifest = extract(csv_source(), feeds_root, lake)
    assert [f["name"] for f in manifest["files_read"]] == ["sz/feeds/alias.csv"]
    assert rows_of(lake, csv_source()).column("id").to_pylist() == ["R1"]


def test_local_copy_checks_the_real_path(feeds_root, tmp_path):
    drop = LocalDropFolder(feeds_root)
    (feeds_root / "sz/feeds/x.csv").symlink_to("/etc/passwd")
    [(name, handle)] = drop.files("sz/feeds/*.csv")
    with pytest.raises(OutsideDropFolder, match="outside the drop folder"):
        drop.local_copy(name, handle, tmp_path)


def test_a_file_swapped_for_a_link_after_the_check_is_not_followed(feeds_root, tmp_path):
    """The check (the real path is inside) and the open are two steps: what is swapped in
    between — the file, or a folder on its way, replaced by a link — is refused (O_NOFOLLOW at
    every segment, from the folder's own descriptor), never read."""
    from bayres.connectors.drop_folder import open_inside

    secret = tmp_path / "secret.csv"
    secret.write_text("id,name\nS1,secret\n", encoding="utf-8")
    feeds = feeds_root / "sz" / "feeds"
    (feeds / "a.csv").write_text("id,name\nA1,a\n", encoding="utf-8")
    root = feeds_root.resolve()
    fd = open_inside(root, ("sz", "feeds", "a.csv"), "sz/feeds/a.csv")  # checked, then opened
    assert os.read(fd, 7) == b"id,name"
    os.close(fd)
    # the swap: the file checked as sz/feeds/a.csv is now a link to a file outside
    (feeds / "a.csv").unlink()
    (feeds / "a.csv").symlink_to(secret)
    with pytest.raises(OutsideDropFolder, match="replaced by a symbolic link"):
        open_inside(root, ("sz", "feeds", "a.csv"), "sz/feeds/a.csv")
    # a folder on the way swapped for a link to a folder outside holding a same-named file
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "a.csv").write_text("id,name\nE1,elsewhere\n", encoding="utf-8")
    os.rename(feeds, feeds_root / "sz" / "old-feeds")
    feeds.symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    with pytest.raises(OutsideDropFolder, match="sz/feeds was replaced by a symbolic link"):
        open_inside(root, ("sz", "feeds", "a.csv"), "sz/feeds/a.csv")
    # a FIFO named like a feed is refused, not waited on
    os.mkfifo(feeds_root / "sz" / "old-feeds" / "pipe.csv")
    with pytest.raises(OutsideDropFolder, match="not a regular file"):
        open_inside(root, ("sz", "old-feeds", "pipe.csv"), "sz/old-feeds/pipe.csv")


def test_a_racing_swap_never_gets_an_outside_file_read(feeds_root, tmp_path):
    """A thread swaps a feed file and a link to a file outside as fast as it can while the
    drop folder copies it out again and again: every copy holds the inside file's bytes or the
    copy is refused — the outside bytes are never read."""
    import threading

    secret = tmp_path / "secret.csv"
    secret.write_text("id,name\nS1,SECRET\n", encoding="utf-8")
    feeds = feeds_root / "sz" / "feeds"
    body = b"id,name\nA1,inside\n"
    stop = threading.Event()

    def swapper():
        while not stop.is_set():
            # a.csv: alternately a regular file inside and a link to the file outside
            (feeds / ".in").write_bytes(body)
            os.rename(feeds / ".in", feeds / "a.csv")
            os.symlink(secret, feeds / ".tmp-link")
            os.rename(feeds / ".tmp-link", feeds / "a.csv")

    (feeds / "a.csv").write_bytes(body)
    drop = LocalDropFolder(feeds_root)
    [(name, handle)] = drop.files("sz/feeds/a.csv")
    thread = threading.Thread(target=swapper, daemon=True)
    thread.start()
    outcomes = {"read": 0, "refused": 0}
    try:
        for i in range(3000):
            try:
                copy = drop.local_copy(name, handle, tmp_path / f"spool{i % 2}")
            except OutsideDropFolder:
                outcomes["refused"] += 1
                continue
            data = copy.read_bytes()
            assert b"SECRET" not in data
            assert data == body
            outcomes["read"] += 1
    finally:
        stop.set()
        thread.join()
    assert outcomes["read"] > 0 and outcomes["refused"] > 0, outcomes


# ------------------------------------------------------------------ 3. truncated files are counted

def test_records_read_before_a_cut_are_counted_as_discarded(feeds_root, lake):
    source = {"platform": "sz", "source": "grants", "format": "json", "id_field": "id",
              "file": {"path": "sz/feeds/*.json", "json_layout": "array"}}
    items = ",".join(json.dumps({"id": f"J{i}", "name": f"n{i}"}) for i in range(7))
    (feeds_root / "sz/feeds/cut.json").write_text("[" + items + ',{"id": "J7", "na', encoding="utf-8")
    (feeds_root / "sz/feeds/ok.json").write_text('[{"id": "K1", "name": "k"}]', encoding="utf-8")
    manifest = extract(source, feeds_root, lake)
    [entry] = manifest["files_quarantined"]
    assert entry["name"] == "sz/feeds/cut.json" and "malformed JSON" in entry["reason"]
    assert entry["rows_discarded"] == 7
    assert manifest["rows_discarded"] == 7
    assert manifest["rows"] == 1
    # unchanged on the next day: quarantined again, unread, with the same count
    later = extract(source, feeds_root, lake, run_id="run-2", run_date="2024-06-02")
    [again] = later["files_quarantined"]
    assert again["rows_discarded"] == 7 and later["rows_discarded"] == 7


# ------------------------------------------------------------------ 6. no staging left after a kill

def test_staging_left_by_a_killed_run_of_another_day_is_removed(feeds_root, lake):
    (feeds_root / "sz/feeds/a.csv").write_text("id,name\nA1,a\n", encoding="utf-8")
    source_dir = lake.root / "raw/sz/grants"
    # what a run killed mid-extraction (or mid-swap) of 2024-05-31 leaves
    (source_dir / "2024-05-31.tmp-killed").mkdir(parents=True)
    (source_dir / "2024-05-31.tmp-killed" / "part-00000.parquet").write_bytes(b"partial")
    extract(csv_source(), feeds_root, lake)
    assert sorted(os.listdir(source_dir)) == [RUN_DATE]


# ------------------------------------------------------------------ 2. no control characters in a record

def test_control_characters_are_removed_from_every_field_and_flagged():
    from datetime import date

    from bayres.jobs.conform.calibrate import calibrate_batch
    from bayres.jobs.conform.calibration.money import FxRates
    from bayres.jobs.conform.calibration.names import OrgAliases
    from bayres.jobs.run.config import DEFAULT_CONF, load_vocabularies
    from bayres.jobs.conform.rejections import Rejections
    from bayres.jobs.conform.standardize import (CONTROL, ONLY_CONTROL, SourceContext,
                                                 standardize_batch)

    source = {"platform": "hk", "source": "equipment", "format": "sql", "id_field": "EQ_NO",
              "conventions": {"language": "zh-Hant", "currency": "HKD", "date_format": "DD/MM/YYYY",
                              "phone_region": "HK", "region": "HK"},
              "resource_type": "02",
              "mapping": {"name": "NAME_TC", "name_en": "NAME_EN", "owner_org": "OWNER"}}
    raw = pd.DataFrame([
        {"EQ_NO": "E\x001", "NAME_TC": "電子\x00顯微鏡", "NAME_EN": "Micro\x1bscope\x7f", "OWNER": "港大\x85"},
        {"EQ_NO": "\x00\x00\x00", "NAME_TC": "\x00\x01\x02", "NAME_EN": " \x00 ", "OWNER": None},
        {"EQ_NO": "E3", "NAME_TC": "乾淨", "NAME_EN": "clean", "OWNER": "科大"},
    ])
    raw["_src_location"] = ["t row 1", "t\x00 row 2", "t row 3"]
    raw["_src_error"] = None
    vocab = load_vocabularies(DEFAULT_CONF)
    rej = Rejections(raw.index)
    ctx = SourceContext(source=source, vocabularies=vocab, run_id="r1", raw_path="raw/hk/equipment")
    rec = standardize_batch(raw, ctx, rej)
    rec = calibrate_batch(rec, ctx.conventions, FxRates.from_csv(DEFAULT_CONF / "reference" / "fx_rates.csv"),
                          date(2026, 11, 1), rej,
                          OrgAliases.from_csv(DEFAULT_CONF / "reference" / "org_aliases.csv"))
    kept = rec[~rej.refused]
    assert list(kept["src_record_id"]) == ["E1", "E3"]
    for column in kept.columns:  # no control character anywhere in a kept record
        assert not kept[column].map(lambda v: isinstance(v, str) and bool(CONTROL.search(v))).any(), column
    assert kept.loc[0, "name"] == "電子顯微鏡" and kept.loc[0, "record_id"] == "hk:equipment:E1"
    flags = rej.flags_column(rec.index)
    assert all(f"{c}:control characters removed" in flags[0] for c in ("EQ_NO", "NAME_TC", "NAME_EN", "OWNER"))
    assert flags[2] is None
    assert rej.refused[1] and rej.reason[1] == ONLY_CONTROL


# ------------------------------------------------------------------ 4. encoding errors per row

GB_ROWS = [("G1", "深圳市南山区科技园实验室"), ("G2", "一种基于深度学习的图像识别方法"), ("G3", "中山大学")]
BIG5_ROWS = [("B1", "香港科技大學電子顯微鏡"), ("B2", "澳門大學 University of Macau")]


def test_big5_rows_under_a_gb18030_label_are_error_rows(tmp_path):
    path = tmp_path / "mixed.csv"
    data = b"id,name\n"
    for i, (key, name) in enumerate([GB_ROWS[0], BIG5_ROWS[0], GB_ROWS[1], BIG5_ROWS[1], GB_ROWS[2]]):
        data += f"{key},{name}\n".encode("big5hkscs" if key.startswith("B") else "gb18030")
    data += b"X1,\x81\x20broken\n"  # not GB18030 at all
    path.write_bytes(data)
    out = list(read_feed(path, {"encoding": "gb18030"}, fmt="csv", name="mixed.csv"))
    good = [fields for _, fields, error, _ in out if error is None]
    assert good == [{"id": k, "name": n} for k, n in GB_ROWS]
    bad = {loc: (error, raw) for loc, fields, error, raw in out if error is not None}
    assert set(bad) == {"mixed.csv line 3", "mixed.csv line 5", "mixed.csv line 7"}
    assert "looks mis-encoded" in bad["mixed.csv line 3"][0] and "big5hkscs" in bad["mixed.csv line 3"][0]
    assert "香港科技大學" in bad["mixed.csv line 3"][0]  # the reason shows how it reads
    assert "does not decode as gb18030" in bad["mixed.csv line 7"][0]
    assert bad["mixed.csv line 5"][1].startswith("B2,")


def test_big5_text_in_a_gb18030_xml_record_is_an_error_row(tmp_path):
    path = tmp_path / "p.xml"
    head = '<?xml version="1.0" encoding="GB18030"?><root>'.encode("ascii")
    path.write_bytes(head + '<patent id="G1"><title>一种基于深度学习的图像识别方法</title></patent>'.encode("gb18030")
                     + '<patent id="B1"><title>香港科技大學電子顯微鏡</title></patent>'.encode("big5hkscs")
                     + b"</root>")
    out = list(read_feed(path, {"encoding": "gb18030", "record_path": "./patent"}, fmt="xml"))
    assert [(f.get("@id"), e is None) for _, f, e, _ in out] == [("G1", True), (None, False)]
    assert "field 'title' looks mis-encoded" in out[1][2] and '"@id": "B1"' in out[1][3]


def test_mis_encoded_rows_reach_the_quarantine_with_their_reason(feeds_root, lake):
    path = feeds_root / "sz/feeds/x.csv"
    path.write_bytes(b"id,name\n" + "G1,中山大学实验室\n".encode("gb18030")
                     + "B1,香港科技大學電子顯微鏡\n".encode("big5hkscs"))
    manifest = extract(csv_source(encoding="gb18030"), feeds_root, lake)
    assert manifest["rows"] == 2 and manifest["error_rows"] == 1
    table = rows_of(lake, csv_source()).to_pylist()
    assert table[1]["_src_location"] == "sz/feeds/x.csv line 3"
    assert "looks mis-encoded" in table[1]["_src_error"]


def test_recover_puts_back_a_run_directory_moved_aside_by_a_killed_replacement(lake):
    source_dir = lake.root / "raw/sz/grants"
    (source_dir / f"{RUN_DATE}.old-killed").mkdir(parents=True)  # moved aside, never replaced
    (source_dir / f"{RUN_DATE}.old-killed" / "_manifest.json").write_text("{}", encoding="utf-8")
    (source_dir / f"{RUN_DATE}.tmp-killed").mkdir()                # the new one, incomplete
    (source_dir / "2024-05-31").mkdir()
    (source_dir / "2024-05-31.old-other").mkdir()                  # its replacement finished
    done = lake.recover("raw/sz/grants")
    assert sorted(os.listdir(source_dir)) == ["2024-05-31", RUN_DATE]
    assert (source_dir / RUN_DATE / "_manifest.json").exists()
    assert any(d.startswith("restored") for d in done)
