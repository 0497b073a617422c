"""Parsing a search box's text into a structured query (pure; no I/O).

Free text becomes plain words, ``"quoted phrases"`` and prefixes (``diffus*``); ``name:value`` pairs
become filters: ``author:`` (a name; quote it for several words: ``author:"ada lovelace"``),
``category:`` (``cs.CL``), ``org:`` (an organisation handle), ``after:`` / ``before:`` (dates,
``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; ``after`` is inclusive, ``before`` exclusive). Any other
``word:`` is kept as text, so nothing a user types is query syntax to the database: the store turns
every term into a quoted FTS term (``store.search_queries.fts5_query``), which also neutralises
``AND``/``OR``/``NEAR``, ``-``, ``(`` and ``*`` anywhere but a word's end. ``-word`` and
``-"a phrase"`` exclude papers containing them (``Filters.exclude``).

:func:`paper_refs` finds what identifies one paper in the text: arXiv ids (``2404.03592``,
``hep-th/9901001``, with or without a version), arXiv abs/pdf/html links, DOIs (``10.1145/...``,
``doi.org`` links; arXiv's own ``10.48550/arXiv.ID`` become the arXiv id) and Hugging Face paper
links (``huggingface.co/papers/ID``).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from paperwire.keys import arxiv_id
from paperwire.keys import name_key

MAX_QUERY = 1000  # characters of a query that are read
MAX_TERMS = 32  # words, phrases and prefixes kept
MAX_PHRASE_WORDS = 8
MIN_PREFIX = 2  # shortest prefix (``a*`` would match half the corpus)
FILTERS = ("author", "category", "org", "after", "before")
ALIASES = {"cat": "category", "organization": "org", "organisation": "org", "since": "after", "until": "before",
           "from": "after", "to": "before"}  # fmt: skip

# English words too common to help an OR-ed keyword query (dropping them was 2-3x faster at equal
# quality); kept when a query has nothing else.
STOP_WORDS = frozenset(
    "a an and are as at be but by for from has have in into is it its of on or that the their there these "
    "this to was we were which will with our can not no than then they such".split()
)

_WORD = re.compile(r"\w+", re.UNICODE)
# a filter (name:"quoted value" or name:value), a quoted phrase, or a bare token
_TOKEN = re.compile(r'(?P<name>\w+):(?:"(?P<qvalue>[^"]*)"?|(?P<value>\S+))|(?P<neg>-)?"(?P<phrase>[^"]*)"?|(?P<bare>\S+)',
                    re.UNICODE)  # fmt: skip
_CATEGORY = re.compile(r"^[a-z\-]+(\.[a-z\-]+)?$", re.IGNORECASE)


class QueryError(ValueError):
    """A filter value that cannot be used; ``param`` names the filter."""

    def __init__(self, param: str, message: str):
        super().__init__(message)
        self.param = param


@dataclass(frozen=True, slots=True)
class Filters:
    """Restrictions on the papers a search returns; empty means none."""

    authors: tuple[str, ...] = ()  # normalised author names (full, or a surname); a paper must have every one
    categories: tuple[str, ...] = ()  # a paper must be listed in one of them
    orgs: tuple[str, ...] = ()  # organisation handles (lower case); one of them
    after: datetime | None = None  # published >= after
    before: datetime | None = None  # published < before
    exclude: tuple[str, ...] = ()  # words or phrases (words joined by spaces) a paper must not contain

    def __bool__(self) -> bool:
        return bool(self.authors or self.categories or self.orgs or self.after or self.before or self.exclude)

    def merged(self, other: "Filters") -> "Filters":
        """Both sets of restrictions (API parameters added to filters typed in the query)."""
        return Filters(
            authors=_unique(self.authors + other.authors),
            categories=_unique(self.categories + other.categories),
            orgs=_unique(self.orgs + other.orgs),
            after=max((d for d in (self.after, other.after) if d), default=None),
            before=min((d for d in (self.before, other.before) if d), default=None),
            exclude=_unique(self.exclude + other.exclude),
        )

    def as_dict(self) -> dict:
        return {
            "authors": list(self.authors), "categories": list(self.categories), "orgs": list(self.orgs),
            "after": self.after.date().isoformat() if self.after else None,
            "before": self.before.date().isoformat() if self.before else None,
            "exclude": list(self.exclude),
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query: ``words`` (plain terms), ``phrases`` (tuples of words), ``prefixes`` and filters."""

    text: str = ""
    words: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()
    prefixes: tuple[str, ...] = ()
    filters: Filters = field(default_factory=Filters)
    ignored: tuple[str, ...] = ()  # what was dropped, for messages (e.g. an over-long query)
    free_text: str = ""  # the text without filters, as typed (what an embedding model reads)

    @property
    def has_text(self) -> bool:
        return bool(self.words or self.phrases or self.prefixes)

    @property
    def semantic_text(self) -> str:
        """The text for an embedding model: as typed, without filters."""
        if self.free_text.strip():
            return self.free_text.strip()
        parts = list(self.words) + [" ".join(p) for p in self.phrases] + list(self.prefixes)
        return " ".join(parts)

    def ranked_words(self) -> tuple[str, ...]:
        """Words for an OR-ed ranking query: stop words dropped unless nothing else is left."""
        kept = tuple(w for w in self.words if w not in STOP_WORDS)
        return kept if kept or self.phrases or self.prefixes else self.words

    def highlight_terms(self) -> list[str]:
        return list(self.words) + [w for p in self.phrases for w in p] + list(self.prefixes)

    def with_filters(self, filters: Filters) -> "Query":
        return replace(self, filters=self.filters.merged(filters))


def _unique(items: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _clean(text: str) -> str:
    """Printable text only (PostgreSQL refuses NUL; control characters are never meant)."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch if ch.isprintable() else " " for ch in text)


def words_of(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def parse_date(value: str, param: str) -> datetime:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` as the first instant of that period."""
    text = value.strip()
    try:
        if re.fullmatch(r"\d{4}", text):
            return datetime(int(text), 1, 1)
        if re.fullmatch(r"\d{4}-\d{1,2}", text):
            year, month = text.split("-")
            return datetime(int(year), int(month), 1)
        return datetime.combine(date.fromisoformat(text), datetime.min.time())
    except ValueError:
        raise QueryError(param, f"invalid {param} date {value[:30]!r}: use YYYY-MM-DD, YYYY-MM or YYYY") from None


def author_key(name: str) -> str:
    """The normalised key authors are stored under (as ingest computes it)."""
    return name_key(name)


def exclusion(text: str) -> str:
    """What ``-text`` excludes: its words joined by spaces (a phrase when several); "" when none."""
    return " ".join(words_of(_clean(text))[:MAX_PHRASE_WORDS])


def make_filters(*, authors=(), categories=(), orgs=(), after: str | None = None, before: str | None = None,
                 exclude=()) -> Filters:  # fmt: skip
    """Filters from separate values (API parameters, CLI options); raises :class:`QueryError`."""
    author_keys = []
    for name in authors:
        key = author_key(_clean(name))
        if not key:
            raise QueryError("author", f"invalid author {name[:40]!r}: give a name")
        author_keys.append(key)
    cats = []
    for value in categories:
        value = _clean(value).strip()
        if not _CATEGORY.match(value) or len(value) > 50:
            raise QueryError("category", f"invalid category {value[:40]!r}: e.g. cs.CL")
        cats.append(value)
    org_keys = []
    for value in orgs:
        value = _clean(value).strip().casefold().replace(" ", "-")
        if not value or len(value) > 200:
            raise QueryError("org", f"invalid org {value[:40]!r}: give an organisation handle")
        org_keys.append(value)
    start = parse_date(after, "after") if after else None
    end = parse_date(before, "before") if before else None
    excluded = [x for x in (exclusion(v) for v in exclude) if x]
    return Filters(tuple(author_keys), tuple(cats), tuple(org_keys), start, end, _unique(tuple(excluded)))


def _one_filter(key: str, value: str) -> Filters:
    if key == "author":
        return make_filters(authors=[value])
    if key == "category":
        return make_filters(categories=[value])
    if key == "org":
        return make_filters(orgs=[value])
    return make_filters(**{key: value})


def parse(text: str, *, strict: bool = False) -> Query:
    """Parse a search box's text. A filter with an unusable value raises :class:`QueryError` when
    ``strict``; otherwise it is kept as plain words (a search box never fails)."""
    raw = text or ""
    ignored: list[str] = []
    if len(raw) > MAX_QUERY:
        ignored.append(f"text after {MAX_QUERY} characters")
        raw = raw[:MAX_QUERY]
    raw = _clean(raw)
    words: list[str] = []
    phrases: list[tuple[str, ...]] = []
    prefixes: list[str] = []
    f = {"authors": [], "categories": [], "orgs": [], "after": None, "before": None}
    excluded: list[str] = []
    free: list[str] = []

    for m in _TOKEN.finditer(raw):
        name = m.group("name")
        if name is not None:
            key = ALIASES.get(name.casefold(), name.casefold())
            value = m.group("qvalue") if m.group("qvalue") is not None else m.group("value")
            if key in FILTERS and value.strip():
                try:
                    one = _one_filter(key, value)
                except QueryError:
                    if strict:
                        raise
                    words.extend(words_of(f"{name} {value}"))
                    free.append(m.group(0))
                    continue
                f["authors"] += one.authors
                f["categories"] += one.categories
                f["orgs"] += one.orgs
                f["after"] = one.after or f["after"]
                f["before"] = one.before or f["before"]
                continue
            words.extend(words_of(m.group(0)))  # an unknown `word:` is text
            free.append(m.group(0))
            continue
        phrase = m.group("phrase")
        token = m.group("bare")
        if m.group("neg") or (token and len(token) > 1 and token[0] == "-" and token[1].isalpha()):  # not "-2"
            gone = exclusion(phrase if phrase is not None else token[1:])
            if gone:
                excluded.append(gone)
            continue
        free.append(m.group(0))
        if phrase is not None:
            pieces = words_of(phrase)[:MAX_PHRASE_WORDS]
            if len(pieces) > 1:
                phrases.append(tuple(pieces))
            else:
                words.extend(pieces)
            continue
        pieces = words_of(token)
        if token.endswith("*") and pieces and len(pieces[-1]) >= MIN_PREFIX and token.rstrip("*")[-1:].isalnum():
            words.extend(pieces[:-1])
            prefixes.append(pieces[-1])
        else:
            words.extend(pieces)

    words = list(dict.fromkeys(words))
    phrases = list(dict.fromkeys(phrases))
    prefixes = list(dict.fromkeys(prefixes))
    total = len(words) + len(phrases) + len(prefixes)
    if total > MAX_TERMS:
        ignored.append(f"terms after the first {MAX_TERMS}")
        phrases = phrases[:MAX_TERMS]
        prefixes = prefixes[: max(0, MAX_TERMS - len(phrases))]
        words = words[: max(0, MAX_TERMS - len(phrases) - len(prefixes))]
    filters = Filters(_unique(tuple(f["authors"])), _unique(tuple(f["categories"])), _unique(tuple(f["orgs"])),
                      f["after"], f["before"], _unique(tuple(excluded)))  # fmt: skip
    return Query(text=text or "", words=tuple(words), phrases=tuple(phrases), prefixes=tuple(prefixes),
                 filters=filters, ignored=tuple(ignored), free_text=" ".join(free))  # fmt: skip


# -- what identifies one paper ----------------------------------------------------------------------
_ARXIV_LINK = re.compile(r"(?:https?://)?(?:export\.|www\.)?arxiv\.org/(?:abs|pdf|html)/([^\s?#]+)", re.IGNORECASE)
_HF_LINK = re.compile(r"(?:https?://)?(?:www\.)?huggingface\.co/papers/([^\s?#/]+)", re.IGNORECASE)
_DOI = re.compile(r"(?:https?://(?:dx\.)?doi\.org/|doi:\s*)?(10\.\d{4,9}/[^\s\"<>]+)", re.IGNORECASE)
_ARXIV_DOI = re.compile(r"10\.48550/arxiv\.(.+)", re.IGNORECASE)
_ID_TOKEN = re.compile(r"(?:arxiv:)?([a-z][a-z\-]*(?:\.[a-z]{2})?/\d{7}|\d{4}\.\d{4,5})(?:v\d+)?", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class PaperRef:
    """Something in a query that names one paper: ``kind`` "id" (a paper id) or "doi" (lower case)."""

    kind: str
    value: str


def _arxiv(text: str) -> str | None:
    text = text.rstrip("/.,;")
    if text.lower().endswith(".pdf"):
        text = text[:-4]
    return arxiv_id(text) or (arxiv_id(text[:-1]) if text[-1:] == "/" else None)


def paper_refs(text: str, limit: int = 5) -> list[PaperRef]:
    """The paper ids and DOIs in ``text``, in order (at most ``limit``): arXiv ids and links, DOIs and
    doi.org links, Hugging Face paper links (their id is the arXiv id)."""
    refs: list[PaperRef] = []
    for token in (text or "")[:MAX_QUERY].split():
        token = token.strip("<>()[]'\",;")
        found: PaperRef | None = None
        if m := _ARXIV_LINK.search(token):
            pid = _arxiv(m.group(1))
            found = PaperRef("id", pid) if pid else None
        elif m := _HF_LINK.search(token):
            pid = _arxiv(m.group(1)) or m.group(1)
            found = PaperRef("id", pid)
        elif m := _DOI.fullmatch(token):
            doi = m.group(1).rstrip(".,;")
            arx = _ARXIV_DOI.fullmatch(doi)
            pid = _arxiv(arx.group(1)) if arx else None
            found = PaperRef("id", pid) if pid else PaperRef("doi", doi.casefold())
        elif m := _ID_TOKEN.fullmatch(token):
            pid = _arxiv(m.group(0).split(":", 1)[-1])
            found = PaperRef("id", pid) if pid else None
        if found is not None and found not in refs:
            refs.append(found)
            if len(refs) >= limit:
                break
    return refs
