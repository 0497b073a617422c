"""Normalise and validate one raw record into a :class:`Paper` (pure: no I/O).

Rules: arXiv ids lose their version and URL/``arXiv:`` wrapping; text has its whitespace collapsed
(LaTeX is kept as text, never interpreted); dates become naive UTC datetimes; authors may come as a
list of names, a list of ``{name}`` objects or one "A, B and C" string. A record that breaks a rule
becomes a :class:`RecordProblem` naming its origin and field.
"""
from __future__ import annotations

import email.utils
import hashlib
import re
from datetime import date, datetime, timezone
from typing import Any

from paperwire.ingest import links, listing
from paperwire.keys import arxiv_id, name_key, text_key
from paperwire.sources.records import PaperRecord, RecordProblem
from paperwire.store import schema as t
from paperwire.store.models import Organization, Paper

# Limits: text columns are unbounded; the others come from the column sizes, which PostgreSQL enforces.
TITLE_MAX = 1_000
SUMMARY_MAX = 50_000  # arXiv caps abstracts at 1,920 characters; other sources run longer
TEXT_MAX = 5_000  # comment, journal ref
NAME_MAX = 1_000  # author names (real arXiv metadata has a few run-together author lists)
AUTHORS_MAX = 5_000
ID_MAX = t.papers.c.id.type.length
DOI_MAX = t.papers.c.doi.type.length
URL_MAX = t.papers.c.abs_url.type.length
CATEGORY_MAX = t.paper_categories.c.category.type.length
ORG_KEY_MAX = t.organizations.c.key.type.length
ORG_NAME_MAX = t.organizations.c.name.type.length
SUBMITTER_MAX = t.papers.c.submitted_by.type.length
KEY_MAX = t.authors.c.key.type.length  # normalised names
TITLE_KEY_MAX = t.papers.c.title_key.type.length
COUNT_MAX = 2**31 - 1  # INTEGER columns

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_AUTHOR_SPLIT = re.compile(r"\s*(?:;|,|\band\b|&)\s*")
_CATEGORY = re.compile(r"[A-Za-z][A-Za-z\-]*(?:\.[A-Za-z][A-Za-z\-]*)?")
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)", re.IGNORECASE)


class Invalid(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def clean_text(value: Any, field: str, limit: int, *, required: bool = False) -> str | None:
    """Whitespace collapsed, control characters removed; None for empty (or an error if required)."""
    if value is None:
        if required:
            raise Invalid(field, "is missing")
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise Invalid(field, f"must be text, got {type(value).__name__}")
    text = " ".join((value if value.isprintable() else _CONTROL.sub("", value)).split())
    if not text:
        if required:
            raise Invalid(field, "is empty")
        return None
    if len(text) > limit:
        raise Invalid(field, f"is {len(text):,} characters long; the limit is {limit:,}")
    return text


def parse_datetime(value: Any, field: str) -> datetime | None:
    """A naive UTC datetime from ISO 8601 (date, datetime, ``Z`` or offset), ``YYYY-MM``, ``YYYY``,
    RFC 2822, or date/datetime objects."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 4 and text.isdigit():
                parsed = datetime(int(text), 1, 1)
            elif len(text) == 7 and text[4] == "-":
                parsed = datetime(int(text[:4]), int(text[5:]), 1)
            else:
                parsed = datetime.fromisoformat(text)
        except ValueError:
            parsed = _parse_loose_date(text)
            if parsed is None:
                raise Invalid(field, f"unrecognised date {text[:40]!r} (expected YYYY-MM-DD or ISO 8601)") from None
    else:
        raise Invalid(field, f"must be a date, got {type(value).__name__}")
    if not 1900 <= parsed.year <= 2200:
        raise Invalid(field, f"date {parsed.date().isoformat()} is out of range")
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    if not 1900 <= parsed.year <= 2200:
        raise Invalid(field, f"date {parsed.date().isoformat()} is out of range")
    return parsed


_LOOSE_FORMATS = ("%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y", "%b %d %Y", "%B %d %Y", "%Y/%m/%d", "%b %Y", "%B %Y")


def _parse_loose_date(text: str) -> datetime | None:
    """RFC 2822 (``Mon, 02 Mar 2026 10:00:00 GMT``) and written dates (``2 Jan 2024``, ``March 3, 2026``)."""
    try:
        return email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        pass
    for fmt in _LOOSE_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def _text_key(text: str) -> str:
    return text_key(text, KEY_MAX)


def parse_authors(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        items: list[Any] = _AUTHOR_SPLIT.split(value)
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        raise Invalid("authors", f"must be a list or a string, got {type(value).__name__}")
    if len(items) > AUTHORS_MAX:
        raise Invalid("authors", f"has {len(items):,} entries; the limit is {AUTHORS_MAX:,}")
    names = []
    for position, item in enumerate(items):
        if isinstance(item, dict):
            item = item.get("name") or item.get("fullname")
        name = clean_text(item, f"authors[{position}]", NAME_MAX)
        if name and name.casefold() not in ("et al", "et al.", "others"):
            names.append(name)
    return names


def parse_categories(value: Any) -> list[str]:
    """arXiv-style categories (``cs.CL``, ``physics.data-an``, ``q-bio``), primary first. Other
    classification codes that arXiv lists beside them (MSC ``68T05``, ACM ``I.2.7``) are dropped."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise Invalid("categories", f"must be a list or a string, got {type(value).__name__}")
    out: list[str] = []
    for item in value:
        if not isinstance(item, str):
            raise Invalid("categories", f"must hold text, got {type(item).__name__}")
        for token in item.replace(",", " ").replace(";", " ").split():
            if len(token) > CATEGORY_MAX:
                raise Invalid("categories", f"{token[:40]!r}… is longer than {CATEGORY_MAX} characters")
            if _CATEGORY.fullmatch(token) and token not in out:
                out.append(token)
    return out


def parse_count(value: Any, field: str) -> int:
    if value is None or value == "":
        return 0
    try:
        count = int(value)
    except (TypeError, ValueError):
        raise Invalid(field, f"must be a whole number, got {str(value)[:40]!r}") from None
    if isinstance(value, float) and not value.is_integer() or not 0 <= count <= COUNT_MAX:
        raise Invalid(field, f"must be a whole number from 0 to {COUNT_MAX:,}, got {str(value)[:40]}")
    return count


def parse_url(value: Any, field: str) -> str | None:
    url = clean_text(value, field, URL_MAX)
    if url is None:
        return None
    if not url.lower().startswith(("http://", "https://")):
        raise Invalid(field, f"is not an http(s) URL: {url[:60]!r}")
    return url


def parse_organization(value: Any) -> Organization | None:
    if isinstance(value, dict):
        handle = clean_text(value.get("name"), "organization.name", ORG_KEY_MAX)
        display = clean_text(value.get("fullname"), "organization.fullname", ORG_NAME_MAX) or handle
    else:
        display = clean_text(value, "organization", ORG_KEY_MAX)
        handle = display
    if not handle:
        return None
    return Organization(key=handle.casefold().replace(" ", "-"), name=display or handle)


def parse_submitter(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("name") or value.get("user") or value.get("fullname")
    return clean_text(value, "submitted_by", SUBMITTER_MAX)


def title_key(title: str, authors: list[str] | tuple[str, ...]) -> str:
    """Dedupe key for records without an id: normalised title + first author."""
    first = name_key(authors[0]) if authors else ""
    return f"{_text_key(title)[: TITLE_KEY_MAX - 1 - len(first)]}|{first}"


DERIVED_PREFIX = "pw-"


def derived_id(key: str) -> str:
    """A stable id for a paper that has none: from its normalised title and first author."""
    return DERIVED_PREFIX + hashlib.sha1(key.encode()).hexdigest()[:16]


def is_derived_id(paper_id: str) -> bool:
    return paper_id.startswith(DERIVED_PREFIX) and len(paper_id) == len(DERIVED_PREFIX) + 16


def paper_id(raw: Any) -> str | None:
    """The paper id: an arXiv id without version, or the given id as it is (validated)."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, int):
        raw = str(raw)
    if not isinstance(raw, str):
        raise Invalid("id", f"must be text, got {type(raw).__name__}")
    found = arxiv_id(raw)
    if found and len(found) <= ID_MAX:
        return found
    text = raw.strip()
    if not text or len(text) > ID_MAX or any(ch.isspace() or ord(ch) < 32 for ch in text) or "?" in text or "#" in text:
        raise Invalid("id", f"{text[:40]!r} is not a usable id (1–{ID_MAX} characters, no spaces, '?' or '#')")
    return text


def normalize(record: PaperRecord) -> Paper | RecordProblem:
    """Validate and normalise ``record``; a :class:`RecordProblem` says which field is wrong and why."""
    try:
        return _normalize(record)
    except Invalid as err:
        return RecordProblem(record.origin, err.field, str(err))


def _normalize(r: PaperRecord) -> Paper:
    pid = paper_id(r.id)
    title = clean_text(r.title, "title", TITLE_MAX, required=True)
    summary = clean_text(r.summary, "summary", SUMMARY_MAX) or ""
    authors = parse_authors(r.authors)
    published = parse_datetime(r.published, "published")
    if published is None:
        raise Invalid("published", "is missing (give published, date or publishedAt)")
    is_arxiv = pid is not None and arxiv_id(pid) == pid
    doi = clean_text(r.doi, "doi", DOI_MAX)
    key = title_key(title, authors)
    updated = parse_datetime(r.updated, "updated")
    categories = parse_categories(r.categories)
    return Paper(
        id=pid or "",  # resolved by ingest (existing paper with the same title key, or derived)
        title=title,
        summary=summary,
        published=published,
        updated=updated,
        authors=tuple(authors),
        author_keys=tuple(name_key(a) for a in authors),
        categories=tuple(categories),
        comment=clean_text(r.comment, "comment", TEXT_MAX),
        doi=_DOI_PREFIX.sub("", doi) if doi else None,
        journal_ref=clean_text(r.journal_ref, "journal_ref", TEXT_MAX),
        abs_url=parse_url(r.abs_url, "abs_url") or (f"https://arxiv.org/abs/{pid}" if is_arxiv else None),
        pdf_url=parse_url(r.pdf_url, "pdf_url") or (f"https://arxiv.org/pdf/{pid}" if is_arxiv else None),
        code_url=parse_url(r.code_url, "code_url") or _code_link(summary, r.comment),
        project_url=parse_url(r.project_url, "project_url"),
        source=r.source,
        upvotes=parse_count(r.upvotes, "upvotes"),
        num_comments=parse_count(r.num_comments, "num_comments"),
        organization=parse_organization(r.organization),
        submitted_by=parse_submitter(r.submitted_by),
        title_key=key,
        origin=r.origin,
        **_daily_fields(r, published, updated, categories),
    )


def _code_link(summary: str, comment) -> str | None:
    """A repository link found in the abstract or comment, if it fits the column."""
    found = links.code_link(summary, comment if isinstance(comment, str) else None)
    return found if found and len(found) <= URL_MAX else None


KEYWORDS_MAX = 30
KEYWORD_MAX = 100


def _daily_fields(r: PaperRecord, published: datetime, updated: datetime | None,
                  categories: list[str]) -> dict[str, Any]:  # fmt: skip
    """The listing day and kind, and the fields Hugging Face adds (see :mod:`paperwire.ingest.listing`)."""
    extra = r.extra
    out: dict[str, Any] = {}
    stamp = parse_datetime(extra.get("datestamp"), "datestamp")
    if stamp is not None:
        out["announced_on"] = listing.listing_day_of_datestamp(stamp.date())
        out["listing"] = listing.kind(categories[0] if categories else None,
                                      replaced=listing.is_replacement(published, updated, stamp.date()),
                                      set_spec=extra.get("listed_in"), categories=extra.get("listed_for") or ())  # fmt: skip
    hf_day = parse_datetime(extra.get("hf_day"), "hf_day") or parse_datetime(extra.get("submitted_on_daily_at"),
                                                                               "submittedOnDailyAt")  # fmt: skip
    if hf_day is not None:
        out["hf_day"] = hf_day.date()
    out["ai_summary"] = clean_text(extra.get("ai_summary"), "ai_summary", TEXT_MAX)
    keywords = extra.get("ai_keywords")
    if isinstance(keywords, list):
        out["ai_keywords"] = tuple(dict.fromkeys(
            word for k in keywords[:KEYWORDS_MAX] if (word := clean_text(k, "ai_keywords", KEYWORD_MAX))))  # fmt: skip
    if extra.get("github_stars") is not None:
        out["github_stars"] = parse_count(extra["github_stars"], "githubStars")
    try:  # a thumbnail is decoration: a bad one is dropped, not the paper
        out["thumbnail"] = parse_url(extra.get("thumbnail"), "thumbnail")
    except Invalid:
        pass
    return out
