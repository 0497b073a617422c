"""The vectors shipped with the demo corpus (src/paperwire/data/demo_embeddings.npz) fit the corpus
and are the model's vectors: a sample is re-embedded with the real model (slow)."""
from __future__ import annotations

import numpy as np
import pytest

from paperwire.index import embeddings
from paperwire.index.embedder import MINILM, paper_text, text_hash


@pytest.fixture(scope="module")
def bundle():
    if not embeddings.BUNDLED.exists():
        pytest.skip(f"{embeddings.BUNDLED} not built (scripts/build_demo_embeddings.py)")
    return embeddings.read_bundle(embeddings.BUNDLED)


@pytest.fixture(scope="module")
def demo_papers(tmp_path_factory):
    from paperwire.services.ingest import ingest_demo
    from paperwire.store import Store

    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('demo')}/demo.db", upgrade=True)
    ingest_demo(store)
    yield store
    store.close()


def test_the_bundle_is_small_and_of_the_packaged_model(bundle):
    model, ids, hashes, vectors = bundle
    assert model == MINILM and vectors.shape == (len(ids), 384) and len(hashes) == len(ids)
    assert embeddings.BUNDLED.stat().st_size <= 10_000_000


@pytest.mark.slow
def test_the_bundle_covers_the_demo_corpus_and_matches_the_model(bundle, demo_papers, tmp_path_factory):
    from paperwire.index.embedder import OnnxEmbedder

    model, ids, hashes, vectors = bundle
    row = {pid: i for i, pid in enumerate(ids)}
    papers = demo_papers.papers_by_ids(ids)
    current = sum(hashes[row[p.id]] == text_hash(p.title, p.summary) for p in papers)
    assert current >= 0.99 * demo_papers.stats()["papers"]
    sample = [papers[i] for i in np.random.default_rng(0).choice(len(papers), 12, replace=False)]
    fresh = OnnxEmbedder(tmp_path_factory.mktemp("models")).encode([paper_text(p.title, p.summary) for p in sample])
    shipped = np.stack([vectors[row[p.id]] for p in sample])
    assert np.min(np.sum(fresh * shipped, axis=1)) > 0.999
