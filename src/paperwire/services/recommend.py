"""Personal recommendations: the "For you" list, the papers a new user is asked to rate first, the
interests a user writes, and the digest's "recommended for you" section.

Signals (``store.signals``): thumbs up (+), saved to a collection (+), upvoted (weak +), thumbs down /
"not interested" (−, weighs more than the sampled negatives); papers imported from BibTeX or a list of
arXiv ids arrive as saved papers. Each user's content model (``rank.recommend``: a class-balanced
linear model on TF-IDF 1–2-grams plus the MiniLM embedding; Rocchio centroid of the interests text and
liked papers until there are enough ratings) is fitted from their own signals only and cached in this
context (:class:`paperwire.context.Paperwire`) until those signals change — refitting takes ~0.1 s, so a new rating shows in the next list.
The collaborative part (item-to-item co-occurrence in every reader's positive signals) is read from
the database at most every :data:`COSAVE_TTL` seconds, and at once after an account is deleted; a
reason never names another reader. Heavy work (fitting) happens only for users active in the last
``recommend_active_days`` days (``active_days``) or when the user asks; the digest of an inactive
user uses the cheap centroid model.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import scipy.sparse as sp

from paperwire.context import Paperwire
from paperwire.index import terms as term_index
from paperwire.index.embedder import Embedder
from paperwire.index.vectors import VectorIndex
from paperwire.rank import recommend as model_lib
from paperwire.rank.diversity import mmr, pick_to_rate
from paperwire.rank.reasons import Evidence, reason
from paperwire.services.collections import parse_refs
from paperwire.services.errors import AccountError
from paperwire.store import Paper, Store
from paperwire.store import accounts as account_db
from paperwire.store import corpus as corpus_db
from paperwire.store import signals as db
from paperwire.store.accounts import User
from paperwire.store.ids import pks_of
from paperwire.store.store import utcnow

log = logging.getLogger(__name__)

DEFAULT_DAYS = 7  # "recent papers": the newest week of the corpus
MAX_DAYS = 366
MAX_LIMIT = 100
POOL = 4  # candidates scored into the MMR step per wanted paper
MAX_INTERESTS = 1000  # characters
MAX_LIKED = 50  # papers named at onboarding
COSAVE_TTL = 60.0  # seconds the instance's co-occurrence counts are reused


@dataclass
class Recommendation:
    paper: Paper
    score: float
    reason: str


@dataclass
class Recommendations:
    items: list[Recommendation]
    model: str  # "linear", "centroid" or "none" (nothing known about the user yet)
    since: datetime | None = None
    until: datetime | None = None
    positives: int = 0
    negatives: int = 0
    collaborative: bool = False  # whether other readers' co-saves contributed

    @property
    def papers(self) -> list[Paper]:
        return [r.paper for r in self.items]

    @property
    def last_day(self) -> datetime | None:
        return self.until - timedelta(days=1) if self.until is not None else None


@dataclass
class Profile:
    positives: dict[int, str]  # paper pk -> strongest positive kind (rating, saved, upvote)
    negatives: set[int]
    interests: str
    stamp: tuple  # changes whenever a signal or the interests change
    last_active: datetime | None

    @property
    def empty(self) -> bool:
        return not self.positives and not self.interests.strip()


def profile(store: Store, user_pk: int) -> Profile:
    """The user's signals: an explicit rating wins over saving or upvoting the same paper."""
    signals = db.user_signals(store, user_pk)
    rated = {s.paper_pk: s.value for s in signals if s.kind == "rating"}
    positives: dict[int, str] = {}
    for s in signals:
        if rated.get(s.paper_pk, 1) > 0 and s.paper_pk not in positives:
            positives[s.paper_pk] = s.kind
    negatives = {pk for pk, value in rated.items() if value < 0}
    interests = db.get_interests(store, user_pk)
    # The stamp covers every signal the model and the reasons read: the positives with their kinds (a
    # reason says "saved" or "liked"), the negatives and the interests text (which keeps counting
    # beside the ratings). Any per-reader cache of models or lists must key on it.
    stamp = (tuple(sorted(positives.items())), tuple(sorted(negatives)), interests)
    return Profile(positives, negatives, interests, stamp, signals[0].at if signals else None)


# -- features -----------------------------------------------------------------------------------------
@dataclass
class _Corpus:
    terms: term_index.TermIndex
    vectors: VectorIndex | None
    embedder: Embedder | None

    def rows(self, pks) -> tuple[np.ndarray, np.ndarray]:
        """(pks that have term rows, their rows), in the order given."""
        rows = self.terms.rows_of(pks)
        return self.terms.pks[rows], rows

    def _embedded(self, pks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(mask of ``pks`` that have a vector, their rows in the vector index)."""
        rows = self.vectors.rows_of(pks)
        return np.isin(pks, self.vectors.pks[rows]), rows

    def dense(self, pks: np.ndarray) -> np.ndarray | None:
        """Embedding rows for ``pks`` (zeros for papers not embedded yet), or None without embeddings."""
        if self.vectors is None or not len(self.vectors):
            return None
        out = np.zeros((len(pks), self.vectors.dim), dtype=np.float32)
        if len(pks):
            has, rows = self._embedded(pks)
            out[has] = self.vectors.matrix[rows]
        return out

    def scores(self, model: model_lib.ContentModel, cand: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """The content model's score of the candidates ``cand`` (at term rows ``rows``)."""
        if self.vectors is None or not len(self.vectors):
            return model_lib.score_rows(model, self.terms.matrix, rows)
        has, vrows = self._embedded(cand)
        return model_lib.score_rows(model, self.terms.matrix, rows, self.vectors.matrix, has, vrows)

    def features(self, pks) -> tuple[np.ndarray, sp.csr_matrix, np.ndarray | None]:
        kept, rows = self.rows(pks)
        return kept, self.terms.matrix[rows], self.dense(kept)

    def query(self, text: str) -> tuple[sp.csr_matrix | None, np.ndarray | None]:
        """Features of the user's interests text (None when empty)."""
        text = text.strip()
        if not text:
            return None, None
        X = self.terms.weights.transform(term_index.counts([term_index.paper_terms_text(text, "")]))
        E = None
        if self.vectors is not None and len(self.vectors) and self.embedder is not None:
            try:
                E = np.asarray(self.embedder.encode([text]), dtype=np.float32).reshape(1, -1)
            except Exception as err:  # noqa: BLE001 - the terms still carry the interests
                log.warning("could not embed the interests text (%s)", err)
        return X, E


def _corpus(pw: Paperwire) -> _Corpus:
    model = pw.embedder()
    index = pw.vectors.get(model.name) if model is not None else None
    return _Corpus(pw.terms.get(), index, model)


# -- the per-user model, cached until the user's signals change --------------------------------------
@dataclass
class Fitted:
    key: tuple
    model: model_lib.ContentModel
    positives: np.ndarray  # pks
    from_interests: bool
    seconds: float = 0.0


def user_model(pw: Paperwire, user_pk: int, prof: Profile, corpus: _Corpus, *, allow_fit: bool = True,
               params: model_lib.ContentParams = model_lib.ContentParams()) -> Fitted | None:  # fmt: skip
    """The user's content model (None when nothing is known about them). With ``allow_fit`` False
    (an inactive user's digest) a cached model is reused, else the cheap centroid model is built."""
    if prof.empty:
        return None
    key = (prof.stamp, corpus.terms._signature, corpus.vectors._signature if corpus.vectors is not None else None)
    found = pw.user_models.get(user_pk)
    if found is not None and found.key == key:
        return found
    started = time.perf_counter()
    pos_pks, X_pos, E_pos = corpus.features(sorted(prof.positives))
    neg_explicit = sorted(prof.negatives)
    rng = np.random.default_rng(user_pk)
    pool = corpus.terms.pks
    taken = set(prof.positives) | prof.negatives
    want = min(params.negatives, max(0, len(pool) - len(taken)))
    sample = rng.choice(pool, size=min(len(pool), want + len(taken)), replace=False) if want else np.zeros(0, np.int64)
    sample = np.array([pk for pk in sample.tolist() if pk not in taken][:want], dtype=np.int64)
    neg_pks, X_neg, E_neg = corpus.features(np.concatenate([np.asarray(neg_explicit, dtype=np.int64), sample]))
    weights = np.where(np.isin(neg_pks, neg_explicit), params.explicit_weight, 1.0).astype(np.float32)
    X_q, E_q = corpus.query(prof.interests)
    if not allow_fit:
        # the reader's words keep counting once there are enough ratings for the linear model elsewhere
        blend_text = X_q is not None and len(pos_pks) >= params.min_positives and params.interest_share > 0
        model = model_lib.centroid_model(X_pos, E_pos, X_neg[: len(neg_explicit)] if neg_explicit else None,
                                         E_neg[: len(neg_explicit)] if (E_neg is not None and neg_explicit) else None,
                                         X_query=None if blend_text else X_q, E_query=None if blend_text else E_q,
                                         params=params)  # fmt: skip
        if blend_text:
            model = model_lib.with_interests(model, model_lib.interests_model(X_q, E_q, params=params), X_neg, E_neg,
                                             share=params.interest_share)  # fmt: skip
    else:
        model = model_lib.user_model(X_pos, E_pos, X_neg, E_neg, neg_weight=weights, X_query=X_q, E_query=E_q,
                                     params=params)  # fmt: skip
    fitted = Fitted(key, model, pos_pks, model.kind == "centroid", time.perf_counter() - started)
    if allow_fit:
        pw.user_models.put(user_pk, fitted)
    return fitted


# -- the collaborative part: co-occurrence of positive signals across readers ------------------------------
@dataclass
class CoSaves:
    R: sp.csr_matrix  # users × papers, 1 where the user has a positive signal
    user_row: dict[int, int]
    paper_col: dict[int, int]
    col_pk: np.ndarray
    loaded: float = field(default_factory=time.monotonic)

    @property
    def readers(self) -> int:
        return len(self.user_row)


def cosaves(pw: Paperwire) -> CoSaves:
    """Every reader's positive signals as a users × papers matrix, reused for :data:`COSAVE_TTL` seconds."""
    found = pw.cosaves.get("all")
    if found is not None and time.monotonic() - found.loaded < COSAVE_TTL:
        return found
    pairs = db.positive_pairs(pw.store)
    users, user_idx = np.unique(pairs[:, 0], return_inverse=True) if len(pairs) else (np.zeros(0, np.int64), np.zeros(0, np.int64))
    papers, paper_idx = np.unique(pairs[:, 1], return_inverse=True) if len(pairs) else (np.zeros(0, np.int64), np.zeros(0, np.int64))
    R = sp.csr_matrix((np.ones(len(pairs), np.float32), (user_idx, paper_idx)), shape=(len(users), len(papers)))
    found = CoSaves(R, {int(u): i for i, u in enumerate(users)}, {int(q): i for i, q in enumerate(papers)}, papers)
    pw.cosaves.put("all", found)
    return found


def forget_user(pw: Paperwire, user_pk: int) -> None:
    """Drop everything cached about a user (account deleted): their model and the co-occurrence counts."""
    pw.user_models.pop(user_pk)
    pw.cosaves.clear()


MIN_READERS = 3  # other readers needed before co-saves say anything


def _collaborative(pw: Paperwire, user_pk: int, prof: Profile, cand: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(score per candidate, the user's paper pk behind each score or -1), or None when the instance has
    too few other readers with overlapping signals."""
    co = cosaves(pw)
    own_row = co.user_row.get(user_pk)
    if co.readers - (own_row is not None) < MIN_READERS:
        return None
    items = np.array(sorted(co.paper_col[pk] for pk in prof.positives if pk in co.paper_col), dtype=np.int64)
    if not len(items):
        return None
    scores, because = model_lib.collaborative_scores(co.R, items, exclude_row=own_row)
    cols = np.array([co.paper_col.get(int(pk), -1) for pk in cand], dtype=np.int64)
    has = cols >= 0
    out = np.zeros(len(cand), dtype=np.float64)
    who = np.full(len(cand), -1, dtype=np.int64)
    out[has] = scores[cols[has]]
    b = np.asarray(because)[cols[has]]
    who[has] = np.where(b >= 0, co.col_pk[np.clip(b, 0, None)], -1)
    if not np.any(out > 0):
        return None
    return out, who


# -- the list ----------------------------------------------------------------------------------------------
def window(store: Store, since: datetime | None, until: datetime | None, days: int | None) -> tuple[datetime | None, datetime | None]:
    """The period recommended from: ``since``..``until``, or the newest ``days`` days of the corpus."""
    if since is not None or until is not None:
        return since, until
    newest = store.newest_published()
    if newest is None:
        return None, None
    end = datetime(newest.year, newest.month, newest.day) + timedelta(days=1)
    return end - timedelta(days=max(1, min(days or DEFAULT_DAYS, MAX_DAYS))), end


def recommend(pw: Paperwire, user: User | int, *, since: datetime | None = None, until: datetime | None = None,
              days: int | None = None, category: str | None = None, limit: int = 20, offset: int = 0,
              exclude: set[str] | frozenset[str] = frozenset(), active_days: int | None = None, diversity: float = 0.75) -> Recommendations:  # fmt: skip
    """Recent papers for the user, best first, diverse (MMR), each with a one-line reason. Papers the user
    already rated, saved or upvoted and the ids in ``exclude`` (e.g. sent in an earlier digest) are left out.
    With ``active_days``, a user whose newest signal is older than that gets no refit (the cached model
    or the cheap centroid one)."""
    store = pw.store
    user_pk = user if isinstance(user, int) else user.pk
    limit = max(0, min(int(limit), MAX_LIMIT))
    offset = max(0, min(int(offset), 1000))
    since, until = window(store, since, until, days)
    prof = profile(store, user_pk)
    if prof.empty:
        return Recommendations([], "none", since, until)
    corpus = _corpus(pw)
    allow_fit = active_days is None or (prof.last_active is not None
                                        and prof.last_active >= utcnow() - timedelta(days=active_days))  # fmt: skip
    fitted = user_model(pw, user_pk, prof, corpus, allow_fit=allow_fit)
    seen = set(prof.positives) | prof.negatives
    if exclude:
        seen |= set(pks_of(store, list(exclude)).values())
    cand = db.candidate_pks(store, since, until, category) if category else corpus.terms.published_between(since, until)
    cand = cand[~np.isin(cand, np.fromiter(seen, dtype=np.int64, count=len(seen)))]
    cand, rows = corpus.rows(cand)
    result = Recommendations([], fitted.model.kind, since, until, len(prof.positives), len(prof.negatives))
    if not len(cand):
        return result
    content = corpus.scores(fitted.model, cand, rows)
    collab = _collaborative(pw, user_pk, prof, cand)
    cf_scores = collab[0] if collab is not None else None
    total = np.asarray(model_lib.blend(content, cf_scores), dtype=np.float64)
    result.collaborative = collab is not None
    want = offset + limit
    pool = np.argsort(-total, kind="stable")[: max(want * POOL, want)]
    X_pool, E_pool = corpus.terms.matrix[rows[pool]], corpus.dense(cand[pool])
    similarity = E_pool if E_pool is not None else X_pool  # for diversity: embeddings, else terms
    picked = mmr(total[pool], similarity, want, trade_off=diversity)[offset:]
    chosen = [int(cand[pool[i]]) for i in picked]
    papers = db.papers_by_pk(store, chosen)
    explain = _Explainer(store, fitted, corpus, content[pool], None if cf_scores is None else cf_scores[pool],
                         None if collab is None else collab[1][pool], E_pool, X_pool, chosen, prof.positives)  # fmt: skip
    for i in picked:
        paper = papers.get(int(cand[pool[i]]))
        if paper is not None:
            result.items.append(Recommendation(paper, float(total[pool[i]]), explain.line(i, paper)))
    return result


class _Explainer:
    """Builds each recommended paper's reason from the parts of its score (rows of the MMR pool)."""

    def __init__(self, store: Store, fitted: Fitted, corpus: _Corpus, content, cf, because, E, X, chosen: list[int],
                 kinds: dict[int, str] | None = None):  # fmt: skip
        self.fitted, self.E, self.X = fitted, E, X
        self.kinds = kinds or {}  # liked paper pk -> how the reader marked it (rating, saved, upvote)
        self.zc = model_lib.zscore(content)
        # the interests text's part of each content score against the rest (ratings), each around its mean
        self.interests_first = np.zeros(len(content), dtype=bool)
        part = fitted.model.interests
        if part is not None and len(content):
            mine = np.asarray(part.score(X, E if len(part.w_embed) else None), dtype=np.float64)
            rest = np.asarray(content, dtype=np.float64) - mine
            mine, rest = mine - mine.mean(), rest - rest.mean()
            self.interests_first = (mine > 0) & (mine > rest)
        self.zf = model_lib.zscore(cf) * model_lib.BLEND_WEIGHT if cf is not None else None
        self.because = because
        self.liked_pks = fitted.positives
        self.liked_E = corpus.dense(fitted.positives) if len(fitted.positives) else None
        self.liked_E = self.liked_E if self.liked_E is not None and np.any(self.liked_E) else None
        wanted = set(chosen)
        if self.liked_E is not None:
            wanted |= set(fitted.positives.tolist())
        if because is not None:
            wanted |= {int(b) for b in because if b >= 0}
        self.titles = {pk: title for pk, (title, _summary) in corpus_db.texts_by_pk(store, sorted(wanted)).items()}

    def line(self, i: int, paper: Paper) -> str:
        liked: list[tuple[str, float, str]] = []
        if self.liked_E is not None and self.E is not None:
            sims = self.liked_E @ self.E[i]
            for j in np.argsort(-sims)[:2]:
                pk = int(self.liked_pks[j])
                liked.append((self.titles.get(pk, ""), float(sims[j]), self.kinds.get(pk, "rating")))
        row = self.X[i]
        text = term_index.paper_terms_text(paper.title, paper.summary)
        contrib = dict(zip(row.indices.tolist(), (row.data * self.fitted.model.w_terms[row.indices]).tolist()))
        words = term_index.top_terms(text, contrib, k=3)
        interest_words: list[str] = []
        part = self.fitted.model.interests
        if self.interests_first[i] and part is not None:
            weight = dict(zip(part.cols.tolist(), part.w_terms.tolist()))
            mine = {c: v * weight[c] for c, v in zip(row.indices.tolist(), row.data.tolist()) if c in weight}
            interest_words = term_index.top_terms(text, mine, k=3) if mine else []
        cf_part = float(self.zf[i]) if self.zf is not None else 0.0
        cf_title = None
        if self.because is not None and self.because[i] >= 0 and cf_part > 0:
            cf_title = self.titles.get(int(self.because[i]))
        return reason(Evidence(content=float(self.zc[i]), collaborative=cf_part, collaborative_title=cf_title,
                               liked=tuple(liked), terms=tuple(words), from_interests=self.fitted.from_interests,
                               interests_first=bool(self.interests_first[i]), interest_terms=tuple(interest_words)))  # fmt: skip


# -- onboarding ---------------------------------------------------------------------------------------------
@dataclass
class InterestsReport:
    interests: str
    matched: list[str]
    unmatched: list[str]

    def as_dict(self) -> dict:
        return {"interests": self.interests, "matched": self.matched, "unmatched": self.unmatched}


def interests(store: Store, user: User) -> str:
    return db.get_interests(store, user.pk)


def set_interests(store: Store, user: User, text: str | None, liked: str | None = None) -> InterestsReport:
    """Save the interests text; papers named in ``liked`` (arXiv ids, URLs or BibTeX) are rated up."""
    text = " ".join((text or "").split())
    if len(text) > MAX_INTERESTS:
        raise AccountError(f"interests are at most {MAX_INTERESTS} characters", "interests")
    if not text.isprintable():
        raise AccountError("interests must be plain text", "interests")
    refs = list(dict.fromkeys(parse_refs(liked or "")))[:MAX_LIKED] if liked and liked.strip() else []
    known = pks_of(store, refs)
    for ref in refs:
        if ref in known:
            account_db.set_rating(store, user.pk, known[ref], 1)
    db.set_interests(store, user.pk, text)
    return InterestsReport(text, [r for r in refs if r in known], [r[:200] for r in refs if r not in known])


def to_rate(pw: Paperwire, user: User, *, limit: int = 10, days: int = 90) -> list[Paper]:
    """Papers to ask the user about first: likely and uncertain matches of what they told us, on
    different topics (``rank.diversity.pick_to_rate``), from the newest ``days`` days."""
    store = pw.store
    limit = max(1, min(int(limit), 30))
    prof = profile(store, user.pk)
    if prof.empty:
        return []
    corpus = _corpus(pw)
    fitted = user_model(pw, user.pk, prof, corpus)
    since, until = window(store, None, None, days)
    cand = db.candidate_pks(store, since, until)
    cand = np.array([pk for pk in cand.tolist() if pk not in prof.positives and pk not in prof.negatives], np.int64)
    cand, X, E = corpus.features(cand)
    if not len(cand):
        return []
    scores = np.asarray(fitted.model.score(X, E), dtype=np.float64)
    dense = E if E is not None else X
    picked = pick_to_rate(scores, dense, limit)
    papers = db.papers_by_pk(store, [int(cand[i]) for i in picked])
    return [papers[int(cand[i])] for i in picked if int(cand[i]) in papers]
