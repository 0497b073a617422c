"""Fusing ranked lists from keyword and vector search (pure functions, no I/O).

Each input is a list of ``(key, score)`` pairs, best first, larger score better. Two methods:

- :func:`rrf` — reciprocal-rank fusion: ``sum_i w_i / (k + rank_i)``; ignores the scores.
- :func:`score_fusion` — each list's scores normalised to [0, 1] (min-max) or to z-scores, then a
  weighted sum; a key missing from a list gets that list's floor (0 after min-max, the list's
  minimum z-score), as if it ranked just below the last result.

:data:`DEFAULT` is the method and weights chosen on SciFact's *train* queries by
``benchmarks/search_quality.py`` (see the README for the test-query figures).
"""
from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Literal

Ranked = Sequence[tuple[Hashable, float]]


@dataclass(frozen=True, slots=True)
class Fusion:
    """How to fuse a keyword and a vector list: ``method`` and the vector list's weight (the
    keyword list gets ``1 - vector_weight``); ``k`` is RRF's constant."""

    method: Literal["rrf", "minmax", "zscore"] = "minmax"
    vector_weight: float = 0.5
    k: int = 60

    def __call__(self, keyword: Ranked, vector: Ranked) -> list[tuple[Hashable, float]]:
        weights = (1.0 - self.vector_weight, self.vector_weight)
        if self.method == "rrf":
            return rrf([keyword, vector], weights=weights, k=self.k)
        return score_fusion([keyword, vector], weights=weights, normalise=self.method)


# chosen on SciFact's 809 train queries by benchmarks/search_quality.py (best train nDCG@10 0.739 among
# RRF k=20/60, min-max and z-score at vector weights 0.3-0.7): z-score fusion, vector weight 0.4
DEFAULT = Fusion("zscore", 0.4)


def _ordered(scores: dict) -> list[tuple[Hashable, float]]:
    # best first; ties keep the order in which keys were first seen (stable sort)
    return sorted(scores.items(), key=lambda kv: -kv[1])


def rrf(lists: Sequence[Ranked], *, weights: Sequence[float] | None = None, k: int = 60) -> list[tuple[Hashable, float]]:
    """Reciprocal-rank fusion of ranked lists (rank 1 = best)."""
    if k < 0:
        raise ValueError("k must be >= 0")
    weights = list(weights) if weights is not None else [1.0] * len(lists)
    if len(weights) != len(lists):
        raise ValueError("one weight per list")
    fused: dict = {}
    for ranked, weight in zip(lists, weights):
        for rank, (key, _score) in enumerate(ranked, start=1):
            fused[key] = fused.get(key, 0.0) + weight / (k + rank)
    return _ordered(fused)


def minmax(ranked: Ranked) -> dict:
    """Scores scaled to [0, 1]; all-equal scores become 1."""
    if not ranked:
        return {}
    values = [s for _, s in ranked]
    low, high = min(values), max(values)
    if not math.isfinite(low) or not math.isfinite(high) or high == low:
        return {key: 1.0 for key, _ in ranked}
    return {key: (s - low) / (high - low) for key, s in ranked}


def zscores(ranked: Ranked) -> dict:
    """Scores as z-scores within the list; a constant list becomes all zeros."""
    if not ranked:
        return {}
    values = [s for _, s in ranked]
    mean = sum(values) / len(values)
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
    if not math.isfinite(sd) or sd == 0:
        return {key: 0.0 for key, _ in ranked}
    return {key: (s - mean) / sd for key, s in ranked}


def score_fusion(lists: Sequence[Ranked], *, weights: Sequence[float] | None = None,
                 normalise: Literal["minmax", "zscore"] = "minmax") -> list[tuple[Hashable, float]]:  # fmt: skip
    """Weighted sum of normalised scores; a key absent from a list gets that list's lowest value."""
    weights = list(weights) if weights is not None else [1.0] * len(lists)
    if len(weights) != len(lists):
        raise ValueError("one weight per list")
    norm = minmax if normalise == "minmax" else zscores
    normed = [norm(ranked) for ranked in lists]
    floors = [min(n.values()) if n and normalise == "zscore" else 0.0 for n in normed]
    keys: dict = {}
    for ranked in lists:
        for key, _ in ranked:
            keys.setdefault(key, None)
    fused = {key: sum(w * n.get(key, floor) for n, w, floor in zip(normed, weights, floors)) for key in keys}
    return _ordered(fused)


def blend_related(pks: Sequence[Hashable], vector: Sequence[float], terms: Sequence[float],
                  vector_weight: float = 0.7) -> list[tuple[Hashable, float]]:  # fmt: skip
    """Related papers: ``vector_weight`` × z-score of embedding cosine + the rest × z-score of TF-IDF
    cosine, over the same candidates; best first (ties by key). The weight 0.7 comes from the reference
    measurement on citeulike-a citation neighbours (../shared/design/BENCHMARKS.md), not from our run."""
    import numpy as np

    v, t = np.asarray(vector, dtype=np.float64), np.asarray(terms, dtype=np.float64)

    def z(x):
        sd = float(x.std())
        return np.zeros_like(x) if sd < 1e-12 else (x - x.mean()) / sd

    total = vector_weight * z(v) + (1.0 - vector_weight) * z(t)
    return sorted(zip(pks, total.tolist()), key=lambda kv: (-kv[1], kv[0]))
