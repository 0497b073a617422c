"""The arXiv query API (Atom, https://info.arxiv.org/help/api/) as a source of new papers by category,
or of given papers by id."""
from __future__ import annotations

import time
from collections.abc import Generator, Iterator, Sequence
from datetime import date, datetime, timezone
from typing import Any

import feedparser
import httpx

from paperwire.sources.errors import EntryError, SourceError
from paperwire.sources.http import Clock, HttpFetcher, NetworkSource, RateLimiter, RetryPolicy, Sleep
from paperwire.sources.records import PaperRecord, RecordProblem, SourceItem

ARXIV_API_URL = "https://export.arxiv.org/api/query"

__all__ = ["ARXIV_API_URL", "ArxivApiSource", "SourceError", "parse_feed", "record_from_entry"]


class ArxivApiSource(NetworkSource):
    """Papers submitted in a category between two dates, oldest first, paged and rate limited.

    arXiv asks for at most one request every 3 seconds; ``min_interval`` enforces that over
    all requests made by this source, retries included.
    """

    def __init__(
        self,
        base_url: str = ARXIV_API_URL,
        page_size: int = 100,
        min_interval: float = 3.0,
        client: httpx.Client | None = None,
        sleep: Sleep = time.sleep,
        clock: Clock = time.monotonic,
        max_retries: int = 4,
    ) -> None:
        self.base_url = base_url
        self.page_size = page_size
        self._http = HttpFetcher(
            client,
            retry=RetryPolicy(max_retries=max_retries),
            rate_limiter=RateLimiter(min_interval, clock=clock, sleep=sleep),
            sleep=sleep,
        )

    def fetch(self, category: str, since: date, until: date | None = None) -> Iterator[SourceItem]:
        """Yield the papers of ``category`` submitted from ``since`` to ``until`` (default: today, UTC)."""
        until = until or datetime.now(timezone.utc).date()
        query = f"cat:{category} AND submittedDate:[{since:%Y%m%d}0000 TO {until:%Y%m%d}2359]"
        start = 0
        while True:
            params: dict[str, str | int] = {
                "search_query": query,
                "start": start,
                "max_results": self.page_size,
                "sortBy": "submittedDate",
                "sortOrder": "ascending",
            }
            feed = yield from self._page(params)
            start += len(feed.entries)
            total = _int_or_none(feed.feed.get("opensearch_totalresults"))
            if not feed.entries or (total is not None and start >= total):
                return

    def fetch_ids(self, ids: Sequence[str]) -> Iterator[SourceItem]:
        """Yield the papers with these arXiv ids (an ``id_list`` query; unknown ids are left out)."""
        if ids:
            yield from self._page({"id_list": ",".join(ids), "max_results": len(ids)})

    def _page(self, params: dict[str, str | int]) -> Generator[SourceItem, None, Any]:
        """One request: yield its records (or problems) and return the parsed feed."""
        response = self._http.get(self.base_url, params)
        url = str(response.request.url)
        feed = parse_feed(response.content, url)
        for index, entry in enumerate(feed.entries):
            origin = f"{url}#entry={index}"
            try:
                yield record_from_entry(entry, origin)
            except EntryError as exc:
                yield RecordProblem(origin, exc.field, exc.message)
        return feed


def parse_feed(content: bytes, url: str) -> Any:
    """Parse an arXiv API response; raise :class:`SourceError` for unreadable XML or an API error feed."""
    feed = feedparser.parse(content)
    if feed.bozo and not feed.entries and "opensearch_totalresults" not in feed.feed:
        raise SourceError(url, f"unreadable Atom response: {feed.get('bozo_exception')}")
    for entry in feed.entries:
        if "/api/errors" in entry.get("id", ""):
            raise SourceError(url, f"arXiv API error: {' '.join(entry.get('summary', entry.id).split())}")
    return feed


def record_from_entry(entry: Any, origin: str) -> PaperRecord:
    """Map one feedparser entry of the arXiv API to a :class:`PaperRecord`."""
    entry_id = entry.get("id") or ""
    if "/abs/" not in entry_id:
        raise EntryError("id", f"entry id is not an arXiv abstract URL: {entry_id!r}")
    primary = (entry.get("arxiv_primary_category") or {}).get("term")
    terms = [tag["term"] for tag in entry.get("tags", []) if tag.get("term")]
    categories = ([primary] if primary else []) + [term for term in terms if term != primary]
    links = entry.get("links", [])
    return PaperRecord(
        origin=origin,
        source="arxiv",
        id=entry_id.rsplit("/abs/", 1)[1],
        title=entry.get("title"),
        summary=entry.get("summary"),
        authors=[author["name"] for author in entry.get("authors", []) if author.get("name")],
        categories=categories,
        published=entry.get("published"),
        updated=entry.get("updated"),
        comment=entry.get("arxiv_comment"),
        doi=entry.get("arxiv_doi"),
        journal_ref=entry.get("arxiv_journal_ref"),
        abs_url=_link(links, rel="alternate") or entry_id,
        pdf_url=_link(links, title="pdf") or _link(links, type="application/pdf"),
    )


def _link(links: list[Any], **match: str) -> str | None:
    for link in links:
        href = link.get("href")
        if href and all(link.get(key) == value for key, value in match.items()):
            return str(href)
    return None


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
