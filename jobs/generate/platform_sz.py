"""Shenzhen platform (深圳): a newer system with English snake_case columns and integer keys,
Simplified Chinese, CNY with a currency column, amounts written "1,234,000.00", ISO dates,
English status codes; patents arrive as JSON lines, standards as a GB18030 CSV with Chinese headers.
"""
from __future__ import annotations

import zlib

from . import catalogue as cat
from . import rendering as r
from .feeds import CsvSink, JsonLinesSink
from .spec import Batch, SourceSpec
from .sqlite_db import SqliteTable
from .variants import ABBREV, IDFORMAT, SCRIPT, TYPO

PLATFORM = "sz"
REGIONS = {"SZ": 0.88, "DG": 0.07, "HZ": 0.05}
STATUS = {"in_service": "available", "maintenance": "under_repair", "suspended": "suspended",
          "retired": "scrapped"}
MODE = {"open": "open", "conditional": "by_appointment", "internal": "internal_only"}
KIND = {"invention": "invention", "utility": "utility_model", "design": "design"}

# ------------------------------------------------------------------------------ instrument
INSTRUMENT = (("id", "INTEGER"), ("instrument_name", "VARCHAR(200)"), ("instrument_name_en", "VARCHAR(200)"),
              ("model", "VARCHAR(100)"), ("manufacturer", "VARCHAR(100)"), ("serial_number", "VARCHAR(40)"),
              ("original_value", "VARCHAR(30)"), ("currency", "VARCHAR(3)"), ("purchase_date", "VARCHAR(10)"),
              ("owner_unit", "VARCHAR(200)"), ("unit_credit_code", "VARCHAR(18)"), ("location", "VARCHAR(300)"),
              ("city", "VARCHAR(20)"), ("share_status", "VARCHAR(20)"), ("share_mode", "VARCHAR(20)"),
              ("contact_person", "VARCHAR(50)"), ("contact_phone", "VARCHAR(30)"), ("contact_email", "VARCHAR(100)"),
              ("updated_at", "DATETIME"), ("description", "TEXT"))


def render_instruments(b: Batch) -> dict[str, list]:
    owner = b.arr("owner")
    pool = b.world.orgs
    amt, cur = r.amounts(b, "CNY", keep_share=0.4)
    out = {
        "id": b.ids, "instrument_name": r.names_zh(b, "hans"), "instrument_name_en": r.names_en(b),
        "model": b.col("model"), "manufacturer": b.col("maker"), "serial_number": r.serials(b),
        "original_value": r.money_texts(amt, cur, "grouped", "plain", b.var), "currency": cur,
        "purchase_date": r.dates(b, "date", "iso"), "owner_unit": r.org_refs(b, owner, "hans"),
        "unit_credit_code": [pool.credit[o] for o in owner.tolist()],
        "location": r.locations_zh(b, "hans"), "city": r.region_labels(b, "hans"),
        "share_status": [STATUS[s] for s in b.col("status")], "share_mode": [MODE[m] for m in b.col("mode")],
        "contact_person": b.col("contact_hans"), "contact_phone": r.phones(b, "86"),
        "contact_email": b.col("email"), "updated_at": r.updated(b),
    }
    # the description (GB/T 30523 资源描述), in the platform's words, from the published values
    out["description"] = r.describe(
        out, b.ids, (("", "instrument_name"), ("型号", "model"), ("生产厂家", "manufacturer"), ("放置地点", "location")),
        "，", "。")
    return out


# ------------------------------------------------------------------------------ talent
TALENT = (("id", "INTEGER"), ("full_name", "VARCHAR(50)"), ("name_pinyin", "VARCHAR(100)"),
          ("affiliation", "VARCHAR(200)"), ("research_field", "VARCHAR(50)"), ("professional_title", "VARCHAR(50)"),
          ("orcid", "VARCHAR(40)"), ("email", "VARCHAR(100)"), ("phone", "VARCHAR(30)"), ("city", "VARCHAR(20)"),
          ("registered_on", "VARCHAR(10)"), ("updated_at", "DATETIME"), ("cross_border_consent", "VARCHAR(4)"),
          ("profile", "TEXT"))


def consents(ids: list) -> list:
    """The person's consent to cross-border transfer (PIPL art. 39), as the platform records
    it: 是 / 否, or not asked (NULL). From the id alone (no draw: the rest of the sample stays)."""
    out = []
    for i in ids:
        h = zlib.crc32(f"consent:{i}".encode())
        out.append(None if h % 5 == 0 else ("是" if h % 3 == 0 else "否"))
    return out


def render_talent(b: Batch) -> dict[str, list]:
    titles = cat.TITLES_MAINLAND
    out = {
        "id": b.ids, "full_name": r.names_zh(b, "hans"), "name_pinyin": r.person_names_en(b, "sur", "given", "style"),
        "affiliation": r.org_refs(b, b.arr("affiliation"), "hans"), "research_field": r.field_names(b, "hans"),
        "professional_title": [titles[t % len(titles)][0] for t in b.col("title")],
        "orcid": r.orcids(b, "plain"), "email": b.col("email"), "phone": r.phones(b, "86"),
        "city": r.region_labels(b, "hans"), "registered_on": r.dates(b, "date", "iso"), "updated_at": r.updated(b),
        "cross_border_consent": consents(b.ids),
    }
    # the description (GB/T 30523 资源描述), in the platform's words, from the published values
    out["profile"] = r.describe(
        out, b.ids, (("", "full_name"), ("任职于", "affiliation"), ("研究方向：", "research_field"), ("职称：", "professional_title")),
        "，", "。")
    return out


# ------------------------------------------------------------------------------ project
PROJECT = (("id", "INTEGER"), ("project_no", "VARCHAR(40)"), ("project_title", "VARCHAR(300)"),
           ("project_title_en", "VARCHAR(300)"), ("funding_agency", "VARCHAR(200)"),
           ("principal_investigator", "VARCHAR(50)"), ("host_unit", "VARCHAR(200)"), ("amount", "VARCHAR(30)"),
           ("currency", "VARCHAR(3)"), ("start_date", "VARCHAR(10)"), ("end_date", "VARCHAR(10)"),
           ("city", "VARCHAR(20)"), ("updated_at", "DATETIME"), ("summary", "TEXT"))


def render_projects(b: Batch) -> dict[str, list]:
    amt, cur = r.amounts(b, "CNY", keep_share=0.5)
    out = {
        "id": b.ids, "project_no": r.grants(b), "project_title": r.names_zh(b, "hans"),
        "project_title_en": b.col("name_en"), "funding_agency": r.org_refs(b, b.arr("funder"), "hans", 0.05),
        "principal_investigator": b.col("pi_hans"), "host_unit": r.org_refs(b, b.arr("host"), "hans"),
        "amount": r.money_texts(amt, cur, "grouped", "plain", b.var), "currency": cur,
        "start_date": r.dates(b, "date", "iso"), "end_date": r.dates(b, "end", "iso"),
        "city": r.region_labels(b, "hans"), "updated_at": r.updated(b),
    }
    # the description (GB/T 30523 资源描述), in the platform's words, from the published values
    out["summary"] = r.describe(
        out, b.ids, (("", "project_title"), ("承担单位：", "host_unit"), ("资助机构：", "funding_agency")),
        "，", "。")
    return out


# ------------------------------------------------------------------------------ patents JSONL
PATENT_FIELDS = ("pub_id", "title", "title_en", "application_no", "patent_type", "applicants", "inventors",
                 "filing_date", "grant_date", "ipc", "applicant_city", "claims", "abstract")


def render_patents(b: Batch) -> dict[str, list]:
    names = r.names_zh(b, "hans")
    holders = r.org_refs(b, b.arr("holder"), "hans")
    co = r.org_refs(b, b.arr("co_holder"), "hans", 0.0)
    return {
        "pub_id": b.ids, "title": names, "title_en": b.col("name_en"),
        "application_no": r.patent_numbers(b, "cn", ("plain", "cn_nodot", "zl")),
        "patent_type": [KIND[k] for k in b.col("pkind")],
        "applicants": [f"{h}; {c}" if c else h for h, c in zip(holders, co)],
        "inventors": ["; ".join(p) for p in b.col("inventors")], "filing_date": r.dates(b, "date", "iso"),
        "grant_date": r.dates(b, "grant", "iso"), "ipc": b.col("ipc"), "applicant_city": r.region_labels(b, "hans"),
        "claims": b.rng.integers(3, 21, b.n).tolist(),
        "abstract": [f"本发明涉及{n.removeprefix('一种')}。" for n in names],
    }


# ------------------------------------------------------------------------------ standards CSV
STANDARD_FIELDS = ("序号", "标准编号", "标准名称", "英文名称", "标准类别", "发布日期", "实施日期", "状态", "起草单位", "归口单位",
                   "适用范围")
_SERIES = {"DB4403/T": ("地方标准", "深圳市市场监督管理局"), "T/SZS": ("团体标准", "深圳市标准化协会"),
           "SZDB/Z": ("指导性技术文件", "深圳市市场监督管理局")}
_NUMBER_STYLES = {"plain": lambda s: s, "emdash": lambda s: s.replace("-", "—"),
                  "nospace": lambda s: s.replace(" ", "")}


def render_standards(b: Batch) -> dict[str, list]:
    numbers = b.col("number")
    series = [n.split(" ")[0] for n in numbers]
    out = {
        "序号": b.ids, "标准编号": r.styled_ids(numbers, b.var, _NUMBER_STYLES, "plain", ("emdash", "nospace"), b.rng),
        "标准名称": r.names_zh(b, "hans"), "英文名称": b.col("name_en"),
        "标准类别": [_SERIES[s][0] for s in series], "发布日期": r.dates(b, "date", "iso"),
        "实施日期": r.dates(b, "implement", "iso"), "状态": b.col("status"),
        "起草单位": [f"深圳市标准技术研究院、{d}" for d in r.org_refs(b, b.arr("drafter"), "hans", 0.0)],
        "归口单位": [_SERIES[s][1] for s in series],
    }    # the description (GB/T 30523 资源描述), in the platform's words, from the published values
    out["适用范围"] = r.describe(
        out, b.ids, (("", "标准名称"), ("", "标准类别"), ("起草单位：", "起草单位"), ("归口单位：", "归口单位")),
        "，", "。")
    return out


def sources() -> list[SourceSpec]:
    return [
        SourceSpec(PLATFORM, "instruments", "instrument", "sql", 0.09, REGIONS, "id", int, render_instruments,
                   lambda out, dbs: SqliteTable(out, dbs, PLATFORM, "instrument", INSTRUMENT, "id"),
                   name_fields=("instrument_name", "instrument_name_en"), date_field="purchase_date",
                   phone_field="contact_phone", within_variants=(SCRIPT, ABBREV, TYPO, IDFORMAT)),
        SourceSpec(PLATFORM, "talent", "talent", "sql", 0.06, {"SZ": 0.85, "GZ": 0.05, "DG": 0.05, "HZ": 0.05},
                   "id", int, render_talent,
                   lambda out, dbs: SqliteTable(out, dbs, PLATFORM, "talent", TALENT, "id"),
                   name_fields=("full_name", "name_pinyin"), date_field="registered_on", phone_field="phone",
                   within_variants=(SCRIPT, TYPO, IDFORMAT)),
        SourceSpec(PLATFORM, "projects", "project", "sql", 0.06, {"SZ": 0.9, "DG": 0.05, "HZ": 0.05}, "id", int,
                   render_projects, lambda out, dbs: SqliteTable(out, dbs, PLATFORM, "project", PROJECT, "id"),
                   name_fields=("project_title", "project_title_en"), date_field="start_date",
                   within_variants=(SCRIPT, TYPO, IDFORMAT)),
        SourceSpec(PLATFORM, "patents", "patent", "jsonl", 0.12, REGIONS, "pub_id", lambda n: f"SZP{n:09d}",
                   render_patents, lambda out, dbs: JsonLinesSink(out, f"{PLATFORM}/feeds/patents"),
                   name_fields=("title", "title_en"), date_field="filing_date", broken_rows=True,
                   within_variants=(SCRIPT, TYPO, IDFORMAT)),
        SourceSpec(PLATFORM, "standards", "standard", "csv", 0.025, {"SZ": 1.0}, "序号", int, render_standards,
                   lambda out, dbs: CsvSink(out, f"{PLATFORM}/feeds/standards", encoding="gb18030"),
                   name_fields=("标准名称", "英文名称"), date_field="发布日期", broken_rows=True,
                   within_variants=(TYPO, IDFORMAT)),
    ]
