"""The in-memory vector index over stored embeddings: exact (brute-force) cosine search, which is
also the oracle in tests, and an approximate inverted-file index for large corpora, kept in a file
beside the database and rebuilt from the stored vectors.

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

import logging
import math
import threading
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from paperwire.index import embeddings as stored
from paperwire.index.embedder import Embedder
from paperwire.store import Store
from paperwire.store.queries import data_version

log = logging.getLogger(__name__)

ANN_MIN = 200_000  # below this an exact scan is fast enough (6 / 7.5 ms p50 / p95 at 75k) and exact (IVF: recall 0.95)
PROBES_PER_ROOT = 3.0  # lists probed per query: 3·sqrt(lists) (66 of 481, 100 of 1,093, 190 of 4,000)
MIN_PROBES = 8
RERANK = 300  # candidates taken from the index (ranked by their codes) and re-scored exactly
SUBSETS_KEPT = 16  # prepared filter subsets remembered per index
TRAIN_PER_LIST = 24  # k-means training sample per list, and its iterations: enough for recall, fast on 2 cores
TRAIN_ITERATIONS = 12


def ivf_lists(n: int) -> int:
    """Number of inverted lists for ``n`` vectors: ~4·sqrt(n) (1,093 at 75k, 4,000 at 1M). More lists
    need a smaller share probed for the same recall (300k clustered: 6% of 4,096 lists ~ 25% of 1,024)."""
    return int(min(4096, max(16, 4 * math.sqrt(max(n, 1)))))


@dataclass
class Subset:
    """Allowed papers of a filtered search, as one index sees them."""

    rows: np.ndarray  # row numbers (ascending)
    share: float  # of all vectors
    keep: np.ndarray  # their pks (ascending)
    _bitmap: np.ndarray | None = field(default=None, repr=False)

    def bitmap(self) -> np.ndarray:
        """The pks as a little-endian bit set (faiss IDSelectorBitmap), made once."""
        if self._bitmap is None:
            mask = np.zeros(int(self.keep[-1]) + 1 if len(self.keep) else 1, dtype=bool)
            mask[self.keep] = True
            self._bitmap = np.packbits(mask, bitorder="little")
        return self._bitmap


@dataclass
class VectorIndex:
    model: str
    pks: np.ndarray  # int64, ascending
    matrix: np.ndarray  # float32 (n, dim), unit rows
    ann: Ann | None = None  # the IVF index keyed by pk
    _signature: tuple = field(default=(), repr=False)
    _subsets: OrderedDict = field(default_factory=OrderedDict, repr=False)  # id(allowed) -> (allowed, Subset)

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
            with _lock:
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
            with _lock:
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


# -- the approximate index file ----------------------------------------------------------------------
class Ann:
    """An IVF fast-scan PQ index (faiss, inner product) keyed by pk, probing 3·sqrt(lists) of its lists."""

    def __init__(self, index, probes_per_root: float = PROBES_PER_ROOT):
        self.index = index
        self.probes_per_root = probes_per_root

    def __len__(self) -> int:
        return int(self.index.ntotal)

    @property
    def ndim(self) -> int:
        return int(self.index.d)

    @property
    def nlist(self) -> int:
        return int(self.index.nlist)

    @property
    def probe_share(self) -> float:
        """Share of the lists (so about of the vectors) an unfiltered search scans."""
        return self.probes() / self.nlist

    def probes(self, share: float = 1.0) -> int:
        """Lists to probe when ``share`` of the vectors are allowed (more for a narrower filter)."""
        wanted = max(MIN_PROBES, self.probes_per_root * math.sqrt(self.nlist)) / max(share, 1e-9)
        return min(self.nlist, math.ceil(wanted))

    def keys(self) -> np.ndarray:
        """Every pk in the index (read from its inverted lists)."""
        import faiss

        invlists = self.index.invlists
        parts = []
        for lst in range(self.nlist):
            size = invlists.list_size(lst)
            if size:
                parts.append(faiss.rev_swig_ptr(invlists.get_ids(lst), size).copy())
        return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)

    def contains(self, pks) -> np.ndarray:
        have = np.sort(self.keys())
        pks = np.asarray(pks, dtype=np.int64)
        if not len(have):
            return np.zeros(len(pks), dtype=bool)
        at = np.clip(np.searchsorted(have, pks), 0, len(have) - 1)
        return have[at] == pks

    def add(self, pks, matrix) -> None:
        if len(pks):
            self.index.add_with_ids(np.ascontiguousarray(matrix, dtype=np.float32), np.asarray(pks, dtype=np.int64))

    def remove(self, pks) -> int:
        import faiss

        pks = np.asarray(pks, dtype=np.int64)
        return int(self.index.remove_ids(faiss.IDSelectorBatch(len(pks), faiss.swig_ptr(pks)))) if len(pks) else 0

    def save(self, path: str | Path) -> None:
        import faiss

        faiss.write_index(self.index, str(path))

    @classmethod
    def restore(cls, path: str | Path) -> "Ann":
        import faiss

        return cls(faiss.read_index(str(path)))

    def search(self, query: np.ndarray, k: int, *, subset: Subset | None = None) -> np.ndarray:
        """pks of about the ``k`` nearest vectors (only the ``subset``'s when given)."""
        import faiss

        params = faiss.SearchParametersIVF()
        params.nprobe = self.probes(subset.share if subset is not None else 1.0)
        bitmap = None
        if subset is not None:
            if not len(subset.keep):
                return np.zeros(0, dtype=np.int64)
            bitmap = subset.bitmap()
            params.sel = faiss.IDSelectorBitmap(len(bitmap), faiss.swig_ptr(bitmap))
        _, ids = self.index.search(np.asarray(query, dtype=np.float32).reshape(1, -1), int(k), params=params)
        ids = ids[0]
        del bitmap  # kept alive until the search is done
        return ids[ids >= 0].astype(np.int64)


def build_ann(pks: np.ndarray, matrix: np.ndarray, *, nlist: int | None = None, threads: int = 0,
              probes_per_root: float = PROBES_PER_ROOT, seed: int = 0) -> Ann:  # fmt: skip
    """An IVF fast-scan PQ index over the vectors, keyed by pk: k-means lists and the product
    quantiser trained on a sample, then every vector added. ``threads`` (0: all cores) is used for
    the build only."""
    import faiss

    matrix = np.ascontiguousarray(matrix, dtype=np.float32)
    dim = matrix.shape[1]
    nlist = nlist or ivf_lists(len(pks))
    nlist = max(1, min(nlist, len(pks) // 4 or 1))
    index = faiss.index_factory(dim, f"IVF{nlist},PQ{pq_parts(dim)}x4fs", faiss.METRIC_INNER_PRODUCT)
    index.by_residual = False  # codes of the vectors themselves: one lookup table a query, not one a list
    index.cp.seed = seed
    index.cp.niter = TRAIN_ITERATIONS
    index.cp.min_points_per_centroid = 1  # small corpora train on every vector (no warning)
    before = faiss.omp_get_max_threads()
    if threads:
        faiss.omp_set_num_threads(threads)
    try:
        if len(pks):
            sample = min(len(pks), nlist * TRAIN_PER_LIST)
            rows = np.sort(np.random.default_rng(seed).choice(len(pks), sample, replace=False))
            index.train(matrix[rows])
            ann = Ann(index, probes_per_root)
            for start in range(0, len(pks), 100_000):
                ann.add(pks[start : start + 100_000], matrix[start : start + 100_000])
            return ann
        return Ann(index, probes_per_root)
    finally:
        faiss.omp_set_num_threads(before)


def pq_parts(dim: int) -> int:
    """Sub-quantisers of the product quantiser: one per two dimensions (4 bits each: 1 byte per 4 dims)."""
    return dim // 2 if dim % 2 == 0 else dim


def _current(ann: Ann) -> bool:
    """Whether a restored index file is of the kind built now (files of older versions are rebuilt)."""
    import faiss

    return isinstance(ann.index, faiss.IndexIVFPQFastScan)


def ann_path(data_dir: Path, store: Store, model: str) -> Path:
    """The index file beside the database (SQLite), or in the data folder (PostgreSQL)."""
    database = store.engine.url.database if store.dialect == "sqlite" else None
    folder = Path(database).resolve().parent if database and database != ":memory:" else Path(data_dir)
    stem = Path(database).stem if database and database != ":memory:" else f"{store.engine.url.host}-{store.engine.url.database}"
    return folder / f"{stem}.{model}.ivf"


def rebuild(store: Store, model: str, path: Path) -> VectorIndex:
    """Rebuild the approximate index file from the stored vectors (always possible: it is a cache)."""
    with store.engine.connect() as conn:
        sig = stored.signature(conn, model)
        pks, matrix = stored.load(conn, model)
    ann = build_ann(pks, matrix)
    _save(ann, path)
    return VectorIndex(model, pks, matrix, ann, _signature=sig)


# -- one index per (store, model) in this process, refreshed when the stored vectors change ---------
_indexes: "weakref.WeakKeyDictionary[Store, dict[str, VectorIndex]]" = weakref.WeakKeyDictionary()
_embedders: "weakref.WeakKeyDictionary[Store, Embedder]" = weakref.WeakKeyDictionary()
_ann_files: "weakref.WeakKeyDictionary[Store, Path]" = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def configure(store: Store, *, embedder: Embedder | None = None, ann_file: Path | None = None) -> None:
    """Choose the embedder (and the approximate index file) used for ``store`` in this process."""
    with _lock:
        if embedder is not None:
            _embedders[store] = embedder
        if ann_file is not None:
            _ann_files[store] = ann_file


def configured_embedder(store: Store) -> Embedder | None:
    return _embedders.get(store)


SIGNATURE_TTL = 5.0  # seconds between checks of the stored vectors for changes
_checked: dict[tuple[int, str], float] = {}
_seen: dict[tuple[int, str], object] = {}  # the database's data version when the index was last confirmed
_building: set[tuple[int, str]] = set()
_refreshing: set[tuple[int, str]] = set()


def index_for(store: Store, model: str) -> VectorIndex:
    """The current index of ``model``'s vectors, reloaded when they changed in the database.

    Checked at most every :data:`SIGNATURE_TTL` seconds, and only when the database reports a commit
    since the last check (its data version): counting 1M stored vectors takes ~0.5 s. Past
    :data:`ANN_MIN` vectors the check and any reload run in a background thread (reading 1M vectors
    takes ~15 s) while searches use the index in hand, and the IVF index is loaded from its file, or
    built in the background while searches stay exact."""
    key = (id(store), model)
    with _lock:
        cached = _indexes.get(store, {}).get(model)
        fresh = cached is not None and time.monotonic() - _checked.get(key, 0.0) < SIGNATURE_TTL
    if fresh:
        return cached
    token = data_version(store)
    if cached is not None and token is not None and _seen.get(key) == token:  # nothing committed since
        with _lock:
            _checked[key] = time.monotonic()
        return cached
    if cached is not None and len(cached) >= ANN_MIN:
        _refresh_later(store, model, cached, token)
        return cached
    return _refresh(store, model, cached, token)


def _refresh(store: Store, model: str, cached: VectorIndex | None, token: object | None) -> VectorIndex:
    key = (id(store), model)
    with store.engine.connect() as conn:
        sig = stored.signature(conn, model)
        if cached is not None and cached._signature == sig:
            with _lock:
                _checked[key], _seen[key] = time.monotonic(), token
            return cached
        pks, matrix = stored.load(conn, model)
    # the previous approximate index serves until this one's is ready (keys gone from the vectors drop out)
    index = VectorIndex(model, pks, matrix, cached.ann if cached is not None else None, _signature=sig)
    with _lock:
        _indexes.setdefault(store, {})[model] = index
        _checked[key], _seen[key] = time.monotonic(), token
    if len(pks) >= ANN_MIN:
        path = _ann_files.get(store)
        if path is None:
            from paperwire.settings import load_settings

            path = ann_path(load_settings().data_dir, store, model)
            _ann_files[store] = path
        _start_ann(store, model, index)
    return index


def _refresh_later(store: Store, model: str, cached: VectorIndex, token: object | None) -> None:
    key = (id(store), model)
    with _lock:
        if key in _refreshing:
            return
        _refreshing.add(key)
        _checked[key] = time.monotonic()

    def work():
        try:
            _refresh(store, model, cached, token)
        except Exception as err:  # noqa: BLE001 - the index in hand stays; the next check tries again
            log.warning("vector index refresh failed (%s)", err)
        finally:
            with _lock:
                _refreshing.discard(key)

    threading.Thread(target=work, name=f"paperwire-vectors-{model}", daemon=True).start()


def _start_ann(store: Store, model: str, index: VectorIndex, *, wait: bool = False) -> None:
    key = (id(store), model)
    with _lock:
        if key in _building:
            return
        _building.add(key)

    def work():
        try:
            ann = _load_or_build_ann(store, model, index.pks, index.matrix)
            if ann is not None:
                index.ann = ann
        finally:
            with _lock:
                _building.discard(key)
                current = _indexes.get(store, {}).get(model)
        if current is not None and current is not index and len(current) >= ANN_MIN:
            _start_ann(store, model, current, wait=wait)  # reloaded meanwhile: bring the file up to its vectors

    if wait:
        work()
    else:
        threading.Thread(target=work, name=f"paperwire-ann-{model}", daemon=True).start()


def _load_or_build_ann(store: Store, model: str, pks: np.ndarray, matrix: np.ndarray) -> Ann | None:
    """The index file brought up to date with these vectors (new ones added, removed ones dropped),
    or a new index when there is none, it is unreadable, or the corpus outgrew its lists (4×);
    saved when a file is set."""
    path = _ann_files.get(store)
    try:
        if path is not None and path.exists() and len(pks):
            ann = Ann.restore(path)
            if _current(ann) and ann.ndim == matrix.shape[1] and ann.nlist * 2 >= ivf_lists(len(pks)):
                have = ann.keys()
                stale = np.setdiff1d(have, pks, assume_unique=False)
                new = ~np.isin(pks, have)
                if len(stale) or new.any():  # incremental: no retraining
                    ann.remove(stale)
                    ann.add(pks[new], matrix[new])
                    _save(ann, path)
                return ann
        ann = build_ann(pks, matrix)
        if path is not None:
            _save(ann, path)
        return ann
    except Exception as err:  # noqa: BLE001 - the index is only a cache: fall back to exact search
        log.warning("approximate vector index unavailable (%s); using exact search", err)
        return None


def _save(ann: Ann, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    ann.save(tmp)
    tmp.replace(path)


def forget(store: Store) -> None:
    with _lock:
        _indexes.pop(store, None)
