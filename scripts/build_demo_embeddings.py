"""Rebuild src/paperwire/data/demo_embeddings.npz: the all-MiniLM-L6-v2 embeddings of the bundled demo
corpus, int8 with one scale per vector (~5 MB), so a fresh `make run` gets semantic search without
embedding 14k papers (~12 minutes on 2 cores). Run after scripts/build_demo_corpus.py:

    .venv/bin/python scripts/build_demo_embeddings.py [--threads 2]

`paperwire index embed` imports these vectors for papers whose id and text still match and embeds the
rest; tests/index/test_bundled_embeddings.py checks a sample against the model.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from paperwire.index import embeddings
from paperwire.index.embedder import OnnxEmbedder, text_hash
from paperwire.services.ingest import ingest_demo
from paperwire.store import Store
from paperwire.store import schema as t


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=embeddings.BUNDLED)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{tmp}/demo.db", upgrade=True)
        ingest_demo(store)
        embedder = OnnxEmbedder(Path(tmp) / "models", threads=args.threads)
        started = time.monotonic()
        done = [0]

        def progress(n: int) -> None:
            done[0] += n
            rate = done[0] / (time.monotonic() - started)
            print(f"\r{done[0]:,} papers, {rate:.1f}/s", end="", file=sys.stderr, flush=True)

        report = embeddings.embed_missing(store, embedder, bundled=None, progress=progress)
        print(f"\nembedded {report.embedded:,} papers in {report.seconds:.0f} s", file=sys.stderr)
        p, e = t.papers.c, t.paper_embeddings.c
        with store.engine.connect() as conn:
            rows = conn.execute(select(p.id, p.title, p.summary, e.vector, e.dim).join(
                t.paper_embeddings, e.paper_pk == p.pk).order_by(p.id)).all()  # fmt: skip
        vectors = embeddings.from_blobs([bytes(r.vector) for r in rows], rows[0].dim)
        embeddings.save_bundle(args.out, embedder.name, [r.id for r in rows],
                               [text_hash(r.title, r.summary) for r in rows], vectors)  # fmt: skip
        store.close()
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB, {len(rows):,} vectors)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
