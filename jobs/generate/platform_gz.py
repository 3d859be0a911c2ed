"""Guangzhou platform (广州, covering the rest of Guangdong): a legacy system with pinyin-initial
column names (YQMC = 仪器名称), GB/T 2260 division codes for regions, numeric code lists,
Simplified Chinese, CNY, ISO dates in the database and 2019年3月5日 dates in its patent feed
(GB18030 XML); policies come as RSS 2.0.
"""
from __future__ import annotations

from . import rendering as r
from .conventions import fmt_rfc822
from .feeds import RssSink, XmlSink
from .spec import Batch, SourceSpec
from .sqlite_db import SqliteTable
from .variants import ABBREV, ENGLISH, IDFORMAT, SCRIPT, TYPO

PLATFORM = "gz"
REGIONS = {"GZ": 0.58, "DG": 0.10, "FS": 0.09, "ZH": 0.07, "HZ": 0.05, "ZS": 0.04, "JM": 0.04, "ZQ": 0.03}
#: the institutions directory is provincial: it lists Shenzhen organisations too
ORG_REGIONS = {"GZ": 0.40, "SZ": 0.22, "DG": 0.08, "FS": 0.08, "ZH": 0.06, "HZ": 0.05, "ZS": 0.04,
               "JM": 0.04, "ZQ": 0.03}
STATUS = {"in_service": "1", "maintenance": "2", "suspended": "3", "retired": "4"}
MODE = {"open": "1", "conditional": "2", "internal": "3"}
ORG_TYPE = {"university": "11", "research_institute": "12", "laboratory": "13", "large_facility": "14",
            "innovation_platform": "15", "enterprise": "20", "government": "30", "hospital": "40", "other": "90"}
CATEGORY = {"03": "科研基地", "04": "科研机构"}
KIND = {"invention": "发明", "utility": "实用新型", "design": "外观设计"}

# ------------------------------------------------------------------------- T_YQSB instruments
YQSB = (("YQBH", "VARCHAR(20)"), ("YQMC", "VARCHAR(200)"), ("YWMC", "VARCHAR(200)"), ("XH", "VARCHAR(100)"),
        ("SCCJ", "VARCHAR(100)"), ("CCBH", "VARCHAR(40)"), ("YZ", "DECIMAL(16,2)"), ("GZRQ", "VARCHAR(10)"),
        ("SSDW", "VARCHAR(200)"), ("TYSHXYDM", "VARCHAR(18)"), ("SZDZ", "VARCHAR(300)"), ("SSQY", "VARCHAR(6)"),
        ("GXZT", "VARCHAR(2)"), ("GXFS", "VARCHAR(2)"), ("LXR", "VARCHAR(50)"), ("LXDH", "VARCHAR(30)"),
        ("DZYX", "VARCHAR(100)"), ("GXSJ", "DATETIME"), ("YQJJ", "TEXT"))


def render_instruments(b: Batch) -> dict[str, list]:
    owner = b.arr("owner")
    pool = b.world.orgs
    amt = r.converted(b, "CNY").tolist()
    out = {
        "YQBH": b.ids, "YQMC": r.names_zh(b, "hans"), "YWMC": r.names_en(b), "XH": b.col("model"),
        "SCCJ": b.col("maker"), "CCBH": r.serials(b), "YZ": amt, "GZRQ": r.dates(b, "date", "iso"),
        "SSDW": r.org_refs(b, owner, "hans"), "TYSHXYDM": [pool.credit[o] for o in owner.tolist()],
        "SZDZ": r.locations_zh(b, "hans"), "SSQY": r.region_labels(b, "admin"),
        "GXZT": [STATUS[s] for s in b.col("status")], "GXFS": [MODE[m] for m in b.col("mode")],
        "LXR": b.col("contact_hans"), "LXDH": r.phones(b, "86"), "DZYX": b.col("email"), "GXSJ": r.updated(b),
    }
    # the description (GB/T 30523 资源描述), in the platform's words, from the published values
    out["YQJJ"] = r.describe(
        out, b.ids, (("", "YQMC"), ("型号", "XH"), ("生产厂家", "SCCJ"), ("安置地点", "SZDZ")),
        "，", "。")
    return out


# ------------------------------------------------------------------------- T_KYJG institutions
KYJG = (("JGBH", "VARCHAR(20)"), ("JGMC", "VARCHAR(200)"), ("YWMC", "VARCHAR(300)"), ("JGJC", "VARCHAR(100)"),
        ("LB", "VARCHAR(20)"), ("JGLX", "VARCHAR(2)"), ("TYSHXYDM", "VARCHAR(18)"), ("SJDW", "VARCHAR(200)"),
        ("DZ", "VARCHAR(300)"), ("SSQY", "VARCHAR(6)"), ("CLRQ", "VARCHAR(10)"), ("LXDH", "VARCHAR(30)"),
        ("WZ", "VARCHAR(200)"), ("GXSJ", "DATETIME"), ("JGJJ", "TEXT"))


def render_institutions(b: Batch) -> dict[str, list]:
    credit = r.styled_ids(b.col("credit"), b.var, _CREDIT_STYLES, "plain", ("lower",), b.rng)
    out = {
        "JGBH": b.ids, "JGMC": r.names_zh(b, "hans", en_allowed=True), "YWMC": b.col("name_en"),
        "JGJC": [r.to_hans(a) for a in b.col("abbr_zh")], "LB": [CATEGORY[t] for t in b.col("rtype")],
        "JGLX": [ORG_TYPE[t] for t in b.col("type")], "TYSHXYDM": credit,
        "SJDW": r.org_refs(b, b.arr("parent_idx"), "hans", 0.0),
        "DZ": [r.to_hans(a) for a in b.col("addr")], "SSQY": r.region_labels(b, "admin"),
        "CLRQ": r.dates(b, "date", "iso"), "LXDH": r.phones(b, "86"), "WZ": b.col("web"), "GXSJ": r.updated(b),
    }
    # the description (GB/T 30523 资源描述), in the platform's words, from the published values
    out["JGJJ"] = r.describe(
        out, b.ids, (("", "JGMC"), ("类别：", "LB"), ("地址：", "DZ")),
        "，", "。")
    return out


_CREDIT_STYLES = {"plain": lambda c: c, "lower": lambda c: c.lower()}


# ------------------------------------------------------------------------- T_KJCG achievements
KJCG = (("CGBH", "VARCHAR(20)"), ("CGMC", "VARCHAR(300)"), ("DJH", "VARCHAR(20)"), ("CGLX", "VARCHAR(20)"),
        ("WCDW", "VARCHAR(300)"), ("WCR", "VARCHAR(200)"), ("DJRQ", "VARCHAR(10)"), ("JSLY", "VARCHAR(50)"),
        ("CGJJ", "TEXT"), ("GJC", "VARCHAR(200)"), ("SSQY", "VARCHAR(6)"), ("LXR", "VARCHAR(50)"),
        ("LXDH", "VARCHAR(30)"), ("GXSJ", "DATETIME"))


def render_achievements(b: Batch) -> dict[str, list]:
    names = r.names_zh(b, "hans")
    fields = r.field_names(b, "hans")
    holders = r.org_refs(b, b.arr("holder"), "hans")
    return {
        "CGBH": b.ids, "CGMC": names, "DJH": b.col("number"), "CGLX": b.col("ach_kind"), "WCDW": holders,
        "WCR": ["、".join(p) for p in b.col("persons")], "DJRQ": r.dates(b, "date", "iso"), "JSLY": fields,
        "CGJJ": [f"本成果由{h}完成，围绕{n}开展研究，形成了具有自主知识产权的{f}技术成果。"
                 for h, n, f in zip(holders, names, fields)],
        "GJC": [f"{f};{n[:4]}" for f, n in zip(fields, names)], "SSQY": r.region_labels(b, "admin"),
        "LXR": b.col("contact_hans"), "LXDH": r.phones(b, "86"), "GXSJ": r.updated(b),
    }


# ------------------------------------------------------------------------- patents XML feed
ZL_FIELDS = ("JLBH", "ZLMC", "ZLH", "ZLLX", "ZLQR", "FMR", "SQRQ", "SQGGR", "IPC", "ZY", "SSQY")


def render_patents(b: Batch) -> dict[str, list]:
    names = r.names_zh(b, "hans")
    holders = r.org_refs(b, b.arr("holder"), "hans")
    co = r.org_refs(b, b.arr("co_holder"), "hans", 0.0)
    return {
        "JLBH": b.ids, "ZLMC": names,
        "ZLH": r.patent_numbers(b, "plain", ("cn", "nodot", "zl_space"), granted_style="zl"),
        "ZLLX": [KIND[k] for k in b.col("pkind")],
        "ZLQR": [f"{h}；{c}" if c else h for h, c in zip(holders, co)],
        "FMR": ["；".join(p) for p in b.col("inventors")], "SQRQ": r.dates(b, "date", "cn"),
        "SQGGR": r.dates(b, "grant", "cn"), "IPC": b.col("ipc"),
        "ZY": [f"本发明公开了{n}，属于相关技术领域。" for n in names], "SSQY": r.region_labels(b, "admin"),
    }


# ------------------------------------------------------------------------- policies RSS feed
RSS_FIELDS = ("title", "link", "description", "pubDate", "guid", "category", "source")
_POLICY_URL = {"GZSTB": "https://kjj.gz.gov.cn/zwgk/zcfg/content/post_{n}.html",
               "GDSTC": "http://gdstc.gd.gov.cn/zwgk_n/zcfg/gfwj/content/post_{n}.html"}


def render_policies(b: Batch) -> dict[str, list]:
    pool = b.world.orgs
    issuer = b.arr("issuer").tolist()
    names = r.names_zh(b, "hans")
    return {
        "title": names,
        "link": [_POLICY_URL[pool.key[i]].format(n=7_000_000 + int(e[4:])) for i, e in zip(issuer, b.col("eid"))],
        "description": [f"{d}。现将《{n.split('《')[-1].split('》')[0]}》印发给你们，请认真贯彻执行。"
                        if "《" in n else f"{d}。" for d, n in zip(b.col("docno"), names)],
        "pubDate": fmt_rfc822(b.arr("date"), 9 * 3600 + b.arr("updated") % 28800),
        "guid": b.ids, "category": ["政策法规"] * b.n, "source": [pool.hans[i] for i in issuer],
    }


def sources() -> list[SourceSpec]:
    return [
        SourceSpec(PLATFORM, "instruments", "instrument", "sql", 0.14, REGIONS, "YQBH",
                   lambda n: f"GZYQ{n:08d}", render_instruments,
                   lambda out, dbs: SqliteTable(out, dbs, PLATFORM, "T_YQSB", YQSB, "YQBH"),
                   name_fields=("YQMC", "YWMC"), date_field="GZRQ", date_style="iso", phone_field="LXDH",
                   within_variants=(SCRIPT, ABBREV, TYPO, IDFORMAT)),
        SourceSpec(PLATFORM, "institutions", "org", "sql", 0.04, ORG_REGIONS, "JGBH",
                   lambda n: f"GZJG{n:06d}", render_institutions,
                   lambda out, dbs: SqliteTable(out, dbs, PLATFORM, "T_KYJG", KYJG, "JGBH"),
                   name_fields=("JGMC", "YWMC", "JGJC"), date_field="CLRQ", date_style="iso", phone_field="LXDH",
                   within_variants=(SCRIPT, ABBREV, TYPO, ENGLISH)),
        SourceSpec(PLATFORM, "achievements", "achievement", "sql", 0.05, REGIONS, "CGBH",
                   lambda n: f"GZCG{n:07d}", render_achievements,
                   lambda out, dbs: SqliteTable(out, dbs, PLATFORM, "T_KJCG", KJCG, "CGBH"),
                   name_fields=("CGMC",), date_field="DJRQ", date_style="iso", phone_field="LXDH",
                   within_variants=(SCRIPT, TYPO)),
        SourceSpec(PLATFORM, "patents", "patent", "xml", 0.09, REGIONS, "JLBH",
                   lambda n: f"GZZL{n:08d}", render_patents,
                   lambda out, dbs: XmlSink(out, f"{PLATFORM}/feeds/patents", root="ZLSJ", record="ZL",
                                            encoding="gb18030", label="GB18030"),
                   name_fields=("ZLMC",), date_field="SQRQ", date_style="cn",
                   within_variants=(SCRIPT, TYPO, IDFORMAT)),
        SourceSpec(PLATFORM, "policies", "policy", "rss", 0.035, {"GZ": 1.0}, "guid",
                   lambda n: f"GZZC-{n:07d}", render_policies,
                   lambda out, dbs: RssSink(out, f"{PLATFORM}/feeds/policies", channel={
                       "title": "广州市科技资源共享平台 — 政策法规", "link": "https://kjj.gz.gov.cn/",
                       "description": "广东省及广州市科技政策法规文件", "language": "zh-cn"},
                       attrs={"guid": {"isPermaLink": "false"}, "source": {"url": "https://kjj.gz.gov.cn/"}}),
                   name_fields=("title",), date_field="pubDate", date_style="rfc822",
                   within_variants=(TYPO, SCRIPT)),
    ]

