"""Read-side queries for the dated feed (a day, week or month: ``services.feed``; SQLAlchemy Core,
SQLite and PostgreSQL). The RSS/Atom feeds of a category and of an author use ``store.queries``.

As on Hugging Face Daily Papers, a paper a user of this instance submits joins the feed of the day it
was submitted (``papers.submitted_at``), and stays in the feed of the day it was published.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, and_, case, func, or_, select

from paperwire.store import schema as t
from paperwire.store.schema_accounts import votes
from paperwire.store.store import Store


def _between(column, start, end) -> ColumnElement[bool]:
    return and_(column >= start, column < end)


def _t(day: date) -> datetime:
    return datetime.combine(day, time.min)


def _listed(start: date, end: date) -> ColumnElement[bool]:
    """Listed (announced) in [start, end): the listing day, or for a paper without one, its publication."""
    p = t.papers.c
    return or_(_between(p.announced_on, start, end), and_(p.announced_on.is_(None), _between(p.published, _t(start), _t(end))))


def _local_votes():
    p = t.papers.c
    return select(func.count()).where(votes.c.paper_pk == p.pk).scalar_subquery()


def _in_list(which: str, start: date, end: date) -> ColumnElement[bool]:
    """Membership of a paper in a day's list. ``new``: everything arXiv (or another source) listed in
    the period, plus papers a user here submitted in it. ``daily``: the picked list — on Hugging
    Face's daily papers of a day in the period, submitted here in it, or listed in it and upvoted
    (on Hugging Face, for papers imported without their daily-list day, or here)."""
    p = t.papers.c
    submitted = _between(p.submitted_at, _t(start), _t(end))
    if which == "daily":
        voted = and_(p.hf_day.is_(None), _listed(start, end), or_(p.upvotes > 0, _local_votes() > 0))
        return or_(_between(p.hf_day, start, end), submitted, voted)
    return or_(_listed(start, end), submitted)


def dated_rows(store: Store, start: date, end: date, submitter: str | None = None, *, which: str = "new",
               category: str | None = None, listing: str | None = None) -> list[tuple[str, int, datetime, str | None]]:  # fmt: skip
    """(id, upvotes, time, listing kind) of the papers in the ``which`` list of [start, end), newest
    first. The time is the submission's when the paper was submitted here in the period, else the
    publication's; upvotes count the imported (Hugging Face) ones plus this instance's users' votes.
    ``category`` keeps papers listed in it (primary or cross-listed); ``listing`` one kind."""
    p = t.papers.c
    submitted = _between(p.submitted_at, _t(start), _t(end))
    at = case((submitted, p.submitted_at), else_=p.published)
    query = select(p.id, p.upvotes + _local_votes(), at, p.listing).where(_in_list(which, start, end))
    if submitter:
        query = query.where(p.submitted_by == submitter)
    if category:
        query = query.where(p.pk.in_(select(t.paper_categories.c.paper_pk).where(t.paper_categories.c.category == category)))
    if listing:
        query = query.where(p.listing == listing)
    with store.connect() as conn:
        return [tuple(r) for r in conn.execute(query.order_by(at.desc(), p.id.desc()))]


def digest_ids(store: Store, start: datetime, end: datetime) -> list[str]:
    """Ids of the papers a digest covering submissions in [start, end) announces, newest first: those
    arXiv listed the day after each of those days (announced that evening, so a morning digest carries
    last night's announcement), and papers without a listing day submitted in the window."""
    p = t.papers.c
    one = timedelta(days=1)
    listed = or_(_between(p.announced_on, start.date() + one, end.date() + one),
                 and_(p.announced_on.is_(None), _between(p.published, start, end)))  # fmt: skip
    with store.connect() as conn:
        return list(conn.execute(select(p.id).where(listed).order_by(p.published.desc(), p.id.desc())).scalars())


def category_counts(store: Store, start: date, end: date, *, which: str = "new", limit: int = 500) -> list[tuple[str, int]]:
    """The categories of the ``which`` list of [start, end) with their paper counts, largest first.
    A count is what the list shows when filtered by that category: New on arXiv leaves the period's
    replacements out (they are listed apart)."""
    p, pc = t.papers.c, t.paper_categories.c
    n = func.count()
    query = select(pc.category, n).join(t.papers, p.pk == pc.paper_pk).where(_in_list(which, start, end))
    if which == "new":
        query = query.where(or_(p.listing.is_(None), p.listing != "replace"))
    query = query.group_by(pc.category).order_by(n.desc(), pc.category).limit(limit)
    with store.connect() as conn:
        return [(c, int(k)) for c, k in conn.execute(query)]


def _days(which: str):
    """The columns that put a paper on a day of the ``which`` list (as dates or datetimes)."""
    p = t.papers.c
    if which == "daily":
        return (p.hf_day, p.submitted_at)
    return (p.announced_on, p.submitted_at)


def _day_of(value) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def newest_before(store: Store, day: date, *, which: str = "new") -> date | None:
    """The nearest day before ``day`` whose ``which`` list has papers (None if there is none)."""
    p = t.papers.c
    parts = [select(func.max(column)).where(column < (day if column.type.python_type is date else _t(day))).scalar_subquery()
             for column in _days(which)]  # fmt: skip
    if which == "daily":
        voted = and_(p.hf_day.is_(None), p.upvotes > 0)
        parts.append(select(func.max(p.announced_on)).where(voted, p.announced_on < day).scalar_subquery())
    parts.append(select(func.max(p.published)).where(p.announced_on.is_(None), p.published < _t(day),
                                                     *([p.upvotes > 0] if which == "daily" else [])).scalar_subquery())  # fmt: skip
    with store.connect() as conn:
        found = [_day_of(x) for x in conn.execute(select(*parts)).one() if x is not None]
    return max(found, default=None)


def oldest_from(store: Store, day: date, *, which: str = "new") -> date | None:
    """The nearest day from ``day`` on whose ``which`` list has papers."""
    p = t.papers.c
    parts = [select(func.min(column)).where(column >= (day if column.type.python_type is date else _t(day))).scalar_subquery()
             for column in _days(which)]  # fmt: skip
    if which == "daily":
        voted = and_(p.hf_day.is_(None), p.upvotes > 0)
        parts.append(select(func.min(p.announced_on)).where(voted, p.announced_on >= day).scalar_subquery())
    parts.append(select(func.min(p.published)).where(p.announced_on.is_(None), p.published >= _t(day),
                                                     *([p.upvotes > 0] if which == "daily" else [])).scalar_subquery())  # fmt: skip
    with store.connect() as conn:
        found = [_day_of(x) for x in conn.execute(select(*parts)).one() if x is not None]
    return min(found, default=None)
