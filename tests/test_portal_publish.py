"""The publish stage builds the portal's index from what it published, and ``bayres serve`` (a
process, as after ``make run``) answers over it: the OpenAPI document, search in another script."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

import duckdb
import httpx
import pytest

from bayres.portal import index, names
from tests.portal_catalogue import free_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def published(runs, local_profile):
    with duckdb.connect(str(local_profile.path("serving.path")), read_only=True) as con:
        golden = con.execute("SELECT CSTR_ID, NAME, RESOURCE_TYPE FROM BAYRES_RESOURCE").fetchall()
    return runs[2], golden


def test_publish_builds_the_index_of_the_serving_store(published, local_profile):
    report, golden = published
    built = report["stages"]["publish"]["portal_index"]
    assert built["records"] == len(golden) > 0
    con = index.connect(local_profile.path("portal.index"))
    try:
        ids = {r[0] for r in con.execute("SELECT cstr_id FROM doc")}
        assert ids == {g[0] for g in golden}
        # the index names the day of the publish that built it: the shared runs' day, or a later
        # day another module published into the suite's home since (the ids above are the store's)
        built_on = date.fromisoformat(index.meta(con)["run_date"])
        assert built_on >= date(2026, 11, 1)
        assert con.execute("SELECT count(*) FROM cstr_registry WHERE status = 'active'").fetchone()[0] == len(golden)
        cube = index.stats_cube(con, [])
        assert cube[0]["records"] >= len(golden)  # once per publishing platform
    finally:
        con.close()


def test_bayres_serve_answers_after_a_run(published, local_profile):
    report, golden = published
    port = free_port()
    env = dict(os.environ, BAYRES_HOME=str(local_profile.path("serving.path").parent.parent))
    proc = subprocess.Popen([str(Path(sys.executable).with_name("bayres")), "serve", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                doc = httpx.get(url + "/openapi.json", timeout=2)
                break
            except httpx.HTTPError:
                assert proc.poll() is None and time.monotonic() < deadline, "bayres serve did not start"
                time.sleep(0.2)
        assert doc.status_code == 200
        assert "q" in [p["name"] for p in doc.json()["paths"]["/api/v1/search"]["get"]["parameters"]]
        # records published in Traditional Chinese, searched in Simplified: each in the first ten
        # (names that identify a record: at most ten share it — not 萬能材料試驗機, one per laboratory)
        shared = Counter(names.simplified(n) for _, n, _ in golden)
        traditional = [(c, n) for c, n, _ in golden
                       if names.has_cjk(n) and names.simplified(n) != n and shared[names.simplified(n)] <= 10][:25]
        assert traditional
        for cstr_id, name in traditional:
            got = httpx.get(url + "/api/v1/search", params={"q": names.simplified(name), "limit": 10}).json()
            assert cstr_id in [h["cstr_id"] for h in got["results"]], name
        hkust = [c for c, n, _ in golden if n in ("香港科技大學", "香港科技大学")]
        if hkust:  # the sample's real organisations: the four forms
            firsts = {httpx.get(url + "/api/v1/search", params={"q": q}).json()["results"][0]["cstr_id"]
                      for q in ("香港科技大學", "香港科技大学", "HKUST", "Hong Kong University of Science and Technology")}
            assert len(firsts) == 1 and firsts <= set(hkust)
        gz_key = names.name_key("香港科技大学（广州）")
        hkust_gz = [c for c, n, _ in golden if names.name_key(n) == gz_key]
        if hkust_gz:
            gz = httpx.get(url + "/api/v1/search", params={"q": "香港科技大学（广州）"}).json()["results"]
            assert gz[0]["cstr_id"] in hkust_gz and gz[0]["cstr_id"] not in hkust
    finally:
        proc.terminate()
        proc.wait(timeout=10)
