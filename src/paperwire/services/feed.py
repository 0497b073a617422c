"""The dated feed and the trending view: use cases shared by the pages, the HF-compatible API and
the CLI."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Literal

from paperwire.rank.trending import reference_time, trending_score
from paperwire.services.periods import Kind, Period
from paperwire.store import Paper, Store, feed_queries

Sort = Literal["publishedAt", "upvotes", "trending"]
TRENDING_WINDOW = timedelta(days=14)


@dataclass
class FeedPage:
    period: Period
    papers: list[Paper]
    total: int
    page: int  # 0-based
    limit: int
    sort: Sort
    newer: date | None  # nearest day after the period that has papers
    older: date | None  # nearest day before the period that has papers

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.limit))


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def latest_day(store: Store) -> date | None:
    """The most recent day that has papers, published or submitted by a user here (the home page opens on it)."""
    newest = feed_queries.newest_before(store, datetime.max)
    return newest.date() if newest else None


def _order(rows: list[tuple[str, int, datetime]], sort: Sort, now: datetime) -> list[str]:
    if sort == "upvotes":
        rows = sorted(rows, key=lambda r: (-r[1], -r[2].timestamp(), r[0]))
    elif sort == "trending":
        at = reference_time(now, max((r[2] for r in rows), default=None))
        rows = sorted(rows, key=lambda r: (-trending_score(r[1], r[2], at), r[0]))
    return [r[0] for r in rows]  # publishedAt: already newest first


def feed(store: Store, period: Period, *, sort: Sort = "publishedAt", page: int = 0, limit: int = 50,
         submitter: str | None = None, now: datetime | None = None) -> FeedPage:  # fmt: skip
    """The papers of ``period`` (published, or submitted by a user, in it) sorted by time, upvotes or
    trending score, one page."""
    rows = feed_queries.dated_rows(store, _start(period.start), _start(period.end), submitter=submitter)
    ids = _order(rows, sort, now or _utcnow())
    page_ids = ids[page * limit : (page + 1) * limit]
    older = feed_queries.newest_before(store, _start(period.start))
    newer = feed_queries.oldest_from(store, _start(period.end))
    return FeedPage(period=period, papers=store.papers_by_ids(page_ids), total=len(ids), page=page, limit=limit,
                    sort=sort, newer=newer.date() if newer else None, older=older.date() if older else None)  # fmt: skip


def default_period(store: Store, kind: Kind = "day") -> Period:
    """The period holding the most recent day with papers (today when the database is empty)."""
    return Period.of(kind, latest_day(store) or _utcnow().date())


def trending(store: Store, *, limit: int = 50, page: int = 0, now: datetime | None = None,
             submitter: str | None = None) -> FeedPage:  # fmt: skip
    """Papers of the last two weeks ranked by time-decayed upvotes. The two weeks end now, or at the
    newest paper when the data is older; when nobody voted in them (say, a fresh arXiv-only
    instance beside an imported Hugging Face archive), they end at the newest upvoted paper."""
    now = now or _utcnow()
    at = reference_time(now, store.newest_published())
    voted = store.newest_published(upvoted=True)
    if voted is not None and voted < at - TRENDING_WINDOW:
        at = reference_time(now, voted)
    start = (at - TRENDING_WINDOW).date()
    period = Period("day", start, at.date() + timedelta(days=1))
    return feed(store, period, sort="trending", page=page, limit=limit, now=now, submitter=submitter)
