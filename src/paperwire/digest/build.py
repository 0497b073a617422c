"""Build a subscriber's digest for a date: candidates are read once per (date, frequency) and shared by
every subscriber in the process; the per-subscriber choice is the pure ``rank.digest`` selection.

Sections: trending top N, new papers in chosen categories, and any section registered with
:func:`register_section` (``following`` is registered by
:mod:`paperwire.digest.following`; recommendations arrive with their issue, e.g.
``register_section("recommendations", provider)``). A provider gets a :class:`SectionRequest` and
returns a :class:`Section` or None; it must leave out ``request.sent`` and ``request.exclude``.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from paperwire.digest.records import Subscriber
from paperwire.rank.digest import (
    WEEKLY,
    Section,
    Selection,
    pick_in_categories,
    pick_unsent,
    reference_time,
    window,
)
from paperwire.store import Paper, Store

TRENDING_POOL = 300  # trending candidates per date; a subscriber gets the first N never sent
CATEGORY_N = 20  # papers per digest from followed categories
CACHE_TTL = 600.0  # seconds a (date, frequency) candidate set is reused


@dataclass(frozen=True)
class Candidates:
    digest_date: date
    frequency: str
    start: datetime
    end: datetime
    trending: tuple[Paper, ...]
    in_window: tuple[Paper, ...]


@dataclass(frozen=True)
class SectionRequest:
    store: Store
    subscriber: Subscriber
    digest_date: date
    start: datetime
    end: datetime
    sent: frozenset[str]  # paper ids sent to this subscriber before
    exclude: frozenset[str] = field(default_factory=frozenset)  # already in an earlier section
    base_url: str = ""  # the site's address, for "more" links


SectionProvider = Callable[[SectionRequest], "Section | None"]
SECTION_PROVIDERS: dict[str, SectionProvider] = {}


def register_section(key: str, provider: SectionProvider) -> None:
    """Add a digest section (``recommendations``, ``following``...) shown to subscribers who chose ``key``."""
    SECTION_PROVIDERS[key] = provider


SECTION_ORDER = ("trending", "recommendations", "following", "categories")


class DigestBuilder:
    """Thread-safe; keeps a few candidate sets for ``CACHE_TTL`` seconds."""

    def __init__(self, store: Store, *, ttl: float = CACHE_TTL, size: int = 8):
        self.store, self.ttl, self.size = store, ttl, size
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
        from paperwire.services.feed import TRENDING_WINDOW, feed, trending
        from paperwire.services.periods import Period

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
        ids = [row[0] for row in self.store.feed_rows(start, end)]
        return Candidates(digest_date, frequency, start, end, tuple(ranked), tuple(self.store.papers_by_ids(ids)))

    def select(self, subscriber: Subscriber, digest_date: date, sent: set[str] | frozenset[str],
               base_url: str = "") -> Selection:  # fmt: skip
        c = self.candidates(digest_date, subscriber.frequency)
        sent = frozenset(sent)
        chosen: set[str] = set()
        sections: list[Section] = []
        for key in SECTION_ORDER:
            if key not in subscriber.sections:
                continue
            section = None
            if key == "trending" and subscriber.trending_n > 0:
                papers = pick_unsent(c.trending, sent, subscriber.trending_n, exclude=chosen)
                section = Section("trending", "Trending papers", tuple(papers), more_url=f"{base_url}/trending")
            elif key == "categories" and subscriber.categories:
                papers, more = pick_in_categories(c.in_window, subscriber.categories, sent, CATEGORY_N, exclude=chosen)
                title = "New in " + ", ".join(subscriber.categories)
                section = Section("categories", title, tuple(papers), more=more, more_url=_period_url(base_url, c))
            elif key in SECTION_PROVIDERS:
                section = SECTION_PROVIDERS[key](SectionRequest(self.store, subscriber, digest_date, c.start, c.end,
                                                                sent, frozenset(chosen), base_url))  # fmt: skip
            if section is not None and section.papers:
                sections.append(section)
                chosen.update(p.id for p in section.papers)
        return Selection(tuple(sections), published_in_window=len(c.in_window))


def _period_url(base_url: str, c: Candidates) -> str:
    if c.frequency == WEEKLY:
        year, week, _ = (c.end - timedelta(days=1)).date().isocalendar()
        return f"{base_url}/week/{year}-W{week:02d}"
    return f"{base_url}/day/{c.start.date().isoformat()}"


from paperwire.digest import following as _following  # noqa: E402,F401 - registers the "following" section
from paperwire.digest import recommended as _recommended  # noqa: E402,F401 - registers "recommendations"
