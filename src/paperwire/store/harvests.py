"""The harvest log of the daily loop: one ``harvests`` row per source (``arxiv``, ``hf``).

A harvest *claims* its source before it starts (``running_since``, ``running_owner`` = host:pid): a
second process (another server, a ``paperwire harvest`` from cron) that finds a live claim skips that
source, so two servers never fetch the same thing at once. A claim is dead, and taken over, when it
is older than the lease or when its owner was a process of this host that no longer runs (a harvest
killed mid-run and started again). Every function takes the :class:`~paperwire.store.Store`.
"""
from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from paperwire.store.schema import harvests as h
from paperwire.store.schema import papers as p
from paperwire.store.store import Store

LEASE = timedelta(hours=2)  # a claim older than this belongs to a harvest that died
MAX_ERROR = 2000  # characters of an error message kept


@dataclass(frozen=True)
class HarvestState:
    source: str
    last_attempt_at: datetime | None = None
    last_success_at: datetime | None = None
    last_added: int = 0
    last_updated: int = 0
    last_error: str | None = None
    last_error_at: datetime | None = None
    failures: int = 0  # consecutive failed attempts since the last success
    running_since: datetime | None = None
    running_owner: str | None = None

    def as_dict(self) -> dict:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat(timespec="seconds") + "Z" if value else None

        return {"source": self.source, "last_attempt": iso(self.last_attempt_at), "last_success": iso(self.last_success_at),
                "added": self.last_added, "updated": self.last_updated, "last_error": self.last_error,
                "last_error_at": iso(self.last_error_at), "failures": self.failures,
                "running_since": iso(self.running_since), "running_owner": self.running_owner}  # fmt: skip


def states(store: Store) -> dict[str, HarvestState]:
    """Every source's row, by source name (sources never harvested are absent)."""
    with store.connect() as conn:
        rows = conn.execute(select(h)).mappings().all()
    return {row["source"]: HarvestState(**row) for row in rows}


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _dead(owner: str | None) -> bool:
    """Whether ``owner`` (host:pid) was a process of this host that has ended."""
    host, _, pid = (owner or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def claim(store: Store, source: str, now: datetime, *, lease: timedelta = LEASE) -> bool:
    """Mark ``source`` as being harvested by this process from ``now``; False when a live claim holds it."""
    me = this_process()
    with store.transaction() as conn:
        row = conn.execute(select(h.c.running_since, h.c.running_owner).where(h.c.source == source)).first()
        if row is None:
            try:
                with conn.begin_nested():
                    conn.execute(insert(h).values(source=source, running_since=now, running_owner=me, last_attempt_at=now))
                return True
            except IntegrityError:  # another process inserted it first: fall through to the update
                row = conn.execute(select(h.c.running_since, h.c.running_owner).where(h.c.source == source)).first()
        free = or_(h.c.running_since.is_(None), h.c.running_since < now - lease)
        if row is not None and row.running_since is not None and _dead(row.running_owner):
            free = h.c.running_owner == row.running_owner  # its owner died: take it over
        taken = conn.execute(update(h).where(h.c.source == source, free)
                             .values(running_since=now, running_owner=me, last_attempt_at=now))  # fmt: skip
        return taken.rowcount == 1


def succeed(store: Store, source: str, now: datetime, *, added: int, updated: int) -> None:
    """Close the claim of a harvest that ended well."""
    with store.transaction() as conn:
        conn.execute(update(h).where(h.c.source == source).values(
            running_since=None, running_owner=None, last_success_at=now, last_added=added, last_updated=updated, failures=0))  # fmt: skip


def fail(store: Store, source: str, now: datetime, error: str) -> None:
    """Close the claim of a harvest that failed, counting the consecutive failure."""
    with store.transaction() as conn:
        conn.execute(update(h).where(h.c.source == source).values(
            running_since=None, running_owner=None, last_error=error[:MAX_ERROR], last_error_at=now, failures=h.c.failures + 1))  # fmt: skip


def freshness(store: Store) -> dict:
    """What the stored corpus covers: papers, the newest arXiv listing day and Hugging Face day, and
    the span of the bundled sample corpus (papers whose first source is ``demo``)."""
    with store.connect() as conn:
        bundled = case((p.c.source == "demo", p.c.published))
        total, newest_listing, newest_hf, first, last = conn.execute(
            select(func.count(), func.max(p.c.announced_on), func.max(p.c.hf_day), func.min(bundled),
                   func.max(bundled))).one()  # fmt: skip
        first, last = _naive(first), _naive(last)
    return {"papers": int(total), "newest_listing": newest_listing, "newest_hf_day": newest_hf,
            "bundled_first": first, "bundled_last": last}  # fmt: skip


def _naive(value) -> datetime | None:
    """A datetime from an untyped aggregate (SQLite gives text)."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))
