"""MMR and the choice of papers to rate first (pure)."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from paperwire.rank.diversity import mmr, pick_to_rate


def _cluster_vectors() -> np.ndarray:
    """Items 0-4: near-copies along one axis; items 5-7: another topic."""
    rng = np.random.default_rng(1)
    a = np.array([1.0, 0, 0]) + rng.normal(0, 0.01, (5, 3))
    b = np.array([0, 1.0, 0]) + rng.normal(0, 0.01, (3, 3))
    return np.vstack([a, b]).astype(np.float32)


def test_mmr_with_full_relevance_weight_is_the_plain_ranking():
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2])
    assert mmr(scores, _cluster_vectors(), 4, trade_off=1.0) == [0, 1, 2, 3]


def test_mmr_brings_the_second_topic_up_instead_of_near_copies():
    scores = np.array([0.9, 0.88, 0.87, 0.86, 0.85, 0.7, 0.6, 0.5])
    picked = mmr(scores, _cluster_vectors(), 3, trade_off=0.6)
    assert picked[0] == 0 and 5 in picked


def test_mmr_works_on_sparse_term_rows():
    X = sp.csr_matrix(_cluster_vectors())
    scores = np.array([0.9, 0.88, 0.87, 0.86, 0.85, 0.7, 0.6, 0.5])
    assert 5 in mmr(scores, X, 3, trade_off=0.6)


def test_mmr_returns_at_most_the_items_there_are():
    assert mmr(np.array([1.0, 2.0]), np.eye(2), 5) == [1, 0]
    assert mmr(np.array([]), np.zeros((0, 2)), 3) == []


def test_papers_to_rate_mix_likely_and_uncertain_ones_across_topics():
    rng = np.random.default_rng(3)
    centres = np.eye(4, 16)
    vectors = np.vstack([c + rng.normal(0, 0.05, (50, 16)) for c in centres]).astype(np.float32)
    scores = np.concatenate([rng.uniform(0.6, 1.0, 50), rng.uniform(0.3, 0.7, 50), rng.uniform(0.0, 0.4, 100)])
    picked = pick_to_rate(scores, vectors, 10, pool=120)
    assert len(set(picked)) == 10
    assert np.argmax(scores) in picked or max(scores[picked]) > np.quantile(scores, 0.9)  # some likely hits
    assert sum(50 <= i < 100 for i in picked) >= 2  # and uncertain ones from the middle
    assert len({i // 50 for i in picked}) >= 2  # more than one topic
    assert list(scores[picked]) == sorted(scores[picked], reverse=True)  # shown best first
