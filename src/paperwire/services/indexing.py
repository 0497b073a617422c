"""Indexing use cases: after any write (a harvest, ``paperwire ingest``, a submission, a collection
import) the new and changed papers get their embedding, their TF-IDF terms and their place in the
vector index, so hybrid search, related papers and recommendations see them.

``index_new`` does it in the calling thread (the CLI, a harvest), or, when the context has a job
dispatcher (Redis), hands the embedding to ``paperwire worker`` processes in chunks (``EMBED_JOB``),
so a backfill on N machines takes about 1/N of the time. ``index_soon`` queues it on the context's
background thread, for web requests that must not wait. A running server picks new vectors up by
itself: the vector index reloads when the database's data version changes.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from paperwire.context import Paperwire
from paperwire.index import embeddings
from paperwire.store import embeddings as stored
from paperwire.index.embedder import paper_text, text_hash

log = logging.getLogger(__name__)

EMBED_JOB = "paperwire.embed"  # payload: paper pks; the worker embeds those still lacking a current vector
CHUNK = 256  # papers per job message and per transaction


@dataclass
class IndexReport:
    model: str | None = None
    embedded: int = 0  # computed here
    imported: int = 0  # taken from the vectors shipped with the bundled corpus
    queued: int = 0  # handed to workers
    terms: int = 0  # papers in the TF-IDF term index afterwards
    vectors: int = 0  # vectors in the server's index afterwards
    error: str | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {"model": self.model, "embedded": self.embedded, "imported": self.imported, "queued": self.queued,
                "terms": self.terms, "vectors": self.vectors, "error": self.error,
                "seconds": round(self.seconds, 2)}  # fmt: skip


def index_new(pw: Paperwire, *, progress: Callable[[int], None] | None = None,
              on_total: Callable[[int], None] | None = None, fan_out: bool = True) -> IndexReport:  # fmt: skip
    """Embed the papers that lack a current embedding (or queue them for workers when the context has
    a dispatcher and ``fan_out``), then bring the term index and the vector index up to date."""
    started = time.monotonic()
    report = IndexReport()
    try:
        embedder = pw.indexing_embedder()
    except Exception as err:  # noqa: BLE001 - keyword search works without vectors
        report.error = f"the embedding model could not be loaded: {err}"
        log.warning("%s; new papers are searchable by keyword only", report.error)
        embedder = None
    if embedder is not None:
        report.model = embedder.name
        if fan_out and pw.dispatcher is not None:
            todo = [pk for pk, _, _ in _missing(pw, embedder.name)]
            for start in range(0, len(todo), CHUNK):
                pw.dispatcher.enqueue(EMBED_JOB, todo[start : start + CHUNK])
            report.queued = len(todo)
        else:
            done = embeddings.embed_missing(pw.store, embedder, batch_size=CHUNK, progress=progress, on_total=on_total)
            report.embedded, report.imported = done.embedded, done.imported
        if report.embedded or report.imported:
            report.vectors = len(pw.vectors.get(embedder.name, now=True))  # fold the new vectors in now
    report.terms = len(pw.terms.get(now=True))
    report.seconds = time.monotonic() - started
    return report


def index_soon(pw: Paperwire) -> bool:
    """Queue :func:`index_new` on the context's background thread (coalesced: requests that arrive
    while one waits share it). For web requests that wrote papers."""
    def job() -> None:
        report = index_new(pw)
        if report.embedded or report.queued:
            log.info("indexed new papers: %s", report.as_dict())

    return pw.run_soon("index", job)


def embed_pks(pw: Paperwire, pks: Sequence[int]) -> int:
    """The worker's job: embed those of ``pks`` that still lack a current embedding; returns how many.
    Running it twice, or after another worker did, does nothing more (the text hash says what is current)."""
    embedder = pw.indexing_embedder()
    todo = embeddings.missing(pw.store, embedder.name, sorted({int(pk) for pk in pks}))
    if not todo:
        return 0
    vectors = embedder.encode([paper_text(title, summary) for _, title, summary in todo])
    stored.write(pw.store, embedder.name, [(pk, text_hash(title, summary), vector)
                                           for (pk, title, summary), vector in zip(todo, vectors)])  # fmt: skip
    return len(todo)


def backlog(pw: Paperwire) -> int:
    """Papers without a current embedding by the indexing model."""
    return len(_missing(pw, pw.indexing_model))


def _missing(pw: Paperwire, model: str) -> list[tuple[int, str, str]]:
    return embeddings.missing(pw.store, model)
