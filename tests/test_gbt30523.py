"""GB/T 30523 core metadata: the declaration, the fill rules, the conformance check, the export."""
from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pytest

from bayres.jobs.conform import gbt30523 as g
from bayres.schemas import gbt30523 as decl
from bayres.schemas.fields import Field
from bayres.schemas.resource import GOLDEN_RESOURCE, RESOURCE_RECORD

SOURCE = {"platform": "gz", "source": "instruments",
          "gbt30523": {"record_url": "https://example.cn/yq/{id}", "sharing_policy": "共享办法"}}


def test_obligations_are_declared_on_the_fields():
    mandatory = {f.name for f in decl.required(GOLDEN_RESOURCE)}
    # the published identity and the elements the issue names
    assert {"cstr_id", "name", "resource_type", "description", "keywords", "rights",
            "access_url", "metadata_date"} <= mandatory
    assert "owner_org" not in mandatory
    # sharing mode is mandatory for instruments only
    assert "sharing_mode" in {f.name for f in decl.required(GOLDEN_RESOURCE, "02")}
    assert "sharing_mode" not in {f.name for f in decl.required(GOLDEN_RESOURCE, "05")}
    # the record table has no golden id
    assert "cstr_id" not in {f.name for f in decl.required(RESOURCE_RECORD)}
    with pytest.raises(ValueError, match="obligation"):
        Field("x", gbt30523="测试", obligation="X")
    with pytest.raises(ValueError, match="element name"):
        Field("x", obligation="M")


ROWS = [
    # conformant instrument
    dict(cstr_id="CSTR:12345.02.A1", resource_type="02", name="显微镜", description="d",
         keywords="k", provider_org="p", metadata_date=date(2026, 12, 7), sharing_mode="open",
         rights="r", access_url="https://x/1", region="GZ"),
    # internal record: no access URL needed; instrument without sharing mode is not conformant
    dict(cstr_id="CSTR:12345.02.A2", resource_type="02", name="仪器", description="d",
         keywords="k", provider_org="p", metadata_date=date(2026, 12, 7), sharing_mode="internal",
         rights="r", access_url=None, region="GZ"),
    dict(cstr_id="CSTR:12345.02.A3", resource_type="02", name="仪器", description=" ",
         keywords=None, provider_org="p", metadata_date=date(2026, 12, 7), sharing_mode=None,
         rights="r", access_url=None, region="GZ"),
    # talent: sharing mode optional
    dict(cstr_id="CSTR:12345.05.A4", resource_type="05", name="张三", description="d",
         keywords="k", provider_org="p", metadata_date=date(2026, 12, 7), sharing_mode=None,
         rights="r", access_url="https://x/4", region="SZ"),
]


def test_missing_in_python_and_sql_agree():
    expected = [[], [], ["description", "keywords", "sharing_mode", "access_url"], []]
    assert [decl.missing_of(r) for r in ROWS] == expected
    frame = pd.DataFrame(ROWS)
    con = duckdb.connect()
    con.register("t", frame)
    got = con.execute(f"SELECT {decl.missing_sql(GOLDEN_RESOURCE, 't.')} FROM t").fetchall()
    assert [r[0].split(";") if r[0] else [] for r in got] == expected


def test_keywords_from_chinese_english_and_portuguese():
    zh = g.keywords("高分辨率透射电子显微镜，用于材料科学纳米结构表征").split(";")
    assert "电子显微镜" in zh and len(zh) <= g.TOP_K
    en = g.keywords("High-resolution transmission electron microscope for the materials lab").split(";")
    assert "microscope" in en and "the" not in en and "for" not in en
    pt = g.keywords("Microscópio electrónico de transmissão para caracterização de materiais")
    assert "transmissão" in pt.split(";") and "de" not in pt.split(";")
    assert g.keywords("  ") is None


def test_fill_derives_and_never_overwrites():
    rec = pd.DataFrame({
        "name": ["高分辨率透射电子显微镜", "质谱仪", None],
        "description": [None, "用于蛋白质组学分析", None],
        "keywords": [None, "质谱;蛋白质", None],
        "rights": [None, None, "须经书面许可"],
        "access_url": [None, "https://pub/2", None],
        "sharing_mode": ["open", None, "internal"],
        "src_record_id": ["YQ 1", "YQ2", None],
    })
    out = g.fill(rec, SOURCE, date(2026, 12, 7))
    assert out.loc[0, "keywords"] and "keywords:" in out.loc[0, "gbt_derived"]
    assert out.loc[1, "keywords"] == "质谱;蛋白质" and "keywords:" not in out.loc[1, "gbt_derived"]
    assert "共享办法" in out.loc[0, "rights"] and out.loc[0, "rights"].startswith("开放共享")
    assert out.loc[2, "rights"] == "须经书面许可"
    assert out.loc[0, "access_url"] == "https://example.cn/yq/YQ%201"
    assert out.loc[1, "access_url"] == "https://pub/2"
    assert out.loc[2, "access_url"] is None  # no id: no URL
    assert (out["metadata_date"] == date(2026, 12, 7)).all()
    # without a declared policy, no rights are invented
    bare = g.fill(pd.DataFrame({"name": ["x"], "src_record_id": ["1"], "sharing_mode": ["open"]}),
                  {"platform": "p", "source": "s"}, date(2026, 12, 7))
    assert bare.loc[0, "rights"] is None and bare.loc[0, "access_url"] is None
    with pytest.raises(ValueError, match=r"p/s: gbt30523.record_url"):
        g.fill(pd.DataFrame({"name": ["x"], "src_record_id": ["1"]}),
               {"platform": "p", "source": "s", "gbt30523": {"record_url": "https://x/"}},
               date(2026, 12, 7))


def test_export_document_is_validated_against_the_declaration():
    row = dict(ROWS[0], gbt_derived="keywords:jieba_tfidf(name,description);metadata_date:run_date")
    doc = g.document(row)
    assert doc["elements"]["资源标识符"] == "CSTR:12345.02.A1"
    assert doc["elements"]["元数据更新日期"] == "2026-12-07"
    assert doc["derived"]["关键词"].startswith("jieba_tfidf")
    g.validate(doc)
    bad = g.document(ROWS[2])
    with pytest.raises(ValueError, match=r"CSTR:12345.02.A3.*资源描述"):
        g.validate(bad)
    # the instrument-only obligation comes from obligation_by_type
    no_mode = g.document(dict(ROWS[0], sharing_mode=None))
    with pytest.raises(ValueError, match="共享方式"):
        g.validate(no_mode)
    g.validate(g.document(dict(ROWS[3])))


def test_conformance_per_platform_and_source():
    golden = pd.DataFrame({"survivor_record_id": ["gz:instruments:1", "gz:patents:2", "hk:talent:3"],
                           "gbt_missing": [None, "description;keywords", None]})
    records = pd.DataFrame({"src_platform": ["gz", "gz", "gz", "hk"],
                            "src_source": ["instruments", "instruments", "patents", "talent"],
                            "gbt_missing": [None, "rights", "description", None]})
    got = g.conformance(records, golden)
    assert got["gz"]["gbt30523_conformance"] == 0.5 and got["gz"]["golden_records"] == 2
    assert got["gz"]["missing"]["description"] == 1 and got["gz"]["missing"]["rights"] == 0
    assert got["gz"]["sources"]["instruments"]["gbt30523_conformance"] == 0.5
    assert got["gz"]["sources"]["instruments"]["missing"] == {"rights": 1}
    assert got["hk"]["gbt30523_conformance"] == 1.0


def test_golden_provenance_follows_the_value():
    """gbt_derived of a golden record names the rule of the record each element came from."""
    from bayres.jobs.dedup.engine import DuckDBEngine
    from bayres.jobs.dedup.survivorship import Rules, golden_sql

    cols = RESOURCE_RECORD.names
    base = {c: None for c in cols}
    a = dict(base, record_id="gz:instruments:1", src_platform="gz", resource_type="02", name="甲",
             keywords="发表;关键词", rights=None, updated_date=date(2026, 1, 2),
             gbt_derived="metadata_date:run_date")
    b = dict(base, record_id="sz:instruments:9", src_platform="sz", resource_type="02", name="甲",
             keywords="提取", rights="开放共享", updated_date=date(2025, 1, 1),
             gbt_derived="keywords:jieba_tfidf(name,description);rights:sharing_policy+sharing_mode;"
                         "metadata_date:run_date")
    frame = pd.DataFrame([a, b]).assign(_cluster="gz:instruments:1", _size=2)
    engine = DuckDBEngine()
    engine.register("members", frame)
    rules = Rules(default=("gz", "sz", "hk", "mo"), fields={}, together=())
    row = engine.fetch(golden_sql(engine, "members", rules)).iloc[0]
    assert row["keywords"] == "发表;关键词" and row["rights"] == "开放共享"
    derived = row["gbt_derived"].split(";")
    # keywords came from gz (published): no rule; rights from sz (derived): its rule
    assert "rights:sharing_policy+sharing_mode" in derived
    assert not any(d.startswith("keywords:") for d in derived)
    assert "gbt_derived" not in row["field_sources"]


def test_expectations_follow_the_declaration():
    from bayres.quality.expectations import CRITICAL, WARNING, suite_for

    suite = suite_for(GOLDEN_RESOURCE, stage="golden")
    gbt = {e.meta["rule"]: e for e in suite.expectations
           if (e.meta or {}).get("rule", "").startswith("gbt30523:")}
    assert set(gbt) == {f"gbt30523:{f.name}" for f in decl.required(GOLDEN_RESOURCE)} | \
        {"gbt30523:conformance"}
    assert "02" in str(gbt["gbt30523:sharing_mode"].row_condition)
    assert "internal" in str(gbt["gbt30523:access_url"].row_condition)
    assert gbt["gbt30523:description"].meta["severity"] == WARNING
    conformance = gbt["gbt30523:conformance"]
    assert conformance.column == "gbt_missing" and conformance.mostly == 0.95
    assert conformance.meta["severity"] == CRITICAL


def test_export_writes_dates_read_back_as_timestamps():
    doc = g.document(dict(ROWS[0], metadata_date=pd.Timestamp("2026-12-07"),
                          created_date=pd.Timestamp("1958-01-01")))
    assert doc["elements"]["元数据更新日期"] == "2026-12-07"
    assert doc["elements"]["资源生成日期"] == "1958-01-01"
    g.validate(doc)


def test_export_follows_the_audience_governance_rules():
    """The contacts (personal tier) leave only as the audience's rules allow: withheld from the
    public, masked for a platform of the record's jurisdiction, withheld across the border,
    shown to a steward; the mandatory elements (all public) stay, so the document still validates."""
    from bayres.jobs.publish.governance import GovernanceError, load_rules

    rules = load_rules()
    row = dict(ROWS[0], contact_name="陈大文", contact_phone="+862012345678",
               contact_email="chen@example.cn")
    public = g.governed_document(row, rules, "public")
    assert not {"联系人", "联系电话", "电子邮件"} & set(public["elements"])
    assert public["governance"]["withheld"] == sorted(["联系人", "联系电话", "电子邮件"])
    assert public["elements"]["资源名称"] == "显微镜"
    g.validate(public)
    gz = g.governed_document(row, rules, "platform_gz")
    assert gz["elements"]["联系人"] == "陈**" and gz["elements"]["联系电话"] == "+86 ****5678"
    assert gz["governance"]["transformed"] == sorted(["联系人", "联系电话", "电子邮件"])
    hk = g.governed_document(row, rules, "platform_hk")  # a GZ record: PIPL, no consent
    assert "联系人" not in hk["elements"]
    steward = g.governed_document(row, rules, "steward")
    assert steward["elements"]["联系电话"] == "+862012345678" and steward["governance"]["withheld"] == []
    with pytest.raises(GovernanceError, match="unknown audience"):
        g.governed_document(row, rules, "nobody")
