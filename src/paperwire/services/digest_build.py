"""Build a subscriber's digest for a date: candidates are read once per (date, frequency) and shared by
every subscriber in the process; the per-subscriber choice is the pure ``rank.digest`` selection.

The sections, in the order a digest shows them, are the table :data:`SECTIONS`: trending top N,
"recommended for you", "new from what you follow" and new papers in chosen categories. A subscriber
gets the ones they chose; each section leaves out the papers sent before (the send log) and those
of earlier sections, and an empty one is not shown.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from paperwire.rank.digest import (
    WEEKLY,
    Section,
    Selection,
    pick_in_categories,
    pick_unsent,
    reference_time,
    window,
)
from paperwire.context import Paperwire
from paperwire.services import recommend
from paperwire.services.community import following_papers
from paperwire.services.feed import TRENDING_WINDOW, feed, trending
from paperwire.services.periods import Period
from paperwire.store import Paper, Store, feed_queries
from paperwire.store.digest import Subscriber

TRENDING_POOL = 300  # trending candidates per date; a subscriber gets the first N never sent
CATEGORY_N = 20  # papers per digest from followed categories
FOLLOWING_N = 20  # papers per digest from follows
FOLLOWING_POOL = 1000  # follow candidates read per subscriber (newest first; papers after the window are dropped)
RECOMMENDED_N = 10
CACHE_TTL = 600.0  # seconds a (date, frequency) candidate set is reused


@dataclass(frozen=True)
class Candidates:
    """What every subscriber's digest of one (date, frequency) picks from."""

    digest_date: date
    frequency: str
    start: datetime  # the window of papers the digest announces: [start, end)
    end: datetime
    trending: tuple[Paper, ...]
    in_window: tuple[Paper, ...]


@dataclass(frozen=True)
class SectionRequest:
    """What a section function gets: one subscriber's digest of one date."""

    pw: Paperwire
    subscriber: Subscriber
    candidates: Candidates
    sent: frozenset[str]  # paper ids sent to this subscriber before
    exclude: frozenset[str]  # already in an earlier section
    base_url: str  # the site's address, for "more" links


def trending_section(request: SectionRequest) -> Section | None:
    """The first N of the date's trending ranking never sent to the subscriber."""
    n = request.subscriber.prefs.trending_n
    if n <= 0:
        return None
    papers = pick_unsent(request.candidates.trending, request.sent, n, exclude=request.exclude)
    return Section("trending", "Trending papers", tuple(papers), more_url=f"{request.base_url}/trending")


def recommended_section(request: SectionRequest) -> Section | None:
    """The subscriber's personal recommendations among the papers of the window (``services.recommend``),
    each with its reason. Only subscribers linked to an account get it; a user active in the last
    ``active_days`` days gets a freshly fitted model, an inactive one the cheap centroid model, so a
    digest run never refits thousands of idle models."""
    user_pk = request.subscriber.user_pk
    if user_pk is None:
        return None
    c = request.candidates
    found = recommend.recommend(request.pw, user_pk, since=c.start, until=c.end, limit=RECOMMENDED_N,
                                exclude=request.sent | request.exclude,
                                active_days=request.pw.settings.recommend_active_days)  # fmt: skip
    if not found.items:
        return None
    return Section("recommendations", "Recommended for you", tuple(r.paper for r in found.items),
                   more_url=f"{request.base_url}/for-you", reasons=tuple(r.reason for r in found.items))  # fmt: skip


def following_section(request: SectionRequest) -> Section | None:
    """New papers of the window from the authors, organisations, categories and saved searches the
    subscriber's account follows (the Following feed's query, one batch per subscriber). Only
    subscribers linked to an account get it: an email-only subscriber follows nothing."""
    user_pk = request.subscriber.user_pk
    if user_pk is None:
        return None
    c = request.candidates
    papers = following_papers(request.pw, user_pk, since=c.start, until=c.end, limit=FOLLOWING_POOL)
    skip = request.sent | request.exclude
    fresh = [p for p in papers if p.id not in skip]
    if not fresh:
        return None
    return Section("following", "New from what you follow", tuple(fresh[:FOLLOWING_N]),
                   more=max(0, len(fresh) - FOLLOWING_N), more_url=f"{request.base_url}/following")  # fmt: skip


def categories_section(request: SectionRequest) -> Section | None:
    """Papers of the window in the subscriber's categories, most upvoted first, with a link to the period."""
    categories = request.subscriber.prefs.categories
    if not categories:
        return None
    c = request.candidates
    papers, more = pick_in_categories(c.in_window, categories, request.sent, CATEGORY_N, exclude=request.exclude)
    return Section("categories", "New in " + ", ".join(categories), tuple(papers), more=more,
                   more_url=_period_url(request.base_url, c))  # fmt: skip


def _period_url(base_url: str, c: Candidates) -> str:
    if c.frequency == WEEKLY:
        year, week, _ = (c.end - timedelta(days=1)).date().isocalendar()
        return f"{base_url}/week/{year}-W{week:02d}"
    return f"{base_url}/day/{c.start.date().isoformat()}"


SectionFunction = Callable[[SectionRequest], "Section | None"]
# Every section a digest can have (the keys of a subscriber's ``prefs.sections``), in the order shown.
SECTIONS: tuple[tuple[str, SectionFunction], ...] = (
    ("trending", trending_section),
    ("recommendations", recommended_section),
    ("following", following_section),
    ("categories", categories_section),
)


class DigestBuilder:
    """Chooses the sections of each subscriber's digest. Thread-safe; keeps a few candidate sets for
    ``ttl`` seconds."""

    def __init__(self, pw: Paperwire, *, ttl: float = CACHE_TTL, size: int = 8):
        self.pw, self.store, self.ttl, self.size = pw, pw.store, ttl, size
        self._cache: OrderedDict[tuple, tuple[float, Candidates]] = OrderedDict()
        self._lock = threading.Lock()

    def candidates(self, digest_date: date, frequency: str) -> Candidates:
        key = (digest_date, WEEKLY if frequency == WEEKLY else "daily")
        with self._lock:
            hit = self._cache.get(key)
            if hit and time.monotonic() - hit[0] < self.ttl:
                return hit[1]
        found = self._load(*key)
        with self._lock:
            self._cache[key] = (time.monotonic(), found)
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return found

    def _load(self, digest_date: date, frequency: str) -> Candidates:
        start, end = window(digest_date, frequency)
        now = reference_time(digest_date)
        ranked = trending(self.store, limit=TRENDING_POOL, now=now).papers
        # trending() falls back to the newest *upvoted* papers when nobody voted lately (an arXiv-only
        # instance beside an old Hugging Face archive); a digest only offers papers of its last two weeks
        since = now - TRENDING_WINDOW
        recent = [p for p in ranked if p.published >= since]
        if not recent and ranked:
            period = Period("day", since.date(), digest_date + timedelta(days=1))
            recent = feed(self.store, period, sort="trending", limit=TRENDING_POOL, now=now).papers
        ranked = recent
        ids = feed_queries.digest_ids(self.store, start, end)
        return Candidates(digest_date, frequency, start, end, tuple(ranked), tuple(self.store.papers_by_ids(ids)))

    def select(self, subscriber: Subscriber, digest_date: date, sent: set[str] | frozenset[str],
               base_url: str = "") -> Selection:  # fmt: skip
        """The subscriber's digest of ``digest_date``, leaving out the papers in ``sent``."""
        c = self.candidates(digest_date, subscriber.prefs.frequency)
        sent = frozenset(sent)
        chosen: set[str] = set()
        sections: list[Section] = []
        for key, make in SECTIONS:
            if key not in subscriber.prefs.sections:
                continue
            section = make(SectionRequest(self.pw, subscriber, c, sent, frozenset(chosen), base_url))
            if section is not None and section.papers:
                sections.append(section)
                chosen.update(p.id for p in section.papers)
        return Selection(tuple(sections), published_in_window=len(c.in_window))
