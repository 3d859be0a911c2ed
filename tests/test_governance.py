"""Governance (issue 20): tiers declared once, rules per audience, enforced at publication.

The field × audience test reads what each audience's own reader can read — its own serving store
(DuckDB file) and its own Hive database of views (through Spark) — after the real pipeline runs
(the session's ``runs`` fixture), and proves nothing above its tier is visible.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from bayres.jobs.publish import governance as gov
from bayres.jobs.run.cli import main
from bayres.jobs.run.config import REPO_ROOT
from bayres.schemas import classification as cls


@pytest.fixture(scope="module")
def rules():
    return gov.load_rules(allow_dev_key=True)


# ---------------------------------------------------------------- declaration and rules
def test_every_declared_and_mapped_field_has_a_tier():
    assert cls.check_declared() == []
    from bayres.jobs.run.config import load_sources

    by_file = {s["conf_path"]: s for s in load_sources(REPO_ROOT / "conf")}
    assert cls.check_sources(by_file) == []


def test_jurisdiction_from_region_then_platform():
    assert cls.jurisdiction_of("GZ") == "mainland"
    assert cls.jurisdiction_of("HK", "sz") == "hk"
    assert cls.jurisdiction_of(None, "mo") == "mo"
    assert cls.jurisdiction_of(None, None) is None


def test_masks():
    assert gov.mask_phone("+85291235678") == "+852 ****5678"
    assert gov.mask_phone("+8613812345678") == "+86 ****5678"
    assert gov.mask_email("chan.taiman@ust.hk") == "c***@ust.hk"
    assert gov.mask_name("陈大文") == "陈**"


def test_unknown_audience_and_untiered_field_are_refused(rules):
    with pytest.raises(gov.GovernanceError, match="unknown audience 'press'"):
        gov.apply_rows(rules, "press", [{"name": "x"}], ["name"])
    with pytest.raises(cls.UntieredField, match="'person_birth_date'"):
        gov.apply_rows(rules, "public", [{"person_birth_date": "1980-01-01"}], ["person_birth_date"])


def test_cross_border_needs_consent(rules):
    row = {"region": "SZ", "contact_phone": "+8613812345678", "contact_email": "li@szu.edu.cn"}
    cols = list(row)
    hk = gov.apply_rows(rules, "platform_hk", [row], cols)[0]
    assert hk["contact_phone"] is None and hk["contact_email"] is None
    gz = gov.apply_rows(rules, "platform_gz", [row], cols)[0]
    assert gz["contact_phone"] == "+86 ****5678" and gz["contact_email"] == "l***@szu.edu.cn"
    consented = gov.apply_rows(rules, "platform_hk", [{**row, "consent_cross_border": True}],
                               cols + ["consent_cross_border"])[0]
    assert consented["contact_phone"] == "+86 ****5678"
    # an HK person is shown (masked) to the mainland platforms: the rule is one-way, as declared
    hk_row = {"region": "HK", "contact_phone": "+85291235678"}
    assert gov.apply_rows(rules, "platform_sz", [hk_row], list(hk_row))[0]["contact_phone"] \
        == "+852 ****5678"


def test_a_frame_is_governed_exactly_as_its_rows(rules):
    """apply_rows (row by row: HBase's audience tables, exports) and apply_frame (column by column:
    the local serving stores) give every audience the values and counts of the rule's definition
    (Rules.action cell by cell) on random rows:
    regions of every jurisdiction, platform-only rows, consent both ways, nulls, dates, numbers,
    upper- and lower-case names of columns."""
    import random

    import pandas as pd

    rnd = random.Random(15)
    names = ["region", "src_platform", "consent_cross_border", "contact_phone", "contact_email",
             "contact_name", "person_orcid", "person_birth_date", "name_zh", "inst_value_cny"]
    names = [n for n in names if n in cls.FIELD_TIERS]
    assert {"region", "contact_phone", "consent_cross_border"} <= set(names)
    pools = {
        "region": ["GZ", "SZ", "HK", "MO", "hk", "", None],
        "src_platform": ["gz", "sz", "hk", "mo", "hk,sz", None],
        "consent_cross_border": [True, False, None],
        "contact_phone": ["+8613812345678", "+85291235678", "2345 6789", None],
        "contact_email": ["li@szu.edu.cn", "chan@ust.hk", "bad-address", None],
        "contact_name": ["陈大文", "Chan Tai Man", "李", None],
        "person_orcid": ["0000-0002-1825-0097", None],
        "person_birth_date": ["1980-01-02", None],
        "name_zh": ["深圳大学", "澳門大學", None],
        "inst_value_cny": [1250000.0, 3.5, None],
    }
    rows = [{n: rnd.choice(pools[n]) for n in names} for _ in range(400)]
    # the shipped rules generalise nothing: an audience that does, under the same cross-border rule
    import dataclasses

    rules = dataclasses.replace(rules, audiences={**rules.audiences, "researcher": gov.Audience(
        "researcher", "test", "hk", {"public": "show", "internal": "generalise",
                                     "personal": "generalise", "sensitive_personal": "mask"})})
    rules._key = gov.DEV_KEY.encode()
    total = {k: 0 for k in gov.COUNTED}
    for upper in (False, True):
        cols = [n.upper() for n in names] if upper else names
        frame = pd.DataFrame([{c: r[n] for c, n in zip(cols, names)} for r in rows], columns=cols)
        for audience in rules.audiences:
            # the rule's definition, cell by cell: Rules.action for the row's jurisdiction and consent
            by_cell = {k: 0 for k in gov.COUNTED}
            expected = []
            for r in frame.astype(object).where(frame.notna(), None).to_dict("records"):
                jur = cls.jurisdiction_of(r.get(cols[names.index("region")]),
                                          r.get(cols[names.index("src_platform")]))
                consent = bool(r.get(cols[names.index("consent_cross_border")]))
                row = {}
                for c, v in r.items():
                    act = rules.action(audience, c.lower(), jur, consent)
                    row[c] = v if v is None or act == "show" else gov.transform(rules, act, c.lower(), v)
                    if v is not None and act != "show":
                        by_cell["withheld" if row[c] is None else gov._COUNT_OF[act]] += 1
                expected.append(row)
            by_rows: dict = {}
            assert gov.apply_rows(rules, audience, frame.astype(object).where(frame.notna(), None)
                                  .to_dict("records"), cols, by_rows) == expected, audience
            assert by_rows == by_cell, audience
            by_frame: dict = {}
            got = gov.apply_frame(rules, audience, frame, by_frame)
            assert list(got.columns) == cols
            got_rows = got.astype(object).where(got.notna(), None).to_dict("records")
            assert got_rows == expected, audience
            assert by_frame == by_rows, audience
            total = {k: total[k] + by_rows[k] for k in gov.COUNTED}
    assert all(total.values()), total       # every action was exercised


def test_pseudonyms_are_keyed_and_stable(monkeypatch):
    monkeypatch.setenv("BAYRES_GOVERNANCE_KEY", "k1")
    r1 = gov.load_rules(allow_dev_key=False)
    a, b = r1.pseudonym("陈大文"), r1.pseudonym("陈大文")
    assert a == b and a.startswith("ps_") and "陈" not in a
    monkeypatch.setenv("BAYRES_GOVERNANCE_KEY", "k2")
    assert gov.load_rules(allow_dev_key=False).pseudonym("陈大文") != a
    monkeypatch.delenv("BAYRES_GOVERNANCE_KEY")
    monkeypatch.delenv("BAYRES_GOVERNANCE_KEY_FILE", raising=False)
    with pytest.raises(gov.GovernanceError, match="BAYRES_GOVERNANCE_KEY is not set"):
        gov.load_rules(allow_dev_key=False)


def _conf_copy(tmp_path: Path) -> Path:
    conf = tmp_path / "conf"
    shutil.copytree(REPO_ROOT / "conf", conf)
    return conf


def test_schema_check_names_an_untiered_mapped_field(tmp_path):
    conf = _conf_copy(tmp_path)
    ok = CliRunner().invoke(main, ["--conf", str(conf), "schema", "check"])
    assert ok.exit_code == 0, ok.output
    src = conf / "sources" / "hk_talent.yaml"
    data = yaml.safe_load(src.read_text("utf-8"))
    data["mapping"]["person_birth_date"] = "JOIN_DATE"
    src.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    bad = CliRunner().invoke(main, ["--conf", str(conf), "schema", "check"])
    assert bad.exit_code != 0
    assert "person_birth_date" in bad.output and "hk_talent.yaml" in bad.output


def test_rules_refuse_an_audience_without_every_tier(tmp_path):
    conf = _conf_copy(tmp_path)
    path = conf / "governance" / "rules.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    del data["audiences"]["public"]["tiers"]["sensitive_personal"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    with pytest.raises(Exception, match="public: no action for tiers \\['sensitive_personal'\\]"):
        gov.load_rules(conf)


# ---------------------------------------------------------------- enforced at publication
def test_field_by_audience_read_back(runs, local_profile, spark, rules):
    """Every field × audience, read from each audience's own serving store and Hive views."""
    first, _, second, _ = runs
    assert second["stages"]["publish"]["published"] is True
    # the serving store: each audience's own file, compared field by field with the full store
    result = gov.verify_serving(rules, local_profile.path("serving.path"),
                                local_profile.path("serving.audience_dir"))
    assert result["violations"] == 0, result["violation_details"]
    from bayres.schemas.derive_hbase import SERVING_TABLES

    serving_fields = {f.name for t in SERVING_TABLES for f in t.key + t.columns}
    assert result["fields_checked"] == len(serving_fields) * len(rules.audiences)

    # the sample has personal data of all three jurisdictions, and it was governed
    import duckdb

    with duckdb.connect(str(local_profile.path("serving.path")), read_only=True) as con:
        jurs = {cls.jurisdiction_of(r, None) for (r,) in con.execute(
            "SELECT DISTINCT REGION FROM BAYRES_RESOURCE WHERE CONTACT_PHONE IS NOT NULL "
            "OR CONTACT_EMAIL IS NOT NULL OR PERSON_NAME IS NOT NULL").fetchall()}
    assert jurs >= {"mainland", "hk", "mo"}
    per_aud = second["stages"]["publish"]["governance"]["per_audience"]
    assert per_aud["public"]["withheld"] > 0 and per_aud["steward"]["withheld"] == 0
    assert per_aud["platform_hk"]["masked"] > 0 and per_aud["analyst"]["pseudonymised"] > 0

    # Hive: each audience's database of views over the curated tables (lineage, quarantine too),
    # read through Spark; compared column by column with the base table (as multisets: the
    # quarantine has no key an audience without `internal` can see)
    db = local_profile.get("spark.hive_database")
    checked = 0
    for audience in rules.audiences:
        vdb = gov.view_database(db, audience)
        for table in HIVE_VIEWS:
            base = spark.table(f"{db}.{table}").toPandas()
            view = spark.table(f"{vdb}.{table}").toPandas()
            checked += check_view(rules, audience, table, base, view)
    assert checked > 0


HIVE_VIEWS = ("golden_resource", "resource_record", "record_lineage", "quarantine")


def _values(series):
    return sorted(str(v) for v in series if v is not None and v == v)


def check_view(rules, audience, table, base, view) -> int:
    """Column by column, what ``audience``'s view of ``table`` holds against the base table
    (as multisets: the quarantine has no key every audience sees); returns the columns checked."""
    aud = rules.audience(audience)
    assert len(base) == len(view) and list(base.columns) == list(view.columns), (audience, table)
    consent = base[rules.consent_field].fillna(False).astype(bool).tolist() \
        if rules.consent_field in base else [False] * len(base)
    for col in base.columns:
        tier = cls.tier_of(col)
        act = aud.tiers[tier]
        raw, pub = _values(base[col]), _values(view[col])
        if act == "show" and tier not in ("personal", "sensitive_personal"):
            assert raw == pub, (audience, table, col)
        elif act == "withhold":
            assert pub == [], (audience, table, col, pub[:3])
        elif act == "show":  # personal, shown: except mainland people across the border
            j = [cls.jurisdiction_of(r, p) for r, p in zip(
                base["region"] if "region" in base else [None] * len(base),
                base["src_platform"] if "src_platform" in base else [None] * len(base))]
            if aud.jurisdiction in ("hk", "mo"):
                hidden = set(_values(base[col][[x == "mainland" and not c for x, c in zip(j, consent)]]))
                shown = set(_values(base[col][[x != "mainland" or c for x, c in zip(j, consent)]]))
                assert not (set(pub) & (hidden - shown)), (audience, table, col)
            else:
                assert raw == pub, (audience, table, col)
        else:  # masked / pseudonymised / generalised: no original value is left
            assert not (set(pub) & set(raw)), (audience, table, col, sorted(set(pub) & set(raw))[:3])
    return len(base.columns)


@pytest.mark.servers
def test_hive_views_read_through_hiveserver2_per_audience(runs, local_profile, spark, rules):
    """Each audience's Hive views as HiveServer2 (Spark's Thrift server, over the metastore the
    pipeline wrote to) returns them to a PyHive connection of that audience's user — not only
    through the pipeline's own session — checked field by field against the base tables."""
    from tests import server_endpoints as ep

    ep.require("hiveserver2")
    hive = pytest.importorskip("pyhive.hive")
    uri = str(local_profile.get("spark.metastore_uri") or "")
    if uri.rstrip("/") != ep.HIVE_METASTORE_URI.rstrip("/"):
        pytest.skip(f"the suite's Spark metastore ({uri or 'embedded'}) is not HiveServer2's")
    import pandas as pd

    db = local_profile.get("spark.hive_database")
    checked = 0
    for audience in rules.audiences:
        conn = hive.connect(host=ep.HIVESERVER2_HOST, port=ep.HIVESERVER2_PORT, username=audience)
        try:
            cur = conn.cursor()
            for table in HIVE_VIEWS:
                cur.execute(f"SELECT * FROM {gov.view_database(db, audience)}.{table}")
                view = pd.DataFrame(cur.fetchall(), columns=[d[0].split(".")[-1] for d in cur.description])
                base = spark.table(f"{db}.{table}").toPandas()
                for col in base.columns:  # HiveServer2 returns dates as text
                    if base[col].map(lambda v: hasattr(v, "isoformat")).any():
                        base[col] = base[col].map(lambda v: v.isoformat() if hasattr(v, "isoformat") else v)
                checked += check_view(rules, audience, table, base, view)
        finally:
            conn.close()
    assert checked >= len(rules.audiences) * len(HIVE_VIEWS) * 5


def test_consent_parsed_both_ways_and_anything_else_flagged():
    from bayres.jobs.conform.calibration.contacts import parse_consent
    from bayres.jobs.conform.calibration.errors import CalibrationError

    assert [parse_consent(v) for v in ("是", "否", "Yes", "no", "Sim", "não", "1", "0", "", None)] == \
        [True, False, True, False, True, False, True, False, None, None]
    with pytest.raises(CalibrationError, match="not a yes/no consent flag"):
        parse_consent("maybe")


def test_a_golden_record_consents_only_if_every_merged_record_does():
    import duckdb

    from bayres.jobs.dedup.engine import DuckDBEngine
    from bayres.jobs.dedup.survivorship import Rules as SurvivorRules, carried_fields, golden_sql

    con = duckdb.connect()
    cols = carried_fields()
    rows = [("c1", "gz:a:1", "gz", True), ("c1", "sz:t:1", "sz", True),    # both consent
            ("c2", "gz:a:2", "gz", True), ("c2", "sz:t:2", "sz", None),    # one not asked
            ("c3", "sz:t:3", "sz", True), ("c4", "sz:t:4", "sz", None)]    # alone
    select = ", ".join(f"CAST(NULL AS VARCHAR) AS {c}" if c not in ("consent_cross_border", "updated_date")
                       else ("CAST(NULL AS DATE) AS updated_date" if c == "updated_date" else "x AS consent_cross_border")
                       for c in cols)
    con.execute(f"""CREATE TABLE members AS SELECT cl AS _cluster, rid AS record_id, plat AS src_platform,
        count(*) OVER (PARTITION BY cl) AS _size, {select}
        FROM (VALUES {', '.join(f"('{a}', '{b}', '{c}', {('NULL' if d is None else str(d).lower())})" for a, b, c, d in rows)})
        t(cl, rid, plat, x)""")
    sql = golden_sql(DuckDBEngine(), "members", SurvivorRules.from_dict({"default": ["gz", "sz", "hk", "mo"]}))
    got = dict(con.execute(f"SELECT _cluster, consent_cross_border FROM ({sql}) g").fetchall())
    assert got == {"c1": True, "c2": False, "c3": True, "c4": False}


def test_consent_from_the_generated_sources_decides_what_hk_and_mo_see(runs, local_profile, sample, rules):
    """The generator's sz talent pool carries 是/否/NULL; a mainland golden record's personal
    fields reach the Hong Kong and Macao platforms' stores (masked) exactly when every source
    record merged into it consented — expected here from the source database and the lineage."""
    import sqlite3

    import duckdb

    src = sqlite3.connect(sample / "sz" / "sz_platform.sqlite")
    consent = {str(i): c for i, c in src.execute("SELECT id, cross_border_consent FROM talent")}
    src.close()
    assert {"是", "否", None} <= set(consent.values())  # the generator emits both ways (and none)
    with duckdb.connect(str(local_profile.path("serving.path")), read_only=True) as con:
        full = {r[0]: r[1:] for r in con.execute(
            "SELECT CSTR_ID, REGION, SOURCE_PLATFORMS, CONTACT_PHONE, PERSON_NAME FROM BAYRES_RESOURCE").fetchall()}
        members: dict = {}
        for cstr, plat, source, rid in con.execute(
                "SELECT CSTR_ID, SRC_PLATFORM, SRC_SOURCE, SRC_RECORD_ID FROM BAYRES_LINEAGE").fetchall():
            members.setdefault(cstr, []).append((plat.lower(), source, rid))
    expected = {c: all(p == "sz" and s == "talent" and consent.get(r) == "是" for p, s, r in m)
                for c, m in members.items()}
    seen = {"consented": 0, "withheld": 0}
    for audience in ("platform_hk", "platform_mo"):
        path = local_profile.path("serving.audience_dir") / f"{audience}.duckdb"
        with duckdb.connect(str(path), read_only=True) as con:
            got = {r[0]: r[1:] for r in con.execute(
                "SELECT CSTR_ID, CONTACT_PHONE, PERSON_NAME FROM BAYRES_RESOURCE").fetchall()}
        for cstr, (region, platforms, phone, person) in full.items():
            if cls.jurisdiction_of(region, platforms) != "mainland" or person is None:
                continue
            g_phone, g_person = got[cstr]
            if expected.get(cstr):
                assert g_person is not None and "*" in g_person and g_person != person, (audience, cstr)
                assert phone is None or ("****" in g_phone and g_phone != phone), (audience, cstr)
                seen["consented"] += 1
            else:
                assert g_person is None and g_phone is None, (audience, cstr)
                seen["withheld"] += 1
    assert seen["consented"] > 0 and seen["withheld"] > 0, seen


def test_audit_and_governance_report(runs, local_profile):
    _, _, second, _ = runs
    audit = Path(second["stages"]["publish"]["governance"]["audit"])
    data = json.loads(audit.read_text("utf-8"))
    assert audit.parent.name == second["run_id"]
    assert {p["audience"] for p in data["publications"]} == set(gov.load_rules().audiences)
    assert any(e["kind"] == "review_queue" for e in data["exports"])
    out = CliRunner().invoke(main, ["governance", "report", "--json"],
                             env={"BAYRES_HOME": str(local_profile.path("reports.root").parent)})
    assert out.exit_code == 0, out.output
    rep = json.loads(out.output)
    assert len(rep["audiences"]) >= 5 and rep["violations"] == 0 and rep["fields_checked"] > 0
    assert rep["last_run"]["run_id"] == second["run_id"]
    assert "changes_since_last_run" in rep
