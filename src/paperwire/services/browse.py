"""Browsing use cases: an author's, an organisation's and a category's papers (newest first, paged,
with co-authors, organisations and totals), the newest day of a feed period, and a paper's BibTeX
entry. Shared by the web pages and any other front end; each reads on one connection."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time

from paperwire.services.periods import Period
from paperwire.store import Paper, Store
from paperwire.store import queries as q
from paperwire.store.queries import Named, Totals

MAX_LIMIT = 100

# arXiv category names (computer science in full, and the neighbours cs papers are most often
# cross-listed in); shown as a category page's heading.
CATEGORY_NAMES = {
    "cs.AI": "Artificial Intelligence", "cs.AR": "Hardware Architecture", "cs.CC": "Computational Complexity",
    "cs.CE": "Computational Engineering, Finance, and Science", "cs.CG": "Computational Geometry",
    "cs.CL": "Computation and Language", "cs.CR": "Cryptography and Security",
    "cs.CV": "Computer Vision and Pattern Recognition", "cs.CY": "Computers and Society", "cs.DB": "Databases",
    "cs.DC": "Distributed, Parallel, and Cluster Computing", "cs.DL": "Digital Libraries",
    "cs.DM": "Discrete Mathematics", "cs.DS": "Data Structures and Algorithms", "cs.ET": "Emerging Technologies",
    "cs.FL": "Formal Languages and Automata Theory", "cs.GL": "General Literature", "cs.GR": "Graphics",
    "cs.GT": "Computer Science and Game Theory", "cs.HC": "Human-Computer Interaction",
    "cs.IR": "Information Retrieval", "cs.IT": "Information Theory", "cs.LG": "Machine Learning",
    "cs.LO": "Logic in Computer Science", "cs.MA": "Multiagent Systems", "cs.MM": "Multimedia",
    "cs.MS": "Mathematical Software", "cs.NA": "Numerical Analysis", "cs.NE": "Neural and Evolutionary Computing",
    "cs.NI": "Networking and Internet Architecture", "cs.OH": "Other Computer Science",
    "cs.OS": "Operating Systems", "cs.PF": "Performance", "cs.PL": "Programming Languages", "cs.RO": "Robotics",
    "cs.SC": "Symbolic Computation", "cs.SD": "Sound", "cs.SE": "Software Engineering",
    "cs.SI": "Social and Information Networks", "cs.SY": "Systems and Control",
    "eess.AS": "Audio and Speech Processing", "eess.IV": "Image and Video Processing",
    "eess.SP": "Signal Processing", "eess.SY": "Systems and Control", "math.OC": "Optimization and Control",
    "math.NA": "Numerical Analysis", "math.ST": "Statistics Theory", "math.IT": "Information Theory",
    "stat.ML": "Machine Learning (Statistics)", "stat.ME": "Methodology", "stat.AP": "Applications",
    "stat.CO": "Computation", "q-bio.NC": "Neurons and Cognition", "q-bio.QM": "Quantitative Methods",
    "quant-ph": "Quantum Physics", "physics.comp-ph": "Computational Physics", "econ.EM": "Econometrics",
    "q-fin.CP": "Computational Finance", "cond-mat.dis-nn": "Disordered Systems and Neural Networks",
}  # fmt: skip


@dataclass
class Listing:
    """One page of a newest-first list of papers."""

    papers: list[Paper]
    totals: Totals
    page: int  # 0-based
    limit: int

    @property
    def total(self) -> int:
        return self.totals.papers

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.limit))

    @property
    def has_next(self) -> bool:
        return (self.page + 1) * self.limit < self.total


@dataclass
class AuthorPage(Listing):
    key: str = ""
    name: str = ""
    coauthors: list[Named] = field(default_factory=list)
    organizations: list[Named] = field(default_factory=list)


@dataclass
class OrganizationPage(Listing):
    key: str = ""
    name: str = ""
    authors: list[Named] = field(default_factory=list)


@dataclass
class CategoryPage(Listing):
    category: str = ""
    name: str | None = None
    related: list[Named] = field(default_factory=list)


def _bounds(page: int, limit: int) -> tuple[int, int]:
    return max(0, page), max(1, min(limit, MAX_LIMIT))


def author(store: Store, key: str, *, page: int = 0, limit: int = 30) -> AuthorPage | None:
    """An author's papers (newest first), co-authors, organisations and total upvotes; None if unknown.
    ``key`` is the normalised name key (``ada lovelace``)."""
    page, limit = _bounds(page, limit)
    with store.reading():
        found = q.find_author(store, key)
        if found is None:
            return None
        pk, name = found
        totals = q.author_totals(store, pk)
        ids = q.author_paper_ids(store, pk, limit=limit, offset=page * limit)
        coauthors = q.coauthors(store, pk) if page == 0 else []
        orgs = q.author_organizations(store, pk) if page == 0 else []
    return AuthorPage(papers=store.papers_by_ids(ids), totals=totals, page=page, limit=limit, key=key, name=name,
                      coauthors=coauthors, organizations=orgs)  # fmt: skip


def organization(store: Store, key: str, *, page: int = 0, limit: int = 30) -> OrganizationPage | None:
    """An organisation's papers (newest first), its most frequent authors and total upvotes."""
    page, limit = _bounds(page, limit)
    with store.reading():
        found = q.find_organization(store, key.strip().casefold())
        if found is None:
            return None
        pk, name = found
        totals = q.organization_totals(store, pk)
        ids = q.organization_paper_ids(store, pk, limit=limit, offset=page * limit)
        authors = q.organization_authors(store, pk) if page == 0 else []
    return OrganizationPage(papers=store.papers_by_ids(ids), totals=totals, page=page, limit=limit, key=key,
                            name=name, authors=authors)  # fmt: skip


def category(store: Store, category: str, *, page: int = 0, limit: int = 30) -> CategoryPage | None:
    """A category's papers (newest first) and the categories most often listed beside it; None when
    no paper has it."""
    page, limit = _bounds(page, limit)
    category = category.strip()
    with store.reading():
        totals = q.category_totals(store, category)
        if totals.papers == 0:
            return None
        ids = q.category_paper_ids(store, category, limit=limit, offset=page * limit)
        related = q.related_categories(store, category) if page == 0 else []
    return CategoryPage(papers=store.papers_by_ids(ids), totals=totals, page=page, limit=limit, category=category,
                        name=CATEGORY_NAMES.get(category), related=related)  # fmt: skip


@dataclass(frozen=True)
class IndexEntry:
    """One line of the category or organisation index: its key (in its page's URL), the name shown
    and its paper count."""

    key: str
    name: str | None
    count: int


def categories_index(store: Store) -> list[IndexEntry]:
    """Every category of the instance with its arXiv name (when known) and paper count, largest first."""
    return [IndexEntry(c.key, CATEGORY_NAMES.get(c.key), c.count) for c in q.all_categories(store)]


def organizations_index(store: Store) -> list[IndexEntry]:
    """Every organisation with papers here, with its paper count, largest first."""
    return [IndexEntry(o.key, o.name, o.count) for o in q.all_organizations(store)]


def newest_day_in(store: Store, period: Period) -> date | None:
    """The most recent day of ``period`` that has papers (None when it has none)."""
    with store.reading():
        newest = q.newest_published_between(store, datetime.combine(period.start, time.min),
                                            datetime.combine(period.end, time.min))  # fmt: skip
    return newest.date() if newest else None


# -- citation ---------------------------------------------------------------------------------------
_ARXIV_ID = re.compile(r"\d{4}\.\d{4,5}|[a-z][a-z-]*(\.[A-Z]{2})?/\d{7}")
_STOP = {"a", "an", "the", "on", "of", "in", "for", "to", "and", "with", "towards", "toward", "via", "is", "are"}


def is_arxiv_id(paper_id: str) -> bool:
    return _ARXIV_ID.fullmatch(paper_id) is not None


def _ascii_word(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return re.sub(r"[^a-z0-9]", "", text.encode("ascii", "ignore").decode().lower())


def _bib_value(text: str) -> str:
    """Text safe inside a BibTeX ``{...}`` value: balanced braces, LaTeX kept, bare specials escaped."""
    text = re.sub(r"(?<!\\)([&%#])", r"\\\1", " ".join(text.split()))
    depth, out = 0, []
    for ch in text:
        if ch == "{":
            depth += 1
        elif ch == "}":
            if depth == 0:
                continue  # drop an unmatched closing brace
            depth -= 1
        out.append(ch)
    return "".join(out) + "}" * depth


def _bib_name(name: str) -> str:
    parts = name.split()
    if len(parts) < 2 or "," in name:
        return _bib_value(name)
    return _bib_value(f"{parts[-1]}, {' '.join(parts[:-1])}")


def _field(name: str, value: str) -> str:
    if name == "author":
        return value  # escaped name by name
    if name in ("url", "doi", "eprint"):
        return value.replace("{", "").replace("}", "")
    return _bib_value(value)


def citation_key(paper: Paper) -> str:
    last = _ascii_word(paper.authors[0].split()[-1]) if paper.authors and paper.authors[0].split() else ""
    words = [_ascii_word(w) for w in paper.title.split()]
    first_word = next((w for w in words if w and w not in _STOP), "")
    return f"{last or 'anon'}{paper.published.year}{first_word}"


def bibtex(paper: Paper) -> str:
    """A BibTeX entry for ``paper`` (``@misc`` with ``eprint`` for arXiv papers, as arXiv itself gives)."""
    fields: list[tuple[str, str]] = [("title", paper.title)]
    if paper.authors:
        fields.append(("author", " and ".join(_bib_name(a) for a in paper.authors)))
    fields.append(("year", str(paper.published.year)))
    arxiv = is_arxiv_id(paper.id)
    if arxiv:
        fields += [("eprint", paper.id), ("archivePrefix", "arXiv")]
        if paper.primary_category:
            fields.append(("primaryClass", paper.primary_category))
    if paper.journal_ref:
        fields.append(("journal", paper.journal_ref))
    if paper.doi:
        fields.append(("doi", paper.doi))
    url = paper.abs_url or (f"https://arxiv.org/abs/{paper.id}" if arxiv else None)
    if url:
        fields.append(("url", url))
    entry = "article" if paper.journal_ref else "misc"
    body = ",\n".join(f"  {name:<13} = {{{_field(name, value)}}}" for name, value in fields)
    return f"@{entry}{{{citation_key(paper)},\n{body}\n}}"


def change_detector(store: Store) -> q.DataVersion:
    """A callable returning a token that changes whenever committed data may have changed (None when
    the database cannot tell); page caches compare it before serving a stored page."""
    return q.DataVersion(store.engine)
