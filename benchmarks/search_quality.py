"""Search quality on SciFact (BEIR): nDCG@10 and Recall@100 of keyword, vector and hybrid search.

    .venv/bin/python benchmarks/search_quality.py [--postgres URL] [--data ../shared/data/scifact]

The corpus (5,183 abstracts) is loaded into a fresh SQLite database (and PostgreSQL with --postgres)
through paperwire's own ingest, so the keyword figures are the store's real queries. On PostgreSQL the
former ``ts_rank_cd`` ranking is measured beside the production BM25 rescoring. Document
embeddings (all-MiniLM-L6-v2, ONNX) are cached in data/bench-cache. The fusion method and weight
are chosen on the train queries (qrels/train.tsv) and then reported on the 300 test queries; the
last line runs the production `services.search.search` with the chosen fusion on the test queries.
Baselines (measured in the same run): keyword alone and vector alone.

``--windows 2`` embeds long documents in two windows (``OnnxEmbedder.encode_documents``): 71% of
SciFact's title + abstract texts exceed MiniLM's 256 word pieces and are truncated. A text that does not
fit gets a second window, "title. " + the abstract's last word pieces (overlapping the first window
when the rest is short); the two unit vectors are averaged and renormalised. It is then compared,
paired per query, with the one-window vectors (their cache, same run). Each setting has its own cache
file. Measured once and dropped: a second window of the abstract's continuation after the first
window instead of its tail (train vector nDCG@10 0.660 -> 0.657, test 0.649 -> 0.645).
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

from paperwire.context import Paperwire  # noqa: E402
from paperwire.store import embeddings as stored  # noqa: E402
from paperwire.index.embedder import OnnxEmbedder, paper_text  # noqa: E402
from paperwire.ingest import ingest_items  # noqa: E402
from paperwire.rank import fusion  # noqa: E402
from paperwire.rank.query import parse  # noqa: E402
from paperwire.services import search as svc  # noqa: E402
from paperwire.settings import Settings  # noqa: E402
from paperwire.sources.records import PaperRecord  # noqa: E402
from paperwire.store import Store  # noqa: E402
from paperwire.store import search_queries as sq  # noqa: E402
from paperwire.store.ids import pks_of  # noqa: E402

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


def doc_title(d) -> str:
    return d.get("title") or d["text"][:80]


def doc_vectors(docs, cache: Path, embedder: OnnxEmbedder, windows: int = 1) -> np.ndarray:
    target = cache if windows == 1 else cache.with_name(f"{cache.stem}-w{windows}-tail{cache.suffix}")
    if target.exists():
        data = np.load(target)
        if data.shape[0] == len(docs):
            return data
    pairs = [(doc_title(d), d["text"]) for d in docs]
    started, cpu = time.monotonic(), time.process_time()
    out = embedder.encode_documents(pairs, windows=windows)
    seconds = time.monotonic() - started
    long = sum(len(embedder.document_windows(t, a)) > 1 for t, a in pairs) if windows > 1 else 0
    print(f"embedded {len(docs):,} documents ({len(docs) + long:,} windows) in {seconds:.0f} s, "
          f"CPU {time.process_time() - cpu:.0f} s ({len(docs) / seconds:.1f} docs/s)", file=sys.stderr)  # fmt: skip
    target.parent.mkdir(parents=True, exist_ok=True)
    np.save(target, out)
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "scifact")
    parser.add_argument("--postgres", default=None, help="also measure keyword search on this PostgreSQL URL")
    parser.add_argument("--cache", type=Path, default=ROOT / "data" / "bench-cache")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--windows", type=int, choices=(1, 2), default=1,
                        help="2: embed a long text's second window too and average the two vectors")
    args = parser.parse_args()
    docs, queries, qrels = load(args.data)
    tmp = tempfile.mkdtemp()
    store = open_store(f"sqlite:///{tmp}/scifact.db")
    report = ingest_items(store, records(docs), source="file", target="scifact")
    assert report.failed == 0, report.problems[:5]
    embedder = OnnxEmbedder(args.cache / "models", threads=args.threads)
    matrix = doc_vectors(docs, args.cache / "scifact-minilm.npy", embedder, args.windows)
    pk_of = pks_of(store, [f"scifact-{d['_id']}" for d in docs])
    from paperwire.index.embedder import text_hash

    stored.write(store, embedder.name, [(pk_of[f"scifact-{d['_id']}"], text_hash(doc_title(d), d["text"]), v)
                                        for d, v in zip(docs, matrix)])  # fmt: skip
    pw = Paperwire(Settings(database_url=str(store.engine.url), data_dir=tmp), store, embedder=embedder)
    index = pw.vectors.get(embedder.name)
    doc_of = {pk: pid.removeprefix("scifact-") for pid, pk in pks_of(store, [f"scifact-{d['_id']}" for d in docs]).items()}

    needed = set(qrels["train"]) | set(qrels["test"])
    keyword, semantic = {}, {}
    started = time.monotonic()
    with store.reading():
        for qid in needed:
            keyword[qid] = sq.keyword_ranked(store, parse(queries[qid]), limit=DEPTH)
    kw_seconds = time.monotonic() - started
    qvecs = embedder.encode([parse(queries[q]).semantic_text for q in needed])
    for qid, qv in zip(needed, qvecs):
        semantic[qid] = index.search(qv, DEPTH)

    def docs_of(ranked):
        return [doc_of[pk] for pk, _ in ranked]

    print(f"SciFact: {len(docs):,} documents; {len(qrels['train'])} train and {len(qrels['test'])} test queries")
    print(f"document vectors: {'one window' if args.windows == 1 else 'two windows (OnnxEmbedder.encode_documents)'}")
    print(f"{'method':<52} {'train nDCG@10':>13} {'train R@100':>11} {'test nDCG@10':>12} {'test R@100':>10}")

    def row(name, runs):
        tr = evaluate(runs, qrels["train"])
        te = evaluate(runs, qrels["test"])
        print(f"{name:<52} {tr[0]:>13.3f} {tr[1]:>11.3f} {te[0]:>12.3f} {te[1]:>10.3f}")
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
        (tr, trr), (te, ter) = results[f]
        label = f"hybrid {f.method} vector weight {f.vector_weight}" + (f" k={f.k}" if f.method == "rrf" else "")
        print(f"{label + (' <- chosen on train' if f == best else ''):<52} {tr:>13.3f} {trr:>11.3f} {te:>12.3f} {ter:>10.3f}")

    if args.windows > 1:  # the one-window vectors as the baseline, same queries, same run, paired per query
        # stored as the index stores vectors (float16), ranked as its exact search ranks (ties by pk)
        one = doc_vectors(docs, args.cache / "scifact-minilm.npy", embedder).astype(np.float16).astype(np.float32)
        pks = np.array([pk_of[f"scifact-{d['_id']}"] for d in docs])

        def exact(mat, qv):
            scores = mat @ np.asarray(qv, dtype=np.float32)
            top = np.lexsort((pks, -scores))[:DEPTH]
            return [(int(pks[i]), float(scores[i])) for i in top]

        base_sem = {qid: exact(one, qv) for qid, qv in zip(needed, qvecs)}
        base_best, base_train = None, -1.0
        for f in candidates:
            score = evaluate({q: docs_of(f(keyword[q], base_sem[q])) for q in qrels["train"]}, qrels["train"])[0]
            if score > base_train:
                base_best, base_train = f, score
        pairs = {"vector": ({q: docs_of(r) for q, r in base_sem.items()}, {q: docs_of(r) for q, r in semantic.items()}),
                 f"hybrid, each its train-chosen fusion ({base_best.method} {base_best.vector_weight} vs "
                 f"{best.method} {best.vector_weight})": ({q: docs_of(base_best(keyword[q], base_sem[q])) for q in needed},
                                                         {q: docs_of(best(keyword[q], semantic[q])) for q in needed})}  # fmt: skip
        rng = np.random.default_rng(0)
        print(f"\ntwo windows minus one window, paired per query "
              f"(bootstrap 95% interval of the mean, 2,000 resamples):")  # fmt: skip
        print(f"{'':<58} {'split':<5} {'nDCG@10 1 -> 2':>15} {'diff':>7} {'95% interval':>16} {'better/worse':>12} {'R@100 diff':>10}")
        for label, (a, b) in pairs.items():
            for split in ("train", "test"):
                qids = sorted(qrels[split])
                d = np.array([ndcg(b[q], qrels[split][q]) - ndcg(a[q], qrels[split][q]) for q in qids])
                boot = d[rng.integers(0, len(d), (2000, len(d)))].mean(axis=1)
                lo, hi = np.percentile(boot, [2.5, 97.5])
                ea, eb = evaluate(a, qrels[split]), evaluate(b, qrels[split])
                print(f"{label:<58} {split:<5} {ea[0]:>6.3f} -> {eb[0]:.3f} {d.mean():>+7.3f} [{lo:+.3f}, {hi:+.3f}] "
                      f"{(d > 0).sum():>5}/{(d < 0).sum():<6} {eb[1] - ea[1]:>+10.3f}")  # fmt: skip
        print()

    # the production path, end to end, with the chosen fusion (includes MIN_SIMILARITY and query parsing)
    started = time.monotonic()
    runs = {}
    for qid in qrels["test"]:
        result = svc.search(pw, queries[qid], limit=DEPTH, mode="hybrid", fuse=best,
                            with_snippets=False)  # fmt: skip
        runs[qid] = [p.id.removeprefix("scifact-") for p in result.papers]
    per_query = (time.monotonic() - started) / len(qrels["test"]) * 1000
    te = evaluate(runs, qrels["test"])
    print(f"{'services.search.search (hybrid, chosen fusion)':<52} {'':>13} {'':>11} {te[0]:>12.3f} {te[1]:>10.3f}"
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
            with pg.reading() as conn:
                pg_doc = {pk: pid.removeprefix("scifact-") for pid, pk in pks_of(pg, [f"scifact-{d['_id']}" for d in docs]).items()}
                for q in needed:  # warm the per-process corpus statistics (document frequencies)
                    sq.keyword_ranked(pg, parse(queries[q]), limit=DEPTH)
                started = time.monotonic()
                pg_kw = {q: sq.keyword_ranked(pg, parse(queries[q]), limit=DEPTH) for q in needed}
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
