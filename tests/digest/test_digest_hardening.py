"""Subscribing without leaks or stalls (issue #20 items 4, 10, 11 and 14), on SQLite and PostgreSQL with a
real SMTP server (aiosmtpd): the same answer for every address, rate limits per client and address,
mail sent after the answer, preferences only through the confirmed link, old links after an unsubscribe."""
from __future__ import annotations

import asyncio
import re
import statistics
import threading
import time

import pytest
from fastapi.testclient import TestClient

from paperwire.services import digest as svc
from paperwire.store import digest as digest_db
from tests.conftest import free_port
from tests.factories import active_subscriber

FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
def app(store, settings):
    from paperwire.web.app import create_app

    return create_app(settings, store=store)


def browser(app, host: str = "testclient") -> TestClient:
    return TestClient(app, client=(host, 40000))


def subscribe(client, email: str, extra: str = ""):
    return client.post("/digest", content=f"email={email.replace('@', '%40')}{extra}", headers=FORM)


def _confirm_links(mailbox, address: str) -> list[str]:
    return [re.search(r"/digest/confirm/\S+", m.get_body(("plain",)).get_content()).group(0)
            for m in mailbox.to(address)]  # fmt: skip


def test_subscribe_answers_the_same_for_new_active_pending_and_unsubscribed_addresses(app, store, settings):
    active_subscriber(store, "active@example.org")
    gone = active_subscriber(store, "gone@example.org")
    digest_db.set_status(store, gone.pk, "unsubscribed")
    digest_db.add_pending(store, "pending@example.org", svc.Preferences())
    answers, times = {}, {}
    with browser(app) as client:
        for round_ in range(3):
            for address in ("active@example.org", "gone@example.org", "pending@example.org", f"new{round_}@example.org"):
                kind = address.split("@")[0].rstrip("0123456789")
                app.state.rate_limiter = None  # each address counted afresh: this test is about the answer
                start = time.perf_counter()
                response = subscribe(client, address)
                times.setdefault(kind, []).append(time.perf_counter() - start)
                answers.setdefault(kind, set()).add((response.status_code, response.text.replace(address, "ADDRESS")))
        app.state.pw.wait_mail(10)
    assert len({frozenset(a) for a in answers.values()}) == 1 and len(answers["new"]) == 1
    medians = [statistics.median(t) for t in times.values()]
    assert max(medians) - min(medians) < 0.25 or max(medians) < 3 * min(medians), times


def test_one_address_gets_at_most_five_confirmations_whoever_asks(app, smtp_server):
    codes = []
    for i in range(8):
        with browser(app, f"192.0.2.{i + 1}") as client:
            codes.append(subscribe(client, "victim@example.org").status_code)
    app.state.pw.wait_mail(10)
    assert codes == [200] * 5 + [429] * 3
    assert len(smtp_server.mailbox.to("victim@example.org")) == 5


def test_one_client_is_limited_across_addresses(app):
    with browser(app, "203.0.113.9") as client:
        codes = [subscribe(client, f"list{i}@example.org").status_code for i in range(6)]
    assert codes == [200] * 5 + [429]


def test_asking_again_for_a_pending_address_does_not_change_its_preferences(app, store, smtp_server):
    with browser(app, "198.51.100.1") as owner, browser(app, "203.0.113.2") as attacker:
        subscribe(owner, "ada@example.org", "&send_hour=8&timezone=Europe%2FParis&categories=cs.CL")
        subscribe(attacker, "ada@example.org", "&send_hour=3&timezone=Asia%2FTokyo&categories=math.AG")
        app.state.pw.wait_mail(10)
        assert digest_db.get_subscriber(store, email="ada@example.org").prefs.send_hour == 8
        first = _confirm_links(smtp_server.mailbox, "ada@example.org")[0]  # the owner's own request
        assert owner.post(first).status_code == 200
    prefs = digest_db.get_subscriber(store, email="ada@example.org").prefs
    assert (prefs.send_hour, prefs.timezone, prefs.categories) == (8, "Europe/Paris", ("cs.CL",))


def test_asking_for_an_unsubscribed_address_changes_nothing_until_its_owner_confirms(app, store):
    sub = active_subscriber(store, "bea@example.org", send_hour=9, categories=["cs.LG"])
    digest_db.set_status(store, sub.pk, "unsubscribed")
    with browser(app) as attacker:
        subscribe(attacker, "bea@example.org", "&send_hour=2&categories=math.AG&frequency=weekly")
        app.state.pw.wait_mail(10)
    after = digest_db.get_subscriber(store, email="bea@example.org")
    assert after.status == "unsubscribed"
    assert (after.prefs.send_hour, after.prefs.categories, after.prefs.frequency) == (9, ("cs.LG",), "daily")


def test_an_old_confirmation_link_does_not_resubscribe_after_an_unsubscribe(app, store, smtp_server):
    with browser(app) as client:
        subscribe(client, "cy@example.org")
        app.state.pw.wait_mail(10)
        [link] = _confirm_links(smtp_server.mailbox, "cy@example.org")
        assert client.post(link).status_code == 200
        sub = digest_db.get_subscriber(store, email="cy@example.org")
        svc.unsubscribe(store, app.state.settings, _manage_token(app, sub))
        again = client.post(link)
        assert again.status_code == 400 and "unsubscribed after this link was sent" in again.text
        assert digest_db.get_subscriber(store, email="cy@example.org").status == "unsubscribed"
        subscribe(client, "cy@example.org")  # a new request: a new link that works
        app.state.pw.wait_mail(10)
        newest = _confirm_links(smtp_server.mailbox, "cy@example.org")[-1]
        assert client.post(newest).status_code == 200
    assert digest_db.get_subscriber(store, email="cy@example.org").status == "active"


def _manage_token(app, sub) -> str:
    from paperwire.digest.tokens import manage_token

    return manage_token(app.state.settings, sub.pk, sub.email)


class Silent:
    """An SMTP server that accepts the connection and the sender, then never answers RCPT."""

    def __init__(self):
        self.waiting = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.waiting.set()
        await asyncio.sleep(60)
        return "250 OK"


@pytest.fixture
def silent_smtp():
    from aiosmtpd.controller import Controller

    handler = Silent()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield handler, f"smtp://127.0.0.1:{controller.port}?timeout=4"
    controller.stop(no_assert=True)


def test_an_smtp_server_that_never_answers_stalls_no_route(store, settings_for, silent_smtp):
    from paperwire.web.app import create_app

    handler, url = silent_smtp
    settings = settings_for().model_copy(update={"smtp_url": url})
    with TestClient(create_app(settings, store=store)) as client:
        start = time.perf_counter()
        response = subscribe(client, "stuck@example.org")
        assert response.status_code == 200 and time.perf_counter() - start < 1.0
        assert handler.waiting.wait(5)  # the confirmation is now stuck in the mail thread ...
        start = time.perf_counter()
        assert client.get("/healthz").status_code == 200
        assert client.get("/digest").status_code == 200
        assert time.perf_counter() - start < 1.0  # ... and every route still answers
