"""What recommendations read (SQLAlchemy Core; SQLite and PostgreSQL): one user's signals (ratings,
saved papers, upvotes), every user's positive signals for the collaborative part, the interests a user
wrote, and the candidate papers of a period. Plain queries; the rules live in ``services.recommend``."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import delete, select, union_all

from paperwire.store import schema as t
from paperwire.store.schema_accounts import collection_items, collections, ratings, votes
from paperwire.store.schema_recommend import user_interests
from paperwire.store.ids import ids_of
from paperwire.store.store import Store, utcnow

p = t.papers.c


@dataclass(frozen=True)
class Signal:
    paper_pk: int
    kind: str  # "rating", "saved", "upvote"
    value: int  # +1 / -1 (ratings), +1 otherwise
    at: datetime


def user_signals(store: Store, user_pk: int) -> list[Signal]:
    """Every signal of one user, newest first."""
    saved = (select(collection_items.c.paper_pk, collection_items.c.added_at)
             .join(collections, collections.c.pk == collection_items.c.collection_pk)
             .where(collections.c.user_pk == user_pk))  # fmt: skip
    out: list[Signal] = []
    with store.connect() as conn:
        for pk, value, at in conn.execute(select(ratings.c.paper_pk, ratings.c.value, ratings.c.updated_at)
                                          .where(ratings.c.user_pk == user_pk)):  # fmt: skip
            out.append(Signal(pk, "rating", int(value), at))
        out.extend(Signal(pk, "saved", 1, at) for pk, at in conn.execute(saved))
        out.extend(Signal(pk, "upvote", 1, at) for pk, at in conn.execute(
            select(votes.c.paper_pk, votes.c.created_at).where(votes.c.user_pk == user_pk)))  # fmt: skip
    out.sort(key=lambda s: (s.at, s.paper_pk), reverse=True)
    return out


def positive_pairs(store: Store) -> np.ndarray:
    """(user_pk, paper_pk) of every positive signal on the instance (thumbs up, saved, upvoted), as an
    int64 array of shape (n, 2), duplicates removed. Read only to build the co-occurrence counts."""
    query = union_all(
        select(ratings.c.user_pk, ratings.c.paper_pk).where(ratings.c.value > 0),
        select(collections.c.user_pk, collection_items.c.paper_pk)
        .join(collections, collections.c.pk == collection_items.c.collection_pk),
        select(votes.c.user_pk, votes.c.paper_pk),
    )
    with store.connect() as conn:
        rows = conn.execute(query).all()
    if not rows:
        return np.zeros((0, 2), dtype=np.int64)
    return np.unique(np.asarray(rows, dtype=np.int64), axis=0)


def get_interests(store: Store, user_pk: int) -> str:
    with store.connect() as conn:
        return conn.execute(select(user_interests.c.text).where(user_interests.c.user_pk == user_pk)).scalar() or ""


def set_interests(store: Store, user_pk: int, text: str) -> None:
    with store.transaction() as conn:
        conn.execute(delete(user_interests).where(user_interests.c.user_pk == user_pk))
        if text:
            conn.execute(user_interests.insert().values(user_pk=user_pk, text=text, updated_at=utcnow()))


def candidate_pks(store: Store, since: datetime | None, until: datetime | None, category: str | None = None) -> np.ndarray:
    """Papers published in [since, until) (optionally listed in ``category``), ascending pks."""
    query = select(p.pk)
    if since is not None:
        query = query.where(p.published >= since)
    if until is not None:
        query = query.where(p.published < until)
    if category:
        pc = t.paper_categories.c
        query = query.where(p.pk.in_(select(pc.paper_pk).where(pc.category == category)))
    with store.connect() as conn:
        return np.array(sorted(conn.execute(query).scalars()), dtype=np.int64)


def papers_by_pk(store: Store, pks: list[int]) -> dict[int, object]:
    """Full papers (``Paper``) by pk, for the pks that exist."""
    if not len(pks):
        return {}
    with store.reading() as conn:
        ids = ids_of(store, pks)
        loaded = store.load_papers(conn, ids.values())
    return {pk: loaded[pid] for pk, pid in ids.items() if pid in loaded}
