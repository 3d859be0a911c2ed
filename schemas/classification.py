"""Data classification, declared once: the tier of every field, and the law governing personal data.

Every field of the canonical record (schemas/resource.py) and of every published table — Hive
tables, serving tables — carries one of :data:`TIERS`, lowest first.  Rules per audience × tier
live in ``conf/governance/rules.yaml`` (jobs/publish/governance.py applies them); this module only says
*what* a field is.  A field with no tier is refused everywhere (``bayres schema check`` names it,
publication raises :class:`UntieredField`): nothing is shown by default.

``FIELD_KIND`` says how a masked value of a field is written (phone, e-mail, name, date …), so one
rule ("personal → masked") gives ``+852 ****5678`` for a phone and ``c***@ust.hk`` for an e-mail.

Personal data is governed by the jurisdiction of the record: its ``region`` (GBA city code) when
known, else its source platform — mainland cities: PIPL; Hong Kong: PDPO; Macao: Lei 8/2005.
"""
from __future__ import annotations

#: lowest first: an audience cleared for a tier sees every tier below it
TIERS = ("public", "internal", "personal", "sensitive_personal")

#: record ids (``<platform>:<source>:<id in the source>``) are public — they are the lineage the
#: portal shows — so the source's own id (src_record_id) and what is made of record ids are too
_PUBLIC = """
record_id resource_type name name_lang name_en name_pt description keywords provider_org owner_org
created_date updated_date language sharing_mode rights access_url region official_no cstr cstr_id
inst_model inst_manufacturer inst_original_value inst_currency inst_value_cny inst_location
inst_sharing_status
org_name_zh_hans org_name_zh_hant org_name_en org_name_pt org_type org_parent org_address
org_credit_code
person_affiliation person_field person_title
ach_patent_no ach_kind ach_holders ach_application_date ach_grant_date
proj_number proj_funder proj_amount proj_currency proj_amount_cny proj_start_date proj_end_date
member_count source_platforms run_date bucket recency src_platform src_source
resource_type_count match_rule is_survivor
src_record_id survivor_record_id field_sources
metadata_date gbt_derived
"""
_INTERNAL = """
inst_serial_no src_location src_raw_path src_run_id name_key name_en_key
owner_org_key field_flags change related_cstr_id members_before
members_after status successor_id first_run_date last_run_date members run_id stage field reason
records completeness validity uniqueness timeliness score profile started_at seconds error
sources sources_delivered extracted standardized quarantined files_quarantined failure_rate
service_quality quality_score published stages_failed match_probability same_cluster decision reviewer
decided_at
audience target published_table location rows rule_version published_at masked pseudonymised
generalised withheld consent_cross_border
availability service_failure_rate error_rate latency_p95_ms satisfaction gbt_missing
gbt30523_conformance
"""
#: identify a natural person (talent records, contacts, principal investigators)
_PERSONAL = """
contact_name contact_phone contact_email person_name person_name_en person_orcid proj_pi
"""
#: raw copies (the phone as published, the raw source record): may carry anything of the source
_SENSITIVE = """
contact_phone_raw payload
"""

FIELD_TIERS: dict[str, str] = {}
for _tier, _names in (("public", _PUBLIC), ("internal", _INTERNAL), ("personal", _PERSONAL),
                      ("sensitive_personal", _SENSITIVE)):
    for _n in _names.split():
        if _n in FIELD_TIERS:
            raise ValueError(f"field {_n}: classified twice ({FIELD_TIERS[_n]}, {_tier})")
        FIELD_TIERS[_n] = _tier

#: how a masked value is written (jobs/publish/governance.mask)
FIELD_KIND = {
    "contact_phone": "phone", "contact_phone_raw": "phone",
    "contact_email": "email",
    "contact_name": "name", "person_name": "name", "person_name_en": "name", "proj_pi": "name",
    "person_orcid": "identifier", "payload": "opaque",
}

#: jurisdiction codes, their law, and where they apply
JURISDICTIONS = {
    "mainland": "PIPL (Personal Information Protection Law of the PRC)",
    "hk": "PDPO (Personal Data (Privacy) Ordinance, Cap. 486)",
    "mo": "Lei 8/2005 (Lei da Protecção de Dados Pessoais)",
}
_REGION_JURISDICTION = {"HK": "hk", "MO": "mo"}  # every other GBA city code: mainland
_PLATFORM_JURISDICTION = {"gz": "mainland", "sz": "mainland", "hk": "hk", "mo": "mo"}


class UntieredField(ValueError):
    """A field that has no classification tier: refused, never published by default."""


def tier_of(field: str, where: str = "") -> str:
    """The tier of ``field``; raises :class:`UntieredField` naming it (and ``where``) if none."""
    try:
        return FIELD_TIERS[field]
    except KeyError:
        raise UntieredField(f"{where + ': ' if where else ''}field {field!r} has no classification "
                            "tier (declare it in schemas/classification.py)") from None


def is_personal(field: str) -> bool:
    return tier_of(field) in ("personal", "sensitive_personal")


def jurisdiction_of(region: str | None = None, platform: str | None = None) -> str | None:
    """The jurisdiction governing a record's personal data: from its region code, else its
    source platform (``gz``/``sz`` mainland, ``hk``, ``mo``); None if neither is known."""
    if region:
        return _REGION_JURISDICTION.get(str(region).upper(), "mainland")
    if platform:
        return _PLATFORM_JURISDICTION.get(str(platform).split(",")[0].strip().lower())
    return None


def untiered(names) -> list[str]:
    """The names among ``names`` with no tier, sorted."""
    return sorted({n for n in names if n not in FIELD_TIERS})


def check_declared() -> list[str]:
    """Fields of the declared tables (Hive and serving) with no tier."""
    from .derive_hbase import SERVING_TABLES
    from .resource import REGISTRY_ID, REGISTRY_MEMBER, RESOURCE_RECORD, TABLES

    names = [f.name for t in TABLES + (REGISTRY_ID, REGISTRY_MEMBER, RESOURCE_RECORD)
             for f in t.fields]
    names += [f.name for t in SERVING_TABLES for f in t.key + t.columns]
    return untiered(names)


def check_sources(sources: dict) -> list[str]:
    """``<source file>: field 'x' has no classification tier`` for every target a source
    mapping (mapping, constants, splits, extracts) fills that has no tier; ``sources``: file name
    -> the source's YAML."""
    problems = []
    for name, src in sources.items():
        targets = (list(src.get("mapping") or {}) + list(src.get("constants") or {})
                   + [t for spec in (src.get("splits") or {}).values() for t in spec.get("fields", ())]
                   + list(src.get("extracts") or {}))
        for f in untiered(targets):
            problems.append(f"{name}: field {f!r} has no classification tier")
    return problems
