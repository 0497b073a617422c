"""The one input boundary of the HTTP front ends: what any text, id or date a request carries must be
before a route or a service sees it. Hostile input gets a 4xx with the one error body (or page),
never a 500 from a database or a date computation.

- **Text** (path and query parameters, form fields, every string of a JSON body): no NUL character
  (PostgreSQL refuses it in text), no lone surrogate (``"\\ud800"`` in JSON cannot be encoded to
  UTF-8), at most :data:`MAX_TEXT` characters a field (:data:`MAX_PARAM` for a path or query
  parameter). :func:`text_problem` says what is wrong; ``web.guard.Guard`` applies it to the path,
  the query and every urlencoded or JSON body before any route runs, ``web.http.posted_form`` to
  the parts of a multipart form, and :data:`Text` is the same rule as a route parameter type.
- **Ids** (:data:`Id`, :func:`parse_id`): ASCII digits that fit a signed 64-bit integer
  (``"³".isdigit()`` is true in Python, and SQLite cannot bind 2**63).
- **Dates** (:data:`Day`, :func:`parse_day`): ISO dates from :data:`MIN_DAY` to :data:`MAX_DAY`, a
  range every date computation of the project (periods, digests, recommendation windows) can use.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field

MAX_TEXT = 20_000  # characters of one form field or JSON string (files: MAX_IMPORT_BYTES of their route)
MAX_PARAM = 10_000  # characters of one path or query parameter (a search's q may be this long)
INT64_MAX = 2**63 - 1
MIN_DAY, MAX_DAY = date(1990, 1, 1), date(2100, 12, 31)
_DIGITS = re.compile(r"[0-9]{1,19}")


def text_problem(value: str, limit: int = MAX_TEXT) -> str | None:
    """Why ``value`` cannot be used as text (None when it can)."""
    if len(value) > limit:
        return f"is too long (at most {limit:,} characters)"
    if "\x00" in value:
        return "must not contain NUL characters"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode text (it holds a lone surrogate)"
    return None


def json_problem(value: Any, where: str = "body", limit: int = MAX_TEXT, depth: int = 0) -> str | None:
    """The first string of a parsed JSON value (keys included) that :func:`text_problem` refuses, as
    ``"<where> <problem>"``; None when every string can be used."""
    if depth > 32:
        return f"{where} is nested too deeply"
    if isinstance(value, str):
        problem = text_problem(value, limit)
        return f"{where} {problem}" if problem else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = json_problem(key, f"{where} key", limit, depth + 1) or json_problem(item, f"{where}.{key}"[:80],
                                                                                      limit, depth + 1)  # fmt: skip
            if found:
                return found
    elif isinstance(value, list):
        for item in value:
            found = json_problem(item, where, limit, depth + 1)
            if found:
                return found
    return None


def _text(value: str) -> str:
    problem = text_problem(value, MAX_PARAM)
    if problem:
        raise ValueError(problem)
    return value


def parse_id(text: Any) -> int | None:
    """An id written as ASCII digits that fits int64; None for anything else."""
    if isinstance(text, bool):
        return None
    if isinstance(text, int):
        return text if 0 <= text <= INT64_MAX else None
    if not isinstance(text, str) or not _DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if value <= INT64_MAX else None


def _id(value: Any) -> int:
    found = parse_id(value)
    if found is None:
        raise ValueError(f"must be a whole number from 0 to {INT64_MAX}")
    return found


def check_day(day: date, name: str = "date") -> date:
    if not MIN_DAY <= day <= MAX_DAY:
        raise ValueError(f"{name} must be between {MIN_DAY.isoformat()} and {MAX_DAY.isoformat()}")
    return day


def parse_day(text: str, name: str = "date") -> date:
    """An ISO date (2026-05-01) in MIN_DAY..MAX_DAY; ValueError with a message naming ``name`` otherwise."""
    try:
        day = date.fromisoformat(text.strip()) if isinstance(text, str) and len(text) <= 30 else None
    except ValueError:
        day = None
    if day is None:
        raise ValueError(f"{name} must be a date like 2026-05-01")
    return check_day(day, name)


def _day(value: Any) -> date:
    if isinstance(value, date):
        return check_day(value, "the date")
    return parse_day(value, "the date")


Text = Annotated[str, AfterValidator(_text), Field(max_length=MAX_PARAM)]
"""A path or query text parameter: no NUL, no lone surrogate, at most MAX_PARAM characters."""
Id = Annotated[int, BeforeValidator(_id), Field(ge=0, le=INT64_MAX)]
"""A row id in a path, query or form: ASCII digits fitting int64."""
Day = Annotated[date, BeforeValidator(_day), Field(description=f"an ISO date from {MIN_DAY} to {MAX_DAY}")]
"""An ISO date between MIN_DAY and MAX_DAY."""


FILE_ROUTES = (re.compile(r"/collections/[0-9]+/import"),)  # the routes that take an uploaded file (multipart)


def takes_file(path: str) -> bool:
    """Whether ``path`` is a route that takes an uploaded file (the only ones a multipart body may reach)."""
    return any(rule.fullmatch(path) for rule in FILE_ROUTES)
