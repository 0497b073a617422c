"""Paper embeddings in the database (``paper_embeddings``): which papers lack one, computing them in
batches (incrementally, resumable: each batch commits), loading them, and importing the vectors
shipped with the bundled demo corpus.

A stored vector is float16, L2-normalised, tagged with the embedder's name and a hash of the text
embedded; a paper whose title or abstract changed (hash differs) or that was embedded by another
model counts as missing.
"""
from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from sqlalchemy import Connection, delete, func, insert, select

from paperwire.index.embedder import Embedder, paper_text, text_hash
from paperwire.store import Store
from paperwire.store import schema as t

e = t.paper_embeddings.c
p = t.papers.c
BATCH = 256  # papers per transaction
DATA = Path(__file__).resolve().parent.parent / "data"
BUNDLED = DATA / "demo_embeddings.npz"


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def to_blob(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f2").tobytes()


def from_blobs(blobs: list[bytes], dim: int) -> np.ndarray:
    if not blobs:
        return np.zeros((0, dim), dtype=np.float32)
    return np.frombuffer(b"".join(blobs), dtype="<f2").reshape(len(blobs), dim).astype(np.float32)


@dataclass
class EmbedReport:
    model: str
    embedded: int = 0
    imported: int = 0  # taken from the bundled file instead of computed
    total: int = 0  # papers with a current embedding afterwards
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {"model": self.model, "embedded": self.embedded, "imported": self.imported, "total": self.total,
                "seconds": round(self.seconds, 2)}  # fmt: skip


def missing(conn: Connection, model: str) -> list[tuple[int, str, str]]:
    """(pk, title, summary) of papers without a current embedding by ``model``."""
    rows = conn.execute(
        select(p.pk, p.title, p.summary, e.model, e.text_hash).select_from(
            t.papers.outerjoin(t.paper_embeddings, e.paper_pk == p.pk)
        )
    )
    return [(pk, title, summary) for pk, title, summary, m, h in rows
            if m != model or h != text_hash(title, summary)]  # fmt: skip


def write(conn: Connection, model: str, rows: list[tuple[int, str, np.ndarray]]) -> None:
    """Store (pk, text hash, vector) rows, replacing older ones."""
    if not rows:
        return
    pks = [pk for pk, _, _ in rows]
    for start in range(0, len(pks), 500):
        conn.execute(delete(t.paper_embeddings).where(e.paper_pk.in_(pks[start : start + 500])))
    now = _now()
    conn.execute(insert(t.paper_embeddings), [
        {"paper_pk": pk, "model": model, "dim": int(len(vec)), "text_hash": h, "vector": to_blob(vec), "embedded_at": now}
        for pk, h, vec in rows
    ])  # fmt: skip


def any_of(store: Store, model: str) -> bool:
    """Whether any paper has an embedding by ``model`` (cheap at any size)."""
    with store.engine.connect() as conn:
        return conn.execute(select(e.paper_pk).where(e.model == model).limit(1)).first() is not None


def count(store: Store, model: str) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(e.model == model)).scalar_one())


def signature(conn: Connection, model: str) -> tuple:
    """Changes whenever embeddings of ``model`` are added, replaced or deleted."""
    n, top, last = conn.execute(select(func.count(), func.max(e.paper_pk), func.max(e.embedded_at)).where(e.model == model)).one()
    return (int(n), top, str(last))


def load(conn: Connection, model: str) -> tuple[np.ndarray, np.ndarray]:
    """(pks sorted ascending as int64, float32 matrix of their vectors)."""
    pks: list[int] = []
    blobs: list[bytes] = []
    dim = None
    for pk, d, blob in conn.execute(select(e.paper_pk, e.dim, e.vector).where(e.model == model).order_by(e.paper_pk)):
        if dim is None:
            dim = d
        if d != dim:
            continue
        pks.append(pk)
        blobs.append(bytes(blob))
    return np.array(pks, dtype=np.int64), from_blobs(blobs, dim or 0)


def vectors_of(conn: Connection, model: str, pks: list[int]) -> dict[int, np.ndarray]:
    out: dict[int, np.ndarray] = {}
    for start in range(0, len(pks), 500):
        rows = conn.execute(select(e.paper_pk, e.dim, e.vector).where(e.model == model, e.paper_pk.in_(pks[start : start + 500])))
        for pk, dim, blob in rows:
            out[pk] = from_blobs([bytes(blob)], dim)[0]
    return out


def embed_missing(store: Store, embedder: Embedder, *, batch_size: int = BATCH, bundled: Path | None = BUNDLED,
                  compute: bool = True, progress: Callable[[int], None] | None = None,
                  on_total: Callable[[int], None] | None = None) -> EmbedReport:  # fmt: skip
    """Embed every paper that lacks a current embedding, ``batch_size`` papers per transaction.

    Vectors shipped in ``bundled`` (same model, same text) are imported first instead of computed.
    With ``compute=False`` only those are imported. ``progress`` gets the number of papers just done;
    ``on_total`` the number to do, once known."""
    started = time.monotonic()
    report = EmbedReport(model=embedder.name)
    with store.engine.connect() as conn:
        todo = missing(conn, embedder.name)
    if bundled is not None and todo and Path(bundled).exists():
        report.imported = import_bundled(store, embedder.name, bundled, todo)
        if report.imported:
            with store.engine.connect() as conn:
                todo = missing(conn, embedder.name)
    if on_total:
        on_total(len(todo) if compute else 0)
    if compute and todo:
        todo.sort(key=lambda row: len(row[1]) + len(row[2]))  # similar lengths batch with less padding
        for start in range(0, len(todo), batch_size):
            chunk = todo[start : start + batch_size]
            # the embedder's own batch size (8 for ONNX: 1.15x papers/s of 32, benchmarks/embed_speed.py)
            vectors = embedder.encode([paper_text(title, summary) for _, title, summary in chunk])
            with store.transaction() as conn:
                write(conn, embedder.name, [(pk, text_hash(title, summary), vec)
                                            for (pk, title, summary), vec in zip(chunk, vectors)])  # fmt: skip
            report.embedded += len(chunk)
            if progress:
                progress(len(chunk))
    report.total = count(store, embedder.name)
    report.seconds = time.monotonic() - started
    return report


# -- vectors shipped with the bundled corpus ----------------------------------------------------------
def save_bundle(path: Path, model: str, ids: list[str], hashes: list[str], vectors: np.ndarray) -> None:
    """int8 vectors with one scale per row (cosine error ~1e-4), compressed: ~5 MB for 14k papers."""
    vectors = np.asarray(vectors, dtype=np.float32)
    scale = np.abs(vectors).max(axis=1, keepdims=True) / 127.0
    scale[scale == 0] = 1.0
    quantised = np.round(vectors / scale).astype(np.int8)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, model=np.array(model), ids=np.array(ids), hashes=np.array(hashes),
                        vectors=quantised, scale=scale.astype(np.float32).ravel())  # fmt: skip
    Path(path).write_bytes(buffer.getvalue())


def read_bundle(path: Path) -> tuple[str, list[str], list[str], np.ndarray]:
    with np.load(path, allow_pickle=False) as data:
        vectors = data["vectors"].astype(np.float32) * data["scale"][:, None]
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        norms[norms == 0] = 1
        return str(data["model"]), data["ids"].tolist(), data["hashes"].tolist(), vectors / norms


def import_bundled(store: Store, model: str, path: Path, todo: list[tuple[int, str, str]]) -> int:
    """Import shipped vectors for the papers of ``todo`` whose id and text hash match; returns how many."""
    bundle_model, ids, hashes, vectors = read_bundle(path)
    if bundle_model != model:
        return 0
    row_of = {pid: i for i, pid in enumerate(ids)}
    wanted = {pk: text_hash(title, summary) for pk, title, summary in todo}
    with store.engine.connect() as conn:
        id_of = {}
        pks = list(wanted)
        for start in range(0, len(pks), 500):
            id_of.update((a, b) for a, b in conn.execute(select(p.pk, p.id).where(p.pk.in_(pks[start : start + 500]))))
    rows = []
    for pk, h in wanted.items():
        i = row_of.get(id_of.get(pk))
        if i is not None and hashes[i] == h:
            rows.append((pk, h, vectors[i]))
    for start in range(0, len(rows), 2000):
        with store.transaction() as conn:
            write(conn, model, rows[start : start + 2000])
    return len(rows)
