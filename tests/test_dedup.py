"""De-duplication on crafted records: strong ids, name keys, ambiguity guard, hard negatives,
survivorship and stable CSTR ids."""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from pyspark.sql import functions as F

from bayres.jobs.calibration.identifiers import stable_local_id
from bayres.jobs.config import DEFAULT_CONF, load_yaml
from bayres.jobs.conform import RECORD_COLUMNS
from bayres.jobs.dedup import components, deduplicate
from bayres.schemas.derive_spark import spark_schema
from bayres.schemas.resource import RESOURCE_RECORD

RULES = load_yaml(DEFAULT_CONF / "linkage" / "exact.yaml")


def record(rid, platform, rtype, name_key, **fields):
    row = {c: None for c in RECORD_COLUMNS}
    row.update(record_id=rid, src_platform=platform, src_source="s", src_record_id=rid,
               resource_type=rtype, name=fields.pop("name", name_key), name_key=name_key,
               region="GZ", run_date=date(2026, 11, 1), **fields)
    return row


ROWS = [
    # one patent on two platforms, same number, different title scripts
    record("gz:p:1", "gz", "11", "一种电池", ach_patent_no="CN201910123456.X", name="一种电池"),
    record("hk:p:9", "hk", "11", "一种电池", ach_patent_no="CN201910123456.X", name="一種電池",
           owner_org="香港科技大學", updated_date=date(2026, 1, 1)),
    # two instruments of one model and owner, different serials: homonyms, must stay apart
    record("gz:i:1", "gz", "02", "透射电镜", owner_org_key="中山大学", inst_serial_no="SN-1"),
    record("gz:i:2", "gz", "02", "透射电镜", owner_org_key="中山大学", inst_serial_no="SN-2"),
    # an organisation in three scripts/languages (the alias table resolved the keys upstream)
    record("gz:o:1", "gz", "04", "香港科技大学"),
    record("hk:o:1", "hk", "04", "香港科技大学", name="香港科技大學", name_en_key="hong kong university of science and technology"),
    record("mo:o:7", "mo", "04", "香港科技大学", name="The Hong Kong University of Science and Technology"),
    # hard negative: a different university despite the shared prefix
    record("gz:o:2", "gz", "04", "香港科技大学|广州"),
]


@pytest.fixture(scope="module")
def result(spark):
    schema = spark_schema(RESOURCE_RECORD)
    df = spark.createDataFrame(pd.DataFrame(ROWS)[RECORD_COLUMNS + ["run_date"]].assign(cstr_id=None)
                               [[f.name for f in schema.fields]], schema=schema)
    r = deduplicate(spark, df, agency="GBA01", rules=RULES)
    return r.golden.toPandas(), r.lineage.toPandas(), r


def cluster_of(lineage, rid):
    return lineage.set_index("record_id").loc[rid, "cstr_id"]


def test_links_and_hard_negatives(result):
    golden, lineage, _ = result
    assert cluster_of(lineage, "gz:p:1") == cluster_of(lineage, "hk:p:9")
    assert cluster_of(lineage, "gz:i:1") != cluster_of(lineage, "gz:i:2")
    assert cluster_of(lineage, "gz:o:1") == cluster_of(lineage, "hk:o:1") == cluster_of(lineage, "mo:o:7")
    assert cluster_of(lineage, "gz:o:2") != cluster_of(lineage, "gz:o:1")
    assert len(golden) == 5 and golden["member_count"].sum() == len(ROWS)
    rules = lineage.set_index("record_id")["match_rule"]
    assert rules["gz:p:1"] == "strong_id" and rules["gz:o:1"] == "name_key" and rules["gz:o:2"] == "singleton"


def test_ambiguous_name_keys_are_counted(result):
    assert result[2].ambiguous_keys >= 1  # 透射电镜|中山大学 carries two serial numbers


def test_survivorship_and_stable_cstr(result):
    golden, lineage, _ = result
    patent = golden[golden["member_count"] == 2].iloc[0]
    # gz has priority: its record survives, hk fills what gz lacks
    assert patent["survivor_record_id"] == "gz:p:1" and patent["name"] == "一种电池"
    assert patent["owner_org"] == "香港科技大學" and patent["source_platforms"] == "gz,hk"
    assert patent["cstr_id"] == f"CSTR:GBA01.11.{stable_local_id('gz:p:1')}"
    assert golden["cstr_id"].str.match(r"^CSTR:[A-Za-z0-9]{5}\.[0-9]{2}\..+$").all()
    survivors = lineage[lineage["is_survivor"]]
    assert len(survivors) == len(golden)


def test_components_are_connected_record_groups():
    pairs = pd.DataFrame({"record_id": ["a", "b", "b", "c", "x", "y"],
                          "key": ["k1", "k1", "k2", "k2", "k3", "k3"]})
    out = components(pairs).set_index("record_id")["cluster_id"]
    assert out["a"] == out["b"] == out["c"] == "a"
    assert out["x"] == out["y"] == "x"
