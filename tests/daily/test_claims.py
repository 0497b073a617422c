"""One harvest of a source at a time, and none lost: ``paperwire harvest`` processes against a slow
recorded server, killed with SIGKILL midway and run again, or started twice at once (SQLite and
PostgreSQL). The claim lives in the database only, so Redis changes nothing here."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from paperwire.context import Paperwire
from paperwire.services.harvest import harvest
from paperwire.settings import Settings
from paperwire.store import Store, harvests
from tests.daily.recorded import listing

CLI = [sys.executable, "-m", "paperwire.cli.main"]
HARVEST = [*CLI, "harvest", "--source", "arxiv", "--no-index", "--json"]


def _yesterday():
    return (datetime.now(timezone.utc) - timedelta(days=1)).date()


def _env(db_url: str, data_dir, recorded) -> dict:
    return {**os.environ, "PAPERWIRE_DATABASE_URL": db_url, "PAPERWIRE_DATA_DIR": str(data_dir),
            "PAPERWIRE_HARVEST_SOURCES": "arxiv", **recorded.env()}  # fmt: skip


def _count(url: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql("SELECT count(*) FROM papers").scalar()
    finally:
        engine.dispose()


def _snapshot(store: Store) -> dict:
    with store.engine.connect() as conn:
        ids = [r[0] for r in conn.exec_driver_sql("SELECT id FROM papers")]
        return {"rows": len(ids), "papers": store.load_papers(conn, ids)}


def test_a_harvest_killed_midway_and_run_again_ends_with_exactly_the_uninterrupted_result(
        store, db_url, new_db_url, data_dir, recorded, arxiv_papers):  # fmt: skip
    papers = arxiv_papers[:300]
    recorded.add_listing(listing(papers, _yesterday(), replaced=[p["id"] for p in papers[::25]]))
    recorded.page_size, recorded.delay = 15, 0.1  # 20 pages
    env = _env(db_url, data_dir, recorded)

    proc = subprocess.Popen(HARVEST, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while _count(db_url) < 45 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = _count(db_url)
    assert 0 < partial < len(papers), f"the kill should land mid-run (had {partial} papers)"
    stale = harvests.states(store)["arxiv"]
    assert stale.running_owner == f"{harvests.this_process().rpartition(':')[0]}:{proc.pid}"
    assert stale.last_success_at is None
    recorded.delay = 0

    again = subprocess.run(HARVEST, env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    run = json.loads(again.stdout)["runs"][0]
    assert run["status"] == "ok"  # the dead process's claim was taken over
    state = harvests.states(store)["arxiv"]
    assert state.running_owner is None and state.last_success_at is not None

    reference = Store.open(new_db_url(), upgrade=True)
    try:
        with Paperwire(Settings(database_url=str(reference.engine.url.render_as_string(hide_password=False)),
                                data_dir=data_dir, harvest_sources=["arxiv"], **recorded.settings()),
                       reference) as pw:  # fmt: skip
            assert harvest(pw, index=False).ok
        got, want = _snapshot(store), _snapshot(reference)
        assert got["rows"] == want["rows"] == len(papers)  # nothing lost, nothing twice
        assert got == want
    finally:
        reference.close()
    assert sum(p.listing == "replace" for p in got["papers"].values()) == 12


def test_two_harvests_at_once_fetch_once_and_the_other_reports_the_source_running(
        store, db_url, data_dir, recorded, arxiv_papers):  # fmt: skip
    recorded.add_listing(listing(arxiv_papers[600:800], _yesterday()))
    recorded.page_size, recorded.delay = 20, 0.4  # 10 pages: 4 s, so the two overlap
    env = _env(db_url, data_dir, recorded)
    procs = [subprocess.Popen(HARVEST, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]  # fmt: skip
    outputs = [proc.communicate(timeout=120) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], [err for _, err in outputs]
    runs = sorted((json.loads(out)["runs"][0] for out, _ in outputs), key=lambda r: r["status"])
    assert [r["status"] for r in runs] == ["ok", "skipped"]
    assert runs[0]["added"] == 200 and runs[1]["reason"] == "another harvest of this source is running"
    assert recorded.count("/oai", metadataPrefix="arXiv") == 1  # one harvest started
    assert recorded.count("/oai") == 10  # and only it paged through
    assert _count(db_url) == 200
