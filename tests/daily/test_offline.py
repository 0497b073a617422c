"""Without network: a harvest records the failure of each source (error, failures in a row, the next
retry with backoff), nothing else breaks, and the papers already stored keep being served, by the
services and by a real ``paperwire serve`` whose scheduled harvest fails."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import httpx

from paperwire.context import Paperwire
from paperwire.services.harvest import harvest, status
from paperwire.services.search import search
from paperwire.settings import Settings
from paperwire.store import Store, harvests
from tests.conftest import free_port, serving
from tests.daily.conftest import DAY, NOW
from tests.daily.recorded import hf_day, listing

NO_WAIT = {"retries": 0, "sleep": lambda s: None}


def _closed() -> dict:
    """Endpoints on a port nothing listens on."""
    port = free_port()
    return {"arxiv_oai_url": f"http://127.0.0.1:{port}/oai", "hf_endpoint": f"http://127.0.0.1:{port}"}


def _by_source(report: dict) -> dict:
    return {s["source"]: s for s in report["sources"]}


def test_an_unreachable_source_is_recorded_as_failed_with_its_error(daily_pw):
    pw = daily_pw(**_closed())
    report = harvest(pw, now=NOW, **NO_WAIT)
    assert not report.ok
    assert [(r.source, r.status) for r in report.runs] == [("arxiv", "failed"), ("hf", "failed")]
    assert all("ConnectError" in r.error for r in report.runs)
    for source in _by_source(status(pw, NOW)).values():
        assert source["failures"] == 1 and "ConnectError" in source["last_error"]
        assert source["running_since"] is None  # the claim is released
        assert source["next"] == (NOW + timedelta(minutes=5)).isoformat() + "Z"


def test_the_next_retry_backs_off_with_each_failure_in_a_row(daily_pw):
    pw = daily_pw(**_closed())
    for attempt in range(3):
        harvest(pw, now=NOW + timedelta(minutes=attempt), **NO_WAIT)
    last = NOW + timedelta(minutes=2)
    hf = _by_source(status(pw, last))["hf"]
    assert hf["failures"] == 3
    assert hf["next"] == (last + timedelta(minutes=20)).isoformat() + "Z"


def test_a_source_failing_for_more_than_a_day_since_its_last_success_is_stale(daily_pw, recorded, arxiv_papers):
    recorded.add_listing(listing(arxiv_papers[1500:1505], DAY))
    assert harvest(daily_pw(), sources=["arxiv"], now=NOW, index=False).ok
    pw = daily_pw(**_closed())
    soon, later = NOW + timedelta(hours=1), NOW + timedelta(days=1, hours=1)
    harvest(pw, sources=["arxiv"], now=soon, **NO_WAIT)
    assert not _by_source(status(pw, soon))["arxiv"]["stale"]
    harvest(pw, sources=["arxiv"], now=later, **NO_WAIT)
    assert _by_source(status(pw, later))["arxiv"]["stale"]


def test_stored_papers_keep_being_served_while_the_sources_are_unreachable(daily_pw, recorded, arxiv_papers):
    papers = arxiv_papers[1500:1520]
    recorded.add_listing(listing(papers, DAY))
    recorded.set_day(DAY, hf_day(papers[:3], DAY))
    assert harvest(daily_pw(), now=NOW, index=False).ok
    pw = daily_pw(**_closed())
    later = NOW + timedelta(hours=5)
    report = harvest(pw, now=later, **NO_WAIT)
    assert not report.ok and pw.store.stats()["papers"] == 20
    found = search(pw, papers[7]["title"], mode="keyword", limit=3)
    assert found.papers[0].id == papers[7]["id"]
    for source in _by_source(status(pw, later)).values():
        assert source["last_success"] == NOW.isoformat() + "Z" and source["failures"] == 1 and not source["stale"]


def test_paperwire_serve_answers_while_its_scheduled_harvest_fails(tmp_path, data_dir, recorded, arxiv_papers):
    """A first harvest two days ago stored papers; the server's start-up harvest (due: older than a
    day) cannot reach anything; pages are served, and ``paperwire status`` shows the failure."""
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    papers = arxiv_papers[1500:1510]
    then = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(days=2)
    recorded.add_listing(listing(papers, then.date()))
    store = Store.open(url, upgrade=True)
    with Paperwire(Settings(database_url=url, data_dir=data_dir, **recorded.settings()), store) as pw:
        assert harvest(pw, sources=["arxiv"], now=then, index=False).ok
    store.close()

    closed = _closed()
    env = {**os.environ, "PAPERWIRE_DATABASE_URL": url, "PAPERWIRE_DATA_DIR": str(data_dir),
           "PAPERWIRE_HARVEST_SOURCES": "arxiv,hf", "PAPERWIRE_ARXIV_OAI_URL": closed["arxiv_oai_url"],
           "PAPERWIRE_HF_ENDPOINT": closed["hf_endpoint"]}  # fmt: skip
    cli = [sys.executable, "-m", "paperwire.cli.main"]
    with serving(env, free_port()) as base:
        deadline = time.monotonic() + 60
        watch = Store.open(url)
        try:  # the start-up harvest runs 5 s after start; a source fails after its HTTP retries
            while not any(state.failures for state in harvests.states(watch).values()):
                assert time.monotonic() < deadline, "the start-up harvest did not record its failure"
                time.sleep(0.3)
        finally:
            watch.close()
        shown = subprocess.run([*cli, "status", "--json"], env=env, capture_output=True, text=True)
        assert shown.returncode == 0, shown.stderr
        failed = [s for s in json.loads(shown.stdout)["sources"] if s["failures"]]
        assert failed
        for source in failed:  # whichever the schedule tried first (they run one at a time)
            assert "ConnectError" in source["last_error"] and source["next"] and source["enabled"]
            assert source["last_success"] == (then.isoformat(timespec="seconds") + "Z" if source["source"] == "arxiv" else None)
        assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200
        home = httpx.get(f"{base}/", timeout=30)
        assert home.status_code == 200
        found = httpx.get(f"{base}/search", params={"q": papers[4]["title"]}, timeout=30)
        assert found.status_code == 200 and papers[4]["id"] in found.text
