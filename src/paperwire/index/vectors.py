"""The in-memory vector index over stored embeddings: exact (brute-force) cosine search, which is
also the oracle in tests, and above :data:`ANN_MIN` vectors the approximate index of
:mod:`paperwire.index.ann`, kept in a file beside the database and rebuilt from the stored vectors.
:class:`VectorIndexes` keeps one index per model for a store, reloaded when the stored vectors change;
the application context owns it.

The approximate index is faiss IVF with 4-bit product-quantised codes scanned by SIMD ("fast scan",
``IVF{lists},PQ{dim/2}x4fs``, inner product on unit vectors): 96 bytes a 384-d vector instead of 1,536,
so a probe of 3·sqrt(lists) lists (190 of 4,000 at 1M) reads 16× less memory than IVF-flat did, and
the best :data:`RERANK` candidates are re-scored exactly from the float32 matrix (the codes only
choose the candidates). Measured with benchmarks/search_speed.py at 1M (2 cores): IVF-flat needed
34 ms for recall@10 0.969; fast scan with 190 probes and 300 re-scored reaches 0.951 in 1.0–1.1 ms.
HNSW (faiss, M=32) reached 0.93 at ef=512 in the same time, built 3× slower, and cannot filter by
an id bitmap inside probed lists as IVF does.

Filtered search is planned by selectivity: a subset no larger than the share an unfiltered probe
reads (6% at 1M) is searched exactly; a broader one through the IVF index with an id bitmap, probing
``1 / share`` times more lists so that about as many allowed vectors are compared as without a
filter, falling back to the exact subset scan when that does not find enough. (With IVF-flat, broad
subsets up to 35% were cheaper to scan exactly; with fast-scan codes the bitmap search is, e.g. cs.CL,
a third of 1M papers.) The rows and bitmap of a filter's papers are prepared once per index.
"""
from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from paperwire.index.ann import Ann, Subset, build_ann, is_current, ivf_lists
from paperwire.store import Store
from paperwire.store import embeddings as stored
from paperwire.store.queries import data_version

log = logging.getLogger(__name__)

ANN_MIN = 200_000  # below this an exact scan is fast enough (6 / 7.5 ms p50 / p95 at 75k) and exact (IVF: recall 0.95)
RERANK = 300  # candidates taken from the index (ranked by their codes) and re-scored exactly
SUBSETS_KEPT = 16  # prepared filter subsets remembered per index
SIGNATURE_TTL = 5.0  # seconds between checks of the stored vectors for changes


@dataclass
class VectorIndex:
    model: str
    pks: np.ndarray  # int64, ascending
    matrix: np.ndarray  # float32 (n, dim), unit rows
    ann: Ann | None = None  # the IVF index keyed by pk
    _signature: tuple = field(default=(), repr=False)
    _subsets: OrderedDict = field(default_factory=OrderedDict, repr=False)  # id(allowed) -> (allowed, Subset)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __len__(self) -> int:
        return len(self.pks)

    @property
    def dim(self) -> int:
        return self.matrix.shape[1] if self.matrix.ndim == 2 else 0

    def rows_of(self, pks) -> np.ndarray:
        """Row numbers of the given pks that have vectors."""
        pks = np.asarray(pks, dtype=np.int64)
        if not len(self.pks) or not len(pks):
            return np.zeros(0, dtype=np.int64)
        at = np.searchsorted(self.pks, pks)
        at = np.clip(at, 0, len(self.pks) - 1)
        return at[self.pks[at] == pks]

    def vector_of(self, pk: int) -> np.ndarray | None:
        rows = self.rows_of([pk])
        return self.matrix[rows[0]] if len(rows) else None

    def exact(self, query: np.ndarray, k: int, rows: np.ndarray | None = None,
              exclude: set[int] | frozenset = frozenset()) -> list[tuple[int, float]]:  # fmt: skip
        """Brute-force top ``k`` (pk, cosine) over all rows or the given ``rows``."""
        if not len(self.pks) or k <= 0:
            return []
        matrix = self.matrix if rows is None else self.matrix[rows]
        pks = self.pks if rows is None else self.pks[rows]
        if not len(pks):
            return []
        return _top(pks, matrix @ np.asarray(query, dtype=np.float32), k, exclude)

    def search(self, query: np.ndarray, k: int, *, allowed: np.ndarray | list[int] | None = None,
               exclude: set[int] | frozenset = frozenset()) -> list[tuple[int, float]]:  # fmt: skip
        """Top ``k`` (pk, cosine), optionally only among ``allowed`` pks, never any of ``exclude``."""
        if allowed is None:
            if self.ann is None:
                return self.exact(query, k, exclude=exclude)
            return self._ann(query, k, exclude=exclude) or self.exact(query, k, exclude=exclude)
        subset = self.subset(allowed)
        if self.ann is None or subset.share <= self.ann.probe_share:  # no more than a probe reads: scanned exactly
            return self.exact(query, k, subset.rows, exclude)
        found = self._ann(query, k, exclude=exclude, subset=subset)
        if len(found) >= min(k, len(subset.rows) - len(exclude)):
            return found[:k]
        return self.exact(query, k, subset.rows, exclude)

    def subset(self, allowed) -> "Subset":
        """``allowed`` pks prepared for searching: their rows and the approximate index's id bitmap.
        A read-only array (as ``search_queries.filtered_pks`` returns, cached by the search service)
        is prepared once (cs.CL in 1M papers: ~50 ms of sorting and lookups each time otherwise)."""
        memo = isinstance(allowed, np.ndarray) and not allowed.flags.writeable
        if memo:
            with self._lock:
                hit = self._subsets.get(id(allowed))
                if hit is not None and hit[0] is allowed:
                    self._subsets.move_to_end(id(allowed))
                    return hit[1]
        pks = np.asarray(allowed, dtype=np.int64)
        if len(pks) > 1 and not bool(np.all(pks[1:] > pks[:-1])):
            pks = np.unique(pks)
        rows = self.rows_of(pks)
        subset = Subset(rows, len(rows) / max(1, len(self.pks)), self.pks[rows])
        if memo:
            with self._lock:
                self._subsets[id(allowed)] = (allowed, subset)
                while len(self._subsets) > SUBSETS_KEPT:
                    self._subsets.popitem(last=False)
        return subset

    def _ann(self, query: np.ndarray, k: int, *, exclude=frozenset(), subset: "Subset | None" = None) -> list[tuple[int, float]]:
        """Approximate top ``k``, re-scored exactly; only the ``subset``'s papers when given."""
        query = np.asarray(query, dtype=np.float32)
        keys = self.ann.search(query, max(k + len(exclude), RERANK), subset=subset)
        rows = self.rows_of(keys)  # keys without a vector here (stale file) drop out
        if not len(rows):
            return []
        return _top(self.pks[rows], self.matrix[rows] @ query, k, exclude)


def _top(pks: np.ndarray, scores: np.ndarray, k: int, exclude) -> list[tuple[int, float]]:
    """The ``k`` best (pk, score), best first (ties by pk), none of ``exclude``."""
    want = min(len(scores), k + len(exclude))
    top = np.argpartition(-scores, want - 1)[:want] if want < len(scores) else np.arange(len(scores))
    top = top[np.lexsort((pks[top], -scores[top]))]
    out = [(int(pks[i]), float(scores[i])) for i in top if int(pks[i]) not in exclude]
    return out[:k]



def ann_path(data_dir: Path, store: Store, model: str) -> Path:
    """The index file beside the database (SQLite), or in the data folder (PostgreSQL)."""
    database = store.engine.url.database if store.dialect == "sqlite" else None
    folder = Path(database).resolve().parent if database and database != ":memory:" else Path(data_dir)
    stem = Path(database).stem if database and database != ":memory:" else f"{store.engine.url.host}-{store.engine.url.database}"
    return folder / f"{stem}.{model}.ivf"


def rebuild(store: Store, model: str, path: Path) -> VectorIndex:
    """Rebuild the approximate index file from the stored vectors (always possible: it is a cache)."""
    with store.reading():
        sig = stored.signature(store, model)
        pks, matrix = stored.load(store, model)
    ann = build_ann(pks, matrix)
    save_ann(ann, path)
    return VectorIndex(model, pks, matrix, ann, _signature=sig)




class VectorIndexes:
    """One :class:`VectorIndex` per embedding model of ``store``, refreshed when the stored vectors
    change; large ones searched through the approximate index kept at ``ann_file(model)``.

    Checked at most every :data:`SIGNATURE_TTL` seconds, and only when the database reports a commit
    since the last check (its data version): counting 1M stored vectors takes ~0.5 s. Past
    :data:`ANN_MIN` vectors the check and any reload run in a background thread (reading 1M vectors
    takes ~15 s) while searches use the index in hand, and the IVF index is loaded from its file, or
    built in the background while searches stay exact."""

    def __init__(self, store: Store, ann_file: Callable[[str], Path | None]):
        self.store = store
        self.ann_file = ann_file
        self._lock = threading.Lock()
        self._indexes: dict[str, VectorIndex] = {}
        self._checked: dict[str, float] = {}
        self._seen: dict[str, object] = {}  # the database's data version when the index was last confirmed
        self._building: set[str] = set()
        self._refreshing: set[str] = set()

    def get(self, model: str, *, now: bool = False) -> VectorIndex:
        """The current index of ``model``'s vectors, reloaded when they changed in the database (checked
        at most every SIGNATURE_TTL seconds; at once with ``now``, after a write)."""
        with self._lock:
            cached = self._indexes.get(model)
            fresh = cached is not None and not now and time.monotonic() - self._checked.get(model, 0.0) < SIGNATURE_TTL
        if fresh:
            return cached
        token = data_version(self.store)
        if cached is not None and token is not None and self._seen.get(model) == token:  # nothing committed since
            with self._lock:
                self._checked[model] = time.monotonic()
            return cached
        if cached is not None and len(cached) >= ANN_MIN:
            self._refresh_later(model, cached, token)
            return cached
        return self._refresh(model, cached, token)

    def forget(self) -> None:
        """Drop the indexes in hand: the next :meth:`get` reads the stored vectors again."""
        with self._lock:
            self._indexes.clear()

    def _refresh(self, model: str, cached: VectorIndex | None, token: object | None) -> VectorIndex:
        with self.store.reading():
            sig = stored.signature(self.store, model)
            if cached is not None and cached._signature == sig:
                with self._lock:
                    self._checked[model], self._seen[model] = time.monotonic(), token
                return cached
            pks, matrix = self._shared(model, sig)
        # the previous approximate index serves until this one's is ready (keys gone from the vectors drop out)
        index = VectorIndex(model, pks, matrix, cached.ann if cached is not None else None, _signature=sig)
        with self._lock:
            self._indexes[model] = index
            self._checked[model], self._seen[model] = time.monotonic(), token
        if len(pks) >= ANN_MIN:
            self.start_ann(model, index)
        return index

    def _shared(self, model: str, sig: tuple) -> tuple[np.ndarray, np.ndarray]:
        """The stored vectors of ``model`` as of ``sig``: a read-only memory map of the file written
        beside the approximate index for this signature (by this process or another worker, so every
        worker of a server shares one copy in the OS page cache), written from the database when missing.
        In memory when there is no file place or it cannot be written."""
        base = self.ann_file(model)
        if base is None:
            return stored.load(self.store, model)
        tag = hashlib.blake2b(repr(sig).encode(), digest_size=8).hexdigest()
        matrix_path, pks_path = vector_files(base, tag)
        found = _read_mapped(matrix_path, pks_path)
        if found is not None:
            return found
        pks, matrix = stored.load(self.store, model)
        try:
            base.parent.mkdir(parents=True, exist_ok=True)
            for path, array in ((pks_path, pks), (matrix_path, np.ascontiguousarray(matrix, dtype=np.float32))):
                tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
                with open(tmp, "wb") as f:
                    np.save(f, array)
                tmp.replace(path)
            for old in base.parent.glob(f"{base.name}.*.npy"):  # earlier versions (mapped ones stay readable)
                if old not in (matrix_path, pks_path):
                    old.unlink(missing_ok=True)
        except OSError as err:
            log.warning("vector file %s not written (%s); vectors kept in memory", matrix_path, err)
            return pks, matrix
        return _read_mapped(matrix_path, pks_path) or (pks, matrix)

    def _refresh_later(self, model: str, cached: VectorIndex, token: object | None) -> None:
        with self._lock:
            if model in self._refreshing:
                return
            self._refreshing.add(model)
            self._checked[model] = time.monotonic()

        def work():
            try:
                self._refresh(model, cached, token)
            except Exception as err:  # noqa: BLE001 - the index in hand stays; the next check tries again
                log.warning("vector index refresh failed (%s)", err)
            finally:
                with self._lock:
                    self._refreshing.discard(model)

        threading.Thread(target=work, name=f"paperwire-vectors-{model}", daemon=True).start()

    def start_ann(self, model: str, index: VectorIndex, *, wait: bool = False) -> None:
        """Give ``index`` its approximate index: loaded from its file and brought up to date, or built
        (in a background thread unless ``wait``)."""
        with self._lock:
            if model in self._building:
                return
            self._building.add(model)

        def work():
            try:
                ann = load_or_build_ann(self.ann_file(model), index.pks, index.matrix)
                if ann is not None:
                    index.ann = ann
            finally:
                with self._lock:
                    self._building.discard(model)
                    current = self._indexes.get(model)
            if current is not None and current is not index and len(current) >= ANN_MIN:
                self.start_ann(model, current, wait=wait)  # reloaded meanwhile: bring the file up to its vectors

        if wait:
            work()
        else:
            threading.Thread(target=work, name=f"paperwire-ann-{model}", daemon=True).start()


def vector_files(base: Path, tag: str) -> tuple[Path, Path]:
    """The matrix and pk files of one version (``tag``) of the vectors whose approximate index is ``base``."""
    return base.with_name(f"{base.name}.{tag}.vectors.npy"), base.with_name(f"{base.name}.{tag}.pks.npy")


def _read_mapped(matrix_path: Path, pks_path: Path) -> tuple[np.ndarray, np.ndarray] | None:
    try:
        pks = np.load(pks_path)
        matrix = np.load(matrix_path, mmap_mode="r")
    except (OSError, ValueError):
        return None
    if matrix.ndim != 2 or len(matrix) != len(pks):
        return None
    return pks, matrix


def load_or_build_ann(path: Path | None, pks: np.ndarray, matrix: np.ndarray) -> Ann | None:
    """The index file at ``path`` brought up to date with these vectors (new ones added, removed ones
    dropped), or a new index when there is none, it is unreadable, or the corpus outgrew its lists
    (4×); saved when a path is given. None when faiss fails (search stays exact)."""
    try:
        if path is not None and path.exists() and len(pks):
            ann = Ann.restore(path)
            if is_current(ann) and ann.ndim == matrix.shape[1] and ann.nlist * 2 >= ivf_lists(len(pks)):
                have = ann.keys()
                stale = np.setdiff1d(have, pks, assume_unique=False)
                new = ~np.isin(pks, have)
                if len(stale) or new.any():  # incremental: no retraining
                    ann.remove(stale)
                    ann.add(pks[new], matrix[new])
                    save_ann(ann, path)
                return ann
        ann = build_ann(pks, matrix)
        if path is not None:
            save_ann(ann, path)
        return ann
    except Exception as err:  # noqa: BLE001 - the index is only a cache: fall back to exact search
        log.warning("approximate vector index unavailable (%s); using exact search", err)
        return None


def save_ann(ann: Ann, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    ann.save(tmp)
    tmp.replace(path)
