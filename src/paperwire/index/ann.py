"""The approximate vector index: faiss IVF with 4-bit product-quantised codes scanned by SIMD ("fast
scan", ``IVF{lists},PQ{dim/2}x4fs``, inner product on unit vectors), keyed by paper pk and kept in a
file beside the database. It only chooses candidates: :mod:`paperwire.index.vectors` re-scores them
exactly from the float32 vectors, and the file is a cache that can always be rebuilt.

96 bytes a 384-d vector instead of 1,536, so a probe of 3·sqrt(lists) lists (190 of 4,000 at 1M)
reads 16× less memory than IVF-flat did. A filtered search passes the allowed pks as an id bitmap
(:class:`Subset`) and probes ``1 / share`` times more lists.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

PROBES_PER_ROOT = 3.0  # lists probed per query: 3·sqrt(lists) (66 of 481, 100 of 1,093, 190 of 4,000)
MIN_PROBES = 8
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


def is_current(ann: Ann) -> bool:
    """Whether a restored index file is of the kind built now (files of older versions are rebuilt)."""
    import faiss

    return isinstance(ann.index, faiss.IndexIVFPQFastScan)

