"""The digest's "Recommended for you" section (SQLite and PostgreSQL, real SMTP server): papers of the
digest window picked by the subscriber's own model, each with its reason, each sent once."""
from __future__ import annotations

import re
from datetime import date

from paperwire.services import digest as svc
from paperwire.services.digest import SendPolicy
from paperwire.store import accounts as accounts_db
from paperwire.store import digest as digest_db
from tests.recommend.conftest import ids_of, rate, topic_records
from tests.factories import PASSWORD, account, load

FAST = SendPolicy(lease_seconds=5, backoff_base=0.2, backoff_cap=0.5, max_attempts=20)


def _reader(store, email: str):
    user = account(store, email, PASSWORD, verified=True)
    svc.subscribe_account(store, user)
    digest_db.update_prefs(store, digest_db.get_subscriber(store, email=email).pk, sections=("recommendations",))
    return accounts_db.get_user(store, user.pk)


def _text(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_account_subscribers_get_their_recommendations_with_reasons_once(store, settings, smtp_server, pw):
    load(store, *topic_records())
    user = _reader(store, "speech@example.org")
    rate(store, user, ids_of("speech", range(1, 9)))  # 2026-06-29 .. 06-22: before the digest window
    svc.run_due(pw, digest_date=date(2026, 7, 1), policy=FAST)  # window: 2026-06-30
    [mail] = [m for m in smtp_server.mailbox.to("speech@example.org") if "List-Unsubscribe" in m]
    text = _text(mail)
    assert "Recommended for you" in text and "Why: Matches: " in text
    section = text.split("Recommended for you", 1)[1]
    id_of = {r.title: r.id for r in topic_records()}
    listed = [id_of[t] for t in re.findall(r"^\d+\. (.+)$", section, flags=re.M)]
    window = {r.id for r in topic_records() if r.published == "2026-06-30"}
    assert listed and set(listed) <= window  # only papers of the digest window
    assert set(listed[:3]) == set(ids_of("speech", [0, 10, 20]))  # the window's speech papers first
    assert 'class="reason"' in mail.get_body(("html",)).get_content()
    sent = digest_db.sent_paper_ids(store, digest_db.get_subscriber(store, email="speech@example.org").pk)
    assert set(ids_of("speech", [0, 10, 20])) <= sent
    # the next run of the same window has nothing new to recommend: no second digest
    svc.run_due(pw, digest_date=date(2026, 7, 1), policy=FAST)
    assert len([m for m in smtp_server.mailbox.to("speech@example.org") if "List-Unsubscribe" in m]) == 1


def test_a_subscriber_with_no_signals_gets_no_recommendations_section(store, settings, smtp_server, pw):
    load(store, *topic_records())
    _reader(store, "quiet@example.org")
    svc.run_due(pw, digest_date=date(2026, 7, 1), policy=FAST)
    assert [m for m in smtp_server.mailbox.to("quiet@example.org") if "List-Unsubscribe" in m] == []
