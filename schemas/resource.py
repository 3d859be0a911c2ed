"""The canonical S&T resource record — declared once, here.

Core metadata follows GB/T 30523-2014 (科技平台 资源核心元数据); identifiers follow GB/T 32843-2016
(CSTR).  Per-type field groups carry what instruments, institutions, talent, achievements/patents
and projects add.  Everything else — Spark schema, Hive/Phoenix/serving DDL, HBase table spec,
expectations — is derived from these declarations (see ``schemas/derive_*.py``).
"""
from __future__ import annotations

from .fields import Field, Table

#: GB/T 32843 CSTR form.  ASCII classes on purpose: ``\\w`` differs between Python and Java regex.
CSTR_PATTERN = r"^CSTR:[A-Za-z0-9]{5}\.[0-9]{2}\..+$"
ISO_CURRENCY = r"^[A-Z]{3}$"
E164 = r"^\+[1-9][0-9]{6,14}$"
EMAIL = r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$"
URL = r"^https?://[^\s]+$"

# ---------------------------------------------------------------- GB/T 30523 core metadata
CORE = (
    Field("record_id", mandatory=True, derived=True,
          description="Unique id of a source record: <platform>:<source>:<original id>"),
    Field("resource_type", mandatory=True, code_list="resource_type", pattern=r"^[0-9]{2}$",
          gbt30523="资源类别", obligation="M", description="Two-digit national resource-type code"),
    Field("name", mandatory=True, gbt30523="资源名称", obligation="M", description="Name as published (original script)"),
    Field("name_lang", code_list="language", description="Language/script of `name`"),
    Field("name_en", gbt30523="资源名称(英文)", obligation="O", description="English name as published"),
    Field("name_pt", description="Portuguese name as published (Macao)"),
    Field("description", gbt30523="资源描述", obligation="M"),
    Field("keywords", gbt30523="关键词", obligation="M",
          description="Semicolon-separated keywords (published, or extracted: see gbt_derived)"),
    Field("provider_org", gbt30523="资源提供者", obligation="M", description="Providing organisation as published"),
    Field("owner_org", gbt30523="资源所有者", obligation="O", description="Owning organisation as published"),
    Field("contact_name", gbt30523="联系人", obligation="O"),
    Field("contact_phone", pattern=E164, gbt30523="联系电话", obligation="O", description="E.164"),
    Field("contact_phone_raw", description="Phone as published"),
    Field("contact_email", pattern=EMAIL, gbt30523="电子邮件", obligation="O"),
    Field("created_date", type="date", gbt30523="资源生成日期", obligation="O"),
    Field("updated_date", type="date", gbt30523="资源更新日期", obligation="O",
          description="Last change of the record at its source, as published"),
    Field("metadata_date", type="date", gbt30523="元数据更新日期", obligation="M", derived=True,
          description="Date BayRes last wrote this metadata: the run date"),
    Field("language", code_list="language", gbt30523="语种", obligation="O"),
    Field("sharing_mode", code_list="sharing_mode", gbt30523="共享方式", obligation="O",
          obligation_by_type=(("02", "M"),)),
    Field("rights", gbt30523="使用权限", obligation="M",
          description="Use and sharing terms (published, or from the platform's declared sharing "
                      "policy and the record's sharing mode: see gbt_derived)"),
    Field("access_url", pattern=URL, gbt30523="在线访问地址", obligation="C",
          condition="sharing_mode != internal — required when the record is shared",
          description="Record URL (published, or from the source's record-URL pattern: see gbt_derived)"),
    Field("region", mandatory=True, code_list="region", gbt30523="所属区域", obligation="M",
          description="GBA city code of the resource"),
    Field("official_no", gbt30523="资源标识符(发布编号)", obligation="O",
          description="Official number it is published under: standard no. (标准编号), "
                      "document no. (发文字号), registration no."),
    Field("cstr", pattern=CSTR_PATTERN, gbt30523="资源标识符(来源CSTR)", obligation="O",
          description="CSTR identifier (GB/T 32843) published by the source, if any"),
    Field("consent_cross_border", type="boolean",
          description="The source record's consent to showing its personal data across the "
                      "border (conf/governance/rules.yaml); absent: no consent. A golden record "
                      "has it only if every record merged into it has"),
)

# ---------------------------------------------------------------- per-type groups
INSTRUMENT = (
    Field("inst_model", group="instrument", description="Model / specification (型号规格)"),
    Field("inst_manufacturer", group="instrument", description="Manufacturer (生产厂家)"),
    Field("inst_serial_no", group="instrument", description="Manufacturer serial number (出厂编号)"),
    Field("inst_original_value", type="double", group="instrument",
          description="Original value (原值) in the published currency"),
    Field("inst_currency", group="instrument", pattern=ISO_CURRENCY, description="ISO 4217"),
    Field("inst_value_cny", type="double", group="instrument",
          description="Original value calibrated to CNY at the rate of the record's date"),
    Field("inst_location", group="instrument", description="Where the instrument stands"),
    Field("inst_sharing_status", group="instrument", code_list="sharing_status"),
)
INSTITUTION = (
    Field("org_name_zh_hans", group="institution", description="Name in Simplified Chinese"),
    Field("org_name_zh_hant", group="institution", description="Name in Traditional Chinese"),
    Field("org_name_en", group="institution"),
    Field("org_name_pt", group="institution"),
    Field("org_type", group="institution", code_list="org_type"),
    Field("org_parent", group="institution", description="Parent organisation as published"),
    Field("org_address", group="institution"),
    Field("org_credit_code", group="institution", pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}$",
          description="Unified social credit code (mainland)"),
)
TALENT = (
    Field("person_name", group="talent"),
    Field("person_name_en", group="talent"),
    Field("person_affiliation", group="talent"),
    Field("person_field", group="talent", description="Research field"),
    Field("person_title", group="talent", description="Professional title"),
    Field("person_orcid", group="talent", pattern=r"^[0-9]{4}-[0-9]{4}-[0-9]{4}-[0-9]{3}[0-9X]$"),
)
ACHIEVEMENT = (
    Field("ach_patent_no", group="achievement", description="Patent / registration number, normalised"),
    Field("ach_kind", group="achievement", description="invention / utility / design / achievement"),
    Field("ach_holders", group="achievement", description="Holders, semicolon-separated"),
    Field("ach_application_date", type="date", group="achievement"),
    Field("ach_grant_date", type="date", group="achievement"),
)
PROJECT = (
    Field("proj_number", group="project", description="Grant / project number"),
    Field("proj_funder", group="project"),
    Field("proj_pi", group="project", description="Principal investigator"),
    Field("proj_amount", type="double", group="project", description="Amount in the published currency"),
    Field("proj_currency", group="project", pattern=ISO_CURRENCY),
    Field("proj_amount_cny", type="double", group="project", description="Amount calibrated to CNY"),
    Field("proj_start_date", type="date", group="project"),
    Field("proj_end_date", type="date", group="project"),
)
TYPE_GROUPS = {"instrument": INSTRUMENT, "institution": INSTITUTION, "talent": TALENT,
               "achievement": ACHIEVEMENT, "project": PROJECT}

# ---------------------------------------------------------------- provenance, matching, flags
PROVENANCE = (
    Field("src_platform", group="provenance", mandatory=True, code_list="platform", derived=True),
    Field("src_source", group="provenance", mandatory=True, derived=True),
    Field("src_record_id", group="provenance", mandatory=True, derived=True,
          description="The record's id in its source system"),
    Field("src_location", group="provenance", derived=True,
          description="Table/file and row or line the record came from"),
    Field("src_raw_path", group="provenance", derived=True, description="Raw-zone file it was read from"),
    Field("src_run_id", group="provenance", derived=True, description="Extraction run"),
)
MATCHING = (
    Field("name_key", group="matching", derived=True,
          description="Matching key of the name: NFKC, Simplified (OpenCC), aliases resolved"),
    Field("name_en_key", group="matching", derived=True, description="Normalised English name"),
    Field("owner_org_key", group="matching", derived=True, description="Matching key of the owner"),
    Field("gbt_derived", group="quality", derived=True,
          description="GB/T 30523 elements BayRes filled by a rule: element_field:rule;… "
                      "(keywords:jieba_tfidf(name,description), rights:policy(<policy>)+sharing_mode, "
                      "access_url:url_pattern, metadata_date:run)"),
    Field("field_flags", group="quality", derived=True,
          description="Optional fields that failed calibration: field:reason;…"),
)

RECORD_FIELDS = CORE + INSTRUMENT + INSTITUTION + TALENT + ACHIEVEMENT + PROJECT + PROVENANCE + MATCHING

GOLDEN_FIELDS = (
    Field("cstr_id", mandatory=True, pattern=CSTR_PATTERN, gbt30523="资源标识符", obligation="M",
          description="Stable CSTR identifier of the golden record"),
) + tuple(f for f in CORE + INSTRUMENT + INSTITUTION + TALENT + ACHIEVEMENT + PROJECT
          if f.name not in ("record_id", "contact_phone_raw")) + (
    Field("member_count", type="long", mandatory=True, group="lineage", derived=True,
          description="Source records merged into this golden record"),
    Field("source_platforms", group="lineage", derived=True,
          description="Platforms that publish it, comma-separated"),
    Field("survivor_record_id", group="lineage", derived=True,
          description="Source record the golden values were taken from"),
    Field("name_key", group="matching", derived=True),
    Field("field_sources", group="lineage", derived=True,
          description="Provenance per field: JSON object field -> record_id the value came from "
                      "(non-null fields only; rules in conf/linkage/survivorship.yaml)"),
    Field("gbt_derived", group="quality", derived=True,
          description="GB/T 30523 elements filled by a rule in the record their value came from "
                      "(field_sources): field:rule;…"),
    Field("gbt_missing", group="quality", derived=True,
          description="GB/T 30523 elements mandatory (M, or C with its condition met) for the "
                      "record's category that it lacks, ';'-separated; null = conformant"),
)

# ---------------------------------------------------------------- the tables
RUN_DATE = Field("run_date", type="date", mandatory=True, group="run", derived=True,
                 description="Logical date of the pipeline run (partition)")

RESOURCE_RECORD = Table(
    "resource_record", RECORD_FIELDS + (Field("cstr_id", pattern=CSTR_PATTERN, derived=True,
                                              description="Golden record it belongs to"),
                                        RUN_DATE),
    "Every accepted source record, standardised and calibrated, with provenance",
    key=("record_id",), partition_by=("run_date",))

GOLDEN_RESOURCE = Table(
    "golden_resource", GOLDEN_FIELDS + (RUN_DATE,),
    "One de-duplicated, calibrated record per real-world resource",
    key=("cstr_id",), partition_by=("run_date",))

RECORD_LINEAGE = Table(
    "record_lineage", (
        Field("record_id", mandatory=True, derived=True),
        Field("cstr_id", mandatory=True, pattern=CSTR_PATTERN, derived=True),
        Field("src_platform", mandatory=True, code_list="platform", derived=True),
        Field("match_rule", mandatory=True, derived=True, group="lineage",
              description="Why the record joined its cluster: singleton / strong_id / review "
                          "(a steward's match) / name_key / probabilistic (Splink)"),
        Field("is_survivor", type="boolean", mandatory=True, derived=True, group="lineage"),
        RUN_DATE),
    "Merge edges: which source records make up each golden record",
    key=("record_id",), partition_by=("run_date",))

#: golden identifiers over time (jobs/dedup/id_registry.py): one row per id the run kept, issued or retired
CSTR_CHANGE = Table(
    "cstr_change", (
        Field("cstr_id", mandatory=True, pattern=CSTR_PATTERN, derived=True),
        Field("change", mandatory=True, derived=True, group="lineage",
              description="new / kept / split (issued for a part split off related_cstr_id) / "
                          "merged (retired into related_cstr_id) / retired (no records left)"),
        Field("related_cstr_id", pattern=CSTR_PATTERN, derived=True, group="lineage",
              description="split: the id it split from; merged: the id that carries on"),
        Field("resource_type", mandatory=True, derived=True, group="lineage"),
        Field("members_before", type="long", mandatory=True, derived=True, group="lineage",
              description="Records under this id in the previous run (0 for a new id)"),
        Field("members_after", type="long", mandatory=True, derived=True, group="lineage",
              description="Records under this id in this run (0 when retired or merged)"),
        RUN_DATE),
    "Every change of golden identifiers per run: kept, new, split, merged, retired",
    key=("cstr_id",), partition_by=("run_date",))

#: the identifier registry, a lake-only snapshot per run date (not a Hive table):
#: which record carried which id, and every id ever issued with its status
REGISTRY_MEMBER = Table(
    "cstr_registry_member", (
        Field("record_id", mandatory=True, derived=True),
        Field("cstr_id", mandatory=True, pattern=CSTR_PATTERN, derived=True)),
    "Registry snapshot: the golden id of every record", key=("record_id",))
REGISTRY_ID = Table(
    "cstr_registry_id", (
        Field("cstr_id", mandatory=True, pattern=CSTR_PATTERN, derived=True),
        Field("resource_type", mandatory=True, derived=True),
        Field("status", mandatory=True, derived=True, description="active / retired"),
        Field("successor_id", pattern=CSTR_PATTERN, derived=True,
              description="Merged ids: the id that carries on"),
        Field("first_run_date", type="date", mandatory=True, derived=True),
        Field("last_run_date", type="date", mandatory=True, derived=True,
              description="Last run it was active in"),
        Field("members", type="long", mandatory=True, derived=True)),
    "Registry snapshot: every golden id ever issued", key=("cstr_id",))

QUARANTINE = Table(
    "quarantine", (
        Field("run_id", mandatory=True, derived=True),
        Field("src_platform", mandatory=True, derived=True),
        Field("src_source", mandatory=True, derived=True),
        Field("src_record_id", derived=True),
        Field("src_location", mandatory=True, derived=True),
        Field("stage", mandatory=True, derived=True,
              description="Stage that refused it: extract / standardize / calibrate"),
        Field("field", derived=True, description="Field that failed, if one did"),
        Field("reason", mandatory=True, derived=True),
        Field("payload", derived=True, description="The raw record as JSON"),
        RUN_DATE),
    "Records refused by standardisation/calibration, with the reason; nothing is dropped silently",
    key=("src_platform", "src_source", "src_location"), partition_by=("run_date",))

QUALITY_SCORE = Table(
    "quality_score", (
        Field("run_id", mandatory=True, derived=True),
        Field("src_platform", mandatory=True, derived=True),
        Field("records", type="long", mandatory=True, derived=True),
        Field("completeness", type="double", mandatory=True, derived=True),
        Field("validity", type="double", mandatory=True, derived=True),
        Field("uniqueness", type="double", mandatory=True, derived=True),
        Field("timeliness", type="double", mandatory=True, derived=True),
        Field("score", type="double", mandatory=True, derived=True),
        RUN_DATE),
    "Per-platform data-quality scores per run, kept over time",
    key=("run_id", "src_platform"), partition_by=("run_date",))

TABLES = (RESOURCE_RECORD, GOLDEN_RESOURCE, RECORD_LINEAGE, QUARANTINE, QUALITY_SCORE)
TABLES_BY_NAME = {t.name: t for t in TABLES}

# ---------------------------------------------------------------- operations: runs over time
RUN_STAGE = Table(
    "run_stage", (
        Field("run_id", mandatory=True, derived=True),
        Field("profile", mandatory=True, derived=True, description="local / cluster"),
        Field("stage", mandatory=True, derived=True,
              description="extract / conform / dedup / load / quality / publish"),
        Field("started_at", derived=True, description="UTC, ISO-8601"),
        Field("seconds", type="double", derived=True),
        Field("status", mandatory=True, derived=True,
              description="running / ok / failed (running: written while the run works, replaced at its end)"),
        Field("error", derived=True, description="Exception of a failed stage"),
        RUN_DATE),
    "Every stage of every run: when, how long, ok or failed and why",
    # one partition per run: a run replaces its own rows and no other's
    key=("run_id", "stage"), partition_by=("run_date", "run_id"))

PLATFORM_ASSESSMENT = Table(
    "platform_assessment", (
        Field("run_id", mandatory=True, derived=True),
        Field("src_platform", mandatory=True, derived=True),
        Field("sources", type="long", mandatory=True, derived=True,
              description="Sources configured for the platform"),
        Field("sources_delivered", type="long", mandatory=True, derived=True,
              description="Sources whose extraction landed with no unreadable file"),
        Field("extracted", type="long", mandatory=True, derived=True),
        Field("standardized", type="long", mandatory=True, derived=True),
        Field("quarantined", type="long", mandatory=True, derived=True),
        Field("files_quarantined", type="long", mandatory=True, derived=True),
        Field("failure_rate", type="double", derived=True,
              description="quarantined / extracted (null when nothing was extracted)"),
        Field("service_quality", type="double", derived=True,
              description="Measured from the service logs: availability x (1 - error_rate); "
                          "sources_delivered / sources when the run collected no logs"),
        Field("availability", type="double", derived=True,
              description="Service logs: minutes of the day the uptime probe was answered without a 5xx / 1440"),
        Field("service_failure_rate", type="double", derived=True,
              description="Service logs: 1 - availability (the platform's failure rate)"),
        Field("error_rate", type="double", derived=True,
              description="Service logs: user requests answered 5xx / user requests"),
        Field("latency_p95_ms", type="double", derived=True,
              description="Service logs: 95th percentile of the request latency (ms)"),
        Field("satisfaction", type="double", derived=True,
              description="Service logs: mean user rating on a 1-5 scale"),
        Field("quality_score", type="double", derived=True,
              description="Data quality: quality_score.score of the run"),
        Field("gbt30523_conformance", type="double", derived=True,
              description="Share of the platform's golden records (by survivor record) carrying "
                          "every mandatory GB/T 30523 element"),
        Field("published", type="boolean", derived=True,
              description="The run published its golden records (null: publish did not run)"),
        Field("stages_failed", type="long", mandatory=True, derived=True,
              description="Stages of the run that failed"),
        RUN_DATE),
    "Platform performance assessment per run (failure rate, service quality, data quality)",
    # one partition per run, as run_stage
    key=("run_id", "src_platform"), partition_by=("run_date", "run_id"))

TABLES = TABLES + (RUN_STAGE, PLATFORM_ASSESSMENT)
TABLES_BY_NAME = {t.name: t for t in TABLES}

TABLES = TABLES + (CSTR_CHANGE,)
TABLES_BY_NAME = {t.name: t for t in TABLES}

# ---------------------------------------------------------------- governance: the publication audit
GOVERNANCE_PUBLICATION = Table(
    "governance_publication", (
        Field("run_id", mandatory=True, derived=True),
        Field("audience", mandatory=True, derived=True,
              description="Governance audience (conf/governance/rules.yaml)"),
        Field("target", mandatory=True, derived=True, description="serving / hive / export"),
        Field("published_table", mandatory=True, derived=True),
        Field("location", derived=True, description="Store, database or file it went to"),
        Field("rows", type="long", mandatory=True, derived=True),
        Field("rule_version", mandatory=True, derived=True),
        Field("published_at", derived=True, description="UTC, ISO-8601"),
        Field("masked", type="long", mandatory=True, derived=True),
        Field("pseudonymised", type="long", mandatory=True, derived=True),
        Field("generalised", type="long", mandatory=True, derived=True),
        Field("withheld", type="long", mandatory=True, derived=True),
        RUN_DATE),
    "What each publication gave each audience, under which governance rule version",
    key=("run_id", "audience", "target", "published_table"), partition_by=("run_date", "run_id"))

TABLES = TABLES + (GOVERNANCE_PUBLICATION,)
TABLES_BY_NAME = {t.name: t for t in TABLES}
