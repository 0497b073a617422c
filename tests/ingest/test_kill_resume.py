"""A run killed with SIGKILL and started again ends with exactly what an uninterrupted run gives."""
from __future__ import annotations

import gzip
import itertools
import os
import signal
import subprocess
import sys
import time

import sqlalchemy as sa

from paperwire.services.ingest import ingest_path
from paperwire.rank.query import parse
from paperwire.store import Store
from paperwire.store.ids import ids_of
from paperwire.store.search_queries import keyword_matches

N_RECORDS = 12_000


def _snapshot(store: Store) -> dict:
    with store.engine.connect() as conn:
        ids = [r[0] for r in conn.exec_driver_sql("SELECT id FROM papers")]
        papers = store.load_papers(conn, ids)
        authors = sorted(r[0] for r in conn.exec_driver_sql("SELECT key FROM authors"))
        with store.reading(conn):
            hits = {term: sorted(ids_of(store, keyword_matches(store, parse(term))).values())
                    for term in ("diffusion", "robot", "graph")}  # fmt: skip
    return {"papers": papers, "authors": authors, "hits": hits}


def _count(url: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql("SELECT count(*) FROM papers").scalar()
    except sa.exc.OperationalError:
        return 0
    finally:
        engine.dispose()


def test_ingest_killed_with_sigkill_then_restarted_matches_an_uninterrupted_run(new_db_url, tmp_path, shared_data):
    db_url = new_db_url()
    source = shared_data / "arxiv" / "arxiv_cs_2025_2026.jsonl.gz"
    path = tmp_path / "slice.jsonl"
    with gzip.open(source, "rb") as f:
        path.write_bytes(b"".join(itertools.islice(f, N_RECORDS)))

    env = {**os.environ, "PAPERWIRE_DATABASE_URL": db_url, "PAPERWIRE_INGEST_BATCH_SIZE": "100"}
    cli = [sys.executable, "-m", "paperwire.cli.main"]
    subprocess.run([*cli, "init"], env=env, check=True, capture_output=True)
    proc = subprocess.Popen([*cli, "ingest", str(path), "--no-embed"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while _count(db_url) < 1_000 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = _count(db_url)
    assert 0 < partial < N_RECORDS, f"the kill should land mid-run (had {partial} papers)"

    again = subprocess.run([*cli, "ingest", str(path), "--no-embed", "--json"], env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr

    killed = Store.open(db_url)
    reference = Store.open(new_db_url(), upgrade=True)
    ingest_path(reference, path)
    try:
        got, want = _snapshot(killed), _snapshot(reference)
        assert len(got["papers"]) == N_RECORDS
        assert got == want
        statuses = [r.status for r in killed.runs(target=str(path.resolve()))]
        assert statuses == ["finished", "interrupted"]
    finally:
        killed.close()
        reference.close()
