"""The search page's controls in a real browser (Playwright + Debian's Chromium) at desktop (1366 px) and
phone (390 px) width: type a query, pick a category, a date range and a sort, and read the narrowed,
ordered results with the controls kept in the URL; the controls fit the screen."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.conftest import served_corpus
from tests.conftest import REPO_ROOT

ARTIFACTS = REPO_ROOT / "test-artifacts" / "browser"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    papers = [{"id": f"2601.{n:05d}", "title": f"Graph retrieval study {n}", "summary": "Retrieval over graphs.",
               "authors": ["Grace Hopper"], "categories": ["cs.IR"] if n % 2 else ["cs.CL"],
               "published": f"2026-01-{n + 1:02d}"} for n in range(12)]  # fmt: skip
    with served_corpus(tmp_path_factory.mktemp("search-browser"), papers) as served:
        yield served


@pytest.mark.parametrize("width, height", [(1366, 860), (390, 844)], ids=["desktop", "phone"])
def test_search_controls_narrow_and_order_the_results(browser, server, width, height):
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": height}, base_url=server)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto("/search")
    page.fill("#q", "graph retrieval")
    page.select_option("#search-category", "cs.IR")
    page.fill("#search-after", "2026-01-03")
    page.fill("#search-before", "2026-01-10")
    page.select_option("#search-sort", "newest")
    for control in ("#search-category", "#search-after", "#search-before", "#search-sort"):
        box = page.locator(control).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, f"{control} does not fit at {width}px"
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#result-count")).to_have_text("3 results, newest first")
    titles = page.locator("li.card h2.title a").all_inner_texts()
    assert titles == ["Graph retrieval study 7", "Graph retrieval study 5", "Graph retrieval study 3"]
    params = parse_qs(urlsplit(page.url).query)
    assert params == {"q": ["graph retrieval"], "category": ["cs.IR"], "after": ["2026-01-03"],
                      "before": ["2026-01-10"], "sort": ["newest"]}  # fmt: skip
    expect(page.locator("#search-category")).to_have_value("cs.IR")  # the controls show what is applied
    expect(page.locator("#search-sort")).to_have_value("newest")
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing wider than the screen
    page.screenshot(path=str(ARTIFACTS / f"search-controls-{width}.png"), full_page=True)
    assert not errors, errors
    context.close()
