"""The day a paper was listed and how (pure: no I/O).

arXiv announces at 20:00 US Eastern, Sunday to Thursday; each announcement is the listing of the next
weekday (Sunday evening's is Monday's list) and holds what was submitted before the 14:00 Eastern
cut-off of the weekday before. Its OAI-PMH datestamps are written at the announcement, which is
already the listing's day in UTC, so a harvested record's listing day is its datestamp (moved to the
next weekday if it falls on a weekend). A paper read from a file or the arXiv API says nothing about
its announcement: it has no listing day, and the feed places it on its first version's submission
day (UTC) rather than guess. A record is a *replacement* when it carries a later version or its datestamp is
well after its first submission, a *cross-list* when its primary category lies outside what was
harvested, and *new* otherwise.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

REPLACED_AFTER = timedelta(days=14)  # a datestamp this long after v1 is not a new submission

NEW, CROSS, REPLACE = "new", "cross", "replace"


def next_weekday(day: date) -> date:
    """``day`` itself on Monday–Friday, else the Monday after."""
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def listing_day_of_datestamp(datestamp: date) -> date:
    return next_weekday(datestamp)


def _in_set(category: str, set_spec: str) -> bool:
    """Whether ``category`` belongs to the OAI set ``set_spec`` (``cs``, ``physics:astro-ph``, ``cs:cs:CL``)."""
    parts = set_spec.split(":")
    if len(parts) == 3:
        return category == f"{parts[1]}.{parts[2]}"
    archive = parts[-1]
    return category == archive or category.startswith(archive + ".")


def kind(primary: str | None, *, replaced: bool, set_spec: str | None = None,
         categories: Sequence[str] | Iterable[str] = ()) -> str:  # fmt: skip
    """``replace``, ``cross`` or ``new`` for a harvested record (see the module docstring)."""
    if replaced:
        return REPLACE
    wanted = set(categories)
    if primary and ((set_spec and not _in_set(primary, set_spec)) or (wanted and primary not in wanted)):
        return CROSS
    return NEW


def is_replacement(published: datetime, updated: datetime | None, datestamp: date) -> bool:
    return updated is not None or datestamp - published.date() > REPLACED_AFTER
