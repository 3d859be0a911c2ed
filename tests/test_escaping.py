"""Escaping at the edges (issue 19): HTML- and SQL-looking strings are data — they stay verbatim
through standardisation and the serving store — and every place that renders or queries them
escapes them: the HTML run report, Data Docs, the portal's query library."""
from __future__ import annotations

import json
from html.parser import HTMLParser

import duckdb
import pandas as pd
import pytest

from bayres.jobs.ops.report_html import write_html

MARK = "bayres-xss"
HOSTILE = [
    f'<script>alert("{MARK}")</script>',
    f'<img src=x onerror="alert(\'{MARK}\')">',
    f'"><svg onload=alert("{MARK}")>',
    f"Robert'); DROP TABLE BAYRES_RESOURCE;-- {MARK}",
    f"' OR '1'='1 {MARK}",
    f"{{{{7*7}}}} {{% raw %}} {MARK}",  # template syntax
]


class _Elements(HTMLParser):
    """Every element and attribute the browser would build, and the page's text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements, self.text, self._in_script = [], [], False

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.elements.append(("script-body", {"text": data}))
        self.text.append(data)


def assert_inert(page: str) -> str:
    """No element, attribute or script body the hostile strings could have created; returns
    the page's text (where they must appear, as text)."""
    parsed = _Elements()
    parsed.feed(page)
    for tag, attrs in parsed.elements:
        # inside an attribute value a hostile string is inert text (aria-label, title…); it
        # must not have opened an element, an event handler or a script body of its own
        for name, value in attrs.items():
            assert not (name.startswith("on") and MARK in (value or "")), (tag, name, value)
        assert not (tag == "script-body" and MARK in attrs["text"]), attrs
        assert not (tag == "img" and "onerror" in attrs), (tag, attrs)
    return "".join(parsed.text)


def test_the_html_report_escapes_hostile_strings(tmp_path):
    from tests.test_report_ops import SOURCES, small_report

    rep = small_report()
    rep["run_id"] = HOSTILE[0]
    rep["stages"]["extract"].update(status="failed", error=HOSTILE[1])
    rep["failed_stages"] = ["extract"]
    rep["stages"]["conform"]["quarantine_reasons"][0]["field"] = HOSTILE[2]
    rep["outputs"] = {HOSTILE[3]: HOSTILE[4], "x": HOSTILE[5]}
    page = (write_html(rep, tmp_path / "report.html", tmp_path / "reports", SOURCES)
            .read_text(encoding="utf-8"))
    text = assert_inert(page)
    for s in HOSTILE[:5]:
        assert s in text  # shown, as text
    assert "{{7*7}}" in text and "49" not in text.replace("2026", "")  # not evaluated


def test_hostile_strings_stay_verbatim_through_standardisation():
    from bayres.jobs.run.config import DEFAULT_CONF, load_vocabularies
    from bayres.jobs.conform.rejections import Rejections
    from bayres.jobs.conform.standardize import SourceContext, standardize_batch

    source = {"platform": "hk", "source": "equipment", "format": "sql", "id_field": "ID",
              "conventions": {"language": "zh-Hant", "region": "HK"}, "resource_type": "02",
              "mapping": {"name": "NAME", "name_en": "NAME_EN"}}
    raw = pd.DataFrame({"ID": [f"E{i}" for i in range(len(HOSTILE))], "NAME": HOSTILE,
                        "NAME_EN": list(reversed(HOSTILE))})
    raw["_src_location"], raw["_src_error"] = [f"row {i}" for i in range(len(raw))], None
    rej = Rejections(raw.index)
    ctx = SourceContext(source=source, vocabularies=load_vocabularies(DEFAULT_CONF), run_id="r",
                        raw_path="raw/hk/equipment")
    out = standardize_batch(raw, ctx, rej)
    assert not rej.refused.any()
    assert list(out["name"]) == HOSTILE and list(out["name_en"]) == list(reversed(HOSTILE))


def test_the_portal_queries_bind_hostile_strings(tmp_path):
    """The serving store keeps them verbatim; the query library binds them as parameters, so a
    SQL-looking search value matches only itself and drops nothing."""
    from bayres.connectors.phoenix_portal import PortalQueries
    from bayres.connectors.serving_duckdb import replace_tables
    from bayres.schemas.derive_serving import serving_columns

    export = tmp_path / "export" / "BAYRES_RESOURCE"
    export.mkdir(parents=True)
    columns = [c for c, _ in serving_columns("BAYRES_RESOURCE")]
    rows = [{c: None for c in columns} | {"CSTR_ID": s, "NAME": s, "RESOURCE_TYPE": "02", "REGION": "HK"}
            for s in HOSTILE]
    con = duckdb.connect()
    frame = pd.DataFrame(rows, columns=columns).astype(object)
    con.register("rows_df", frame)
    con.execute(f"COPY (SELECT * FROM rows_df) TO '{export}/part-0.parquet' (FORMAT parquet)")
    replace_tables(tmp_path / "serving.duckdb", {"BAYRES_RESOURCE": str(export)})
    with PortalQueries.open(str(tmp_path / "serving.duckdb")) as portal:
        for s in HOSTILE:
            row = portal.resource(s)
            assert row is not None and row["NAME"] == s
        assert portal.resource("' OR '1'='1") is None
    with duckdb.connect(str(tmp_path / "serving.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM BAYRES_RESOURCE").fetchone()[0] == len(HOSTILE)


def test_data_docs_escape_hostile_values(spark, tmp_path):
    """Failed checks list their unexpected values on the Data Docs pages: as text."""
    from bayres.quality.expectations import suite_for
    from bayres.quality.validate import validate
    from bayres.schemas.resource import GOLDEN_RESOURCE
    from tests.test_quality import VOCAB, frame, golden, good_rows

    rows = good_rows() + [golden(20 + i, name=s, contact_email=s, language=s)
                          for i, s in enumerate(HOSTILE)]
    result = validate(frame(spark, GOLDEN_RESOURCE, rows), suite_for(GOLDEN_RESOURCE, VOCAB, "golden"),
                      context_root=tmp_path / "gx", run_id="run-hostile", data_name="golden_hostile",
                      samples=len(HOSTILE))
    assert any(MARK in w for w in result.warnings)  # the values reached the results
    site = result.data_docs_index.parent
    pages = [p for p in site.rglob("*.html") if "validations" in p.parts]
    assert pages, sorted(str(p) for p in site.rglob("*.html"))
    shown = "".join(assert_inert(page.read_text(encoding="utf-8")) for page in pages)
    assert MARK in shown  # listed on the page, as text
