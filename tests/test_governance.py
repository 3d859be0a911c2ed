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

from bayres.jobs import governance as gov
from bayres.jobs.cli import main
from bayres.jobs.config import REPO_ROOT
from bayres.schemas import classification as cls


@pytest.fixture(scope="module")
def rules():
    return gov.load_rules(allow_dev_key=True)


# ---------------------------------------------------------------- declaration and rules
def test_every_declared_and_mapped_field_has_a_tier():
    assert cls.check_declared() == []
    from bayres.jobs.config import load_sources

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

    def values(series):
        return sorted(str(v) for v in series if v is not None and v == v)

    for audience in rules.audiences:
        aud = rules.audience(audience)
        vdb = gov.view_database(db, audience)
        for table in ("golden_resource", "resource_record", "record_lineage", "quarantine"):
            base = spark.table(f"{db}.{table}").toPandas()
            view = spark.table(f"{vdb}.{table}").toPandas()
            assert len(base) == len(view) and list(base.columns) == list(view.columns)
            for col in base.columns:
                checked += 1
                tier = cls.tier_of(col)
                act = aud.tiers[tier]
                raw, pub = values(base[col]), values(view[col])
                if act == "show" and tier not in ("personal", "sensitive_personal"):
                    assert raw == pub, (audience, table, col)
                elif act == "withhold":
                    assert pub == [], (audience, table, col, pub[:3])
                elif act == "show":  # personal, shown: except mainland people across the border
                    j = [cls.jurisdiction_of(r, p) for r, p in zip(
                        base["region"] if "region" in base else [None] * len(base),
                        base["src_platform"] if "src_platform" in base else [None] * len(base))]
                    if aud.jurisdiction in ("hk", "mo"):
                        hidden = set(values(base[col][[x == "mainland" for x in j]]))
                        shown = set(values(base[col][[x != "mainland" for x in j]]))
                        assert not (set(pub) & (hidden - shown)), (audience, table, col)
                    else:
                        assert raw == pub, (audience, table, col)
                else:  # masked / pseudonymised / generalised: no original value is left
                    assert not (set(pub) & set(raw)), (audience, table, col, sorted(set(pub) & set(raw))[:3])
    assert checked > 0


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
