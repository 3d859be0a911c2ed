"""Unit tests of the calibration rules (jobs/conform/calibration/): one section per module."""
from __future__ import annotations

import pickle
import random
import re
from datetime import date, datetime, timedelta, timezone

import pytest

from bayres.jobs.conform.calibration import contacts, dates, identifiers, money, names, phones, text
from bayres.jobs.conform.calibration.errors import CalibrationError
from bayres.schemas.resource import CSTR_PATTERN, E164, EMAIL, URL


def refused(fn, *args, match: str | None = None) -> CalibrationError:
    with pytest.raises(CalibrationError) as info:
        fn(*args)
    if match:
        assert re.search(match, info.value.reason), info.value.reason
    return info.value


# ---------------------------------------------------------------- errors
def test_calibration_error_carries_field_and_reason():
    e = CalibrationError("unparseable date 'x' (DD/MM/YYYY)")
    assert e.field is None and str(e) == e.reason
    assert isinstance(e, ValueError)
    f = e.for_field("created_date")
    assert (f.field, f.reason) == ("created_date", e.reason)
    assert str(f) == "created_date: unparseable date 'x' (DD/MM/YYYY)"
    g = pickle.loads(pickle.dumps(f))
    assert (g.field, g.reason) == (f.field, f.reason)


# ---------------------------------------------------------------- text
@pytest.mark.parametrize("raw, expected", [
    ("  香港科技大學　（廣州） ", "香港科技大學 (廣州)"),  # ideographic space, full-width brackets
    ("ＡＢＣ１２３", "ABC123"),
    ("Hong\tKong\n\nBaptist  University", "Hong Kong Baptist University"),
    ("澳門\u200b大學\ufeff", "澳門大學"),  # zero-width space, BOM
    ("a\x00b", "ab"),
    ("", None), ("   ", None), ("\u3000", None), (None, None),
])
def test_normalise_text(raw, expected):
    assert text.normalise_text(raw) == expected


def test_to_simplified_variants():
    assert text.to_simplified("香港科技大學", "hk") == "香港科技大学"
    assert text.to_simplified("澳門大學", "generic") == "澳门大学"
    # hk2s folds the HK variant 衞; plain t2s leaves it
    assert text.to_simplified("衞生署", "hk") == "卫生署"
    assert text.to_simplified("衞生署", "generic") == "衞生署"
    # a script conversion, not a vocabulary rewrite (tw2sp would give 软件)
    assert text.to_simplified("軟體", "generic") == "软体"
    assert text.to_simplified("香港科技大学（广州）", "hk") == "香港科技大学（广州）"
    assert text.to_simplified("plain ASCII", "hk") == "plain ASCII"
    assert text.to_simplified("", "hk") is None and text.to_simplified(None) is None
    with pytest.raises(ValueError):
        text.to_simplified("香港", "tw2sp")


# ---------------------------------------------------------------- names
HKUST = ["香港科技大學", "香港科技大学", "The Hong Kong University of Science and Technology",
         "HONG KONG UNIVERSITY OF SCIENCE & TECHNOLOGY", "HKUST", "港科大", "香港科技大学(HKUST)",
         "  香港科技大學 "]
HKUST_GZ = ["香港科技大学（广州）", "香港科技大學（廣州）", "香港科技大学(广州)",
            "The Hong Kong University of Science and Technology (Guangzhou)",
            "Hong Kong University of Science and Technology (Guangzhou)", "HKUST(GZ)", "HKUST (Guangzhou)",
            "HKUST-GZ", "港科广"]
UM = ["澳門大學", "澳门大学", "University of Macau", "University of Macao", "Universidade de Macau",
      "UNIVERSIDADE DE MACAU", "UM", "澳大"]


@pytest.mark.parametrize("group", [HKUST, HKUST_GZ, UM], ids=["hkust", "hkust_gz", "um"])
def test_name_key_same_organisation(group):
    keys = {names.name_key(n) for n in group}
    assert len(keys) == 1, dict(zip(group, map(names.name_key, group)))


def test_name_key_values():
    assert names.name_key("香港科技大學") == "香港科技大学"
    assert names.name_key("HKUST(GZ)") == "香港科技大学|广州"
    assert names.name_key("香港中文大學（深圳）") == "香港中文大学|深圳"
    assert names.name_key("University of Macau") == "澳门大学"
    assert names.name_key("") is None and names.name_key(None) is None


@pytest.mark.parametrize("a, b", [
    ("香港中文大学", "香港中文大学（深圳）"),
    ("The Chinese University of Hong Kong", "The Chinese University of Hong Kong, Shenzhen"),
    ("CUHK", "CUHK-Shenzhen"),
    ("香港科技大学", "香港科技大学（广州）"),
    ("HKUST", "HKUST(GZ)"),
    ("The Hong Kong University of Science and Technology",
     "The Hong Kong University of Science and Technology (Guangzhou)"),
    ("澳門大學", "模擬與混合信號超大規模集成電路國家重點實驗室（澳門大學）"),
    ("University of Macau", "State Key Laboratory of Internet of Things for Smart City (University of Macau)"),
    ("UM", "State Key Laboratory of Quality Research in Chinese Medicine"),
    ("澳門大學", "澳門科技大學"),
    ("Jinan University", "University of Jinan"),  # 暨南大学 ≠ 济南大学
    ("哈尔滨工业大学（深圳）", "哈尔滨工业大学"),
    ("City University of Hong Kong", "City University of Macau"),
    ("香港大学", "香港中文大学"),
])
def test_name_key_different_organisations(a, b):
    assert names.name_key(a) != names.name_key(b)


def test_name_key_state_key_labs_of_um_are_their_own_organisations():
    labs = {
        "模拟与混合信号超大规模集成电路国家重点实验室": [
            "State Key Laboratory of Analog and Mixed-Signal VLSI", "模擬與混合信號超大規模集成電路國家重點實驗室（澳門大學）",
            "AMSV"],
        "智慧城市物联网国家重点实验室": [
            "State Key Laboratory of Internet of Things for Smart City", "智慧城市物聯網國家重點實驗室", "IOTSC"],
        "中药质量研究国家重点实验室": [
            "State Key Laboratory of Quality Research in Chinese Medicine", "中藥質量研究國家重點實驗室（澳門大學）"],
    }
    aliases = names.default_aliases()
    for canonical, variants in labs.items():
        for v in variants:
            assert aliases.resolve(v) == canonical, v
        assert names.name_key(canonical) != names.name_key("澳門大學")


def test_name_key_unknown_names_keep_their_own_key():
    # not in the table: normalised, simplified, punctuation gone, qualifier kept, no guessing
    assert names.name_key("某某市第一人民醫院 （檢驗科）") == "某某市第一人民医院|检验科"
    assert names.name_key("中大") == "中大"  # CUHK in Hong Kong, SYSU in Guangzhou: not an alias
    assert names.name_key("Foo Instruments Co., Ltd.") == "fooinstrumentscompanylimited"
    assert names.name_key("(Guangzhou)") == "广州"
    assert names.name_key("Foo Lab (HK)") == names.name_key("Foo Laboratory (Hong Kong)") == "foolaboratory|香港"


def test_name_key_lab_abbreviation_and_former_names():
    assert names.name_key("Peng Cheng Lab") == names.name_key("鹏城实验室")
    assert names.name_key("香港公開大學") == names.name_key("Hong Kong Metropolitan University")
    assert names.name_key("澳門理工學院") == names.name_key("Macao Polytechnic University")
    assert names.name_key("Universidade de Ciência e Tecnologia de Macau") == names.name_key("MUST")
    assert names.name_key("Huawei Technologies Company Limited") == names.name_key("華為")


def test_name_key_generic_variant_still_matches_simplified():
    assert names.name_key("香港科技大學", "generic") == names.name_key("香港科技大学")


@pytest.mark.parametrize("raw, expected", [
    ("The University of Hong Kong", "university of hong kong"),
    ("Univ. of Hong Kong", "university of hong kong"),
    ("Hong Kong University of Science & Technology", "hong kong university of science and technology"),
    ("Universidade de Ciência e Tecnologia de Macau", "universidade de ciencia e tecnologia de macau"),
    ("Instituto Politécnico de Macau", "instituto politecnico de macau"),
    ("University of Macao", "university of macau"),
    ("Huawei Technologies Co., Ltd.", "huawei technologies company limited"),
    ("The", "the"),
    ("  ", None), (None, None),
])
def test_english_key(raw, expected):
    assert names.english_key(raw) == expected


def test_alias_table_is_consistent():
    aliases = names.default_aliases()
    assert len(aliases.canonical_names) >= 40
    for canonical, alias, lang, kind in aliases.rows:
        assert kind in names.ALIAS_KINDS
        assert lang in ("zh-Hans", "zh-Hant", "en", "pt")
        assert aliases.resolve(alias) == canonical, alias
    for canonical in aliases.canonical_names:
        assert aliases.resolve(canonical) == canonical
        assert names.name_key(canonical) == aliases.key(canonical)


@pytest.mark.parametrize("name", [
    "香港大学", "香港中文大学", "香港中文大学（深圳）", "香港科技大学", "香港科技大学（广州）", "香港理工大学",
    "香港城市大学", "香港浸会大学", "香港教育大学", "岭南大学", "香港都会大学", "澳门大学", "澳门科技大学",
    "澳门理工大学", "澳门城市大学", "中山大学", "华南理工大学", "南方科技大学", "深圳大学", "暨南大学",
    "广东工业大学", "华南师范大学", "哈尔滨工业大学（深圳）", "清华大学深圳国际研究生院", "北京大学深圳研究生院",
    "中国科学院深圳先进技术研究院", "中国科学院广州生物医药与健康研究院", "中国科学院南海海洋研究所",
    "中国散裂中子源", "国家超级计算广州中心", "国家超级计算深圳中心", "鹏城实验室", "广州实验室",
    "香港科技园公司", "香港应用科技研究院有限公司", "华为技术有限公司", "腾讯科技（深圳）有限公司",
    "比亚迪股份有限公司", "深圳市大疆创新科技有限公司", "中兴通讯股份有限公司", "深圳华大基因股份有限公司"])
def test_alias_table_covers_gba_organisations(name):
    assert name in names.default_aliases().canonical_names


@pytest.mark.parametrize("alias, canonical", [
    ("SIAT", "中国科学院深圳先进技术研究院"), ("CSNS", "中国散裂中子源"), ("PolyU", "香港理工大学"),
    ("EdUHK", "香港教育大学"), ("Lingnan University", "岭南大学"), ("HKMU", "香港都会大学"),
    ("Tsinghua SIGS", "清华大学深圳国际研究生院"), ("HIT(Shenzhen)", "哈尔滨工业大学（深圳）"),
    ("National Supercomputing Center in Shenzhen", "国家超级计算深圳中心"), ("NSCC-GZ", "国家超级计算广州中心"),
    ("ASTRI", "香港应用科技研究院有限公司"), ("HKSTP", "香港科技园公司"), ("騰訊", "腾讯科技（深圳）有限公司"),
    ("Universidade da Cidade de Macau", "澳门城市大学"), ("Macao Polytechnic University", "澳门理工大学"),
    ("SZ DJI Technology Co., Ltd.", "深圳市大疆创新科技有限公司"), ("Sun Yat-sen University", "中山大学"),
])
def test_alias_resolution(alias, canonical):
    assert names.default_aliases().resolve(alias) == canonical


def test_org_aliases_refuses_ambiguous_or_bad_rows(tmp_path):
    with pytest.raises(ValueError, match="names both"):
        names.OrgAliases([("香港科技大学", "HKUST", "en", "abbreviation"),
                          ("香港科技大学（广州）", "hkust", "en", "abbreviation")])
    with pytest.raises(ValueError, match="unknown kind"):
        names.OrgAliases([("香港大学", "HKU", "en", "nickname")])
    path = tmp_path / "aliases.csv"
    path.write_text("canonical_zh_hans,alias\n香港大学,HKU\n", encoding="utf-8")
    with pytest.raises(ValueError, match="missing columns"):
        names.OrgAliases.from_csv(path)
    path.write_text("canonical_zh_hans,alias,lang,kind\n示例大学,Example Univ.,en,english\n", encoding="utf-8")
    table = names.OrgAliases.from_csv(path)
    assert table.resolve("The Example University") == "示例大学"
    assert names.name_key("Example University", aliases=table) == "示例大学"
    assert table.resolve("HKUST") is None


# ---------------------------------------------------------------- money
@pytest.mark.parametrize("raw, default, expected", [
    ("1,234,000.00", "CNY", (1_234_000.0, "CNY")),
    ("HK$1,234,000", "CNY", (1_234_000.0, "HKD")),
    ("HKD 1.2m", "CNY", (1_200_000.0, "HKD")),
    ("HK$ 3 million", "CNY", (3_000_000.0, "HKD")),
    ("MOP 2,500,000", "HKD", (2_500_000.0, "MOP")),
    ("MOP$ 2.5 milhões", "MOP", (2_500_000.0, "MOP")),
    ("2,5 milhões de patacas", "HKD", (2_500_000.0, "MOP")),
    ("MOP 1.234.567,89", "MOP", (1_234_567.89, "MOP")),
    ("￥300,000", "HKD", (300_000.0, "CNY")),
    ("¥300000元", "HKD", (300_000.0, "CNY")),  # 元 beside an explicit ¥ is just the unit
    ("30万元", "CNY", (300_000.0, "CNY")),
    ("30萬元", "HKD", (300_000.0, "HKD")),  # 元 alone is the source's own currency
    ("1,200万", "CNY", (12_000_000.0, "CNY")),
    ("1.15亿元", "CNY", (115_000_000.0, "CNY")),
    ("人民币30万元", "HKD", (300_000.0, "CNY")),
    ("50萬港元", "CNY", (500_000.0, "HKD")),
    ("80萬澳門元", "MOP", (800_000.0, "MOP")),
    ("US$ 50,000", "CNY", (50_000.0, "USD")),
    ("USD50K", None, (50_000.0, "USD")),
    ("约30万元", "CNY", (300_000.0, "CNY")),
    ("$500", "HKD", (500.0, "HKD")),
    ("1 234 567", "CNY", (1_234_567.0, "CNY")),
    ("300000", "CNY", (300_000.0, "CNY")),
    (1_200_000, "MOP", (1_200_000.0, "MOP")),
    (350000.5, "CNY", (350_000.5, "CNY")),
])
def test_parse_amount(raw, default, expected):
    assert money.parse_amount(raw, default) == expected


@pytest.mark.parametrize("raw, default, reason", [
    ("N/A", "CNY", "no number"),
    ("面议", "CNY", "no number"),
    ("10-20万", "CNY", "more than one number"),
    ("-500", "CNY", "negative"),
    ("1,2,3", "CNY", "unparseable"),
    ("12 bananas", "CNY", "unrecognised 'bananas'"),
    ("HK$ 100 USD", "CNY", "conflicting currencies"),
    ("$500", "CNY", "ambiguous '\\$'"),
    ("500", None, "no currency"),
    ("万 30", "CNY", "multiplier before the number"),
])
def test_parse_amount_refuses(raw, default, reason):
    refused(money.parse_amount, raw, default, match=reason)


def test_parse_amount_blank():
    assert money.parse_amount(None, "CNY") is None
    assert money.parse_amount("  ", "CNY") is None


@pytest.fixture
def fx(tmp_path):
    path = tmp_path / "fx_rates.csv"
    path.write_text("date,currency,rate_to_cny\n"
                    "2021-01-01,HKD,0.83\n"
                    "2021-07-01,HKD,0.80\n"
                    "2021-01-01,MOP,0.81\n"
                    "2022-01-01,usd,6.40\n", encoding="utf-8")
    return money.FxRates.from_csv(path, max_age_days=None)  # a few dated rates, months apart


def test_fx_uses_the_rate_of_the_records_date(fx):
    assert fx.to_cny(1_000_000, "HKD", date(2021, 1, 1)) == pytest.approx(830_000)
    assert fx.to_cny(1_000_000, "HKD", date(2021, 6, 30)) == pytest.approx(830_000)
    assert fx.to_cny(1_000_000, "HKD", date(2021, 7, 1)) == pytest.approx(800_000)
    assert fx.to_cny(1_000_000, "HKD", datetime(2030, 1, 1, 12)) == pytest.approx(800_000)
    assert fx.to_cny(100, "HKD", "2021-07-02") == pytest.approx(80)
    assert fx.to_cny(2_500_000, "MOP", date(2021, 5, 4)) == pytest.approx(2_025_000)
    assert fx.to_cny(10, "USD", date(2022, 1, 1)) == pytest.approx(64)
    assert fx.to_cny(300_000, "CNY", None) == 300_000  # CNY needs neither a rate nor a date
    assert fx.currencies == {"CNY", "HKD", "MOP", "USD"}


def test_fx_refuses_without_a_rate(fx):
    refused(fx.to_cny, 100, "HKD", date(2020, 12, 31), match="no HKD rate on or before 2020-12-31")
    refused(fx.to_cny, 100, "USD", date(2021, 5, 4), match="no USD rate")
    refused(fx.to_cny, 100, "EUR", date(2021, 5, 4), match="no exchange rate for currency 'EUR'")
    refused(fx.to_cny, 100, "HKD", None, match="no date")
    refused(fx.to_cny, 100, "HKD", float("nan"), match="no date")
    refused(fx.to_cny, 100, "HKD", "someday", match="no usable date")


def test_fx_refuses_a_rate_older_than_the_age_limit(tmp_path):
    path = tmp_path / "fx_rates.csv"
    path.write_text("date,currency,rate_to_cny\n2021-07-01,HKD,0.80\n2021-07-02,HKD,0.81\n",
                    encoding="utf-8")
    fx = money.FxRates.from_csv(path)  # the table's own limit: money.MAX_RATE_AGE_DAYS
    assert fx.max_age_days == money.MAX_RATE_AGE_DAYS == 7
    assert fx.to_cny(100, "HKD", date(2021, 7, 9)) == pytest.approx(81)  # 7 days after the last
    refused(fx.to_cny, 100, "HKD", date(2021, 7, 10),
            match=r"no HKD rate within 7 days before 2021-07-10 \(latest is 2021-07-02: the rate table must be refreshed\)")
    assert fx.to_cny(100, "CNY", date(2030, 1, 1)) == 100
    assert money.FxRates.from_csv(path, max_age_days=None).to_cny(100, "HKD", date(2030, 1, 1)) == pytest.approx(81)


def test_fx_from_csv_names_the_bad_line(tmp_path):
    path = tmp_path / "fx_rates.csv"
    path.write_text("date,currency,rate_to_cny\n2021-07-01,HKD,0.80\n2021-07-02,HKD,n/a\n",
                    encoding="utf-8")
    with pytest.raises(ValueError, match="fx_rates.csv line 3"):
        money.FxRates.from_csv(path)


def test_fx_from_csv_checks_columns(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("date,currency,rate\n2021-01-01,HKD,0.8\n", encoding="utf-8")
    with pytest.raises(ValueError, match="rate_to_cny"):
        money.FxRates.from_csv(path)
    with pytest.raises(ValueError, match="positive"):
        money.FxRates([(date(2021, 1, 1), "HKD", 0)])


def test_parse_then_convert(fx):
    amount, currency = money.parse_amount("HK$1.2m", "HKD")
    assert fx.to_cny(amount, currency, dates.parse_date("04/05/2021", "DD/MM/YYYY")) == pytest.approx(996_000)


# ---------------------------------------------------------------- dates
D = date(2021, 5, 4)


@pytest.mark.parametrize("raw, convention", [
    ("2021-05-04", "YYYY-MM-DD"), ("2021-5-4", "YYYY-MM-DD"), ("2021/05/04", "YYYY-MM-DD"),
    ("2021.5.4", "YYYY-MM-DD"), ("20210504", "YYYY-MM-DD"), ("2021-05-04 00:00:00", "YYYY-MM-DD"),
    ("2021-05-04T10:30:00", "YYYY-MM-DD"), ("2021-05-04T10:30:00+08:00", "YYYY-MM-DD"),
    ("04/05/2021", "DD/MM/YYYY"), ("4/5/2021", "DD/MM/YYYY"), ("04-05-2021", "DD/MM/YYYY"),
    ("04.05.2021", "DD/MM/YYYY"), ("04/05/2021 14:00", "DD/MM/YYYY"), ("2021-05-04", "DD/MM/YYYY"),
    ("2021年5月4日", "YYYY年M月D日"), ("2021年05月04日", "YYYY年M月D日"), ("2021 年 5 月 4 日", "YYYY年M月D日"),
    ("２０２１年５月４日", "YYYY年M月D日"), ("二〇二一年五月四日", "YYYY年M月D日"), ("2021年5月4号", "YYYY-MM-DD"),
    ("2021年5月4日", "DD/MM/YYYY"),
    ("44320", "excel_serial"), ("44320.0", "excel_serial"), ("44320.75", "excel_serial"),
    ("44320", "YYYY-MM-DD"),  # a five-digit serial is unambiguous whatever the convention
    ("Tue, 04 May 2021 08:00:00 +0800", "RFC822"), ("Tue, 04 May 2021 08:00:00 GMT", "RFC822"),
    ("Mon, 03 May 2021 20:00:00 GMT", "RFC822"),  # 04:00 on 4 May in the GBA
    ("04 May 2021 08:00 +0800", "YYYY-MM-DD"),
    ("4 May 2021", "DD/MM/YYYY"), ("May 4, 2021", "YYYY-MM-DD"), ("4 de Maio de 2021", "DD/MM/YYYY"),
    ("04-May-2021", "DD/MM/YYYY"),
])
def test_parse_date(raw, convention):
    assert dates.parse_date(raw, convention) == D


def test_parse_date_other_values():
    assert dates.parse_date("二〇二一年十二月三十一日", "YYYY年M月D日") == date(2021, 12, 31)
    assert dates.parse_date("4 de março de 2021", "DD/MM/YYYY") == date(2021, 3, 4)
    assert dates.parse_date("05/04/2021", "DD/MM/YYYY") == date(2021, 4, 5)
    assert dates.parse_date("2021-05-04T20:00:00Z", "YYYY-MM-DD") == date(2021, 5, 5)  # UTC → UTC+8
    assert dates.parse_date(D, "RFC822") == D
    assert dates.parse_date(datetime(2021, 5, 4, 23, 59), "DD/MM/YYYY") == D
    assert dates.parse_date(datetime(2021, 5, 3, 20, tzinfo=timezone.utc), "YYYY-MM-DD") == D
    assert dates.parse_date(44320, "excel_serial") == D
    assert dates.parse_date(44320.5, "excel_serial") == D
    assert dates.parse_date(20210504, "YYYY-MM-DD") == D
    assert dates.parse_date("61", "excel_serial") == date(1900, 3, 1)
    assert dates.parse_date("59", "excel_serial") == date(1900, 2, 28)
    assert dates.parse_date("1", "excel_serial") == date(1900, 1, 1)
    for blank in (None, "", "   "):
        assert dates.parse_date(blank, "DD/MM/YYYY") is None


def test_parse_date_pandas_values():
    pd = pytest.importorskip("pandas")
    assert dates.parse_date(pd.Timestamp("2021-05-04 10:00"), "DD/MM/YYYY") == D
    assert dates.parse_date(pd.NaT, "DD/MM/YYYY") is None


@pytest.mark.parametrize("convention", ["YYYY-MM-DD", "YYYY年M月D日", "excel_serial", "RFC822"])
def test_parse_date_refuses_to_guess_day_month_order(convention):
    for raw in ("04/05/2021", "4/5/2021", "13/05/2021", "05-04-2021"):
        refused(dates.parse_date, raw, convention, match=f"ambiguous date '{re.escape(raw)}'")


@pytest.mark.parametrize("raw, convention, reason", [
    ("31/02/2021", "DD/MM/YYYY", r"invalid date '31/02/2021' \(DD/MM/YYYY\): day is out of range"),
    ("05/31/2021", "DD/MM/YYYY", r"month must be in 1\.\.12"),
    ("2021-13-45", "YYYY-MM-DD", r"invalid date '2021-13-45' \(YYYY-MM-DD\)"),
    ("2021-02-29", "YYYY-MM-DD", "day is out of range"),
    ("N/A", "DD/MM/YYYY", r"unparseable date 'N/A' \(DD/MM/YYYY\)"),
    ("待定", "YYYY年M月D日", "unparseable date"),
    ("2021年5月", "YYYY年M月D日", "unparseable date"),
    ("2021年2月30日", "YYYY年M月D日", "invalid date"),
    ("04/05/21", "DD/MM/YYYY", "two-digit year"),
    ("1799-12-31", "YYYY-MM-DD", r"outside 1800\.\.2100"),
    ("2101-01-01", "YYYY-MM-DD", r"outside 1800\.\.2100"),
    ("2021", "YYYY-MM-DD", "year only"),
    ("4321", "DD/MM/YYYY", "Excel serial"),  # four digits, not a year: too small to be a serial
    ("60", "excel_serial", "1900-02-29 does not exist"),
    ("99999", "excel_serial", "Excel serial"),
    ("Tue, 32 May 2021 08:00:00 +0800", "RFC822", "RFC 822"),
    ("4 Mayo 2021", "DD/MM/YYYY", "unparseable"),
])
def test_parse_date_refuses_invalid(raw, convention, reason):
    refused(dates.parse_date, raw, convention, match=reason)


def test_parse_date_unknown_convention_is_a_config_error():
    with pytest.raises(ValueError) as info:
        dates.parse_date("2021-05-04", "MM/DD/YYYY")
    assert not isinstance(info.value, CalibrationError)


# ---------------------------------------------------------------- phones
@pytest.mark.parametrize("raw, region, expected", [
    ("+852 2358-6000", "HK", "+85223586000"),
    ("2358 6000", "HK", "+85223586000"),
    ("852-23586000", "HK", "+85223586000"),
    ("(852) 2358 6000", "HK", "+85223586000"),
    ("9123 4567", "HK", "+85291234567"),
    ("(020) 8711 2233", "CN", "+862087112233"),
    ("020-87112233", "CN", "+862087112233"),
    ("0755-26536114", "CN", "+8675526536114"),
    ("13812345678", "CN", "+8613812345678"),
    ("138 1234 5678", "CN", "+8613812345678"),
    ("+86 138-1234-5678", "HK", "+8613812345678"),
    ("86-755-26536114", "CN", "+8675526536114"),
    ("+86 (0)755 2653 6114", "MO", "+8675526536114"),
    ("0086 20 8711 2233", "CN", "+862087112233"),
    ("400-820-8820", "CN", "+864008208820"),
    ("+853 2888 1122", "MO", "+85328881122"),
    ("853-28881122", "MO", "+85328881122"),
    ("2888 1122", "MO", "+85328881122"),
    ("6612 3456", "MO", "+85366123456"),
    ("00853 2888 1122", "CN", "+85328881122"),
    ("１３８１２３４５６７８", "CN", "+8613812345678"),  # full-width digits
    ("0755-2653 6114 / 0755-2653 6115", "CN", "+8675526536114"),  # first of several
    ("2358 6000 ext. 123", "HK", "+85223586000"),  # extension dropped
    (23586000, "HK", "+85223586000"),
    (23586000.0, "HK", "+85223586000"),  # a number cell from Excel
])
def test_to_e164(raw, region, expected):
    result = phones.to_e164(raw, region)
    assert result == expected
    assert re.fullmatch(E164, result)


@pytest.mark.parametrize("raw, region", [
    ("12345", "HK"), ("1234 5678", "HK"), ("+852 1234 5678", "HK"), ("2358 600", "HK"),
    ("1234", "CN"), ("12812345678", "CN"), ("020-871122", "CN"),
    ("1888 1122", "MO"), ("+853 2888 112", "MO"),
    ("N/A", "CN"), ("电话待定", "HK"),
])
def test_to_e164_refuses_invalid(raw, region):
    refused(phones.to_e164, raw, region, match="invalid phone number")


def test_to_e164_blank():
    assert phones.to_e164(None, "HK") is None
    assert phones.to_e164("  ", "CN") is None
    assert phones.to_e164(float("nan"), "CN") is None


@pytest.mark.parametrize("raw, region", [
    ("0755-26536114", "CN"), ("(020) 8711 2233", "CN"), ("13812345678", "CN"), ("0086 20 8711 2233", "CN"),
    ("2358 6000", "HK"), ("+852 2358-6000", "HK"), ("+86 20 8711 2233", "HK"),
    ("2888 1122", "MO"), ("853-28881122", "MO"), ("00853 2888 1122", "MO"),
])
def test_common_phone_forms_take_the_fast_path(raw, region):
    assert phones._fast(raw, region) == phones._slow(raw, region)


def test_phone_fast_path_agrees_with_phonenumbers():
    """Whatever the fast path accepts, phonenumbers.parse + is_valid_number gives the same."""
    rng = random.Random(20240504)
    prefixes = ["", "0", "00", "+", "86", "852", "853", "+86", "+852", "+853", "0086", "00852",
                "1", "13", "17951", "12593", "0755", "020", "2", "6", "9", "400", "008", "001"]
    accepted = 0
    for _ in range(4000):
        region = rng.choice(["CN", "HK", "MO"])
        number = rng.choice(prefixes) + "".join(rng.choice("0123456789") for _ in range(rng.randint(4, 11)))
        fast = phones._fast(number, region)
        if fast is None:
            continue
        accepted += 1
        assert fast == phones._slow(number, region), (number, region)
    assert accepted > 50  # the comparison really ran


# ---------------------------------------------------------------- contacts
@pytest.mark.parametrize("raw, expected", [
    ("Info@HKUST.edu.hk", "info@hkust.edu.hk"),
    ("  mailto:research@um.edu.mo ", "research@um.edu.mo"),
    ("ｉｎｆｏ＠ｓｕｓｔｅｃｈ．ｅｄｕ．ｃｎ", "info@sustech.edu.cn"),
    ("abc[at]um.edu.mo", "abc@um.edu.mo"),
    ("abc (at) polyu (dot) edu (dot) hk", "abc@polyu.edu.hk"),
    ("kjc#sustech.edu.cn", "kjc@sustech.edu.cn"),
    ("a.b+c@sub.example.com; d@example.com", "a.b+c@sub.example.com"),
    ("x@example.com.", "x@example.com"),
])
def test_validate_email(raw, expected):
    assert contacts.validate_email(raw) == expected
    assert re.fullmatch(EMAIL, expected)


@pytest.mark.parametrize("raw", ["N/A", "abc", "a@b", "a@@b.com", "a@b..com", ".a@b.com", "a@-b.com",
                                 "张三@清华.中国", "a#b#c.com"])
def test_validate_email_refuses(raw):
    refused(contacts.validate_email, raw, match="e-mail")


@pytest.mark.parametrize("raw, expected", [
    ("https://www.hkust.edu.hk", "https://www.hkust.edu.hk/"),
    ("HTTP://WWW.UM.EDU.MO:80/zh-hant/", "http://www.um.edu.mo/zh-hant/"),
    ("https://example.com:8443/a?b=1#c", "https://example.com:8443/a?b=1#c"),
    ("www.sustech.edu.cn/zh/", "http://www.sustech.edu.cn/zh/"),
    ("gz.gov.cn", "http://gz.gov.cn/"),
    ("https://www.example.cn/资源/列表?名称=仪器", "https://www.example.cn/%E8%B5%84%E6%BA%90/%E5%88%97%E8%A1%A8"
                                                "?%E5%90%8D%E7%A7%B0=%E4%BB%AA%E5%99%A8"),
    ("https://www.example.com/a%20b", "https://www.example.com/a%20b"),
    ("http://例子.中国/", "http://xn--fsqu00a.xn--fiqs8s/"),
])
def test_validate_url(raw, expected):
    assert contacts.validate_url(raw) == expected
    assert re.fullmatch(URL, expected)


@pytest.mark.parametrize("raw, reason", [
    ("ftp://files.example.com/x", "not an http"), ("javascript:alert(1)", "not an http"),
    ("N/A", "not an http"), ("http://", "invalid host"), ("http://exa mple.com", "whitespace"),
    ("http://example.com:99999/", "invalid URL"), ("https://user:pw@example.com/", "credentials"),
    ("http://localhost_/", "invalid host"),
])
def test_validate_url_refuses(raw, reason):
    refused(contacts.validate_url, raw, match=reason)


def test_contacts_blank():
    assert contacts.validate_email(None) is None and contacts.validate_email(" ") is None
    assert contacts.validate_url(None) is None and contacts.validate_url("") is None


# ---------------------------------------------------------------- identifiers
@pytest.mark.parametrize("raw", ["ZL201910725275.4", "CN201910725275.4", "CN 2019 1 0725275.4",
                                 "201910725275.4", "2019107252754", "zl 201910725275.4", "ＺＬ２０１９１０７２５２７５．４"])
def test_patent_application_numbers(raw):
    assert identifiers.normalise_patent_no(raw) == "CN201910725275.4"


def test_patent_numbers_other_forms():
    assert identifiers.normalise_patent_no("ZL201811564288.x") == "CN201811564288.X"  # check char X
    assert identifiers.normalise_patent_no("ZL201730610076.0") == "CN201730610076.0"
    assert identifiers.normalise_patent_no("CN109876543A") == "CN109876543A"  # publication: kept
    assert identifiers.normalise_patent_no("CN 110941994 B") == "CN110941994B"
    assert identifiers.normalise_patent_no("HK 1234567") == "HK1234567"
    assert identifiers.normalise_patent_no(" ") is None
    assert identifiers.patent_kind("CN201910725275.4") == "invention"
    assert identifiers.patent_kind("CN201730610076.0") == "design"
    assert identifiers.patent_kind("CN202020123456.7") == "utility"
    assert identifiers.patent_kind("CN110941994B") == "invention"
    assert identifiers.patent_kind("CN212345678U") == "utility"
    assert identifiers.patent_kind("HK1234567") is None


def test_patent_check_char_on_published_numbers():
    for number in ("201310033299.6", "201911044411.X", "201910460277.5", "201310209986.9", "201810233951.1"):
        assert identifiers.patent_check_char(number[:12]) == number[-1]


@pytest.mark.parametrize("raw, reason", [
    ("ZL201910123456.7", "check character 7, expected X"),
    ("ZL201910725275.5", "check character 5, expected 4"),
    ("ZL201950725275.4", "unknown type digit 5"),
    ("ZL199910725275.4", "impossible year"),
    ("98123456.7", "unrecognised"),  # 1985–2003 numbers need their ZL/CN prefix
    ("专利申请中", "unrecognised"),
    ("CN1098765", "unrecognised"),
])
def test_patent_numbers_refused(raw, reason):
    refused(identifiers.normalise_patent_no, raw, match=reason)


def test_old_patent_application_numbers():
    digits = "02123456"
    good = f"ZL{digits}.{identifiers.patent_check_char(digits)}"
    assert identifiers.normalise_patent_no(good) == f"CN{digits}.{good[-1]}"
    refused(identifiers.normalise_patent_no, "ZL84123456.1", match="impossible year")


@pytest.mark.parametrize("raw, expected", [
    ("914403001922038216", "914403001922038216"),  # 华为技术有限公司
    ("91440300708461136T", "91440300708461136T"),  # 深圳市腾讯计算机系统有限公司
    ("9144 0300 7084 6113 6t", "91440300708461136T"),
    ("91110000600037341L", "91110000600037341L"),
])
def test_credit_codes(raw, expected):
    assert identifiers.normalise_credit_code(raw) == expected


@pytest.mark.parametrize("raw, reason", [
    ("914403001922038217", "check character 7, expected 6"),
    ("91440300708461136X", "expected T"),
    ("9144030070846113", "16 characters"),
    ("91440300I08461136T", "outside GB 32100"),  # I is not in the alphabet
    ("9144AB00708461136T", "outside GB 32100"),  # the region code is digits
])
def test_credit_codes_refused(raw, reason):
    refused(identifiers.normalise_credit_code, raw, match=reason)


def test_credit_code_check_char_every_position_matters():
    code = "91440300708461136T"
    for i in range(17):
        changed = code[:i] + ("1" if code[i] != "1" else "2") + code[i + 1:17]
        assert identifiers.credit_code_check_char(changed) != "T"


@pytest.mark.parametrize("raw, expected", [
    ("0000-0002-1825-0097", "0000-0002-1825-0097"),
    ("https://orcid.org/0000-0002-1825-0097", "0000-0002-1825-0097"),
    ("orcid.org/0000-0001-5109-3700/", "0000-0001-5109-3700"),
    ("0000-0002-1694-233x", "0000-0002-1694-233X"),
    ("0000000218250097", "0000-0002-1825-0097"),
])
def test_orcid(raw, expected):
    assert identifiers.normalise_orcid(raw) == expected


@pytest.mark.parametrize("raw", ["0000-0002-1825-0098", "0000-0002-1694-2338", "0000-0002-1825", "abcd"])
def test_orcid_refused(raw):
    refused(identifiers.normalise_orcid, raw, match="ORCID")


@pytest.mark.parametrize("raw, expected", [
    ("BB1913496869", "BB1913496869"),
    ("S/N BB1913496869", "BB1913496869"),        # the label some platforms print before it
    ("s/n bb1913496869", "BB1913496869"),
    ("SN: TF-2241508692", "TF-2241508692"),
    ("Serial No. TF2241508692", "TF2241508692"),
    ("出厂编号：TF2241508692", "TF2241508692"),
    ("ＴＦ２２４１５０８６９２", "TF2241508692"),   # full-width
    ("SN2241508692", "SN2241508692"),            # "SN" with nothing after it is the serial itself
    ("  ", None),
])
def test_serial_no(raw, expected):
    assert identifiers.normalise_serial_no(raw) == expected


def test_cstr_id():
    cid = identifiers.cstr_id("GBA01", "02", "ABC123")
    assert cid == "CSTR:GBA01.02.ABC123"
    assert re.fullmatch(CSTR_PATTERN, cid)
    assert identifiers.cstr_id("GBA01", 2, "X") == "CSTR:GBA01.02.X"
    for args in (("GBA1", "02", "X"), ("GBA0_", "02", "X"), ("GBA01", "2a", "X"), ("GBA01", "02", ""),
                 ("GBA01", "02", None), ("GBA01", "02", "a b"), ("港澳0001", "02", "X")):
        refused(identifiers.cstr_id, *args, match="CSTR")


def test_stable_local_id_is_deterministic_and_pinned():
    a = identifiers.stable_local_id("02", "香港科技大学", "gz")
    assert a == identifiers.stable_local_id("02", "香港科技大学", "gz")
    assert re.fullmatch(r"[0-9A-F]{16}", a)
    # pinned: golden-record ids must not change between releases
    assert identifiers.stable_local_id("a", "b") == "F04CDCED9736A69D"
    assert identifiers.stable_local_id("a", "bc") != identifiers.stable_local_id("ab", "c")
    assert identifiers.stable_local_id(None) != identifiers.stable_local_id("")
    assert len(identifiers.stable_local_id("x", length=26)) == 26
    with pytest.raises(ValueError):
        identifiers.stable_local_id()


# ---------------------------------------------------------------- bench (smoke only)
def test_bench_measures_every_hot_rule():
    from bayres.jobs.conform.calibration import bench

    results = bench.measure(n=50)
    assert {"name_key", "parse_date", "parse_amount", "to_cny", "to_e164"} <= set(results)
    assert all(v > 0 for v in results.values())


def test_macao_patents_and_achievement_registrations_are_identifiers():
    assert identifiers.normalise_patent_no("I/118433") == "MO-I/118433"
    assert identifiers.normalise_patent_no("MO-I/118433") == "MO-I/118433"
    assert identifiers.normalise_patent_no("442023Y98645") == "442023Y98645"
    refused(identifiers.normalise_patent_no, "X/118433", match="unrecognised")
