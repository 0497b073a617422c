"""The digest from an account: one-click subscribe on the settings page (a verified email needs no
second confirmation), the "following" section, the send log across days, and account deletion
removing the subscription. SQLite and PostgreSQL, real SMTP server (aiosmtpd)."""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from paperwire.services import community
from paperwire.services import digest as svc
from paperwire.services.digest import SendPolicy
from paperwire.services.digest_build import DigestBuilder
from paperwire.store import accounts as accounts_db
from paperwire.store import digest as digest_db
from paperwire.store.schema_digest import digest_deliveries, digest_sent_papers
from tests.digest.conftest import D
from tests.browsing import HTML, post, signup
from tests.factories import PASSWORD, active_subscriber, load, make_record, verify

FAST = SendPolicy(lease_seconds=5, backoff_base=0.2, backoff_cap=0.5, max_attempts=20)
EMAIL = "ada@example.org"


@pytest.fixture
def client(store, settings):
    from paperwire.web.app import create_app

    with TestClient(create_app(settings, store=store), headers=HTML) as c:
        yield c


def _signed_in(client, store, email: str = EMAIL, *, verified: bool = True):
    signup(client, email)
    return verify(store, email) if verified else accounts_db.user_by_email(store, email)


def _digests(smtp_server, address: str) -> list:
    """The digests sent to ``address`` (not the account's verification email)."""
    return [m for m in smtp_server.mailbox.to(address) if "List-Unsubscribe" in m]


def _text(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_subscribe_and_unsubscribe_from_the_account_page(store, client):
    user = _signed_in(client, store)
    page = client.get("/account")
    assert "Subscribe to the digest" in page.text
    done = post(client, "/account/digest", {"action": "subscribe"}, from_page="/account")
    assert done.status_code == 303
    subscriber = digest_db.get_subscriber(store, email=EMAIL)
    assert (subscriber.user_pk, subscriber.status) == (user.pk, "active")  # no second confirmation
    assert "following" in subscriber.prefs.sections
    page = client.get("/account")
    assert "Digest preferences" in page.text and "Unsubscribe" in page.text
    prefs_url = re.search(r'href="http://paperwire\.test(/digest/preferences/[^"]+)"', page.text).group(1)
    prefs = client.get(prefs_url)
    assert prefs.status_code == 200 and 'value="following" checked' in prefs.text

    assert post(client, "/account/digest", {"action": "unsubscribe"}, from_page="/account").status_code == 303
    assert digest_db.get_subscriber(store, email=EMAIL).status == "unsubscribed"
    assert post(client, "/account/digest", {"action": "subscribe"}, from_page="/account").status_code == 303
    again = digest_db.get_subscriber(store, email=EMAIL)
    assert (again.pk, again.status) == (subscriber.pk, "active")
    assert post(client, "/account/digest", {"action": "subscribe"}, from_page="/account").status_code == 303
    assert len(digest_db.subscribers(store)) == 1


def test_an_unverified_account_cannot_subscribe_in_one_click(store, client):
    _signed_in(client, store, verified=False)
    assert "Confirm your email address" in client.get("/account").text
    refused = post(client, "/account/digest", {"action": "subscribe"}, from_page="/account")
    assert refused.status_code == 400 and "confirm your email" in refused.text
    assert digest_db.subscribers(store) == []
    anonymous = TestClient(client.app, headers=HTML)
    assert anonymous.post("/account/digest", data={"action": "subscribe"}, follow_redirects=False).status_code in (303, 403)


def test_following_section_once_ever_and_not_for_email_only_subscribers(store, settings, smtp_server, client, pw):
    load(store, make_record(day="2026-06-02", title="Followed CL paper", categories=["cs.CL"]),
                make_record(day="2026-06-02", title="Unfollowed LG paper", categories=["cs.LG"]),
                make_record(day="2026-06-03", title="Next day CL paper", categories=["cs.CL"]))  # fmt: skip
    user = _signed_in(client, store)
    community.follow(store, user, "category", "cs.CL")
    assert post(client, "/account/digest", {"action": "subscribe"}, from_page="/account").status_code == 303
    subscriber = digest_db.get_subscriber(store, email=EMAIL)
    digest_db.update_prefs(store, subscriber.pk, trending_n=0)  # only the follows section, to see it alone
    active_subscriber(store, "bob@example.org", sections="trending,following", trending_n=0)  # email only

    svc.run_due(pw, digest_date=D("2026-06-03"), policy=FAST)
    [first] = _digests(smtp_server, EMAIL)
    text = _text(first)
    assert "New from what you follow" in text and "Followed CL paper" in text
    assert "Unfollowed LG paper" not in text and "Next day CL paper" not in text
    assert "New from what you follow" in first.get_body(("html",)).get_content()
    assert smtp_server.mailbox.to("bob@example.org") == []  # no follows: an empty digest, skipped

    # the same window again (a resend): the send log leaves nothing
    sent = digest_db.sent_paper_ids(store, subscriber.pk)
    builder = DigestBuilder(pw)
    again = builder.select(digest_db.get_subscriber(store, pk=subscriber.pk), D("2026-06-03"), sent)
    assert [s.key for s in again.sections] == []

    svc.run_due(pw, digest_date=D("2026-06-04"), policy=FAST)
    first_mail, second = _digests(smtp_server, EMAIL)
    text = _text(second)
    assert "Next day CL paper" in text and "Followed CL paper" not in text
    assert smtp_server.mailbox.to("bob@example.org") == []


def test_deleting_the_account_deletes_the_subscription(store, settings, smtp_server, client, pw):
    load(store, make_record(day="2026-06-02", title="Followed CL paper", categories=["cs.CL"]))
    user = _signed_in(client, store)
    community.follow(store, user, "category", "cs.CL")
    assert post(client, "/account/digest", {"action": "subscribe"}, from_page="/account").status_code == 303
    active_subscriber(store, "bob@example.org")
    svc.run_due(pw, digest_date=D("2026-06-03"), policy=FAST)
    pk = digest_db.get_subscriber(store, email=EMAIL).pk
    assert digest_db.sent_paper_ids(store, pk)

    gone = post(client, "/account/delete", {"password": PASSWORD}, from_page="/account")
    assert gone.status_code == 200 and "Account deleted" in gone.text
    assert digest_db.get_subscriber(store, email=EMAIL) is None
    assert [s.email for s in digest_db.subscribers(store)] == ["bob@example.org"]
    with store.engine.connect() as conn:
        for table in (digest_deliveries, digest_sent_papers):
            assert conn.execute(select(func.count()).select_from(table).where(table.c.subscriber_pk == pk)).scalar() == 0
