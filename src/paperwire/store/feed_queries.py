"""Read-side queries for the dated feed (a day, week or month: ``services.feed``; SQLAlchemy Core,
SQLite and PostgreSQL). The RSS/Atom feeds of a category and of an author use ``store.queries``.

As on Hugging Face Daily Papers, a paper a user of this instance submits joins the feed of the day it
was submitted (``papers.submitted_at``), and stays in the feed of the day it was published.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func, or_, select

from paperwire.store import schema as t
from paperwire.store.schema_accounts import votes
from paperwire.store.store import Store


def _between(column, start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(column >= start, column < end)


def dated_rows(store: Store, start: datetime, end: datetime,
               submitter: str | None = None) -> list[tuple[str, int, datetime]]:  # fmt: skip
    """(id, upvotes, time) of the papers published or submitted in [start, end), newest first. The time
    is the submission's when the paper was submitted in the period, else the publication's; upvotes
    count the imported (Hugging Face) ones plus this instance's users' votes."""
    p = t.papers.c
    local_votes = select(func.count()).where(votes.c.paper_pk == p.pk).scalar_subquery()
    submitted = _between(p.submitted_at, start, end)
    at = case((submitted, p.submitted_at), else_=p.published)
    query = select(p.id, p.upvotes + local_votes, at).where(or_(_between(p.published, start, end), submitted))
    if submitter:
        query = query.where(p.submitted_by == submitter)
    with store.connect() as conn:
        return [tuple(r) for r in conn.execute(query.order_by(at.desc(), p.id.desc()))]


def newest_before(store: Store, when: datetime) -> datetime | None:
    """The latest publication or submission time before ``when`` (None if there is none): the nearest
    older day with papers."""
    p = t.papers.c
    query = select(select(func.max(p.published)).where(p.published < when).scalar_subquery(),
                   select(func.max(p.submitted_at)).where(p.submitted_at < when).scalar_subquery())  # fmt: skip
    with store.connect() as conn:
        found = [x for x in conn.execute(query).one() if x is not None]
    return max(found, default=None)


def oldest_from(store: Store, when: datetime) -> datetime | None:
    """The earliest publication or submission time at or after ``when``: the nearest newer day with papers."""
    p = t.papers.c
    query = select(select(func.min(p.published)).where(p.published >= when).scalar_subquery(),
                   select(func.min(p.submitted_at)).where(p.submitted_at >= when).scalar_subquery())  # fmt: skip
    with store.connect() as conn:
        found = [x for x in conn.execute(query).one() if x is not None]
    return min(found, default=None)
