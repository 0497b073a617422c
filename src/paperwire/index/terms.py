"""Sparse TF-IDF term features of papers (1–2-grams), for the per-user recommendation model, the
"matches: …" reasons and the TF-IDF half of related papers.

Terms are hashed into a fixed number of columns (scikit-learn's ``HashingVectorizer``), so there is no
vocabulary to fit: a new paper's row is computed on its own, and the document frequencies behind the
IDF weights are plain column counts that grow with each ingest. Columns that are too rare (fewer than
``min_df`` papers) or too common (more than ``max_df`` of them) get weight 0, as arxiv-sanity's
vocabulary does. The rows of the whole corpus are cached in a file beside the database and brought up
to date incrementally (new or updated papers only); the file is a cache and can always be deleted.
"""
from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, HashingVectorizer

from paperwire.store import Store
from paperwire.store import corpus

log = logging.getLogger(__name__)

N_FEATURES = 2**20
TOKEN = r"(?u)\b[^\W\d_][\w-]*\w\b"  # words of 2+ characters that start with a letter (keeps "gpt-4", "3d" no)
MIN_DF = 3
MAX_DF = 0.1
BATCH = 5_000


def _hasher() -> HashingVectorizer:
    return HashingVectorizer(
        n_features=N_FEATURES, ngram_range=(1, 2), stop_words="english", token_pattern=TOKEN, lowercase=True,
        strip_accents="unicode", alternate_sign=False, norm=None, dtype=np.float32,
    )  # fmt: skip


_HASHER = _hasher()
_ANALYZE = _HASHER.build_analyzer()


def paper_terms_text(title: str, summary: str) -> str:
    """The text whose terms represent a paper: the title counts twice (it is the densest summary)."""
    return f"{title} {title} {summary or ''}"


def counts(texts: list[str]) -> sp.csr_matrix:
    """Raw term counts, one row per text (float32, hashed columns)."""
    return _HASHER.transform(texts).tocsr()


def analyze(text: str) -> list[str]:
    """The terms (unigrams and bigrams) of ``text`` as the features see them."""
    return _ANALYZE(text)


def column_of(term: str) -> int:
    """The hashed column of one term (the same the vectorizer gives it)."""
    from sklearn.utils import murmurhash3_32

    return abs(int(murmurhash3_32(term, seed=0))) % N_FEATURES


@dataclass
class TermWeights:
    """IDF weights from document frequencies; rare and very common columns weigh 0."""

    idf: np.ndarray  # float32 (N_FEATURES,)
    n_docs: int

    @classmethod
    def from_counts(cls, matrix: sp.csr_matrix, *, min_df: int = MIN_DF, max_df: float = MAX_DF) -> "TermWeights":
        df = np.bincount(matrix.indices, minlength=matrix.shape[1]).astype(np.float64)
        return cls.from_df(df, matrix.shape[0], min_df=min_df, max_df=max_df)

    @classmethod
    def from_df(cls, df: np.ndarray, n_docs: int, *, min_df: int = MIN_DF, max_df: float = MAX_DF) -> "TermWeights":
        idf = np.log((1.0 + n_docs) / (1.0 + df)) + 1.0  # scikit-learn's smoothed IDF
        # in a small corpus (tests, a new instance) the "too common" cut would remove whole topics
        keep = (df >= min(min_df, max(1, n_docs // 50))) & (df <= max(max_df * n_docs, 50))
        return cls(np.where(keep, idf, 0.0).astype(np.float32), int(n_docs))

    def transform(self, raw: sp.csr_matrix) -> sp.csr_matrix:
        """Sublinear tf × idf, rows scaled to unit length (zero rows stay zero)."""
        out = raw.astype(np.float32, copy=True).tocsr()
        np.log1p(out.data, out=out.data)
        out = out @ sp.diags(self.idf)
        out = out.tocsr()
        out.eliminate_zeros()
        norms = np.sqrt(np.asarray(out.multiply(out).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return (sp.diags(1.0 / norms).astype(np.float32) @ out).tocsr()


def features(texts: list[str], weights: TermWeights | None = None) -> tuple[sp.csr_matrix, TermWeights]:
    """TF-IDF rows of ``texts`` (weights fitted on them unless given)."""
    raw = counts(texts)
    weights = weights or TermWeights.from_counts(raw)
    return weights.transform(raw), weights


def top_terms(text: str, weights_by_column, k: int = 3) -> list[str]:
    """The ``k`` terms of ``text`` whose columns weigh most in ``weights_by_column`` (an array over all
    columns, or a dict column -> weight; positive only); a bigram hides the unigrams inside it, so
    "diffusion model" is not followed by "diffusion"."""
    get = weights_by_column.get if isinstance(weights_by_column, dict) else weights_by_column.__getitem__
    scored: dict[str, float] = {}
    for term in set(analyze(text)):
        w = float(get(column_of(term)) or 0.0)
        if w > 0:
            scored[term] = w
    chosen: list[str] = []
    for term in sorted(scored, key=lambda s: (-scored[s], s)):
        words = set(term.split())
        if any(words <= set(c.split()) or set(c.split()) <= words for c in chosen):
            continue
        chosen.append(term)
        if len(chosen) == k:
            break
    return chosen


# -- the corpus matrix, cached beside the database ------------------------------------------------------
@dataclass
class TermIndex:
    pks: np.ndarray  # int64 ascending
    updated: np.ndarray  # float64 epoch seconds of papers.updated/published when the row was computed
    raw: sp.csr_matrix | None  # counts, rows aligned with pks (None when shared: read from the cache file)
    weights: TermWeights
    matrix: sp.csr_matrix  # TF-IDF rows, unit length
    published: np.ndarray = field(default_factory=lambda: np.zeros(0))  # UTC epoch seconds, aligned with pks
    _signature: tuple = field(default=(), repr=False)

    def published_between(self, since: datetime | None, until: datetime | None) -> np.ndarray:
        """The pks published in [since, until), ascending (from memory: no database query)."""
        keep = np.ones(len(self.pks), dtype=bool)
        if since is not None:
            keep &= self.published >= utc_seconds(since)
        if until is not None:
            keep &= self.published < utc_seconds(until)
        return self.pks[keep]

    def __len__(self) -> int:
        return len(self.pks)

    def rows_of(self, pks) -> np.ndarray:
        pks = np.asarray(pks, dtype=np.int64)
        if not len(self.pks) or not len(pks):
            return np.zeros(0, dtype=np.int64)
        at = np.clip(np.searchsorted(self.pks, pks), 0, len(self.pks) - 1)
        return at[self.pks[at] == pks]


def utc_seconds(when: datetime) -> float:
    """Epoch seconds of a naive UTC datetime (as the store keeps them)."""
    return when.replace(tzinfo=timezone.utc).timestamp()


def _stamp(updated, published) -> float:
    when = updated or published
    return when.timestamp() if when is not None else 0.0


def cache_path(store: Store, data_dir: Path) -> Path:
    database = store.engine.url.database if store.dialect == "sqlite" else None
    if database and database != ":memory:":
        return Path(database).resolve().with_suffix(".terms.npz")
    url = store.engine.url  # the schema (search_path option) is part of which corpus this is
    tag = hashlib.blake2b(url.render_as_string(hide_password=True).encode(), digest_size=4).hexdigest()
    return Path(data_dir) / f"{url.host}-{url.database}-{tag}.terms.npz"


def _read(path: Path):
    try:
        with np.load(path, allow_pickle=False) as f:
            raw = sp.csr_matrix((f["data"], f["indices"], f["indptr"]), shape=tuple(f["shape"]))
            if raw.shape[1] != N_FEATURES or f["version"][0] != 1:
                return None
            return f["pks"].astype(np.int64), f["updated"].astype(np.float64), raw
    except (OSError, KeyError, ValueError) as err:
        log.info("term cache %s unreadable (%s); rebuilding", path, err)
        return None


def _write(path: Path, pks: np.ndarray, updated: np.ndarray, raw: sp.csr_matrix) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, pks=pks, updated=updated, data=raw.data, indices=raw.indices, indptr=raw.indptr,
             shape=np.array(raw.shape), version=np.array([1]))  # fmt: skip
    tmp.replace(path)


def build(store: Store, path: Path | None, *, previous: TermIndex | None = None, progress=None) -> TermIndex:
    """Bring the corpus matrix up to date: rows for new or changed papers only (from ``previous`` or
    the cache file), rows of deleted papers dropped; saved to ``path`` when one is given."""
    with store.reading():
        sig = corpus.signature(store)
        current = corpus.stamps(store)
    pks = np.array([r[0] for r in current], dtype=np.int64)
    stamps = np.array([_stamp(r[1], r[2]) for r in current], dtype=np.float64)
    published = np.array([utc_seconds(r[2]) if r[2] is not None else 0.0 for r in current], dtype=np.float64)
    if previous is not None and previous.raw is not None:
        old = (previous.pks, previous.updated, previous.raw)
    else:  # a shared (memory-mapped) index keeps no counts in memory: they are in the cache file
        old = _read(path) if path and path.exists() else None
    raw = sp.csr_matrix((len(pks), N_FEATURES), dtype=np.float32)
    todo = np.ones(len(pks), dtype=bool)
    if old is not None:
        old_pks, old_stamps, old_raw = old
        at = np.clip(np.searchsorted(old_pks, pks), 0, max(0, len(old_pks) - 1))
        same = (old_pks[at] == pks) & (old_stamps[at] == stamps) if len(old_pks) else np.zeros(len(pks), bool)
        todo = ~same
        keep_rows = np.flatnonzero(same)
        # rows kept from the old matrix, placed by a selection matrix (no Python loop over rows)
        pick = sp.csr_matrix((np.ones(len(keep_rows), np.float32), (keep_rows, at[keep_rows])), shape=(len(pks), old_raw.shape[0]))
        raw = (pick @ old_raw).tocsr()
    changed = np.flatnonzero(todo)
    if len(changed):
        parts = [raw]
        fresh_rows = []
        title_of = {}
        with store.reading():
            for start in range(0, len(changed), BATCH):
                chunk = pks[changed[start : start + BATCH]].tolist()
                rows = corpus.texts_by_pk(store, chunk)
                title_of = {pk: paper_terms_text(title, summary) for pk, (title, summary) in rows.items()}
                block = counts([title_of.get(pk, "") for pk in chunk])
                fresh_rows.append((changed[start : start + BATCH], block))
                if progress:
                    progress(len(chunk))
        for rows, block in fresh_rows:
            place = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, np.arange(len(rows)))), shape=(len(pks), block.shape[0]))
            parts.append((place @ block).tocsr())
        raw = sum(parts[1:], parts[0]).tocsr()
        if path is not None:
            _write(path, pks, stamps, raw)
    weights = TermWeights.from_counts(raw) if len(pks) else TermWeights(np.zeros(N_FEATURES, np.float32), 0)
    return TermIndex(pks, stamps, raw, weights, weights.transform(raw), published, _signature=sig)


SIGNATURE_TTL = 5.0  # seconds between checks of the papers for changes
SHARED_PARTS = ("pks", "updated", "published", "idf", "data", "indices", "indptr")


def _shared_files(path: Path, sig: tuple) -> dict[str, Path]:
    tag = hashlib.blake2b(repr(sig).encode(), digest_size=8).hexdigest()
    return {part: path.with_name(f"{path.name}.{tag}.{part}.npy") for part in SHARED_PARTS}


def read_shared(path: Path, sig: tuple) -> TermIndex | None:
    """The TF-IDF index of the corpus at signature ``sig`` from the files :func:`share` wrote (by this
    process or another worker), memory-mapped read-only; None when they are missing or unreadable."""
    files = _shared_files(path, sig)
    try:
        arrays = {part: np.load(f, mmap_mode="r") for part, f in files.items()}
    except (OSError, ValueError):
        return None
    n = len(arrays["pks"])
    if len(arrays["indptr"]) != n + 1 or len(arrays["idf"]) != N_FEATURES:
        return None
    matrix = sp.csr_matrix((arrays["data"], arrays["indices"], arrays["indptr"]), shape=(n, N_FEATURES), copy=False)
    weights = TermWeights(np.asarray(arrays["idf"]), n)
    return TermIndex(np.asarray(arrays["pks"]), np.asarray(arrays["updated"]), None, weights, matrix,
                     np.asarray(arrays["published"]), _signature=sig)  # fmt: skip


def share(index: TermIndex, path: Path) -> TermIndex:
    """Write ``index`` (without its counts) to files beside the cache and return it memory-mapped from them,
    so that every worker process of a server reads one copy through the OS page cache; older versions'
    files are removed. The index itself when the files cannot be written."""
    import os

    files = _shared_files(path, index._signature)
    m = index.matrix
    arrays = {"pks": index.pks, "updated": index.updated, "published": index.published, "idf": index.weights.idf,
              "data": m.data, "indices": m.indices, "indptr": m.indptr}  # fmt: skip
    try:
        for part, f in files.items():
            tmp = f.with_name(f"{f.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            with open(tmp, "wb") as out:
                np.save(out, np.ascontiguousarray(arrays[part]))
            tmp.replace(f)
        keep = set(files.values())
        for old in path.parent.glob(f"{path.name}.*.npy"):
            if old not in keep:
                old.unlink(missing_ok=True)
    except OSError as err:
        log.warning("term index files beside %s not written (%s); kept in memory", path, err)
        return index
    return read_shared(path, index._signature) or index


class TermIndexes:
    """The term index of ``store``, kept in memory and refreshed (incrementally) when papers changed;
    its rows cached in the file at ``path`` (None: no file). The application context owns one."""

    def __init__(self, store: Store, path: Path | None):
        self.store = store
        self.path = path
        self._lock = threading.Lock()
        self._index: TermIndex | None = None
        self._checked = 0.0

    def get(self, *, now: bool = False) -> TermIndex:
        """The current term index, rebuilt from the changed papers when the database changed (checked
        at most every SIGNATURE_TTL seconds; at once with ``now``, after a write)."""
        with self._lock:
            cached = self._index
            if cached is not None and not now and time.monotonic() - self._checked < SIGNATURE_TTL:
                return cached
        sig = corpus.signature(self.store)
        if cached is not None and cached._signature == sig:
            with self._lock:
                self._checked = time.monotonic()
            return cached
        with self._lock:  # one refresh at a time
            cached = self._index
            if cached is None or cached._signature != sig:
                shared = read_shared(self.path, sig) if self.path is not None else None
                if shared is None:
                    cached = build(self.store, self.path, previous=cached)
                    if self.path is not None:
                        cached = share(cached, self.path)
                else:
                    cached = shared
                self._index = cached
            self._checked = time.monotonic()
            return cached

    def forget(self) -> None:
        """Drop the index in hand: the next :meth:`get` reads the cache file and the papers again."""
        with self._lock:
            self._index = None


__all__ = ["TermIndex", "TermIndexes", "TermWeights", "analyze", "build", "column_of", "counts", "features",
           "paper_terms_text", "top_terms"]  # fmt: skip
