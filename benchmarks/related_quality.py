"""Related-paper quality on a judgement nobody tuned for: citeulike-a citation neighbours.

    .venv/bin/python benchmarks/related_quality.py

For the 1,906 citeulike-a items with text, the items that cite or are cited by another text item are
the queries; their text-item citation neighbours are the relevant answers. paperwire's production
``services.search.similar`` (z-score blend of MiniLM cosine, 0.7, and paperwire's TF-IDF cosine, 0.3, from a
SQLite database) is compared with a TF-IDF cosine baseline (scikit-learn, 1-2-grams, sublinear tf, English
stop words) and with MiniLM cosine alone, computed in the same run:
recall@20 (share of an item's neighbours in its top 20, averaged over items) and nDCG@20.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from paperwire.context import Paperwire  # noqa: E402
from paperwire.store import embeddings as stored  # noqa: E402
from paperwire.index.embedder import OnnxEmbedder, paper_text, text_hash  # noqa: E402
from paperwire.ingest import ingest_items  # noqa: E402
from paperwire.services import search as svc  # noqa: E402
from paperwire.settings import Settings  # noqa: E402
from paperwire.sources.records import PaperRecord  # noqa: E402
from paperwire.store import Store  # noqa: E402
from paperwire.store.ids import pks_of  # noqa: E402

K = 20


def metrics(ranked: list[str], relevant: set[str]) -> tuple[float, float]:
    hits = [1.0 if r in relevant else 0.0 for r in ranked[:K]]
    dcg = sum(h / math.log2(i + 2) for i, h in enumerate(hits))
    idcg = sum(1 / math.log2(i + 2) for i in range(min(K, len(relevant))))
    return sum(hits) / len(relevant), dcg / idcg


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "citeulike_a")
    parser.add_argument("--cache", type=Path, default=ROOT / "data" / "bench-cache")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    with gzip.open(args.data / "items_text_partial.csv.gz", "rt", newline="") as fh:
        items = [row for row in csv.DictReader(fh) if row["title"].strip()]
    text_ids = {row["item_id"] for row in items}
    neighbours: dict[str, set[str]] = {}
    with gzip.open(args.data / "citations.dat.gz", "rt") as fh:
        for item, line in enumerate(fh):
            others = line.split()[1:]
            for other in others:
                a, b = str(item), other
                if a in text_ids and b in text_ids and a != b:
                    neighbours.setdefault(a, set()).add(b)
                    neighbours.setdefault(b, set()).add(a)
    edges = sum(len(v) for v in neighbours.values()) // 2
    print(f"{len(items):,} items with text; {len(neighbours)} have text-item citation neighbours ({edges:,} edges)")

    store = Store.open(f"sqlite:///{tempfile.mkdtemp()}/citeulike.db", upgrade=True)
    records = [PaperRecord(origin=f"citeulike:{r['item_id']}", source="file", id=f"cul-{r['item_id']}", title=r["title"],
                           summary=r["abstract"], authors=["CiteULike"], categories=["misc"], published="2010-01-01")
               for r in items]  # fmt: skip
    report = ingest_items(store, records, source="file", target="citeulike")
    assert report.failed == 0, report.problems[:3]
    papers = {p.id: p for p in store.papers_by_ids([f"cul-{r['item_id']}" for r in items])}
    order = list(papers)
    embedder = OnnxEmbedder(args.cache / "models", threads=args.threads)
    cache = args.cache / "citeulike-minilm.npy"
    if cache.exists() and np.load(cache).shape[0] == len(order):
        matrix = np.load(cache)
    else:
        started = time.monotonic()
        matrix = embedder.encode([paper_text(papers[i].title, papers[i].summary) for i in order])
        print(f"embedded {len(order):,} items in {time.monotonic() - started:.0f} s", file=sys.stderr)
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.save(cache, matrix)
    pk_of = pks_of(store, order)
    stored.write(store, embedder.name, [(pk_of[i], text_hash(papers[i].title, papers[i].summary), v)
                                        for i, v in zip(order, matrix)])  # fmt: skip
    pw = Paperwire(Settings(database_url=str(store.engine.url), data_dir=cache.parent), store, embedder=embedder)

    from sklearn.feature_extraction.text import TfidfVectorizer

    tfidf = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, stop_words="english", min_df=1)
    docs = tfidf.fit_transform([paper_text(papers[i].title, papers[i].summary) for i in order])
    row = {pid: n for n, pid in enumerate(order)}

    results = {"TF-IDF cosine (baseline)": [], "MiniLM cosine alone": [], "paperwire similar (blend)": []}
    unit = matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-9)
    started = time.monotonic()
    for item, relevant in neighbours.items():
        pid = f"cul-{item}"
        if pid not in row:
            continue
        wanted = {f"cul-{r}" for r in relevant}
        sims = (docs @ docs[row[pid]].T).toarray().ravel()
        sims[row[pid]] = -1
        top = [order[i] for i in np.argsort(-sims, kind="stable")[:K]]
        results["TF-IDF cosine (baseline)"].append(metrics(top, wanted))
        cos = unit @ unit[row[pid]]
        cos[row[pid]] = -2
        results["MiniLM cosine alone"].append(metrics([order[i] for i in np.argsort(-cos, kind="stable")[:K]], wanted))
        related = svc.similar(pw, pid, K)
        results["paperwire similar (blend)"].append(metrics([p.id for p in related.papers], wanted))
    per_query = (time.monotonic() - started) / max(1, len(neighbours)) * 1000
    base = np.mean([n for _, n in results["TF-IDF cosine (baseline)"]])
    print(f"{'method':<32} {'recall@20':>9} {'nDCG@20':>8}")
    for name, values in results.items():
        r, n = np.mean([v[0] for v in values]), np.mean([v[1] for v in values])
        print(f"{name:<32} {r:>9.3f} {n:>8.3f}  ({n / base:.2f}x the baseline's nDCG@20)")
    print(f"({per_query:.1f} ms per item for all three methods together)")
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
