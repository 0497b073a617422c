"""Paper embeddings: which papers lack one, computing them in batches (incrementally, resumable: each
batch commits), and importing the vectors shipped with the bundled demo corpus. The rows are read and
written through :mod:`paperwire.store.embeddings`.

A stored vector is float16, L2-normalised, tagged with the embedder's name and a hash of the text
embedded; a paper whose title or abstract changed (hash differs) or that was embedded by another
model counts as missing.
"""
from __future__ import annotations

import io
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from paperwire.index.embedder import Embedder, paper_text, text_hash
from paperwire.store import Store
from paperwire.store.embeddings import count, paper_rows, write
from paperwire.store.ids import ids_of

BATCH = 256  # papers per transaction
DATA = Path(__file__).resolve().parent.parent / "data"
BUNDLED = DATA / "demo_embeddings.npz"

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


def missing(store: Store, model: str, pks: Sequence[int] | None = None) -> list[tuple[int, str, str]]:
    """(pk, title, summary) of papers (of ``pks``) without a current embedding by ``model``."""
    return [(pk, title, summary) for pk, title, summary, m, h in paper_rows(store, pks)
            if m != model or h != text_hash(title, summary)]  # fmt: skip


def embed_missing(store: Store, embedder: Embedder, *, batch_size: int = BATCH, bundled: Path | None = BUNDLED,
                  compute: bool = True, progress: Callable[[int], None] | None = None,
                  on_total: Callable[[int], None] | None = None) -> EmbedReport:  # fmt: skip
    """Embed every paper that lacks a current embedding, ``batch_size`` papers per transaction.

    Vectors shipped in ``bundled`` (same model, same text) are imported first instead of computed.
    With ``compute=False`` only those are imported. ``progress`` gets the number of papers just done;
    ``on_total`` the number to do, once known."""
    started = time.monotonic()
    report = EmbedReport(model=embedder.name)
    todo = missing(store, embedder.name)
    if bundled is not None and todo and Path(bundled).exists():
        report.imported = import_bundled(store, embedder.name, bundled, todo)
        if report.imported:
            todo = missing(store, embedder.name)
    if on_total:
        on_total(len(todo) if compute else 0)
    if compute and todo:
        todo.sort(key=lambda row: len(row[1]) + len(row[2]))  # similar lengths batch with less padding
        for start in range(0, len(todo), batch_size):
            chunk = todo[start : start + batch_size]
            # the embedder's own batch size (8 for ONNX: 1.15x papers/s of 32, benchmarks/embed_speed.py)
            vectors = embedder.encode([paper_text(title, summary) for _, title, summary in chunk])
            write(store, embedder.name, [(pk, text_hash(title, summary), vec)
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
    id_of = ids_of(store, list(wanted))
    rows = []
    for pk, h in wanted.items():
        i = row_of.get(id_of.get(pk))
        if i is not None and hashes[i] == h:
            rows.append((pk, h, vectors[i]))
    for start in range(0, len(rows), 2000):
        write(store, model, rows[start : start + 2000])
    return len(rows)
