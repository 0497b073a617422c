"""Fixtures for the accounts tests: the app on SQLite and PostgreSQL with a real in-process SMTP
server (aiosmtpd) behind the mail layer, and clients that send what a browser sends."""
from __future__ import annotations

import re
import time

import pytest
from fastapi.testclient import TestClient

from paperwire.settings import Settings
from paperwire.web.app import create_app
from paperwire.web.pages import PageCache
from tests.browsing import HTML
from tests.mail import Inbox, smtp_server


class Mailbox(Inbox):
    def last_to(self, address: str, timeout: float = 10.0):
        """The newest email to ``address``, waiting for it a while (mail goes out after the request answered)."""
        deadline = time.monotonic() + timeout
        while True:
            found = [m for m in self.messages if m["To"] == address]
            if found or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        assert found, f"no email to {address}: {[m['To'] for m in self.messages]}"
        return found[-1]

    def link(self, address: str, path: str, timeout: float = 10.0) -> str:
        """The ``path?token=...`` link of the newest email to ``address`` that has one (waiting for it a while)."""
        pattern = re.compile(r"https?://[^/\s]+(" + re.escape(path) + r"\?token=[\w.\-]+)")
        deadline = time.monotonic() + timeout
        while True:
            for message in reversed([m for m in self.messages if m["To"] == address]):
                match = pattern.search(message.get_body(("plain",)).get_content())
                if match:
                    return match.group(1)
            assert time.monotonic() < deadline, f"no {path} link to {address}: {[m['To'] for m in self.messages]}"
            time.sleep(0.02)


@pytest.fixture(scope="session")
def smtp():
    box = Mailbox()
    with smtp_server(box) as url:
        yield box, url


@pytest.fixture
def mailbox(smtp):
    box, _url = smtp
    box.messages.clear()
    return box


@pytest.fixture
def pw_settings(smtp) -> dict:
    return {"smtp_url": smtp[1], "secret_key": "test-secret-key"}


@pytest.fixture
def app(pw):
    application = create_app(pw=pw)
    application.state.page_cache = PageCache(lambda: None)  # per-user pages (see test_page_cache_*)
    return application


@pytest.fixture
def client(app):
    with TestClient(app, headers=HTML) as c:
        yield c


@pytest.fixture
def new_client(app):
    clients = []

    def make():
        c = TestClient(app, headers=HTML)
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()

