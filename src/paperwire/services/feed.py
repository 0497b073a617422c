"""The dated feed and the trending view: use cases shared by the pages, the HF-compatible API and
the CLI."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Literal

from paperwire.rank.trending import reference_time, trending_score
from paperwire.services.periods import Kind, Period
from paperwire.store import Paper, Store, feed_queries

Sort = Literal["publishedAt", "upvotes", "trending"]
Which = Literal["new", "daily"]  # New on arXiv (the whole listing) or Daily Papers (the picked list)
WHICH_LABELS = {"daily": "Daily Papers", "new": "New on arXiv"}
DAILY_RECENT = timedelta(days=7)  # the home page opens on Daily Papers when its newest day is this recent
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
    which: Which = "new"
    category: str | None = None
    listing: str | None = None  # one listing kind shown (``replace``), else new papers and cross-lists
    replacements: int = 0  # replacements listed in the period (shown apart, as arXiv does)
    categories: list[tuple[str, int]] = field(default_factory=list)  # the period's categories with counts

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.limit))


def _utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def latest_day(store: Store, which: Which = "new") -> date | None:
    """The most recent day whose ``which`` list has papers (listed, or submitted by a user here)."""
    return feed_queries.newest_before(store, date.max, which=which)


def home_list(store: Store) -> tuple[Which, date | None]:
    """Which list and day the home page opens on: the newest day of Daily Papers when it is recent
    (within a week of the newest listing), else the newest day of New on arXiv."""
    newest = latest_day(store, "new")
    daily = latest_day(store, "daily")
    if daily is not None and (newest is None or daily >= newest - DAILY_RECENT):
        return "daily", daily
    return "new", newest


def _order(rows: list[tuple], sort: Sort, now: datetime) -> list[str]:
    if sort == "upvotes":
        rows = sorted(rows, key=lambda r: (-r[1], -r[2].timestamp(), r[0]))
    elif sort == "trending":
        at = reference_time(now, max((r[2] for r in rows), default=None))
        rows = sorted(rows, key=lambda r: (-trending_score(r[1], r[2], at), r[0]))
    return [r[0] for r in rows]  # publishedAt: already newest first


def feed(store: Store, period: Period, *, sort: Sort = "publishedAt", page: int = 0, limit: int = 50,
         submitter: str | None = None, now: datetime | None = None, which: Which = "new",
         category: str | None = None, listing: str | None = None) -> FeedPage:  # fmt: skip
    """One page of the ``which`` list of ``period`` sorted by time, upvotes or trending score. New on
    arXiv shows new papers and cross-lists; replacements are counted apart (``listing="replace"``
    shows them). ``category`` keeps the papers listed in it."""
    rows = feed_queries.dated_rows(store, period.start, period.end, submitter=submitter, which=which,
                                   category=category, listing=listing)  # fmt: skip
    replacements = sum(1 for r in rows if r[3] == "replace")
    if listing is None and which == "new":
        rows = [r for r in rows if r[3] != "replace"]
    ids = _order(rows, sort, now or _utcnow())
    page_ids = ids[page * limit : (page + 1) * limit]
    return FeedPage(period=period, papers=store.papers_by_ids(page_ids), total=len(ids), page=page, limit=limit,
                    sort=sort, newer=feed_queries.oldest_from(store, period.end, which=which),
                    older=feed_queries.newest_before(store, period.start, which=which), which=which,
                    category=category, listing=listing, replacements=replacements)  # fmt: skip


def categories(store: Store, period: Period, which: Which = "new") -> list[tuple[str, int]]:
    """The categories of the period's list with their paper counts (for the category filter)."""
    return feed_queries.category_counts(store, period.start, period.end, which=which)


def default_period(store: Store, kind: Kind = "day", which: Which = "new") -> Period:
    """The period holding the most recent day with papers (today when the database is empty)."""
    return Period.of(kind, latest_day(store, which) or _utcnow().date())


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
