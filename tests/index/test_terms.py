"""TF-IDF term features: hashed 1–2-grams, document-frequency weights, and the corpus cache kept up to
date incrementally beside the database (SQLite and PostgreSQL)."""
from __future__ import annotations

import numpy as np

from paperwire.index import terms
from tests.factories import load, make_record


def test_a_term_lands_in_the_column_the_vectorizer_gives_it():
    row = terms.counts(["speech separation"])
    assert set(row.indices) == {terms.column_of(t) for t in ("speech", "separation", "speech separation")}


def test_rows_are_unit_length_and_stop_words_carry_no_weight():
    X, weights = terms.features(["the diffusion model of video", "speech and audio models", "graph of the nodes"])
    assert np.allclose(np.sqrt(X.multiply(X).sum(axis=1)).A.ravel(), 1.0)
    assert terms.column_of("the") not in set(terms.counts(["the of and"]).indices)


def test_top_terms_prefers_a_bigram_over_the_words_inside_it():
    text = "Video diffusion for text-to-video generation"
    weights = np.zeros(terms.N_FEATURES, dtype=np.float32)
    weights[terms.column_of("video diffusion")] = 3.0
    weights[terms.column_of("video")] = 2.0
    weights[terms.column_of("generation")] = 1.0
    assert terms.top_terms(text, weights, k=2) == ["video diffusion", "generation"]


def test_the_cache_adds_new_papers_and_recomputes_changed_ones(store, tmp_path):
    path = tmp_path / "t.terms.npz"
    load(store, make_record(id="2601.00001", title="Speech separation"), make_record(id="2601.00002", title="Graph pooling"))
    first = terms.build(store, path)
    assert len(first) == 2 and path.exists()
    load(store, make_record(id="2601.00003", title="Video diffusion"),
            make_record(id="2601.00001", title="Robot grasping", updated="2026-02-01"))  # a newer version
    second = terms.build(store, path)  # from the file: only the new and the changed paper are analysed
    assert len(second) == 3
    pk = {p.id: p.pk for p in store.papers_by_ids(["2601.00001", "2601.00003"])}
    row = second.raw[second.rows_of([pk["2601.00001"]])[0]]
    assert terms.column_of("grasping") in set(row.indices) and terms.column_of("speech") not in set(row.indices)
    fresh = terms.build(store, None)  # the same as computing everything again
    assert (abs(fresh.raw - second.raw)).sum() == 0
