"""Recommendation speed through the service, on the real 74,728-paper arXiv corpus:

    .venv/bin/python benchmarks/recommend_speed.py [--ratings 20] [--repeat 5]

A SQLite database of ``../shared/data/arxiv`` (cached under benchmarks/.cache/) with the bundled MiniLM
vectors where they exist; one user with N thumbs-up on papers of one category. Measured, p50 of
``--repeat`` runs: (1) the first list after a new rating (refits the user's model: the "update after one
rating" figure), (2) a list over all 75k papers with the model cached, (3) the newest week. Baseline in
the same run: the arxiv-sanity approach's per-user refit, a LinearSVC on TF-IDF against every other
paper of the corpus (what arxiv-sanity does for each user).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from paperwire.context import Paperwire  # noqa: E402
from paperwire.index import embeddings as stored  # noqa: E402
from paperwire.store.embeddings import count as count_embedded  # noqa: E402
from paperwire.index.embedder import MINILM, FakeEmbedder  # noqa: E402
from paperwire.services import recommend as rec  # noqa: E402
from paperwire.services.ingest import ingest_path  # noqa: E402
from paperwire.settings import Settings  # noqa: E402
from paperwire.store import Store  # noqa: E402
from paperwire.store import accounts as db  # noqa: E402
from paperwire.store import signals  # noqa: E402

CACHE = ROOT / "benchmarks" / ".cache"
CORPUS = ROOT.parent / "shared" / "data" / "arxiv" / "arxiv_cs_2025_2026.jsonl.gz"


class _QueryOnly(FakeEmbedder):
    """Stands in for the query encoder (no interests text here, so it is never called); named like the
    real model so the stored MiniLM vectors are used."""

    def __init__(self):
        super().__init__(dim=384, name=MINILM)


def _store() -> Store:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / "recommend-speed.db"
    fresh = not path.exists()
    store = Store.open(f"sqlite:///{path}", upgrade=True)
    if fresh:
        started = time.monotonic()
        ingest_path(store, CORPUS, parallel=True)
        todo = stored.missing(store, MINILM)
        stored.import_bundled(store, MINILM, stored.BUNDLED, todo)
        print(f"built the 75k database in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return store


def p50(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.0f} ms"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ratings", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    store = _store()
    pw = Paperwire(Settings(database_url=str(store.engine.url), data_dir=CACHE), store, embedder=_QueryOnly())
    started = time.monotonic()
    T = pw.terms.get()
    print(f"{len(T):,} papers; term cache ready in {time.monotonic() - started:.1f} s; "
          f"{count_embedded(store, MINILM):,} with MiniLM vectors")  # fmt: skip
    user = db.user_by_email(store, "speed@example.org") or db.create_user(store, "speed@example.org", None)
    liked = signals.candidate_pks(store, None, None, "cs.RO")[: args.ratings + args.repeat + 1]
    for pk in liked[: args.ratings]:
        db.set_rating(store, user.pk, int(pk), 1)
    rec.recommend(pw, user, limit=20, days=366)  # load the vectors and co-saves once

    update, full, week = [], [], []
    for i in range(args.repeat):
        db.set_rating(store, user.pk, int(liked[args.ratings + i]), 1)  # a new rating: the model must refit
        t = time.perf_counter()
        found = rec.recommend(pw, user, limit=20, days=7)
        update.append(time.perf_counter() - t)
        assert found.model == "linear" and found.items
        t = time.perf_counter()
        rec.recommend(pw, user, limit=20, days=366 * 2)
        full.append(time.perf_counter() - t)
        t = time.perf_counter()
        rec.recommend(pw, user, limit=20, days=7)
        week.append(time.perf_counter() - t)

    from sklearn.svm import LinearSVC

    pos = set(T.rows_of(liked[: args.ratings]).tolist())
    y = np.array([1 if i in pos else 0 for i in range(len(T))])
    base = []
    for _ in range(max(1, args.repeat // 2)):
        t = time.perf_counter()
        LinearSVC(C=0.01, class_weight="balanced").fit(T.matrix, y)
        base.append(time.perf_counter() - t)

    print(f"{'what (one user, ' + str(args.ratings) + ' thumbs-up)':<58} {'p50':>8}")
    print(f"{'first list after a new rating (model refit), newest week':<58} {p50(update):>8}  (target ≤ 200 ms)")
    print(f"{'list over all ' + format(len(T), ',') + ' papers, model cached':<58} {p50(full):>8}  (target ≤ 100 ms)")
    print(f"{'list over the newest week, model cached':<58} {p50(week):>8}")
    print(f"{'baseline: arxiv-sanity refit, LinearSVC vs every paper':<58} {p50(base):>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
