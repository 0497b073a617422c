"""Real all-MiniLM-L6-v2 vectors of the 74,728-paper arXiv corpus, computed once and cached OUTSIDE the
repository (default /work/cache/paperwire-bench/minilm75k), for benchmarks/load.py --corpus 75k.

    .venv/bin/python benchmarks/embed_cache.py [--cache DIR] [--corpus PATH]

The 14k papers of the bundled corpus take their shipped vectors; the rest are encoded by the packaged
ONNX model (one thread, ~20 papers/s on this machine: about an hour; run it niced). Resumable: each
chunk of 2,000 papers is saved as soon as it is done. ``load(cache)`` returns {(id, text hash): vector}.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from paperwire.index.embedder import OnnxEmbedder, paper_text, text_hash  # noqa: E402
from paperwire.index.embeddings import BUNDLED, read_bundle  # noqa: E402

DEFAULT_CACHE = Path(os.environ.get("PAPERWIRE_BENCH_CACHE", "/work/cache/paperwire-bench")) / "minilm75k"
SHARED = Path(os.environ.get("PAPERWIRE_SHARED_DATA") or next((p for p in (ROOT.parent / "shared" / "data", Path("/work/shared/data")) if p.exists()), Path("/work/shared/data")))
DEFAULT_CORPUS = SHARED / "arxiv" / "arxiv_cs_2025_2026.jsonl.gz"
CHUNK = 2000


def corpus_records(path: Path) -> list[tuple[str, str, str]]:
    out = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            out.append((r["id"], " ".join(r["title"].split()), " ".join((r.get("summary") or "").split())))
    return out


def load(cache: Path = DEFAULT_CACHE) -> dict[tuple[str, str], np.ndarray]:
    """Every cached vector by (paper id, text hash), bundled ones included."""
    found: dict[tuple[str, str], np.ndarray] = {}
    _, ids, hashes, vectors = read_bundle(BUNDLED)
    for pid, h, v in zip(ids, hashes, vectors):
        found[(pid, h)] = v
    for part in sorted(Path(cache).glob("chunk-*.npz")):
        with np.load(part, allow_pickle=False) as data:
            for pid, h, v in zip(data["ids"].tolist(), data["hashes"].tolist(), data["vectors"].astype(np.float32)):
                found[(pid, h)] = v
    return found


def build(cache: Path, corpus: Path) -> None:
    cache.mkdir(parents=True, exist_ok=True)
    have = load(cache)
    todo = [(pid, title, summary) for pid, title, summary in corpus_records(corpus)
            if (pid, text_hash(title, summary)) not in have]  # fmt: skip
    print(f"{len(have):,} vectors cached, {len(todo):,} to compute", flush=True)
    if not todo:
        return
    embedder = OnnxEmbedder(cache / "models", threads=1)
    start, done = time.monotonic(), 0
    n = len(list(cache.glob("chunk-*.npz")))
    for at in range(0, len(todo), CHUNK):
        chunk = todo[at : at + CHUNK]
        chunk.sort(key=lambda r: len(r[1]) + len(r[2]))
        vectors = embedder.encode([paper_text(t, s) for _, t, s in chunk])
        tmp = cache / f"chunk-{n:04d}.tmp.npz"
        np.savez(tmp, ids=np.array([r[0] for r in chunk]), hashes=np.array([text_hash(r[1], r[2]) for r in chunk]),
                 vectors=vectors.astype(np.float16))  # fmt: skip
        tmp.replace(cache / f"chunk-{n:04d}.npz")
        n += 1
        done += len(chunk)
        print(f"{done:,}/{len(todo):,} ({done / (time.monotonic() - start):.1f}/s)", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    build(args.cache, args.corpus)
