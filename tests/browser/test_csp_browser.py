"""The Content-Security-Policy in a real browser (Playwright, Debian's Chromium): the pages work under
it — KaTeX renders math, htmx swaps a vote in place, the feed's category select submits its form —
Swagger UI shows the API docs — and the browser reports no CSP violation on any of them."""
from __future__ import annotations

import pytest

from tests.browser.conftest import served_corpus

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    papers = [{"id": f"2601.{i + 1:05d}", "title": f"Math paper {i + 1} on $\\alpha$-entmax", "authors": ["Ada Lovelace"],
               "summary": "We show $x^2 + y^2 = z^2$ holds.", "categories": ["cs.CL" if i % 2 else "cs.LG"],
               "published": "2026-01-14", "upvotes": 5 - i} for i in range(4)]  # fmt: skip
    with served_corpus(tmp_path_factory.mktemp("csp-browser"), papers) as served:
        yield served


def test_pages_work_under_the_csp_without_a_violation(browser, server):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1200, "height": 860}, base_url=server)
    page = context.new_page()
    violations, errors = [], []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.on("pageerror", lambda err: errors.append(str(err)))

    page.goto("/day/2026-01-14")
    expect(page.locator(".katex").first).to_be_visible()  # KaTeX (a local script) ran
    page.select_option("#category", "cs.CL")  # the select submits its form from app.js (no inline handler)
    page.wait_for_url("**category=cs.CL**")
    page.goto("/papers/2601.00001")
    expect(page.locator(".katex").first).to_be_visible()
    page.goto("/account/signup")
    page.fill("#email", "csp@example.org")
    page.fill("#password", "a long browser password")
    page.fill("#password2", "a long browser password")
    page.get_by_role("button", name="Sign up").click()
    page.goto("/day/2026-01-14")
    vote = page.locator("li.card").first.locator("button.vote")
    vote.click()  # htmx (a local script) swaps the button in place
    expect(page.locator("li.card").first.locator("button.vote")).to_have_attribute("aria-pressed", "true")
    for path in ("/digest", "/collections", "/account", "/for-you/start", "/search?q=entmax"):
        page.goto(path)
    page.goto("/docs")
    expect(page.locator(".swagger-ui .info").first).to_be_visible()  # Swagger UI (local files) ran
    context.close()
    assert violations == [] and errors == [], (violations, errors)
