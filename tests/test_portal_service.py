"""The portal service (portal/, ``bayres serve``) run for real over loopback HTTP: uvicorn in a
thread on a free port, over a crafted catalogue of real GBA names published the way the publish
stage does (tests/portal_catalogue.py). Every JSON answer is validated against the service's own
OpenAPI document (jsonschema)."""
from __future__ import annotations

import json
import os

import httpx
import jsonschema
import pytest

from bayres.portal import index, names
from bayres.portal.app import ServiceConfig, create_app
from bayres.portal.reader import ServingStoreReader
from tests import portal_catalogue as cat

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ANALYST_KEY = "test-analyst-key-1"
STEWARD_KEY = "test-steward-key-1"


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    return cat.publish(tmp_path_factory.mktemp("portal_home"))


@pytest.fixture(scope="module")
def service(published):
    config = ServiceConfig.load(os.path.join(REPO, "conf", "portal", "service.yaml"),
                                index_path=published["index"],
                                request_log=published["index"].parent / "requests.jsonl",
                                env={"BAYRES_PORTAL_KEYS_ANALYST": f"other-key, {ANALYST_KEY}",
                                     "BAYRES_PORTAL_KEYS_STEWARD": STEWARD_KEY},
                                allow_dev_key=True)
    server = cat.ServiceThread(create_app(config, ServingStoreReader(published["serving"]))).start()
    yield server, config
    server.stop()


@pytest.fixture(scope="module")
def client(service):
    with httpx.Client(base_url=service[0].url, timeout=30) as c:
        yield c


@pytest.fixture(scope="module")
def openapi(client):
    doc = client.get("/openapi.json")
    assert doc.status_code == 200
    return doc.json()


def check(openapi, response: httpx.Response, path: str) -> dict | list:
    """The response's body, validated against the OpenAPI schema of ``path`` and its status."""
    op = openapi["paths"][path]["get"]
    spec = op["responses"].get(str(response.status_code))
    assert spec is not None, f"{path}: status {response.status_code} not in the OpenAPI document"
    schema = spec["content"]["application/json"]["schema"]
    body = response.json()
    jsonschema.validate(body, {**schema, "components": openapi["components"]},
                        cls=jsonschema.Draft202012Validator)
    return body


def first_ids(client, openapi, q, **params):
    r = client.get("/api/v1/search", params={"q": q, **params})
    assert r.status_code == 200, r.text
    return [h["cstr_id"] for h in check(openapi, r, "/api/v1/search")["results"]]


# ---------------------------------------------------------------- the OpenAPI document
def test_openapi_declares_search_with_q_and_cstr_id(openapi):
    op = openapi["paths"]["/api/v1/search"]["get"]
    assert "q" in [p["name"] for p in op["parameters"]]
    hit = openapi["components"]["schemas"]["SearchHit"]
    assert "cstr_id" in hit["required"]
    for path in ("/api/v1/records/{cstr_id}", "/api/v1/stats/cube", "/api/v1/stats/cross-border",
                 "/api/v1/stats/instrument-value", "/api/v1/health"):
        assert path in openapi["paths"]


# ---------------------------------------------------------------- cross-script search
@pytest.mark.parametrize("q", ["香港科技大學", "香港科技大学", "HKUST", "hkust",
                               "Hong Kong University of Science and Technology",
                               "The Hong Kong University of Science and Technology", "港科大"])
def test_every_form_of_hkust_finds_it_first(client, openapi, q):
    r = client.get("/api/v1/search", params={"q": q})
    body = check(openapi, r, "/api/v1/search")
    assert body["results"][0]["cstr_id"] == cat.HKUST
    assert body["results"][0]["match"] == "exact_name"


@pytest.mark.parametrize("q", ["香港科技大学（广州）", "香港科技大學（廣州）", "HKUST(GZ)",
                               "The Hong Kong University of Science and Technology (Guangzhou)"])
def test_hkust_guangzhou_stays_another_record_and_ranks_first(client, openapi, q):
    ids = first_ids(client, openapi, q)
    assert ids[0] == cat.HKUST_GZ
    assert ids[0] != cat.HKUST


def test_a_name_the_alias_table_lacks_meets_across_scripts(client, openapi):
    # 深圳湾实验室 is published in Simplified only; OpenCC, the English name and its derived acronym
    for q in ("深圳灣實驗室", "深圳湾实验室", "Shenzhen Bay Laboratory", "SBL"):
        assert first_ids(client, openapi, q)[0] == cat.SZBL, q
    assert "SBL" in names.acronyms("Shenzhen Bay Laboratory")


def test_other_universities_are_not_confused(client, openapi):
    assert first_ids(client, openapi, "香港中文大學")[0] == cat.CUHK
    assert first_ids(client, openapi, "香港中文大学（深圳）")[0] == cat.CUHK_SZ
    assert first_ids(client, openapi, "Universidade de Macau")[0] == cat.UM
    assert first_ids(client, openapi, "澳门大学")[0] == cat.UM
    assert first_ids(client, openapi, "HKU")[0] == cat.HKU
    cuhk = check(openapi, client.get("/api/v1/search", params={"q": "CUHK"}), "/api/v1/search")["results"]
    assert [(h["cstr_id"], h["match"]) for h in cuhk[:2]] == [(cat.CUHK, "exact_name"), (cat.CITYU, "acronym")]
    assert first_ids(client, openapi, "CityU")[0] == cat.CITYU


def test_person_found_by_romanised_name(client, openapi):
    for q in ("Chan Tai Man", "Tai Man Chan", "陈大文", "陳大文"):
        assert first_ids(client, openapi, q)[0] == cat.PERSON, q


def test_partial_names_and_pinyin_find_by_full_text(client, openapi):
    r = check(openapi, client.get("/api/v1/search", params={"q": "電子顯微鏡"}), "/api/v1/search")
    assert r["results"][0]["cstr_id"] == cat.TEM and r["results"][0]["match"] == "full_text"
    assert cat.TEM in first_ids(client, openapi, "电子显微镜")
    assert cat.TEM in first_ids(client, openapi, "electron microscope")
    assert first_ids(client, openapi, "aomen daxue")[0] == cat.UM


def test_identifiers_rank_first(client, openapi):
    r = check(openapi, client.get("/api/v1/search", params={"q": cat.TEM}), "/api/v1/search")
    assert r["results"][0]["cstr_id"] == cat.TEM and r["results"][0]["match"] == "identifier"
    assert first_ids(client, openapi, "em-2019-0042")[0] == cat.TEM  # serial number, any case/punct


def test_filters_and_facets(client, openapi):
    body = check(openapi, client.get("/api/v1/search", params={"q": "大学"}), "/api/v1/search")
    regions = {f["value"]: f["count"] for f in body["facets"]["region"]}
    assert sum(regions.values()) == body["total"] >= 5
    assert sum(f["count"] for f in body["facets"]["resource_type"]) == body["total"]
    hk = check(openapi, client.get("/api/v1/search", params={"q": "大学", "region": "HK"}), "/api/v1/search")
    assert hk["total"] == regions["HK"] and {h["region"] for h in hk["results"]} == {"HK"}
    inst = client.get("/api/v1/search", params={"q": "", "resource_type": "02"}).json()
    assert {h["cstr_id"] for h in inst["results"]} == {cat.TEM, cat.NMR}
    owned = client.get("/api/v1/search", params={"owner": "HKUST", "resource_type": "02"}).json()
    assert [h["cstr_id"] for h in owned["results"]] == [cat.TEM]  # owner in another script
    mode = client.get("/api/v1/search", params={"q": "大学", "sharing_mode": "restricted"}).json()
    assert [h["cstr_id"] for h in mode["results"]] == [cat.NMR]  # 大学 in its owner's name
    dated = client.get("/api/v1/search", params={"updated_from": "2026-10-01"}).json()
    assert {h["cstr_id"] for h in dated["results"]} == {cat.HKUST, cat.TEM}


def test_cursor_pages_are_stable_and_complete(client, openapi):
    whole = client.get("/api/v1/search", params={"q": "大学", "limit": 100}).json()
    seen, cursor = [], None
    while True:
        params = {"q": "大学", "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = check(openapi, client.get("/api/v1/search", params=params), "/api/v1/search")
        seen += [h["cstr_id"] for h in page["results"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [h["cstr_id"] for h in whole["results"]]
    assert len(seen) == len(set(seen)) == whole["total"]
    first = client.get("/api/v1/search", params={"q": "大学", "limit": 2}).json()
    again = client.get("/api/v1/search", params={"q": "大学", "limit": 2, "cursor": first["next_cursor"]})
    assert again.json()["results"] == client.get("/api/v1/search", params={
        "q": "大学", "limit": 2, "cursor": first["next_cursor"]}).json()["results"]
    other = client.get("/api/v1/search", params={"q": "大学", "region": "HK", "cursor": first["next_cursor"]})
    assert other.status_code == 400 and "another query" in other.json()["detail"]


# ---------------------------------------------------------------- record pages
def test_record_page_with_provenance(client, openapi):
    r = client.get(f"/api/v1/records/{cat.HKUST}")
    body = check(openapi, r, "/api/v1/records/{cstr_id}")
    assert body["record"]["name"] == "香港科技大學"
    assert {s["record_id"] for s in body["source_records"]} == {"hk:institutions:1", "gz:jg:7"}
    assert [s["is_survivor"] for s in body["source_records"] if s["record_id"] == "hk:institutions:1"] == [True]
    assert body["field_sources"]["owner_org"] == "gz:jg:7"
    assert body["identifier"]["status"] == "active"
    assert {(c["cstr_id"], c["change"]) for c in body["history"]} == {(cat.MERGED, "merged"), (cat.HKUST, "kept")}
    assert body["sharing_terms"] is None


def test_instrument_sharing_terms(client, openapi):
    body = check(openapi, client.get(f"/api/v1/records/{cat.TEM}"), "/api/v1/records/{cstr_id}")
    assert body["sharing_terms"]["inst_sharing_status"] == "available"
    assert body["sharing_terms"]["rights"] == "預約使用 by appointment"
    assert body["record"]["inst_value_cny"] == 11_562_500.5


def test_merged_id_redirects_retired_is_gone(client, openapi):
    r = client.get(f"/api/v1/records/{cat.MERGED}", follow_redirects=False)
    assert r.status_code == 301 and r.headers["location"].endswith(cat.HKUST)
    assert client.get(f"/api/v1/records/{cat.MERGED}", follow_redirects=True).json()["cstr_id"] == cat.HKUST
    gone = client.get(f"/api/v1/records/{cat.RETIRED}")
    assert gone.status_code == 410 and "retired" in check(openapi, gone, "/api/v1/records/{cstr_id}")["detail"]
    missing = client.get("/api/v1/records/CSTR:BAYRS.04.999999")
    assert missing.status_code == 404
    bad = client.get("/api/v1/records/not-an-id")
    assert bad.status_code == 422 and "CSTR" in bad.json()["detail"]


# ---------------------------------------------------------------- safety
def test_public_audience_never_sees_personal_contacts(client, openapi):
    public = check(openapi, client.get(f"/api/v1/records/{cat.PERSON}"), "/api/v1/records/{cstr_id}")
    assert public["audience"] == "public"
    for f in ("contact_phone", "contact_email", "contact_name"):
        assert f not in public["record"]
    assert "+85291234567" not in json.dumps(public) and "tmchan@" not in json.dumps(public)
    # governance (conf/governance/rules.yaml): the public audience is withheld every personal field
    assert {"contact_phone", "contact_email", "contact_name", "person_name"} <= set(public["withheld_fields"])
    html = client.get(f"/record/{cat.PERSON}").text
    assert "+85291234567" not in html and "tmchan@" not in html
    # analysts get stable pseudonyms, stewards the values
    analyst = client.get(f"/api/v1/records/{cat.PERSON}", headers={"X-API-Key": ANALYST_KEY}).json()
    assert analyst["audience"] == "analyst" and analyst["record"]["contact_phone"].startswith("ps_")
    assert "+85291234567" not in json.dumps(analyst)
    steward = client.get(f"/api/v1/records/{cat.PERSON}", headers={"X-API-Key": STEWARD_KEY}).json()
    assert steward["audience"] == "steward" and steward["record"]["contact_phone"] == "+85291234567"
    bad = client.get(f"/api/v1/records/{cat.PERSON}", headers={"X-API-Key": "guess"})
    assert bad.status_code == 401 and "API key" in bad.json()["detail"]


@pytest.mark.parametrize("params, status, says", [
    ({"q": "x", "limit": 1000}, 422, "limit"),
    ({"q": "x", "limit": 0}, 422, "limit"),
    ({"q": "x", "limit": "ten"}, 422, "limit"),
    ({"q": "香" * 201}, 422, "q"),
    ({"q": "x", "region": "HK' OR '1'='1"}, 422, "region"),
    ({"q": "x", "resource_type": "02; DROP TABLE doc"}, 422, "resource_type"),
    ({"q": "x", "updated_from": "yesterday"}, 422, "updated_from"),
    ({"q": "x", "cursor": "not a cursor!"}, 422, "cursor"),
    ({"q": "x", "cursor": "bm90LWEtY3Vyc29y"}, 400, "cursor"),
    ({"q": "a\x00b"}, 422, "q"),
])
def test_malformed_parameters_get_a_clear_4xx(client, openapi, params, status, says):
    r = client.get("/api/v1/search", params=params)
    assert r.status_code == status
    assert says in check(openapi, r, "/api/v1/search")["detail"]


@pytest.mark.parametrize("q", ["' OR 1=1 --", '"); DROP TABLE doc; --', "NEAR(a b)", "*", "AND OR NOT",
                               "大学\" OR \"", "{names}: x", "^香港"])
def test_injection_strings_in_the_query_text_are_only_text(client, openapi, q):
    r = client.get("/api/v1/search", params={"q": q})
    assert r.status_code == 200, r.text
    check(openapi, r, "/api/v1/search")
    assert client.get("/api/v1/health").json()["records"] == len(cat.GOLDEN)  # the index is intact


def test_statistics_from_precomputed_tables(client, openapi):
    rows = check(openapi, client.get("/api/v1/stats/cube", params={"by": "resource_type"}), "/api/v1/stats/cube")
    per_type = {r["resource_type"]: r["records"] for r in rows}
    # a record published by two platforms counts once per platform in the cube
    expected: dict = {}
    for g in cat.GOLDEN:
        expected[g["resource_type"]] = expected.get(g["resource_type"], 0) + len(g["source_platforms"].split(","))
    assert per_type == expected
    full = client.get("/api/v1/stats/cube", params={"by": "resource_type,region,platform,year"}).json()
    assert sum(r["records"] for r in full) == sum(expected.values())
    assert {r["year"] for r in full if r["resource_type"] == "04" and r["region"] == "MO"} == {1981}
    value = check(openapi, client.get("/api/v1/stats/instrument-value"), "/api/v1/stats/instrument-value")
    assert {r["region"]: r["value_cny"] for r in value} == {"HK": 11_562_500.5, "GZ": 3_000_000.0}
    cross = check(openapi, client.get("/api/v1/stats/cross-border"), "/api/v1/stats/cross-border")
    assert {(r["platforms"], r["resource_type"], r["records"]) for r in cross} == {("GZ,HK", "04", 1), ("GZ,HK", "02", 1)}
    bad = client.get("/api/v1/stats/cube", params={"by": "region,password"})
    assert bad.status_code == 400 and "password" in bad.json()["detail"]


def test_html_escapes_every_value(client):
    page = client.get(f"/record/{cat.XSS}").text
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page
    results = client.get("/", params={"q": "<script>"}).text
    assert "<script>" not in results


def test_request_log_has_one_json_line_per_request(service, client):
    log = service[1].request_log
    before = len(log.read_text("utf-8").splitlines()) if log.exists() else 0
    client.get("/api/v1/search", params={"q": "HKUST"})
    client.get("/api/v1/records/CSTR:BAYRS.04.999999")
    lines = [json.loads(line) for line in log.read_text("utf-8").splitlines()]
    assert len(lines) == before + 2
    assert (lines[-2]["path"], lines[-2]["status"], lines[-2]["audience"]) == ("/api/v1/search", 200, "public")
    assert lines[-2]["results"] >= 1 and lines[-1]["status"] == 404
    assert all({"ts", "method", "path", "query", "status", "ms", "audience"} <= set(line) for line in lines)


def test_index_switches_to_a_republished_file(published, client):
    """Publishing again replaces the index file under a running service (rename into place)."""
    before = client.get("/api/v1/health").json()
    index.build(published["index"], [g for g in cat.GOLDEN if g["cstr_id"] != cat.XSS], cat.LINEAGE,
                cat.REGISTRY, cat.CHANGES, run_date=cat.RUN_DATE)
    after = client.get("/api/v1/health").json()
    assert after["records"] == before["records"] - 1
    cat.publish(published["index"].parent.parent)  # back to the module's catalogue
    assert client.get("/api/v1/health").json()["records"] == before["records"]


def test_a_query_no_record_fully_matches_ranks_the_closest(client, openapi):
    body = check(openapi, client.get("/api/v1/search", params={"q": "Shenzhen Bay Lab Institute"}),
                 "/api/v1/search")
    assert body["results"][0]["cstr_id"] == cat.SZBL  # no record has "Lab" and "Institute"


def test_names_source_records_were_published_under_are_searchable(client, openapi):
    # one HK record of the microscope was published under another name; lineage carries it
    assert first_ids(client, openapi, "球差校正电镜")[0] == cat.TEM


def test_an_acronym_inside_a_longer_name_is_not_an_exact_match():
    assert names.acronyms("2019 HKUST Marine Science Lecture") == ["HMSL"]
    assert "HKUSTGZ" in names.acronyms("HKUST(GZ)")
    assert "HKUST" not in names.acronyms("HKUST(GZ)")


def test_portuguese_acronyms():
    assert names.acronyms("Fundo para o Desenvolvimento das Ciências e da Tecnologia") == ["FDCT"]
    assert names.acronyms("Universidade de Macau") == ["UM"]


# ---------------------------------------------------------------- the same pages from Phoenix
@pytest.mark.cluster
def test_record_pages_read_from_phoenix_equal_the_serving_store(published, client):
    """The service over Phoenix (PhoenixReader: phoenixdb, the query library) answers the record
    pages as over the embedded store, from rows the HBase loader's writer put."""
    from bayres.connectors.hbase_store import ensure_tables
    from bayres.portal.reader import PhoenixReader
    from tests.test_hbase_serving import _cluster_endpoint, _drop_tables, _env_endpoint, _view_ddl

    url = _env_endpoint("BAYRES_TEST_PHOENIX_URL")
    endpoint = _cluster_endpoint()
    connection = endpoint.connection()
    reader = PhoenixReader(url, table_prefix=endpoint.prefix)
    views, server = [], None
    try:
        ensure_tables(connection)
        rows = cat.serving_rows()
        with endpoint.writer() as writer:
            for table, data in rows.items():
                writer.put_rows(table, data)
        import phoenixdb

        with phoenixdb.connect(url, autocommit=True) as ddl:
            cursor = ddl.cursor()
            for table in rows:
                cursor.execute(_view_ddl(table, endpoint.hbase_name(table)))
                views.append(endpoint.hbase_name(table))
        config = ServiceConfig.load(os.path.join(REPO, "conf", "portal", "service.yaml"),
                                    index_path=published["index"], request_log=None, env={},
                                    allow_dev_key=True)
        server = cat.ServiceThread(create_app(config, reader)).start()
        with httpx.Client(base_url=server.url, timeout=60) as phoenix_client:
            for cstr_id in (cat.HKUST, cat.TEM, cat.PERSON, cat.UM):
                want = client.get(f"/api/v1/records/{cstr_id}").json()
                got = phoenix_client.get(f"/api/v1/records/{cstr_id}").json()
                assert got == want, cstr_id
    finally:
        if server is not None:
            server.stop()
        reader.close()
        import phoenixdb

        with phoenixdb.connect(url, autocommit=True) as ddl:
            for view in views:
                ddl.cursor().execute(f'DROP VIEW IF EXISTS "{view}"')
        connection.close()
        _drop_tables(endpoint)


def test_catalogue_page_pages_on(client):
    first = client.get("/", params={"q": "大学", "region": "HK", "limit": 2})
    assert first.status_code == 200
    import re as _re
    link = _re.search(r'id="next" href="/\?([^"]+)"', first.text)
    assert link is not None
    second = client.get("/?" + link.group(1).replace("&amp;", "&"))
    assert second.status_code == 200 and "region=HK" in link.group(1) and "None" not in link.group(1)
    assert 'id="results"' in second.text


def test_bayres_serve_says_when_nothing_was_published(own_home_env):
    import subprocess
    import sys
    from pathlib import Path

    done = subprocess.run([str(Path(sys.executable).with_name("bayres")), "serve", "--port", str(cat.free_port())],
                          env=own_home_env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "no search index" in done.stderr and "make run" in done.stderr


def test_an_organisation_no_alias_lists_is_found_from_another_language():
    """The matcher's signatures (jobs/dedup/linkage/org_tokens.py) are exact keys of an organisation's
    names: an English query meets a record published in Chinese only, a branch stays apart, and
    a non-organisation's names get none."""
    library = index.document({"resource_type": "04", "name": "香港中央圖書館", "cstr_id": "x"})
    keys = {k for k, _ in library.exact}
    assert set(index.query_keys("Hong Kong Central Library")[1]) & keys
    assert not set(index.query_keys("Macao Central Library")[1]) & keys
    branch = index.document({"resource_type": "04", "name": "香港中文大學（深圳）", "cstr_id": "y"})
    assert not set(index.query_keys("The Chinese University of Hong Kong")[1]) & {k for k, _ in branch.exact}
    event = index.document({"resource_type": "10", "name": "香港中央圖書館", "cstr_id": "z"})
    assert not any(k.startswith("sg:") for k, _ in event.exact)
