"""Absolute links without PAPERWIRE_BASE_URL (``api.links.site_url``): Atom/RSS feeds and the API's ``url``
fields point at the address the request came in on (``PORT=8100``), the scheme a trusted proxy forwards
and never one an untrusted peer claims; a configured base URL wins; start-up warns when it is unset
(SQLite and PostgreSQL)."""
from __future__ import annotations

import logging
import re

import feedparser
import pytest
from fastapi.testclient import TestClient

from paperwire.context import Paperwire
from paperwire.settings import Settings
from paperwire.web.app import create_app
from tests.factories import ingest, make_record

PID = "2401.00007"
PROXY = "10.0.0.1"


@pytest.fixture
def make_app(store, db_url, tmp_path):
    """``make_app(**settings)``: an app on the test database with these settings (no base URL unless given)."""
    ingest(store, [make_record(id=PID, published="2024-01-09T12:00:00", categories=["cs.CL"])])
    contexts = []

    def make(**settings):
        pw = Paperwire(Settings(database_url=db_url, data_dir=tmp_path, **settings), store)
        contexts.append(pw)
        return create_app(pw=pw)

    yield make
    for context in contexts:
        context.close()


def _links(client: TestClient) -> dict[str, str]:
    atom = feedparser.parse(client.get("/feeds/daily.atom?date=2024-01-09").content)
    rss = feedparser.parse(client.get("/feeds/category/cs.CL.rss").content)
    return {
        "atom entry": atom.entries[0].link,
        "rss entry": rss.entries[0].link,
        "api url": client.get(f"/api/papers/{PID}").json()["url"],
        "search url": client.get("/api/search", params={"q": "study"}).json()["results"][0]["paper"]["url"],
        "markdown": next(line for line in client.get(f"/papers/{PID}.md").text.splitlines() if "paperwire:" in line),
    }


def _all_start_with(links: dict[str, str], base: str) -> bool:
    return all(f"{base}/papers/{PID}" in link for link in links.values())


def test_without_a_base_url_links_use_the_requests_own_host_and_port(make_app):
    with TestClient(make_app(), base_url="http://127.0.0.1:8100") as client:
        links = _links(client)
    assert _all_start_with(links, "http://127.0.0.1:8100"), links


def test_behind_a_trusted_proxy_links_use_its_forwarded_scheme_and_the_host(make_app):
    app = make_app(trusted_proxies=[PROXY])
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.5"}
    with TestClient(app, base_url="http://papers.example.org", headers=headers, client=(PROXY, 40000)) as client:
        links = _links(client)
    assert _all_start_with(links, "https://papers.example.org"), links


def test_a_forwarded_scheme_from_an_untrusted_peer_is_ignored(make_app):
    app = make_app(trusted_proxies=[PROXY])
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.5"}
    with TestClient(app, base_url="http://papers.example.org", headers=headers, client=("198.51.100.9", 40000)) as client:
        links = _links(client)
    assert _all_start_with(links, "http://papers.example.org"), links


def test_a_configured_base_url_wins_over_the_requests_address(make_app):
    with TestClient(make_app(base_url="https://site.example.org/"), base_url="http://127.0.0.1:8100") as client:
        links = _links(client)
    assert _all_start_with(links, "https://site.example.org"), links


def test_start_up_warns_that_emails_need_the_base_url_when_it_is_unset(make_app, caplog):
    with caplog.at_level(logging.WARNING, logger="paperwire"):
        make_app()
    assert any("PAPERWIRE_BASE_URL is not set" in r.getMessage() and "emails" in r.getMessage() for r in caplog.records)


def test_start_up_does_not_warn_when_the_base_url_is_set(make_app, caplog):
    with caplog.at_level(logging.WARNING, logger="paperwire"):
        make_app(base_url="https://site.example.org")
    assert not any("PAPERWIRE_BASE_URL" in r.getMessage() for r in caplog.records)


def test_a_public_collections_share_link_uses_the_requests_address_or_the_base_url(make_app, store):
    from paperwire.services import collections as coll_svc
    from tests.browsing import HTML, login
    from tests.factories import PASSWORD, account

    owner = account(store, "sharer@example.org", PASSWORD, verified=True)
    shared = coll_svc.create(store, owner, "Shared", is_public=True)
    shown = {}
    cases = (("request", {}, "http://127.0.0.1:8100"),
             ("configured", {"base_url": "https://site.example.org"}, "https://internal.example:8443"))  # fmt: skip
    for name, settings, address in cases:
        with TestClient(make_app(secret_key="test-secret-key", **settings), base_url=address, headers=HTML) as client:
            assert login(client, "sharer@example.org").status_code == 303
            page = client.get(f"/collections/{shared.slug}").text
            shown[name] = re.search(r'Public link: <a href="[^"]*">([^<]*)</a>', page).group(1)
    assert shown == {"request": f"http://127.0.0.1:8100/collections/{shared.slug}",
                     "configured": f"https://site.example.org/collections/{shared.slug}"}
