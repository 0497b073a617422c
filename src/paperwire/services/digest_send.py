"""Sending digests exactly once: which deliveries exist (scheduling), the send of one delivery, and
handing ready deliveries to workers through a job dispatcher.

A delivery (one per subscriber and digest date, unique in the database) is claimed with a lease by a
conditional UPDATE, built, sent over SMTP, and marked sent together with its send log in one
transaction. A sender that dies at any point leaves either ``pending`` (nothing happened yet) or
``sending`` with a lease that expires, after which any sender claims it again; a claim whose lease
was lost cannot mark the delivery. Temporary SMTP failures go back to ``pending`` with exponential
backoff; permanent ones (5xx) and the last allowed attempt are ``failed``.

The one window no protocol can close is a crash after the SMTP server accepted the message and
before the commit (microseconds): that digest is sent again, with the same Message-ID, so a
receiving system can fold the two. Every other crash point sends each digest exactly once.
"""
from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from paperwire.context import Dispatcher, Paperwire
from paperwire.digest.render import digest_message
from paperwire.digest.smtp import PermanentFailure, RateLimiter, TemporaryFailure, open_sender
from paperwire.rank.digest import backoff_seconds, due_date, is_send_day
from paperwire.services.digest_build import DigestBuilder
from paperwire.store import Store
from paperwire.store import digest as db
from paperwire.store.digest import ACTIVE, FAILED, PENDING, SENDING, SENT, SKIPPED
from paperwire.store.store import utcnow

log = logging.getLogger(__name__)

SEND_JOB = "digest_send"  # the job that sends a list of delivery pks (payload: the pks)


@dataclass(frozen=True)
class SendPolicy:
    lease_seconds: float = 300.0  # a claimed delivery is taken over by another sender after this
    max_attempts: int = 8  # then the delivery is failed
    backoff_base: float = 30.0  # seconds before the 2nd attempt; doubles each time
    backoff_cap: float = 3600.0
    rate: float | None = None  # messages per second per process; None = unlimited

    @classmethod
    def from_settings(cls, settings, **overrides) -> "SendPolicy":
        values = {"rate": getattr(settings, "digest_send_rate", None) or None,
                  "max_attempts": getattr(settings, "digest_max_attempts", None) or cls.max_attempts}  # fmt: skip
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


class Sender:
    """Claims, builds, sends and records deliveries. One per thread (it owns one SMTP connection)."""

    def __init__(self, pw: Paperwire, policy: SendPolicy | None = None, *, builder: DigestBuilder | None = None,
                 limiter: RateLimiter | None = None):  # fmt: skip
        self.store, self.settings = pw.store, pw.settings
        settings = pw.settings
        self.policy = policy or SendPolicy.from_settings(settings)
        self.builder = builder or DigestBuilder(pw)
        self.smtp = open_sender(settings, limiter or RateLimiter(self.policy.rate))

    def process(self, pk: int) -> str:
        """Try delivery ``pk`` once: 'sent', 'skipped', 'failed', 'retry' or 'busy' (not ready, or held)."""
        store = self.store
        claimed = db.claim(store, pk, self.policy.lease_seconds)
        if claimed is None:
            return "busy"
        delivery, token = claimed
        subscriber = db.get_subscriber(store, pk=delivery.subscriber_pk)
        if subscriber is None or subscriber.status != ACTIVE:
            db.finish(store, pk, token, SKIPPED, error="not subscribed")
            return "skipped"
        try:
            sent_before = db.sent_paper_ids(store, subscriber.pk)
            selection = self.builder.select(subscriber, delivery.digest_date, sent_before,
                                            base_url=str(self.settings.base_url).rstrip("/"))  # fmt: skip
            if selection.empty and subscriber.prefs.empty_day != "note":
                db.finish(store, pk, token, SKIPPED, error="no new papers")
                return "skipped"
            message = digest_message(self.settings, subscriber, delivery.digest_date, selection)
        except Exception as err:  # noqa: BLE001 - a build bug must not hold the lease until it expires
            log.exception("building digest %s failed", pk)
            return self._retry_or_fail(delivery.pk, token, delivery.attempts, f"build failed: {err!r}")
        try:
            self.smtp.send(message)
        except PermanentFailure as err:
            db.finish(store, pk, token, FAILED, error=str(err))
            return "failed"
        except TemporaryFailure as err:
            return self._retry_or_fail(pk, token, delivery.attempts, str(err))
        paper_pks = [p.pk for s in selection.sections for p in s.papers if p.pk is not None]
        if not db.finish(store, pk, token, SENT, paper_pks=paper_pks, message_id=message["Message-ID"]):
            log.warning("digest %s was sent but its lease had been taken over; raise lease_seconds", pk)
        return "sent"

    def _retry_or_fail(self, pk: int, token: str, attempts: int, error: str) -> str:
        if attempts >= self.policy.max_attempts:
            db.finish(self.store, pk, token, FAILED, error=f"gave up after {attempts} attempts: {error}")
            return "failed"
        delay = backoff_seconds(attempts, self.policy.backoff_base, self.policy.backoff_cap)
        db.retry_later(self.store, pk, token, delay, error)
        return "retry"

    def close(self) -> None:
        self.smtp.close()


# -- scheduling: which deliveries exist ------------------------------------------------------------------
def schedule_due(store: Store, now: datetime | None = None) -> int:
    """Create the deliveries due at ``now`` (each active subscriber past their local send hour on a send
    day); returns how many were created. Safe to run concurrently: (subscriber, date) is unique."""
    now = now or utcnow()
    due = []
    for pk, tz, hour, frequency, weekday, last in db.schedule_rows(store):
        day = due_date(now, tz, hour, frequency, weekday, _as_date(last))
        if day is not None:
            due.append((pk, day))
    return db.create_deliveries(store, due)


def schedule_date(store: Store, day: date) -> int:
    """Create a delivery dated ``day`` for every active subscriber whose schedule includes that day."""
    due = [(pk, day) for pk, _tz, _hour, frequency, weekday, _last in db.schedule_rows(store)
           if is_send_day(day, frequency, weekday)]  # fmt: skip
    return db.create_deliveries(store, due)


def _as_date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


# -- sending here, or through workers -----------------------------------------------------------------------
def send_ready(sender: Sender, *, digest_date: date | None = None, wait_until: datetime | None = None,
               stop: Callable[[], bool] = lambda: False) -> Counter:  # fmt: skip
    """Send every ready delivery (of ``digest_date``, or all); with ``wait_until``, keep going through
    retries due before then (sleeping in between). Returns counts by outcome."""
    counts: Counter = Counter()
    while not stop():
        pks = db.ready_pks(sender.store, digest_date=digest_date, limit=500)
        for pk in pks:
            counts[sender.process(pk)] += 1
            if stop():
                break
        if pks:
            continue
        if wait_until is None:
            break
        upcoming = db.next_retry_at(sender.store, digest_date)
        now = utcnow()
        if upcoming is None or upcoming > wait_until:
            break
        time.sleep(min(max(0.05, (upcoming - now).total_seconds() + 0.01), 5.0))
    return counts


def dispatch_ready(store: Store, dispatcher: Dispatcher, *, requeue_after_seconds: float = 900.0,
                   now: datetime | None = None) -> int:  # fmt: skip
    """Hand the workers the ready deliveries not handed over in the last ``requeue_after_seconds``;
    returns how many. The database still decides what is sent, so handing one over twice is harmless."""
    now = now or utcnow()
    pks = db.ready_pks(store, now, not_enqueued_since=now - timedelta(seconds=requeue_after_seconds))
    if pks:
        db.mark_enqueued(store, pks)
        dispatcher.enqueue(SEND_JOB, pks)
    return len(pks)


def send_batch(sender: Sender, pks: Sequence[int]) -> dict[int, float]:
    """A worker's job: try each delivery once. Returns, for the ones to retry or still held by another
    sender, the seconds after which to try again (when the backoff or the other's lease ends)."""
    later: dict[int, float] = {}
    for pk in pks:
        outcome = sender.process(pk)
        if outcome in ("retry", "busy"):
            delivery = db.get_delivery(sender.store, pk)
            if delivery is None or delivery.status not in (PENDING, SENDING):
                continue
            at = delivery.lease_until if delivery.status == SENDING and delivery.lease_until else delivery.next_attempt_at
            later[pk] = max(0.2, (at - utcnow()).total_seconds() + 0.1)
    return later
