"""Ingest benchmark: papers/s loading ../shared/data/arxiv (~75k papers) into SQLite and PostgreSQL,
metadata and keyword index, with peak memory; beside it, measured in the same run:
  - the reader alone (gunzip + parse into records): the ceiling for any ingest,
  - a naive baseline: one INSERT per paper and per author link with an FTS5 trigger, on a 10k slice.
Each measurement runs in its own process so its peak RSS is its own.

Usage: python benchmarks/ingest.py [--limit N] [--skip-postgres]
"""
from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("PAPERWIRE_SHARED_DATA", ROOT.parent / "shared" / "data")) / "arxiv" / "arxiv_cs_2025_2026.jsonl.gz"
POSTGRES = os.environ.get("PAPERWIRE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BASELINE_SLICE = 10_000


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_reader(limit: int | None) -> dict:
    from paperwire.sources.files import read_file

    start = time.perf_counter()
    n = sum(1 for _ in itertools.islice(read_file(DATA), limit))
    return {"papers": n, "seconds": time.perf_counter() - start}


def measure_paperwire(url: str, limit: int | None) -> dict:
    """What `paperwire ingest FILE` does (services.ingest.ingest_path)."""
    from paperwire.services.ingest import ingest_path
    from paperwire.store import Store

    path = DATA
    if limit:
        path = Path(tempfile.mkdtemp()) / "slice.jsonl.gz"
        with gzip.open(DATA, "rb") as src, gzip.open(path, "wb", compresslevel=1) as dst:
            dst.writelines(itertools.islice(src, limit))
    store = Store.open(url, upgrade=True)
    start = time.perf_counter()
    report = ingest_path(store, path, parallel=True)
    seconds = time.perf_counter() - start
    assert report.failed == 0, report.problems[:3]
    return {"papers": report.added, "seconds": seconds}


def measure_naive(url: str, limit: int | None) -> dict:
    """The easy version: ORM-style row-at-a-time inserts, FTS5 kept by a trigger, one transaction."""
    import sqlalchemy as sa

    from paperwire.ingest.normalize import normalize
    from paperwire.sources.files import read_file
    from paperwire.store import Store

    store = Store.open(url, upgrade=True)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TRIGGER papers_ai AFTER INSERT ON papers BEGIN "
                             "INSERT INTO papers_fts(rowid, title, summary) VALUES (new.pk, new.title, new.summary); END")  # fmt: skip
    from paperwire.store import schema as t

    start = time.perf_counter()
    n = 0
    with store.engine.begin() as conn:
        for record in itertools.islice(read_file(DATA), min(limit or BASELINE_SLICE, BASELINE_SLICE)):
            p = normalize(record)
            pk = conn.execute(t.papers.insert().values(
                id=p.id, title=p.title, summary=p.summary, published=p.published, source="file",
                first_seen=p.published, title_key=p.title_key, primary_category=p.primary_category,
                abs_url=p.abs_url, pdf_url=p.pdf_url, comment=p.comment).returning(t.papers.c.pk)).scalar_one()  # fmt: skip
            for i, (name, key) in enumerate(zip(p.authors, p.author_keys)):
                apk = conn.execute(sa.select(t.authors.c.pk).where(t.authors.c.key == key)).scalar()
                if apk is None:
                    apk = conn.execute(t.authors.insert().values(key=key, name=name).returning(t.authors.c.pk)).scalar_one()
                conn.execute(t.paper_authors.insert().values(paper_pk=pk, position=i, author_pk=apk, name=name))
            for i, c in enumerate(p.categories):
                conn.execute(t.paper_categories.insert().values(paper_pk=pk, position=i, category=c))
            n += 1
    return {"papers": n, "seconds": time.perf_counter() - start}


def child(kind: str, limit: int | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sqlite_url = f"sqlite:///{tmp}/bench.db"
        if kind == "reader":
            result = measure_reader(limit)
        elif kind == "sqlite":
            result = measure_paperwire(sqlite_url, limit)
        elif kind == "naive-sqlite":
            result = measure_naive(sqlite_url, limit)
        elif kind == "postgres":
            import sqlalchemy as sa

            schema = f"pw_bench_{uuid.uuid4().hex[:8]}"
            engine = sa.create_engine(POSTGRES)
            with engine.begin() as conn:
                conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
            try:
                result = measure_paperwire(f"{POSTGRES}?options=-csearch_path%3D{schema}", limit)
            finally:
                with engine.begin() as conn:
                    conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        else:
            raise SystemExit(f"unknown kind {kind}")
    result["peak_mb"] = _peak_mb()
    result["helper_peak_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=None, help="only the first N papers")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.limit)
        return
    kinds = ["reader", "naive-sqlite", "sqlite"] + ([] if args.skip_postgres else ["postgres"])
    labels = {"reader": "reader only (gunzip + parse), ceiling", "naive-sqlite": f"naive row-at-a-time + FTS trigger, SQLite ({BASELINE_SLICE:,} slice)",
              "sqlite": "paperwire ingest, SQLite (FTS5)", "postgres": "paperwire ingest, PostgreSQL (tsvector + GIN)"}  # fmt: skip
    results = {}
    print(f"ingest benchmark: {DATA.name}, limit={args.limit or 'all'}, {os.cpu_count()} CPUs")
    for kind in kinds:
        cmd = [sys.executable, __file__, "--child", kind] + (["--limit", str(args.limit)] if args.limit else [])
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
        r = results[kind] = json.loads(out)
        r["rate"] = r["papers"] / r["seconds"]
        print(f"  {labels[kind]:<58} {r['papers']:>7,} papers {r['seconds']:>7.1f} s {r['rate']:>8,.0f} papers/s  peak {r['peak_mb']:,.0f} MB"
              + (f" (+ {r['helper_peak_mb']:,.0f} MB parser process)" if r.get("helper_peak_mb") else ""))
    if "naive-sqlite" in results:
        print(f"paperwire SQLite vs naive baseline: {results['sqlite']['rate'] / results['naive-sqlite']['rate']:.1f}x; "
              f"share of the reader ceiling: {results['sqlite']['rate'] / results['reader']['rate']:.0%}; target >= 5,000 papers/s")  # fmt: skip


if __name__ == "__main__":
    main()
