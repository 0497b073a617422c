"""The day a paper was listed and how (pure: no I/O).

arXiv announces at 20:00 US Eastern, Sunday to Thursday; each announcement is the listing of the next
weekday (Sunday evening's is Monday's list) and holds what was submitted before the 14:00 Eastern
cut-off of the weekday before. Its OAI-PMH datestamps are written at the announcement, which is
already the listing's day in UTC, so a harvested record's listing day is its datestamp (moved to the
next weekday if it falls on a weekend). A paper read from a file or the arXiv API has no datestamp:
its listing day is estimated from its first version's submission time by the same schedule
(holidays aside). A record is a *replacement* when it carries a later version or its datestamp is
well after its first submission, a *cross-list* when its primary category lies outside what was
harvested, and *new* otherwise.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

EASTERN = ZoneInfo("America/New_York")
CUT_OFF = time(14, 0)  # Eastern: submissions before it make the next announcement
REPLACED_AFTER = timedelta(days=14)  # a datestamp this long after v1 is not a new submission

NEW, CROSS, REPLACE = "new", "cross", "replace"


def next_weekday(day: date) -> date:
    """``day`` itself on Monday–Friday, else the Monday after."""
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def listing_day_of_datestamp(datestamp: date) -> date:
    return next_weekday(datestamp)


def estimated_listing_day(submitted: datetime) -> date:
    """The listing day arXiv's schedule gives a first version submitted at ``submitted`` (naive = UTC)."""
    if submitted.tzinfo is None:
        submitted = submitted.replace(tzinfo=timezone.utc)
    local = submitted.astimezone(EASTERN)
    cut = local.date()
    if cut.weekday() >= 5 or local.time() >= CUT_OFF:  # too late for today's announcement
        cut = next_weekday(cut + timedelta(days=1))
    return next_weekday(cut + timedelta(days=1))


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
