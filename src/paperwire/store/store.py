"""The one Store API over SQLite and PostgreSQL.

Writes for ingest go through :meth:`Store.write_batch`, which keeps the keyword index in step with
``papers`` inside the same transaction. The hot paths use the driver's ``executemany`` through the
SQLAlchemy connection (inside its transaction), because building Core statements per row halves the
ingest rate; everything else is SQLAlchemy Core.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from sqlalchemy import Connection, Engine, func, select

from paperwire.store import schema as t
from paperwire.store.db import check_schema, make_engine, migrate
from paperwire.store.models import Organization, Paper

CHUNK = 500  # ids per IN (...) list
INGEST_LOCK = 0x70617065  # PostgreSQL advisory lock key for ingest writes

PAPER_COLUMNS = (
    "id", "title", "summary", "published", "updated", "primary_category", "comment", "doi", "journal_ref",
    "abs_url", "pdf_url", "code_url", "project_url", "source", "upvotes", "num_comments", "organization_pk",
    "submitted_by", "title_key", "announced_on", "listing", "hf_day", "ai_summary", "ai_keywords", "github_stars",
    "thumbnail",
)  # fmt: skip


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _chunks(items: Sequence, size: int = CHUNK) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(slots=True)
class KnownKeys:
    """Author and organisation pks already committed, by key."""

    authors: dict[str, int] = field(default_factory=dict)
    organizations: dict[str, int] = field(default_factory=dict)

    def update(self, other: "KnownKeys") -> None:
        self.authors.update(other.authors)
        self.organizations.update(other.organizations)


@dataclass(slots=True)
class IngestRun:
    pk: int
    source: str
    target: str
    cursor: str | None
    status: str
    seen: int
    added: int
    updated: int
    unchanged: int
    failed: int
    errors: list[str]
    started_at: datetime
    finished_at: datetime | None


class Store:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.dialect = engine.dialect.name
        self._ph = "?" if engine.dialect.paramstyle == "qmark" else "%s"
        self._reading: ContextVar[Connection | None] = ContextVar(f"paperwire-store-{id(self)}", default=None)

    # -- lifecycle ------------------------------------------------------------------------------
    @classmethod
    def open(cls, url: str, *, upgrade: bool = False) -> "Store":
        """Open the database at ``url``; with ``upgrade`` run pending migrations, else refuse a stale schema."""
        engine = make_engine(url)
        if upgrade:
            migrate(engine)
        else:
            check_schema(engine)
        return cls(engine)

    def close(self) -> None:
        version = self.__dict__.pop("_data_version", None)  # the change detector store.queries made for it
        if version is not None:
            version.close()
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection for reads: the one of the enclosing :meth:`reading` block, else a new one."""
        conn = self._reading.get()
        if conn is not None:
            yield conn
            return
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def reading(self, conn: Connection | None = None) -> Iterator[Connection]:
        """Run the store functions called inside on one connection (one snapshot, one pool checkout):
        a search's several queries; on ``conn`` when given (e.g. to read inside an open transaction).
        Writes (:meth:`transaction`) still take their own connection."""
        if conn is None and self._reading.get() is not None:
            yield self._reading.get()
            return
        with self.engine.connect() if conn is None else nullcontext(conn) as conn:
            token = self._reading.set(conn)
            try:
                yield conn
            finally:
                self._reading.reset(token)

    # -- low-level helpers ------------------------------------------------------------------------
    def _d(self, value: date | None):
        """Dates for raw driver calls: ISO text on SQLite (as SQLAlchemy's Date writes them)."""
        return value.isoformat() if value is not None and self.dialect == "sqlite" else value

    def _dt(self, value: datetime | None):
        """Datetimes for raw driver calls: on SQLite, the exact text SQLAlchemy's DateTime writes,
        so values compare equal whichever path wrote them."""
        if value is None or self.dialect != "sqlite":
            return value
        return value.isoformat(sep=" ", timespec="microseconds")

    def _many(self, conn: Connection, sql: str, rows: list[tuple]) -> None:
        if rows:
            conn.exec_driver_sql(sql.replace("?", self._ph), rows)

    def _select_in(self, conn: Connection, sql: str, values: Sequence) -> list[tuple]:  # rows as tuples
        """Run ``sql`` (containing one ``IN ({})``) over ``values`` in chunks."""
        out: list[tuple] = []
        for chunk in _chunks(list(values)):
            marks = ", ".join([self._ph] * len(chunk))
            out.extend(tuple(row) for row in conn.exec_driver_sql(sql.format(marks), tuple(chunk)))
        return out

    # -- read side used by ingest -------------------------------------------------------------------
    def ids_by_title_key(self, conn: Connection, keys: Iterable[str]) -> dict[str, str]:
        rows = self._select_in(conn, "SELECT title_key, id FROM papers WHERE title_key IN ({})", sorted(set(keys)))
        return {key: pid for key, pid in rows}

    def load_papers(self, conn: Connection, ids: Iterable[str]) -> dict[str, Paper]:
        """Full papers (authors, categories, organisation) by id."""
        ids = sorted(set(ids))
        rows = self._select_in(
            conn,
            "SELECT p.pk, p.id, p.title, p.summary, p.published, p.updated, p.comment, p.doi, p.journal_ref, "
            "p.abs_url, p.pdf_url, p.code_url, p.project_url, p.source, p.upvotes, p.num_comments, "
            "o.key, o.name, p.submitted_by, p.title_key, p.first_seen, p.submitted_at, "
            "p.announced_on, p.listing, p.hf_day, p.ai_summary, p.ai_keywords, p.github_stars, p.thumbnail "
            "FROM papers p LEFT JOIN organizations o ON o.pk = p.organization_pk WHERE p.id IN ({})",
            ids,
        )
        if not rows:
            return {}
        pks = [row[0] for row in rows]
        authors: dict[int, list[tuple[str, str]]] = {}
        for paper_pk, name, key in self._select_in(
            conn,
            "SELECT pa.paper_pk, pa.name, a.key FROM paper_authors pa JOIN authors a ON a.pk = pa.author_pk "
            "WHERE pa.paper_pk IN ({}) ORDER BY pa.paper_pk, pa.position",
            pks,
        ):
            authors.setdefault(paper_pk, []).append((name, key))
        categories: dict[int, list[str]] = {}
        for paper_pk, category in self._select_in(
            conn,
            "SELECT paper_pk, category FROM paper_categories WHERE paper_pk IN ({}) ORDER BY paper_pk, position",
            pks,
        ):
            categories.setdefault(paper_pk, []).append(category)
        out = {}
        for r in rows:
            pk = r[0]
            names = authors.get(pk, [])
            out[r[1]] = Paper(
                pk=pk, id=r[1], title=r[2], summary=r[3], published=_naive(r[4]), updated=_naive(r[5]),
                comment=r[6], doi=r[7], journal_ref=r[8], abs_url=r[9], pdf_url=r[10], code_url=r[11],
                project_url=r[12], source=r[13], upvotes=r[14], num_comments=r[15],
                organization=Organization(r[16], r[17]) if r[16] else None, submitted_by=r[18], title_key=r[19],
                first_seen=_naive(r[20]), submitted_at=_naive(r[21]), authors=tuple(n for n, _ in names), author_keys=tuple(k for _, k in names),
                categories=tuple(categories.get(pk, ())), announced_on=_day(r[22]), listing=r[23], hf_day=_day(r[24]),
                ai_summary=r[25], ai_keywords=tuple(json.loads(r[26])) if r[26] else (), github_stars=r[27],
                thumbnail=r[28],
            )  # fmt: skip
        return out

    # -- write side ---------------------------------------------------------------------------------
    def _ensure_keys(self, conn: Connection, table: str, names: dict[str, str], known: dict[str, int]) -> dict[str, int]:
        """pk for each key of ``names`` (key -> display name) in authors/organizations, inserting new
        ones. ``known`` holds pks already committed (authors and organisations are never deleted)."""
        found = {key: known[key] for key in names if key in known}
        lookup = sorted(key for key in names if key not in found)
        if not lookup:
            return found
        # insert what may be new (existing keys are left alone), then read every pk in one pass
        self._many(conn, f"INSERT INTO {table} (key, name) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                   [(key, names[key]) for key in lookup])  # fmt: skip
        found.update(self._select_in(conn, f"SELECT key, pk FROM {table} WHERE key IN ({{}})", lookup))
        return found

    def write_batch(self, conn: Connection, new: list[Paper], changed: list[tuple[Paper, Paper]],
                    known: "KnownKeys | None" = None) -> "KnownKeys":  # fmt: skip
        """Insert ``new`` papers and apply ``changed`` (old, new) pairs, keyword index included.

        ``known`` caches author/organisation pks across the batches of one run; the keys this batch
        resolved are returned, to be added to the cache once the transaction has committed."""
        known = known or KnownKeys()
        if not new and not changed:
            return KnownKeys()
        targets = new + [after for _, after in changed]
        author_pks = self._ensure_keys(
            conn, "authors", {k: n for p in targets for n, k in zip(p.authors, p.author_keys, strict=True)}, known.authors
        )
        org_pks = self._ensure_keys(
            conn, "organizations", {p.organization.key: p.organization.name for p in targets if p.organization},
            known.organizations,
        )
        now = self._dt(utcnow())

        def values(p: Paper) -> tuple:
            return (
                p.id, p.title, p.summary, self._dt(p.published), self._dt(p.updated), p.primary_category, p.comment, p.doi,
                p.journal_ref, p.abs_url, p.pdf_url, p.code_url, p.project_url, p.source, p.upvotes,
                p.num_comments, org_pks[p.organization.key] if p.organization else None, p.submitted_by, p.title_key,
                self._d(p.announced_on), p.listing, self._d(p.hf_day), p.ai_summary, json.dumps(p.ai_keywords) if p.ai_keywords else None,
                p.github_stars, p.thumbnail,
            )  # fmt: skip

        pk_of: dict[str, int] = {}
        if new:
            cols = ", ".join(PAPER_COLUMNS) + ", first_seen"
            marks = ", ".join("?" * (len(PAPER_COLUMNS) + 1))
            self._many(conn, f"INSERT INTO papers ({cols}) VALUES ({marks})", [values(p) + (now,) for p in new])
            pk_of.update(self._select_in(conn, "SELECT id, pk FROM papers WHERE id IN ({})", [p.id for p in new]))
        relink: list[tuple[int, Paper]] = [(pk_of[p.id], p) for p in new]
        if changed:
            text_changed = [(old, after) for old, after in changed if (old.title, old.summary) != (after.title, after.summary)]
            if self.dialect == "sqlite":
                self._many(
                    conn,
                    "INSERT INTO papers_fts (papers_fts, rowid, title, summary) VALUES ('delete', ?, ?, ?)",
                    [(old.pk, old.title, old.summary) for old, _ in text_changed],
                )
            sets = ", ".join(f"{c} = ?" for c in PAPER_COLUMNS)
            self._many(conn, f"UPDATE papers SET {sets} WHERE pk = ?", [values(after) + (old.pk,) for old, after in changed])
            if self.dialect == "sqlite":
                self._many(
                    conn,
                    "INSERT INTO papers_fts (rowid, title, summary) VALUES (?, ?, ?)",
                    [(old.pk, after.title, after.summary) for old, after in text_changed],
                )
            relinked = [(old.pk, after) for old, after in changed
                        if (old.authors, old.categories) != (after.authors, after.categories)]  # fmt: skip
            stale = [pk for pk, _ in relinked]
            for table in ("paper_authors", "paper_categories"):
                for chunk in _chunks(stale):
                    conn.exec_driver_sql(
                        f"DELETE FROM {table} WHERE paper_pk IN ({', '.join([self._ph] * len(chunk))})", tuple(chunk)
                    )
            relink.extend(relinked)
        self._many(
            conn,
            "INSERT INTO paper_authors (paper_pk, position, author_pk, name) VALUES (?, ?, ?, ?)",
            [(pk, i, author_pks[k], n) for pk, p in relink for i, (n, k) in enumerate(zip(p.authors, p.author_keys))],
        )
        self._many(
            conn,
            "INSERT INTO paper_categories (paper_pk, position, category) VALUES (?, ?, ?)",
            [(pk, i, c) for pk, p in relink for i, c in enumerate(p.categories)],
        )
        if new and self.dialect == "sqlite":
            self._many(
                conn,
                "INSERT INTO papers_fts (rowid, title, summary) VALUES (?, ?, ?)",
                [(pk_of[p.id], p.title, p.summary) for p in new],
            )
        return KnownKeys(author_pks, org_pks)

    def lock_for_ingest(self, conn: Connection) -> None:
        """Serialise ingest transactions across processes, so two ingests never both insert one paper:
        PostgreSQL takes a transaction-scoped advisory lock; SQLite takes its write lock now (a no-op
        UPDATE) instead of at the first write, after the reads."""
        if self.dialect == "postgresql":
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(%s)", (INGEST_LOCK,))
        else:
            conn.exec_driver_sql("UPDATE ingest_runs SET seen = seen WHERE pk = -1")

    def rekey_paper(self, conn: Connection, old_id: str, new_id: str) -> None:
        """Give a paper stored under a derived id its real id (no paper may hold ``new_id`` yet)."""
        conn.execute(t.papers.update().where(t.papers.c.id == old_id).values(id=new_id))

    def delete_papers(self, conn: Connection, ids: Iterable[str]) -> int:
        """Delete papers by id (authors/categories cascade; the keyword index follows)."""
        rows = self._select_in(conn, "SELECT pk, title, summary FROM papers WHERE id IN ({})", sorted(set(ids)))
        if self.dialect == "sqlite":
            self._many(conn, "INSERT INTO papers_fts (papers_fts, rowid, title, summary) VALUES ('delete', ?, ?, ?)", rows)
        for chunk in _chunks([r[0] for r in rows]):
            marks = ", ".join([self._ph] * len(chunk))
            for table, col in (("paper_authors", "paper_pk"), ("paper_categories", "paper_pk"), ("papers", "pk")):
                conn.exec_driver_sql(f"DELETE FROM {table} WHERE {col} IN ({marks})", tuple(chunk))
        return len(rows)

    # -- ingest log -----------------------------------------------------------------------------------
    def start_run(self, source: str, target: str, cursor: str | None = None) -> int:
        """Open a run in the log; earlier runs of the same target still marked running were killed."""
        c = t.ingest_runs.c
        with self.transaction() as conn:
            conn.execute(
                t.ingest_runs.update()
                .where(c.source == source, c.target == target, c.status == "running")
                .values(status="interrupted")
            )
            return conn.execute(
                t.ingest_runs.insert()
                .values(source=source, target=target, cursor=cursor, status="running", started_at=utcnow())
                .returning(t.ingest_runs.c.pk)
            ).scalar_one()

    def update_run(self, conn: Connection, pk: int, *, cursor: str | None = None, status: str | None = None,
                   seen: int = 0, added: int = 0, updated: int = 0, unchanged: int = 0, failed: int = 0,
                   errors: list[str] | None = None) -> None:  # fmt: skip
        """Record progress in the caller's transaction, so the log and the data commit together."""
        c = t.ingest_runs.c
        values: dict = {"seen": c.seen + seen, "added": c.added + added, "updated": c.updated + updated,
                        "unchanged": c.unchanged + unchanged, "failed": c.failed + failed}  # fmt: skip
        if cursor is not None:
            values["cursor"] = cursor
        if status is not None:
            values["status"] = status
            if status != "running":
                values["finished_at"] = utcnow()
        if errors is not None:
            values["errors"] = json.dumps(errors)
        conn.execute(t.ingest_runs.update().where(c.pk == pk).values(**values))

    def last_run_with_cursor(self, source: str, target: str) -> IngestRun | None:
        """The newest run of ``source``/``target`` that stored a cursor (runs that committed nothing have none)."""
        c = t.ingest_runs.c
        query = select(t.ingest_runs).where(c.source == source, c.target == target, c.cursor.is_not(None))
        with self.connect() as conn:
            row = conn.execute(query.order_by(c.pk.desc()).limit(1)).first()
        return IngestRun(**{**row._asdict(), "errors": json.loads(row.errors) if row.errors else []}) if row else None

    def runs(self, source: str | None = None, target: str | None = None, limit: int = 20) -> list[IngestRun]:
        query = select(t.ingest_runs).order_by(t.ingest_runs.c.pk.desc()).limit(limit)
        if source:
            query = query.where(t.ingest_runs.c.source == source)
        if target:
            query = query.where(t.ingest_runs.c.target == target)
        with self.connect() as conn:
            return [
                IngestRun(**{**row._asdict(), "errors": json.loads(row.errors) if row.errors else []})
                for row in conn.execute(query)
            ]

    # -- read side for front ends ----------------------------------------------------------------------
    def latest_papers(self, limit: int = 50) -> list[Paper]:
        with self.connect() as conn:
            ids = conn.execute(
                select(t.papers.c.id).order_by(t.papers.c.published.desc(), t.papers.c.id.desc()).limit(limit)
            ).scalars().all()
            found = self.load_papers(conn, ids)
        return [found[i] for i in ids]

    def papers_by_ids(self, ids: Sequence[str]) -> list[Paper]:
        """Full papers in the order of ``ids`` (unknown ids skipped)."""
        with self.connect() as conn:
            found = self.load_papers(conn, ids)
        return [found[i] for i in ids if i in found]

    def newest_published(self, *, upvoted: bool = False) -> datetime | None:
        """The newest publication time (of a paper with upvotes, with ``upvoted``)."""
        query = select(func.max(t.papers.c.published))
        if upvoted:
            query = query.where(t.papers.c.upvotes > 0)
        with self.connect() as conn:
            return conn.execute(query).scalar()

    def get_paper(self, paper_id: str) -> Paper | None:
        with self.connect() as conn:
            return self.load_papers(conn, [paper_id]).get(paper_id)

    def stats(self) -> dict:
        p = t.papers.c
        with self.connect() as conn:
            count, first, last, upvoted = conn.execute(
                select(func.count(), func.min(p.published), func.max(p.published),
                       func.count().filter(p.upvotes > 0))  # fmt: skip
            ).one()
            categories = conn.execute(
                select(t.paper_categories.c.category, func.count().label("n"))
                .where(t.paper_categories.c.position == 0)
                .group_by(t.paper_categories.c.category)
                .order_by(func.count().desc(), t.paper_categories.c.category)
                .limit(10)
            ).all()
            authors = conn.execute(select(func.count()).select_from(t.authors)).scalar_one()
            orgs = conn.execute(select(func.count()).select_from(t.organizations)).scalar_one()
        return {
            "papers": count,
            "authors": authors,
            "organizations": orgs,
            "with_upvotes": upvoted,
            "first_published": _naive(first).date().isoformat() if first else None,
            "last_published": _naive(last).date().isoformat() if last else None,
            "top_primary_categories": {c: n for c, n in categories},
        }


def _naive(value):
    """SQLite returns DATETIME columns as strings through exec_driver_sql; PostgreSQL as datetimes."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def _day(value):
    """A DATE column through exec_driver_sql: text on SQLite, a date on PostgreSQL."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value[:10])
