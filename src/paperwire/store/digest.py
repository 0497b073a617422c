"""Digest data access (SQLAlchemy Core; SQLite and PostgreSQL): subscribers with their preferences,
deliveries (the durable per-(subscriber, date) record) and the send log. Plain functions over a
:class:`Store`; the rules (validation, scheduling, the send protocol) live in ``services.digest*``.

Every state change of a delivery is one conditional UPDATE, so two senders can never both hold the
same delivery. List preferences (sections, categories) are stored comma-separated.
"""
from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime, timedelta

from sqlalchemy import Connection, and_, bindparam, exists, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from paperwire.store.schema import papers
from paperwire.store.schema_digest import digest_deliveries as D
from paperwire.store.schema_digest import digest_sent_papers as L
from paperwire.store.schema_digest import digest_subscribers as S
from paperwire.store.store import Store, utcnow

PENDING, SENDING, SENT, SKIPPED, FAILED = "pending", "sending", "sent", "skipped", "failed"
ACTIVE, UNCONFIRMED, UNSUBSCRIBED = "active", "pending", "unsubscribed"


@dataclass(frozen=True)
class Preferences:
    """What a subscriber chose: when the digest comes and what is in it (defaults: the columns' own)."""

    frequency: str = "daily"  # daily, weekly
    weekday: int = 0  # weekly: 0 = Monday
    send_hour: int = 7  # local hour, 0..23
    timezone: str = "UTC"  # IANA name
    sections: tuple[str, ...] = ("trending", "categories")
    categories: tuple[str, ...] = ()
    trending_n: int = 10
    empty_day: str = "skip"  # skip, note

    def as_dict(self) -> dict:
        return asdict(self)


PREF_FIELDS = tuple(f.name for f in fields(Preferences))


@dataclass(frozen=True)
class Subscriber:
    pk: int
    email: str
    status: str
    prefs: Preferences = field(default_factory=Preferences)
    user_pk: int | None = None
    created_at: datetime | None = None
    confirmed_at: datetime | None = None
    unsubscribed_at: datetime | None = None
    last_scheduled: date | None = None

    @classmethod
    def from_row(cls, row) -> "Subscriber":
        data = dict(row._mapping)
        prefs = {key: data.pop(key) for key in PREF_FIELDS}
        prefs["sections"], prefs["categories"] = _split(prefs["sections"]), _split(prefs["categories"])
        return cls(prefs=Preferences(**prefs), **data)

    def as_dict(self) -> dict:
        prefs = self.prefs.as_dict()
        prefs["sections"], prefs["categories"] = list(self.prefs.sections), list(self.prefs.categories)
        return {
            "email": self.email, "status": self.status, **prefs,
            "created_at": self.created_at.isoformat(timespec="seconds") if self.created_at else None,
            "confirmed_at": self.confirmed_at.isoformat(timespec="seconds") if self.confirmed_at else None,
        }  # fmt: skip


@dataclass(frozen=True)
class Delivery:
    pk: int
    subscriber_pk: int
    digest_date: date
    status: str
    attempts: int
    next_attempt_at: datetime
    lease_until: datetime | None
    claim: str | None
    enqueued_at: datetime | None
    message_id: str | None
    papers: int
    error: str | None
    created_at: datetime
    sent_at: datetime | None


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(part for part in (text or "").split(",") if part)


def _pref_values(prefs: dict) -> dict:
    """Column values of the preferences given (None means unchanged); lists joined by commas."""
    out = {}
    for key in PREF_FIELDS:
        if prefs.get(key) is not None:
            value = prefs[key]
            out[key] = ",".join(value) if isinstance(value, (list, tuple)) else value
    return out


def _insert_ignore(store: Store, table, keys: list[str]):
    """INSERT ... ON CONFLICT (keys) DO NOTHING in the store's dialect."""
    return (postgresql.insert if store.dialect == "postgresql" else sqlite.insert)(table).on_conflict_do_nothing(
        index_elements=keys)  # fmt: skip


def _write_first(store: Store, conn: Connection) -> None:
    """On SQLite, take the write lock before the transaction's first read: a read transaction that
    later writes fails at once (SQLITE_BUSY, no busy wait) when another process wrote meanwhile."""
    if store.dialect == "sqlite":
        conn.execute(update(S).where(S.c.pk == -1).values(pk=S.c.pk))


# -- subscribers ------------------------------------------------------------------------------------------
def get_subscriber(store: Store, *, pk: int | None = None, email: str | None = None,
                   user_pk: int | None = None) -> Subscriber | None:  # fmt: skip
    """By pk, else by account (the oldest linked subscription), else by address."""
    query = select(S)
    if pk is not None:
        query = query.where(S.c.pk == pk)
    elif user_pk is not None:
        query = query.where(S.c.user_pk == user_pk).order_by(S.c.pk).limit(1)
    else:
        query = query.where(S.c.email == (email or "").lower())
    with store.connect() as conn:
        row = conn.execute(query).first()
    return Subscriber.from_row(row) if row else None


def subscribers(store: Store, status: str | None = None) -> list[Subscriber]:
    query = select(S).order_by(S.c.pk)
    if status:
        query = query.where(S.c.status == status)
    with store.connect() as conn:
        return [Subscriber.from_row(r) for r in conn.execute(query)]


def add_subscriber(store: Store, email: str, *, status: str, prefs: Preferences,
                   user_pk: int | None = None) -> Subscriber:  # fmt: skip
    """Insert, or for an existing address update preferences (and status unless it is active)."""
    email = email.strip().lower()
    now = utcnow()
    values = _pref_values(prefs.as_dict())
    with store.transaction() as conn:
        _write_first(store, conn)
        row = conn.execute(select(S.c.pk, S.c.status).where(S.c.email == email)).first()
        if row is None:
            try:
                conn.execute(insert(S).values(
                    email=email, status=status, user_pk=user_pk, created_at=now,
                    confirmed_at=now if status == ACTIVE else None, **values))  # fmt: skip
            except IntegrityError:  # a concurrent insert of the same address: fall through to update
                pass
            else:
                values = {}
        if values or row is not None:
            changes = dict(values)
            if row is not None and row.status != ACTIVE:
                changes.update(status=status, unsubscribed_at=None)
                if status == ACTIVE:
                    changes["confirmed_at"] = now
            if changes:
                conn.execute(update(S).where(S.c.email == email).values(**changes))
    return get_subscriber(store, email=email)


def link_user(store: Store, pk: int, user_pk: int | None) -> None:
    """Tie a subscription to an account (deleting the account then deletes it: FK cascade)."""
    with store.transaction() as conn:
        conn.execute(update(S).where(S.c.pk == pk).values(user_pk=user_pk))


def add_pending(store: Store, email: str, prefs: Preferences) -> tuple[Subscriber, bool]:
    """The subscriber of ``email``, inserted as unconfirmed with ``prefs`` when the address is new (True),
    else as it is, untouched (False): nobody changes an existing subscription by asking again."""
    email = email.strip().lower()
    stmt = _insert_ignore(store, S, ["email"]).values(email=email, status=UNCONFIRMED, created_at=utcnow(),
                                                      **_pref_values(prefs.as_dict()))  # fmt: skip
    with store.transaction() as conn:
        _write_first(store, conn)
        created = conn.execute(stmt).rowcount == 1
        row = conn.execute(select(S).where(S.c.email == email)).first()
    return Subscriber.from_row(row), created


def set_status(store: Store, pk: int, status: str) -> None:
    now = utcnow()
    values: dict = {"status": status}
    if status == ACTIVE:
        values["confirmed_at"] = now
        values["unsubscribed_at"] = None
    elif status == UNSUBSCRIBED:
        values["unsubscribed_at"] = now
    with store.transaction() as conn:
        conn.execute(update(S).where(S.c.pk == pk).values(**values))


def update_prefs(store: Store, pk: int, **changes) -> None:
    """Change the preferences named (``Preferences`` field names); the others stay as they are."""
    values = _pref_values(changes)
    if values:
        with store.transaction() as conn:
            conn.execute(update(S).where(S.c.pk == pk).values(**values))


def remove_subscriber(store: Store, email: str) -> bool:
    """Delete the address with its deliveries and send log; False when there is no such address."""
    with store.transaction() as conn:
        _write_first(store, conn)
        pk = conn.execute(select(S.c.pk).where(S.c.email == email.strip().lower())).scalar()
        if pk is None:
            return False
        for table, col in ((L, L.c.subscriber_pk), (D, D.c.subscriber_pk), (S, S.c.pk)):
            conn.execute(table.delete().where(col == pk))  # explicit: SQLite cascades need foreign_keys=ON
    return True


def schedule_rows(store: Store) -> list[tuple]:
    """(pk, timezone, send_hour, frequency, weekday, last_scheduled) of active subscribers."""
    query = select(S.c.pk, S.c.timezone, S.c.send_hour, S.c.frequency, S.c.weekday, S.c.last_scheduled)
    with store.connect() as conn:
        return [tuple(r) for r in conn.execute(query.where(S.c.status == ACTIVE))]


# -- deliveries ---------------------------------------------------------------------------------------------
def create_deliveries(store: Store, due: Iterable[tuple[int, date]], chunk: int = 1000) -> int:
    """A pending delivery per (subscriber pk, digest date), unless one exists; returns how many were new.
    Also moves each subscriber's ``last_scheduled`` forward to the date."""
    due = list(due)
    now = utcnow()
    created = 0
    for start in range(0, len(due), chunk):
        part = due[start : start + chunk]
        with store.transaction() as conn:
            _write_first(store, conn)
            existing = set()
            pks = [pk for pk, _ in part]
            for pk, day in conn.execute(select(D.c.subscriber_pk, D.c.digest_date)
                                        .where(D.c.subscriber_pk.in_(pks))
                                        .where(D.c.digest_date.in_({d for _, d in part}))):  # fmt: skip
                existing.add((pk, day))
            rows = [{"subscriber_pk": pk, "digest_date": day, "status": PENDING, "next_attempt_at": now,
                     "created_at": now} for pk, day in part if (pk, day) not in existing]  # fmt: skip
            if rows:
                stmt = _insert_ignore(store, D, ["subscriber_pk", "digest_date"]).returning(D.c.pk)
                created += len(conn.execute(stmt, rows).all())
            conn.execute(update(S).where(S.c.pk == bindparam("s_pk"))
                         .where(or_(S.c.last_scheduled.is_(None), S.c.last_scheduled < bindparam("s_day")))
                         .values(last_scheduled=bindparam("s_day")),
                         [{"s_pk": pk, "s_day": day} for pk, day in part])  # fmt: skip
    return created


def get_delivery(store: Store, pk: int) -> Delivery | None:
    with store.connect() as conn:
        row = conn.execute(select(D).where(D.c.pk == pk)).first()
    return Delivery(**row._mapping) if row else None


def deliveries(store: Store, digest_date: date | None = None, subscriber_pk: int | None = None) -> list[Delivery]:
    query = select(D).order_by(D.c.pk)
    if digest_date is not None:
        query = query.where(D.c.digest_date == digest_date)
    if subscriber_pk is not None:
        query = query.where(D.c.subscriber_pk == subscriber_pk)
    with store.connect() as conn:
        return [Delivery(**r._mapping) for r in conn.execute(query)]


def _ready(now: datetime):
    """Deliveries a sender may take now: pending and due, or sending with an expired lease."""
    return or_(and_(D.c.status == PENDING, D.c.next_attempt_at <= now),
               and_(D.c.status == SENDING, D.c.lease_until < now))  # fmt: skip


def ready_pks(store: Store, now: datetime | None = None, limit: int | None = None, *,
              not_enqueued_since: datetime | None = None, digest_date: date | None = None) -> list[int]:  # fmt: skip
    """The deliveries a sender may take now, oldest date first; optionally only those not handed to the
    queue since ``not_enqueued_since``, or only those of ``digest_date``."""
    now = now or utcnow()
    query = select(D.c.pk).where(_ready(now)).order_by(D.c.digest_date, D.c.pk)
    if not_enqueued_since is not None:
        query = query.where(or_(D.c.enqueued_at.is_(None), D.c.enqueued_at < not_enqueued_since))
    if digest_date is not None:
        query = query.where(D.c.digest_date == digest_date)
    if limit:
        query = query.limit(limit)
    with store.connect() as conn:
        return list(conn.execute(query).scalars())


def next_retry_at(store: Store, digest_date: date | None = None) -> datetime | None:
    """When the earliest pending (or leased) delivery becomes ready; None when nothing is left to send."""
    query = select(func.min(func.coalesce(D.c.lease_until, D.c.next_attempt_at))).where(
        D.c.status.in_((PENDING, SENDING)))  # fmt: skip
    if digest_date is not None:
        query = query.where(D.c.digest_date == digest_date)
    with store.connect() as conn:
        value = conn.execute(query).scalar()
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value


def mark_enqueued(store: Store, pks: list[int]) -> None:
    now = utcnow()
    with store.transaction() as conn:
        for start in range(0, len(pks), 1000):
            conn.execute(update(D).where(D.c.pk.in_(pks[start : start + 1000])).values(enqueued_at=now))


def claim(store: Store, pk: int, lease_seconds: float) -> tuple[Delivery, str] | None:
    """Take delivery ``pk`` for sending, or None when it is not ready or another sender holds it (or
    holds another delivery of the same subscriber: one subscriber's digests are sent in turn, so the
    send log of one is written before the next is built). Returns the delivery and the claim token."""
    now = utcnow()
    token = secrets.token_hex(16)
    with store.transaction() as conn:
        _write_first(store, conn)  # SQLite: one writer at a time, so claims of one subscriber are serial
        sub_pk = conn.execute(select(D.c.subscriber_pk).where(D.c.pk == pk)).scalar()
        if sub_pk is None:
            return None
        if store.dialect == "postgresql":  # serialise claims of one subscriber
            conn.execute(select(S.c.pk).where(S.c.pk == sub_pk).with_for_update())
        other = D.alias("other")
        busy = exists().where(other.c.subscriber_pk == sub_pk, other.c.pk != pk, other.c.status == SENDING,
                              other.c.lease_until >= now)  # fmt: skip
        taken = conn.execute(
            update(D).where(D.c.pk == pk, _ready(now), ~busy)
            .values(status=SENDING, claim=token, lease_until=now + timedelta(seconds=lease_seconds),
                    attempts=D.c.attempts + 1)
        ).rowcount  # fmt: skip
        if taken != 1:
            return None
        row = conn.execute(select(D).where(D.c.pk == pk)).first()
    return Delivery(**row._mapping), token


def finish(store: Store, pk: int, token: str, status: str, *, paper_pks: list[int] = (),
           message_id: str | None = None, error: str | None = None) -> bool:  # fmt: skip
    """Mark a claimed delivery sent / skipped / failed; a sent one writes the send log in the same
    transaction. False when the claim was lost (the lease expired and someone else took it)."""
    now = utcnow()
    with store.transaction() as conn:
        done = conn.execute(
            update(D).where(D.c.pk == pk, D.c.claim == token, D.c.status == SENDING)
            .values(status=status, sent_at=now if status == SENT else None, lease_until=None,
                    message_id=message_id, papers=len(paper_pks), error=error)
        ).rowcount  # fmt: skip
        if done != 1:
            return False
        if paper_pks:
            sub_pk = conn.execute(select(D.c.subscriber_pk).where(D.c.pk == pk)).scalar_one()
            conn.execute(_insert_ignore(store, L, ["subscriber_pk", "paper_pk"]),
                         [{"subscriber_pk": sub_pk, "paper_pk": p, "delivery_pk": pk, "sent_at": now}
                          for p in sorted(set(paper_pks))])  # fmt: skip
    return True


def retry_later(store: Store, pk: int, token: str, delay_seconds: float, error: str) -> bool:
    """Give a claimed delivery back as pending, ready again in ``delay_seconds``; False when the claim was lost."""
    now = utcnow()
    with store.transaction() as conn:
        return conn.execute(
            update(D).where(D.c.pk == pk, D.c.claim == token, D.c.status == SENDING)
            .values(status=PENDING, lease_until=None, claim=None, error=error,
                    next_attempt_at=now + timedelta(seconds=delay_seconds))
        ).rowcount == 1  # fmt: skip


# -- send log -------------------------------------------------------------------------------------------------
def sent_paper_ids(store: Store, subscriber_pk: int) -> set[str]:
    """Ids of every paper ever sent to the subscriber."""
    query = select(papers.c.id).join(L, L.c.paper_pk == papers.c.pk).where(L.c.subscriber_pk == subscriber_pk)
    with store.connect() as conn:
        return set(conn.execute(query).scalars())
