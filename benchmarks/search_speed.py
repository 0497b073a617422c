"""Vector search speed: the approximate HNSW index (usearch f16, as paperwire builds it) against exact
brute force (numpy float32) measured in the same run, with recall@10 against brute force, build time
and memory; plus filtered search (a 10% subset) through ``VectorIndex.search``'s planner, and query
encoding with the ONNX model.

    .venv/bin/python benchmarks/search_speed.py [--sizes 100000 300000] [--queries 200]

Vectors: real all-MiniLM-L6-v2 embeddings (the bundled demo vectors, or data/bench-cache/scifact-minilm.npy)
and, beyond their count, synthetic ones made by perturbing real embeddings (noise, renormalised), so
the corpus keeps real cluster structure (structureless random vectors are a worst case no real corpus has).
Queries are other perturbed real vectors.
"""
from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from paperwire.index import embeddings as stored  # noqa: E402
from paperwire.index.vectors import VectorIndex, build_ann  # noqa: E402


def seeds() -> np.ndarray:
    if stored.BUNDLED.exists():
        return stored.read_bundle(stored.BUNDLED)[3].astype(np.float32)
    cache = ROOT / "data" / "bench-cache" / "scifact-minilm.npy"
    if cache.exists():
        return np.load(cache).astype(np.float32)
    raise SystemExit("no real vectors: build src/paperwire/data/demo_embeddings.npz or run benchmarks/search_quality.py")


def synthesise(real: np.ndarray, n: int, rng, noise: float = 0.06) -> np.ndarray:
    if n <= len(real):
        return real[:n].copy()
    extra = real[rng.integers(0, len(real), n - len(real))]
    extra = extra + noise * rng.standard_normal(extra.shape).astype(np.float32)
    out = np.vstack([real, extra]).astype(np.float32)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


def pct(values, q):
    return float(np.percentile(np.array(values) * 1000, q))


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--threads", type=int, default=2, help="HNSW build threads")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    real = seeds()
    print(f"{len(real):,} real MiniLM vectors as seeds")
    queries = real[rng.integers(0, len(real), args.queries)] + 0.05 * rng.standard_normal((args.queries, real.shape[1]))
    queries = (queries / np.linalg.norm(queries, axis=1, keepdims=True)).astype(np.float32)
    print(f"{'vectors':>9} {'exact p50/p95 ms':>17} {'HNSW p50/p95 ms':>16} {'recall@10':>9} {'speed-up p50':>12} "
          f"{'build s':>8} {'filtered 10%: p50/p95 ms, recall':>34}")  # fmt: skip
    for n in args.sizes:
        matrix = synthesise(real, n, rng)
        pks = np.arange(1, n + 1, dtype=np.int64)
        exact = VectorIndex("m", pks, matrix)
        before = rss_mb()
        started = time.monotonic()
        ann = build_ann(pks, matrix, threads=args.threads)
        build = time.monotonic() - started
        approx = VectorIndex("m", pks, matrix, ann)
        t_exact, t_ann, t_filter, recalls, f_recalls = [], [], [], [], []
        subset = np.sort(rng.choice(pks, n // 10, replace=False))
        for q in queries:
            t = time.perf_counter()
            truth = [pk for pk, _ in exact.search(q, 10)]
            t_exact.append(time.perf_counter() - t)
            t = time.perf_counter()
            found = [pk for pk, _ in approx.search(q, 10)]
            t_ann.append(time.perf_counter() - t)
            recalls.append(len(set(found) & set(truth)) / 10)
            t = time.perf_counter()
            got = [pk for pk, _ in approx.search(q, 10, allowed=subset)]
            t_filter.append(time.perf_counter() - t)
            f_truth = [pk for pk, _ in exact.exact(q, 10, exact.rows_of(subset))]
            f_recalls.append(len(set(got) & set(f_truth)) / 10)
        print(f"{n:>9,} {pct(t_exact, 50):>8.1f}/{pct(t_exact, 95):<8.1f} {pct(t_ann, 50):>7.2f}/{pct(t_ann, 95):<8.2f} "
              f"{np.mean(recalls):>9.3f} {pct(t_exact, 50) / pct(t_ann, 50):>11.0f}x {build:>8.0f} "
              f"{pct(t_filter, 50):>14.1f}/{pct(t_filter, 95):<6.1f} {np.mean(f_recalls):>8.3f}"
              f"   (index +{max(0.0, rss_mb() - before):.0f} MB peak RSS)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
