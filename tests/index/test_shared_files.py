"""Worker processes share the read-only indexes: the stored vectors and the TF-IDF matrix are read
through memory maps of files beside the database (one copy in the OS page cache, not one per
process), written by whichever process needs a version first, and a new version written by one
context is what another context on the same database maps next."""
from __future__ import annotations

import numpy as np
import pytest

from paperwire.context import Paperwire
from paperwire.settings import Settings
from paperwire.store import Store
from tests.factories import fake_embeddings, load, make_record


@pytest.fixture
def two_workers(tmp_path):
    """Two contexts on one SQLite database, as two worker processes of one server have."""
    url = f"sqlite:///{tmp_path / 'paperwire.db'}"
    stores = [Store.open(url, upgrade=True), Store.open(url)]
    contexts = [Paperwire(Settings(database_url=url, data_dir=tmp_path), s) for s in stores]
    load(stores[0], *[make_record(id=f"2601.{i:05d}", title=f"Graph paper {i}", published="2026-01-14") for i in range(8)])
    yield contexts
    for pw, store in zip(contexts, stores):
        pw.close()
        store.close()


def backed_by_a_map(array) -> bool:
    """Whether ``array`` is a view of a memory-mapped file (not a copy of one)."""
    while array is not None and not isinstance(array, np.memmap):
        array = getattr(array, "base", None)
    return array is not None


def mapped_files() -> set[str]:
    return {line.split()[-1] for line in open("/proc/self/maps") if line.rstrip().endswith(".npy")}


def test_vectors_are_memory_mapped_from_a_file_beside_the_database(two_workers, tmp_path):
    first, _ = two_workers
    model = fake_embeddings(first).name
    index = first.vectors.get(model, now=True)
    assert isinstance(index.matrix, np.memmap) and len(index) == 8
    assert str(tmp_path) in str(index.matrix.filename)
    assert str(index.matrix.filename) in mapped_files()


def test_two_contexts_map_the_same_vector_file(two_workers):
    first, second = two_workers
    model = fake_embeddings(first).name
    second.use_embedder(first.embedder())
    assert first.vectors.get(model, now=True).matrix.filename == second.vectors.get(model, now=True).matrix.filename


def test_vectors_added_by_one_context_are_seen_by_the_other(two_workers):
    first, second = two_workers
    model = fake_embeddings(first).name
    second.use_embedder(first.embedder())
    assert len(second.vectors.get(model, now=True)) == 8
    load(first.store, make_record(id="2601.00099", title="A new graph paper", published="2026-01-15"))
    fake_embeddings(first)
    first.vectors.get(model, now=True)
    index = second.vectors.get(model, now=True)
    assert len(index) == 9 and isinstance(index.matrix, np.memmap)


def test_the_term_matrix_is_memory_mapped_and_shared(two_workers):
    first, second = two_workers
    mine, theirs = first.terms.get(now=True), second.terms.get(now=True)
    for T in (mine, theirs):
        assert all(backed_by_a_map(a) for a in (T.matrix.data, T.matrix.indices, T.matrix.indptr))
    assert mine.matrix.shape == theirs.matrix.shape and len(mine) == 8
    assert any(name.endswith(".data.npy") for name in mapped_files())


def test_new_papers_change_the_shared_term_matrix(two_workers):
    first, second = two_workers
    assert len(second.terms.get(now=True)) == 8
    load(first.store, make_record(id="2601.00099", title="A new graph paper", published="2026-01-15"))
    assert len(first.terms.get(now=True)) == 9
    assert len(second.terms.get(now=True)) == 9
