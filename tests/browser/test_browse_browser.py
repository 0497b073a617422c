"""Narrowing the feed and following in a real browser (Playwright + Debian's Chromium), at desktop
(1366 px) and phone (390 px) width: the category filter swaps the list in place and puts the category
in the URL (kept after a reload); the follow button of the filtered category toggles in place (htmx,
no page load), shows "Following" after a reload, and unfollows. Screenshots go to
test-artifacts/browser/."""
from __future__ import annotations

import pytest

from tests.browser.conftest import served_corpus
from tests.conftest import REPO_ROOT

ARTIFACTS = REPO_ROOT / "test-artifacts" / "browser"
pytestmark = pytest.mark.slow
DAY = "2026-01-14"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    papers = [{"id": f"2601.{i + 1:05d}", "title": f"{'Vision' if i % 2 else 'Language'} paper {i + 1}",
               "summary": "We test narrowing a feed.", "authors": ["Ada Lovelace"],
               "categories": ["cs.CV" if i % 2 else "cs.CL"], "published": DAY, "upvotes": 10 - i}
              for i in range(6)]  # fmt: skip
    with served_corpus(tmp_path_factory.mktemp("browse-browser"), papers) as served:  # no email: accounts work at once
        yield served


@pytest.mark.parametrize("width, height", [(1366, 860), (390, 844)], ids=["desktop", "phone"])
def test_the_category_filter_and_a_follow_toggle(browser, server, width, height):
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": height}, base_url=server)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))

    page.goto("/account/signup")
    page.fill("#email", f"narrow{width}@example.org")
    page.fill("#display_name", f"Narrow {width}")
    page.fill("#password", "a long browser password")
    page.fill("#password2", "a long browser password")
    page.locator("main").get_by_role("button", name="Sign up").click()
    page.wait_for_load_state()
    assert "pw_session" in {c["name"] for c in context.cookies()}, page.locator("main").inner_text()[:500]

    page.goto(f"/day/{DAY}")
    expect(page.locator("li.card")).to_have_count(6)
    expect(page.locator("#category option[value='cs.CV']")).to_have_text("cs.CV (3)")
    page.evaluate("window.__same_page = true")
    page.select_option("#category", "cs.CV")  # htmx swaps the list in place and pushes the URL
    expect(page).to_have_url(f"{server}/day/{DAY}?category=cs.CV")
    expect(page.locator("li.card")).to_have_count(3)
    expect(page.locator("li.card h2.title").first).to_contain_text("Vision")
    assert page.evaluate("window.__same_page === true")
    page.screenshot(path=str(ARTIFACTS / f"browse-filtered-{width}.png"), full_page=True)

    follow = page.locator("form.follow-form")
    follow.get_by_role("button", name="Follow").click()  # toggles in place
    expect(follow.get_by_role("button", name="Unfollow")).to_be_visible()
    expect(page.locator(".follow-state")).to_have_text("✓ Following")
    assert page.evaluate("window.__same_page === true")  # no page load
    page.screenshot(path=str(ARTIFACTS / f"browse-following-{width}.png"))

    page.reload()
    expect(page.locator("li.card")).to_have_count(3)  # the filter is in the URL
    expect(page.locator("form.follow-form").get_by_role("button", name="Unfollow")).to_be_visible()
    page.goto("/following")
    expect(page.locator("ul.follows").get_by_role("link", name="cs.CV")).to_have_attribute("href", "/categories/cs.CV")
    page.locator("ul.follows").get_by_role("button", name="Unfollow").click()
    expect(page.locator("ul.follows").get_by_role("button", name="Follow")).to_be_visible()
    page.goto(f"/day/{DAY}?category=cs.CV")
    expect(page.locator("form.follow-form").get_by_role("button", name="Follow")).to_be_visible()
    context.close()
    assert errors == []
