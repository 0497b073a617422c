"""Browser tests: Playwright driving Debian's chromium (never a downloaded browser)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import require

CHROMIUM = os.environ.get("PAPERWIRE_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="module")
def browser():
    require(Path(CHROMIUM).is_file(), f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "the playwright package is not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-background-networking"])  # fmt: skip
        yield browser
        browser.close()
