"""Paper ids (``2401.01234``, what users and URLs see) and database pks (what every other table
references): the one mapping between them, both ways, in chunks of :data:`CHUNK`."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from paperwire.store import schema as t
from paperwire.store.store import CHUNK, Store

p = t.papers.c


def pks_of(store: Store, ids: Iterable[str]) -> dict[str, int]:
    """The pk of each of ``ids`` that names a paper."""
    return _map(store, p.id, p.pk, list(dict.fromkeys(ids)))


def ids_of(store: Store, pks: Iterable[int]) -> dict[int, str]:
    """The id of each of ``pks`` that is a paper's."""
    return _map(store, p.pk, p.id, list(dict.fromkeys(int(pk) for pk in pks)))


def pk_of(store: Store, paper_id: str) -> int | None:
    return pks_of(store, [paper_id]).get(paper_id)


def _map(store: Store, key, value, keys: list) -> dict:
    out: dict = {}
    if not keys:
        return out
    with store.connect() as conn:
        for start in range(0, len(keys), CHUNK):
            out.update(conn.execute(select(key, value).where(key.in_(keys[start : start + CHUNK]))).all())
    return out
