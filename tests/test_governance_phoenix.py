"""Governance on the cluster's serving store (issue 20): every audience's own HBase tables, read
through its own Phoenix views at the stack's real Phoenix Query Server (phoenixdb), hold only
what its rules let it see — field by field, and in the raw cells too (a withheld value is no
cell at all). Rows are written by hand here, personal data from the three jurisdictions, with
and without the consent flag; what each audience must see is written out here, not computed by
the code under test."""
from __future__ import annotations

import uuid

import happybase
import pytest

from bayres.connectors.hbase_store import audience_schema, replace_audience_frames
from bayres.jobs.publish import governance as gov
from bayres.schemas import classification as cls
from bayres.schemas.derive_hbase import SERVING_TABLES_BY_NAME, phoenix_ddl, qualifier
from tests.test_hbase_serving import _env_endpoint

pytestmark = pytest.mark.cluster

TABLE = "BAYRES_RESOURCE"
ROWS = [  # cstr_id, region, platforms, consent, person, phone, email
    {"cstr_id": "CSTR:ABCDE.05.000001", "region": "SZ", "source_platforms": "SZ", "consent_cross_border": False,
     "person_name": "李小龙", "contact_phone": "+8613812345678", "contact_email": "li@szu.edu.cn"},
    {"cstr_id": "CSTR:ABCDE.05.000002", "region": "SZ", "source_platforms": "SZ", "consent_cross_border": True,
     "person_name": "王大明", "contact_phone": "+8613987654321", "contact_email": "wang@sustech.edu.cn"},
    {"cstr_id": "CSTR:ABCDE.05.000003", "region": "HK", "source_platforms": "HK", "consent_cross_border": None,
     "person_name": "陳大文", "contact_phone": "+85291235678", "contact_email": "chan.taiman@ust.hk"},
    {"cstr_id": "CSTR:ABCDE.05.000004", "region": "MO", "source_platforms": "MO", "consent_cross_border": None,
     "person_name": "Maria Lopes", "contact_phone": "+85366123456", "contact_email": "mlopes@um.edu.mo"},
]
for i, r in enumerate(ROWS):
    r.update(resource_type="05", name=f"人才{i}", member_count=1, run_date="2026-11-01")

#: what each audience must read of the personal fields, per row (None: nothing)
MAINLAND_MASKED = ["李**", "王**", "陳**", "M***"]
EXPECTED = {
    "public": {"PERSON_NAME": [None] * 4, "CONTACT_PHONE": [None] * 4, "CONTACT_EMAIL": [None] * 4},
    "platform_gz": {"PERSON_NAME": MAINLAND_MASKED,
                    "CONTACT_PHONE": ["+86 ****5678", "+86 ****4321", "+852 ****5678", "+853 ****3456"],
                    "CONTACT_EMAIL": ["l***@szu.edu.cn", "w***@sustech.edu.cn", "c***@ust.hk", "m***@um.edu.mo"]},
    # Hong Kong and Macao: the mainland person without consent is withheld, the one with shown masked
    "platform_hk": {"PERSON_NAME": [None, "王**", "陳**", "M***"],
                    "CONTACT_PHONE": [None, "+86 ****4321", "+852 ****5678", "+853 ****3456"],
                    "CONTACT_EMAIL": [None, "w***@sustech.edu.cn", "c***@ust.hk", "m***@um.edu.mo"]},
    "steward": {"PERSON_NAME": [r["person_name"] for r in ROWS],
                "CONTACT_PHONE": [r["contact_phone"] for r in ROWS],
                "CONTACT_EMAIL": [r["contact_email"] for r in ROWS]},
}
EXPECTED["platform_sz"] = EXPECTED["platform_gz"]
EXPECTED["platform_mo"] = EXPECTED["platform_hk"]


@pytest.fixture(scope="module")
def published(spark):
    """The rows published for every audience into tables of this module's own, and the views."""
    import phoenixdb

    host, _, port = _env_endpoint("BAYRES_TEST_HBASE_THRIFT").rpartition(":")
    url = _env_endpoint("BAYRES_TEST_PHOENIX_URL")
    prefix = f"PYTEST{uuid.uuid4().hex[:6].upper()}_"
    rules = gov.load_rules(allow_dev_key=True)
    t = SERVING_TABLES_BY_NAME[TABLE]
    fields = t.key + t.columns
    schema = ", ".join(f"{f.name} {'string' if f.type == 'date' else f.spark_type}" for f in fields)
    frame = spark.createDataFrame([tuple(r.get(f.name) for f in fields) for r in ROWS], schema)
    result = replace_audience_frames({TABLE: frame}, rules, host=host, port=int(port),
                                     schema_prefix=prefix, delete_nulls=True)
    phoenix = phoenixdb.connect(url, autocommit=True)
    views = []
    try:
        cur = phoenix.cursor()
        for audience in rules.audiences:
            cur.execute(phoenix_ddl(TABLE, audience_schema(audience, prefix)))
            views.append(f'"{audience_schema(audience, prefix)}"."{TABLE}"')
        yield {"rules": rules, "prefix": prefix, "url": url, "host": host, "port": int(port),
               "result": result}
    finally:
        cur = phoenix.cursor()
        for view in views:
            cur.execute(f"DROP VIEW IF EXISTS {view}")
        phoenix.close()
        conn = happybase.Connection(host, int(port))
        try:
            for name in conn.tables():
                if name.decode().startswith(prefix):
                    conn.delete_table(name, disable=True)
        finally:
            conn.close()


def read_view(published, audience):
    import phoenixdb

    conn = phoenixdb.connect(published["url"], autocommit=True)
    try:
        cur = conn.cursor()
        cur.execute(f'SELECT * FROM "{audience_schema(audience, published["prefix"])}"."{TABLE}" '
                    "ORDER BY CSTR_ID")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]
    finally:
        conn.close()


def test_each_audience_reads_through_phoenix_only_what_it_may_see(published):
    rules = published["rules"]
    checked = 0
    for audience in rules.audiences:
        got = read_view(published, audience)
        assert [r["CSTR_ID"] for r in got] == [r["cstr_id"] for r in ROWS], audience
        for column, expected in EXPECTED.get(audience, {}).items():
            assert [r[column] for r in got] == expected, (audience, column)
        # every field × audience: nothing above the audience's tier
        for row, orig in zip(got, ROWS):
            jur = cls.jurisdiction_of(orig["region"], orig["source_platforms"])
            for f in SERVING_TABLES_BY_NAME[TABLE].key + SERVING_TABLES_BY_NAME[TABLE].columns:
                checked += 1
                value, raw = row[qualifier(f)], orig.get(f.name)
                act = rules.action(audience, f.name, jur, bool(orig["consent_cross_border"]))
                if raw is None:
                    continue
                if act == "show":
                    assert value == raw or str(value) == str(raw), (audience, f.name)
                elif act == "withhold":
                    assert value is None, (audience, f.name, value)
                elif act == "mask":
                    assert value is not None and "*" in value and value != raw, (audience, f.name, value)
                elif act == "pseudonymise":
                    assert value.startswith("ps_") and value != raw, (audience, f.name, value)
    assert checked == len(rules.audiences) * len(ROWS) * len(SERVING_TABLES_BY_NAME[TABLE].key
                                                              + SERVING_TABLES_BY_NAME[TABLE].columns)
    # analysts join people on stable pseudonyms
    analyst = read_view(published, "analyst")
    assert all(r["PERSON_NAME"].startswith("ps_") for r in analyst)
    assert len({r["PERSON_NAME"] for r in analyst}) == len(ROWS)


def test_the_portal_reader_of_an_audience_reads_its_own_schema(published):
    """The portal's Phoenix reader for an audience runs the query library on that audience's
    views: the public portal gets no contact of anyone, Hong Kong's none of the unconsenting
    mainland person."""
    from bayres.portal.reader import PhoenixReader

    def reader(audience):
        return PhoenixReader(published["url"], schema=audience_schema(audience, published["prefix"]))

    public, hk = reader("public"), reader("platform_hk")
    try:
        for row in ROWS:
            got = public.resource(row["cstr_id"])
            assert got["cstr_id"] == row["cstr_id"] and got["name"] == row["name"]
            assert got.get("contact_phone") is None and got.get("person_name") is None
        assert hk.resource(ROWS[0]["cstr_id"]).get("contact_phone") is None
        assert hk.resource(ROWS[1]["cstr_id"])["contact_phone"] == "+86 ****4321"
    finally:
        public.close()
        hk.close()


def test_the_public_tables_hold_no_personal_cell_at_all(published):
    """The bytes, not only the view: the public audience's HBase table has no cell of a personal
    or internal field (withheld values are not written), the steward's has them."""
    conn = happybase.Connection(published["host"], published["port"])
    try:
        public = conn.table(f"{audience_schema('public', published['prefix'])}.{TABLE}")
        steward = conn.table(f"{audience_schema('steward', published['prefix'])}.{TABLE}")
        personal = {f"c:{c}".encode() for c in ("CONTACT_NAME", "CONTACT_PHONE", "CONTACT_EMAIL",
                                                 "CONSENT_CROSS_BORDER")} | {b"t:PERSON_NAME"}
        public_cells = {q for _, cells in public.scan() for q in cells}
        assert not (public_cells & personal), public_cells & personal
        assert {b"c:CONTACT_PHONE", b"t:PERSON_NAME"} <= {q for _, cells in steward.scan() for q in cells}
    finally:
        conn.close()


def test_an_unknown_audience_has_no_tables():
    rules = gov.load_rules(allow_dev_key=True)
    with pytest.raises(gov.GovernanceError, match="unknown audience 'press'"):
        gov.apply_rows(rules, "press", [dict(ROWS[0])], list(ROWS[0]))
