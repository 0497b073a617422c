"""Search speed (issue 10): p50/p95 latency of keyword, vector and hybrid search over the real ~75k
arXiv corpus and over 1M papers, with exact brute force measured in the same run, the approximate
index's recall@10 against it (unfiltered, one month, one category), its build time and memory.

    .venv/bin/python benchmarks/search_speed.py [--sizes 75000 1000000] [--queries 200]

Corpora (SQLite, cached under benchmarks/.cache/, not committed; the first 1M build takes minutes):
  - 75k: the real arXiv cs papers of ../shared/data/arxiv (real titles, abstracts, dates, categories);
  - 1M: those plus synthesised papers: each takes its title and half its abstract from one real paper
    and the rest from another of the same primary category, a real paper's date and the first
    paper's categories, so keyword statistics and filters stay realistic.
Vectors: only 14.8k real all-MiniLM-L6-v2 embeddings are bundled (src/paperwire/data/demo_embeddings.npz,
the demo corpus; embedding 75k papers would take an hour on this machine). Every corpus paper gets a
vector made from real ones: a mix of two real vectors of papers in its primary category plus noise,
renormalised (cosine to its main seed ~0.75; nearest-neighbour cosines like the real vectors'), so
the vectors keep the real embeddings' cluster structure and its link to categories. Structureless
random vectors are not used: no real corpus looks like them (every approximate index scored
recall@10 < 0.45 on them). Recall is also checked on the 14.8k real vectors alone.
Queries: short phrases from real paper titles, encoded by the ONNX MiniLM model (as the service does).
The approximate index is the service's (faiss IVF fast-scan PQ, candidates re-scored exactly); the
keyword stage of hybrid search is keyword ranking with the postings budget (search_queries.HYBRID_POSTINGS).
"""
from __future__ import annotations

import argparse
import gc
import gzip
import json
import os
import random
import resource
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from paperwire.index import embeddings as stored  # noqa: E402
from paperwire.store import embeddings as stored_rows  # noqa: E402
from paperwire.index.embedder import MINILM, paper_text, text_hash  # noqa: E402

CACHE = ROOT / "benchmarks" / ".cache"
ARXIV = Path(os.environ.get("PAPERWIRE_SHARED_DATA", ROOT.parent / "shared" / "data")) / "arxiv" / "arxiv_cs_2025_2026.jsonl.gz"
DEMO = ROOT / "src" / "paperwire" / "data" / "demo_arxiv.jsonl.gz"
NOISE = 0.04  # per-dimension noise on synthesised vectors (384-d: cosine to the seed mix ~0.78)
STOP = set("a an the of for and or in on to with by from via at as is are be we our its into using towards toward".split())


# -- real data ---------------------------------------------------------------------------------------
def real_records() -> list[dict]:
    with gzip.open(ARXIV, "rt") as f:
        return [json.loads(line) for line in f]


_records: list[dict] = []


def real_records_cached() -> list[dict]:
    if not _records:
        _records.extend(real_records())
    return _records


def seeds() -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The bundled real vectors, and their row numbers by primary category (demo corpus papers)."""
    _, ids, _, vectors = stored.read_bundle(stored.BUNDLED)
    primary = {}
    with gzip.open(DEMO, "rt") as f:
        for line in f:
            r = json.loads(line)
            if r.get("categories"):
                primary[r["id"]] = r["categories"][0]
    by_cat: dict[str, list[int]] = {}
    for row, pid in enumerate(ids):
        by_cat.setdefault(primary.get(pid, "?"), []).append(row)
    return vectors.astype(np.float32), {c: np.array(rows) for c, rows in by_cat.items() if len(rows) >= 5}


def vectors_for(categories: list[str], real: np.ndarray, by_cat: dict[str, np.ndarray], seed: int) -> np.ndarray:
    """One synthesised vector per paper from two real vectors of its primary category, plus noise."""
    rng = np.random.default_rng(seed)
    everyone = np.arange(len(real))
    out = np.empty((len(categories), real.shape[1]), dtype=np.float32)
    for start in range(0, len(categories), 100_000):
        cats = categories[start : start + 100_000]
        a = np.empty(len(cats), dtype=np.int64)
        b = np.empty(len(cats), dtype=np.int64)
        for i, c in enumerate(cats):
            pool = by_cat.get(c, everyone)
            a[i], b[i] = pool[rng.integers(len(pool))], pool[rng.integers(len(pool))]
        mix = rng.uniform(0.6, 1.0, (len(cats), 1)).astype(np.float32)
        block = mix * real[a] + (1 - mix) * real[b] + NOISE * rng.standard_normal((len(cats), real.shape[1]), dtype=np.float32)
        out[start : start + len(cats)] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def synthesise(records: list[dict], n: int, seed: int = 1):
    """``n`` papers: the real ones first, then perturbed mixes of real ones (same primary category)."""
    yield from records[:n]
    rng = random.Random(seed)
    by_cat: dict[str, list[dict]] = {}
    for r in records:
        by_cat.setdefault(r["categories"][0], []).append(r)
    for k in range(max(0, n - len(records))):
        base = records[rng.randrange(len(records))]
        other = rng.choice(by_cat[base["categories"][0]])
        words, donor = base["title"].split(), other["title"].split()
        title = " ".join(rng.choice(donor) if rng.random() < 0.3 else w for w in words)
        mine, theirs = base["summary"].split(". "), other["summary"].split(". ")
        summary = ". ".join(mine[: max(1, len(mine) // 2)] + theirs[len(theirs) // 2 :])
        year = 30 + k // 1_199_988
        yield {"id": f"{year}{(k // 99_999) % 12 + 1:02d}.{k % 99_999 + 1:05d}", "title": title, "summary": summary,
               "authors": base["authors"][:3] + other["authors"][:2], "categories": base["categories"],
               "comment": None, "published": records[rng.randrange(len(records))]["published"]}  # fmt: skip


def corpus(n: int, records: list[dict], real: np.ndarray, by_cat: dict) -> Path:
    """The cached SQLite corpus of ``n`` papers with MiniLM-named vectors (built once)."""
    from sqlalchemy import insert, select

    from paperwire.services.ingest import ingest_path
    from paperwire.store import Store
    from paperwire.store import schema as t

    path = CACHE / f"corpus-{n}.sqlite"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    source = CACHE / f"corpus-{n}.jsonl.gz"
    started = time.monotonic()
    with gzip.open(source, "wt", compresslevel=1) as f:
        for r in synthesise(records, n):
            f.write(json.dumps(r) + "\n")
    print(f"  corpus {n:,}: records written in {time.monotonic() - started:.0f} s", flush=True)
    store = Store.open(f"sqlite:///{partial}", upgrade=True)
    started = time.monotonic()
    report = ingest_path(store, source, parallel=True)
    print(f"  corpus {n:,}: {report.added:,} papers ingested in {time.monotonic() - started:.0f} s", flush=True)
    started = time.monotonic()
    p = t.papers.c
    with store.engine.connect() as conn:
        rows = conn.execute(select(p.pk, p.title, p.summary, p.primary_category).order_by(p.pk)).all()
    primary = [c or "?" for *_, c in rows]
    matrix = vectors_for(primary, real, by_cat, seed=n)
    now = datetime(2026, 1, 1)
    for start in range(0, len(rows), 20_000):
        with store.transaction() as conn:
            conn.execute(insert(t.paper_embeddings), [
                {"paper_pk": pk, "model": MINILM, "dim": 384, "text_hash": text_hash(title, summary),
                 "vector": stored_rows.to_blob(vec), "embedded_at": now}
                for (pk, title, summary, _), vec in zip(rows[start : start + 20_000], matrix[start : start + 20_000])
            ])  # fmt: skip
    print(f"  corpus {n:,}: {len(rows):,} vectors stored in {time.monotonic() - started:.0f} s", flush=True)
    store.engine.dispose()
    partial.replace(path)
    source.unlink(missing_ok=True)
    return path


# -- measurements --------------------------------------------------------------------------------
def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ms(values, q) -> float:
    return float(np.percentile(np.asarray(values) * 1000, q))


def cell(values) -> str:
    return f"{ms(values, 50):.1f} / {ms(values, 95):.1f}"


def timed(fn, *args, **kwargs):
    started = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - started, out


def recall(found, truth) -> float:
    truth = [pk for pk, _ in truth[:10]]
    return len({pk for pk, _ in found[:10]} & set(truth)) / max(1, len(truth))


def phrases(records: list[dict], n: int, seed: int = 7) -> list[str]:
    """Search-box queries: 2–4 consecutive content words of real titles."""
    rng = random.Random(seed)
    out = []
    while len(out) < n:
        words = [w.strip(",.:;()?") for w in records[rng.randrange(len(records))]["title"].lower().split()]
        words = [w for w in words if w and w not in STOP]
        k = rng.randint(2, 4)
        if len(words) >= k:
            start = rng.randrange(len(words) - k + 1)
            out.append(" ".join(words[start : start + k]))
    return out


def names_and_ids(records: list[dict], n: int, seed: int = 11) -> tuple[list[str], list[str]]:
    """Issue 18's queries: real author names as people type them (in full, "Last, First", initials) and
    paper ids / links (new-style ids with a version, arXiv abs/pdf links, Hugging Face links)."""
    rng = random.Random(seed)
    names, ids = [], []
    while len(names) < n:
        r = records[rng.randrange(len(records))]
        parts = rng.choice(r["authors"] or ["Ada Lovelace"]).split()
        if len(parts) < 2:
            continue
        form = len(names) % 3
        names.append(" ".join(parts) if form == 0 else f"{parts[-1]}, {' '.join(parts[:-1])}" if form == 1
                     else " ".join(p[0] + "." for p in parts[:-1]) + " " + parts[-1])  # fmt: skip
        pid = r["id"]
        ids.append([f"{pid}v2", f"https://arxiv.org/abs/{pid}v1", f"https://arxiv.org/pdf/{pid}", f"https://huggingface.co/papers/{pid}"][len(ids) % 4])
    return names, ids


def real_vectors_recall(real: np.ndarray, qvecs: np.ndarray) -> str:
    """Recall@10 of the approximate index on the 14.8k real MiniLM vectors alone (as built for them)."""
    from paperwire.index.ann import build_ann
    from paperwire.index.vectors import VectorIndex

    rng = np.random.default_rng(0)
    perm = rng.permutation(len(real))
    held, base = real[perm[:300]], real[np.sort(perm[300:])]
    pks = np.arange(1, len(base) + 1, dtype=np.int64)
    build, ann = timed(build_ann, pks, base)
    index = VectorIndex("m", pks, base, ann)
    r_q = np.mean([recall(index.search(q, 10), index.exact(q, 10)) for q in qvecs])
    r_p = np.mean([recall(index.search(q, 10), index.exact(q, 10)) for q in held])
    return (f"real MiniLM vectors ({len(base):,}, {ann.nlist} lists, {ann.probes()} probed, build {build:.1f} s): "
            f"recall@10 {r_q:.3f} for encoded title phrases, {r_p:.3f} for 300 held-out papers' vectors")  # fmt: skip


def measure(n_path: Path, queries: list[str], qvecs: np.ndarray, embedder, rebuild: bool) -> dict:
    from paperwire.context import Paperwire
    from paperwire.index import vectors
    from paperwire.index.ann import build_ann
    from paperwire.index.vectors import VectorIndex
    from paperwire.rank.query import Filters, parse
    from paperwire.settings import Settings
    from paperwire.services.search import search
    from paperwire.store import Store
    from paperwire.store import search_queries as sq

    store = Store.open(f"sqlite:///{n_path}")
    ann_file = n_path.with_suffix(f".{MINILM}.ivf")
    row: dict = {}
    started = time.monotonic()
    pks, matrix = stored_rows.load(store, MINILM)
    row["n"], row["load_s"] = len(pks), time.monotonic() - started
    exact = VectorIndex(MINILM, pks, matrix)
    gc.collect()
    before = rss_mb()
    row["build_s"], ann = timed(build_ann, pks, matrix)
    row["index_mb"] = rss_mb() - before
    ann.save(ann_file)
    row["file_mb"] = ann_file.stat().st_size / 1e6
    row["nlist"], row["probes"] = ann.nlist, ann.probes()
    del ann
    gc.collect()
    pw = Paperwire(Settings(database_url=f"sqlite:///{n_path}", data_dir=CACHE), store, embedder=embedder)
    if hasattr(pw, "lexicon"):  # issue 18: names and spelling, built before measuring (a server builds it once)
        row["lexicon_s"] = timed(pw.lexicon.refresh)[0]
    index = pw.vectors.get(MINILM)  # as the service gets it: the index file loaded
    if len(index) < vectors.ANN_MIN:  # the service searches this size exactly; measure the index anyway
        pw.vectors.start_ann(MINILM, index, wait=True)
    deadline = time.monotonic() + 600
    while index.ann is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert index.ann is not None, "the index file did not load"
    t_exact, truths = timings(exact.exact, qvecs, 100)
    t_ann, found = timings(index.search, qvecs, 100)  # the service's depth (CANDIDATES)
    row.update(exact=t_exact, ann=t_ann, recall=float(np.mean([recall(f, t) for f, t in zip(found, truths)])))
    month = Filters(after=datetime(2025, 6, 1), before=datetime(2025, 7, 1))
    for name, f in (("month", month), ("category", Filters(categories=("cs.CL",)))):
        t_sql, allowed = timed(sq.filtered_pks, store, f)
        rows = exact.rows_of(allowed)
        t_f, t_fx, rec = filtered_runs(exact, index, qvecs, allowed)
        row[name] = dict(share=len(rows) / len(pks), sql_s=t_sql, ann=t_f, exact=t_fx, recall=float(np.mean(rec)))
    if len(index) < vectors.ANN_MIN:
        index.ann = None  # hybrid as the service runs it at this size: exact vector search
    t_kw, t_kw_stage, t_kw_svc, t_hybrid, t_hybrid_cat, t_hybrid_author = [], [], [], [], [], []
    surnames = ["wang", "zhang", "li", "chen", "liu", "smith", "kim", "nguyen", "müller", "garcia"]
    with store.reading():  # one connection, as a search has
        for text in queries:
            t_kw.append(timed(sq.keyword_ranked, store, parse(text), limit=100)[0])
            t_kw_stage.append(timed(sq.keyword_ranked, store, parse(text), limit=100, postings=sq.HYBRID_POSTINGS)[0])
    for text in queries:
        t_kw_svc.append(timed(search, pw, text, mode="keyword")[0])
        t, result = timed(search, pw, text)
        assert result.mode == "hybrid", result.mode
        t_hybrid.append(t)
        t_hybrid_cat.append(timed(search, pw, text, filters=Filters(categories=("cs.CL",)))[0])
        author = Filters(authors=(surnames[len(t_hybrid_author) % len(surnames)],))  # common surnames
        t_hybrid_author.append(timed(search, pw, text, filters=author)[0])
    row.update(keyword=t_kw, keyword_stage=t_kw_stage, keyword_service=t_kw_svc, hybrid=t_hybrid,
               hybrid_category=t_hybrid_cat, hybrid_author=t_hybrid_author)  # fmt: skip
    # issue 18: names and ids typed as text, through the service (before: searched as words)
    t_names, t_ids, t_understand = [], [], []
    for name, pid in zip(*names_and_ids(real_records_cached(), len(queries))):
        t_names.append(timed(search, pw, name)[0])
        t_ids.append(timed(search, pw, pid)[0])
    understand = getattr(__import__("paperwire.services.search", fromlist=["x"]), "understand", None)
    if understand is not None:  # the recognition step alone (names, ids, spelling) on the title phrases
        t_understand = [timed(understand, pw, parse(text))[0] for text in queries]
    row.update(names=t_names, ids=t_ids, understand=t_understand)
    pw.close()
    store.engine.dispose()
    return row


def filtered_runs(exact, index, qvecs, allowed) -> tuple[list[float], list[float], list[float]]:
    """Per query: the planned filtered search's time, the exact subset scan's time, and recall@10 of the
    planned one against the exact one (whose results must all be allowed papers)."""
    rows = exact.rows_of(allowed)
    keep = set(np.asarray(allowed).tolist())
    t_fx, truths = timings(exact.exact, qvecs, 100, rows)
    t_f, found = timings(lambda q, k: index.search(q, k, allowed=allowed), qvecs, 100)
    assert all({pk for pk, _ in f} <= keep for f in found)
    return t_f, t_fx, [recall(f, t) for f, t in zip(found, truths)]


def timings(fn, qvecs, *args) -> tuple[list[float], list]:
    """Each query's time and result. Exact and approximate searches run in separate loops: right after
    a brute-force scan of 1.5 GB the BLAS threads still spin and the caches are cold, which would slow
    whatever ran next (measured: 1.7 ms alone, 6.4 ms interleaved)."""
    times, results = [], []
    for q in qvecs:
        t, out = timed(fn, q, *args)
        times.append(t)
        results.append(out)
    return times, results


def measure_vectors_only(n: int, records: list[dict], real: np.ndarray, by_cat: dict, qvecs: np.ndarray) -> str:
    """The vector part alone, on ``n`` vectors made in memory as the corpus's are (no database): for a
    size whose SQLite corpus is not built yet."""
    from paperwire.index.ann import build_ann
    from paperwire.index.vectors import VectorIndex

    rng = random.Random(n)
    picked = [records[rng.randrange(len(records))] for _ in range(n)]
    matrix = vectors_for([r["categories"][0] for r in picked], real, by_cat, seed=n)
    pks = np.arange(1, n + 1, dtype=np.int64)
    exact = VectorIndex("m", pks, matrix)
    gc.collect()
    before = rss_mb()
    build, ann = timed(build_ann, pks, matrix)
    grown = rss_mb() - before
    index = VectorIndex("m", pks, matrix, ann)
    t_exact, truths = timings(exact.exact, qvecs, 100)
    t_ann, found = timings(index.search, qvecs, 100)
    rec = [recall(f, t) for f, t in zip(found, truths)]
    out = [f"{n:,} vectors only: exact {cell(t_exact)} ms, IVF-PQ {cell(t_ann)} ms, speed-up "
           f"{ms(t_exact, 50) / ms(t_ann, 50):.0f}× p50 / {ms(t_exact, 95) / ms(t_ann, 95):.0f}× p95, recall@10 "
           f"{np.mean(rec):.3f}; build {build:.0f} s ({ann.nlist} lists, {ann.probes()} probed), +{grown:.0f} MB"]  # fmt: skip
    months = np.array([r["published"][:7] for r in picked])
    for name, mask in (("one month (2025-06)", months == "2025-06"),
                       ("cs.CL", np.array(["cs.CL" in r["categories"] for r in picked]))):  # fmt: skip
        t_f, t_fx, rec = filtered_runs(exact, index, qvecs, pks[mask])
        out.append(f"  {name} ({mask.mean():.1%}): planned {cell(t_f)} ms vs exact subset {cell(t_fx)} ms, recall@10 {np.mean(rec):.3f}")
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[75_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--build-only", action="store_true", help="only build the cached corpora")
    parser.add_argument("--vectors-only", type=int, nargs="*", default=[],
                        help="also measure the vector part alone at these sizes (vectors made in memory)")
    args = parser.parse_args()
    records = real_records()
    real, by_cat = seeds()
    paths = [corpus(min(n, len(records)) if n <= len(records) + 1000 else n, records, real, by_cat) for n in args.sizes]
    if args.build_only:
        return 0
    from paperwire.index.embedder import OnnxEmbedder

    embedder = OnnxEmbedder(CACHE / "models")
    queries = phrases(records, args.queries)
    embedder.encode(queries[:8])  # warm up
    t_enc, qvecs = [], []
    for text in queries:
        t, vec = timed(embedder.encode, [text])
        t_enc.append(t)
        qvecs.append(vec[0])
    qvecs = np.asarray(qvecs, dtype=np.float32)
    print(f"{len(queries)} queries (title phrases, e.g. {queries[:3]}); query encoding p50/p95 {cell(t_enc)} ms")
    print(real_vectors_recall(real, qvecs), flush=True)
    for n in args.vectors_only:
        print(measure_vectors_only(n, records, real, by_cat, qvecs), flush=True)
    rows = []
    for path in paths:
        row = measure(path, queries, qvecs, embedder, rebuild=True)
        rows.append(row)
        print(f"  measured {row['n']:,}", flush=True)
    print()
    print("| papers | keyword SQL p50/p95 ms | keyword, hybrid stage | keyword (service) | vector exact | vector IVF-PQ "
          "| speed-up p50 / p95 "
          "| recall@10 | one month: share, IVF / exact ms, recall | cs.CL: share, IVF / exact ms, recall "
          "| hybrid incl. encoding | hybrid + category | hybrid + author surname | build s | index MB (RSS / file) |")  # fmt: skip
    print("|" + "---|" * 15)
    for r in rows:
        f = [f"{r[name]['share']:.1%}, {ms(r[name]['ann'], 50):.1f}/{ms(r[name]['ann'], 95):.1f} vs "
             f"{ms(r[name]['exact'], 50):.1f}/{ms(r[name]['exact'], 95):.1f}, {r[name]['recall']:.3f}" for name in ("month", "category")]  # fmt: skip
        print(f"| {r['n']:,} | {cell(r['keyword'])} | {cell(r['keyword_stage'])} | {cell(r['keyword_service'])} | {cell(r['exact'])} | {cell(r['ann'])} "
              f"| {ms(r['exact'], 50) / ms(r['ann'], 50):.0f}× / {ms(r['exact'], 95) / ms(r['ann'], 95):.0f}× | {r['recall']:.3f} "
              f"| {f[0]} | {f[1]} | {cell(r['hybrid'])} | {cell(r['hybrid_category'])} | {cell(r['hybrid_author'])} "
              f"| {r['build_s']:.0f} ({r['nlist']} lists, {r['probes']} probed) | {r['index_mb']:.0f} / {r['file_mb']:.0f} |")  # fmt: skip
    print("\nissue 18 (names and ids typed as text, through services.search.search; the recognition step alone):")
    print("| papers | hybrid, title phrases | author names (full, Last, First, initials) | ids and links | recognition step alone | lexicon build s |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['n']:,} | {cell(r['hybrid'])} | {cell(r['names'])} | {cell(r['ids'])} "
              f"| {cell(r['understand']) if r['understand'] else '-'} | {r.get('lexicon_s', 0):.1f} |")
    print(f"\nquery encoding (ONNX MiniLM, one query) p50/p95 {cell(t_enc)} ms; load vectors from SQLite: "
          + ", ".join(f"{r['n']:,}: {r['load_s']:.1f} s" for r in rows))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
