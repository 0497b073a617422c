"""The per-user recommendation model (pure functions: numpy / scipy / scikit-learn, no I/O).

- **Content** — a class-balanced linear model per user on one row per paper: the paper's TF-IDF
  terms (``index.terms``, unit rows, 2**20 hashed columns) with its MiniLM embedding appended,
  scaled by ``embed_weight`` (``hstack([tfidf, embed_weight * E])``). Positives are the papers the user
  saved or liked; negatives are explicit thumbs-down (weighing more, through ``neg_weight``) and a
  sample of unrated recent papers (weak negatives). The fitted weights are split back into a weight
  per term column and one per embedding dimension, so scoring the whole corpus is two products.
- **Cold start** — below ``min_positives`` positives a Rocchio centroid: mean of the positives and
  of the interest-text query rows minus a fraction of the mean of the negatives. It works with no
  positives at all when there is a query.
- **The reader's words** — the interests text stays a signal after the linear model takes over: its
  centroid is blended in at ``interest_share`` (z-score units, :func:`with_interests`), so a few
  off-topic ratings never drown what the reader typed.
- **Collaborative** — item-item cosine similarity from co-occurrence in other users' positives; each
  item also gets the user's item that contributed most (the "because you saved …" reason).
- :func:`blend` — a weighted sum of z-scores of content and collaborative scores; content alone
  when there is no collaborative signal (a new instance with few users).

Defaults were chosen by ``benchmarks/recommend_eval.py --tune`` on validation configurations
(citeulike-a with another hold-out seed, arXiv author continuation with cut-off 2026-02-01); the
figures of the reported configurations are in that benchmark's output.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

N_FEATURES = 2**20  # = paperwire.index.terms.N_FEATURES (not imported: this module stays free of I/O deps)


@dataclass(frozen=True)
class ContentParams:
    """Tuned defaults (see the module docstring)."""

    C: float = 1.0
    # scale of the dense embedding block appended to the TF-IDF row. 0: on arXiv author continuation
    # (validation authors) any embedding block lost to terms alone (0.25: 0.99x, 0.5: 0.83x, 0: 1.05x the
    # arxiv-sanity approach), though it helped on citeulike-a (0.5: 1.22x vs 1.06x); the rule is
    # that the content model must never lose to TF-IDF + SVM, so terms alone.
    embed_weight: float = 0.0
    centroid_embed_weight: float = 0.5  # the cold-start centroid keeps the embedding: interests are short texts
    negatives: int = 2000  # sampled weak negatives used by the service: 5,000 took 0.3 s to fit, 2,000 0.1 s
    min_positives: int = 3  # below this, the centroid (cold start) model is used
    loss: str = "logistic"  # "logistic" (LogisticRegression) or "hinge" (LinearSVC)
    explicit_weight: float = 5.0  # suggested neg_weight of an explicit thumbs-down (weak negatives: 1)
    rocchio_negative: float = 0.25  # centroid: fraction of the negatives' mean subtracted
    max_iter: int = 1000
    # share of the reader's interests text in the linear model's score (z-score units over the sampled
    # corpus rows): their words keep counting beside their ratings. 0 restores the old behaviour (the
    # text ignored from ``min_positives`` positives on). 0.5: see benchmarks/recommend_eval.py,
    # "interests kept" (0.25 keeps ~1 of 20 on the interests, 0.75 leaves ~1 on the rated topic).
    interest_share: float = 0.5


@dataclass
class Interests:
    """The interests text's part of a blended model, kept apart (sparse) to tell which papers it put
    forward: its share of a row's score is ``X[:, cols] @ w_terms + E @ w_embed``."""

    cols: np.ndarray  # int64 term columns
    w_terms: np.ndarray  # float32, one per column
    w_embed: np.ndarray  # float32 (dim,) or 0-length

    def score(self, X_terms: sp.csr_matrix | None, E: np.ndarray | None) -> np.ndarray:
        n = X_terms.shape[0] if X_terms is not None else (0 if E is None else len(E))
        out = np.zeros(n, dtype=np.float32)
        if X_terms is not None and X_terms.shape[0] and len(self.cols):
            out += np.asarray(X_terms[:, self.cols] @ self.w_terms, dtype=np.float32).ravel()
        if E is not None and len(self.w_embed) and len(E):
            out += np.asarray(E, dtype=np.float32) @ self.w_embed
        return out


@dataclass
class ContentModel:
    w_terms: np.ndarray  # float32 (N_FEATURES,) weight per TF-IDF column
    w_embed: np.ndarray  # float32 (dim,) weight per embedding dimension (0-length if no embeddings)
    bias: float
    kind: str  # "linear" or "centroid"
    interests: Interests | None = None  # the interests text's part, when blended in (:func:`with_interests`)

    def score(self, X_terms: sp.csr_matrix, E: np.ndarray | None) -> np.ndarray:
        """One score per row (larger is better); ``E`` is ignored when the model has no embedding part."""
        n = X_terms.shape[0] if X_terms is not None else (0 if E is None else len(E))
        out = np.full(n, self.bias, dtype=np.float32)
        if X_terms is not None and X_terms.shape[0]:
            out += np.asarray(X_terms @ self.w_terms, dtype=np.float32).ravel()
        if E is not None and len(self.w_embed) and len(E):
            out += np.asarray(E, dtype=np.float32) @ self.w_embed
        return out


# -- helpers ---------------------------------------------------------------------------------------------
def _rows(X, n_features: int = N_FEATURES) -> sp.csr_matrix:
    if X is None:
        return sp.csr_matrix((0, n_features), dtype=np.float32)
    return sp.csr_matrix(X, dtype=np.float32)


def _dense(E, n: int, dim: int) -> np.ndarray:
    if E is None or dim == 0:
        return np.zeros((n, dim), dtype=np.float32)
    return np.asarray(E, dtype=np.float32).reshape(n, dim)


def _dim(*blocks) -> int:
    dims = {np.asarray(E).shape[1] for E in blocks if E is not None and np.asarray(E).ndim == 2 and len(E)}
    return dims.pop() if len(dims) == 1 else 0


def _compact(X: sp.csr_matrix) -> tuple[sp.csr_matrix, np.ndarray]:
    """``X`` restricted to its non-empty columns (and those columns): an L2-regularised linear model
    gives every other column weight 0, and liblinear is much faster on the small matrix."""
    used = np.zeros(X.shape[1], dtype=bool)
    used[X.indices] = True
    cols = np.flatnonzero(used)
    remap = np.zeros(X.shape[1], dtype=np.int32)
    remap[cols] = np.arange(len(cols), dtype=np.int32)
    small = sp.csr_matrix((X.data, remap[X.indices], X.indptr), shape=(X.shape[0], len(cols)))
    return small, cols


# -- content: linear model -------------------------------------------------------------------------------
def fit_content(X_pos, E_pos, X_neg, E_neg, *, neg_weight: np.ndarray | None = None,
                params: ContentParams = ContentParams()) -> ContentModel:  # fmt: skip
    """Class-balanced linear model on ``hstack([tfidf, embed_weight * E])``: positives against
    negatives, each class weighing half; inside the negatives, ``neg_weight`` (default 1 each) lets an
    explicit thumbs-down count more than a sampled weak negative. ``E_*`` may be None (terms only)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    X_pos, X_neg = _rows(X_pos), _rows(X_neg, X_pos.shape[1] if X_pos is not None else N_FEATURES)
    n_pos, n_neg = X_pos.shape[0], X_neg.shape[0]
    n_features = X_pos.shape[1]
    dim = _dim(E_pos, E_neg) if E_pos is not None and E_neg is not None else 0
    if n_pos == 0 or n_neg == 0:
        raise ValueError("fit_content needs at least one positive and one negative")
    terms, cols = _compact(sp.vstack([X_pos, X_neg]).tocsr())
    if dim and params.embed_weight > 0:
        E = np.vstack([_dense(E_pos, n_pos, dim), _dense(E_neg, n_neg, dim)]) * np.float32(params.embed_weight)
        X = sp.hstack([terms, sp.csr_matrix(E)], format="csr")
    else:
        dim = dim if params.embed_weight > 0 else 0
        X = terms
    y = np.r_[np.ones(n_pos), np.zeros(n_neg)]
    w_neg = np.ones(n_neg) if neg_weight is None else np.asarray(neg_weight, dtype=np.float64).reshape(n_neg)
    # balanced classes: each class sums to half the total weight (as class_weight="balanced" does)
    total = n_pos + n_neg
    sample_weight = np.r_[np.full(n_pos, total / (2.0 * n_pos)), w_neg * (total / (2.0 * w_neg.sum()))]
    if params.loss == "hinge":
        clf = LinearSVC(C=params.C, max_iter=params.max_iter, dual=True)
    else:
        clf = LogisticRegression(C=params.C, solver="liblinear", dual=True, max_iter=params.max_iter)
    clf.fit(X, y, sample_weight=sample_weight)
    coef = clf.coef_.ravel().astype(np.float32)
    w_terms = np.zeros(n_features, dtype=np.float32)
    w_terms[cols] = coef[: len(cols)]
    w_embed = coef[len(cols) :] * np.float32(params.embed_weight) if dim else np.zeros(0, np.float32)
    return ContentModel(w_terms, w_embed.astype(np.float32), float(clf.intercept_[0]), "linear")


# -- content: cold start ---------------------------------------------------------------------------------
def centroid_model(X_pos, E_pos, X_neg=None, E_neg=None, *, X_query=None, E_query=None,
                   neg_weight: np.ndarray | None = None, params: ContentParams = ContentParams()) -> ContentModel:  # fmt: skip
    """Rocchio: mean of the positive rows and the interest-text query rows, minus
    ``params.rocchio_negative`` × the (``neg_weight``-weighted) mean of the negatives. The score of a
    row is its dot product with that centroid (terms) plus ``centroid_embed_weight**2`` × the same for
    the embedding block (the linear model's feature space with that embedding scale). Works with 0 positives when a
    query is given (and returns an all-zero model when there is nothing at all)."""
    n_features = next((X.shape[1] for X in (X_pos, X_query, X_neg) if X is not None), N_FEATURES)
    liked = [X for X in (X_pos, X_query) if X is not None and X.shape[0]]
    liked_e = [E for E in (E_pos, E_query) if E is not None and len(E)]
    dim = _dim(E_pos, E_query, E_neg)
    w_terms = np.zeros(n_features, dtype=np.float64)
    w_embed = np.zeros(dim, dtype=np.float64)
    if liked:
        X = sp.vstack([_rows(X, n_features) for X in liked]).tocsr()
        w_terms += np.asarray(X.mean(axis=0)).ravel()
    if dim and liked_e:
        w_embed += np.vstack([np.asarray(E, np.float64) for E in liked_e if np.asarray(E).shape[1] == dim]).mean(axis=0)
    if X_neg is not None and X_neg.shape[0] and params.rocchio_negative:
        weights = np.ones(X_neg.shape[0]) if neg_weight is None else np.asarray(neg_weight, np.float64)
        weights = weights / weights.sum()
        w_terms -= params.rocchio_negative * np.asarray(_rows(X_neg, n_features).T @ weights).ravel()
        if dim and E_neg is not None and len(E_neg):
            w_embed -= params.rocchio_negative * (weights @ np.asarray(E_neg, np.float64))
    w_embed *= params.centroid_embed_weight**2
    return ContentModel(w_terms.astype(np.float32), w_embed.astype(np.float32), 0.0, "centroid")


def interests_model(X_query, E_query, *, params: ContentParams = ContentParams()) -> ContentModel:
    """The interests text alone as a centroid model (its term row, and its embedding scaled as the
    centroid's): how close a paper is to what the reader wrote."""
    return centroid_model(None, None, X_query=X_query, E_query=E_query, params=params)


def _spread(model: ContentModel, X, E) -> float:
    scores = model.score(_rows(X, len(model.w_terms)), E if len(model.w_embed) else None)
    return float(np.std(scores)) if len(scores) > 1 else 0.0


def with_interests(model: ContentModel, interests: ContentModel, X_sample, E_sample, *, share: float) -> ContentModel:
    """``model`` with the interests text blended in at ``share``: ``(1 - share) * model / sd_model +
    share * interests / sd_interests``, each part divided by the spread of its scores over the sample
    rows (a sample of the corpus: the weak negatives), so the share holds in z-score units whatever the
    scale of either model. Both parts are linear, so the blend is one linear model again (the same
    fast scoring); its interests part is kept apart (``.interests``) for the reasons."""
    if share <= 0 or X_sample is None or X_sample.shape[0] < 2 or (not np.any(interests.w_terms) and not np.any(interests.w_embed)):
        return model
    s_model, s_int = _spread(model, X_sample, E_sample), _spread(interests, X_sample, E_sample)
    if s_int < 1e-12:
        return model
    if s_model < 1e-12:  # nothing learnt from the ratings yet: the interests alone
        a, b = 0.0, 1.0 / s_int
    else:
        a, b = (1.0 - share) / s_model, share / s_int
    w_terms = (a * model.w_terms.astype(np.float64) + b * interests.w_terms.astype(np.float64)).astype(np.float32)
    dim = max(len(model.w_embed), len(interests.w_embed))
    w_embed = np.zeros(dim, dtype=np.float64)
    if len(model.w_embed):
        w_embed += a * model.w_embed
    if len(interests.w_embed):
        w_embed += b * interests.w_embed
    cols = np.flatnonzero(interests.w_terms)
    part = Interests(cols.astype(np.int64), (b * interests.w_terms[cols]).astype(np.float32),
                     (b * interests.w_embed).astype(np.float32))  # fmt: skip
    return ContentModel(w_terms, w_embed.astype(np.float32), float(a * model.bias), model.kind, part)


def _has_rows(X) -> bool:
    return X is not None and X.shape[0] > 0


def user_model(X_pos, E_pos, X_neg, E_neg, *, neg_weight=None, X_query=None, E_query=None,
               params: ContentParams = ContentParams()) -> ContentModel:  # fmt: skip
    """The linear model from ``params.min_positives`` positives on (when there are negatives), the
    centroid model below that (the interests text one of its rows). The interests text
    (``X_query``/``E_query``) keeps counting once the linear model takes over: blended in at
    ``params.interest_share`` (:func:`with_interests`, the spreads taken over the negatives' rows)."""
    n_pos = 0 if X_pos is None else X_pos.shape[0]
    n_neg = 0 if X_neg is None else X_neg.shape[0]
    if n_pos >= max(1, params.min_positives) and n_neg:
        model = fit_content(X_pos, E_pos, X_neg, E_neg, neg_weight=neg_weight, params=params)
        if params.interest_share > 0 and _has_rows(X_query):
            model = with_interests(model, interests_model(X_query, E_query, params=params), X_neg, E_neg,
                                   share=params.interest_share)  # fmt: skip
        return model
    return centroid_model(X_pos, E_pos, X_neg, E_neg, X_query=X_query, E_query=E_query, neg_weight=neg_weight,
                          params=params)  # fmt: skip


# -- collaborative ---------------------------------------------------------------------------------------
def collaborative_scores(R: sp.csr_matrix, items: np.ndarray, *, exclude_row: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Item-item collaborative scores from co-occurrence in other users' positives.

    ``R`` is users × items, binary (1 = the user saved/liked the item); ``items`` are the column
    indices of this user's positives; ``exclude_row`` is this user's own row in ``R`` (its
    co-occurrences are not counted). The similarity of items i and j is the cosine of their columns,
    ``co(i, j) / sqrt(n_i n_j)``; an item's score is the sum of its similarities to the user's items.
    Returns ``(scores, because)``: a float score per column, and per column the column index (one of
    ``items``) that contributed most, -1 where nothing did. The user's own items score too (their
    self-similarity); the caller leaves out what the user already has."""
    R = sp.csr_matrix(R, dtype=np.float32)
    R.data[:] = 1.0  # binary
    n_items = R.shape[1]
    items = np.unique(np.asarray(items, dtype=np.int64))
    scores = np.zeros(n_items, dtype=np.float32)
    because = np.full(n_items, -1, dtype=np.int64)
    if not len(items) or R.nnz == 0:
        return scores, because
    counts = np.asarray(R.sum(axis=0), dtype=np.float64).ravel()
    own = None
    if exclude_row is not None:
        own = R.getrow(exclude_row)
        counts[own.indices] -= 1.0
    C = sp.csr_matrix(R[:, items].T)  # items × users
    co = (C @ R).tocsr()  # items × items-of-R: co-occurrence counts
    if own is not None and own.nnz:
        mine = np.isin(items, own.indices).astype(np.float32)
        if mine.any():
            co = (co - sp.csr_matrix(mine[:, None]) @ own).tocsr()
    co.eliminate_zeros()
    if co.nnz == 0:
        return scores, because
    # cosine: co / sqrt(n_i * n_j)
    row_n = np.repeat(counts[items], np.diff(co.indptr))
    col_n = counts[co.indices]
    co.data = (co.data / np.sqrt(np.maximum(row_n * col_n, 1.0))).astype(np.float32)
    co.eliminate_zeros()
    scores = np.asarray(co.sum(axis=0), dtype=np.float32).ravel()
    # the largest contribution per column: sort the entries by (column, -similarity), take each first
    coo = co.tocoo()
    order = np.lexsort((-coo.data, coo.col))
    cols = coo.col[order]
    first = np.r_[True, cols[1:] != cols[:-1]]
    because[cols[first]] = items[coo.row[order][first]]
    return scores, because


# -- blending --------------------------------------------------------------------------------------------
def zscore(x: np.ndarray) -> np.ndarray:
    """(x - mean) / std; zeros when the values are constant (never NaN)."""
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        return x.astype(np.float32)
    std = x.std()
    if not np.isfinite(std) or std < 1e-12:
        return np.zeros(x.shape, dtype=np.float32)
    return ((x - x.mean()) / std).astype(np.float32)


BLEND_WEIGHT = 0.5  # collaborative share of the blend, chosen on citeulike-a validation


def blend(content: np.ndarray, collaborative: np.ndarray | None, *, weight: float = BLEND_WEIGHT) -> np.ndarray:
    """``(1 - weight) * zscore(content) + weight * zscore(collaborative)``; content alone (z-scored)
    when there is no collaborative signal (None, or all zero — a new instance with few users)."""
    z = zscore(content)
    if collaborative is None:
        return z
    collaborative = np.asarray(collaborative, dtype=np.float64)
    if collaborative.size == 0 or not np.any(collaborative):
        return z
    return ((1.0 - weight) * z + weight * zscore(collaborative)).astype(np.float32)


FULL_SCAN_SHARE = 0.2  # above this share of the corpus, score every row at once instead of slicing rows


def score_rows(model: ContentModel, X: sp.csr_matrix, rows: np.ndarray, E: np.ndarray | None = None,
               embedded: np.ndarray | None = None, e_rows: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
    """The content model's score of the candidates at term rows ``rows`` of the corpus matrix ``X``;
    ``E`` is the corpus's embedding matrix (or None), ``embedded`` marks the candidates that have a
    vector and ``e_rows`` gives their rows in ``E``. A large candidate set is scored by two products
    over the whole corpus (no copy of 75k sparse rows and dense vectors); a small one row by row."""
    with_vectors = E is not None and len(E) and embedded is not None and e_rows is not None
    if len(rows) <= FULL_SCAN_SHARE * X.shape[0]:
        dense = None
        if with_vectors:
            dense = np.zeros((len(rows), E.shape[1]), dtype=np.float32)
            dense[embedded] = E[e_rows]
        return np.asarray(model.score(X[rows], dense), dtype=np.float64)
    out = np.asarray(X @ model.w_terms, dtype=np.float64)[rows] + model.bias
    if with_vectors and len(model.w_embed):
        out[embedded] += np.asarray(E @ model.w_embed, dtype=np.float64)[e_rows]
    return out


__all__ = ["BLEND_WEIGHT", "FULL_SCAN_SHARE", "ContentModel", "ContentParams", "Interests", "blend", "centroid_model",
           "collaborative_scores", "fit_content", "interests_model", "score_rows", "user_model", "with_interests",
           "zscore"]  # fmt: skip
