"""Feed periods: a day, an ISO week or a month (pure; no I/O)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Literal

Kind = Literal["day", "week", "month"]
_WEEK = re.compile(r"(\d{4})-W(\d{1,2})")
_MONTH = re.compile(r"(\d{4})-(\d{1,2})")


class PeriodError(ValueError):
    """A date, week or month parameter that cannot be read; ``param`` names it."""

    def __init__(self, param: str, message: str):
        super().__init__(message)
        self.param = param


@dataclass(frozen=True, slots=True)
class Period:
    kind: Kind
    start: date  # first day
    end: date  # day after the last day

    @classmethod
    def day(cls, day: date) -> "Period":
        return cls("day", day, day + timedelta(days=1))

    @classmethod
    def week_of(cls, day: date) -> "Period":
        monday = day - timedelta(days=day.weekday())
        return cls("week", monday, monday + timedelta(days=7))

    @classmethod
    def month_of(cls, day: date) -> "Period":
        first = day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return cls("month", first, following)

    @classmethod
    def of(cls, kind: Kind, day: date) -> "Period":
        return {"day": cls.day, "week": cls.week_of, "month": cls.month_of}[kind](day)

    @classmethod
    def parse(cls, kind: Kind, text: str) -> "Period":
        """``2026-06-30`` (day), ``2026-W27`` (ISO week), ``2026-06`` (month)."""
        text = text.strip()
        try:
            if kind == "day":
                return cls.day(date.fromisoformat(text))
            if kind == "week":
                match = _WEEK.fullmatch(text)
                if not match:
                    raise ValueError
                return cls.week_of(date.fromisocalendar(int(match[1]), int(match[2]), 1))
            match = _MONTH.fullmatch(text)
            if not match:
                raise ValueError
            return cls.month_of(date(int(match[1]), int(match[2]), 1))
        except ValueError:
            example = {"day": "YYYY-MM-DD, e.g. 2026-06-30", "week": "YYYY-Www, e.g. 2026-W27",
                       "month": "YYYY-MM, e.g. 2026-06"}[kind]  # fmt: skip
            param = {"day": "date", "week": "week", "month": "month"}[kind]
            raise PeriodError(param, f"invalid {param} {text[:30]!r}: expected {example}") from None

    @property
    def label(self) -> str:
        if self.kind == "day":
            return self.start.isoformat()
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.start.year}-{self.start.month:02d}"

    @property
    def title(self) -> str:
        if self.kind == "day":
            return self.start.strftime("%A, %-d %B %Y")
        if self.kind == "week":
            last = self.end - timedelta(days=1)
            return f"Week {self.label[-2:]}: {self.start.strftime('%-d %b')} – {last.strftime('%-d %b %Y')}"
        return self.start.strftime("%B %Y")

    def previous(self) -> "Period":
        return Period.of(self.kind, self.start - timedelta(days=1))

    def next(self) -> "Period":
        return Period.of(self.kind, self.end)

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end


# -- arXiv's announcement holidays ----------------------------------------------------------------------------
# arXiv (run from Cornell, US Eastern time) makes no announcement on these US holidays, as its published
# holiday schedules have said in recent years (https://info.arxiv.org/help/availability.html); when one
# falls on a weekend, the observed weekday. Dates come from the `holidays` library (python-holidays), so
# moving holidays (Memorial Day, Labor Day, Thanksgiving) need no table.
ARXIV_HOLIDAYS = frozenset({"New Year's Day", "Memorial Day", "Juneteenth National Independence Day",
                            "Independence Day", "Labor Day", "Thanksgiving Day", "Christmas Day"})  # fmt: skip


@lru_cache(maxsize=64)
def _arxiv_holidays(year: int) -> dict[date, str]:
    import holidays

    found = {}
    for day, names in holidays.US(years=year, observed=True).items():
        for name in names.split("; "):
            base = name.removesuffix(" (observed)")
            if base in ARXIV_HOLIDAYS:
                found[day] = base
    return found


def arxiv_holiday(day: date) -> str | None:
    """The name of the holiday on which arXiv announces nothing, if ``day`` is one (else ``None``)."""
    if not 1900 <= day.year <= 2200:
        return None
    return _arxiv_holidays(day.year).get(day)
