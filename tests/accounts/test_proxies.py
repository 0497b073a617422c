"""Rate limits behind a reverse proxy (PAPERWIRE_TRUSTED_PROXIES): X-Forwarded-For is believed only
from a trusted peer, and then the client is the right-most forwarded address that is not a proxy."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from paperwire.services.ratelimit import RateLimiter
from paperwire.settings import Settings
from paperwire.web.app import create_app
from tests.browsing import HTML, login

PROXY = "10.0.0.1"


@pytest.fixture
def make_client(sqlite_store):
    """``make_client(peer, forwarded_for, trusted)``: a browser connecting from ``peer`` that sends
    ``X-Forwarded-For: forwarded_for``, to an app trusting ``trusted``, whose log-in limit is 2 a minute
    per client address (one app, so one set of counters, per ``trusted``)."""
    apps, clients = {}, []

    def make(peer: str, forwarded_for: str | None, trusted: tuple[str, ...] = (PROXY,)) -> TestClient:
        if trusted not in apps:
            settings = Settings(database_url=str(sqlite_store.engine.url), secret_key="test-secret-key",
                                trusted_proxies=list(trusted))  # fmt: skip
            apps[trusted] = create_app(settings, store=sqlite_store)
            apps[trusted].state.rate_limiter = RateLimiter(rules={"login": "2/minute"})
        headers = {**HTML, **({"X-Forwarded-For": forwarded_for} if forwarded_for else {})}
        client = TestClient(apps[trusted], headers=headers, client=(peer, 40000 + len(clients)))
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def _exhaust(client) -> None:
    """Use up the client address's two log-in attempts (unknown emails: only the per-IP rule counts)."""
    assert [login(client, f"nobody{n}@example.org").status_code for n in range(2)] == [400, 400]
    assert login(client, "nobody9@example.org").status_code == 429


def test_from_a_trusted_proxy_each_forwarded_client_has_its_own_bucket(make_client):
    _exhaust(make_client(PROXY, "203.0.113.5"))
    assert login(make_client(PROXY, "203.0.113.6"), "other@example.org").status_code == 400


def test_from_a_trusted_proxy_the_same_forwarded_client_shares_its_bucket(make_client):
    _exhaust(make_client(PROXY, "203.0.113.5"))
    assert login(make_client(PROXY, "203.0.113.5"), "other@example.org").status_code == 429


def test_a_spoofed_left_most_forwarded_address_does_not_get_a_fresh_bucket(make_client):
    _exhaust(make_client(PROXY, "198.51.100.1, 203.0.113.5"))
    assert login(make_client(PROXY, "198.51.100.2, 203.0.113.5"), "other@example.org").status_code == 429


def test_proxies_in_a_trusted_network_are_skipped_to_find_the_client(make_client):
    trusted = ("10.0.0.0/8",)
    _exhaust(make_client("10.0.0.1", "203.0.113.5, 10.1.2.3", trusted))
    assert login(make_client("10.9.9.9", "203.0.113.5", trusted), "other@example.org").status_code == 429
    assert login(make_client("10.0.0.1", "203.0.113.6, 10.1.2.3", trusted), "other@example.org").status_code == 400


def test_from_an_untrusted_peer_x_forwarded_for_is_ignored(make_client):
    _exhaust(make_client("192.0.2.9", "203.0.113.5"))
    assert login(make_client("192.0.2.9", "203.0.113.6"), "other@example.org").status_code == 429


def test_by_default_no_proxy_is_trusted_not_even_loopback(make_client):
    _exhaust(make_client("127.0.0.1", "203.0.113.5", trusted=()))
    assert login(make_client("127.0.0.1", "203.0.113.6", trusted=()), "other@example.org").status_code == 429


def test_trusted_proxies_are_read_comma_separated_from_the_environment(monkeypatch):
    monkeypatch.setenv("PAPERWIRE_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8,::1")
    assert Settings().trusted_proxies == ["127.0.0.1", "10.0.0.0/8", "::1"]


def test_a_trusted_proxy_that_is_not_an_address_is_refused(monkeypatch):
    monkeypatch.setenv("PAPERWIRE_TRUSTED_PROXIES", "nginx")
    with pytest.raises(ValidationError, match="'nginx' is not an IP address or CIDR network"):
        Settings()
