"""Hong Kong platform (香港): UPPER_CASE English columns, Traditional Chinese and English side by
side, HKD written "HK$1,234,000", DD/MM/YYYY dates, 8-digit +852 numbers ("2358 6000");
projects come as an Excel workbook with a sheet per funding channel, talent as a Big5-HKSCS
fixed-width text file, events as RSS 2.0.
"""
from __future__ import annotations

from . import catalogue as cat
from . import rendering as r
from .conventions import fmt_dates, fmt_rfc822
from .entities import VENUES
from .feeds import FixedWidthSink, RssSink, XlsxSink
from .spec import Batch, SourceSpec
from .sqlite_db import SqliteTable
from .variants import ABBREV, ENGLISH, IDFORMAT, SCRIPT, TYPO

PLATFORM = "hk"
STATUS = {"in_service": "Open for booking", "maintenance": "Under maintenance", "suspended": "Suspended",
          "retired": "Decommissioned"}
MODE = {"open": "Open to external users", "conditional": "By arrangement", "internal": "Internal use only"}
ORG_TYPE = {"university": "University", "research_institute": "Research Institute", "laboratory": "Laboratory",
            "large_facility": "Major Research Facility", "innovation_platform": "Science Park / Innovation Platform",
            "enterprise": "Company", "government": "Government Department", "hospital": "Hospital",
            "other": "Statutory Body"}
CATEGORY = {"03": "Research Base", "04": "Research Institution"}

# ------------------------------------------------------------------------------ EQUIPMENT
EQUIPMENT = (("EQUIPMENT_ID", "VARCHAR(20)"), ("EQUIPMENT_NAME_TC", "VARCHAR(200)"),
             ("EQUIPMENT_NAME_EN", "VARCHAR(200)"), ("MODEL_NO", "VARCHAR(100)"), ("MANUFACTURER", "VARCHAR(100)"),
             ("SERIAL_NO", "VARCHAR(40)"), ("ORIGINAL_COST", "VARCHAR(30)"), ("ACQUISITION_DATE", "VARCHAR(10)"),
             ("INSTITUTION_EN", "VARCHAR(200)"), ("INSTITUTION_TC", "VARCHAR(200)"), ("LOCATION", "VARCHAR(300)"),
             ("CITY", "VARCHAR(30)"), ("BOOKING_STATUS", "VARCHAR(30)"), ("ACCESS_MODE", "VARCHAR(30)"),
             ("CONTACT_NAME", "VARCHAR(100)"), ("CONTACT_TEL", "VARCHAR(30)"), ("CONTACT_EMAIL", "VARCHAR(100)"),
             ("LAST_UPDATED", "DATETIME"), ("DESCRIPTION", "TEXT"))


def render_equipment(b: Batch) -> dict[str, list]:
    owner = b.arr("owner")
    amt, cur = r.amounts(b, "HKD", keep_share=0.5)
    out = {
        "EQUIPMENT_ID": b.ids, "EQUIPMENT_NAME_TC": r.names_zh(b, "hant"), "EQUIPMENT_NAME_EN": r.names_en(b),
        "MODEL_NO": b.col("model"), "MANUFACTURER": b.col("maker"), "SERIAL_NO": r.serials(b),
        "ORIGINAL_COST": r.money_texts(amt, cur, "symbol", "code", b.var),
        "ACQUISITION_DATE": r.dates(b, "date", "dmy"), "INSTITUTION_EN": r.org_refs(b, owner, "en"),
        "INSTITUTION_TC": r.org_refs(b, owner, "hant"), "LOCATION": b.col("loc_en"),
        "CITY": r.region_labels(b, "en"), "BOOKING_STATUS": [STATUS[s] for s in b.col("status")],
        "ACCESS_MODE": [MODE[m] for m in b.col("mode")],
        "CONTACT_NAME": r.person_names_en(b, "contact_sur", "contact_given", "contact_style"),
        "CONTACT_TEL": r.phones(b, "852"), "CONTACT_EMAIL": b.col("email"), "LAST_UPDATED": r.updated(b),
    }
    # the description (GB/T 30523 资源描述), in the platform's words, from the published values
    out["DESCRIPTION"] = r.describe(
        out, b.ids, (("", "EQUIPMENT_NAME_EN"), ("model ", "MODEL_NO"), ("manufactured by ", "MANUFACTURER"), ("located at ", "LOCATION")),
        ", ", ".")
    return out


# ------------------------------------------------------------------------------ ORGANISATION
ORGANISATION = (("ORG_ID", "VARCHAR(12)"), ("ORG_NAME_EN", "VARCHAR(300)"), ("ORG_NAME_TC", "VARCHAR(200)"),
                ("ORG_ABBR", "VARCHAR(50)"), ("ORG_TYPE", "VARCHAR(40)"), ("CATEGORY", "VARCHAR(40)"),
                ("PARENT_ORG", "VARCHAR(300)"), ("ADDRESS_EN", "VARCHAR(300)"), ("ADDRESS_TC", "VARCHAR(300)"),
                ("CITY", "VARCHAR(30)"), ("TEL", "VARCHAR(30)"), ("WEBSITE", "VARCHAR(200)"), ("BR_NO", "VARCHAR(8)"),
                ("ESTABLISHED", "VARCHAR(10)"), ("LAST_UPDATED", "DATETIME"), ("PROFILE", "TEXT"))


def render_organisations(b: Batch) -> dict[str, list]:
    out = {
        "ORG_ID": b.ids, "ORG_NAME_EN": r.names_en(b), "ORG_NAME_TC": r.names_zh(b, "hant", en_allowed=True),
        "ORG_ABBR": b.col("abbr"), "ORG_TYPE": [ORG_TYPE[t] for t in b.col("type")],
        "CATEGORY": [CATEGORY[t] for t in b.col("rtype")], "PARENT_ORG": r.org_refs(b, b.arr("parent_idx"), "en", 0.0),
        "ADDRESS_EN": b.col("addr_en"), "ADDRESS_TC": [cat.to_hant(a) for a in b.col("addr")],
        "CITY": r.region_labels(b, "en"), "TEL": r.phones(b, "852"), "WEBSITE": b.col("web"),
        "BR_NO": b.col("br_no"), "ESTABLISHED": r.dates(b, "date", "dmy"), "LAST_UPDATED": r.updated(b),
    }
    # the description (GB/T 30523 资源描述), in the platform's words, from the published values
    out["PROFILE"] = r.describe(
        out, b.ids, (("", "ORG_NAME_EN"), ("", "ORG_TYPE"), ("", "CATEGORY"), ("address: ", "ADDRESS_EN")),
        ", ", ".")
    return out


# ------------------------------------------------------------------------------ projects workbook
PROJECT_FIELDS = ("_sheet", "Record ID", "Project Reference", "Project Title", "Project Title (Chinese)",
                  "Lead Institution", "Project Coordinator", "Funding Body", "Approved Amount (HK$)",
                  "Commencement Date", "Completion Date", "Region", "Project Summary")
SHEETS = ("ITF", "RGC", "Joint Schemes")


def _sheet(funder: str, scheme: str) -> str:
    if funder == "RGC":
        return "RGC"
    if funder == "ITC" and scheme in ("ITS", "ITP"):
        return "ITF"
    return "Joint Schemes"


def render_projects(b: Batch) -> dict[str, list]:
    amount = r.converted(b, "HKD").tolist()
    out = {
        "_sheet": [_sheet(f, s) for f, s in zip(b.col("funder_key"), b.col("scheme"))],
        "Record ID": b.ids, "Project Reference": r.grants(b), "Project Title": b.col("name_en"),
        "Project Title (Chinese)": r.names_zh(b, "hant"), "Lead Institution": r.org_refs(b, b.arr("host"), "en"),
        "Project Coordinator": r.person_names_en(b, "pi_sur", "pi_given", "pi_style"),
        "Funding Body": r.org_refs(b, b.arr("funder"), "en", 0.3), "Approved Amount (HK$)": amount,
        "Commencement Date": b.arr("date").tolist(), "Completion Date": b.arr("end").tolist(),
        "Region": r.region_labels(b, "en"),
    }    # the description (GB/T 30523 资源描述), in the platform's words, from the published values
    out["Project Summary"] = r.describe(
        out, b.ids, (("", "Project Title"), ("led by ", "Lead Institution"), ("funded by ", "Funding Body")),
        ", ", ".")
    return out


# ------------------------------------------------------------------------------ talent fixed-width
TALENT_LAYOUT = [("STAFF_NO", 0, 10), ("NAME_TC", 10, 18), ("NAME_EN", 18, 48), ("TITLE", 48, 78),
                 ("INSTITUTION", 78, 178), ("FIELD_TC", 178, 198), ("ORCID", 198, 218), ("EMAIL", 218, 268),
                 ("TEL", 268, 288), ("CITY", 288, 308), ("JOIN_DATE", 308, 318),
                 ("PROFILE", 318, 518)]


def render_talent(b: Batch) -> dict[str, list]:
    titles = cat.TITLES_HK
    out = {
        "STAFF_NO": b.ids, "NAME_TC": r.names_zh(b, "hant", keep_original=False),
        "NAME_EN": r.person_names_en(b, "sur", "given", "style"),
        "TITLE": [titles[t % len(titles)][1] for t in b.col("title")],
        "INSTITUTION": r.org_refs(b, b.arr("affiliation"), "en"), "FIELD_TC": r.field_names(b, "hant"),
        "ORCID": r.styled_ids(b.col("orcid"), b.var, r.ORCID_STYLES, "plain", ("nodash",), b.rng),
        "EMAIL": b.col("email"), "TEL": r.phones(b, "852"), "CITY": r.region_labels(b, "en"),
        "JOIN_DATE": r.dates(b, "date", "dmy"),
    }    # the description (GB/T 30523 资源描述), in the platform's words, from the published values
    out["PROFILE"] = r.describe(
        out, b.ids, (("", "TITLE"), ("", "INSTITUTION"), ("研究領域 ", "FIELD_TC")),
        ", ", "")
    return out


# ------------------------------------------------------------------------------ events RSS
EVENT_FIELDS = ("title", "link", "description", "pubDate", "guid", "category")


def render_events(b: Batch) -> dict[str, list]:
    pool = b.world.orgs
    org = b.arr("organiser").tolist()
    tc = r.names_zh(b, "hant")
    when = fmt_dates(b.arr("when"), "dmy")
    venue = [VENUES[v] for v in b.col("venue")]
    return {
        "title": [f"{t} | {e}" for t, e in zip(tc, b.col("name_en"))],
        "link": [f"{pool.web[o].rstrip('/')}/events/{i.lower()}" for o, i in zip(org, b.ids)],
        "description": [f"日期 Date: {w}；地點 Venue: {v[0]} {v[1]}；主辦 Organiser: {pool.hant[o]} {pool.en[o]}"
                        for w, v, o in zip(when, venue, org)],
        "pubDate": fmt_rfc822(b.arr("date"), 10 * 3600 + b.arr("updated") % 25200),
        "guid": b.ids, "category": ["Event 活動"] * b.n,
    }


def sources() -> list[SourceSpec]:
    return [
        SourceSpec(PLATFORM, "equipment", "instrument", "sql", 0.06, {"HK": 1.0}, "EQUIPMENT_ID",
                   lambda n: f"HK-EQ-{n:06d}", render_equipment,
                   lambda out, dbs: SqliteTable(out, dbs, PLATFORM, "EQUIPMENT", EQUIPMENT, "EQUIPMENT_ID"),
                   name_fields=("EQUIPMENT_NAME_TC", "EQUIPMENT_NAME_EN"), date_field="ACQUISITION_DATE",
                   date_style="dmy", phone_field="CONTACT_TEL", within_variants=(SCRIPT, ABBREV, TYPO, IDFORMAT)),
        SourceSpec(PLATFORM, "organisations", "org", "sql", 0.015, {"HK": 1.0}, "ORG_ID",
                   lambda n: f"ORG{n:06d}", render_organisations,
                   lambda out, dbs: SqliteTable(out, dbs, PLATFORM, "ORGANISATION", ORGANISATION, "ORG_ID"),
                   name_fields=("ORG_NAME_EN", "ORG_NAME_TC", "ORG_ABBR"), date_field="ESTABLISHED",
                   date_style="dmy", phone_field="TEL", within_variants=(SCRIPT, ABBREV, TYPO, ENGLISH)),
        SourceSpec(PLATFORM, "projects", "project", "xlsx", 0.05, {"HK": 1.0}, "Record ID",
                   lambda n: f"HKP{n:06d}", render_projects,
                   lambda out, dbs: XlsxSink(out, f"{PLATFORM}/feeds/projects", list(SHEETS),
                                             ("Commencement Date", "Completion Date"),
                                             serial_sheets=("Joint Schemes",)),
                   name_fields=("Project Title", "Project Title (Chinese)"), date_field="Commencement Date",
                   date_style="excel", within_variants=(SCRIPT, TYPO, IDFORMAT)),
        SourceSpec(PLATFORM, "talent", "talent", "txt", 0.04, {"HK": 1.0}, "STAFF_NO", lambda n: f"T{n:07d}",
                   render_talent,
                   lambda out, dbs: FixedWidthSink(out, f"{PLATFORM}/feeds/talent", TALENT_LAYOUT,
                                                   encoding="big5hkscs"),
                   name_fields=("NAME_TC", "NAME_EN"), date_field="JOIN_DATE", date_style="dmy",
                   phone_field="TEL", broken_rows=True, within_variants=(TYPO, IDFORMAT)),
        SourceSpec(PLATFORM, "events", "event", "rss", 0.025, {"HK": 1.0}, "guid", lambda n: f"HKEV{n:07d}",
                   render_events,
                   lambda out, dbs: RssSink(out, f"{PLATFORM}/feeds/events", channel={
                       "title": "GBA S&T Sharing Platform (Hong Kong) — Events 活動",
                       "link": "https://www.hkstp.org/", "description": "S&T exchange events in Hong Kong",
                       "language": "zh-hk"}, attrs={"guid": {"isPermaLink": "false"}}),
                   name_fields=("title",), date_field="pubDate", date_style="rfc822",
                   within_variants=(TYPO,)),
    ]
