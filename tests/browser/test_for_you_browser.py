"""Onboarding to personal recommendations in a real browser (Playwright + Debian's Chromium): sign up,
describe interests, rate the proposed papers in place (htmx), then read the "For you" list with a reason
on every card. The time the whole flow takes is printed (it must feel like well under a minute)."""
from __future__ import annotations

import time

import pytest

from tests.browser.conftest import served_corpus
from tests.conftest import REPO_ROOT
from tests.recommend.conftest import topic_of, topic_records

ARTIFACTS = REPO_ROOT / "test-artifacts" / "browser"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    papers = [{"id": r.id, "title": r.title, "summary": r.summary, "authors": list(r.authors),
               "categories": list(r.categories), "published": r.published} for r in topic_records()]  # fmt: skip
    with served_corpus(tmp_path_factory.mktemp("for-you-browser"), papers) as served:
        yield served


def test_onboard_rate_and_read_for_you_with_reasons(browser, server):
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1200, "height": 860}, base_url=server)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    started = time.monotonic()
    page.goto("/account/signup")
    page.fill("#email", "newreader@example.org")
    page.fill("#password", "a long browser password")
    page.fill("#password2", "a long browser password")
    page.get_by_role("button", name="Sign up").click()
    page.get_by_role("link", name="For you").click()
    expect(page.get_by_role("heading", name="What do you read?")).to_be_visible()
    page.fill("#interests", "legged locomotion and dexterous grasping for robots")
    page.get_by_role("button", name="Next: rate a few papers").click()
    expect(page.get_by_role("heading", name="Rate a few papers")).to_be_visible()
    cards = page.locator("li.card")
    expect(cards).to_have_count(10)
    rated = []
    for i in range(3):
        card = cards.nth(i)
        rated.append(card.locator("h2.title a").get_attribute("href").rsplit("/", 1)[1])
        card.get_by_role("button", name="More like this").click()  # htmx swaps the buttons in place
        expect(card.get_by_role("button", name="More like this")).to_have_attribute("aria-pressed", "true")
    page.screenshot(path=str(ARTIFACTS / "for-you-rate.png"))
    page.get_by_role("link", name="See your recommendations").first.click()
    expect(page.get_by_role("heading", name="For you", exact=True)).to_be_visible()
    listed = page.locator("li.card")
    expect(listed.first.locator("p.reason")).to_be_visible()
    seconds = time.monotonic() - started
    ids = [a.get_attribute("href").rsplit("/", 1)[1] for a in listed.locator("h2.title a").all()]
    assert ids and not set(ids) & set(rated)
    assert topic_of(ids[0]) == "robots"
    assert listed.locator("p.reason").count() == len(ids)
    page.screenshot(path=str(ARTIFACTS / "for-you.png"), full_page=False)
    print(f"\nonboarding to a 'For you' list took {seconds:.1f} s of browser time")
    context.close()
    assert errors == []
