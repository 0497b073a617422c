"""The first day in a real browser (Playwright + Debian's Chromium), over one small served corpus:
no main page scrolls sideways at phone or laptop width, signed in or out; the signed-in header is one
row at 1366 px and a "Menu" disclosure at 390 px; the API docs render offline; "Save" puts a paper on
the Reading list in one click and the menu beside it on another collection; rating buttons and author
links look clickable; "Show more" updates the URL. One browser, one context per reader, pages reused.
Screenshots go to test-artifacts/browser/."""
from __future__ import annotations

import re

import pytest

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
             "published": DAY, "upvotes": max(0, 40 - i)} for i in range(35)]  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app served by uvicorn in a thread of this process over a new SQLite database (no subprocess
    start-up: the whole module stays fast); no base URL, so links come from the requests."""
    import threading
    import time

    import uvicorn

    from paperwire.context import Paperwire
    from paperwire.settings import Settings
    from paperwire.web.app import create_app
    from tests.conftest import free_port
    from tests.factories import load, make_record

    data = tmp_path_factory.mktemp("first-day-browser")
    pw = Paperwire.open(Settings(data_dir=data, secret_key="browser-test-key", harvest_sources=[]), upgrade=True)
    load(pw.store, *[make_record(**paper) for paper in _papers()])
    port = free_port()
    served = uvicorn.Server(uvicorn.Config(create_app(pw=pw), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=served.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not served.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    served.should_exit = True
    thread.join(10)
    pw.close()


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


def _overflowing(page) -> list[str]:
    """The pages whose document is wider than the window, at phone or at laptop width (each page loaded
    once, measured at both widths)."""
    wide = []
    for path in PAGES:
        page.set_viewport_size(PHONE)
        page.goto(path, wait_until="domcontentloaded")
        for viewport in (PHONE, LAPTOP):
            page.set_viewport_size(viewport)
            width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            if width > inner:
                wide.append(f"{path} at {viewport['width']} px: {width} > {inner}")
                name = path.strip("/").replace("/", "_").replace("?", "_") or "home"
                page.screenshot(path=str(ARTIFACTS / f"overflow-{viewport['width']}-{name}.png"))
    return wide


def test_no_main_page_scrolls_sideways_signed_out(signed_out):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert _overflowing(signed_out) == []


def test_no_main_page_scrolls_sideways_signed_in(signed_in):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert _overflowing(signed_in) == []


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
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)  # CSP refusals too
    page.goto("/")
    page.locator("footer").get_by_role("link", name="API docs").click()
    expect(page.locator(".opblock").first).to_be_visible(timeout=15_000)
    expect(page.locator(".opblock-summary-path", has_text="/api/daily_papers").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "api-docs.png"))
    context.close()
    assert (outside, errors) == ([], [])


def test_save_puts_a_paper_on_the_reading_list_and_the_menu_on_another_collection(signed_in):
    from playwright.sync_api import expect

    signed_in.set_viewport_size(LAPTOP)
    signed_in.goto(f"/day/{DAY}")
    first = signed_in.locator("li.card").first
    first.get_by_role("button", name="Save", exact=True).click()  # htmx swaps the block in place
    expect(first.locator("button.save")).to_have_text("Saved ✓")
    first.locator("details.collect-more summary").click()
    first.get_by_placeholder("New collection").fill("Thesis")
    first.get_by_role("button", name="Add").click()
    second = signed_in.locator("li.card").nth(1)
    second.locator("details.collect-more summary").click()
    second.get_by_role("button", name="Thesis").click()
    expect(second.locator("details.collect-more summary")).to_contain_text("✓")
    signed_in.screenshot(path=str(ARTIFACTS / "reading-list-saved.png"))
    signed_in.goto("/collections")
    expect(signed_in.get_by_role("link", name="Reading list")).to_be_visible()
    expect(signed_in.get_by_role("link", name="Thesis")).to_be_visible()


def _looks(locator) -> dict:
    return locator.evaluate("""e => { const s = getComputedStyle(e);
        return {opacity: s.opacity, cursor: s.cursor, color: s.color, line: s.textDecorationLine,
                border: s.borderTopStyle, body: getComputedStyle(document.body).color}; }""")


def test_rating_buttons_look_clickable(signed_in):
    signed_in.set_viewport_size(LAPTOP)
    signed_in.goto(f"/day/{DAY}")
    looks = _looks(signed_in.locator("li.card").first.get_by_role("button", name="More like this"))
    assert (looks["opacity"], looks["cursor"], looks["border"]) == ("1", "pointer", "solid")
    assert looks["color"] == looks["body"]  # full text colour, not a faded one


def test_author_links_on_a_paper_page_look_like_links(signed_out):
    signed_out.set_viewport_size(LAPTOP)
    signed_out.goto("/papers/2601.00001")
    author = _looks(signed_out.locator("article.paper p.authors a").first)
    kicker = _looks(signed_out.locator("article.paper p.kicker"))
    assert "underline" in author["line"] and author["color"] != kicker["color"] and author["color"] != author["body"]


def test_show_more_updates_the_url(signed_out):
    from playwright.sync_api import expect

    signed_out.set_viewport_size(LAPTOP)
    signed_out.goto(f"/day/{DAY}")
    cards = signed_out.locator("li.card")
    expect(cards).to_have_count(30)
    signed_out.get_by_role("link", name="Show more papers").click()
    expect(cards).to_have_count(35)
    expect(signed_out).to_have_url(re.compile(r"page=2"))
