"""Keyword search SQL with BM25-style ranking, filters and snippets, on SQLite (FTS5) and PostgreSQL
(the weighted ``search_vector`` tsvector with its GIN index).

Every public function takes the :class:`Store` (reading on the connection of an enclosing
``store.reading()`` block, else its own) and a parsed :class:`paperwire.rank.query.Query`; user text
only ever reaches the database as bound parameters of quoted terms (:func:`fts5_query` /
:func:`tsquery_parts` / :class:`Unit`), so no input is query syntax. Ranking is BM25 on both, a title
match counting three times an abstract match (measured best on SciFact): SQLite ``bm25(papers_fts,
3.0, 1.0)``; PostgreSQL computes the same formula here (:func:`_pg_ranked`) from the tsvector's term
positions and weights, with document frequencies counted through the GIN index and cached per process
(``ts_rank_cd``, used before, has no IDF: SciFact nDCG@10 0.411 against FTS5's 0.693). Queries over very
common words are narrowed before scoring (see MAX_SCORED). Scores are returned larger-is-better on both.
"""
from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Connection, Text, bindparam, case, func, literal_column, or_, select, text
from sqlalchemy.dialects.postgresql import ARRAY, TSQUERY
from sqlalchemy.sql.elements import ColumnElement

from paperwire.rank.query import Filters, Query
from paperwire.store import schema as t
from paperwire.store.store import Store

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


def author_named(key: str) -> ColumnElement[bool]:
    """An author whose key is ``key``, or ends or starts with it as a word (a surname or first name
    alone); a name of several words also matches with initials and middle names: ``christopher
    manning`` finds ``christopher d manning``, ``c d manning`` finds ``christopher david manning``."""
    a = t.authors.c
    words = key.split()
    if len(words) > 1:  # keys are \w words without "%" or "_" (keys.text_key): no escaping needed
        given = " ".join(w + "%" if len(w) == 1 else w for w in words[:-1])
        return or_(a.key == key, a.key.like(f"{given}% {words[-1]}"))
    return or_(a.key == key, a.key.endswith(" " + key, autoescape=True), a.key.startswith(key + " ", autoescape=True))


def _containing(conn: Connection, phrases: Sequence[str], pks: Sequence[int] | None = None):
    """pks of the papers (of ``pks`` when given) containing any of ``phrases``."""
    units = [Unit("phrase" if " " in x else "word", x) for x in phrases]
    if _dialect(conn) == "sqlite":
        sql = "SELECT rowid FROM papers_fts WHERE papers_fts MATCH :m" + (" AND rowid IN :pks" if pks is not None else "")
        stmt = text(sql).bindparams(m=" OR ".join(u.fts5() for u in units))
        if pks is not None:
            stmt = stmt.bindparams(bindparam("pks", list(pks), expanding=True))
        return conn.execute(stmt).scalars()
    stmt = select(p.pk).where(literal_column("papers.search_vector").op("@@")(_pg_units_tsquery(units, "or", prefix="x")))
    if pks is not None:
        stmt = stmt.where(p.pk.in_(list(pks)))
    return conn.execute(stmt).scalars()


def containing(store: Store, pks: Sequence[int], phrases: Sequence[str]) -> set[int]:
    """Those of ``pks`` whose title or abstract contains any of ``phrases`` (words, or phrases as words
    joined by spaces), as keyword search reads them (stemmed)."""
    if not pks or not phrases:
        return set()
    with store.connect() as conn:
        return set(_containing(conn, phrases, pks))


def _excluded(dialect: str, phrases: Sequence[str]) -> ColumnElement[bool]:
    """Papers containing none of ``phrases`` (words or phrases, quoted terms as in keyword search)."""
    units = [Unit("phrase" if " " in x else "word", x) for x in phrases]
    if dialect == "sqlite":
        match = " OR ".join(u.fts5() for u in units)
        inner = text("SELECT rowid FROM papers_fts WHERE papers_fts MATCH :excluded").bindparams(excluded=match)
        return p.pk.not_in(inner.columns(literal_column("rowid")))
    return ~literal_column("papers.search_vector").op("@@")(_pg_units_tsquery(units, "or", prefix="x"))


def filter_clauses(filters: Filters, dialect: str) -> list[ColumnElement]:
    """WHERE clauses on ``papers`` for ``filters`` (SQLAlchemy Core; ``dialect``: sqlite or postgresql)."""
    clauses: list[ColumnElement] = []
    pa, a, pc, o = t.paper_authors.c, t.authors.c, t.paper_categories.c, t.organizations.c
    for key in filters.authors:  # EXISTS over the paper's own author rows (a join scanned all 4.8M at 1M papers)
        named = select(a.pk).where(author_named(key))
        clauses.append(select(pa.paper_pk).where(pa.paper_pk == p.pk, pa.author_pk.in_(named)).exists())
    if filters.categories:  # EXISTS: a lookup per candidate paper (IN would list a third of 1M papers each query)
        spellings = [s for c in filters.categories for s in category_spellings(c)]
        clauses.append(select(pc.paper_pk).where(pc.paper_pk == p.pk, pc.category.in_(spellings)).exists())
    if filters.orgs:
        clauses.append(p.organization_pk.in_(select(o.pk).where(o.key.in_(list(filters.orgs)))))
    if filters.after:
        clauses.append(p.published >= filters.after)
    if filters.before:
        clauses.append(p.published < filters.before)
    if filters.exclude:
        clauses.append(_excluded(dialect, filters.exclude))
    return clauses


# -- keyword ranking ----------------------------------------------------------------------------------
# A query's units: each plain word (stop words dropped, see ``Query.ranked_words``), phrase and prefix.
# Ranking every match of an OR query over very common words costs a BM25 evaluation per match
# (~6 µs a row in FTS5; 40,000+ rows for "language models" in 75k cs papers), so when the units'
# document frequencies add up to more than MAX_SCORED, the match is narrowed before scoring:
# the most common units leave the OR (the rarest ones whose frequencies add up to MAX_SCORED stay);
# when even the rarest unit is that common, papers matching every unit are ranked (when there are
# enough of them); and at most the newest MAX_SCORED matches are scored. On SQLite, where counting
# matches is cheap, an OR query matching at most SQLITE_EXACT papers is ranked whole. Small corpora
# and rare words are ranked exactly as before.
MAX_SCORED = 2000
# Hybrid search: the keyword stage reads at most this many postings (see keyword_ranked). SciFact with the
# budget scaled to its 5,183 papers (benchmarks/search_quality.py, production search): 6% of the corpus
# 0.695 nDCG@10, 20% 0.715, 39% 0.723, none 0.731; at 1M papers 60,000 cost 6 / 13 ms p50 / p95 and
# 200,000 16 / 32 ms (benchmarks/search_speed.py keyword stage), inside hybrid's 50 ms p95.
HYBRID_POSTINGS = 200_000
UNIT_DF_CAP = HYBRID_POSTINGS + 1  # document frequencies are counted up to this (planning needs no more)
SQLITE_EXACT = 5000  # SQLite: an OR query matching at most this many papers is ranked whole (~40 ms)
PG_MAX_SCORED = 1000  # PostgreSQL reads a whole tsvector per scored paper: a smaller cap
RESCORE = 300  # PostgreSQL: papers re-scored with BM25 after the IDF-weighted first stage
K1, B = 1.2, 0.75  # BM25 parameters (FTS5's)
TITLE_WEIGHT, ABSTRACT_WEIGHT = 3.0, 1.0  # as bm25(papers_fts, 3.0, 1.0)
STATS_TTL = 300.0  # seconds corpus statistics are trusted when no paper was added


@dataclass(frozen=True, slots=True)
class Unit:
    """One scored part of a query: a word, a phrase (words in order) or a prefix."""

    kind: str  # "word", "phrase" or "prefix"
    text: str  # the word, the phrase's words joined by spaces, or the prefix

    def fts5(self) -> str:
        quoted = '"' + self.text.replace('"', '""') + '"'
        return quoted + "*" if self.kind == "prefix" else quoted

    def tsquery(self) -> tuple[str, str]:
        if self.kind == "word":
            return "plainto_tsquery", self.text
        if self.kind == "phrase":
            return "phraseto_tsquery", self.text
        return "to_tsquery", "'" + self.text.replace("'", "''") + "':*"


def query_units(query: Query) -> list[Unit]:
    return ([Unit("word", w) for w in query.ranked_words()] + [Unit("phrase", " ".join(p)) for p in query.phrases]
            + [Unit("prefix", p) for p in query.prefixes])  # fmt: skip


# -- query text: every user term quoted, so no input is query syntax ----------------------------------
def fts5_query(query: Query) -> str:
    """An FTS5 MATCH expression in which every term is quoted: words (stop words dropped, see
    ``Query.ranked_words``) and phrases OR-ed, prefixes as ``"diffus"*``. Empty when the query has no text."""
    return " OR ".join(u.fts5() for u in query_units(query))


def tsquery_parts(query: Query) -> list[tuple[str, str]]:
    """(function, argument) pairs that PostgreSQL turns into one tsquery each, OR-ed together:
    ``plainto_tsquery`` for a word, ``phraseto_tsquery`` for a phrase, ``to_tsquery`` with a quoted
    lexeme and ``:*`` for a prefix. Words are ``\\w+`` only, so the quoting is safe."""
    return [u.tsquery() for u in query_units(query)]


def _pg_tsquery(query: Query) -> ColumnElement | None:
    units = query_units(query)
    return _pg_units_tsquery(units, "or", prefix="tsq") if units else None


class _Stats:
    """Per-database corpus statistics: document frequencies of units and lexemes, the number of papers
    and their mean length. Kept per process; refreshed when a paper was added (a larger max pk) or
    after STATS_TTL seconds (updates and deletions)."""

    def __init__(self, token: object):
        self.token = token
        self.created = time.monotonic()
        self.df: dict[object, int] = {}
        self.n: int | None = None
        self.avglen: float | None = None


_stats: dict[str, _Stats] = {}
_stats_lock = threading.Lock()
_lexemes: dict[str, tuple[str, ...]] = {}  # PostgreSQL: a word's lexemes ('english' configuration)


def _stats_for(conn: Connection) -> _Stats:
    key = conn.engine.url.render_as_string(hide_password=False)
    token = _max_pk(conn)
    with _stats_lock:
        stats = _stats.get(key)
        if stats is None or stats.token != token or time.monotonic() - stats.created > STATS_TTL:
            stats = _stats[key] = _Stats(token)
        return stats


def _max_pk(conn: Connection) -> int:
    """The largest paper pk (0 when there are none): an upper bound of the number of papers, read from the index."""
    return int(conn.execute(select(func.max(p.pk))).scalar() or 0)


def clear_stats() -> None:
    with _stats_lock:
        _stats.clear()


def _unit_df(conn: Connection, stats: _Stats, unit: Unit) -> int:
    """Papers matching ``unit`` (cached)."""
    key = ("unit", unit)
    if key not in stats.df:
        stats.df[key] = _count_matching(conn, [unit], "or", cap=UNIT_DF_CAP)
    return stats.df[key]


def _cap(conn: Connection) -> int:
    return MAX_SCORED if _dialect(conn) == "sqlite" else PG_MAX_SCORED


def _plan(conn: Connection, units: list[Unit], depth: int) -> tuple[list[Unit], str]:
    """The units a paper must match one of (``"or"``) or all of (``"and"``) to be scored."""
    cap = _cap(conn)
    if len(units) <= 1:
        return units, "or"
    stats = _stats_for(conn)
    df = {u: _unit_df(conn, stats, u) for u in units}
    if sum(df.values()) <= cap:
        return units, "or"
    if _dialect(conn) == "sqlite" and _count_matching(conn, units, "or", cap=SQLITE_EXACT + 1) <= SQLITE_EXACT:
        return units, "or"  # counting is cheap in FTS5 (a few ms): rank exactly what is affordable
    kept = _rarest(units, df, cap, at_least_one=True)
    if len(kept) == 1 and df[kept[0]] > cap:  # every unit is common: papers with all of them
        if _count_matching(conn, units, "and", cap=depth) >= depth:
            return units, "and"
    return kept, "or"


def _affordable_units(conn: Connection, units: list[Unit], postings: int) -> list[Unit]:
    """The rarest ``units`` whose document frequencies add up to at most ``postings`` (in query order)."""
    stats = _stats_for(conn)
    df = {u: _unit_df(conn, stats, u) for u in units}
    if sum(df.values()) <= postings:
        return units
    kept = set(_rarest(units, df, postings))
    return [u for u in units if u in kept]


def _rarest(units: list[Unit], df: dict[Unit, int], budget: int, *, at_least_one: bool = False) -> list[Unit]:
    """The rarest ``units`` (rarest first) whose document frequencies add up to at most ``budget``;
    with ``at_least_one`` the rarest unit even when it alone is over."""
    kept, total = [], 0
    for unit in sorted(units, key=lambda u: (df[u], u.kind, u.text)):
        if (kept or not at_least_one) and total + df[unit] > budget:
            break
        kept.append(unit)
        total += df[unit]
    return kept


def _count_matching(conn: Connection, units: list[Unit], how: str, *, cap: int) -> int:
    if _dialect(conn) == "sqlite":
        match = (" AND " if how == "and" else " OR ").join(u.fts5() for u in units)
        inner = text("SELECT rowid FROM papers_fts WHERE papers_fts MATCH :m LIMIT :cap").bindparams(m=match, cap=cap)
        return int(conn.execute(select(func.count()).select_from(inner.columns().subquery())).scalar_one())
    inner = select(p.pk).where(literal_column("papers.search_vector").op("@@")(_pg_units_tsquery(units, how))).limit(cap)
    return int(conn.execute(select(func.count()).select_from(inner.subquery())).scalar_one())


def _pg_units_tsquery(units: list[Unit], how: str = "or", prefix: str = "m") -> ColumnElement:
    expr = None
    for n, unit in enumerate(units):
        function, arg = unit.tsquery()
        one = getattr(func, function)(literal_column("'english'::regconfig"), bindparam(f"{prefix}_{n}", arg))
        expr = one if expr is None else expr.op("&&" if how == "and" else "||")(one)
    return expr


def keyword_ranked(store: Store, query: Query, *, limit: int, filters: Filters | None = None,
                   postings: int | None = None) -> list[tuple[int, float]]:  # fmt: skip
    """(paper pk, score) of the best ``limit`` papers matching any term of ``query``, best first
    (BM25, title weighted 3x the abstract, on both databases; see MAX_SCORED for common words).

    With ``postings`` (hybrid search, where the semantic stage also ranks), only the query's rarest
    units whose document frequencies add up to at most that many are matched and scored: BM25 reads
    the whole posting list of every scored term for its IDF (FTS5: ~40 ms for a word in 300k of 1M
    papers), while a word that common weighs little (IDF ~1.2 against 5–9 for rare words). No unit
    that rare: no keyword results (the semantic ranking stands alone)."""
    with store.connect() as conn:
        filters = query.filters if filters is None else filters
        units = query_units(query)
        if not units or limit <= 0:
            return []
        if postings is not None:
            units = _affordable_units(conn, units, postings)
            if not units:
                return []
        where = filter_clauses(filters, _dialect(conn))
        matched, how = _plan(conn, units, limit)
        if _dialect(conn) == "sqlite":
            return _sqlite_ranked(conn, units, matched, how, where, limit)
        return _pg_ranked(conn, units, matched, how, where, limit)


def _sqlite_ranked(conn, units, matched, how, where, limit) -> list[tuple[int, float]]:
    if how == "and":
        match = " AND ".join(u.fts5() for u in units)  # bm25 of papers matching all units = their OR score
    elif len(matched) == len(units):
        match = " OR ".join(u.fts5() for u in units)
    else:  # score the common units too (at half weight: the matched ones appear twice) without matching them
        rare = " OR ".join(u.fts5() for u in matched)
        common = " OR ".join(u.fts5() for u in units if u not in matched)
        match = f"({rare}) OR (({rare}) AND ({common}))"
    score = literal_column("bm25(papers_fts, 3.0, 1.0)")
    if where:
        base = (
            select(p.pk, score.label("score"))
            .select_from(t.papers.join(text("papers_fts"), literal_column("papers_fts.rowid") == p.pk))
            .where(text("papers_fts MATCH :match").bindparams(match=match), *where)
        )
    else:  # the keyword index alone: joining papers costs a b-tree search per match (1M papers: 40-60% of the time)
        base = select(literal_column("papers_fts.rowid").label("pk"), score.label("score")).select_from(
            text("papers_fts")).where(text("papers_fts MATCH :match").bindparams(match=match))  # fmt: skip
    pk_col = literal_column("pk") if not where else p.pk
    exact = SQLITE_EXACT if len(matched) == len(units) else MAX_SCORED
    if how == "or" and _count_matching(conn, matched, "or", cap=exact + 1) <= exact:  # all of them
        rows = conn.execute(base.order_by(score, pk_col).limit(limit)).all()
        return [(pk, -float(s)) for pk, s in rows]
    newest = literal_column("papers_fts.rowid").desc()  # FTS5 walks its doclists backwards: no sort
    rows = conn.execute(base.order_by(newest).limit(MAX_SCORED)).all()  # the newest matches only
    rows.sort(key=lambda r: (r[1], r[0]))
    return [(pk, -float(s)) for pk, s in rows[:limit]]


def _pg_lexemes(conn: Connection, words: list[str]) -> dict[str, tuple[str, ...]]:
    missing = [w for w in dict.fromkeys(words) if w not in _lexemes]
    if missing:
        rows = conn.execute(text("SELECT w, tsvector_to_array(to_tsvector('english', w)) FROM unnest(CAST(:ws AS text[])) w")
                            .bindparams(ws=missing))  # fmt: skip
        found = {w: tuple(lex or ()) for w, lex in rows}
        if len(_lexemes) > 50_000:
            _lexemes.clear()
        for w in missing:
            _lexemes[w] = found.get(w, ())
    return {w: _lexemes[w] for w in words}


def _lexeme_df(conn: Connection, stats: _Stats, lexemes: list[str], prefixes: list[str]) -> dict[tuple[str, str], int]:
    """Papers containing each lexeme (("lex", l)) or a lexeme starting with each prefix (("prefix", p))."""
    out = {}
    for kind, value in [("lex", x) for x in lexemes] + [("prefix", x) for x in prefixes]:
        key = (kind, value)
        if key not in stats.df:
            sql = text("SELECT count(*) FROM papers WHERE search_vector @@ CAST(:q AS tsquery)").bindparams(q=_tsquery_text(key))
            stats.df[key] = int(conn.execute(sql).scalar_one())
        out[key] = stats.df[key]
    return out


def _pg_corpus(conn: Connection, stats: _Stats) -> tuple[int, float]:
    if stats.n is None:
        stats.n = int(conn.execute(select(func.count()).select_from(t.papers)).scalar_one())
        recent = select(p.title, p.summary).order_by(p.pk.desc()).limit(5000).subquery()  # a sample suffices
        mean = conn.execute(select(func.avg(func.length(recent.c.title) + func.length(recent.c.summary)))).scalar()
        stats.avglen = float(mean or 1.0)
    return stats.n, stats.avglen


def _idf(n: int, df: int) -> float:
    """FTS5's BM25 IDF (never below 1e-6)."""
    value = math.log((n - df + 0.5) / (df + 0.5))
    return value if value > 0 else 1e-6


def _pg_ranked(conn, units, matched, how, where, limit) -> list[tuple[int, float]]:
    """BM25 computed here: candidates from the GIN index (at most the newest MAX_SCORED), the best
    RESCORE of them by the summed IDF of the terms they contain, then BM25 with term frequencies
    per field (tsvector weights A = title, B = abstract) and length = characters of title + abstract."""
    stats = _stats_for(conn)
    n, avglen = _pg_corpus(conn, stats)
    words = [w for u in units if u.kind != "prefix" for w in u.text.split()]
    lex_of = _pg_lexemes(conn, words)
    terms: list[tuple[str, str]] = []  # ("lex", lexeme) or ("prefix", prefix)
    for u in units:
        if u.kind == "prefix":
            terms.append(("prefix", u.text))
        else:
            terms += [("lex", lx) for w in u.text.split() for lx in lex_of[w]]
    terms = list(dict.fromkeys(terms))
    if not terms:
        return []
    df = _lexeme_df(conn, stats, [v for k, v in terms if k == "lex"], [v for k, v in terms if k == "prefix"])
    idf = {term: _idf(n, df[term]) for term in terms}

    vector = literal_column("papers.search_vector")
    cand = select(p.pk).where(vector.op("@@")(_pg_units_tsquery(matched, how)), *where)
    if how == "and" or sum(_unit_df(conn, stats, u) for u in matched) > PG_MAX_SCORED:
        cand = cand.order_by(p.pk.desc()).limit(PG_MAX_SCORED)  # the newest matches (a backward index scan)
    cand = cand.cte("cand")
    first = None  # the summed IDF of the terms a paper contains
    for i, term in enumerate(terms):
        has = vector.op("@@")(func.cast(bindparam(f"t_{i}", _tsquery_text(term)), TSQUERY))
        part = case((has, literal_column(repr(float(idf[term])))), else_=literal_column("0.0"))
        first = part if first is None else first + part
    stage = (select(p.pk, vector.label("v"), (func.length(p.title) + func.length(p.summary)).label("len"))
             .select_from(t.papers.join(cand, cand.c.pk == p.pk))
             .order_by(first.desc(), p.pk.desc()).limit(RESCORE).cte("stage"))  # fmt: skip
    lexemes = [v for k, v in terms if k == "lex"]
    prefixes = [v for k, v in terms if k == "prefix"]
    u = func.unnest(stage.c.v).table_valued("lexeme", "positions", "weights").render_derived(name="u").lateral()
    wanted = u.c.lexeme == func.any(func.cast(bindparam("lexemes", lexemes), ARRAY(Text)))
    if prefixes:
        wanted = or_(wanted, u.c.lexeme.op("LIKE")(func.any(func.cast(bindparam("prefixes", [_like_prefix(x) for x in prefixes]), ARRAY(Text)))))
    stmt = select(stage.c.pk, stage.c.len, u.c.lexeme, func.cardinality(u.c.positions),
                  func.cardinality(func.array_positions(u.c.weights, literal_column("'A'::text")))
                  ).select_from(stage.outerjoin(u, wanted))  # fmt: skip
    tf: dict[int, dict[tuple[str, str], float]] = {}
    length: dict[int, int] = {}
    for pk, chars, lexeme, count, in_title in conn.execute(stmt):
        length[pk] = chars or 0
        row = tf.setdefault(pk, {})
        if lexeme is None:
            continue
        weighted = TITLE_WEIGHT * (in_title or 0) + ABSTRACT_WEIGHT * ((count or 0) - (in_title or 0))
        term = ("lex", lexeme) if ("lex", lexeme) in idf else next((x for x in terms if x[0] == "prefix" and lexeme.startswith(x[1])), None)
        if term is not None:
            row[term] = row.get(term, 0.0) + weighted
    scored = []
    for pk, freqs in tf.items():
        norm = K1 * (1 - B + B * length[pk] / avglen)
        score = sum(idf[term] * f * (K1 + 1) / (f + norm) for term, f in freqs.items() if f > 0)
        scored.append((pk, score))
    scored.sort(key=lambda r: (-r[1], -r[0]))
    return scored[:limit]


def _tsquery_text(term: tuple[str, str]) -> str:
    kind, value = term
    return "'" + value.replace("'", "''") + "'" + (":*" if kind == "prefix" else "")


def _like_prefix(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _matching(dialect: str, query: Query, filters: Filters, cap: int):
    """pks of the papers matching any term of ``query`` and ``filters`` (at most ``cap``); None when
    the query has no text."""
    where = filter_clauses(filters, dialect)
    if dialect == "sqlite":
        match = fts5_query(query)
        if not match:
            return None
        return (
            select(p.pk)
            .select_from(t.papers.join(text("papers_fts"), literal_column("papers_fts.rowid") == p.pk))
            .where(text("papers_fts MATCH :match").bindparams(match=match), *where)
            .limit(cap)
        )
    tsq = _pg_tsquery(query)
    if tsq is None:
        return None
    q = select(tsq.label("q")).subquery("q")
    return (
        select(p.pk)
        .select_from(t.papers.join(q, literal_column("true")))
        .where(literal_column("papers.search_vector").op("@@")(q.c.q), *where)
        .limit(cap)
    )


def keyword_count(store: Store, query: Query, *, filters: Filters | None = None, cap: int = 10_000) -> int:
    """How many papers match (counted up to ``cap``)."""
    filters = query.filters if filters is None else filters
    if not query.has_text:
        return 0
    with store.connect() as conn:
        inner = _matching(_dialect(conn), query, filters, cap)
        if inner is None:
            return 0
        return int(conn.execute(select(func.count()).select_from(inner.subquery())).scalar_one())


def keyword_matches(store: Store, query: Query, *, filters: Filters | None = None, cap: int = 10_000) -> list[int]:
    """pks (ascending) of the papers matching any term of ``query``, unranked (at most ``cap``)."""
    filters = query.filters if filters is None else filters
    if not query.has_text:
        return []
    with store.connect() as conn:
        inner = _matching(_dialect(conn), query, filters, cap)
        return [] if inner is None else sorted(conn.execute(inner).scalars())


def filtered_newest(store: Store, filters: Filters, *, limit: int, offset: int = 0) -> list[int]:
    """pks of the papers matching ``filters`` (no text), newest first."""
    with store.connect() as conn:
        stmt = select(p.pk).where(*filter_clauses(filters, _dialect(conn))).order_by(p.published.desc(), p.pk.desc())
        return list(conn.execute(stmt.limit(limit).offset(offset)).scalars())


def filtered_count(store: Store, filters: Filters, cap: int = 100_000) -> int:
    with store.connect() as conn:
        inner = select(p.pk).where(*filter_clauses(filters, _dialect(conn))).limit(cap).subquery()
        return int(conn.execute(select(func.count()).select_from(inner)).scalar_one())


def filtered_pks(store: Store, filters: Filters) -> np.ndarray:
    """pks (sorted int64) of every paper matching ``filters``, for vector search within that subset.

    Each filter is read from its own index alone (categories from ``paper_categories``, dates from
    ``papers.published``, ...) and the sets are intersected here: joining back to ``papers`` row by
    row costs a b-tree search per pk (cs.CL in 1M papers: 1.9 s against ~0.1 s)."""
    with store.connect() as conn:
        pa, a, pc, o = t.paper_authors.c, t.authors.c, t.paper_categories.c, t.organizations.c
        parts = []
        for key in filters.authors:  # the matching authors first, then their papers through ix_paper_authors_author_pk
            parts.append(select(pa.paper_pk).where(pa.author_pk.in_(select(a.pk).where(author_named(key)))))
        if filters.categories:
            spellings = [s for c in filters.categories for s in category_spellings(c)]
            parts.append(select(pc.paper_pk).where(pc.category.in_(spellings)))
        if filters.orgs:
            parts.append(select(p.pk).where(p.organization_pk.in_(select(o.pk).where(o.key.in_(list(filters.orgs))))))
        dates = [c for c in (p.published >= filters.after if filters.after else None,
                             p.published < filters.before if filters.before else None) if c is not None]  # fmt: skip
        if dates:
            parts.append(select(p.pk).where(*dates))
        if not parts:
            parts.append(select(p.pk))
        found: np.ndarray | None = None
        for stmt in parts:
            pks = np.unique(np.fromiter(conn.execute(stmt).scalars(), dtype=np.int64))
            found = pks if found is None else np.intersect1d(found, pks, assume_unique=True)
            if not len(found):
                break
        if filters.exclude and len(found):  # the papers containing an excluded term, taken out
            gone = np.fromiter(_containing(conn, filters.exclude), dtype=np.int64)
            found = np.setdiff1d(found, gone)
        found.flags.writeable = False  # shared by the search service's cache (and prepared once per index)
        return found


def snippets(store: Store, query: Query, pks: Sequence[int]) -> dict[int, str]:
    """For each paper of ``pks`` whose abstract matches ``query``, a short extract of it with the
    matched words between :data:`MARK_START` and :data:`MARK_END`."""
    with store.connect() as conn:
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


def max_pk(store: Store) -> int:
    """The largest paper pk (0 when there are none): an upper bound of the number of papers, read from the index."""
    with store.connect() as conn:
        return _max_pk(conn)


# -- recognising names and ids --------------------------------------------------------------------------
def author_keys(store: Store, after_pk: int = 0, batch: int = 50_000):
    """(pk, key) of every author, in pk order, in batches (for the name index)."""
    a = t.authors.c
    with store.connect() as conn:
        while True:
            rows = conn.execute(select(a.pk, a.key).where(a.pk > after_pk).order_by(a.pk).limit(batch)).all()
            if not rows:
                return
            yield rows
            after_pk = rows[-1][0]


def authors_with_counts(store: Store, pks: Sequence[int]) -> list[tuple[int, str, str, int]]:
    """(pk, key, name, papers) of the authors ``pks`` (those that exist)."""
    if not pks:
        return []
    a, pa = t.authors.c, t.paper_authors.c
    with store.connect() as conn:
        rows = conn.execute(select(a.pk, a.key, a.name).where(a.pk.in_(list(pks)))).all()
        counts = dict(conn.execute(select(pa.author_pk, func.count()).where(pa.author_pk.in_(list(pks)))
                                   .group_by(pa.author_pk)).all())  # fmt: skip
    return [(pk, key, name, int(counts.get(pk, 0))) for pk, key, name in rows]


def papers_of_authors(store: Store, author_pks: Sequence[int], filters: Filters, *, limit: int) -> list[int]:
    """pks of the papers by any of ``author_pks`` that match ``filters``, newest first."""
    if not author_pks or limit <= 0:
        return []
    pa = t.paper_authors.c
    with store.connect() as conn:
        mine = select(pa.paper_pk).where(pa.author_pk.in_(list(author_pks)))
        stmt = (select(p.pk).where(p.pk.in_(mine), *filter_clauses(filters, _dialect(conn)))
                .order_by(p.published.desc(), p.pk.desc()).limit(limit))  # fmt: skip
        return list(conn.execute(stmt).scalars())


def pks_by_doi(store: Store, dois: Sequence[str]) -> list[int]:
    """pks of the papers with one of ``dois`` (compared in lower case)."""
    if not dois:
        return []
    with store.connect() as conn:
        rows = conn.execute(select(p.pk).where(func.lower(p.doi).in_([d.casefold() for d in dois])).limit(len(dois) * 2))
        return list(rows.scalars())


def title_texts(store: Store, *, abstracts: int, batch: int = 20_000):
    """Batches of titles of every paper, then the abstracts of the newest ``abstracts`` papers (for the
    spelling dictionary)."""
    with store.connect() as conn:
        after = 0
        while True:
            rows = conn.execute(select(p.pk, p.title).where(p.pk > after).order_by(p.pk).limit(batch)).all()
            if not rows:
                break
            yield [title for _, title in rows]
            after = rows[-1][0]
        if abstracts > 0:
            yield list(conn.execute(select(p.summary).order_by(p.pk.desc()).limit(abstracts)).scalars())


def corpus_token(store: Store) -> tuple[int, int]:
    """(largest paper pk, largest author pk): changes when papers or authors are added."""
    with store.connect() as conn:
        return _max_pk(conn), int(conn.execute(select(func.max(t.authors.c.pk))).scalar() or 0)


def sort_keys(store: Store, pks: Sequence[int]) -> dict[int, tuple]:
    """pk -> (published, upvotes) of ``pks`` (upvotes: imported plus this instance's votes), for sorting results."""
    if not pks:
        return {}
    with store.connect() as conn:
        rows = conn.execute(select(p.pk, p.published, p.upvotes).where(p.pk.in_(list(pks)))).all()
    return {pk: (published, upvotes or 0) for pk, published, upvotes in rows}


def category_counts(store: Store, limit: int = 200) -> list[tuple[str, int]]:
    """The categories papers are listed in, with their papers, most first (for the search page's control)."""
    pc = t.paper_categories.c
    with store.connect() as conn:
        n = func.count().label("n")
        rows = conn.execute(select(pc.category, n).group_by(pc.category).order_by(n.desc(), pc.category).limit(limit))
        return [(c, int(k)) for c, k in rows]
