"""What the in-memory indexes read of the papers (SQLAlchemy Core; SQLite and PostgreSQL): a signature
that changes when papers are added, changed or deleted, each paper's change stamp, and their texts."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select

from paperwire.store import schema as t
from paperwire.store.store import Store

p = t.papers.c


def signature(store: Store) -> tuple:
    """(papers, largest pk, newest update): changes whenever papers are added, updated or deleted."""
    with store.connect() as conn:
        n, top, last = conn.execute(select(func.count(), func.max(p.pk), func.max(p.updated))).one()
    return (int(n), top, str(last))


def stamps(store: Store) -> list[tuple[int, datetime | None, datetime | None]]:
    """(pk, updated, published) of every paper, by pk."""
    with store.connect() as conn:
        return [tuple(row) for row in conn.execute(select(p.pk, p.updated, p.published).order_by(p.pk))]


def texts_by_pk(store: Store, pks: Sequence[int]) -> dict[int, tuple[str, str]]:
    """(title, summary) by pk, for the pks that exist."""
    if not len(pks):
        return {}
    with store.connect() as conn:
        rows = conn.execute(select(p.pk, p.title, p.summary).where(p.pk.in_([int(x) for x in pks])))
        return {pk: (title, summary) for pk, title, summary in rows}
