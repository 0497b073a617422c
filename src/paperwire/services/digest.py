"""Digest use cases shared by the web pages, the CLI and the jobs: subscribe (double opt-in), confirm,
unsubscribe (or switch to weekly), preferences, preview, and sending what is due."""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

from paperwire.digest.build import DigestBuilder
from paperwire.digest.records import ACTIVE, UNCONFIRMED, UNSUBSCRIBED, DigestRecords, Subscriber
from paperwire.digest.render import confirm_message, digest_message, render_digest, valid_email
from paperwire.digest.smtp import SmtpConfigError, SmtpSender, TemporaryFailure, PermanentFailure, parse_smtp_url
from paperwire.digest.tokens import BadToken, read_confirm_token, read_manage_token
from paperwire.rank.digest import DAILY, SECTION_KEYS, WEEKLY, next_send_date, parse_list
from paperwire.store import Store
from paperwire.store.store import utcnow

log = logging.getLogger(__name__)

__all__ = ["BadToken", "DigestError", "Preferences", "subscribe", "confirm", "unsubscribe", "switch_to_weekly",
           "subscriber_for_token", "update_preferences", "preview", "send", "add_subscriber", "list_subscribers",
           "remove_subscriber", "account_subscription", "subscribe_account", "unsubscribe_account"]  # fmt: skip


class DigestError(ValueError):
    """A request the digest cannot honour (bad address, bad preference); the message is for the user."""


@dataclass(frozen=True)
class Preferences:
    frequency: str = DAILY
    weekday: int = 0
    send_hour: int = 7
    timezone: str = "UTC"
    sections: tuple[str, ...] = ("trending", "categories")
    categories: tuple[str, ...] = ()
    trending_n: int = 10
    empty_day: str = "skip"

    @classmethod
    def parse(cls, data: dict) -> "Preferences":
        """Validated preferences from form fields or CLI options (strings are fine); raises DigestError."""
        out = {}
        if data.get("frequency"):
            if data["frequency"] not in (DAILY, WEEKLY):
                raise DigestError("frequency must be daily or weekly")
            out["frequency"] = data["frequency"]
        for key, low, high in (("weekday", 0, 6), ("send_hour", 0, 23), ("trending_n", 0, 50)):
            if data.get(key) not in (None, ""):
                try:
                    value = int(data[key])
                except (TypeError, ValueError):
                    raise DigestError(f"{key.replace('_', ' ')} must be a whole number") from None
                if not low <= value <= high:
                    raise DigestError(f"{key.replace('_', ' ')} must be between {low} and {high}")
                out[key] = value
        if data.get("timezone"):
            tz = str(data["timezone"]).strip()
            try:
                ZoneInfo(tz)
            except Exception:
                raise DigestError(f"unknown time zone {tz!r}; use a name like Europe/Paris or UTC") from None
            out["timezone"] = tz
        if data.get("sections") is not None:
            sections = parse_list(",".join(data["sections"]) if isinstance(data["sections"], (list, tuple)) else data["sections"])
            unknown = [s for s in sections if s not in SECTION_KEYS]
            if unknown:
                raise DigestError(f"unknown section {unknown[0]!r}; choose from {', '.join(SECTION_KEYS)}")
            out["sections"] = tuple(sections)
        if data.get("categories") is not None:
            cats = parse_list(",".join(data["categories"]) if isinstance(data["categories"], (list, tuple)) else data["categories"])
            bad = [c for c in cats if len(c) > 40 or not all(ch.isalnum() or ch in ".-_" for ch in c)]
            if bad:
                raise DigestError(f"not a category: {bad[0]!r} (use arXiv names like cs.CL)")
            out["categories"] = tuple(cats)
        if data.get("empty_day"):
            if data["empty_day"] not in ("skip", "note"):
                raise DigestError("on a day without new papers: skip or note")
            out["empty_day"] = data["empty_day"]
        return cls(**out)

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _records(store: Store) -> DigestRecords:
    return DigestRecords(store)


def _send_one(settings, message) -> None:
    with SmtpSender(parse_smtp_url(settings.smtp_url)) as smtp:
        smtp.send(message)


# -- subscribing -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SubscribeResult:
    email: str
    status: str  # confirmation_sent, already_active
    subscriber: Subscriber


def subscribe(store: Store, settings, email: str, prefs: Preferences | dict | None = None) -> SubscribeResult:
    """Start a double opt-in: record the address as unconfirmed (with its preferences) and email a
    confirmation link. An active address keeps its subscription and gets no email (the page says the
    same either way, so the form does not reveal who is subscribed). Raises DigestError, or
    SmtpConfigError / TemporaryFailure / PermanentFailure when the email cannot be sent."""
    address = valid_email(email)
    if address is None:
        raise DigestError("please enter a valid email address")
    prefs = prefs if isinstance(prefs, Preferences) else Preferences.parse(prefs or {})
    records = _records(store)
    existing = records.get_subscriber(email=address)
    if existing is not None and existing.status == ACTIVE:
        return SubscribeResult(address, "already_active", existing)
    parse_smtp_url(settings.smtp_url)  # fail before recording anything when mail cannot go out
    subscriber = records.add_subscriber(address, status=UNCONFIRMED, prefs=prefs.as_dict())
    _send_one(settings, confirm_message(settings, address))
    return SubscribeResult(address, "confirmation_sent", subscriber)


def confirm(store: Store, settings, token: str) -> Subscriber:
    """Activate the address a confirmation link was made for (also after an unsubscribe). Raises BadToken."""
    email = read_confirm_token(settings, token)
    records = _records(store)
    subscriber = records.get_subscriber(email=email)
    if subscriber is None:
        raise BadToken("this subscription no longer exists; subscribe again")
    if subscriber.status != ACTIVE:
        records.set_status(subscriber.pk, ACTIVE)
    return records.get_subscriber(pk=subscriber.pk)


def subscriber_for_token(store: Store, settings, token: str) -> Subscriber:
    pk, email = read_manage_token(settings, token)
    subscriber = _records(store).get_subscriber(pk=pk)
    if subscriber is None or subscriber.email != email:
        raise BadToken("this link belongs to a subscription that no longer exists")
    return subscriber


def unsubscribe(store: Store, settings, token: str) -> Subscriber:
    """Stop sending to the link's subscriber (RFC 8058 one-click: no log-in). Idempotent."""
    subscriber = subscriber_for_token(store, settings, token)
    if subscriber.status != UNSUBSCRIBED:
        _records(store).set_status(subscriber.pk, UNSUBSCRIBED)
    return _records(store).get_subscriber(pk=subscriber.pk)


def switch_to_weekly(store: Store, settings, token: str) -> Subscriber:
    subscriber = subscriber_for_token(store, settings, token)
    records = _records(store)
    records.update_prefs(subscriber.pk, {"frequency": WEEKLY})
    if subscriber.status == UNSUBSCRIBED:
        records.set_status(subscriber.pk, ACTIVE)
    return records.get_subscriber(pk=subscriber.pk)


def update_preferences(store: Store, settings, token: str, data: dict) -> Subscriber:
    subscriber = subscriber_for_token(store, settings, token)
    prefs = Preferences.parse(data)
    _records(store).update_prefs(subscriber.pk, prefs.as_dict())
    return _records(store).get_subscriber(pk=subscriber.pk)


# -- from an account ----------------------------------------------------------------------------------------
ACCOUNT_SECTIONS = ("trending", "recommendations", "following", "categories")  # an account subscriber: + its own


def account_subscription(store: Store, user) -> Subscriber | None:
    """The digest subscription of an account: the one linked to it, else none."""
    return _records(store).get_subscriber(user_pk=user.pk)


def subscribe_account(store: Store, user) -> Subscriber:
    """Subscribe a signed-in user with a verified email at once (the verification is the opt-in).
    An existing subscription of the same address is linked to the account and reactivated, keeping
    its preferences and send log (and gaining the "recommendations" and "following" sections when linked
    the first time)."""
    if not user.verified:
        raise DigestError("confirm your email address first")
    records = _records(store)
    existing = records.get_subscriber(user_pk=user.pk) or records.get_subscriber(email=user.email)
    if existing is None:
        prefs = Preferences(sections=ACCOUNT_SECTIONS).as_dict()
        return records.add_subscriber(user.email, status=ACTIVE, prefs=prefs, user_pk=user.pk)
    if existing.user_pk != user.pk:
        records.link_user(existing.pk, user.pk)
        gained = tuple(k for k in ("recommendations", "following") if k not in existing.sections)
        if gained:
            records.update_prefs(existing.pk, {"sections": (*existing.sections, *gained)})
    if existing.status != ACTIVE:
        records.set_status(existing.pk, ACTIVE)
    return records.get_subscriber(pk=existing.pk)


def unsubscribe_account(store: Store, user) -> Subscriber | None:
    """Stop the account's digest (the row and its send log stay, so a later subscribe resends nothing)."""
    records = _records(store)
    subscriber = records.get_subscriber(user_pk=user.pk)
    if subscriber is not None and subscriber.status != UNSUBSCRIBED:
        records.set_status(subscriber.pk, UNSUBSCRIBED)
    return records.get_subscriber(pk=subscriber.pk) if subscriber else None


# -- admin -------------------------------------------------------------------------------------------------
def add_subscriber(store: Store, email: str, *, confirmed: bool = False, prefs: dict | None = None,
                   settings=None) -> Subscriber:  # fmt: skip
    """Add (or update) an address; unconfirmed ones get a confirmation email when ``settings`` can send it."""
    address = valid_email(email)
    if address is None:
        raise DigestError(f"not a valid email address: {email!r}")
    parsed = Preferences.parse(prefs or {})
    subscriber = _records(store).add_subscriber(address, status=ACTIVE if confirmed else UNCONFIRMED,
                                                prefs=parsed.as_dict())  # fmt: skip
    if not confirmed and settings is not None and settings.smtp_url and subscriber.status != ACTIVE:
        _send_one(settings, confirm_message(settings, address))
    return subscriber


def list_subscribers(store: Store, status: str | None = None) -> list[Subscriber]:
    return _records(store).subscribers(status)


def remove_subscriber(store: Store, email: str) -> bool:
    """Delete the address, its deliveries and its send log."""
    return _records(store).remove_subscriber(email)


# -- preview and sending -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Preview:
    subscriber: Subscriber
    digest_date: date
    subject: str
    text: str
    html: str
    selection: object
    would_send: bool


SAMPLE = Subscriber(pk=0, email="you@example.org", status=ACTIVE)


def preview(store: Store, settings, *, email: str | None = None, subscriber: Subscriber | None = None,
            digest_date: date | None = None, now: datetime | None = None) -> Preview:  # fmt: skip
    """The next digest of a subscriber (or of a sample daily subscriber), without sending or logging anything."""
    if subscriber is None and email:
        subscriber = _records(store).get_subscriber(email=email)
        if subscriber is None:
            raise DigestError(f"no subscriber {email}")
    subscriber = subscriber or SAMPLE
    chosen = digest_date
    if digest_date is None:
        digest_date = next_send_date(now or utcnow(), subscriber.timezone, subscriber.send_hour, subscriber.frequency,
                                     subscriber.weekday)  # fmt: skip
    sent = _records(store).sent_paper_ids(subscriber.pk) if subscriber.pk else set()
    builder = DigestBuilder(store)
    selection = builder.select(subscriber, digest_date, sent, base_url=str(settings.base_url).rstrip("/"))
    if selection.empty and chosen is None and subscriber is SAMPLE:
        # an archive or a demo corpus: show the digest that announced the newest papers instead
        from paperwire.services.feed import latest_day

        newest = latest_day(store)
        if newest is not None and newest + timedelta(days=1) < digest_date:
            digest_date = newest + timedelta(days=1)
            selection = builder.select(subscriber, digest_date, sent, base_url=str(settings.base_url).rstrip("/"))
    subject, text, html = render_digest(settings, subscriber, digest_date, selection)
    return Preview(subscriber, digest_date, subject, text, html, selection,
                   would_send=not selection.empty or subscriber.empty_day == "note")  # fmt: skip


def preview_message(store: Store, settings, **kwargs):
    """The full MIME message a preview would be sent as (headers included)."""
    p = preview(store, settings, **kwargs)
    return digest_message(settings, p.subscriber, p.digest_date, p.selection)


@dataclass
class SendReport:
    digest_date: date | None
    created: int
    outcomes: Counter
    enqueued: int = 0

    def as_dict(self) -> dict:
        return {"date": self.digest_date.isoformat() if self.digest_date else None, "created": self.created,
                "enqueued": self.enqueued, **{k: v for k, v in sorted(self.outcomes.items())}}  # fmt: skip


def send(store: Store, settings, *, digest_date: date | None = None, wait_seconds: float = 900.0,
         use_queue: bool | None = None, policy=None, namespace: str = "paperwire") -> SendReport:  # fmt: skip
    """What cron runs: create the deliveries due now (or every delivery of ``digest_date``), then send
    them here, retrying temporary failures for up to ``wait_seconds`` — or, with Redis configured,
    hand them to the workers. Running it again never sends a digest twice."""
    from paperwire.digest.send import SendPolicy, Sender, schedule_date, schedule_due, send_ready

    created = schedule_date(store, digest_date) if digest_date else schedule_due(store)
    queue_mode = bool(settings.redis_url) if use_queue is None else use_queue
    if queue_mode:
        from paperwire.jobs.queue import DigestQueue, QueueConfig, dispatch_ready

        queue = DigestQueue(QueueConfig(url=settings.redis_url, namespace=namespace))
        try:
            enqueued = dispatch_ready(store, queue, requeue_after_seconds=0)
        finally:
            queue.close()
        return SendReport(digest_date, created, Counter(), enqueued=enqueued)
    sender = Sender(store, settings, policy or SendPolicy.from_settings(settings))
    try:
        outcomes = send_ready(sender, digest_date=digest_date, wait_until=utcnow() + timedelta(seconds=wait_seconds))
    finally:
        sender.close()
    return SendReport(digest_date, created, outcomes)


def timezones() -> list[str]:
    return sorted(available_timezones())


__all__ += ["Preview", "SendReport", "SubscribeResult", "preview_message", "timezones", "SmtpConfigError",
            "TemporaryFailure", "PermanentFailure"]  # fmt: skip
