"""Accounts in a real browser (Playwright + Debian's Chromium): sign up, confirm the email by the link
read from an in-process SMTP server (aiosmtpd), upvote a paper in place (htmx), save it to a new
collection, log out. Screenshots go to test-artifacts/browser/."""
from __future__ import annotations

import re
import time

import pytest

from tests.browser.conftest import served_corpus
from tests.conftest import REPO_ROOT
from tests.mail import Inbox, smtp_server

ARTIFACTS = REPO_ROOT / "test-artifacts" / "browser"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def smtp():
    inbox = Inbox()
    with smtp_server(inbox) as url:
        yield inbox, url


@pytest.fixture(scope="module")
def server(smtp, tmp_path_factory):
    papers = [{"id": f"2601.{i + 1:05d}", "title": f"Browser paper number {i + 1}", "summary": "We test things in a browser.",
               "authors": ["Ada Lovelace"], "categories": ["cs.CL"], "published": "2026-01-14", "upvotes": 10 - i}
              for i in range(5)]  # fmt: skip
    with served_corpus(tmp_path_factory.mktemp("accounts-browser"), papers, smtp_url=smtp[1], web_workers="1") as served:
        yield served


def _wait_for_mail(inbox, to: str, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with inbox.lock:
            found = [m for m in inbox.messages if m["To"] == to]
        if found:
            return found[-1]
        time.sleep(0.1)
    raise AssertionError(f"no email to {to}")


def test_sign_up_verify_upvote_collect_and_log_out(browser, server, smtp):
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1200, "height": 860}, base_url=server)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto("/")
    page.get_by_role("link", name="Sign up").click()
    page.fill("#email", "reader@example.org")
    page.fill("#display_name", "Reader")
    page.fill("#password", "a long browser password")
    page.fill("#password2", "a long browser password")
    page.locator("main").get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Check your inbox", exact=True)).to_be_visible()

    mail = _wait_for_mail(smtp[0], "reader@example.org")
    link = re.search(r"http://\S+/account/verify\?token=\S+", mail.get_body(("plain",)).get_content()).group(0)
    page.goto(link)  # confirms the address and signs in
    expect(page.get_by_role("heading", name="What do you read?")).to_be_visible()  # a new reader lands on For-you's start
    expect(page.locator("header details.account-menu summary")).to_contain_text("Reader")  # signed in, by name

    page.goto("/")
    first = page.locator("li.card").first
    vote = first.locator("button.vote")
    expect(vote).to_have_attribute("aria-pressed", "false")
    expect(vote).to_contain_text("▲ 10")
    vote.click()  # htmx swaps the button in place
    expect(first.locator("button.vote")).to_have_attribute("aria-pressed", "true")
    expect(first.locator("button.vote")).to_contain_text("▲ 11")
    page.screenshot(path=str(ARTIFACTS / "accounts-voted.png"))

    first.locator("details.collect-more summary").click()
    first.locator("input[name=name]").fill("To read")
    first.get_by_role("button", name="Add").click()
    expect(page.locator("li.card").first.locator("details.collect-more summary")).to_contain_text("✓")
    page.goto("/collections")
    page.get_by_role("link", name="To read").click()
    expect(page.get_by_text("Browser paper number 1")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "accounts-collection.png"))

    page.locator("header details.account-menu summary").click()  # the account menu: settings, submit, log out
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    expect(page.locator("li.card").first.locator("button.vote")).to_have_count(0)
    expect(page.locator("li.card").first.locator(".votes")).to_contain_text("▲ 11")
    context.close()
    assert errors == []
