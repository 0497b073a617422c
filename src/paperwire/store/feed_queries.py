"""Read-side queries for the dated feed (a day, week or month: ``services.feed``) and for the RSS/Atom
feeds of a category and of an author (SQLAlchemy Core; SQLite and PostgreSQL). They return paper ids,
newest first; ``Store.papers_by_ids`` loads the papers.

As on Hugging Face Daily Papers, a paper a user of this instance submits joins the feed of the day it
was submitted (``papers.submitted_at``), and stays in the feed of the day it was published.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func, or_, select

from paperwire.store import schema as t
from paperwire.store.schema_accounts import votes
from paperwire.store.store import Store

FEED_LIMIT = 50


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
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(query.order_by(at.desc(), p.id.desc()))]


def newest_before(store: Store, when: datetime) -> datetime | None:
    """The latest publication or submission time before ``when`` (None if there is none): the nearest
    older day with papers."""
    p = t.papers.c
    query = select(select(func.max(p.published)).where(p.published < when).scalar_subquery(),
                   select(func.max(p.submitted_at)).where(p.submitted_at < when).scalar_subquery())  # fmt: skip
    with store.engine.connect() as conn:
        found = [x for x in conn.execute(query).one() if x is not None]
    return max(found, default=None)


def oldest_from(store: Store, when: datetime) -> datetime | None:
    """The earliest publication or submission time at or after ``when``: the nearest newer day with papers."""
    p = t.papers.c
    query = select(select(func.min(p.published)).where(p.published >= when).scalar_subquery(),
                   select(func.min(p.submitted_at)).where(p.submitted_at >= when).scalar_subquery())  # fmt: skip
    with store.engine.connect() as conn:
        found = [x for x in conn.execute(query).one() if x is not None]
    return min(found, default=None)


def category_paper_ids(store: Store, category: str, limit: int = FEED_LIMIT) -> list[str]:
    """Ids of the newest papers listed in ``category`` (primary or cross-listed), newest first."""
    p, pc = t.papers.c, t.paper_categories.c
    query = (
        select(p.id)
        .where(p.pk.in_(select(pc.paper_pk).where(pc.category == category)))
        .order_by(p.published.desc(), p.id.desc())
        .limit(limit)
    )
    with store.engine.connect() as conn:
        return list(conn.execute(query).scalars())


def author_name(store: Store, author_key: str) -> str | None:
    """The display name of the author with this normalised key (None if there is none)."""
    with store.engine.connect() as conn:
        return conn.execute(select(t.authors.c.name).where(t.authors.c.key == author_key)).scalar()


def author_paper_ids(store: Store, author_key: str, limit: int = FEED_LIMIT) -> list[str]:
    """Ids of the newest papers of the author with this normalised key, newest first."""
    p, pa, a = t.papers.c, t.paper_authors.c, t.authors.c
    query = (
        select(p.id)
        .where(p.pk.in_(select(pa.paper_pk).join(t.authors, a.pk == pa.author_pk).where(a.key == author_key)))
        .order_by(p.published.desc(), p.id.desc())
        .limit(limit)
    )
    with store.engine.connect() as conn:
        return list(conn.execute(query).scalars())
