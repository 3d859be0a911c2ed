"""Headless Chromium (Debian's ``chromium``) for the browser-facing pages' tests, via playwright.

``needs_chromium`` skips a module where Chromium is missing, except under ``make test``
(BAYRES_REQUIRE_SERVERS), where a missing browser is a failure; ``chromium_page`` yields one page
of a fresh browser and closes it after.
"""
from __future__ import annotations

import os
import shutil
from contextlib import contextmanager

import pytest

CHROMIUM = os.environ.get("BAYRES_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"

needs_chromium = pytest.mark.skipif(
    not os.path.exists(CHROMIUM) and not os.environ.get("BAYRES_REQUIRE_SERVERS"),
    reason="no Chromium (apt-get install chromium; make test installs it)")


@contextmanager
def chromium_page(**page_options):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        try:
            yield browser.new_page(**page_options)
        finally:
            browser.close()
