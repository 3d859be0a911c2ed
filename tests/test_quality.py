"""Quality stage: suites derived from the schema, GX validation on Spark, per-platform scores."""
from __future__ import annotations

import json
from datetime import date
from types import SimpleNamespace

import pytest
from pyspark.sql.types import StructType

from bayres.quality.expectations import CRITICAL, WARNING, code_lists, raw_table, suite_for
from bayres.quality.scores import CORE_FIELDS, platform_scores
from bayres.quality.validate import validate
from bayres.schemas.categories import CODES
from bayres.schemas.resource import (CSTR_PATTERN, GOLDEN_RESOURCE, QUALITY_SCORE, QUARANTINE,
                                     RESOURCE_RECORD)

VOCAB = {"resource_type": list(CODES), "region": ["GZ", "SZ", "HK", "MO"],
         "language": ["zh-Hans", "zh-Hant", "en", "pt"], "platform": ["gz", "sz", "hk", "mo"]}
RUN_DATE = date(2025, 6, 30)


# ---------------------------------------------------------------- helpers
def frame(spark, table, rows):
    """A DataFrame of ``table``'s declared schema; columns a row does not give are null."""
    schema = StructType.fromDDL(", ".join(f"`{f.name}` {f.spark_type}" for f in table.fields))
    return spark.createDataFrame([tuple(r.get(n) for n in table.names) for r in rows], schema)


def golden(i, **values):
    row = {"cstr_id": f"CSTR:GBA01.04.{i}", "resource_type": "04", "name": f"机构{i}",
           "region": "GZ", "member_count": 1, "run_date": RUN_DATE,
           # the other mandatory GB/T 30523 elements (schemas/README.md): a good record has them
           "description": f"机构{i}简介", "keywords": "机构", "provider_org": f"机构{i}",
           "metadata_date": RUN_DATE, "rights": "开放共享", "access_url": f"https://example.org/{i}"}
    row.update(values)
    if row["resource_type"] == "02":
        row.setdefault("sharing_mode", "open")
    return row


def good_rows():
    return [golden(1), golden(2, name_en="HKUST", language="en", region="HK"),
            golden(3, resource_type="02", cstr_id="CSTR:GBA01.02.3", inst_value_cny=450000.0,
                   inst_currency="CNY", contact_email="lab@example.edu.cn")]


def expectations_of(suite, kind, column=None):
    return [e for e in suite.expectations if e.expectation_type == kind
            and (column is None or getattr(e, "column", None) == column)]


@pytest.fixture(scope="module")
def gx_root(tmp_path_factory):
    return tmp_path_factory.mktemp("gx")


@pytest.fixture(scope="module")
def golden_suite():
    return suite_for(GOLDEN_RESOURCE, VOCAB, "golden")


# ---------------------------------------------------------------- suites
def test_golden_suite_is_derived_from_the_schema(golden_suite):
    (cstr,) = expectations_of(golden_suite, "expect_column_values_to_match_regex", "cstr_id")
    assert cstr.regex == CSTR_PATTERN and cstr.meta["severity"] == CRITICAL
    assert expectations_of(golden_suite, "expect_column_values_to_not_be_null", "name")[0] \
        .meta["severity"] == CRITICAL
    (email,) = expectations_of(golden_suite, "expect_column_values_to_match_regex", "contact_email")
    assert email.meta["severity"] == WARNING
    (region,) = expectations_of(golden_suite, "expect_column_values_to_be_in_set", "region")
    assert set(region.value_set) == set(VOCAB["region"])
    (language,) = expectations_of(golden_suite, "expect_column_values_to_be_in_set", "language")
    assert language.meta["severity"] == WARNING
    (unique,) = expectations_of(golden_suite, "expect_column_values_to_be_unique")
    assert unique.column == "cstr_id" and unique.meta["severity"] == CRITICAL
    (columns,) = expectations_of(golden_suite, "expect_table_columns_to_match_set")
    assert set(columns.column_set) == set(GOLDEN_RESOURCE.names)
    # declared non-negativity of numbers, and the domain rules of the golden stage
    minimums = {e.min_value for e in expectations_of(
        golden_suite, "expect_column_values_to_be_between", "inst_value_cny")}
    assert minimums == {0, 300_000}
    assert {e.min_value for e in expectations_of(
        golden_suite, "expect_column_values_to_be_between", "member_count")} == {0, 1}
    assert expectations_of(golden_suite, "unexpected_rows_expectation")
    assert all(e.meta["severity"] in (CRITICAL, WARNING) for e in golden_suite.expectations)


def test_code_lists_need_their_vocabulary():
    suite = suite_for(RESOURCE_RECORD, None, "standardized")
    assert not expectations_of(suite, "expect_column_values_to_be_in_set")
    lists = code_lists({"region": SimpleNamespace(codes={"HK": {}, "GZ": {"label_zh": "广州"}})})
    assert lists == {"region": ["GZ", "HK"]}
    suite = suite_for(RESOURCE_RECORD, lists, "standardized")
    assert [e.column for e in expectations_of(suite, "expect_column_values_to_be_in_set")] == \
        ["region"]
    assert not expectations_of(suite, "unexpected_rows_expectation")
    (key,) = expectations_of(suite, "expect_column_values_to_be_unique")
    assert key.column == "record_id"


def test_every_declared_code_list_has_a_vocabulary(local_profile):
    lists = code_lists(local_profile.vocabularies)
    declared = {f.code_list for t in (RESOURCE_RECORD, GOLDEN_RESOURCE) for f in t.fields
                if f.code_list}
    assert declared <= {name for name, codes in lists.items() if codes}
    assert set(lists["resource_type"]) == set(CODES)


def test_composite_key_and_raw_stage():
    (compound,) = expectations_of(suite_for(QUARANTINE, None, "standardized"),
                                  "expect_compound_columns_to_be_unique")
    assert compound.column_list == list(QUARANTINE.key)
    source = {"platform": "gz", "source": "instruments", "id_field": "YQBH",
              "mapping": {"name": "YQMC", "inst_model": "XH"}}
    raw = suite_for(raw_table(source), None, "raw")
    present = {e.column for e in expectations_of(raw, "expect_column_to_exist")}
    assert present == {"YQBH", "YQMC", "XH", "_src_location", "_src_error", "_src_raw"}
    (id_check,) = expectations_of(raw, "expect_column_values_to_not_be_null", "YQBH")
    assert id_check.row_condition is not None and id_check.meta["severity"] == CRITICAL
    with pytest.raises(ValueError):
        suite_for(GOLDEN_RESOURCE, None, "published")


# ---------------------------------------------------------------- validation
def test_good_batch_passes_and_publishes_docs(spark, gx_root, golden_suite):
    df = frame(spark, GOLDEN_RESOURCE, good_rows())
    for _ in range(2):  # same names again: objects are reused, not duplicated
        result = validate(df, golden_suite, context_root=gx_root, run_id="run-good",
                          data_name="golden")
    assert result.success, result.critical_failures
    assert result.critical_failures == [] and result.warnings == []
    assert result.statistics["evaluated_expectations"] == len(golden_suite.expectations)
    assert result.results_path == gx_root / "results" / "run-good" / "golden.json"
    assert json.loads(result.results_path.read_text())["success"] is True
    assert result.data_docs_index.name == "index.html" and result.data_docs_index.exists()


BAD_BATCHES = {
    "null name": ([golden(9, name=None)],
                  "expect_column_values_to_not_be_null(name): 1 unexpected"),
    "bad CSTR": ([golden(9, cstr_id="CSTR:GBA1.04.9")],
                 "expect_column_values_to_match_regex(cstr_id): 1 unexpected"),
    "duplicate cstr_id": ([golden(9, cstr_id="CSTR:GBA01.04.1")],
                          "expect_column_values_to_be_unique(cstr_id): 2 unexpected"),
    "instrument below threshold": (
        [golden(9, resource_type="02", cstr_id="CSTR:GBA01.02.9", inst_value_cny=120000.0)],
        "expect_column_values_to_be_between(inst_value_cny) where resource_type == 02: "
        "1 unexpected"),
    "type segment differs": ([golden(9, cstr_id="CSTR:GBA01.02.9")],
                             "unexpected_rows_expectation(table)"),
}


@pytest.mark.parametrize("case", list(BAD_BATCHES))
def test_bad_batch_fails_critically(spark, gx_root, golden_suite, case):
    extra, expected = BAD_BATCHES[case]
    df = frame(spark, GOLDEN_RESOURCE, good_rows() + extra)
    result = validate(df, golden_suite, context_root=gx_root, run_id="run-bad",
                      data_name=f"golden_{case.replace(' ', '_')}")
    assert not result.success
    assert len(result.critical_failures) == 1, result.critical_failures
    assert result.critical_failures[0].startswith(expected), result.critical_failures


def test_warnings_alone_do_not_fail(spark, gx_root, golden_suite):
    rows = good_rows() + [golden(9, contact_email="not-an-email", language="klingon",
                                 contact_phone="020-1234")]
    result = validate(frame(spark, GOLDEN_RESOURCE, rows), golden_suite, context_root=gx_root,
                      run_id="run-warn", data_name="golden_warn", samples=3)
    assert result.success and result.critical_failures == []
    assert len(result.warnings) == 3
    assert any("contact_email" in w and "not-an-email" in w for w in result.warnings)


# ---------------------------------------------------------------- scores
def record(platform, n, **values):
    row = {"record_id": f"{platform}:src:{n}", "resource_type": "04", "name": f"n{n}",
           "region": "GZ", "src_platform": platform, "src_source": "src",
           "src_record_id": str(n), "run_date": RUN_DATE}
    row.update(values)
    return row


def test_platform_scores_match_hand_computed_values(spark):
    core = len(CORE_FIELDS)  # 18 GB/T 30523 elements; resource_type, name, region always filled
    rows = [
        # valid, timely (within two years), shares its cstr_id with the next one
        record("gz", 1, cstr_id="CSTR:GBA01.04.1", updated_date=date(2024, 1, 1)),
        # duplicate; bad e-mail pattern; blank English name does not count; no date
        record("gz", 2, cstr_id="CSTR:GBA01.04.1", contact_email="bad", name_en="  "),
        # flagged by calibration; updated one day too early to be timely; no cstr_id → record_id
        record("gz", 3, field_flags="contact_phone:unparseable", updated_date=date(2023, 6, 29)),
        # valid, timely on the boundary, two more elements filled
        record("gz", 4, cstr_id="CSTR:GBA01.04.4", description="d", keywords="k",
               updated_date=date(2023, 6, 30)),
        # another platform: a future update date is not timely
        record("hk", 1, region="HK", updated_date=date(2025, 7, 1)),
    ]
    scores = platform_scores(frame(spark, RESOURCE_RECORD, rows), "run-1", RUN_DATE)
    assert scores.columns == QUALITY_SCORE.names
    got = {r["src_platform"]: r.asDict() for r in scores.collect()}

    gz = {"completeness": (4 + 4 + 4 + 6) / 4 / core, "validity": 2 / 4,
          "uniqueness": 1 - 2 / 4, "timeliness": 2 / 4}
    hk = {"completeness": 4 / core, "validity": 1.0, "uniqueness": 1.0, "timeliness": 0.0}
    for platform, expected in (("gz", gz), ("hk", hk)):
        row = got[platform]
        for metric, value in expected.items():
            assert row[metric] == pytest.approx(value), (platform, metric)
        assert row["score"] == pytest.approx(sum(expected.values()) / 4)
        assert row["run_id"] == "run-1" and row["run_date"] == RUN_DATE
    assert got["gz"]["records"] == 4 and got["hk"]["records"] == 1
