"""Search quality on SciFact (BEIR): nDCG@10 and Recall@100 of keyword, vector and hybrid search.

    .venv/bin/python benchmarks/search_quality.py [--postgres URL] [--data ../shared/data/scifact]

The corpus (5,183 abstracts) is loaded into a fresh SQLite database (and PostgreSQL with --postgres)
through paperwire's own ingest, so the keyword figures are the store's real queries. On PostgreSQL the
former ``ts_rank_cd`` ranking is measured beside the production BM25 rescoring. Document
embeddings (all-MiniLM-L6-v2, ONNX) are cached in data/bench-cache. The fusion method and weight
are chosen on the train queries (qrels/train.tsv) and then reported on the 300 test queries; the
last line runs the production `services.search.search` with the chosen fusion on the test queries.
Baselines (measured in the same run): keyword alone and vector alone.
"""
from __future__ import annotations

import argparse
import gzip
import json
import math
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from paperwire.index import embeddings as stored  # noqa: E402
from paperwire.index import vectors  # noqa: E402
from paperwire.index.embedder import OnnxEmbedder, paper_text  # noqa: E402
from paperwire.ingest import ingest_items  # noqa: E402
from paperwire.rank import fusion  # noqa: E402
from paperwire.rank.query import parse  # noqa: E402
from paperwire.services import search as svc  # noqa: E402
from paperwire.sources.records import PaperRecord  # noqa: E402
from paperwire.store import Store  # noqa: E402
from paperwire.store import search_queries as sq  # noqa: E402

DEPTH = 100


def load(data: Path):
    with gzip.open(data / "corpus.jsonl.gz", "rt") as fh:
        docs = [json.loads(line) for line in fh]
    queries = {}
    with open(data / "queries.jsonl") as fh:
        for line in fh:
            row = json.loads(line)
            queries[row["_id"]] = row["text"]
    qrels = {}
    for split in ("train", "test"):
        qrels[split] = {}
        with open(data / "qrels" / f"{split}.tsv") as fh:
            next(fh)
            for line in fh:
                qid, did, score = line.split("\t")
                if int(score) > 0:
                    qrels[split].setdefault(qid, {})[did] = int(score)
    return docs, queries, qrels


def records(docs):
    for d in docs:
        title = d.get("title") or d["text"][:80]
        yield PaperRecord(origin=f"scifact:{d['_id']}", source="file", id=f"scifact-{d['_id']}", title=title,
                          summary=d["text"], authors=["SciFact"], categories=["bio"], published="2020-01-01")  # fmt: skip


def ndcg(ranked: list[str], rel: dict[str, int], k: int = 10) -> float:
    dcg = sum(rel.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(rel.values(), reverse=True)[:k]
    idcg = sum(r / math.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall(ranked: list[str], rel: dict[str, int], k: int = 100) -> float:
    return len(set(ranked[:k]) & set(rel)) / len(rel) if rel else 0.0


def evaluate(runs: dict[str, list[str]], qrels: dict) -> tuple[float, float]:
    qids = [q for q in qrels if q in runs]
    return (sum(ndcg(runs[q], qrels[q]) for q in qids) / len(qids),
            sum(recall(runs[q], qrels[q]) for q in qids) / len(qids))  # fmt: skip


def ts_rank_cd_ranked(conn, query) -> list[int]:
    """The former PostgreSQL ranking (the baseline): ts_rank_cd over the OR of the query's terms."""
    import sqlalchemy as sa

    parts = [f"{fn}('english', :a{n})" for n, (fn, _) in enumerate(sq.tsquery_parts(query))]
    if not parts:
        return []
    sql = sa.text(f"SELECT pk FROM papers, (SELECT {' || '.join(parts)} AS q) x WHERE search_vector @@ q "
                  f"ORDER BY ts_rank_cd('{sq.PG_WEIGHTS}'::float4[], search_vector, q, 1) DESC, pk LIMIT {DEPTH}")
    return list(conn.execute(sql, {f"a{n}": arg for n, (_, arg) in enumerate(sq.tsquery_parts(query))}).scalars())


def open_store(url: str) -> Store:
    return Store.open(url, upgrade=True)


def doc_vectors(docs, cache: Path, embedder: OnnxEmbedder) -> np.ndarray:
    if cache.exists():
        data = np.load(cache)
        if data.shape[0] == len(docs):
            return data
    started = time.monotonic()
    texts = [paper_text(d.get("title") or d["text"][:80], d["text"]) for d in docs]
    out = embedder.encode(texts, batch_size=32)
    print(f"embedded {len(docs):,} documents in {time.monotonic() - started:.0f} s "
          f"({len(docs) / (time.monotonic() - started):.1f} docs/s)", file=sys.stderr)  # fmt: skip
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, out)
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "scifact")
    parser.add_argument("--postgres", default=None, help="also measure keyword search on this PostgreSQL URL")
    parser.add_argument("--cache", type=Path, default=ROOT / "data" / "bench-cache")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    docs, queries, qrels = load(args.data)
    tmp = tempfile.mkdtemp()
    store = open_store(f"sqlite:///{tmp}/scifact.db")
    report = ingest_items(store, records(docs), source="file", target="scifact")
    assert report.failed == 0, report.problems[:5]
    embedder = OnnxEmbedder(args.cache / "models", threads=args.threads)
    matrix = doc_vectors(docs, args.cache / "scifact-minilm.npy", embedder)
    with store.engine.connect() as conn:
        pk_of = sq.pks_of(conn, [f"scifact-{d['_id']}" for d in docs])
    from paperwire.index.embedder import text_hash

    with store.transaction() as conn:
        stored.write(conn, embedder.name, [(pk_of[f"scifact-{d['_id']}"], text_hash(d.get("title") or d["text"][:80], d["text"]), v)
                                           for d, v in zip(docs, matrix)])  # fmt: skip
    vectors.configure(store, embedder=embedder)
    index = vectors.index_for(store, embedder.name)
    with store.engine.connect() as conn:
        doc_of = {pk: pid.removeprefix("scifact-") for pid, pk in sq.pks_of(conn, [f"scifact-{d['_id']}" for d in docs]).items()}

    needed = set(qrels["train"]) | set(qrels["test"])
    keyword, semantic = {}, {}
    started = time.monotonic()
    with store.engine.connect() as conn:
        for qid in needed:
            keyword[qid] = sq.keyword_ranked(conn, parse(queries[qid]), limit=DEPTH)
    kw_seconds = time.monotonic() - started
    qvecs = embedder.encode([parse(queries[q]).semantic_text for q in needed])
    for qid, qv in zip(needed, qvecs):
        semantic[qid] = index.search(qv, DEPTH)

    def docs_of(ranked):
        return [doc_of[pk] for pk, _ in ranked]

    print(f"SciFact: {len(docs):,} documents; {len(qrels['train'])} train and {len(qrels['test'])} test queries")
    print(f"{'method':<52} {'train nDCG@10':>13} {'test nDCG@10':>12} {'test R@100':>10}")

    def row(name, runs):
        tr = evaluate(runs, qrels["train"])
        te = evaluate(runs, qrels["test"])
        print(f"{name:<52} {tr[0]:>13.3f} {te[0]:>12.3f} {te[1]:>10.3f}")
        return tr, te

    row("keyword, SQLite FTS5 bm25(3,1), OR-ed quoted terms", {q: docs_of(r) for q, r in keyword.items()})
    row("vector, MiniLM exact cosine", {q: docs_of(r) for q, r in semantic.items()})

    candidates = [fusion.Fusion("rrf", w, k) for k in (20, 60) for w in (0.3, 0.4, 0.5, 0.6, 0.7)]
    candidates += [fusion.Fusion(m, w) for m in ("minmax", "zscore") for w in (0.3, 0.4, 0.5, 0.6, 0.7)]
    best, best_train = None, -1.0
    results = {}
    for f in candidates:
        runs = {q: docs_of(f(keyword[q], semantic[q])) for q in needed}
        results[f] = (evaluate(runs, qrels["train"]), evaluate(runs, qrels["test"]))
        if results[f][0][0] > best_train:
            best, best_train = f, results[f][0][0]
    for f in candidates:
        if f.method in ("rrf",) and f.vector_weight != 0.5 and f != best:
            continue
        (tr, _), (te, ter) = results[f]
        label = f"hybrid {f.method} vector weight {f.vector_weight}" + (f" k={f.k}" if f.method == "rrf" else "")
        print(f"{label + (' <- chosen on train' if f == best else ''):<52} {tr:>13.3f} {te:>12.3f} {ter:>10.3f}")

    # the production path, end to end, with the chosen fusion (includes MIN_SIMILARITY and query parsing)
    started = time.monotonic()
    runs = {}
    for qid in qrels["test"]:
        result = svc.search(store, queries[qid], limit=DEPTH, mode="hybrid", embedder=embedder, fuse=best,
                            with_snippets=False)  # fmt: skip
        runs[qid] = [p.id.removeprefix("scifact-") for p in result.papers]
    per_query = (time.monotonic() - started) / len(qrels["test"]) * 1000
    te = evaluate(runs, qrels["test"])
    print(f"{'services.search.search (hybrid, chosen fusion)':<52} {'':>13} {te[0]:>12.3f} {te[1]:>10.3f}"
          f"   ({per_query:.0f} ms/query incl. encoding)")  # fmt: skip
    print(f"keyword search: {kw_seconds / len(needed) * 1000:.1f} ms/query (SQLite)")

    if args.postgres:
        import sqlalchemy as sa

        schema = f"pw_bench_{uuid.uuid4().hex[:8]}"
        engine = sa.create_engine(args.postgres)
        with engine.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        try:
            sep = "&" if "?" in args.postgres else "?"
            pg = open_store(f"{args.postgres}{sep}options=-csearch_path%3D{schema}")
            ingest_items(pg, records(docs), source="file", target="scifact")
            with pg.engine.connect() as conn:
                pg_doc = {pk: pid.removeprefix("scifact-") for pid, pk in sq.pks_of(conn, [f"scifact-{d['_id']}" for d in docs]).items()}
                for q in needed:  # warm the per-process corpus statistics (document frequencies)
                    sq.keyword_ranked(conn, parse(queries[q]), limit=DEPTH)
                started = time.monotonic()
                pg_kw = {q: sq.keyword_ranked(conn, parse(queries[q]), limit=DEPTH) for q in needed}
                pg_seconds = time.monotonic() - started
                pg_old = {q: ts_rank_cd_ranked(conn, parse(queries[q])) for q in needed}
            row("keyword, PostgreSQL ts_rank_cd (A 1.0, B 0.33, norm 1)", {q: [pg_doc[pk] for pk in r] for q, r in pg_old.items()})
            row("keyword, PostgreSQL BM25 rescoring (production)", {q: [pg_doc[pk] for pk, _ in r] for q, r in pg_kw.items()})
            print(f"keyword search: {pg_seconds / len(needed) * 1000:.1f} ms/query (PostgreSQL, statistics cached)")
            pg.close()
        finally:
            with engine.begin() as conn:
                conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
            engine.dispose()
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
