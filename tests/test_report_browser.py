"""The run report (reports/<run id>/report.html) in a real browser, offline: headless Chromium
from Debian driven by playwright, every request that is not the page itself refused. Nothing
is fetched, every chart's labels lie inside its drawing (none clipped at the edge, the bug of
"z · calibrate · inst_value_cny"), and the quality checks are readable without Data Docs."""
from __future__ import annotations

import json

import pytest

from bayres.jobs.ops.report_html import write_html
from tests.browser import chromium_page, needs_chromium

try:
    from tests.test_report_ops import SOURCES, small_report
except ImportError:  # tests/ is not a package: pytest put tests/ itself on sys.path
    from test_report_ops import SOURCES, small_report


pytestmark = needs_chromium


@pytest.fixture(scope="module")
def report_page(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report_browser")
    rep = small_report()
    rep["stages"]["conform"]["quarantine_reasons"] += [
        {"src_platform": "sz", "stage": "calibrate", "field": "inst_value_cny", "count": 1800}]
    results = tmp / "golden_resource.json"
    results.write_text(json.dumps({"success": True, "results": [
        {"success": True, "expectation_config": {"type": "expect_column_values_to_be_unique",
                                                 "kwargs": {"column": "cstr_id"},
                                                 "meta": {"rule": "key", "severity": "critical"}},
         "result": {"element_count": 101, "unexpected_count": 0}}]}), encoding="utf-8")
    rep["stages"]["quality"]["stages"] = {"golden": {"success": True, "results": str(results)}}
    return write_html(rep, tmp / "report.html", tmp / "reports", SOURCES)


@pytest.fixture(scope="module")
def page():
    with chromium_page(viewport={"width": 1000, "height": 900}) as page:
        yield page


def test_the_report_reads_offline_with_every_label_inside_its_chart(report_page, page):
    refused = []

    def offline(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    page.route("**/*", offline)
    page.goto(report_page.as_uri(), timeout=30_000)
    assert refused == []  # nothing outside the file: no CDN, no font, no script
    assert page.locator("section svg").count() == 7
    # every label's box inside its chart's box, measured by the browser in one pass
    cut = page.evaluate("""() => [...document.querySelectorAll('section svg')].flatMap((svg, i) => {
        const box = svg.getBoundingClientRect();
        return [...svg.querySelectorAll('text')].filter(t => t.textContent.trim()).map(t => {
            const r = t.getBoundingClientRect();
            return {chart: i, label: t.textContent, inside: r.left >= box.left - 1 && r.right <= box.right + 1};
        }).filter(t => !t.inside);
    })""")
    assert cut == [], f"labels cut at a chart's edge: {cut[:5]}"
    reasons = page.locator("#quarantine svg").inner_html()
    assert "sz · calibrate · inst_value_cny" in reasons and "gz · calibrate · contact_phone" in reasons
    checks = page.locator("#checks table").inner_text()
    assert "column values to be unique" in checks and "cstr_id" in checks and "passed" in checks
