"""Collections: named lists of papers, private or public (a shareable URL), exported to BibTeX and
JSON, filled from a BibTeX file or a list of arXiv ids (matched to stored papers; the rest reported).

Access rule, used by every front end: a private collection exists only for its owner; anyone else
(or nobody logged in) gets ``None``, which front ends answer with a 404 — never a 403 that would
confirm it exists.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from paperwire.keys import arxiv_id
from paperwire.services.errors import AccountError
from paperwire.services.browse import bibtex
from paperwire.store import Paper, Store
from paperwire.store import accounts as db
from paperwire.store.accounts import Collection, User
from paperwire.store.ids import pk_of, pks_of

MAX_COLLECTIONS = 200
READING_LIST = "Reading list"  # every reader's default collection: "Save" on a card adds to it in one click
MAX_ITEMS_IMPORT = 5000
MAX_IMPORT_BYTES = 2_000_000
_ID_TOKEN = re.compile(r"[^\s,;]+")
_DOI_ARXIV = re.compile(r"10\.48550/arxiv\.(.+)", re.I)
logging.getLogger("bibtexparser").setLevel(logging.ERROR)


@dataclass(slots=True)
class ImportReport:
    added: int = 0
    matched: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"added": self.added, "matched": self.matched, "unmatched": self.unmatched}


def _name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise AccountError("give the collection a name", "name")
    if len(name) > 200:
        raise AccountError("a collection name can have at most 200 characters", "name")
    return name


def _description(text: str | None) -> str | None:
    text = (text or "").strip()
    if len(text) > 2000:
        raise AccountError("a description can have at most 2,000 characters", "description")
    return text or None


def create(store: Store, user: User, name: str, description: str | None = None, is_public: bool = False) -> Collection:
    if len(db.user_collections(store, user.pk)) >= MAX_COLLECTIONS:
        raise AccountError(f"at most {MAX_COLLECTIONS} collections per account", "name")
    return db.create_collection(store, user.pk, _name(name), _description(description), bool(is_public))


def find_reading_list(collections: list[Collection]) -> Collection | None:
    """The reader's default collection among their ``collections``: the oldest named "Reading list"."""
    found = [c for c in collections if c.name.casefold() == READING_LIST.casefold()]
    return min(found, key=lambda c: c.pk) if found else None


def reading_list(store: Store, user: User) -> Collection:
    """The reader's "Reading list", made (private) on first use."""
    return find_reading_list(db.user_collections(store, user.pk)) or create(store, user, READING_LIST)


def visible(store: Store, viewer: User | None, pk: int) -> Collection | None:
    """The collection if ``viewer`` may see it (public, or their own)."""
    found = db.get_collection(store, pk)
    if found is None or (not found.is_public and (viewer is None or viewer.pk != found.user_pk)):
        return None
    return found


def shared(store: Store, viewer: User | None, slug: str) -> Collection | None:
    """The collection of a public link (its slug) if ``viewer`` may see it (public, or their own)."""
    found = db.collection_by_slug(store, slug)
    if found is None or (not found.is_public and (viewer is None or viewer.pk != found.user_pk)):
        return None
    return found


def owned(store: Store, user: User | None, pk: int) -> Collection | None:
    """The collection if ``user`` owns it (the only one who may change it)."""
    found = db.get_collection(store, pk)
    return found if found is not None and user is not None and found.user_pk == user.pk else None


def update(store: Store, coll: Collection, name: str, description: str | None, is_public: bool) -> None:
    db.update_collection(store, coll.pk, name=_name(name), description=_description(description), is_public=bool(is_public))


def delete(store: Store, coll: Collection) -> None:
    db.delete_collection(store, coll.pk)


def add_paper(store: Store, coll: Collection, paper_id: str) -> bool:
    pk = pk_of(store, paper_id)
    if pk is None:
        raise LookupError(paper_id)
    return db.add_items(store, coll.pk, [pk]) > 0


def remove_paper(store: Store, coll: Collection, paper_id: str) -> None:
    pk = pk_of(store, paper_id)
    if pk is None:
        raise LookupError(paper_id)
    db.remove_item(store, coll.pk, pk)


def papers(store: Store, coll: Collection) -> list[Paper]:
    return store.papers_by_ids(db.collection_paper_ids(store, coll.pk))


def export_bibtex(store: Store, coll: Collection) -> str:
    return "\n\n".join(bibtex(p) for p in papers(store, coll)) + "\n"


def export_json(store: Store, coll: Collection) -> dict:
    return {
        "name": coll.name,
        "description": coll.description,
        "public": coll.is_public,
        "papers": [
            {"id": p.id, "title": p.title, "authors": list(p.authors), "published": p.published.date().isoformat(),
             "categories": list(p.categories), "url": p.abs_url or (f"https://arxiv.org/abs/{p.id}")}
            for p in papers(store, coll)
        ],
    }  # fmt: skip


MAX_BIB_ENTRIES = MAX_ITEMS_IMPORT + 1000  # "@" signs in a BibTeX text (entries, @string, @comment, stray ones)
MAX_BIB_FIELDS = 50_000  # "=" signs: fields of all entries together
MAX_BIB_BRACES = 200_000  # "{" signs: every entry and every braced value opens one


def _check_bibtex_shape(text: str) -> None:
    """Refuse, before parsing, a BibTeX text whose shape would make the parser slow: its time grows with
    the number of blocks and fields (``'@a{' * 660000``, 2 MB, took 14 s). With these caps a 2 MB text
    parses in well under a second."""
    if text.count("@") > MAX_BIB_ENTRIES:
        raise AccountError(f"too many BibTeX entries (at most {MAX_ITEMS_IMPORT:,} are imported)", "file")
    if text.count("=") > MAX_BIB_FIELDS:
        raise AccountError(f"too many BibTeX fields (at most {MAX_BIB_FIELDS:,})", "file")
    if text.count("{") > MAX_BIB_BRACES:
        raise AccountError(f"too many braces for a BibTeX file (at most {MAX_BIB_BRACES:,})", "file")


def _refs_from_bibtex(text: str) -> list[str]:
    import bibtexparser

    _check_bibtex_shape(text)

    refs = []
    for entry in bibtexparser.parse_string(text).entries:
        fields = {k.lower(): str(v.value) for k, v in entry.fields_dict.items()}
        candidates = [fields.get("eprint"), fields.get("url"), fields.get("arxiv")]
        doi = _DOI_ARXIV.fullmatch((fields.get("doi") or "").strip())
        if doi:
            candidates.append(doi.group(1))
        found = next((arxiv_id(c) for c in candidates if c and arxiv_id(c)), None)
        refs.append(found or entry.key)
    return refs


def parse_refs(text: str) -> list[str]:
    """arXiv ids (or, for entries without one, the BibTeX key / token as given) from a BibTeX file or a
    list of ids and arXiv URLs separated by spaces, commas or new lines."""
    if "@" in text and "{" in text:
        return _refs_from_bibtex(text)
    out = []
    for token in _ID_TOKEN.findall(text):
        out.append(arxiv_id(token) or token)
    return out


def import_refs(store: Store, coll: Collection, text: str) -> ImportReport:
    if len(text.encode("utf-8", "replace")) > MAX_IMPORT_BYTES:
        raise AccountError("the file is too large (at most 2 MB)", "file")
    refs = list(dict.fromkeys(parse_refs(text)))[:MAX_ITEMS_IMPORT]
    if not refs:
        raise AccountError("no arXiv ids or BibTeX entries found", "file")
    known = pks_of(store, refs)
    report = ImportReport(matched=[r for r in refs if r in known], unmatched=[r[:200] for r in refs if r not in known])
    report.added = db.add_items(store, coll.pk, [known[r] for r in report.matched])
    return report
