"""Read-side queries for the RSS/Atom feeds of a category and of an author (SQLAlchemy Core; SQLite
and PostgreSQL). They return paper ids, newest first; ``Store.papers_by_ids`` loads the papers."""
from __future__ import annotations

from sqlalchemy import select

from paperwire.store import schema as t
from paperwire.store.store import Store

FEED_LIMIT = 50


def category_paper_ids(store: Store, category: str, limit: int = FEED_LIMIT) -> list[str]:
    """Ids of the newest papers listed in ``category`` (primary or cross-listed), newest first."""
    p, pc = t.papers.c, t.paper_categories.c
    query = (
        select(p.id)
        .where(p.pk.in_(select(pc.paper_pk).where(pc.category == category)))
        .order_by(p.published.desc(), p.id.desc())
        .limit(limit)
    )
    with store.engine.connect() as conn:
        return list(conn.execute(query).scalars())


def author_name(store: Store, author_key: str) -> str | None:
    """The display name of the author with this normalised key (None if there is none)."""
    with store.engine.connect() as conn:
        return conn.execute(select(t.authors.c.name).where(t.authors.c.key == author_key)).scalar()


def author_paper_ids(store: Store, author_key: str, limit: int = FEED_LIMIT) -> list[str]:
    """Ids of the newest papers of the author with this normalised key, newest first."""
    p, pa, a = t.papers.c, t.paper_authors.c, t.authors.c
    query = (
        select(p.id)
        .where(p.pk.in_(select(pa.paper_pk).join(t.authors, a.pk == pa.author_pk).where(a.key == author_key)))
        .order_by(p.published.desc(), p.id.desc())
        .limit(limit)
    )
    with store.engine.connect() as conn:
        return list(conn.execute(query).scalars())
