"""The store's plain value objects (no I/O)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class Organization:
    key: str  # handle, lower-cased (``google``)
    name: str = field(compare=False)  # display name (``Google``); the first one seen is kept


@dataclass(frozen=True, slots=True)
class Paper:
    """A normalised paper as stored. Equality ignores the database key and ``first_seen``."""

    id: str
    title: str
    summary: str
    published: datetime  # UTC, naive
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    updated: datetime | None = None
    comment: str | None = None
    doi: str | None = None
    journal_ref: str | None = None
    abs_url: str | None = None
    pdf_url: str | None = None
    code_url: str | None = None
    project_url: str | None = None
    source: str = "file"
    upvotes: int = 0
    num_comments: int = 0
    organization: Organization | None = None
    submitted_by: str | None = None
    submitted_at: datetime | None = field(default=None, compare=False)  # when a user here submitted it (UTC)
    title_key: str = ""
    pk: int | None = field(default=None, compare=False)
    first_seen: datetime | None = field(default=None, compare=False)
    author_keys: tuple[str, ...] = field(default=(), compare=False)
    origin: str = field(default="", compare=False)  # where ingest read it (file:line or URL)
    # the daily loop: when and how arXiv listed it, and what Hugging Face adds
    announced_on: date | None = None  # the listing day (arXiv's announcement; estimated from v1 when unknown)
    listing: str | None = None  # "new", "cross" (a cross-list) or "replace" (a replacement), as arXiv lists it
    hf_day: date | None = None  # the day it was on Hugging Face's daily papers
    ai_summary: str | None = None  # Hugging Face's AI-generated summary
    ai_keywords: tuple[str, ...] = ()
    github_stars: int | None = None
    thumbnail: str | None = None

    @property
    def primary_category(self) -> str | None:
        return self.categories[0] if self.categories else None


@dataclass(slots=True)
class UpsertCounts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0

    def __iadd__(self, other: "UpsertCounts") -> "UpsertCounts":
        self.added += other.added
        self.updated += other.updated
        self.unchanged += other.unchanged
        return self
