"""Search and related-papers use cases, shared by the web pages, both APIs and the CLI.

``search`` parses the query (words, "phrases", prefixes*, ``author:`` ``category:`` ``org:``
``after:`` ``before:`` filters; see :mod:`paperwire.rank.query`), runs keyword search in the
database (BM25 / ts_rank_cd, title weighted above abstract) and, when the papers have embeddings,
vector search with the query's embedding, and fuses both (:data:`paperwire.rank.fusion.DEFAULT`,
chosen on SciFact's train queries). Without embeddings (or with ``mode="keyword"``) it is keyword
search alone; a query of filters only lists the matching papers newest first.

It also reads the query as a person means it (:func:`understand`): a paper's id, arXiv/Hugging Face
link or DOI finds that paper first; free text that is an author's name (``Christopher D. Manning``,
``Manning, Christopher``, ``C. D. Manning``) is recognised against the corpus's names
(:mod:`paperwire.index.lexicon`) and, when the query is just that name, their papers come first;
``-word`` / ``-"phrase"`` exclude. A query whose words match no paper and whose closest paper by
meaning is weak (cosine below WEAK_SIMILARITY, chosen on data by benchmarks/search_threshold.py)
returns nothing rather than noise, and misspelt words get a suggestion from the corpus's vocabulary.

``similar`` / ``similar_to_many`` rank papers by cosine similarity to a paper's embedding (or the
mean of several); papers not embedded yet fall back to keyword search over their titles.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from paperwire.context import Paperwire
from paperwire.index.embedder import Embedder
from paperwire.index.vectors import VectorIndex
from paperwire.rank import fusion
from paperwire.index.lexicon import MAX_NAME_WORDS, Lexicon, signatures
from paperwire.keys import name_key
from paperwire.rank.query import Filters, Query, QueryError, paper_refs, parse, words_of
from paperwire.store import Paper, Store
from paperwire.store.queries import data_version
from paperwire.store import search_queries as sq
from paperwire.store.ids import ids_of, pks_of

log = logging.getLogger(__name__)

MAX_QUERY = 500  # characters kept from a query (the search page's box)
CANDIDATES = 100  # results taken from each of keyword and vector search before fusing
MAX_DEPTH = 1000  # deepest result a search can page to
MIN_SIMILARITY = 0.2  # vector-only results less similar than this are noise (MiniLM cosine)
# a query whose words match nothing returns nothing when its closest paper is less similar than this
# (MiniLM cosine); chosen by benchmarks/search_threshold.py on SciFact train queries and made-up words
WEAK_SIMILARITY = 0.35
MAX_AUTHORS = 5  # recognised authors reported
Mode = Literal["auto", "hybrid", "keyword", "semantic"]
Sort = Literal["relevance", "newest", "upvotes"]
SORTS: tuple[str, ...] = ("relevance", "newest", "upvotes")

__all__ = ["MAX_QUERY", "AuthorMatch", "Filters", "QueryError", "Related", "SearchResult", "search", "similar",
           "similar_to_many", "terms"]  # fmt: skip


@dataclass(frozen=True)
class AuthorMatch:
    """An author whose name the query contains."""

    key: str  # the normalised name (the author page's key)
    name: str  # as written
    papers: int


@dataclass
class Understood:
    """What a query names besides its words: papers (by id, link or DOI) and authors."""

    paper_pks: list[int] = field(default_factory=list)
    only_refs: bool = False  # the text is nothing but ids/links
    authors: list[AuthorMatch] = field(default_factory=list)
    author_pks: list[int] = field(default_factory=list)
    only_name: bool = False  # the text is nothing but one recognised name
    suggestion: str | None = None  # the text with misspelt words corrected


@dataclass
class SearchResult:
    query: str
    papers: list[Paper]
    total: int  # results available to page through (keyword matches, or the fused list, capped)
    mode: str = "keyword"  # what ran: keyword, hybrid, semantic, filters, none
    parsed: Query = field(default_factory=Query)
    # per paper id: the abstract extract where the query matched, as (text, is_match) segments
    snippets: dict[str, list[tuple[str, bool]]] = field(default_factory=dict)
    scores: dict[str, float] = field(default_factory=dict)
    offset: int = 0
    authors: list[AuthorMatch] = field(default_factory=list)  # recognised author names
    suggestion: str | None = None  # "did you mean": the query with misspelt words corrected
    weak: bool = False  # nothing matched the words and nothing was close in meaning: no results
    sort: str = "relevance"


@dataclass
class Related:
    papers: list[Paper]
    scores: dict[str, float]
    method: str  # "vector" (embeddings) or "keyword" (fallback: papers not embedded yet)


def terms(query: str) -> list[str]:
    """Plain words of a free-text query (for the search page's hints)."""
    return list(parse(query[:MAX_QUERY]).highlight_terms())


# -- search -----------------------------------------------------------------------------------------
def search(pw: Paperwire, query: str, *, limit: int = 20, offset: int = 0, filters: Filters | None = None,
           mode: Mode = "auto", strict: bool = False, sort: Sort = "relevance", understand_query: bool = True,
           with_snippets: bool = True, fuse: fusion.Fusion = fusion.DEFAULT) -> SearchResult:  # fmt: skip
    """Papers for ``query`` (best first, or newest / most upvoted first with ``sort``), ``limit`` from
    ``offset``. With ``strict`` a bad filter value in the text raises :class:`QueryError` (the API's
    400); otherwise it is searched as words. ``understand_query=False`` skips ids, names and spelling."""
    store = pw.store
    limit = max(0, min(limit, MAX_DEPTH))
    offset = max(0, min(offset, MAX_DEPTH))
    parsed = parse(query, strict=strict)
    if filters:
        parsed = parsed.with_filters(filters)
    empty = SearchResult(query=query, papers=[], total=0, mode="none", parsed=parsed, offset=offset, sort=sort)
    f = parsed.filters
    if f.after and f.before and f.after >= f.before:
        return empty
    u = understand(pw, parsed) if understand_query and parsed.has_text else Understood()
    if u.only_refs:  # an id or link: that paper (whatever the filters say)
        return _finish(pw, SearchResult(query, [], len(u.paper_pks), "id", parsed, offset=offset, sort=sort),
                       [(pk, 1.0) for pk in u.paper_pks], u, limit, with_snippets=False)  # fmt: skip
    if not parsed.has_text:
        if not f:
            return empty
        if sort == "upvotes":
            with store.reading():
                ranked = [(pk, 0.0) for pk in sq.filtered_newest(store, f, limit=MAX_DEPTH)]
            result = SearchResult(query, [], len(ranked), "filters", parsed, offset=offset, sort=sort)
            return _finish(pw, result, _sorted(store, ranked, sort), u, limit, with_snippets=False)
        with store.reading():
            pks = sq.filtered_newest(store, f, limit=limit, offset=offset)
            total = sq.filtered_count(store, f, cap=MAX_DEPTH)
            ids = ids_of(store, pks)
        papers = store.papers_by_ids([ids[pk] for pk in pks if pk in ids])
        return SearchResult(query, papers, total, "filters", parsed, offset=offset, sort=sort)

    depth = min(offset + limit, MAX_DEPTH)
    model = pw.embedder() if mode != "keyword" else None
    index = pw.vectors.get(model.name) if model is not None else None
    use_vectors = index is not None and len(index) > 0
    if mode == "semantic" and not use_vectors:
        mode = "keyword"
    with store.reading():
        keyword: list[tuple[int, float]] = []
        semantic_job = None
        if use_vectors:  # encoded and searched on another core while the database ranks keywords
            narrowing = replace(f, exclude=())  # exclusions are checked on the fused list (below)
            allowed = allowed_pks(pw, narrowing) if narrowing else None
            semantic_job = pw.pool.submit(_semantic, model, index, parsed.semantic_text, max(depth, CANDIDATES), allowed)
        if mode != "semantic":
            if use_vectors:  # hybrid: the rarer terms only (see keyword_ranked); the semantic stage ranks too
                keyword = _hybrid_keyword(store, parsed, max(depth, CANDIDATES), allowed, len(index))
            else:
                # sorted by date or votes: every match (up to MAX_DEPTH), not only the best page's worth
                keyword = sq.keyword_ranked(store, parsed, limit=depth if sort == "relevance" else MAX_DEPTH)
        weak = False
        if semantic_job is not None:
            semantic = semantic_job.result()
            if mode == "semantic":
                ranked, ran = semantic, "semantic"
            else:
                ranked, ran = fuse(keyword, semantic), "hybrid"
                # honest: no word matches and nothing is close in meaning -> nothing (not the nearest noise)
                weak = (not keyword and (not semantic or semantic[0][1] < WEAK_SIMILARITY)
                        and not u.paper_pks and not u.author_pks and sq.keyword_count(store, parsed, cap=1) == 0)  # fmt: skip
            if weak:
                ranked = []
            total = min(len(ranked), MAX_DEPTH)
        else:
            ranked, ran = keyword, "keyword"
            total = sq.keyword_count(store, parsed, cap=MAX_DEPTH) if len(keyword) >= depth or offset else len(keyword)
        if f.exclude and ranked:  # the vector side (and a broad filter's keyword stage) did not see them
            gone = sq.containing(store, [pk for pk, _ in ranked], f.exclude)
            ranked = [(pk, s) for pk, s in ranked if pk not in gone]
            total = min(total, len(ranked)) if ran != "keyword" else total
        first = [(pk, 0.0) for pk in u.paper_pks]
        if u.only_name and u.author_pks:  # a name alone: their papers first, newest first
            first += [(pk, 0.0) for pk in sq.papers_of_authors(store, u.author_pks, f, limit=depth)]
        if first:
            ahead = {pk for pk, _ in first}
            ranked = list({pk: s for pk, s in first}.items()) + [(pk, s) for pk, s in ranked if pk not in ahead]
            total = min(MAX_DEPTH, total + len(ahead))
        if sort != "relevance":
            ranked = _ids_first(_sorted(store, ranked, sort), u)
            total = max(total, len(ranked)) if ran == "keyword" else min(MAX_DEPTH, len(ranked))
    result = SearchResult(query, [], total, ran if not weak else "none", parsed, offset=offset, weak=weak, sort=sort)
    return _finish(pw, result, ranked, u, limit, with_snippets=with_snippets)


def _ids_first(ranked: list[tuple[int, float]], u: Understood) -> list[tuple[int, float]]:
    """Papers named by id stay first when the results are sorted."""
    ahead = set(u.paper_pks)
    return [(pk, 0.0) for pk in u.paper_pks] + [(pk, s) for pk, s in ranked if pk not in ahead]


def _sorted(store: Store, ranked: list[tuple[int, float]], sort: str) -> list[tuple[int, float]]:
    """``ranked`` newest first or most upvoted first (imported upvotes plus this instance's votes)."""
    from paperwire.store.accounts import vote_counts

    pks = [pk for pk, _ in ranked]
    with store.reading():
        keys = sq.sort_keys(store, pks)
        votes = vote_counts(store, pks) if sort == "upvotes" else {}
    score = dict(ranked)
    if sort == "newest":
        order = sorted(keys, key=lambda pk: (keys[pk][0], pk), reverse=True)
    else:
        order = sorted(keys, key=lambda pk: (keys[pk][1] + votes.get(pk, 0), keys[pk][0], pk), reverse=True)
    return [(pk, score[pk]) for pk in order]


def _finish(pw: Paperwire, result: SearchResult, ranked: list[tuple[int, float]], u: Understood, limit: int, *,
            with_snippets: bool) -> SearchResult:  # fmt: skip
    """The page of ``ranked`` at the result's offset, as papers with scores and snippets."""
    store = pw.store
    page = ranked[result.offset : result.offset + limit]
    pks = [pk for pk, _ in page]
    with store.reading():
        ids = ids_of(store, pks)
        marked = sq.snippets(store, result.parsed, pks) if with_snippets else {}
    result.papers = store.papers_by_ids([ids[pk] for pk in pks if pk in ids])
    result.scores = {ids[pk]: float(s) for pk, s in page if pk in ids}
    result.snippets = {ids[pk]: sq.split_marked(text) for pk, text in marked.items() if pk in ids}
    result.authors, result.suggestion = u.authors, u.suggestion
    return result


# -- reading the query as a person means it ------------------------------------------------------------
def understand(pw: Paperwire, parsed: Query) -> Understood:
    """The papers the query names by id, link or DOI; the authors whose names it contains; a spelling
    suggestion. A few hash lookups and at most three indexed queries (see benchmarks/search_speed.py)."""
    store = pw.store
    out = Understood()
    text = parsed.free_text
    refs = paper_refs(text)
    if refs:
        with store.reading():
            found = pks_of(store, [r.value for r in refs if r.kind == "id"])
            dois = sq.pks_by_doi(store, [r.value for r in refs if r.kind == "doi"])
        out.paper_pks = list(dict.fromkeys([found[r.value] for r in refs if r.kind == "id" and r.value in found] + dois))
        out.only_refs = bool(out.paper_pks) and len(refs) == len(text.split())
        if out.only_refs:
            return out
    try:
        lex = pw.lexicon.get()
    except Exception as err:  # noqa: BLE001 - names and spelling are extras: the search still runs
        log.warning("the lexicon is unavailable (%s)", err)
        return out
    if lex is None:  # still being built (a large corpus, just started)
        return out
    _names(store, lex, text, out)
    out.suggestion = _suggestion(lex, parsed)
    return out


def categories(pw: Paperwire) -> list[tuple[str, int]]:
    """The instance's categories with their papers, most first (from the lexicon; read directly while
    the first lexicon of a large corpus is being built)."""
    lex = pw.lexicon.get()
    return lex.categories if lex is not None else sq.category_counts(pw.store, limit=50)


def _spans(text: str) -> list[tuple[str, bool]]:
    """(name key, is the whole text) of the word spans of ``text`` that may be a name: the whole text
    ("Last, First" read as "First Last" too) and every run of 2..MAX_NAME_WORDS words."""
    words = name_key(text).split()[:16]
    out: list[tuple[str, bool]] = []
    if 2 <= len(words) <= MAX_NAME_WORDS:
        out.append((" ".join(words), True))
        if text.count(",") == 1:
            last, given = text.split(",")
            out.append((name_key(f"{given} {last}"), True))
    for n in range(min(MAX_NAME_WORDS, len(words)), 1, -1):
        for i in range(len(words) - n + 1):
            span = words[i : i + n]
            if n < len(words) and all(len(w) > 1 for w in span):  # parts of a longer text: no initials
                out.append((" ".join(span), False))
    return out


def _names(store: Store, lex: Lexicon, text: str, out: Understood) -> None:
    candidates: dict[int, list[tuple[str, bool]]] = {}
    for span, whole in _spans(text):
        for pk in lex.names.lookup(span):
            candidates.setdefault(pk, []).append((span, whole))
    if not candidates:
        return
    with store.reading():
        rows = sq.authors_with_counts(store, list(candidates)[:200])
    matched = []
    for pk, key, name, count in rows:
        spans = [(span, whole) for span, whole in candidates[pk] if span in signatures(key)]
        if spans and count:
            matched.append((any(whole for _, whole in spans), count, pk, key, name))
    if not matched:
        return
    matched.sort(key=lambda m: (-m[0], -m[1], m[3]))
    out.authors = [AuthorMatch(key, name, count) for _, count, _, key, name in matched[:MAX_AUTHORS]]
    out.author_pks = [pk for whole, _, pk, _, _ in matched if whole]
    out.only_name = bool(out.author_pks)


def _suggestion(lex: Lexicon, parsed: Query) -> str | None:
    """The query as typed with each word the corpus does not know replaced by its closest corpus word
    (filters and exclusions kept as typed); None when no word changes."""
    changed = False
    out = []
    for token in parsed.text.split():
        fixed = token
        if token.isalpha():
            better = lex.speller.correct(token.casefold())
            if better:
                fixed, changed = better, True
        out.append(fixed)
    return " ".join(out) if changed else None


# -- the papers a filter allows, for vector search within them ---------------------------------------
def allowed_pks(pw: Paperwire, filters: Filters) -> np.ndarray:
    """pks of the papers matching ``filters`` (sorted), remembered until the database changes: a broad
    filter matches many papers (cs.CL: a third of 1M, ~0.2–1 s to read), and a few filters are most used."""
    token = data_version(pw.store)
    if token is None:  # the database cannot tell when it changed: never cache
        return sq.filtered_pks(pw.store, filters)
    pks = pw.filter_pks.get(filters, token)
    if pks is None:
        pks = sq.filtered_pks(pw.store, filters)
        pw.filter_pks.put(filters, pks, token)
    return pks


BROAD_FILTER = 0.2  # hybrid: a filter allowing at least this share of the papers is applied to keyword results here


def _hybrid_keyword(store: Store, parsed: Query, k: int, allowed: np.ndarray | None, papers: int) -> list[tuple[int, float]]:
    """The keyword stage of hybrid search. A broad filter (a category: a third of 1M papers) is applied
    to the unfiltered ranking's top ``k / share`` x 2 with the allowed pks in hand, instead of joining
    every keyword match to ``papers`` and checking the filter in SQL (hybrid + cs.CL at 1M: p95 133 ms)."""
    if allowed is not None and not len(allowed):  # the filter allows no paper at all
        return []
    f = parsed.filters
    papers = max(papers, sq.max_pk(store))  # every paper, embedded or not (an upper bound)
    if allowed is None or f.after or f.before or not papers or len(allowed) < BROAD_FILTER * papers:
        # dates stay in SQL: common-word rankings score the newest matches, which a date range would drop
        return sq.keyword_ranked(store, parsed, limit=k, postings=sq.HYBRID_POSTINGS)
    deep = math.ceil(2 * k / min(1.0, len(allowed) / papers))
    ranked = sq.keyword_ranked(store, parsed, limit=min(MAX_DEPTH * 2, deep), filters=Filters(),
                               postings=sq.HYBRID_POSTINGS)  # fmt: skip
    keep = np.isin(np.fromiter((pk for pk, _ in ranked), dtype=np.int64, count=len(ranked)), allowed)
    kept = [hit for hit, ok in zip(ranked, keep) if ok][:k]
    if len(kept) < k and len(ranked) >= deep:  # the filter took too many: rank within it
        return sq.keyword_ranked(store, parsed, limit=k, postings=sq.HYBRID_POSTINGS)
    return kept


def _semantic(model: Embedder, index: VectorIndex, text: str, k: int, allowed) -> list[tuple[int, float]]:
    """The query's nearest papers by embedding (above MIN_SIMILARITY), ``allowed`` ones only when given."""
    qvec = model.encode([text])[0]
    return [(pk, s) for pk, s in index.search(qvec, k, allowed=allowed) if s >= MIN_SIMILARITY]


# -- related papers -------------------------------------------------------------------------------
def similar(pw: Paperwire, paper_id: str, limit: int = 10, *, filters: Filters | None = None) -> Related | None:
    """Papers most similar to ``paper_id`` (itself excluded); None when there is no such paper."""
    return similar_to_many(pw, [paper_id], limit, filters=filters)


RELATED_POOL = 100  # candidates taken from each of the embedding and the TF-IDF neighbours
RELATED_VECTOR_WEIGHT = 0.7  # MiniLM's share of the related-papers blend (z-scores); TF-IDF has the rest


def similar_to_many(pw: Paperwire, paper_ids: list[str], limit: int = 10, *,
                    filters: Filters | None = None) -> Related | None:  # fmt: skip
    """"More like these": papers closest to ``paper_ids`` (those excluded), by a blend of embedding
    cosine (to their mean embedding) and TF-IDF cosine (to their mean term vector), each z-scored over
    the union of both candidate lists (:func:`paperwire.rank.fusion.blend_related`). Papers without
    embeddings use the terms alone. Unknown ids are ignored; None when none of them exists."""
    store = pw.store
    limit = max(0, min(limit, 100))
    with store.reading():
        pk_of = pks_of(store, paper_ids)
        allowed = allowed_pks(pw, filters) if filters else None
    if not pk_of:
        return None
    given = set(pk_of.values())
    model = pw.embedder()
    index = pw.vectors.get(model.name) if model is not None else None
    centre = None
    vector_hits: list[tuple[int, float]] = []
    if index is not None and len(index):
        rows = index.rows_of(sorted(given))
        if len(rows):
            centre = index.matrix[rows].mean(axis=0)
            centre /= max(float(np.linalg.norm(centre)), 1e-9)
            vector_hits = index.search(centre, max(limit, RELATED_POOL), allowed=allowed, exclude=given)
    term_hits, term_scores = _term_neighbours(pw, given, allowed, max(limit, RELATED_POOL))
    if vector_hits and term_hits:
        union = np.array(sorted({pk for pk, _ in vector_hits} | {pk for pk, _ in term_hits}), dtype=np.int64)
        rows = index.rows_of(union)
        vec = np.full(len(union), min(c for _, c in vector_hits), dtype=np.float64)  # not embedded: lowest seen
        vec[np.isin(union, index.pks[rows])] = index.matrix[rows] @ centre
        found = fusion.blend_related(union.tolist(), vec, term_scores(union), RELATED_VECTOR_WEIGHT)[:limit]
        method = "hybrid"
    elif vector_hits:
        found, method = vector_hits[:limit], "vector"
    elif term_hits:
        found, method = term_hits[:limit], "terms"
    else:
        found, method = _keyword_neighbours(store, list(pk_of), given, limit, filters), "keyword"
    ids = ids_of(store, [pk for pk, _ in found])
    papers = store.papers_by_ids([ids[pk] for pk, _ in found if pk in ids])
    return Related(papers, {ids[pk]: float(s) for pk, s in found if pk in ids}, method)


def _term_neighbours(pw: Paperwire, given: set[int], allowed, k: int):
    """Top ``k`` (pk, TF-IDF cosine) to the mean term vector of ``given``, and a function scoring any pks
    against it; ([], None) when the papers have no term rows yet."""
    try:
        T = pw.terms.get()
    except Exception as err:  # noqa: BLE001 - the term cache is an extra: embeddings still work
        log.warning("term features unavailable (%s)", err)
        return [], None
    rows = T.rows_of(sorted(given))
    if not len(rows):
        return [], None
    query = np.asarray(T.matrix[rows].mean(axis=0)).ravel()
    norm = float(np.linalg.norm(query))
    if norm == 0:
        return [], None
    query = (query / norm).astype(np.float32)

    def score(pks: np.ndarray) -> np.ndarray:
        at = T.rows_of(pks)
        out = np.zeros(len(pks), dtype=np.float64)
        if len(at):
            present = np.isin(pks, T.pks[at])
            out[present] = T.matrix[at] @ query
        return out

    if allowed is not None:  # only the filtered papers' rows
        cand_rows = T.rows_of(np.asarray(allowed, dtype=np.int64))
        sims = np.asarray(T.matrix[cand_rows] @ query).ravel() if len(cand_rows) else np.zeros(0)
        pks = T.pks[cand_rows]
    else:  # the whole matrix as it is (no copy of every row)
        sims, pks = np.asarray(T.matrix @ query).ravel(), T.pks
    keep = ~np.isin(pks, np.fromiter(given, dtype=np.int64))
    sims, pks = sims[keep], pks[keep]
    want = min(k, len(sims))
    if want == 0:
        return [], score
    top = np.argpartition(-sims, want - 1)[:want] if want < len(sims) else np.arange(len(sims))
    top = top[np.lexsort((pks[top], -sims[top]))]
    return [(int(pks[i]), float(sims[i])) for i in top if sims[i] > 0], score


def _keyword_neighbours(store: Store, paper_ids: list[str], exclude: set[int], limit: int,
                        filters: Filters | None) -> list[tuple[int, float]]:  # fmt: skip
    """Fallback for papers without embeddings: keyword search over their titles' words."""
    papers = store.papers_by_ids(paper_ids)
    words = list(dict.fromkeys(w for paper in papers for w in words_of(paper.title)))[:32]
    if not words:
        return []
    query = Query(text=" ".join(words), words=tuple(words))
    ranked = sq.keyword_ranked(store, query, limit=limit + len(exclude), filters=filters or Filters())
    return [(pk, s) for pk, s in ranked if pk not in exclude][:limit]
