"""End to end in a real browser: `paperwire serve` on a free port with a small real corpus (the 2k
arXiv sample and the Hugging Face daily papers), driven by Playwright through Debian's Chromium
(`apt-get install chromium`; Playwright's own browser download is never used).

Screenshots go to test-artifacts/browser/. With PAPERWIRE_UPDATE_SCREENSHOTS=1 the feed and paper
shots are also copied to docs/screenshots/ for the README.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import REPO_ROOT, free_port, require, serving

ARTIFACTS = REPO_ROOT / "test-artifacts" / "browser"
DOCS_SHOTS = REPO_ROOT / "docs" / "screenshots"
DESKTOP = {"width": 1200, "height": 860}
PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.slow



def _cli(*args: str, env: dict) -> None:
    subprocess.run([sys.executable, "-m", "paperwire.cli.main", *args], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=300)  # fmt: skip


@pytest.fixture(scope="module")
def corpus(shared_data) -> dict:
    """The files to load and a few facts about them the tests aim at."""
    arxiv = shared_data / "arxiv" / "arxiv_sample_2k.jsonl"
    hf = shared_data / "hf_daily" / "papers.json"
    require(arxiv.is_file() and hf.is_file(), f"sample corpus not found under {shared_data}")
    math_paper, most = None, 0
    for line in arxiv.open(encoding="utf-8"):  # the paper with the most inline math in its abstract
        record = json.loads(line)
        found = len(re.findall(r"\$[^$]+\$", record["summary"]))
        if found > most and len(record["summary"]) < 1400:
            math_paper, most = record["id"], found
    days = Counter(v["publication_date"][:10] for v in json.loads(hf.read_text()).values())
    return {"files": [str(arxiv), str(hf)], "math_paper": math_paper, "busy_hf_day": days.most_common(1)[0][0]}


@pytest.fixture(scope="module")
def server(corpus, tmp_path_factory):
    """`paperwire serve` on a free loopback port over a freshly loaded temporary database."""
    data = tmp_path_factory.mktemp("browser-data")
    env = {**os.environ, "PAPERWIRE_DATA_DIR": str(data)}
    env.pop("PAPERWIRE_DATABASE_URL", None)
    _cli("init", env=env)
    _cli("ingest", *corpus["files"], "--no-embed", env=env)
    port = free_port()
    with serving(env, port) as base:
        yield base




@pytest.fixture
def page(browser, server):
    """A fresh page that records console errors and every request that leaves the server."""
    context = browser.new_context(viewport=DESKTOP, base_url=server, color_scheme="light")
    page = context.new_page()
    page.errors = []
    page.outside = []
    page.on("pageerror", lambda err: page.errors.append(str(err)))
    page.on("console", lambda msg: msg.type == "error" and page.errors.append(msg.text))
    page.on("request", lambda req: req.url.startswith(server) or req.url.startswith("data:") or page.outside.append(req.url))
    yield page
    context.close()
    assert page.errors == [], page.errors
    assert page.outside == [], f"requests left the server (no CDN, no external fonts): {page.outside}"


def shot(page, name: str, docs: bool = False) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    if docs and os.environ.get("PAPERWIRE_UPDATE_SCREENSHOTS") == "1":
        DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_SHOTS / f"{name}.png")
    return path


def h1(page) -> str:
    return page.locator("h1").first.inner_text().strip()


def test_the_feed_opens_on_the_newest_day_and_steps_to_the_previous_one(page):
    page.goto("/")
    newest = h1(page)
    assert re.fullmatch(r"\w+day, \d{1,2} \w+ \d{4}", newest), newest
    assert page.locator("li.card").count() > 0
    shot(page, "feed-newest")
    page.locator('a[rel="prev"]').first.click()
    page.wait_for_url(re.compile(r"/day/\d{4}-\d{2}-\d{2}$"))
    assert h1(page) != newest and page.locator("li.card").count() > 0


def test_a_busy_day_with_upvotes(page, corpus):
    page.goto(f"/day/{corpus['busy_hf_day']}")
    cards = page.locator("li.card")
    assert cards.count() >= 10
    votes = [int(v.split()[-1]) for v in page.locator("li.card .votes .count").all_inner_texts()]
    assert votes == sorted(votes, reverse=True) and votes[0] > 0  # most upvoted first
    shot(page, "feed", docs=True)


def test_a_paper_page_renders_its_math_with_katex(page, corpus):
    assert corpus["math_paper"], "the sample has a paper with $...$ in its abstract"
    page.goto(f"/papers/{corpus['math_paper']}")
    page.wait_for_selector(".abstract .katex")
    assert page.locator(".abstract .katex").count() > 0
    assert "@misc{" in page.locator("#bibtex").inner_text()
    shot(page, "paper", docs=True)
    copy = page.locator("button.copy")
    if copy.is_visible():  # the clipboard API exists in this context
        page.context.grant_permissions(["clipboard-read", "clipboard-write"])
        copy.click()
        expect(page.locator(".copied")).to_have_text("Copied to the clipboard")  # no string evaluation under the CSP


def test_an_author_link_opens_the_author_page(page, corpus):
    page.goto(f"/papers/{corpus['math_paper']}")
    link = page.locator("p.authors a").first
    name = link.inner_text().strip()
    link.click()
    page.wait_for_url(re.compile(r"/authors/"))
    assert h1(page) == name
    assert page.locator("li.card").count() >= 1
    shot(page, "author")


def test_search_from_the_header(page):
    page.goto("/")
    page.get_by_label("Search papers").first.fill("language models")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=language\+models"))
    assert page.locator("li.card").count() > 0
    shot(page, "search")
    page.goto("/search?q=xyzzyplughnothing")
    assert "No papers match" in page.locator("main").inner_text()


def test_switching_to_the_week_view(page):
    page.goto("/")
    page.locator('nav[aria-label="View"] a', has_text="Week").click()
    page.wait_for_url(re.compile(r"/week/\d{4}-W\d{2}$"))
    assert h1(page).startswith("Week ")
    assert page.locator("li.card").count() > 0
    shot(page, "week")


def test_show_more_appends_the_next_papers_in_place(page):
    page.goto("/")
    page.locator('nav[aria-label="View"] a', has_text="Month").click()
    page.wait_for_url(re.compile(r"/month/"))
    if page.locator("li.more").count() == 0:  # the newest month may have just begun: take the one before
        page.locator('a[rel="prev"]').first.click()
        page.wait_for_url(re.compile(r"/month/\d{4}-\d{2}$"))
    assert page.locator("li.card").count() == 30
    next_url = page.locator("li.more a").get_attribute("href")
    page.locator("li.more a").click()
    page.locator("li.card").nth(30).wait_for()  # appended by htmx (no string evaluation: the CSP allows none)
    assert page.locator("li.card").count() > 30
    assert page.url.endswith(next_url)  # the address bar follows, so a reload or a shared link shows the same place


def test_the_keyboard_reaches_the_skip_link_first(page):
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to content"
    assert page.locator("a.skip").bounding_box()["x"] >= 0  # visible when focused
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"


@pytest.mark.parametrize("path", ["/", "/trending", "/search?q=graph", "/week"])
def test_a_phone_wide_screen_has_no_horizontal_scroll(browser, server, path, corpus):
    context = browser.new_context(viewport=PHONE, base_url=server, color_scheme="dark", is_mobile=True)
    page = context.new_page()
    try:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        width = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert width[0] <= width[1], f"{path}: content {width[0]}px wide in a {width[1]}px screen"
        page.goto(f"/papers/{corpus['math_paper']}")
        page.wait_for_selector(".abstract .katex")
        width = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert width[0] <= width[1], f"paper page: {width}"
        if path == "/":
            page.goto("/")
            shot(page, "phone-dark")
    finally:
        context.close()
