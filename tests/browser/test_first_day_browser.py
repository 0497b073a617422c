"""The first day in a real browser (Playwright + Debian's Chromium), over one small served corpus:
no main page scrolls sideways at phone or laptop width, signed in or out; the signed-in header is one
row at 1366 px and a "Menu" disclosure at 390 px; the API docs render offline. One browser, one
context per reader, pages reused. Screenshots go to test-artifacts/browser/."""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import served_corpus
from tests.conftest import REPO_ROOT

ARTIFACTS = REPO_ROOT / "test-artifacts" / "browser"
PHONE, LAPTOP = {"width": 390, "height": 844}, {"width": 1366, "height": 768}
DAY = "2026-01-14"
PAGES = ["/", f"/day/{DAY}", "/week/2026-W03", "/month/2026-01", "/papers/2601.00001", "/search?q=diffusion",
         "/authors/ada-lovelace", "/categories/cs.CL", "/trending", "/for-you", "/following", "/collections",
         "/account", "/digest", "/submit", "/status"]  # fmt: skip
PASSWORD = "a long browser password"
pytestmark = pytest.mark.slow


def _papers() -> list[dict]:
    long_names = ["Maximiliane Hildegard Oberschwendtner-Kowalczyk", "Jean-Baptiste Alexandre Delacroix-Montmorency"]
    return [{"id": f"2601.{i + 1:05d}", "title": f"Diffusion transformers for very long documents, part {i + 1}: "
             "an extraordinarily thorough investigation of $\\mathcal{O}(n \\log n)$ attention",
             "summary": "We study diffusion with \\emph{sparse} attention \\cite{vaswani2017} at "
             "https://example.org/a/very/long/path/that/does/not/break/easily/anywhere/at/all/0123456789 and more.",
             "authors": ["Ada Lovelace", *long_names, "Alan Turing"], "categories": ["cs.CL", "cs.LG", "cs.AI", "stat.ML"],
             "published": DAY, "upvotes": 10 - i} for i in range(6)]  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with served_corpus(tmp_path_factory.mktemp("first-day-browser"), _papers()) as served:
        yield served


@pytest.fixture(scope="module")
def signed_out(browser, server):
    context = browser.new_context(base_url=server, viewport=LAPTOP)
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module")
def signed_in(browser, server):
    context = browser.new_context(base_url=server, viewport=LAPTOP)
    page = context.new_page()
    page.goto("/account/signup")
    page.fill("#email", "firstday@example.org")
    page.fill("#display_name", "Firstday Reader With A Long Name")
    page.fill("#password", PASSWORD)
    page.fill("#password2", PASSWORD)
    page.locator("main").get_by_role("button", name="Sign up").click()
    page.wait_for_load_state()
    assert "pw_session" in {c["name"] for c in context.cookies()}
    yield page
    context.close()


def _overflowing(page, viewport: dict) -> list[str]:
    """The pages whose document is wider than the window at this viewport."""
    page.set_viewport_size(viewport)
    wide = []
    for path in PAGES:
        page.goto(path)
        width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if width > inner:
            wide.append(f"{path}: {width} > {inner}")
            page.screenshot(path=str(ARTIFACTS / f"overflow-{viewport['width']}-{path.strip('/').replace('/', '_') or 'home'}.png"))
    return wide


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["390px", "1366px"])
def test_no_main_page_scrolls_sideways_signed_out(signed_out, viewport):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert _overflowing(signed_out, viewport) == []


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["390px", "1366px"])
def test_no_main_page_scrolls_sideways_signed_in(signed_in, viewport):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert _overflowing(signed_in, viewport) == []


def _header_rows(page) -> int:
    """How many rows the visible items of the header bar take."""
    tops = page.evaluate("""[...document.querySelectorAll('header.site .bar > *')]
        .filter(e => e.offsetParent !== null).map(e => { const r = e.getBoundingClientRect(); return r.top + r.height / 2; })""")
    rows = []
    for top in sorted(tops):
        if not rows or top - rows[-1] > 12:
            rows.append(top)
    return len(rows)


def test_the_signed_in_header_is_one_row_at_1366_px(signed_in):
    signed_in.set_viewport_size(LAPTOP)
    signed_in.goto("/")
    assert _header_rows(signed_in) == 1
    for name in ("Daily", "Trending", "Digest", "For you", "Following", "Collections"):
        assert signed_in.locator("header nav.primary").get_by_role("link", name=name).is_visible(), name
    account = signed_in.locator("header details.account-menu")
    account.locator("summary").click()
    assert account.get_by_role("link", name="Submit a paper").is_visible()
    assert account.get_by_role("button", name="Log out").is_visible()
    assert signed_in.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    signed_in.screenshot(path=str(ARTIFACTS / "header-signed-in-1366.png"))


@pytest.mark.parametrize("width", [320, 390])
def test_on_a_phone_the_signed_in_links_are_behind_a_menu(signed_in, width):
    from playwright.sync_api import expect

    signed_in.set_viewport_size({"width": width, "height": 800})
    signed_in.goto(f"/day/{DAY}")
    assert signed_in.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    menu = signed_in.locator("header details.site-menu")
    expect(menu.get_by_role("link", name="Collections")).to_be_hidden()
    menu.locator("summary").click()
    for name in ("Daily", "Trending", "Digest", "For you", "Following", "Collections", "Submit a paper"):
        expect(menu.get_by_role("link", name=name)).to_be_visible()
    expect(menu.get_by_role("button", name="Log out")).to_be_visible()
    assert signed_in.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    signed_in.screenshot(path=str(ARTIFACTS / f"header-menu-{width}.png"))
    menu.get_by_role("link", name="Collections").click()
    expect(signed_in).to_have_url(re.compile(r"/collections$"))


def test_the_api_docs_render_offline(browser, server):
    from playwright.sync_api import expect

    context = browser.new_context(base_url=server, viewport=LAPTOP)
    page = context.new_page()
    outside = []

    def only_this_site(route):
        if route.request.url.startswith(server):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_this_site)
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto("/")
    page.locator("footer").get_by_role("link", name="API docs").click()
    expect(page.locator(".opblock").first).to_be_visible(timeout=15_000)
    expect(page.locator(".opblock-summary-path", has_text="/api/daily_papers").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "api-docs.png"))
    context.close()
    assert (outside, errors) == ([], [])
