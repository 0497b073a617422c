"""Hugging Face daily papers (``GET /api/daily_papers``), with upvotes, submitter and organization.

Field names follow ``huggingface_hub.hf_api.PaperInfo``: paper data lives under ``paper``
(``id``, ``authors[].name``, ``publishedAt``, ``summary``, ``upvotes``, ``githubRepo``,
``projectPage``, ``submittedOnDailyBy``, ...), listing data at the top level
(``title``, ``numComments``, ``submittedBy``, ``organization``, ``publishedAt`` = when listed).
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import orjson

from paperwire.sources.errors import EntryError, SourceError
from paperwire.sources.http import HttpFetcher, NetworkSource, RetryPolicy, Sleep
from paperwire.sources.records import PaperRecord, RecordProblem, SourceItem

HF_ENDPOINT = "https://huggingface.co"

__all__ = ["HF_ENDPOINT", "HfDailySource", "parse_daily_papers", "record_from_daily_item"]


class HfDailySource(NetworkSource):
    """The papers listed on huggingface.co/papers for one day."""

    def __init__(
        self,
        endpoint: str = HF_ENDPOINT,
        client: httpx.Client | None = None,
        sleep: Sleep = time.sleep,
        page_size: int = 100,
        max_retries: int = 4,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.page_size = page_size
        self._http = HttpFetcher(client, retry=RetryPolicy(max_retries=max_retries), sleep=sleep)

    def fetch(self, day: date) -> Iterator[SourceItem]:
        """Yield the daily papers of ``day``, following ``p=`` pages while they come back full."""
        url = f"{self.endpoint}/api/daily_papers"
        seen: set[str | None] = set()
        page = 0
        while True:
            params: dict[str, str | int] = {"date": day.isoformat(), "limit": self.page_size}
            if page:
                params["p"] = page
            response = self._http.get(url, params)
            origin = str(response.request.url)
            try:
                payload = orjson.loads(response.content)
            except orjson.JSONDecodeError as exc:
                raise SourceError(origin, f"response is not JSON: {exc}") from exc
            if not isinstance(payload, list):
                raise SourceError(origin, f"expected a JSON list, got {type(payload).__name__}")
            new = 0
            for item in parse_daily_papers(payload, origin):
                if isinstance(item, PaperRecord):
                    item.extra["hf_day"] = day.isoformat()  # the day whose list it is on
                    if item.id in seen:
                        continue
                    seen.add(item.id)
                    new += 1
                yield item
            # Stop on a short page, or if the server ignored ``p`` and sent the same papers again.
            if len(payload) < self.page_size or not new:
                return
            page += 1


def parse_daily_papers(payload: list[Any], origin: str) -> Iterator[SourceItem]:
    """Yield a record per item of a ``/api/daily_papers`` payload; an unreadable item yields a RecordProblem."""
    for index, item in enumerate(payload):
        item_origin = f"{origin}#item={index}"
        try:
            yield record_from_daily_item(item, item_origin)
        except EntryError as exc:
            yield RecordProblem(item_origin, exc.field, exc.message)


def record_from_daily_item(item: dict[str, Any], origin: str) -> PaperRecord:
    """Map one daily-papers item to a :class:`PaperRecord`; raise :class:`EntryError` if it is unreadable."""
    if not isinstance(item, dict):
        raise EntryError(None, f"item is {type(item).__name__}, not an object")
    paper = item.get("paper")
    if not isinstance(paper, dict):
        raise EntryError("paper", "missing or not an object")
    paper_id = paper.get("id")
    if not isinstance(paper_id, str) or not paper_id.strip():
        raise EntryError("paper.id", "missing arXiv id")
    authors = paper.get("authors")
    if authors is not None and not isinstance(authors, list):
        raise EntryError("paper.authors", f"{paper_id}: not a list")

    def pick(key: str) -> Any:
        """A value from the paper object, else from the listing item."""
        value = paper.get(key)
        return item.get(key) if value is None else value

    extra = {
        key: value
        for key, value in {
            "submitted_on_daily_at": paper.get("submittedOnDailyAt") or item.get("publishedAt"),
            "github_stars": pick("githubStars"),
            "ai_summary": pick("ai_summary"),
            "ai_keywords": pick("ai_keywords"),
            "thumbnail": item.get("thumbnail"),
        }.items()
        if value is not None
    }
    return PaperRecord(
        origin=origin,
        source="hf",
        id=paper_id,
        title=item.get("title") or paper.get("title"),
        summary=paper.get("summary") or item.get("summary"),
        authors=[name for author in authors or [] if (name := _author_name(author))],
        published=paper.get("publishedAt"),
        code_url=pick("githubRepo"),
        project_url=pick("projectPage"),
        upvotes=pick("upvotes"),
        organization=_identity(item.get("organization") or paper.get("organization"), "organization"),
        submitted_by=_identity(item.get("submittedBy") or paper.get("submittedOnDailyBy"), "submittedBy"),
        num_comments=item.get("numComments"),
        extra=extra,
    )


def _author_name(author: Any) -> str | None:
    if isinstance(author, dict):
        author = author.get("name")
    return author if isinstance(author, str) and author.strip() else None


def _identity(value: Any, field: str) -> dict[str, str | None] | None:
    """``{"name", "fullname"}`` of a Hub user or organization (users carry their name as ``name`` or ``user``)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise EntryError(field, f"not an object: {value!r}")
    return {"name": value.get("name") or value.get("user"), "fullname": value.get("fullname")}
