"""The catalogue page in a real browser: headless Chromium from Debian (``/usr/bin/chromium``,
installed by tests/servers/install-debs.sh), driven by playwright (no browser download). Search
in Traditional Chinese, find the record, open it, see its provenance."""
from __future__ import annotations

import os

import pytest

from bayres.portal.app import ServiceConfig, create_app
from bayres.portal.reader import ServingStoreReader
from tests import portal_catalogue as cat
from tests.browser import chromium_page, needs_chromium

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    published = cat.publish(tmp_path_factory.mktemp("portal_browser"))
    config = ServiceConfig.load(os.path.join(REPO, "conf", "portal", "service.yaml"),
                                index_path=published["index"], request_log=None, env={},
                                allow_dev_key=True)
    server = cat.ServiceThread(create_app(config, ServingStoreReader(published["serving"]))).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def page():
    with chromium_page() as page:
        yield page


def test_search_in_traditional_chinese_open_the_record_see_its_provenance(service, page):
    page.goto(service.url + "/", timeout=30_000)
    page.fill("#q", "香港科技大學")
    page.click("#go")
    page.wait_for_selector("#results .record-link")
    first = page.locator("#results li").first
    assert first.locator(".cstr").inner_text() == cat.HKUST
    assert "香港科技大學" in first.inner_text()
    # facets with counts beside the results
    assert page.locator("ul.facet[data-facet=region] li").count() >= 1
    first.locator(".record-link").click()
    page.wait_for_selector("#provenance")
    assert page.locator("#cstr-id").inner_text() == cat.HKUST
    rows = page.locator("#provenance tr.source-record")
    assert rows.count() == 2
    text = page.locator("#provenance").inner_text()
    assert "hk:institutions:1" in text and "gz:jg:7" in text and "香港科技大学" in text
    assert "gz:jg:7" in page.locator("#fields").inner_text()  # owner_org came from the GZ record
    assert "merged" in page.locator("#history").inner_text()


def test_a_facet_link_narrows_the_results(service, page):
    page.goto(service.url + "/?q=" + "大學", timeout=30_000)
    total = int(page.locator("#total").inner_text().split()[0])
    page.locator("ul.facet[data-facet=region] a", has_text="HK").first.click()
    page.wait_for_selector("#total")
    narrowed = int(page.locator("#total").inner_text().split()[0])
    assert 0 < narrowed < total
    assert all(t.endswith("HK") or " HK " in t for t in
               page.locator("#results .muted").all_inner_texts())


def test_injected_markup_is_shown_as_text(service, page):
    page.goto(f"{service.url}/record/{cat.XSS}", timeout=30_000)
    assert page.locator("#record-name").inner_text().startswith("<script>alert('x')</script>")
    assert page.locator("script").count() == 0
