"""Diversity for recommendation lists (pure): maximal marginal relevance, so a list is not ten
near-copies of one paper, and the choice of papers a new user is asked to rate first.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def _unit(vectors):
    """Rows scaled to unit length; a sparse matrix (TF-IDF rows) stays sparse."""
    if sp.issparse(vectors):
        v = sp.csr_matrix(vectors, dtype=np.float32)
        norms = np.sqrt(np.asarray(v.multiply(v).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sp.csr_matrix(sp.diags(1.0 / norms) @ v)
    v = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return v / norms


def _similarity_to(unit, row: int) -> np.ndarray:
    if sp.issparse(unit):
        return np.asarray((unit @ unit[row].T).todense()).ravel()
    return unit @ unit[row]


def _scaled(scores: np.ndarray) -> np.ndarray:
    s = np.asarray(scores, dtype=np.float64)
    if not len(s):
        return s
    low, high = float(s.min()), float(s.max())
    return np.zeros_like(s) if high - low < 1e-12 else (s - low) / (high - low)


def _greedy(aim, unit, k: int, trade_off: float) -> list[int]:
    """Greedy MMR: at each step the item with the best ``trade_off * aim(step) - (1 - trade_off) *
    (max similarity to the items already chosen)``."""
    n = unit.shape[0]
    closest = np.zeros(n)  # max similarity of each item to the chosen ones
    available = np.ones(n, dtype=bool)
    chosen: list[int] = []
    for step in range(min(k, n)):
        value = trade_off * aim(step) - (1.0 - trade_off) * closest
        value[~available] = -np.inf
        pick = int(np.argmax(value))
        chosen.append(pick)
        available[pick] = False
        closest = np.maximum(closest, _similarity_to(unit, pick))
    return chosen


def mmr(scores: np.ndarray, vectors, k: int, *, trade_off: float = 0.75) -> list[int]:
    """Indices of ``k`` items chosen greedily by ``trade_off * relevance - (1 - trade_off) * max cosine
    to the items already chosen`` (relevance = scores scaled to [0, 1]). ``trade_off=1`` is the plain
    ranking; ``vectors`` are dense embeddings or sparse TF-IDF rows; an all-zero row counts as unlike
    everything."""
    if len(scores) == 0 or k <= 0:
        return []
    relevance = _scaled(scores)
    return _greedy(lambda _step: relevance, _unit(vectors), k, trade_off)


def pick_to_rate(scores: np.ndarray, vectors, k: int = 10, *, pool: int = 200, trade_off: float = 0.6) -> list[int]:
    """Papers to ask a new user about, chosen to learn fastest: from the ``pool`` best matches, half
    likely hits (highest scores) and half uncertain ones (scores nearest the pool's middle, where a
    rating moves the model most), every pick kept away from the topics already picked (MMR). Returns
    indices into ``scores``, best first."""
    n = len(scores)
    if n == 0 or k <= 0:
        return []
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")[: max(k, min(pool, n))]
    rel = _scaled(np.asarray(scores)[order])
    uncertainty = 1.0 - np.abs(rel - 0.5) * 2.0  # 1 at the pool's middle score, 0 at its ends
    unit = _unit(vectors[order] if sp.issparse(vectors) else np.asarray(vectors)[order])
    half = (min(k, len(order)) + 1) // 2
    picked = _greedy(lambda step: rel if step < half else uncertainty, unit, k, trade_off)
    return [int(order[i]) for i in sorted(picked, key=lambda i: -rel[i])]
