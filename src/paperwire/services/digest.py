"""Digest use cases shared by the web pages, the CLI and the jobs: subscribe (double opt-in), confirm,
unsubscribe (or switch to weekly), preferences, preview, and :func:`run_due`, the one way digests
go out (the scheduler's tick and ``paperwire digest send`` both call it).

Building a digest lives in ``services.digest_build``, the send protocol in ``services.digest_send``;
the mail itself (templates, SMTP, signed links) in ``paperwire.digest``, the SQL in ``store.digest``.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

from paperwire.digest.address import BadAddress, normalize_address
from paperwire.digest.render import Outgoing, confirm_message, digest_message, render_digest, valid_email
from paperwire.digest.smtp import PermanentFailure, SmtpConfigError, TemporaryFailure, open_sender, parse_smtp_url
from paperwire.digest.tokens import BadToken, read_confirm_token, read_manage_token
from paperwire.rank.digest import DAILY, SECTION_KEYS, WEEKLY, Selection, next_send_date, parse_list
from paperwire.services.digest_build import DigestBuilder
from paperwire.services.digest_send import (
    Dispatcher,
    SendPolicy,
    Sender,
    dispatch_ready,
    schedule_date,
    schedule_due,
    send_ready,
)
from paperwire.services.feed import latest_day
from paperwire.store import Store
from paperwire.store import digest as db
from paperwire.store.digest import ACTIVE, UNCONFIRMED, UNSUBSCRIBED, Preferences, Subscriber
from paperwire.store.store import utcnow

__all__ = ["BadToken", "DigestError", "Dispatcher", "Preferences", "Preview", "SendPolicy", "SendReport",
           "SubscribeResult", "Subscriber", "account_subscription", "add_subscriber", "confirm", "list_subscribers",
           "check_address", "parse_preferences", "preview", "preview_message", "remove_subscriber", "run_due", "subscribe",
           "subscribe_account", "subscriber_for_token", "switch_to_weekly", "timezones", "unsubscribe",
           "unsubscribe_account", "update_preferences", "SmtpConfigError", "TemporaryFailure",
           "PermanentFailure"]  # fmt: skip


class DigestError(ValueError):
    """A request the digest cannot honour (bad address, bad preference); the message is for the user."""


def parse_preferences(data: dict) -> Preferences:
    """Validated preferences from form fields or CLI options (strings are fine; a field left out or
    empty takes its default); raises DigestError."""
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
    return Preferences(**out)


def _send_one(settings, message) -> None:
    with open_sender(settings) as smtp:
        smtp.send(message)


def check_address(email: str) -> str:
    """The normalised address, or a DigestError that says what is wrong with it."""
    try:
        return normalize_address(email)
    except BadAddress as err:
        raise DigestError(str(err)) from None


# -- subscribing -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SubscribeResult:
    email: str
    status: str  # confirmation_sent, already_active
    subscriber: Subscriber


def subscribe(store: Store, settings, email: str, prefs: Preferences | dict | None = None) -> SubscribeResult:
    """Start a double opt-in: record a new address as unconfirmed and email a confirmation link that
    carries the preferences asked for. An existing subscription is never changed here (pending or
    unsubscribed, it gets a new link; its preferences change only when that link is confirmed), and an
    active one gets no email. The web page answers the same in every case (and runs this after
    answering), so the form does not reveal who is subscribed. Raises DigestError, or SmtpConfigError /
    TemporaryFailure / PermanentFailure when the email cannot be sent."""
    address = check_address(email)
    prefs = prefs if isinstance(prefs, Preferences) else parse_preferences(prefs or {})
    parse_smtp_url(settings.smtp_url)  # fail before recording anything when mail cannot go out
    subscriber, _created = db.add_pending(store, address, prefs)
    if subscriber.status == ACTIVE:
        return SubscribeResult(address, "already_active", subscriber)
    _send_one(settings, confirm_message(settings, address, prefs.as_dict()))
    return SubscribeResult(address, "confirmation_sent", subscriber)


def confirm(store: Store, settings, token: str) -> Subscriber:
    """Activate the address a confirmation link was made for, with the preferences asked for with it.
    A link made before the address last unsubscribed does nothing (it would undo the unsubscribe).
    Raises BadToken."""
    request = read_confirm_token(settings, token)
    subscriber = db.get_subscriber(store, email=request.email)
    if subscriber is None:
        raise BadToken("this subscription no longer exists; subscribe again")
    if subscriber.status == ACTIVE:
        return subscriber
    if subscriber.unsubscribed_at is not None and subscriber.unsubscribed_at >= request.issued:
        raise BadToken("this address unsubscribed after this link was sent, so the link no longer works; "
                       "subscribe again to get a new one")  # fmt: skip
    if request.prefs is not None:
        try:
            prefs = parse_preferences(request.prefs)
        except DigestError:
            prefs = None
        if prefs is not None:
            db.update_prefs(store, subscriber.pk, **prefs.as_dict())
    db.set_status(store, subscriber.pk, ACTIVE)
    return db.get_subscriber(store, pk=subscriber.pk)


def subscriber_for_token(store: Store, settings, token: str) -> Subscriber:
    pk, email = read_manage_token(settings, token)
    subscriber = db.get_subscriber(store, pk=pk)
    if subscriber is None or subscriber.email != email:
        raise BadToken("this link belongs to a subscription that no longer exists")
    return subscriber


def unsubscribe(store: Store, settings, token: str) -> Subscriber:
    """Stop sending to the link's subscriber (RFC 8058 one-click: no log-in). Idempotent."""
    subscriber = subscriber_for_token(store, settings, token)
    if subscriber.status != UNSUBSCRIBED:
        db.set_status(store, subscriber.pk, UNSUBSCRIBED)
    return db.get_subscriber(store, pk=subscriber.pk)


def switch_to_weekly(store: Store, settings, token: str) -> Subscriber:
    subscriber = subscriber_for_token(store, settings, token)
    db.update_prefs(store, subscriber.pk, frequency=WEEKLY)
    if subscriber.status == UNSUBSCRIBED:
        db.set_status(store, subscriber.pk, ACTIVE)
    return db.get_subscriber(store, pk=subscriber.pk)


def update_preferences(store: Store, settings, token: str, data: dict) -> Subscriber:
    subscriber = subscriber_for_token(store, settings, token)
    prefs = parse_preferences(data)
    db.update_prefs(store, subscriber.pk, **prefs.as_dict())
    return db.get_subscriber(store, pk=subscriber.pk)


# -- from an account ----------------------------------------------------------------------------------------
ACCOUNT_SECTIONS = ("trending", "recommendations", "following", "categories")  # an account subscriber: + its own


def account_subscription(store: Store, user) -> Subscriber | None:
    """The digest subscription of an account: the one linked to it, else none."""
    return db.get_subscriber(store, user_pk=user.pk)


def subscribe_account(store: Store, user) -> Subscriber:
    """Subscribe a signed-in user with a verified email at once (the verification is the opt-in).
    An existing subscription of the same address is linked to the account and reactivated, keeping
    its preferences and send log (and gaining the "recommendations" and "following" sections when linked
    the first time)."""
    if not user.verified:
        raise DigestError("confirm your email address first")
    existing = db.get_subscriber(store, user_pk=user.pk) or db.get_subscriber(store, email=user.email)
    if existing is None:
        prefs = Preferences(sections=ACCOUNT_SECTIONS)
        return db.add_subscriber(store, user.email, status=ACTIVE, prefs=prefs, user_pk=user.pk)
    if existing.user_pk != user.pk:
        db.link_user(store, existing.pk, user.pk)
        gained = tuple(k for k in ("recommendations", "following") if k not in existing.prefs.sections)
        if gained:
            db.update_prefs(store, existing.pk, sections=(*existing.prefs.sections, *gained))
    if existing.status != ACTIVE:
        db.set_status(store, existing.pk, ACTIVE)
    return db.get_subscriber(store, pk=existing.pk)


def unsubscribe_account(store: Store, user) -> Subscriber | None:
    """Stop the account's digest (the row and its send log stay, so a later subscribe resends nothing)."""
    subscriber = db.get_subscriber(store, user_pk=user.pk)
    if subscriber is not None and subscriber.status != UNSUBSCRIBED:
        db.set_status(store, subscriber.pk, UNSUBSCRIBED)
    return db.get_subscriber(store, pk=subscriber.pk) if subscriber else None


# -- admin -------------------------------------------------------------------------------------------------
def add_subscriber(store: Store, email: str, *, confirmed: bool = False, prefs: dict | None = None,
                   settings=None) -> Subscriber:  # fmt: skip
    """Add (or update) an address; unconfirmed ones get a confirmation email when ``settings`` can send it."""
    address = valid_email(email)
    if address is None:
        raise DigestError(f"not a valid email address: {email!r}")
    subscriber = db.add_subscriber(store, address, status=ACTIVE if confirmed else UNCONFIRMED,
                                   prefs=parse_preferences(prefs or {}))  # fmt: skip
    if not confirmed and settings is not None and settings.smtp_url and subscriber.status != ACTIVE:
        _send_one(settings, confirm_message(settings, address))
    return subscriber


def list_subscribers(store: Store, status: str | None = None) -> list[Subscriber]:
    return db.subscribers(store, status)


def remove_subscriber(store: Store, email: str) -> bool:
    """Delete the address, its deliveries and its send log."""
    return db.remove_subscriber(store, email)


# -- preview and sending -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Preview:
    subscriber: Subscriber
    digest_date: date
    subject: str
    text: str
    html: str
    selection: Selection
    would_send: bool


SAMPLE = Subscriber(pk=0, email="you@example.org", status=ACTIVE)


def preview(pw: Paperwire, *, email: str | None = None, subscriber: Subscriber | None = None,
            digest_date: date | None = None, now: datetime | None = None) -> Preview:  # fmt: skip
    """The next digest of a subscriber (or of a sample daily subscriber), without sending or logging anything."""
    store, settings = pw.store, pw.settings
    if subscriber is None and email:
        subscriber = db.get_subscriber(store, email=email)
        if subscriber is None:
            raise DigestError(f"no subscriber {email}")
    subscriber = subscriber or SAMPLE
    prefs = subscriber.prefs
    chosen = digest_date
    if digest_date is None:
        digest_date = next_send_date(now or utcnow(), prefs.timezone, prefs.send_hour, prefs.frequency, prefs.weekday)
    sent = db.sent_paper_ids(store, subscriber.pk) if subscriber.pk else set()
    builder = DigestBuilder(pw)
    selection = builder.select(subscriber, digest_date, sent, base_url=str(settings.base_url).rstrip("/"))
    if selection.empty and chosen is None and subscriber is SAMPLE:
        # an archive or a demo corpus: show the digest that announced the newest papers instead
        newest = latest_day(store)
        if newest is not None and newest + timedelta(days=1) < digest_date:
            digest_date = newest + timedelta(days=1)
            selection = builder.select(subscriber, digest_date, sent, base_url=str(settings.base_url).rstrip("/"))
    subject, text, html = render_digest(settings, subscriber, digest_date, selection)
    return Preview(subscriber, digest_date, subject, text, html, selection,
                   would_send=not selection.empty or prefs.empty_day == "note")  # fmt: skip


def preview_message(pw: Paperwire, **kwargs) -> Outgoing:
    """The full MIME message a preview would be sent as (headers included)."""
    p = preview(pw, **kwargs)
    return digest_message(pw.settings, p.subscriber, p.digest_date, p.selection)


@dataclass
class SendReport:
    digest_date: date | None
    created: int  # deliveries created by this run
    outcomes: Counter  # sent here, by outcome ('sent', 'skipped', 'failed', 'retry', 'busy')
    enqueued: int = 0  # handed to the workers instead

    def as_dict(self) -> dict:
        return {"date": self.digest_date.isoformat() if self.digest_date else None, "created": self.created,
                "enqueued": self.enqueued, **{k: v for k, v in sorted(self.outcomes.items())}}  # fmt: skip


def run_due(pw: Paperwire, *, digest_date: date | None = None, now: datetime | None = None,
            dispatcher: Dispatcher | None = None, requeue_after_seconds: float = 0.0,
            get_sender: Callable[[], Sender] | None = None, policy: SendPolicy | None = None,
            wait_seconds: float | None = 900.0, stop: Callable[[], bool] = lambda: False) -> SendReport:  # fmt: skip
    """Send what is due: create the deliveries due at ``now`` (or every delivery of ``digest_date``),
    then, with a ``dispatcher``, hand the ready ones to the workers (those not handed over in the last
    ``requeue_after_seconds``), or else send them here, retrying temporary failures for up to
    ``wait_seconds`` (None: one pass) unless ``stop()``. Running it again never sends a digest twice.

    ``get_sender`` returns the Sender to use here (a scheduler keeps one, and its SMTP connection,
    across ticks; it is asked only after scheduling); by default a new one with ``policy`` is opened
    and closed. Without a ``dispatcher`` given, the context's (``pw.dispatcher``) is used. The
    scheduler's tick and ``paperwire digest send`` both call this."""
    store = pw.store
    dispatcher = dispatcher if dispatcher is not None else pw.dispatcher
    created = schedule_date(store, digest_date) if digest_date else schedule_due(store, now)
    if dispatcher is not None:
        enqueued = dispatch_ready(store, dispatcher, requeue_after_seconds=requeue_after_seconds)
        return SendReport(digest_date, created, Counter(), enqueued=enqueued)
    here = get_sender() if get_sender is not None else Sender(pw, policy)
    wait_until = utcnow() + timedelta(seconds=wait_seconds) if wait_seconds is not None else None
    try:
        outcomes = send_ready(here, digest_date=digest_date, wait_until=wait_until, stop=stop)
    finally:
        if get_sender is None:
            here.close()
    return SendReport(digest_date, created, outcomes)


def timezones() -> list[str]:
    return sorted(available_timezones())
