"""Subscribing, the messages, unsubscribing and the send log, against a real SMTP server (aiosmtpd)
on SQLite and PostgreSQL."""
from __future__ import annotations

import re
import threading
import time
from collections import Counter

import pytest
from fastapi.testclient import TestClient

from paperwire.context import Paperwire
from paperwire.services import digest as svc
from paperwire.services.digest import SendPolicy
from paperwire.services.digest_send import SEND_JOB
from paperwire.store import digest as digest_db
from tests.digest.conftest import D
from tests.factories import active_subscriber, load, make_record

FAST = SendPolicy(lease_seconds=5, backoff_base=0.2, backoff_cap=0.5, max_attempts=20)


@pytest.fixture
def client(store, settings):
    from paperwire.web.app import create_app

    with TestClient(create_app(settings, store=store)) as c:
        yield c


def _link(message, pattern: str) -> str:
    text = message.get_body(("plain",)).get_content()
    return re.search(pattern, text).group(0)


def _path(url: str) -> str:
    return url.replace("http://paperwire.test", "")


def test_double_opt_in_confirmation_flow(store, settings, smtp_server, client):
    page = client.post("/digest", content="email=Ada%40Example.org&frequency=daily&send_hour=8&timezone=Europe%2FParis"
                       "&sections_present=1&sections=trending&sections=categories&categories=cs.CL&trending_n=5"
                       "&empty_day=note", headers={"content-type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert page.status_code == 200 and "Check your inbox" in page.text
    client.app.state.pw.wait_mail(10)  # recorded and sent after the page answered
    subscriber = digest_db.get_subscriber(store, email="ada@example.org")
    assert subscriber.status == "pending"  # nothing is sent before the confirmation
    prefs = subscriber.prefs
    assert (prefs.send_hour, prefs.timezone, prefs.categories, prefs.trending_n,
            prefs.empty_day) == (8, "Europe/Paris", ("cs.CL",), 5, "note")  # fmt: skip
    smtp_server.mailbox.wait_for(1)  # sent after the page answered
    [mail] = smtp_server.mailbox.to("ada@example.org")
    assert mail["Subject"] == "Confirm your paperwire digest subscription"
    url = _link(mail, r"http://paperwire\.test/digest/confirm/\S+")

    landing = client.get(_path(url))  # a link scanner's GET changes nothing
    assert landing.status_code == 200 and "Confirm" in landing.text
    assert digest_db.get_subscriber(store, email="ada@example.org").status == "pending"

    done = client.post(_path(url))
    assert done.status_code == 200 and "You are subscribed" in done.text
    assert digest_db.get_subscriber(store, email="ada@example.org").status == "active"

    bad = client.post("/digest/confirm/not-a-token")
    assert bad.status_code == 400
    again = client.post("/digest", content="email=ada%40example.org", headers={"content-type": "application/x-www-form-urlencoded"})
    client.app.state.pw.wait_mail(10)
    assert again.status_code == 200 and len(smtp_server.mailbox.to("ada@example.org")) == 1  # active: no new email


def test_a_bad_address_is_refused_with_the_form_again(client, smtp_server):
    page = client.post("/digest", content="email=not-an-address", headers={"content-type": "application/x-www-form-urlencoded"})
    assert page.status_code == 400 and "valid email" in page.text and smtp_server.mailbox.messages == []


def test_the_digest_is_multipart_alternative_with_one_click_unsubscribe_headers(store, settings, smtp_server, pw):
    load(store, make_record(day="2026-06-02", title="Sparse photonic transformers", upvotes=30, categories=["cs.CL"]),
                make_record(day="2026-06-02", title="Tiny models <b>win</b>", upvotes=3, categories=["cs.LG"]))  # fmt: skip
    active_subscriber(store, "ada@example.org")
    report = svc.run_due(pw, digest_date=D("2026-06-03"), policy=FAST)
    assert report.outcomes["sent"] == 1
    [mail] = smtp_server.mailbox.to("ada@example.org")
    assert mail.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in mail.iter_parts()] == ["text/plain", "text/html"]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(r"<http://paperwire\.test/digest/unsubscribe/[\w.\-]+>", mail["List-Unsubscribe"])
    assert mail["Message-ID"].startswith("<digest.20260603.") and mail["Subject"].startswith("Your paperwire digest")
    html = mail.get_body(("html",)).get_content()
    text = mail.get_body(("plain",)).get_content()
    assert "Sparse photonic transformers" in html and "Sparse photonic transformers" in text
    assert "Tiny models &lt;b&gt;win&lt;/b&gt;" in html  # escaped
    assert "<img" not in html  # no tracking pixels, no remote images
    assert 'name="viewport"' in html
    assert html.index("Sparse photonic") < html.index("Tiny models")  # trending: most upvoted first


def test_one_click_unsubscribe_by_post_without_logging_in(store, settings, smtp_server, client, pw):
    load(store, make_record(day="2026-06-02"), make_record(day="2026-06-03"))
    active_subscriber(store, "ada@example.org")
    svc.run_due(pw, digest_date=D("2026-06-03"), policy=FAST)
    [mail] = smtp_server.mailbox.to("ada@example.org")
    url = mail["List-Unsubscribe"].strip("<>")

    page = client.get(_path(url))
    assert page.status_code == 200 and "weekly digest instead" in page.text
    assert digest_db.get_subscriber(store, email="ada@example.org").status == "active"  # GET changes nothing

    response = client.post(_path(url), content="List-Unsubscribe=One-Click",
                           headers={"content-type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert response.status_code == 200
    assert digest_db.get_subscriber(store, email="ada@example.org").status == "unsubscribed"
    assert client.post(_path(url), content="List-Unsubscribe=One-Click").status_code == 200  # idempotent
    report = svc.run_due(pw, digest_date=D("2026-06-04"), policy=FAST)
    assert report.outcomes.get("sent", 0) == 0 and len(smtp_server.mailbox.to("ada@example.org")) == 1
    assert client.post("/digest/unsubscribe/forged-token", content="List-Unsubscribe=One-Click").status_code == 400


def test_the_unsubscribe_page_offers_weekly_instead(store, settings, client):
    subscriber = active_subscriber(store, "ada@example.org")
    from paperwire.digest.tokens import manage_token

    token = manage_token(settings, subscriber.pk, subscriber.email)
    response = client.post(f"/digest/unsubscribe/{token}", content="action=weekly",
                           headers={"content-type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert response.status_code == 200 and "Weekly" in response.text
    after = digest_db.get_subscriber(store, email="ada@example.org")
    assert (after.status, after.prefs.frequency) == ("active", "weekly")


def test_each_paper_is_sent_once_across_two_consecutive_days(store, settings, smtp_server, pw):
    # the same trending papers rank high on both days; new papers arrive each day in cs.CL
    load(store, *[make_record(day="2026-06-01", title=f"Hot paper {i}", upvotes=100 - i, categories=["cs.LG"]) for i in range(4)],
                make_record(day="2026-06-02", title="Monday CL paper", categories=["cs.CL"]),
                make_record(day="2026-06-03", title="Tuesday CL paper", categories=["cs.CL"]))  # fmt: skip
    active_subscriber(store, "ada@example.org", trending_n=3, categories="cs.CL")
    svc.run_due(pw, digest_date=D("2026-06-03"), policy=FAST)
    svc.run_due(pw, digest_date=D("2026-06-04"), policy=FAST)
    svc.run_due(pw, digest_date=D("2026-06-04"), policy=FAST)  # run again: nothing more
    mails = smtp_server.mailbox.to("ada@example.org")
    assert len(mails) == 2
    ids = [re.findall(r"/papers/([\w.]+)\"", m.get_body(("html",)).get_content()) for m in mails]
    first, second = (list(dict.fromkeys(i)) for i in ids)
    assert first and second and not set(first) & set(second)
    texts = [m.get_body(("plain",)).get_content() for m in mails]
    assert "Monday CL paper" in texts[0] and "Monday CL paper" not in texts[1] and "Tuesday CL paper" in texts[1]
    sent = digest_db.sent_paper_ids(store, digest_db.get_subscriber(store, email="ada@example.org").pk)
    assert sent == set(first) | set(second)


def test_a_day_without_new_papers_sends_nothing_or_a_note_as_chosen(store, settings, smtp_server, pw):
    load(store, make_record(day="2026-06-05", upvotes=5))  # a Friday; nothing on Saturday 2026-06-06
    active_subscriber(store, "skip@example.org", empty_day="skip")
    active_subscriber(store, "note@example.org", empty_day="note")
    report = svc.run_due(pw, digest_date=D("2026-06-07"), policy=FAST)  # covers Saturday
    assert (report.outcomes["sent"], report.outcomes["skipped"]) == (1, 1)
    assert smtp_server.mailbox.to("skip@example.org") == []
    [note] = smtp_server.mailbox.to("note@example.org")
    assert note["Subject"].startswith("No new papers") and "List-Unsubscribe" in note
    assert "nothing to send today" in note.get_body(("plain",)).get_content()
    statuses = {d.status for d in digest_db.deliveries(store, D("2026-06-07"))}
    assert statuses == {"sent", "skipped"}


def test_smtp_down_then_up_is_retried_and_delivered_once(store, settings_for, smtp_down):
    pw = Paperwire(settings_for(smtp_down), store)
    load(store, make_record(day="2026-06-02", upvotes=4))
    active_subscriber(store, "ada@example.org")
    active_subscriber(store, "bob@example.org")
    result = {}
    runner = threading.Thread(target=lambda: result.update(
        report=svc.run_due(pw, digest_date=D("2026-06-03"), wait_seconds=20, policy=FAST)))
    runner.start()
    time.sleep(1.0)  # several attempts fail with "connection refused"
    failing = digest_db.deliveries(store, D("2026-06-03"))
    assert all(d.status in ("pending", "sending") for d in failing) and max(d.attempts for d in failing) >= 2
    assert any("Connection" in (d.error or "") or "refused" in (d.error or "") for d in failing)
    smtp_down.start()
    runner.join(30)
    assert result["report"].outcomes["sent"] == 2
    assert smtp_down.mailbox.counts() == {"ada@example.org": 1, "bob@example.org": 1}
    assert {d.status for d in digest_db.deliveries(store, D("2026-06-03"))} == {"sent"}


class Recorder:
    """A job dispatcher that keeps what it is handed."""

    def __init__(self):
        self.jobs: list = []

    def enqueue(self, job: str, payload) -> int:
        self.jobs.append((job, list(payload)))
        return 1


def test_with_a_dispatcher_the_ready_deliveries_are_handed_over_once_and_nothing_is_sent_here(store, settings,
                                                                                             smtp_server, pw):  # fmt: skip
    load(store, make_record(day="2026-06-02", upvotes=4))
    active_subscriber(store, "ada@example.org")
    active_subscriber(store, "bob@example.org")
    dispatcher = Recorder()
    report = svc.run_due(pw, digest_date=D("2026-06-03"), dispatcher=dispatcher, requeue_after_seconds=900)
    pks = [d.pk for d in digest_db.deliveries(store, D("2026-06-03"))]
    assert (report.created, report.enqueued, report.outcomes) == (2, 2, Counter())
    assert dispatcher.jobs == [(SEND_JOB, pks)]
    again = svc.run_due(pw, digest_date=D("2026-06-03"), dispatcher=dispatcher, requeue_after_seconds=900)
    assert (again.created, again.enqueued) == (0, 0)  # handed over a moment ago: not again
    assert len(dispatcher.jobs) == 1 and smtp_server.mailbox.messages == []
    assert {d.status for d in digest_db.deliveries(store, D("2026-06-03"))} == {"pending"}


def test_a_permanent_refusal_is_recorded_and_not_retried(store, settings, smtp_server, pw):
    load(store, make_record(day="2026-06-02"))
    active_subscriber(store, "gone@example.org")
    smtp_server.mailbox.refuse["gone@example.org"] = "550 No such user"
    report = svc.run_due(pw, digest_date=D("2026-06-03"), policy=FAST)
    assert report.outcomes["failed"] == 1
    [delivery] = digest_db.deliveries(store, D("2026-06-03"))
    assert delivery.status == "failed" and delivery.attempts == 1 and "550" in delivery.error


def test_preview_sends_nothing_and_logs_nothing(store, settings, smtp_server, client, pw):
    load(store, make_record(day="2026-06-02", title="Preview me", upvotes=9))
    active_subscriber(store, "ada@example.org")
    p = svc.preview(pw, email="ada@example.org", digest_date=D("2026-06-03"))
    assert "Preview me" in p.text and p.would_send
    page = client.get("/digest/preview?date=2026-06-03")
    assert page.status_code == 200 and "Preview me" in page.text
    assert smtp_server.mailbox.messages == [] and digest_db.deliveries(store) == []
