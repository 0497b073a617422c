"""The vector index: exact search is the oracle; the approximate (IVF) index agrees with it on
clustered vectors and on the real MiniLM vectors shipped with the demo corpus, filtered search stays
exact, and the index file is reused, extended and pruned without retraining."""
from __future__ import annotations

import numpy as np
import pytest

from paperwire.index import vectors
from paperwire.index.ann import Ann, build_ann
from paperwire.index.vectors import VectorIndex, VectorIndexes


def clustered(n: int, dim: int = 64, clusters: int = 50, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim))
    data = centres[rng.integers(0, clusters, n)] + 0.35 * rng.standard_normal((n, dim))
    return (data / np.linalg.norm(data, axis=1, keepdims=True)).astype(np.float32)


def brute(matrix, pks, query, k, allowed=None):
    scores = matrix @ query
    order = [i for i in np.argsort(-scores, kind="stable") if allowed is None or pks[i] in allowed]
    return [int(pks[i]) for i in order[:k]]


@pytest.fixture(scope="module")
def data():
    matrix = clustered(4000)
    pks = np.arange(1, 4001, dtype=np.int64) * 3  # pks are not row numbers
    return pks, matrix


def test_exact_search_equals_brute_force(data):
    pks, matrix = data
    index = VectorIndex("m", pks, matrix)
    query = matrix[7]
    assert [pk for pk, _ in index.search(query, 10)] == brute(matrix, pks, query, 10)


def test_excluded_pks_never_appear(data):
    pks, matrix = data
    index = VectorIndex("m", pks, matrix)
    found = index.search(matrix[7], 10, exclude={int(pks[7])})
    assert int(pks[7]) not in [pk for pk, _ in found] and len(found) == 10


def test_ivf_recall_at_10_against_exact_is_at_least_095_on_clustered_vectors(data):
    pks, matrix = data
    index = VectorIndex("m", pks, matrix, build_ann(pks, matrix))
    queries = clustered(100, seed=1)
    recall = np.mean([len({pk for pk, _ in index.search(q, 10)} & set(brute(matrix, pks, q, 10))) / 10 for q in queries])
    assert recall >= 0.95


@pytest.mark.parametrize("share", [0.05, 0.5])
def test_filtered_search_is_exact_for_narrow_and_broad_filters(data, share):
    pks, matrix = data
    index = VectorIndex("m", pks, matrix, build_ann(pks, matrix))
    allowed = set(np.random.default_rng(2).choice(pks, int(len(pks) * share), replace=False).tolist())
    queries = clustered(30, seed=3)
    recall = np.mean([
        len({pk for pk, _ in index.search(q, 10, allowed=sorted(allowed))} & set(brute(matrix, pks, q, 10, allowed))) / 10
        for q in queries
    ])  # fmt: skip
    assert recall >= 0.95
    for q in queries[:5]:
        assert all(pk in allowed for pk, _ in index.search(q, 10, allowed=sorted(allowed)))


def test_a_filter_that_keeps_nothing_finds_nothing(data):
    pks, matrix = data
    assert VectorIndex("m", pks, matrix).search(matrix[0], 10, allowed=[]) == []


def test_an_empty_index_finds_nothing():
    assert VectorIndex("m", np.zeros(0, dtype=np.int64), np.zeros((0, 8), dtype=np.float32)).search(np.ones(8), 5) == []


def test_new_vectors_are_added_to_the_index_file_incrementally(data, tmp_path, store, monkeypatch):
    pks, matrix = data
    path = tmp_path / "vectors.ivf"
    first = vectors.load_or_build_ann(path, pks[:3000], matrix[:3000])
    assert path.exists() and len(first) == 3000
    second = vectors.load_or_build_ann(path, pks, matrix)
    assert len(second) == 4000 and bool(np.all(second.contains(pks)))
    assert np.array_equal(centroids(first), centroids(second))  # added, not retrained
    again = Ann.restore(path)
    assert len(again) == 4000 and bool(np.all(again.contains(pks)))


def test_vectors_gone_from_the_database_are_dropped_from_the_index_file(data, tmp_path, store):
    pks, matrix = data
    path = tmp_path / "vectors.ivf"
    vectors.load_or_build_ann(path, pks, matrix)
    kept = pks[::2]
    ann = vectors.load_or_build_ann(path, kept, matrix[::2])
    assert len(ann) == len(kept) and not ann.contains(pks[1::2]).any()
    assert len(Ann.restore(path)) == len(kept)


def test_an_index_file_the_corpus_outgrew_is_rebuilt_with_more_lists(data, tmp_path, store):
    pks, matrix = data
    path = tmp_path / "vectors.ivf"
    small = vectors.load_or_build_ann(path, pks[:200], matrix[:200])
    grown = vectors.load_or_build_ann(path, pks, matrix)
    assert grown.nlist > 2 * small.nlist and len(grown) == len(pks)


def test_an_index_file_of_an_older_kind_is_rebuilt_as_fast_scan(data, tmp_path, store):
    import faiss

    pks, matrix = data
    path = tmp_path / "vectors.ivf"
    old = faiss.IndexIVFFlat(faiss.IndexFlatIP(matrix.shape[1]), matrix.shape[1], 64, faiss.METRIC_INNER_PRODUCT)
    old.train(matrix)
    old.add_with_ids(matrix, pks)
    faiss.write_index(old, str(path))  # the IVF-flat file an earlier version wrote
    ann = vectors.load_or_build_ann(path, pks, matrix)
    assert isinstance(ann.index, faiss.IndexIVFPQFastScan) and len(ann) == len(pks)
    assert isinstance(Ann.restore(path).index, faiss.IndexIVFPQFastScan)


def centroids(ann) -> np.ndarray:
    import faiss

    return faiss.rev_swig_ptr(faiss.downcast_index(ann.index.quantizer).get_xb(), ann.nlist * ann.ndim).copy()


def test_filtered_search_over_a_5_percent_subset_equals_exact(data):
    pks, matrix = data
    index = VectorIndex("m", pks, matrix, build_ann(pks, matrix))
    allowed = np.sort(np.random.default_rng(4).choice(pks, len(pks) // 20, replace=False))
    for q in clustered(10, seed=5):
        assert index.search(q, 10, allowed=allowed) == index.exact(q, 10, index.rows_of(allowed))


def test_a_broad_filter_goes_through_the_ivf_index_and_probes_more_lists(data, monkeypatch):
    pks, matrix = data
    ann = build_ann(pks, matrix)
    index = VectorIndex("m", pks, matrix, ann)
    used = []
    monkeypatch.setattr(index, "exact", lambda *a, **k: used.append("exact") or [])
    allowed = pks[: len(pks) // 2]
    found = index.search(matrix[3], 10, allowed=allowed)
    assert used == [] and len(found) == 10 and {pk for pk, _ in found} <= set(allowed.tolist())
    assert ann.probes(0.5) > ann.probes()


def test_ivf_recall_at_10_is_at_least_095_on_the_real_minilm_vectors():
    """The 14.8k all-MiniLM-L6-v2 vectors bundled with the demo corpus: 300 held out as queries."""
    from paperwire.index import embeddings

    real = embeddings.read_bundle(embeddings.BUNDLED)[3].astype(np.float32)
    perm = np.random.default_rng(0).permutation(len(real))
    queries, base = real[perm[:300]], real[np.sort(perm[300:])]
    pks = np.arange(1, len(base) + 1, dtype=np.int64)
    index = VectorIndex("m", pks, base, build_ann(pks, base))
    recall = np.mean([len({pk for pk, _ in index.search(q, 10)} & {pk for pk, _ in index.exact(q, 10)}) / 10
                      for q in queries])  # fmt: skip
    assert recall >= 0.95


def test_a_large_index_builds_its_file_in_the_background_and_stays_correct(store, tmp_path, monkeypatch):
    import time

    from paperwire.index import embeddings
    from paperwire.index.embedder import FakeEmbedder
    from tests.factories import ingest, make_record

    ingest(store, [make_record(title=f"Paper about topic {n} and theme {n % 7}") for n in range(40)])  # fmt: skip
    embedder = FakeEmbedder()
    embeddings.embed_missing(store, embedder, bundled=None)
    monkeypatch.setattr(vectors, "ANN_MIN", 10)
    path = tmp_path / "ann.ivf"
    index = VectorIndexes(store, lambda model: path).get(embedder.name)
    query = embedder.encode(["topic 3 theme 3"])[0]
    exact = index.exact(query, 5)
    assert index.search(query, 5) == exact  # exact while the graph builds
    deadline = time.monotonic() + 20
    while index.ann is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert index.ann is not None and path.exists()
    assert [pk for pk, _ in index.search(query, 5)] == [pk for pk, _ in exact]


def test_rebuild_writes_the_index_file_from_the_stored_vectors(store, tmp_path):
    from paperwire.index import embeddings
    from paperwire.index.embedder import FakeEmbedder
    from tests.factories import ingest, make_record

    ingest(store, [make_record(title=f"Rebuilt paper {n} on theme {n % 5}") for n in range(60)])  # fmt: skip
    embedder = FakeEmbedder()
    embeddings.embed_missing(store, embedder, bundled=None)
    path = tmp_path / "db.fake.ivf"
    index = vectors.rebuild(store, embedder.name, path)
    assert len(index) == 60 and path.exists()
    restored = Ann.restore(path)
    assert len(restored) == 60 and bool(np.all(restored.contains(index.pks)))


def _embedded_store(store, n: int, word: str = "topic"):
    from paperwire.index import embeddings
    from paperwire.index.embedder import FakeEmbedder
    from tests.factories import ingest, make_record

    ingest(store, [make_record(title=f"Paper about {word} {i}") for i in range(n)])
    embedder = FakeEmbedder()
    embeddings.embed_missing(store, embedder, bundled=None)
    return embedder


def test_an_unchanged_database_is_not_asked_again_for_its_stored_vectors(store, monkeypatch):
    from paperwire.store import embeddings

    embedder = _embedded_store(store, 5)
    calls = []
    real = embeddings.signature
    monkeypatch.setattr(embeddings, "signature", lambda conn, model: calls.append(model) or real(conn, model))
    monkeypatch.setattr(vectors, "SIGNATURE_TTL", 0.0)
    indexes = VectorIndexes(store, lambda model: None)
    first = indexes.get(embedder.name)
    assert indexes.get(embedder.name) is first and len(calls) == 1
    _embedded_store(store, 2, word="other")  # a commit: the stored vectors are checked, and reloaded
    assert len(indexes.get(embedder.name)) == 7 and len(calls) == 2


def test_a_large_index_is_reloaded_in_the_background_while_searches_use_the_one_in_hand(store, monkeypatch, tmp_path):
    import time

    embedder = _embedded_store(store, 12)
    monkeypatch.setattr(vectors, "ANN_MIN", 10)
    monkeypatch.setattr(vectors, "SIGNATURE_TTL", 0.0)
    indexes = VectorIndexes(store, lambda model: tmp_path / "ann.ivf")
    first = indexes.get(embedder.name)
    _embedded_store(store, 3, word="other")
    assert indexes.get(embedder.name) is first  # returned at once, reloading behind
    deadline = time.monotonic() + 20
    while len(indexes.get(embedder.name)) != 15 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(indexes.get(embedder.name)) == 15


def test_a_read_only_filter_array_is_prepared_once_per_index(data):
    pks, matrix = data
    index = VectorIndex("m", pks, matrix, build_ann(pks, matrix))
    allowed = pks[::2].copy()
    assert index.subset(allowed) is not index.subset(allowed)  # writable: it could change in place
    allowed.flags.writeable = False
    first = index.subset(allowed)
    assert index.subset(allowed) is first and np.array_equal(first.keep, allowed)
    assert index.subset(allowed.copy()) is not first
