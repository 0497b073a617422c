"""The ``paper_embeddings`` table (SQLAlchemy Core; SQLite and PostgreSQL): a stored vector is float16
bytes tagged with the embedder's name and a hash of the text embedded. Reads and writes only; which
papers need embedding and computing the vectors live in ``index.embeddings``."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

import numpy as np
from sqlalchemy import delete, func, insert, select

from paperwire.store import schema as t
from paperwire.store.store import Store

e = t.paper_embeddings.c
p = t.papers.c
CHUNK = 500


def to_blob(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f2").tobytes()


def from_blobs(blobs: list[bytes], dim: int) -> np.ndarray:
    if not blobs:
        return np.zeros((0, dim), dtype=np.float32)
    return np.frombuffer(b"".join(blobs), dtype="<f2").reshape(len(blobs), dim).astype(np.float32)


def paper_rows(store: Store, pks: Sequence[int] | None = None) -> list[tuple[int, str, str, str | None, str | None]]:
    """(pk, title, summary, model, text hash) of every paper (of those of ``pks``), model and hash None
    when not embedded."""
    query = select(p.pk, p.title, p.summary, e.model, e.text_hash).select_from(
        t.papers.outerjoin(t.paper_embeddings, e.paper_pk == p.pk)
    )
    if pks is not None:
        query = query.where(p.pk.in_(list(pks)))
    with store.connect() as conn:
        return [tuple(row) for row in conn.execute(query)]


def write(store: Store, model: str, rows: list[tuple[int, str, np.ndarray]]) -> None:
    """Store (pk, text hash, vector) rows in one transaction, replacing older ones."""
    if not rows:
        return
    pks = [pk for pk, _, _ in rows]
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    with store.transaction() as conn:
        for start in range(0, len(pks), CHUNK):
            conn.execute(delete(t.paper_embeddings).where(e.paper_pk.in_(pks[start : start + CHUNK])))
        conn.execute(insert(t.paper_embeddings), [
            {"paper_pk": pk, "model": model, "dim": int(len(vec)), "text_hash": h, "vector": to_blob(vec),
             "embedded_at": now}
            for pk, h, vec in rows
        ])  # fmt: skip


def any_of(store: Store, model: str) -> bool:
    """Whether any paper has an embedding by ``model`` (cheap at any size)."""
    with store.connect() as conn:
        return conn.execute(select(e.paper_pk).where(e.model == model).limit(1)).first() is not None


def count(store: Store, model: str) -> int:
    with store.connect() as conn:
        return int(conn.execute(select(func.count()).where(e.model == model)).scalar_one())


def signature(store: Store, model: str) -> tuple:
    """Changes whenever embeddings of ``model`` are added, replaced or deleted."""
    query = select(func.count(), func.max(e.paper_pk), func.max(e.embedded_at)).where(e.model == model)
    with store.connect() as conn:
        n, top, last = conn.execute(query).one()
    return (int(n), top, str(last))


def load(store: Store, model: str) -> tuple[np.ndarray, np.ndarray]:
    """(pks sorted ascending as int64, float32 matrix of their vectors)."""
    pks: list[int] = []
    blobs: list[bytes] = []
    dim = None
    with store.connect() as conn:
        for pk, d, blob in conn.execute(select(e.paper_pk, e.dim, e.vector).where(e.model == model).order_by(e.paper_pk)):
            if dim is None:
                dim = d
            if d != dim:
                continue
            pks.append(pk)
            blobs.append(bytes(blob))
    return np.array(pks, dtype=np.int64), from_blobs(blobs, dim or 0)
