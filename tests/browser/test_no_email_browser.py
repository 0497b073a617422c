"""The first day on an instance without email, in a real browser (Playwright + Debian's Chromium): from a
paper page, signed out, "Log in to comment" → sign up (no confirmation needed) → back on the paper →
comment; and a signed-out vote → log in with the reason shown → back on the paper page."""
from __future__ import annotations

import pytest

from tests.browser.conftest import served_corpus
from tests.conftest import REPO_ROOT

ARTIFACTS = REPO_ROOT / "test-artifacts" / "browser"
pytestmark = pytest.mark.slow
PASSWORD = "a long browser password"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    papers = [{"id": f"2601.{i + 1:05d}", "title": f"First day paper {i + 1}", "summary": "Signing up without email.",
               "authors": ["Ada Lovelace"], "categories": ["cs.CL"], "published": "2026-01-14", "upvotes": 5 - i}
              for i in range(3)]  # fmt: skip
    with served_corpus(tmp_path_factory.mktemp("no-email-browser"), papers, web_workers="1") as served:  # no SMTP URL
        yield served


def test_sign_up_without_email_then_comment_on_the_paper_it_started_from(browser, server):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1200, "height": 860}, base_url=server)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto("/papers/2601.00002")
    page.locator("#comments").get_by_role("link", name="Log in").click()
    expect(page.get_by_text("Log in to comment.")).to_be_visible()
    page.get_by_role("link", name="Create an account").click()
    expect(page.get_by_text("This instance sends no email")).to_be_visible()
    page.fill("#email", "first@example.org")
    page.fill("#display_name", "First Reader")
    page.fill("#password", PASSWORD)
    page.fill("#password2", PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(f"{server}/papers/2601.00002#comments")
    page.fill("#comment-body", "Read on day one, no email needed.")
    page.get_by_role("button", name="Comment").click()
    expect(page.get_by_role("paragraph").filter(has_text="Read on day one, no email needed.")).to_be_visible()
    expect(page.locator("#comments").get_by_text("First Reader")).to_be_visible()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "no-email-comment.png"))
    context.close()
    assert errors == []


def test_a_signed_out_vote_logs_in_and_comes_back_to_the_paper(browser, server):
    from playwright.sync_api import expect

    first = browser.new_context(base_url=server)
    setup = first.new_page()
    setup.goto("/account/signup")
    setup.fill("#email", "voter@example.org")
    setup.fill("#password", PASSWORD)
    setup.fill("#password2", PASSWORD)
    setup.get_by_role("button", name="Sign up").click()
    setup.wait_for_load_state()
    first.close()

    context = browser.new_context(viewport={"width": 1200, "height": 860}, base_url=server)
    page = context.new_page()
    page.goto("/papers/2601.00003")
    page.locator("a.vote-login").first.click()
    expect(page.get_by_text("Log in to vote for papers.")).to_be_visible()
    page.fill("#email", "voter@example.org")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{server}/papers/2601.00003")
    expect(page.locator("button.vote").first).to_be_visible()
    context.close()
