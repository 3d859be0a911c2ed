"""Standardize + calibrate on pandas batches (no Spark): mapping, code lists, refusals, flags."""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from bayres.jobs.conform.calibrate import calibrate_batch
from bayres.jobs.conform.calibration.money import FxRates
from bayres.jobs.conform.calibration.names import OrgAliases
from bayres.jobs.run.config import DEFAULT_CONF, load_vocabularies
from bayres.jobs.conform.rejections import Rejections
from bayres.jobs.conform.standardize import SourceContext, standardize_batch

HK_SOURCE = {
    "platform": "hk", "source": "equipment", "format": "sql", "id_field": "EQ_NO",
    "conventions": {"language": "zh-Hant", "currency": "HKD", "date_format": "DD/MM/YYYY",
                    "phone_region": "HK", "region": "HK"},
    "resource_type": "02",
    "mapping": {"name": "NAME_TC", "name_en": "NAME_EN", "owner_org": "OWNER",
                "inst_original_value": "COST", "created_date": "PURCHASED", "contact_phone": "TEL",
                "sharing_mode": "ACCESS"},
}


@pytest.fixture(scope="module")
def vocab():
    return load_vocabularies(DEFAULT_CONF)


@pytest.fixture(scope="module")
def fx():
    return FxRates.from_csv(DEFAULT_CONF / "reference" / "fx_rates.csv")


def raw_batch(rows):
    df = pd.DataFrame(rows)
    df["_src_location"] = [f"table EQUIPMENT row {i + 1}" for i in range(len(df))]
    df["_src_error"] = df.get("_src_error", None)
    return df


def conform(rows, vocab, fx):
    raw = raw_batch(rows)
    rej = Rejections(raw.index)
    ctx = SourceContext(source=HK_SOURCE, vocabularies=vocab, run_id="r1", raw_path="raw/hk/equipment")
    rec = standardize_batch(raw, ctx, rej)
    rec = calibrate_batch(rec, ctx.conventions, fx, date(2026, 11, 1), rej,
                          OrgAliases.from_csv(DEFAULT_CONF / "reference" / "org_aliases.csv"))
    return rec, rej


GOOD = {"EQ_NO": "E1", "NAME_TC": "透射電子顯微鏡", "NAME_EN": "Transmission Electron Microscope",
        "OWNER": "香港科技大學", "COST": "HK$4,500,000", "PURCHASED": "03/04/2021",
        "TEL": "2358 6000", "ACCESS": "開放共享"}


def test_a_good_record_is_standardized_and_calibrated(vocab, fx):
    rec, rej = conform([GOOD], vocab, fx)
    r = rec.iloc[0]
    assert not rej.refused.any()
    assert r["record_id"] == "hk:equipment:E1" and r["src_location"] == "table EQUIPMENT row 1"
    assert r["name"] == "透射電子顯微鏡"                 # the original is kept
    assert r["name_key"] == "透射电子显微镜"             # the matching key is Simplified
    assert r["owner_org_key"] == "香港科技大学"
    assert r["created_date"] == date(2021, 4, 3)         # DD/MM/YYYY, as the source declares
    assert r["inst_currency"] == "HKD" and r["inst_original_value"] == 4_500_000
    rate = fx.to_cny(1, "HKD", date(2021, 4, 3))
    assert r["inst_value_cny"] == pytest.approx(4_500_000 * rate, abs=0.01)
    assert r["contact_phone"] == "+85223586000" and r["contact_phone_raw"] == "2358 6000"
    assert r["region"] == "HK" and r["resource_type"] == "02" and r["sharing_mode"] == "open"


def test_refusals_name_stage_field_and_reason(vocab, fx):
    rows = [dict(GOOD, EQ_NO="E2", NAME_TC=" "),                       # missing mandatory name
            dict(GOOD, EQ_NO="E3", COST="HK$100,000"),                 # below the 300k CNY threshold
            dict(GOOD, EQ_NO=None),                                     # no id
            dict(GOOD, EQ_NO="E5", _src_error="line 5: expected 9 fields, found 7")]
    rec, rej = conform(rows, vocab, fx)
    assert list(rej.stage) == ["standardize", "calibrate", "standardize", "extract"]
    assert list(rej.field) == ["name", "inst_value_cny", "EQ_NO", None]
    assert "mandatory field name" in rej.reason[0]
    assert "below the large-instrument threshold" in rej.reason[1]
    assert rej.reason[3].startswith("line 5")


def test_optional_failures_are_flagged_not_refused(vocab, fx):
    rec, rej = conform([dict(GOOD, PURCHASED="31/02/2021", TEL="12", ACCESS="whenever")], vocab, fx)
    assert not rej.refused.any()
    flags = rej.flags_column(rec.index)[0]
    assert "created_date:" in flags and "contact_phone:" in flags and "sharing_mode:" in flags
    assert rec.iloc[0]["created_date"] is None or pd.isna(rec.iloc[0]["created_date"])


def test_ambiguous_day_month_is_never_guessed(vocab, fx):
    source = dict(HK_SOURCE, conventions=dict(HK_SOURCE["conventions"], date_format="YYYY-MM-DD"))
    raw = raw_batch([dict(GOOD, PURCHASED="03/04/2021")])
    rej = Rejections(raw.index)
    ctx = SourceContext(source=source, vocabularies=vocab, run_id="r1", raw_path="x")
    rec = calibrate_batch(standardize_batch(raw, ctx, rej), source["conventions"], fx,
                          date(2026, 11, 1), rej)
    assert "created_date:" in rej.flags_column(rec.index)[0]


def test_a_field_written_inside_another_is_extracted(vocab):
    """gz/policies: the document number (发文字号) opens the RSS item's description."""
    from bayres.jobs.run.config import load_sources

    source = next(s for s in load_sources(DEFAULT_CONF) if (s["platform"], s["source"]) == ("gz", "policies"))
    raw = raw_batch([
        {"guid": "P1", "title": "广东省科学技术厅关于印发《广东省科技创新券资助办法》的通知",
         "description": "粤科函政字〔2017〕1号。现将《广东省科技创新券资助办法》印发给你们，请认真贯彻执行。"},
        {"guid": "P2", "title": "广州市科学技术局关于印发《广州市科技金融实施细则》的通知",
         "description": "现将《广州市科技金融实施细则》印发给你们。"},   # no number: left empty
    ])
    ctx = SourceContext(source=source, vocabularies=vocab, run_id="r1", raw_path="raw/gz/policies")
    out = standardize_batch(raw, ctx, Rejections(raw.index))
    assert out["official_no"].tolist() == ["粤科函政字〔2017〕1号", None]
    assert out["description"].iloc[0].startswith("粤科函政字〔2017〕1号。")  # the source field is kept
