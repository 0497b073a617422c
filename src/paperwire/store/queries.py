"""Read-side queries for the author, organisation and category pages (SQLAlchemy Core; SQLite and
PostgreSQL alike).

Each query function takes the :class:`Store` (reading on the connection of an enclosing
``store.reading()`` block, else its own) and returns plain values: paper ids in page order (the
caller loads the papers with ``Store.papers_by_ids``, three queries for any page size), counts, or
small ``Named`` tallies. Lists are newest first (``published`` then ``id`` descending, so pages
never overlap or skip when papers share a timestamp). ``DataVersion`` tells page caches when
committed data may have changed.
"""
from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Connection, Engine, Select, and_, distinct, func, select

from paperwire.store import schema as t
from paperwire.store.store import Store

p = t.papers.c
pa = t.paper_authors.c
pc = t.paper_categories.c


@dataclass(frozen=True, slots=True)
class Named:
    """An author, organisation or category with how many papers it shares with the page's subject."""

    key: str
    name: str
    count: int


@dataclass(frozen=True, slots=True)
class Totals:
    """Papers, summed upvotes and the first and last publication time of a set of papers."""

    papers: int = 0
    upvotes: int = 0
    first: datetime | None = None
    last: datetime | None = None


def _ids(conn: Connection, where, limit: int, offset: int) -> list[str]:
    query = select(p.id).where(where).order_by(p.published.desc(), p.id.desc()).limit(limit).offset(offset)
    return list(conn.execute(query).scalars())


def _totals(conn: Connection, where) -> Totals:
    query = select(func.count(), func.coalesce(func.sum(p.upvotes), 0), func.min(p.published), func.max(p.published))
    count, upvotes, first, last = conn.execute(query.where(where)).one()
    return Totals(int(count), int(upvotes), first, last)


def _authors_of(conn: Connection, paper_pks: Select, *, exclude: int | None = None, limit: int = 20) -> list[Named]:
    """Authors of the papers in ``paper_pks`` with how many of those papers each wrote."""
    n = func.count(distinct(pa.paper_pk)).label("n")
    query = (
        select(t.authors.c.key, t.authors.c.name, n)
        .join(t.authors, t.authors.c.pk == pa.author_pk)
        .where(pa.paper_pk.in_(paper_pks))
        .group_by(t.authors.c.pk, t.authors.c.key, t.authors.c.name)
        .order_by(n.desc(), t.authors.c.name)
        .limit(limit)
    )
    if exclude is not None:
        query = query.where(pa.author_pk != exclude)
    return [Named(k, name, int(c)) for k, name, c in conn.execute(query)]


def _organizations_of(conn: Connection, where, limit: int | None = 10) -> list[Named]:
    o = t.organizations.c
    n = func.count().label("n")
    query = (
        select(o.key, o.name, n)
        .select_from(t.papers.join(t.organizations, o.pk == p.organization_pk))
        .where(where)
        .group_by(o.pk, o.key, o.name)
        .order_by(n.desc(), o.name)
        .limit(limit)
    )
    return [Named(k, name, int(c)) for k, name, c in conn.execute(query)]


# -- authors ----------------------------------------------------------------------------------------
def find_author(store: Store, key: str) -> tuple[int, str] | None:
    """(pk, display name) of the author with normalised ``key``."""
    with store.connect() as conn:
        row = conn.execute(select(t.authors.c.pk, t.authors.c.name).where(t.authors.c.key == key)).first()
        return (row[0], row[1]) if row else None


def _papers_of_author(author_pk: int) -> Select:
    return select(pa.paper_pk).where(pa.author_pk == author_pk)


def author_paper_ids(store: Store, author_pk: int, *, limit: int, offset: int = 0) -> list[str]:
    with store.connect() as conn:
        return _ids(conn, p.pk.in_(_papers_of_author(author_pk)), limit, offset)


def author_totals(store: Store, author_pk: int) -> Totals:
    with store.connect() as conn:
        return _totals(conn, p.pk.in_(_papers_of_author(author_pk)))


def coauthors(store: Store, author_pk: int, limit: int = 20) -> list[Named]:
    """The author's most frequent co-authors."""
    with store.connect() as conn:
        return _authors_of(conn, _papers_of_author(author_pk), exclude=author_pk, limit=limit)


def author_organizations(store: Store, author_pk: int, limit: int = 10) -> list[Named]:
    with store.connect() as conn:
        return _organizations_of(conn, p.pk.in_(_papers_of_author(author_pk)), limit)


# -- organisations ----------------------------------------------------------------------------------
def find_organization(store: Store, key: str) -> tuple[int, str] | None:
    with store.connect() as conn:
        o = t.organizations.c
        row = conn.execute(select(o.pk, o.name).where(o.key == key)).first()
        return (row[0], row[1]) if row else None


def organization_paper_ids(store: Store, org_pk: int, *, limit: int, offset: int = 0) -> list[str]:
    with store.connect() as conn:
        return _ids(conn, p.organization_pk == org_pk, limit, offset)


def organization_totals(store: Store, org_pk: int) -> Totals:
    with store.connect() as conn:
        return _totals(conn, p.organization_pk == org_pk)


def organization_authors(store: Store, org_pk: int, limit: int = 20) -> list[Named]:
    """The organisation's most frequent authors."""
    with store.connect() as conn:
        return _authors_of(conn, select(p.pk).where(p.organization_pk == org_pk), limit=limit)


# -- categories -------------------------------------------------------------------------------------
def _papers_in_category(category: str) -> Select:
    return select(pc.paper_pk).where(pc.category == category)


def category_paper_ids(store: Store, category: str, *, limit: int, offset: int = 0) -> list[str]:
    with store.connect() as conn:
        return _ids(conn, p.pk.in_(_papers_in_category(category)), limit, offset)


def category_totals(store: Store, category: str) -> Totals:
    with store.connect() as conn:
        return _totals(conn, p.pk.in_(_papers_in_category(category)))


def related_categories(store: Store, category: str, limit: int = 8) -> list[Named]:
    """Categories most often listed on the same papers as ``category``."""
    with store.connect() as conn:
        other = t.paper_categories.alias("other")
        n = func.count().label("n")
        same_paper = and_(other.c.paper_pk == pc.paper_pk, other.c.category != pc.category)
        query = (
            select(other.c.category, n)
            .select_from(t.paper_categories.join(other, same_paper))
            .where(pc.category == category)
            .group_by(other.c.category)
            .order_by(n.desc(), other.c.category)
            .limit(limit)
        )
        return [Named(c, c, int(count)) for c, count in conn.execute(query)]


def all_categories(store: Store) -> list[Named]:
    """Every category of the instance with its paper count (listed first or cross-listed), largest first."""
    n = func.count().label("n")
    query = select(pc.category, n).group_by(pc.category).order_by(n.desc(), pc.category)
    with store.connect() as conn:
        return [Named(c, c, int(count)) for c, count in conn.execute(query)]


def all_organizations(store: Store) -> list[Named]:
    """Every organisation with papers here, with its paper count, largest first."""
    with store.connect() as conn:
        return _organizations_of(conn, p.organization_pk.is_not(None), limit=None)


def author_names(store: Store, keys: list[str]) -> dict[str, str]:
    """Author key -> the name as written on their papers (keys not known are left out)."""
    if not keys:
        return {}
    a = t.authors.c
    with store.connect() as conn:
        return dict(conn.execute(select(a.key, a.name).where(a.key.in_(sorted(set(keys))))).all())


def organization_names(store: Store, keys: list[str]) -> dict[str, str]:
    """Organisation key -> its name as shown (keys not known are left out)."""
    if not keys:
        return {}
    o = t.organizations.c
    with store.connect() as conn:
        return dict(conn.execute(select(o.key, o.name).where(o.key.in_(sorted(set(keys))))).all())


# -- feed helpers -----------------------------------------------------------------------------------
def newest_published_between(store: Store, start: datetime, end: datetime) -> datetime | None:
    """The newest publication time in [start, end) (None when the range has no papers)."""
    with store.connect() as conn:
        return conn.execute(select(func.max(p.published)).where(p.published >= start, p.published < end)).scalar()


# -- change detection for page caches ---------------------------------------------------------------
class DataVersion:
    """A cheap token that changes whenever data committed to the database may have changed, by this
    process or any other (an ingest run, a vote): SQLite's ``PRAGMA data_version`` read on a
    read-only connection of its own (a few microseconds), PostgreSQL's current WAL position (it also
    moves for unrelated writes, which only costs a needless refresh).

    Calling it returns the token, or None when the database cannot tell (an in-memory SQLite
    database, a PostgreSQL standby, an error): callers must then not cache."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._lock = threading.Lock()
        self._sqlite: sqlite3.Connection | None = None
        self._off = False

    def __call__(self) -> object | None:
        if self._off:
            return None
        try:
            if self.engine.dialect.name == "sqlite":
                return self._sqlite_version()
            if self.engine.dialect.name == "postgresql":
                with self.engine.connect() as conn:
                    return conn.exec_driver_sql("SELECT pg_current_wal_lsn()::text").scalar()
        except Exception:  # noqa: BLE001 - any failure means "cannot tell": stop caching
            self.close()
        self._off = True
        return None

    def _sqlite_version(self) -> int | None:
        database = self.engine.url.database
        if not database or database == ":memory:" or database.startswith("file:"):
            self._off = True
            return None
        conn = self._sqlite
        if conn is None:
            with self._lock:
                if self._sqlite is None:
                    uri = "file:" + quote(str(Path(database).resolve())) + "?mode=ro"
                    self._sqlite = sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=5)
                conn = self._sqlite
        if sqlite3.threadsafety == 3:  # SQLite serialises calls on one connection itself: no lock to queue on
            return conn.execute("PRAGMA data_version").fetchone()[0]
        with self._lock:
            return conn.execute("PRAGMA data_version").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            if self._sqlite is not None:
                self._sqlite.close()
                self._sqlite = None


_versions_lock = threading.Lock()


def data_version(store) -> object | None:
    """The current :class:`DataVersion` token of a :class:`~paperwire.store.Store`'s database. The
    detector belongs to the store (made on first use, closed with it), shared by the caches of search
    and the vector index; None when the database cannot tell."""
    version = store.__dict__.get("_data_version")
    if version is None:
        with _versions_lock:
            version = store.__dict__.get("_data_version")
            if version is None:
                version = store._data_version = DataVersion(store.engine)
    return version()
