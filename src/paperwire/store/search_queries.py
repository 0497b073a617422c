"""Keyword search SQL with BM25-style ranking, filters and snippets, on SQLite (FTS5) and PostgreSQL
(the weighted ``search_vector`` tsvector with its GIN index).

Every function takes an open connection and a parsed :class:`paperwire.rank.query.Query`; user text
only ever reaches the database as bound parameters of quoted terms (``rank.query.fts5_query`` /
``tsquery_parts``), so no input is query syntax. Rankings: SQLite ``bm25(papers_fts, 3.0, 1.0)`` (a
title match counts three times an abstract match; measured best on SciFact), PostgreSQL
``ts_rank_cd`` with weights A (title) 1.0, B (abstract) 0.33 and length normalisation. Scores are
returned larger-is-better on both.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Connection, bindparam, func, literal_column, or_, select, text
from sqlalchemy.sql.elements import ColumnElement

from paperwire.rank.query import Filters, Query, fts5_query, tsquery_parts
from paperwire.store import schema as t

p = t.papers.c
MARK_START, MARK_END = "\x02", "\x03"  # snippet highlight markers (never in normalised text)
SNIPPET_WORDS = 32
PG_WEIGHTS = "{0.1, 0.2, 0.33, 1.0}"  # D, C, B (abstract), A (title)
PG_NORMALIZATION = 1  # divide the rank by 1 + log(document length)


def _dialect(conn: Connection) -> str:
    return conn.dialect.name


def category_spellings(category: str) -> list[str]:
    """arXiv spells archives in lower case and two-letter subject classes in upper case (``cs.CL``,
    ``astro-ph.CO``, but ``physics.optics``): the stored spelling of what a user typed, and the text as typed."""
    archive, dot, subject = category.partition(".")
    fixed = archive.lower() + (dot + (subject.upper() if len(subject) <= 2 else subject.lower()) if dot else "")
    return list(dict.fromkeys([fixed, category]))


def filter_clauses(filters: Filters) -> list[ColumnElement]:
    """WHERE clauses on ``papers`` for ``filters`` (SQLAlchemy Core; both databases)."""
    clauses: list[ColumnElement] = []
    pa, a, pc, o = t.paper_authors.c, t.authors.c, t.paper_categories.c, t.organizations.c
    for key in filters.authors:  # the full name, or a surname / first name alone ("turing", "alan")
        named = or_(a.key == key, a.key.endswith(" " + key, autoescape=True), a.key.startswith(key + " ", autoescape=True))
        clauses.append(p.pk.in_(select(pa.paper_pk).join(t.authors, a.pk == pa.author_pk).where(named)))
    if filters.categories:
        spellings = [s for c in filters.categories for s in category_spellings(c)]
        clauses.append(p.pk.in_(select(pc.paper_pk).where(pc.category.in_(spellings))))
    if filters.orgs:
        clauses.append(p.organization_pk.in_(select(o.pk).where(o.key.in_(list(filters.orgs)))))
    if filters.after:
        clauses.append(p.published >= filters.after)
    if filters.before:
        clauses.append(p.published < filters.before)
    return clauses


def _pg_tsquery(query: Query) -> ColumnElement | None:
    parts = tsquery_parts(query)
    if not parts:
        return None
    expr = None
    for n, (function, arg) in enumerate(parts):
        one = getattr(func, function)(literal_column("'english'::regconfig"), bindparam(f"tsq_{n}", arg))
        expr = one if expr is None else expr.op("||")(one)
    return expr


def keyword_ranked(conn: Connection, query: Query, *, limit: int, filters: Filters | None = None) -> list[tuple[int, float]]:
    """(paper pk, score) of the best ``limit`` papers matching any term of ``query``, best first."""
    filters = query.filters if filters is None else filters
    if not query.has_text or limit <= 0:
        return []
    where = filter_clauses(filters)
    if _dialect(conn) == "sqlite":
        match = fts5_query(query)
        if not match:
            return []
        score = literal_column("bm25(papers_fts, 3.0, 1.0)")
        stmt = (
            select(p.pk, score.label("score"))
            .select_from(t.papers.join(text("papers_fts"), literal_column("papers_fts.rowid") == p.pk))
            .where(text("papers_fts MATCH :match").bindparams(match=match), *where)
            .order_by(score, p.pk)
            .limit(limit)
        )
        return [(pk, -float(s)) for pk, s in conn.execute(stmt)]
    tsq = _pg_tsquery(query)
    vector = literal_column("papers.search_vector")
    q = select(tsq.label("q")).subquery("q")
    rank = func.ts_rank_cd(literal_column(f"'{PG_WEIGHTS}'::float4[]"), vector, q.c.q, PG_NORMALIZATION)
    stmt = (
        select(p.pk, rank.label("score"))
        .select_from(t.papers.join(q, literal_column("true")))
        .where(vector.op("@@")(q.c.q), *where)
        .order_by(rank.desc(), p.pk)
        .limit(limit)
    )
    return [(pk, float(s)) for pk, s in conn.execute(stmt)]


def keyword_count(conn: Connection, query: Query, *, filters: Filters | None = None, cap: int = 10_000) -> int:
    """How many papers match (counted up to ``cap``)."""
    filters = query.filters if filters is None else filters
    if not query.has_text:
        return 0
    where = filter_clauses(filters)
    if _dialect(conn) == "sqlite":
        match = fts5_query(query)
        if not match:
            return 0
        inner = (
            select(p.pk)
            .select_from(t.papers.join(text("papers_fts"), literal_column("papers_fts.rowid") == p.pk))
            .where(text("papers_fts MATCH :match").bindparams(match=match), *where)
            .limit(cap)
        )
    else:
        q = select(_pg_tsquery(query).label("q")).subquery("q")
        inner = (
            select(p.pk)
            .select_from(t.papers.join(q, literal_column("true")))
            .where(literal_column("papers.search_vector").op("@@")(q.c.q), *where)
            .limit(cap)
        )
    return int(conn.execute(select(func.count()).select_from(inner.subquery())).scalar_one())


def filtered_newest(conn: Connection, filters: Filters, *, limit: int, offset: int = 0) -> list[int]:
    """pks of the papers matching ``filters`` (no text), newest first."""
    stmt = select(p.pk).where(*filter_clauses(filters)).order_by(p.published.desc(), p.pk.desc())
    return list(conn.execute(stmt.limit(limit).offset(offset)).scalars())


def filtered_count(conn: Connection, filters: Filters, cap: int = 100_000) -> int:
    inner = select(p.pk).where(*filter_clauses(filters)).limit(cap).subquery()
    return int(conn.execute(select(func.count()).select_from(inner)).scalar_one())


def filtered_pks(conn: Connection, filters: Filters, cap: int | None = None) -> list[int]:
    """pks of every paper matching ``filters`` (for an exact vector scan of that subset)."""
    stmt = select(p.pk).where(*filter_clauses(filters)).order_by(p.pk)
    if cap is not None:
        stmt = stmt.limit(cap)
    return list(conn.execute(stmt).scalars())


def ids_of(conn: Connection, pks: Sequence[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    pks = list(pks)
    for start in range(0, len(pks), 500):
        chunk = pks[start : start + 500]
        out.update((a, b) for a, b in conn.execute(select(p.pk, p.id).where(p.pk.in_(chunk))))
    return out


def pks_of(conn: Connection, ids: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    ids = list(dict.fromkeys(ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        out.update((a, b) for a, b in conn.execute(select(p.id, p.pk).where(p.id.in_(chunk))))
    return out


def snippets(conn: Connection, query: Query, pks: Sequence[int]) -> dict[int, str]:
    """For each paper of ``pks`` whose abstract matches ``query``, a short extract of it with the
    matched words between :data:`MARK_START` and :data:`MARK_END`."""
    if not pks or not query.has_text:
        return {}
    pks = list(pks)
    if _dialect(conn) == "sqlite":
        match = fts5_query(query)
        if not match:
            return {}
        stmt = text(
            f"SELECT rowid, snippet(papers_fts, 1, '{MARK_START}', '{MARK_END}', '…', {SNIPPET_WORDS}) "
            "FROM papers_fts WHERE papers_fts MATCH :match AND rowid IN :pks"
        ).bindparams(bindparam("pks", expanding=True))
        rows = conn.execute(stmt, {"match": match, "pks": pks})
        return {pk: s for pk, s in rows if s and MARK_START in s}
    tsq = _pg_tsquery(query)
    q = select(tsq.label("q")).subquery("q")
    options = (f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords={SNIPPET_WORDS}, MinWords=12, ShortWord=2, "
               'MaxFragments=2, FragmentDelimiter=" … "')  # fmt: skip
    headline = func.ts_headline(literal_column("'english'::regconfig"), p.summary, q.c.q, options)
    stmt = (
        select(p.pk, headline)
        .select_from(t.papers.join(q, literal_column("true")))
        .where(p.pk.in_(pks), literal_column("papers.search_vector").op("@@")(q.c.q))
    )
    return {pk: s for pk, s in conn.execute(stmt) if s and MARK_START in s}


def split_marked(snippet: str, *, leading: bool = False, trailing: bool = False) -> list[tuple[str, bool]]:
    """``"a \\x02b\\x03 c"`` -> ``[("a ", False), ("b", True), (" c", False)]`` (what the templates escape)."""
    out: list[tuple[str, bool]] = []
    rest = snippet
    while rest:
        start = rest.find(MARK_START)
        if start < 0:
            out.append((rest, False))
            break
        if start:
            out.append((rest[:start], False))
        end = rest.find(MARK_END, start + 1)
        if end < 0:
            out.append((rest[start + 1 :], True))
            break
        out.append((rest[start + 1 : end], True))
        rest = rest[end + 1 :]
    return [(s.replace(MARK_START, "").replace(MARK_END, ""), m) for s, m in out if s]


def published_of(conn: Connection, pks: Sequence[int]) -> dict[int, datetime]:
    out: dict[int, datetime] = {}
    pks = list(pks)
    for start in range(0, len(pks), 500):
        out.update((a, b) for a, b in conn.execute(select(p.pk, p.published).where(p.pk.in_(pks[start : start + 500]))))
    return out


