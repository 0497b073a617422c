"""Digest selection and scheduling rules (pure; no I/O).

- **Window**: a daily digest dated D covers papers published on the UTC day before D; a weekly one
  the seven UTC days before D.
- **Trending**: the first ``n`` of the trending ranking at the start of D that the subscriber has
  never been sent.
- **Categories**: papers of the window in any chosen category (``cs`` matches ``cs.CL``), most
  upvoted then newest, never sent before and not already in an earlier section.
- **Empty day**: nothing was published in the window (weekends, holidays), or every section is
  empty once papers already sent are left out; the subscriber chose to be sent nothing or a note.
- **Due**: a subscriber is due once their local clock has passed their send hour on a send day
  (every day, or their weekday for weekly) and no digest was scheduled for that local date yet.
- **Backoff**: base * 2^(attempt-1), capped.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Protocol
from zoneinfo import ZoneInfo

DAILY, WEEKLY = "daily", "weekly"
SECTION_KEYS = ("trending", "categories", "recommendations", "following")  # the last two for account subscribers


class PaperLike(Protocol):
    id: str
    upvotes: int
    published: datetime
    categories: tuple[str, ...]


@dataclass(frozen=True)
class Section:
    key: str  # trending, categories, recommendations, following
    title: str
    papers: tuple = ()
    more: int = 0  # matching papers left out for length
    more_url: str | None = None
    reasons: tuple[str, ...] = ()  # one line per paper (recommendations: why it was chosen)


@dataclass(frozen=True)
class Selection:
    sections: tuple[Section, ...] = field(default_factory=tuple)
    published_in_window: int = 0

    @property
    def paper_count(self) -> int:
        return sum(len(s.papers) for s in self.sections)

    @property
    def paper_ids(self) -> list[str]:
        return [p.id for s in self.sections for p in s.papers]

    @property
    def empty(self) -> bool:
        return self.published_in_window == 0 or self.paper_count == 0


def window(digest_date: date, frequency: str) -> tuple[datetime, datetime]:
    """[start, end) in naive UTC of the papers a digest dated ``digest_date`` announces."""
    end = datetime.combine(digest_date, time.min)
    return end - timedelta(days=7 if frequency == WEEKLY else 1), end


def reference_time(digest_date: date) -> datetime:
    """The 'now' trending is ranked at for a digest: the start of its date, so a resend is identical."""
    return datetime.combine(digest_date, time.min)


def pick_unsent(ranked: Iterable[PaperLike], sent: set[str], n: int, exclude: set[str] = frozenset()) -> list:
    """The first ``n`` of ``ranked`` whose id is neither in ``sent`` nor ``exclude``."""
    out = []
    for paper in ranked:
        if len(out) >= n:
            break
        if paper.id not in sent and paper.id not in exclude:
            out.append(paper)
    return out


def in_categories(paper: PaperLike, categories: Sequence[str]) -> bool:
    return any(c == want or c.startswith(want + ".") for c in paper.categories for want in categories)


def pick_in_categories(papers: Iterable[PaperLike], categories: Sequence[str], sent: set[str], n: int,
                       exclude: set[str] = frozenset()) -> tuple[list, int]:  # fmt: skip
    """Papers in any of ``categories``, most upvoted then newest, first ``n``; and how many more matched."""
    if not categories:
        return [], 0
    matching = [p for p in papers if p.id not in sent and p.id not in exclude and in_categories(p, categories)]
    matching.sort(key=lambda p: (-p.upvotes, -p.published.timestamp(), p.id))
    return matching[:n], max(0, len(matching) - n)


def parse_list(text: str | None) -> list[str]:
    """``"cs.CL, cs.LG"`` -> ``["cs.CL", "cs.LG"]`` (order kept, duplicates and blanks dropped)."""
    seen: dict[str, None] = {}
    for part in (text or "").replace(";", ",").replace(" ", ",").split(","):
        if part.strip():
            seen.setdefault(part.strip(), None)
    return list(seen)


def is_send_day(local_day: date, frequency: str, weekday: int) -> bool:
    return frequency != WEEKLY or local_day.weekday() == weekday


def due_date(now_utc: datetime, tz: str, send_hour: int, frequency: str, weekday: int,
             last_scheduled: date | None) -> date | None:  # fmt: skip
    """The local date a digest is due for at ``now_utc`` (naive UTC), or None."""
    try:
        zone = ZoneInfo(tz)
    except Exception:  # an unknown zone name falls back to UTC rather than never sending
        zone = ZoneInfo("UTC")
    local = now_utc.replace(tzinfo=timezone.utc).astimezone(zone)
    day = local.date()
    if local.hour < send_hour or not is_send_day(day, frequency, weekday):
        return None
    if last_scheduled is not None and last_scheduled >= day:
        return None
    return day


def next_send_date(now_utc: datetime, tz: str, send_hour: int, frequency: str, weekday: int) -> date:
    """The local date of the next digest at or after ``now_utc`` (for previews)."""
    zone = ZoneInfo(tz) if tz else ZoneInfo("UTC")
    local = now_utc.replace(tzinfo=timezone.utc).astimezone(zone)
    day = local.date() if local.hour < send_hour else local.date() + timedelta(days=1)
    while not is_send_day(day, frequency, weekday):
        day += timedelta(days=1)
    return day


def backoff_seconds(attempt: int, base: float = 30.0, cap: float = 3600.0) -> float:
    """Wait before attempt ``attempt + 1`` after ``attempt`` failures (1-based)."""
    return min(cap, base * 2 ** max(0, attempt - 1))


def two_lines(text: str, limit: int = 180) -> str:
    """A summary cut at a word boundary to about two lines of a phone screen."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:.-")
    return cut + "…"


def author_line(authors: Sequence[str], limit: int = 4) -> str:
    if len(authors) <= limit:
        return ", ".join(authors)
    return ", ".join(authors[:limit]) + f" and {len(authors) - limit} more"
