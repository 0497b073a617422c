"""Trending score: upvotes decayed by age (pure; no I/O).

    score = (upvotes + 1) / (age_hours + 2) ** GRAVITY

The Hacker News form: every upvote counts, but a paper's score falls as it ages, so a paper with 30
upvotes today outranks one with 100 upvotes from last month. With GRAVITY = 1.5 a paper loses half
its score between 2 and ~3.2 hours old, and between 2 and 3 days old roughly another 45%. The ``+ 1``
lets brand-new papers without votes order by freshness; ``+ 2`` keeps the score finite at age 0.

"Now" is the reference time: the trending view uses the current time, or, for a corpus whose newest
paper is older than that (a demo or an archive), the newest paper's time, so an old corpus still
has a meaningful trending list.
"""
from __future__ import annotations

from datetime import datetime

GRAVITY = 1.5


def trending_score(upvotes: int, published: datetime, now: datetime, gravity: float = GRAVITY) -> float:
    age_hours = max(0.0, (now - published).total_seconds() / 3600)
    return (max(upvotes, 0) + 1) / (age_hours + 2) ** gravity


def reference_time(now: datetime, newest: datetime | None) -> datetime:
    """The time trending is computed at: now, or just after the newest paper when the corpus is older."""
    if newest is None or newest >= now:
        return now
    return min(now, newest.replace(hour=23, minute=59, second=59))
