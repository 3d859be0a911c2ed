"""Calibration accuracy per field against the generator's ground truth (the "calibration" issue:
≥ 99.9 % on every conversion the generator knows), and every planted defect handled.

The end-to-end tests share the suite's one pipeline run (``runs`` fixture, first run's Hive
snapshot); how each field is compared is documented in
:func:`bayres.jobs.dedup.evaluate.calibration_accuracy`.
"""
from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from bayres.jobs.conform.calibration.names import OrgAliases
from bayres.jobs.dedup.evaluate import GENERATOR_FX_TOLERANCE, calibration_accuracy

#: the issue's target, for every field the generator knows
TARGET = 0.999
#: fields scored, and the fewest records each must be checked on for the figure to mean anything
#: (the seed-7 / scale-2000 sample checks ~2,000 dates and names, ~1,100 phones, ~900 amounts)
MIN_CHECKED = {"created_date": 1000, "value_cny": 500, "contact_phone": 500, "name_key": 1000}
DEFECTS = ("expect_quarantine", "bad_date", "bad_phone", "below_threshold")


@pytest.fixture(scope="module")
def accuracy(runs, sample, local_profile) -> dict:
    truth = pd.read_csv(sample / "truth" / "records.csv", dtype=str, keep_default_na=False)
    aliases = OrgAliases.from_csv(local_profile.path("reference.org_aliases"))
    snapshot = runs[1]
    result = calibration_accuracy(snapshot["resource_record"], truth, snapshot["quarantine"],
                                  aliases=aliases, examples=10)
    print(json.dumps(result, ensure_ascii=False, indent=1, default=str))
    return result


@pytest.mark.slow
@pytest.mark.parametrize("field", sorted(MIN_CHECKED))
def test_field_accuracy_meets_the_target(accuracy, field):
    score = accuracy["fields"][field]
    assert score["checked"] >= MIN_CHECKED[field], score
    assert score["correct"] >= TARGET * score["checked"], \
        f"{field}: {score['correct']}/{score['checked']} = {score['accuracy']}; " \
        f"mismatches: {json.dumps(score['mismatches'], ensure_ascii=False, default=str)}"


@pytest.mark.slow
def test_converted_amounts_show_no_systematic_error(accuracy):
    """The generator prices with its own rates (NBS annual averages, HKD peg centre, MOP peg;
    jobs/generate/fx.py), the calibrator with the ECB's daily ones: single amounts may differ by
    up to GENERATOR_FX_TOLERANCE (the field test above allows it), but over all amounts of one
    currency the two sources agree within ~1 % (tests/test_fx_reference.py measures it on every
    day). A wrong currency, an inverted rate or the pataca read as a Hong Kong dollar (3 %)
    moves the median past that."""
    deviation = accuracy["fields"]["value_cny"]["fx_deviation"]
    # a median means something on enough amounts (the sample has ~200 HKD, ~90 MOP, ~12 USD);
    # the sources' medians differ by ≤ 1 % over all days, by up to ~2 % over a few years' days
    # (2023-2025: the market 1 % above the parity, 2025 priced at 2024's average)
    counted = {c: d for c, d in deviation.items() if d["count"] >= 30}
    assert {"HKD", "MOP"} <= set(counted), deviation
    for currency, d in counted.items():
        assert abs(d["median"]) < 0.025, (currency, d)
    for currency, d in deviation.items():
        assert d["max_abs"] < GENERATOR_FX_TOLERANCE, (currency, d)


@pytest.mark.slow
@pytest.mark.parametrize("defect", DEFECTS)
def test_every_planted_defect_is_handled(accuracy, defect):
    score = accuracy["defects"][defect]
    assert score["planted"] > 0, f"the sample plants no {defect}"
    assert score["handled"] == score["planted"], score


@pytest.mark.slow
def test_quarantine_holds_only_what_the_truth_accounts_for(accuracy):
    q = accuracy["quarantine"]
    assert q["quarantined"] > 0
    assert q["not_in_truth"] == 0, q
    assert q["unexpected"] == 0 and q["precision"] == 1.0, q
    assert accuracy["unaccounted"]["count"] == 0, accuracy["unaccounted"]
    assert accuracy["joined"] == accuracy["output_records"], "records the truth does not know"


# ---------------------------------------------------------------- the scorer itself (fast)
def _truth_row(src_id, **kw):
    row = {"platform": "hk", "source": "equipment", "src_record_id": src_id, "entity_id": "E" + src_id,
           "resource_type": "02", "defect": "", "expect_quarantine": "false", "true_name_zh_hans": "",
           "true_created_date": "", "true_value_cny": "", "true_phone_e164": "", "true_region": "HK",
           "variant": "primary", "src_location": f"table EQUIPMENT row {src_id}"}
    return {**row, **kw}


def _record(src_id, **kw):
    row = {"record_id": f"hk:equipment:{src_id}", "created_date": None, "inst_value_cny": None,
           "proj_amount_cny": None, "inst_original_value": None, "proj_amount": None,
           "inst_currency": None, "proj_currency": None, "contact_phone": None, "name_key": None,
           "field_flags": None}
    return {**row, **kw}


def test_calibration_accuracy_scores_a_hand_made_sample():
    aliases = OrgAliases([("香港科技大学", "HKUST", "en", "abbreviation")])
    truth = pd.DataFrame([
        _truth_row("1", true_name_zh_hans="香港科技大学", true_created_date="2020-03-05",
                   true_value_cny="915000.00", true_phone_e164="+85223586000"),
        _truth_row("2", true_name_zh_hans="电子显微镜", true_created_date="2021-01-02",
                   true_value_cny="1000000.00", true_phone_e164="+85223586001", variant="script"),
        _truth_row("3", true_name_zh_hans="质谱仪", true_created_date="2019-07-01", defect="bad_date",
                   true_value_cny="500000.00", variant="typo"),
        _truth_row("4", true_name_zh_hans="光谱仪", defect="bad_phone", true_created_date="2018-01-01"),
        _truth_row("5", true_name_zh_hans="离心机", defect="missing_mandatory", expect_quarantine="true"),
        _truth_row("6", true_name_zh_hans="天平", defect="below_threshold", true_value_cny="1000.00"),
        _truth_row("7", defect="broken_row", expect_quarantine="true"),  # refused before its id was read
        _truth_row("8", true_created_date="2022-05-05", true_value_cny="1000000.00",
                   true_phone_e164="+85223586008"),
        _truth_row("9", true_created_date="2022-05-05", true_value_cny="1000000.00",
                   true_phone_e164="+85223586009"),
        # priced at 305,000 CNY by the generator, refused below 300,000 at the calibrator's rate
        _truth_row("10", true_created_date="2022-05-05", true_value_cny="305000.00"),
    ])
    records = pd.DataFrame([
        # right everywhere: 1,000,000 HKD published in whole dollars, 0.3 CNY off the exact truth
        _record("1", created_date=date(2020, 3, 5), inst_value_cny=915000.30, inst_original_value=1e6,
                inst_currency="HKD", contact_phone="+85223586000", name_key="香港科技大学"),
        # wrong date, wrong CNY value (published in CNY: no slack), wrong phone, Traditional key
        _record("2", created_date=date(2021, 2, 1), inst_value_cny=1000000.02, inst_original_value=1000000.02,
                inst_currency="CNY", contact_phone="+85223586009", name_key="電子顯微鏡"),
        # bad date handled: nulled and flagged; typo name not comparable; value not scored
        _record("3", inst_value_cny=480000.0, inst_original_value=480000.0, inst_currency="CNY",
                field_flags="created_date:unparseable date 'N/A' (DD/MM/YYYY)", name_key="质普仪"),
        # bad phone kept but not flagged: unhandled
        _record("4", created_date="2018-01-01", name_key="光谱仪"),
        # converted at another source's rate: 4 % off is within the tolerance, 12 % is not
        _record("8", created_date=date(2022, 5, 5), inst_value_cny=1_040_000.0,
                inst_original_value=1_200_000.0, inst_currency="HKD", contact_phone="+85223586008"),
        _record("9", created_date=date(2022, 5, 5), inst_value_cny=1_120_000.0,
                inst_original_value=1_200_000.0, inst_currency="MOP", contact_phone="+85223586009"),
    ])
    quarantine = pd.DataFrame([
        {"src_platform": "hk", "src_source": "equipment", "src_record_id": "5", "src_location": "table EQUIPMENT row 5",
         "stage": "standardize", "field": "name", "reason": "mandatory field name is empty"},
        {"src_platform": "hk", "src_source": "equipment", "src_record_id": "6", "src_location": "table EQUIPMENT row 6",
         "stage": "calibrate", "field": "inst_value_cny", "reason": "below threshold"},
        {"src_platform": "hk", "src_source": "equipment", "src_record_id": None,
         "src_location": "table EQUIPMENT row 7", "stage": "extract", "field": None, "reason": "broken"},
        {"src_platform": "hk", "src_source": "equipment", "src_record_id": "10", "src_location": "table EQUIPMENT row 10",
         "stage": "calibrate", "field": "inst_value_cny", "reason": "below threshold"},
        {"src_platform": "hk", "src_source": "equipment", "src_record_id": "99", "src_location": "table EQUIPMENT row 99",
         "stage": "standardize", "field": "region", "reason": "not in code list"},
    ])
    a = calibration_accuracy(records, truth, quarantine, aliases=aliases)
    f = a["fields"]
    assert (f["created_date"]["checked"], f["created_date"]["correct"]) == (5, 4)  # 1, 2, 4, 8, 9
    assert f["created_date"]["excluded_defect"] == 1
    assert f["created_date"]["mismatches"][0]["got"] == "2021-02-01"
    assert (f["value_cny"]["checked"], f["value_cny"]["correct"]) == (4, 2)  # 1, 8 right; 2, 9 wrong
    assert {m["record_id"] for m in f["value_cny"]["mismatches"]} == {"hk:equipment:2", "hk:equipment:9"}
    dev = f["value_cny"]["fx_deviation"]
    assert dev["MOP"] == {"count": 1, "median": 0.12, "max_abs": 0.12}
    assert dev["HKD"]["count"] == 2 and dev["HKD"]["max_abs"] == 0.04 and "CNY" not in dev
    assert (f["contact_phone"]["checked"], f["contact_phone"]["correct"]) == (4, 3)
    assert (f["name_key"]["checked"], f["name_key"]["correct"]) == (3, 2)
    assert f["name_key"]["not_comparable"] == {"typo": 1, "primary": 2}  # 8, 9: no name in the truth
    assert f["name_key"]["mismatches"][0] == {"record_id": "hk:equipment:2", "expected": "电子显微镜",
                                              "got": "電子顯微鏡", "variant": "script", "defect": ""}
    d = a["defects"]
    assert (d["bad_date"]["planted"], d["bad_date"]["handled"]) == (1, 1)
    assert d["bad_phone"]["unhandled"] == ["hk:equipment:4"]
    assert (d["expect_quarantine"]["planted"], d["expect_quarantine"]["handled"]) == (2, 2)
    assert (d["below_threshold"]["planted"], d["below_threshold"]["handled"]) == (1, 1)
    q = a["quarantine"]
    assert (q["quarantined"], q["expected"], q["below_threshold"], q["borderline_fx"], q["unexpected"],
            q["not_in_truth"]) == (5, 2, 1, 1, 1, 1)
    assert q["precision"] == 0.8 and q["precision_expected_only"] == 0.4
    assert a["unaccounted"]["count"] == 0
