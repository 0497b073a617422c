"""Per-user recommendation quality and speed: paperwire's model (``rank/recommend.py``) against the
arxiv-sanity approach and simpler baselines, on two tasks.

    .venv/bin/python benchmarks/recommend_eval.py            # full run (prints the table)
    .venv/bin/python benchmarks/recommend_eval.py --quick    # fewer users, fewer bootstrap draws
    .venv/bin/python benchmarks/recommend_eval.py --embed    # only fill the embedding cache
    .venv/bin/python benchmarks/recommend_eval.py --tune     # the validation grid that chose the defaults

Tasks
- citeulike-a: the 1,603 users with >= 5 of the 1,906 text items; 20% of each user's text items held
  out (at least 1); rank the text items minus the user's training items. Collaborative filtering may
  use all of users.dat except the user's held-out items.
- arXiv author continuation: authors (exact name) with >= 5 papers before the cut-off and >= 2 in the
  month after (300 sampled); positives = earlier papers; candidates = the month after.

Tuning is done on validation configurations (citeulike with another hold-out seed; arXiv with cut-off
2026-02-01) and the specified configurations are reported. Embeddings (MiniLM, paperwire's
OnnxEmbedder) are cached in ``benchmarks/.cache/`` and computed only once.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import random
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, os.environ.get("PAPERWIRE_BENCH_SRC", str(ROOT / "src")))  # another checkout's code: before/after
CACHE = Path(os.environ.get("PAPERWIRE_BENCH_CACHE", ROOT / "benchmarks" / ".cache"))
DATA = Path(os.environ.get("PAPERWIRE_SHARED_DATA", ROOT.parent / "shared" / "data"))
K = 20
MAIN_CUT, VALID_USERS = "2026-03-01", 150

from paperwire.index import terms  # noqa: E402
from paperwire.index.embedder import paper_text  # noqa: E402
from paperwire.rank import recommend as rec  # noqa: E402


# -- data ------------------------------------------------------------------------------------------------
def load_citeulike(data: Path = DATA / "citeulike_a"):
    with gzip.open(data / "items_text_partial.csv.gz", "rt", newline="") as fh:
        items = [row for row in csv.DictReader(fh) if row["title"].strip()]
    with open(data / "users.dat") as fh:
        users = [[int(x) for x in line.split()[1:]] for line in fh]
    return items, users


def load_arxiv(path: Path = DATA / "arxiv" / "arxiv_cs_2025_2026.jsonl.gz") -> list[dict]:
    with gzip.open(path, "rt") as fh:
        return [json.loads(line) for line in fh]


def next_month(day: str) -> str:
    y, m = int(day[:4]), int(day[5:7])
    y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return f"{y:04d}-{m:02d}-01"


@dataclass
class ArxivTask:
    cut: str
    authors: list[str]
    positives: list[np.ndarray]  # row indices into papers, per author (earlier papers)
    targets: list[np.ndarray]  # row indices of their papers in the month after
    candidates: np.ndarray  # row indices of the month after the cut-off
    negatives: np.ndarray  # sampled earlier papers (weak negatives), row indices


def arxiv_task(papers: list[dict], cut: str, *, n_users: int = 300, n_neg: int = 2000, seed: int = 0,
               exclude: frozenset[str] = frozenset()) -> ArxivTask:
    end = next_month(cut)
    before, after = defaultdict(list), defaultdict(list)
    for i, p in enumerate(papers):
        if p["published"] < cut:
            for a in p["authors"]:
                before[a].append(i)
        elif p["published"] < end:
            for a in p["authors"]:
                after[a].append(i)
    eligible = sorted(a for a in before if len(before[a]) >= 5 and len(after[a]) >= 2 and a not in exclude)
    chosen = eligible if len(eligible) <= n_users else sorted(random.Random(seed).sample(eligible, n_users))
    candidates = np.array([i for i, p in enumerate(papers) if cut <= p["published"] < end])
    # weak negatives as the service samples them: unrated recent papers (here the 2 months before the
    # cut-off); one sample shared by the users (each user's own papers are removed when fitting)
    y, m = int(cut[:4]), int(cut[5:7]) - 2
    start = f"{y - (m <= 0):04d}-{(m - 1) % 12 + 1:02d}-01"
    pool = [i for i, p in enumerate(papers) if start <= p["published"] < cut]
    negatives = np.array(sorted(random.Random(1).sample(pool, min(n_neg, len(pool)))))
    return ArxivTask(cut, chosen, [np.array(before[a]) for a in chosen], [np.array(after[a]) for a in chosen],
                     candidates, negatives)  # fmt: skip


def arxiv_tasks(papers: list[dict]) -> tuple[ArxivTask, ArxivTask]:
    """The reported configuration (300 authors, cut-off 2026-03-01) and the validation one: 150 other
    eligible authors at the same cut-off (same candidates and negative sample, disjoint users)."""
    main = arxiv_task(papers, MAIN_CUT)
    return main, arxiv_task(papers, MAIN_CUT, n_users=VALID_USERS, seed=1, exclude=frozenset(main.authors))


# -- embeddings (cached) ---------------------------------------------------------------------------------
def _embedder():
    from paperwire.index.embedder import OnnxEmbedder

    return OnnxEmbedder(CACHE / "models", threads=int(os.environ.get("EMBED_THREADS", "2")))


def embed_cached(name: str, keys: list[str], texts: list[str], *, compute: bool = True) -> np.ndarray | None:
    """MiniLM vectors of ``texts`` keyed by ``keys``; cached in ``benchmarks/.cache/<name>.npz`` and
    extended with the missing keys only (saved every 500 texts, so an interrupted run resumes)."""
    path = CACHE / f"{name}.npz"
    have: dict[str, np.ndarray] = {}
    if path.exists():
        with np.load(path) as f:
            have = dict(zip(f["keys"].tolist(), f["vectors"]))
    missing = [(k, t) for k, t in dict(zip(keys, texts)).items() if k not in have]
    if missing and not compute:
        return None
    if missing:
        embedder = _embedder()
        started = time.monotonic()
        for n in range(0, len(missing), 500):
            chunk = missing[n : n + 500]
            vectors = embedder.encode([t for _, t in chunk])
            have.update(zip([k for k, _ in chunk], vectors))
            CACHE.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".tmp.npz")
            np.savez(tmp, keys=np.array(list(have)), vectors=np.stack(list(have.values())))
            tmp.replace(path)
            done = n + len(chunk)
            print(f"  {name}: embedded {done:,}/{len(missing):,} ({done / (time.monotonic() - started):.1f}/s)",
                  file=sys.stderr, flush=True)  # fmt: skip
    return np.stack([have[k] for k in keys]).astype(np.float32)


def arxiv_needed(papers: list[dict], tasks: list[ArxivTask]) -> np.ndarray:
    rows = set()
    for task in tasks:
        rows.update(task.candidates.tolist(), task.negatives.tolist())
        for p in task.positives:
            rows.update(p.tolist())
    return np.array(sorted(rows))


def embed_all(quick: bool = False) -> None:
    items, _ = load_citeulike()
    embed_cached("citeulike-minilm", [r["item_id"] for r in items], [paper_text(r["title"], r["abstract"]) for r in items])
    papers = load_arxiv()
    tasks = arxiv_tasks(papers)
    for task in tasks:  # the reported configuration first
        rows = arxiv_needed(papers, [task])
        embed_cached("arxiv-minilm", [papers[i]["id"] for i in rows],
                     [paper_text(papers[i]["title"], papers[i]["summary"]) for i in rows])  # fmt: skip


# -- metrics ---------------------------------------------------------------------------------------------
_DISCOUNT = 1.0 / np.log2(np.arange(2, K + 2))


def metrics(scores: np.ndarray, candidates: np.ndarray, targets: np.ndarray) -> tuple[float, float]:
    """recall@K and nDCG@K of ``targets`` when ``candidates`` are ranked by ``scores`` (ties: stable)."""
    top = candidates[np.argsort(-scores, kind="stable")[:K]]
    hits = np.isin(top, targets).astype(np.float64)
    idcg = _DISCOUNT[: min(K, len(targets))].sum()
    return hits.sum() / len(targets), float(hits @ _DISCOUNT[: len(hits)]) / idcg


def bootstrap_ratio(values: np.ndarray, base: np.ndarray, draws: int, seed: int = 0) -> tuple[float, float, float]:
    rng = np.random.default_rng(seed)
    n = len(values)
    picks = rng.integers(0, n, size=(draws, n))
    ratios = values[picks].mean(axis=1) / np.maximum(base[picks].mean(axis=1), 1e-12)
    return values.mean() / base.mean(), *np.percentile(ratios, [2.5, 97.5])


# -- baselines -------------------------------------------------------------------------------------------
def sanity_features(texts: list[str]) -> sp.csr_matrix:
    """arxiv-sanity's TF-IDF: 1-2-grams, sublinear tf, English stop words, min_df 5, max_df 0.1, 20k features."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    v = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, stop_words="english", max_features=20000,
                        min_df=5, max_df=0.1, strip_accents="unicode", lowercase=True, dtype=np.float32)  # fmt: skip
    return v.fit_transform(texts).tocsr()


def sanity_scores(S: sp.csr_matrix, pos: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """arxiv-sanity: LinearSVC C=0.01, balanced, the user's positives against every other item of
    ``S``; scores of ``rows``."""
    from sklearn.svm import LinearSVC

    y = np.zeros(S.shape[0])
    y[pos] = 1
    clf = LinearSVC(C=0.01, class_weight="balanced", max_iter=10000, tol=1e-6, dual=True).fit(S, y)
    return clf.decision_function(S[rows])


def embed_lr_scores(E: np.ndarray, pos: np.ndarray, neg: np.ndarray, rows: np.ndarray, C: float = 1.0) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression

    X = np.vstack([E[pos], E[neg]])
    y = np.r_[np.ones(len(pos)), np.zeros(len(neg))]
    clf = LogisticRegression(C=C, class_weight="balanced", max_iter=1000).fit(X, y)
    return clf.decision_function(E[rows])


# -- citeulike-a -----------------------------------------------------------------------------------------
@dataclass
class Citeulike:
    ids: np.ndarray  # item id per text row
    X: sp.csr_matrix  # shipped term features (index.terms)
    S: sp.csr_matrix  # arxiv-sanity features
    E: np.ndarray | None
    R: sp.csr_matrix  # users × 16,980 items
    users: list[int]  # evaluated user rows
    train: list[np.ndarray]  # text rows
    held: list[np.ndarray]  # text rows
    held_items: list[np.ndarray]  # item ids of held-out


def citeulike(seed: int, E_needed: bool = True, n_users: int | None = None) -> Citeulike:
    items, users = load_citeulike()
    ids = np.array([int(r["item_id"]) for r in items])
    row_of = {int(i): n for n, i in enumerate(ids)}
    X, _ = terms.features([terms.paper_terms_text(r["title"], r["abstract"]) for r in items])
    S = sanity_features([paper_text(r["title"], r["abstract"]) for r in items])
    E = embed_cached("citeulike-minilm", [r["item_id"] for r in items],
                     [paper_text(r["title"], r["abstract"]) for r in items], compute=E_needed)  # fmt: skip
    pairs = [(u, i) for u, lib in enumerate(users) for i in lib]
    R = sp.csr_matrix((np.ones(len(pairs), np.float32), ([u for u, _ in pairs], [i for _, i in pairs])),
                      shape=(len(users), 16980))  # fmt: skip
    rng = np.random.default_rng(seed)
    chosen, train, held, held_items = [], [], [], []
    for u, lib in enumerate(users):
        rows = np.array(sorted(row_of[i] for i in set(lib) if i in row_of))
        if len(rows) < 5:
            continue
        n_held = max(1, int(round(0.2 * len(rows))))
        perm = rng.permutation(len(rows))
        chosen.append(u)
        held.append(np.sort(rows[perm[:n_held]]))
        train.append(np.sort(rows[perm[n_held:]]))
        held_items.append(ids[held[-1]])
    if n_users is not None and n_users < len(chosen):
        keep = np.sort(np.random.default_rng(seed + 100).choice(len(chosen), n_users, replace=False))
        chosen, train, held, held_items = ([v[k] for k in keep] for v in (chosen, train, held, held_items))
    return Citeulike(ids, X, S, E, R, chosen, train, held, held_items)


def run_citeulike(data: Citeulike, methods: dict, *, log_every: int = 0) -> dict[str, np.ndarray]:
    """``methods``: name -> f(ctx) returning scores over ``ctx['cand']`` (text rows)."""
    n = len(data.ids)
    col_counts = np.asarray(data.R.sum(axis=0)).ravel()
    out = {name: [] for name in methods}
    for k, u in enumerate(data.users):
        train, held = data.train[k], data.held[k]
        cand = np.setdiff1d(np.arange(n), train)
        own = data.R.getrow(u)
        ctx = dict(data=data, u=u, train=train, held=held, cand=cand, neg=cand, own=own, col_counts=col_counts,
                   cf_items=np.setdiff1d(own.indices, data.held_items[k]), cache={})  # fmt: skip
        for name, f in methods.items():
            out[name].append(metrics(np.asarray(f(ctx), dtype=np.float64), cand, held))
        if log_every and (k + 1) % log_every == 0:
            print(f"  citeulike {k + 1}/{len(data.users)}", file=sys.stderr, flush=True)
    return {name: np.array(v) for name, v in out.items()}


def cul_cf(ctx) -> np.ndarray:
    if "cf" not in ctx["cache"]:
        scores, _ = rec.collaborative_scores(ctx["data"].R, ctx["cf_items"], exclude_row=ctx["u"])
        ctx["cache"]["cf"] = scores[ctx["data"].ids[ctx["cand"]]]
    return ctx["cache"]["cf"]


def cul_content(params) -> callable:
    def f(ctx):
        key = ("content", params)
        if key not in ctx["cache"]:
            d, train, neg = ctx["data"], ctx["train"], ctx["neg"]
            E = d.E if params.embed_weight > 0 else None
            model = rec.user_model(d.X[train], None if E is None else E[train], d.X[neg], None if E is None else E[neg],
                                   params=params)  # fmt: skip
            ctx["cache"][key] = model.score(d.X[ctx["cand"]], None if E is None else E[ctx["cand"]])
        return ctx["cache"][key]

    return f


def cul_shipped(params, weight) -> callable:
    content = cul_content(params)
    return lambda ctx: rec.blend(content(ctx), cul_cf(ctx), weight=weight)


def cul_methods(params, weight, *, baselines: bool = True) -> dict:
    m = {}
    if baselines:
        m["random"] = lambda ctx: np.random.default_rng(ctx["u"]).random(len(ctx["cand"]))
        m["popularity"] = lambda ctx: (ctx["col_counts"] - ctx["own"].toarray().ravel())[ctx["data"].ids[ctx["cand"]]]
        m["arxiv-sanity approach"] = lambda ctx: sanity_scores(ctx["data"].S, ctx["train"], ctx["cand"])
        if True:
            m["MiniLM + logistic regression"] = lambda ctx: embed_lr_scores(ctx["data"].E, ctx["train"], ctx["neg"], ctx["cand"]) if ctx["data"].E is not None else np.zeros(len(ctx["cand"]))
        m["collaborative only"] = cul_cf
    m["content only (= new instance)"] = cul_content(params)
    m["shipped (content + collaborative)"] = cul_shipped(params, weight)
    return m


# -- arXiv author continuation ---------------------------------------------------------------------------
@dataclass
class Arxiv:
    task: ArxivTask
    pool: np.ndarray  # paper rows: candidates ∪ negatives ∪ every author's positives
    X: sp.csr_matrix  # shipped term features of the pool rows
    S: sp.csr_matrix  # arxiv-sanity features of the pool rows
    E: np.ndarray | None
    at: dict[int, int]  # paper row -> pool row


_ARXIV_COUNTS = None


def arxiv_counts(papers: list[dict]) -> sp.csr_matrix:
    """Term counts of the whole corpus (cached in benchmarks/.cache/arxiv-counts.npz)."""
    global _ARXIV_COUNTS
    if _ARXIV_COUNTS is not None:
        return _ARXIV_COUNTS
    path = CACHE / "arxiv-counts.npz"
    if path.exists():
        _ARXIV_COUNTS = sp.load_npz(path).tocsr()
    else:
        started = time.monotonic()
        _ARXIV_COUNTS = terms.counts([terms.paper_terms_text(p["title"], p["summary"]) for p in papers])
        CACHE.mkdir(parents=True, exist_ok=True)
        sp.save_npz(path, _ARXIV_COUNTS)
        print(f"  counted terms of {len(papers):,} papers in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return _ARXIV_COUNTS


def arxiv(papers: list[dict], task: ArxivTask, *, embeddings: bool = True) -> Arxiv:
    pool = arxiv_needed(papers, [task])
    raw = arxiv_counts(papers)
    known = np.array([p["published"] < next_month(task.cut) for p in papers])  # what the service has then
    weights = terms.TermWeights.from_counts(raw[np.flatnonzero(known)])
    X = weights.transform(raw[pool])
    S = sanity_features([paper_text(papers[i]["title"], papers[i]["summary"]) for i in pool])
    E = None
    if embeddings:
        E = embed_cached("arxiv-minilm", [papers[i]["id"] for i in pool],
                         [paper_text(papers[i]["title"], papers[i]["summary"]) for i in pool], compute=False)  # fmt: skip
    return Arxiv(task, pool, X, S, E, {int(r): n for n, r in enumerate(pool)})


def run_arxiv(data: Arxiv, methods: dict, *, n_users: int | None = None, log_every: int = 0) -> dict[str, np.ndarray]:
    t = data.task
    cand = np.array([data.at[i] for i in t.candidates])
    negs = np.array([data.at[i] for i in t.negatives])
    out = {name: [] for name in methods}
    users = range(len(t.authors)) if n_users is None else range(min(n_users, len(t.authors)))
    for k in users:
        pos = np.array([data.at[i] for i in t.positives[k]])
        targets = np.array([data.at[i] for i in t.targets[k]])
        ctx = dict(data=data, k=k, pos=pos, neg=np.setdiff1d(negs, pos), cand=cand, cache={})
        for name, f in methods.items():
            out[name].append(metrics(np.asarray(f(ctx), dtype=np.float64), cand, targets))
        if log_every and (k + 1) % log_every == 0:
            print(f"  arxiv {k + 1}/{len(users)}", file=sys.stderr, flush=True)
    return {name: np.array(v) for name, v in out.items()}


def ax_content(params) -> callable:
    def f(ctx):
        d, pos, neg = ctx["data"], ctx["pos"], ctx["neg"]
        E = d.E if params.embed_weight > 0 else None
        model = rec.user_model(d.X[pos], None if E is None else E[pos], d.X[neg], None if E is None else E[neg],
                               params=params)  # fmt: skip
        return model.score(d.X[ctx["cand"]], None if E is None else E[ctx["cand"]])

    return f


def ax_methods(params, *, baselines: bool = True) -> dict:
    m = {}
    if baselines:
        m["random"] = lambda ctx: np.random.default_rng(ctx["k"]).random(len(ctx["cand"]))
        m["arxiv-sanity approach"] = lambda ctx: sanity_scores(ctx["data"].S, ctx["pos"], ctx["cand"])
        m["MiniLM + logistic regression"] = lambda ctx: embed_lr_scores(ctx["data"].E, ctx["pos"], ctx["neg"], ctx["cand"]) if ctx["data"].E is not None else np.zeros(len(ctx["cand"]))
    m["content only (= shipped on arXiv)"] = ax_content(params)
    return m


# -- report ----------------------------------------------------------------------------------------------
def table(title: str, results: dict[str, np.ndarray], draws: int) -> None:
    base = results["arxiv-sanity approach"]
    print(f"\n{title}  ({len(base)} users; ratio to the arxiv-sanity approach, bootstrap 95% interval, {draws} draws)")
    print(f"{'method':<36} {'recall@20':>9} {'ratio [95% CI]':>22} {'nDCG@20':>8} {'ratio [95% CI]':>22}")
    for name, v in results.items():
        cells = []
        for col in (0, 1):
            r, lo, hi = bootstrap_ratio(v[:, col], base[:, col], draws)
            cells.append(f"{v[:, col].mean():>9.3f} {f'{r:.2f}x [{lo:.2f}, {hi:.2f}]':>22}")
        print(f"{name:<36} {cells[0]} {cells[1]}")


# -- speed -----------------------------------------------------------------------------------------------
def speed(papers: list[dict], params: rec.ContentParams, repeats: int = 5) -> None:
    """Per-user fit with positives + 5,000 sampled negatives, and scoring the whole corpus, on the real
    arXiv TF-IDF rows (all papers) and 384-d MiniLM vectors (real ones of citeulike papers, repeated).
    The arxiv-sanity step (LinearSVC C=0.01 on the same TF-IDF rows, same sample) is timed beside it."""
    raw = arxiv_counts(papers)
    X = terms.TermWeights.from_counts(raw).transform(raw)
    n = X.shape[0]
    rng = np.random.default_rng(0)
    real = CACHE / "citeulike-minilm.npz"
    if real.exists():  # real MiniLM vectors (of citeulike papers) repeated to the corpus size
        with np.load(real) as f:
            E = f["vectors"][rng.integers(0, len(f["vectors"]), n)].astype(np.float32)
    else:
        E = rng.standard_normal((n, 384)).astype(np.float32)
        E /= np.linalg.norm(E, axis=1, keepdims=True)
    print(f"\nspeed (one process, {n:,} papers; median of {repeats}; the machine is shared, so times are noisy)")
    for n_pos in (5, 20, 100):
        fits, svm = [], []
        for rep in range(repeats):
            pos = rng.choice(n, n_pos, replace=False)
            neg = np.setdiff1d(rng.choice(n, params.negatives, replace=False), pos)
            started = time.perf_counter()
            model = rec.user_model(X[pos], E[pos], X[neg], E[neg], params=params)
            fits.append(time.perf_counter() - started)
            started = time.perf_counter()
            rec.fit_content(X[pos], None, X[neg], None, params=rec.ContentParams(C=0.01, embed_weight=0, loss="hinge"))
            svm.append(time.perf_counter() - started)
        print(f"  fit ({model.kind}), {n_pos} positives + {params.negatives:,} negatives, incl. row slicing: "
              f"{np.median(fits) * 1000:.0f} ms  (TF-IDF LinearSVC C=0.01 alone: {np.median(svm) * 1000:.0f} ms)")  # fmt: skip
    scores = []
    for _ in range(repeats):
        started = time.perf_counter()
        s = model.score(X, E)
        top = np.argpartition(-s, 50)[:50]
        scores.append(time.perf_counter() - started)
    print(f"  score all {n:,} papers (terms + embeddings) and take the top 50: {np.median(scores) * 1000:.0f} ms")
    users, items = 5000, 20000
    rows = np.repeat(np.arange(users), 40)
    R = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, rng.integers(0, items, len(rows)))), shape=(users, items))
    cf = []
    for u in range(repeats):
        started = time.perf_counter()
        rec.collaborative_scores(R, R.getrow(u).indices, exclude_row=u)
        cf.append(time.perf_counter() - started)
    print(f"  collaborative_scores, {users:,} users x {items:,} items, 40 saves each: {np.median(cf) * 1000:.0f} ms")


# -- interests kept: typed interests plus off-topic early ratings ----------------------------------------
# What a reader typed, and the phrases that make a paper "on those interests" (in its title or abstract):
# a judgement independent of the model (no embedding or term weight decides it).
INTEREST_TOPICS = [
    ("speculative decoding, efficient LLM inference, KV cache compression", ["speculative decoding", "kv cache", "llm inference", "inference efficiency"]),
    ("reinforcement learning from human feedback, reward models, preference optimization", ["human feedback", "reward model", "preference optimization", "rlhf", "dpo"]),
    ("retrieval-augmented generation and dense retrieval", ["retrieval-augmented", "retrieval augmented", "dense retrieval", "rag "]),
    ("text-to-image diffusion models and image editing", ["text-to-image", "image editing", "image generation"]),
    ("graph neural networks, node classification, link prediction", ["graph neural", "node classification", "link prediction", "gnn"]),
    ("federated learning with differential privacy", ["federated learning", "differential privacy", "differentially private"]),
    ("robot manipulation and imitation learning", ["robot manipulation", "imitation learning", "manipulation policy", "dexterous"]),
    ("speech recognition and text-to-speech", ["speech recognition", "text-to-speech", "asr ", "tts "]),
    ("code generation with LLMs and software engineering agents", ["code generation", "program synthesis", "software engineering", "repository-level"]),
    ("autonomous driving, trajectory prediction, motion planning", ["autonomous driving", "trajectory prediction", "motion planning"]),
    ("medical image segmentation", ["medical image", "segmentation of", "tumor segmentation", "lesion segmentation"]),
    ("time series forecasting and anomaly detection", ["time series", "forecasting", "anomaly detection"]),
    ("jailbreak attacks and LLM safety alignment", ["jailbreak", "safety alignment", "red teaming", "harmful"]),
    ("mixture of experts and low-bit quantization", ["mixture of experts", "mixture-of-experts", "quantization", "moe "]),
]  # fmt: skip


def _matches(texts: list[str], phrases: list[str]) -> np.ndarray:
    return np.array([any(ph in t for ph in phrases) for t in texts])


def interests_case(*, shares: tuple[float, ...] | None = None) -> None:
    """Readers who typed interests and then rated 2, 3 or 5 papers on another topic (the issue's
    case): on the bundled corpus (its shipped MiniLM vectors; the interests text embedded here), the
    June 2026 papers are ranked by the reader's content model and the top 20 checked: how many are on
    the typed interests, how many on the rated topic. ``shares``: also run these interest shares."""
    from dataclasses import fields

    papers = [json.loads(line) for line in gzip.open(ROOT / "src" / "paperwire" / "data" / "demo_arxiv.jsonl.gz", "rt")]
    texts = [f" {p['title']} {p['summary']} ".lower().replace("\n", " ") for p in papers]
    raw = terms.counts([terms.paper_terms_text(p["title"], p["summary"]) for p in papers])
    weights = terms.TermWeights.from_counts(raw)
    X = weights.transform(raw)
    with np.load(ROOT / "src" / "paperwire" / "data" / "demo_embeddings.npz") as f:
        vec = dict(zip(f["ids"].tolist(), f["vectors"].astype(np.float32) * f["scale"][:, None]))
    E = np.stack([vec.get(p["id"], np.zeros(384, np.float32)) for p in papers])
    cand = np.array([i for i, p in enumerate(papers) if p["published"].startswith("2026-06")])
    may = np.array([i for i, p in enumerate(papers) if p["published"].startswith("2026-05")])
    weak = np.array(sorted(random.Random(1).sample(may.tolist(), 2000)))
    on = {t: _matches(texts, phrases) for t, (_text, phrases) in enumerate(INTEREST_TOPICS)}
    embedder = _embedder()
    queries = [weights.transform(terms.counts([terms.paper_terms_text(text, "")])) for text, _ in INTEREST_TOPICS]
    q_vecs = np.asarray(embedder.encode([text for text, _ in INTEREST_TOPICS]), dtype=np.float32)
    has_share = "interest_share" in {f.name for f in fields(rec.ContentParams)}
    settings = [("shipped", rec.ContentParams())]
    for share in shares or ():
        if has_share:
            settings.append((f"interest_share {share}", rec.ContentParams(interest_share=share)))
    rng = random.Random(0)
    readers = []
    for t in range(len(INTEREST_TOPICS)):
        others = rng.sample([o for o in range(len(INTEREST_TOPICS)) if o != t and (on[o][may] & ~on[t][may]).sum() >= 5], 3)
        for o in others:
            pool = may[on[o][may] & ~on[t][may]]
            for k in (2, 3, 5):
                readers.append((t, o, k, np.array(sorted(random.Random(f"{t}-{o}-{k}").sample(pool.tolist(), k)))))
    print(f"\ninterests kept: {len(readers)} readers ({len(INTEREST_TOPICS)} typed interests x 3 other topics x 2/3/5 "
          f"early ratings on the other topic); {len(cand):,} candidates (bundled corpus, June 2026); top {K} checked")  # fmt: skip
    best = np.mean([min(K, int(on[t][cand].sum())) for t, *_ in readers])
    print(f"  (at most {best:.1f} of {K} can be on the interests: some typed topics have few June papers)")
    print(f"  {'model':<24} {'ratings':>7} {'on the interests':>17} {'on the rated topic':>19} {'model kind':>12}")
    for name, params in settings:
        for k in (2, 3, 5, None):
            chosen = [r for r in readers if k is None or r[2] == k]
            hits_t, hits_o, kinds = [], [], set()
            for t, o, _k, pos in chosen:
                neg = np.setdiff1d(weak, pos)
                model = rec.user_model(X[pos], E[pos], X[neg], E[neg], X_query=queries[t], E_query=q_vecs[t : t + 1],
                                       params=params)  # fmt: skip
                kinds.add(model.kind)
                scores = rec.score_rows(model, X, cand, E, np.ones(len(cand), bool), cand)
                top = cand[np.argsort(-scores, kind="stable")[:K]]
                hits_t.append(on[t][top].sum())
                hits_o.append(on[o][top].sum())
            label = "all" if k is None else str(k)
            print(f"  {name:<24} {label:>7} {np.mean(hits_t):>17.2f} {np.mean(hits_o):>19.2f} {'/'.join(sorted(kinds)):>12}")


# -- tuning ----------------------------------------------------------------------------------------------
GRID = [("logistic", C, ew) for C in (0.3, 1.0, 3.0, 10.0) for ew in (0.0, 0.25, 0.5, 1.0)] + \
       [("hinge", C, ew) for C in (0.1, 1.0) for ew in (0.0, 0.5)]  # fmt: skip
GRID_BLEND = (0.3, 0.4, 0.5, 0.6, 0.7)


def tune(part: str, quick: bool) -> None:
    """The validation grid behind the defaults of ``rank/recommend.py``: citeulike-a with hold-out seed
    1 (150 sampled users), arXiv author continuation with 100 authors disjoint from the reported ones
    (same cut-off). Prints recall@20 as a ratio to the arxiv-sanity approach on the same users."""
    P = rec.ContentParams
    if part in ("citeulike", "blend"):
        data = citeulike(seed=1, n_users=60 if quick else 150)
        base = {"arxiv-sanity approach": lambda ctx: sanity_scores(ctx["data"].S, ctx["train"], ctx["cand"])}
        if part == "citeulike":
            methods = {str(g): cul_content(P(loss=g[0], C=g[1], embed_weight=g[2])) for g in GRID}
        else:
            content = cul_content(P())
            methods = {f"blend weight {w}": (lambda w: lambda ctx: rec.blend(content(ctx), cul_cf(ctx), weight=w))(w)
                       for w in GRID_BLEND}  # fmt: skip
            methods["collaborative only"] = cul_cf
        res = run_citeulike(data, dict(base, **methods))
    else:
        papers = load_arxiv()
        _, valid = arxiv_tasks(papers)
        data = arxiv(papers, valid)
        base = {"arxiv-sanity approach": lambda ctx: sanity_scores(ctx["data"].S, ctx["pos"], ctx["cand"])}
        if data.E is None:
            print("(arXiv validation embeddings not cached: terms-only grid)")
        methods = {str(g): ax_content(P(loss=g[0], C=g[1], embed_weight=g[2])) for g in GRID
                   if data.E is not None or g[2] == 0}  # fmt: skip
        res = run_arxiv(data, dict(base, **methods), n_users=40 if quick else 100)
    b = res["arxiv-sanity approach"]
    print(f"\nvalidation, {part}: {len(b)} users; recall@20 / nDCG@20 ratio to the arxiv-sanity approach "
          f"({b[:, 0].mean():.3f} / {b[:, 1].mean():.3f})")  # fmt: skip
    for name, v in res.items():
        print(f"  {name:<28} {v[:, 0].mean():.3f} ({v[:, 0].mean() / b[:, 0].mean():.3f}x)  "
              f"{v[:, 1].mean():.3f} ({v[:, 1].mean() / b[:, 1].mean():.3f}x)")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer users and bootstrap draws")
    parser.add_argument("--embed", action="store_true", help="only fill the embedding cache")
    parser.add_argument("--tune", choices=("citeulike", "arxiv", "blend"), help="print a validation grid behind the defaults")
    parser.add_argument("--no-speed", action="store_true")
    parser.add_argument("--interests", action="store_true", help="only the 'interests kept' case")
    parser.add_argument("--shares", default="", help="with --interests: also these interest shares, e.g. 0.25,0.75")
    args = parser.parse_args()
    if args.interests:
        interests_case(shares=tuple(float(x) for x in args.shares.split(",") if x))
        return 0
    if args.embed:
        embed_all()
        return 0
    if args.tune:
        tune(args.tune, args.quick)
        return 0
    params, weight = rec.ContentParams(), rec.BLEND_WEIGHT
    draws = 200 if args.quick else 1000
    print(f"shipped: {params}, blend weight {weight} (chosen on the validation configurations; see --tune)")
    started = time.monotonic()
    cul = citeulike(seed=0, n_users=300 if args.quick else None)
    if cul.E is None:
        print("(citeulike embeddings not cached: run --embed first; embedding rows are skipped)")
    res = run_citeulike(cul, cul_methods(params, weight))
    table("citeulike-a, 20% of each user's text items held out (seed 0), 1,906 text items ranked", res, draws)
    print("  'content only' is also the new-instance case (no collaborative signal: blend falls back to content).")
    print(f"  ({time.monotonic() - started:.0f} s)")
    started = time.monotonic()
    papers = load_arxiv()
    task, _ = arxiv_tasks(papers)
    ax = arxiv(papers, task)
    if ax.E is None:
        print(f"\n(arXiv embeddings not all cached: run --embed to finish; the content model runs on terms only "
              f"and the MiniLM row is left out)")  # fmt: skip
        shipped_ax = replace(params, embed_weight=0.0)
    else:
        shipped_ax = params
    methods = ax_methods(shipped_ax)
    if ax.E is None:
        methods.pop("MiniLM + logistic regression")
    res = run_arxiv(ax, methods, n_users=100 if args.quick else None)
    table(f"arXiv author continuation, cut-off {task.cut}, {len(task.candidates):,} candidates, "
          f"{len(task.negatives):,} sampled negatives", res, draws)  # fmt: skip
    print(f"  ({time.monotonic() - started:.0f} s)")
    interests_case()
    if not args.no_speed:
        speed(papers, params)
    return 0


if __name__ == "__main__":
    sys.exit(main())
