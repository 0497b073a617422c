"""Map the many spellings of paper fields found in files onto :class:`PaperRecord` fields.

Keys are matched exactly first, then case-insensitively; values are kept raw.  Keys that
map to no field (or to a field already filled by an earlier key) go into ``extra`` under
their original spelling.
"""
from __future__ import annotations

from typing import Any, Mapping

from paperwire.sources.records import PaperRecord

#: lower-case input key -> PaperRecord field name
FIELD_ALIASES: dict[str, str] = {}

_SPELLINGS: dict[str, tuple[str, ...]] = {
    "id": ("id", "arxiv_id", "arxivid", "arxiv-id", "paper_id", "paperid", "eprint"),
    "title": ("title",),
    "summary": ("summary", "abstract"),
    "authors": ("authors", "author"),
    "categories": ("categories", "category", "primaryclass", "primary_class"),
    "published": ("published", "date", "publishedat", "published_at", "publication_date",
                  "publicationdate"),
    "updated": ("updated", "updatedat", "updated_at"),
    "comment": ("comment", "comments", "note"),
    "doi": ("doi",),
    "journal_ref": ("journal_ref", "journal-ref", "journalref", "journal"),
    "abs_url": ("abs", "url", "abs_url", "absurl"),
    "pdf_url": ("pdf", "pdf_url", "pdfurl"),
    "code_url": ("code", "code_url", "codeurl", "github", "githubrepo", "github_repo",
                 "repository"),
    "project_url": ("project", "project_page", "projectpage", "project_url", "projecturl"),
    "upvotes": ("upvotes",),
    "organization": ("organization", "organisation", "org"),
    "submitted_by": ("submittedby", "submitted_by"),
    "num_comments": ("numcomments", "num_comments"),
}
for _field, _keys in _SPELLINGS.items():
    for _key in _keys:
        FIELD_ALIASES[_key] = _field

# Exact-spelling table checked first, so the common camelCase / lower-case keys
# need no str.lower() call on the hot path.
_EXACT: dict[str, str] = dict(FIELD_ALIASES)
_EXACT.update({
    "arxivId": "id", "paperId": "id", "primaryClass": "categories",
    "publishedAt": "published", "updatedAt": "updated", "githubRepo": "code_url",
    "projectPage": "project_url", "submittedBy": "submitted_by", "numComments": "num_comments",
})

_MONTHS = {name: i for i, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}


def field_for_key(key: str) -> str | None:
    """The PaperRecord field an input key maps to, or None (then it belongs in ``extra``)."""
    field = _EXACT.get(key)
    if field is None and type(key) is str:
        field = FIELD_ALIASES.get(key.lower())
    return field


def record_from_mapping(obj: Mapping[str, Any], origin: str, source: str = "file",
                        record_id: Any = None) -> PaperRecord:
    """Build a PaperRecord from one input object, mapping key spellings; values stay raw.

    ``record_id`` (e.g. the key of a dict-keyed JSON file) becomes the id; an id found
    inside the object is then kept in ``extra`` under its own key.
    A ``year`` (+ ``month``) pair fills ``published`` when no date field is present
    (``"2017"`` or ``"2017-06"``); ``year``/``month`` also stay in ``extra``.
    """
    kw: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    exact = _EXACT
    aliases = FIELD_ALIASES
    for key, value in obj.items():
        field = exact.get(key)
        if field is None and type(key) is str:
            field = aliases.get(key.lower())
        if field is None or field in kw:
            extra[key] = value
        else:
            kw[field] = value
    if record_id is not None:
        if "id" in kw:
            inner = kw["id"]
            for key in obj:
                if field_for_key(key) == "id" and obj[key] is inner:
                    extra[key] = inner
                    break
        kw["id"] = record_id
    if "published" not in kw and extra:
        published = _published_from_year_month(extra)
        if published is not None:
            kw["published"] = published
    return PaperRecord(origin, source, extra=extra, **kw)


def _published_from_year_month(extra: Mapping[str, Any]) -> str | None:
    year = month = None
    for key, value in extra.items():
        low = key.lower() if type(key) is str else key
        if low == "year":
            year = value
        elif low == "month":
            month = value
    if year is None or isinstance(year, bool) or str(year).strip() == "":
        return None
    year_text = str(year).strip()
    number = month_number(month)
    return f"{year_text}-{number:02d}" if number else year_text


def month_number(month: Any) -> int | None:
    """1..12 for a month given as a number, digit string or English name/abbreviation."""
    if month is None or isinstance(month, bool):
        return None
    if isinstance(month, int):
        return month if 1 <= month <= 12 else None
    text = str(month).strip().lower().rstrip(".")
    if text.isdigit():
        number = int(text)
        return number if 1 <= number <= 12 else None
    return _MONTHS.get(text[:3]) if len(text) >= 3 else None
