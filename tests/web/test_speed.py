"""Issue 21's mechanisms: feed data and card parts computed once per data version with each reader's
own marks rendered around them, bounded memos, the worker count, and `paperwire serve` with workers."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest
from fastapi.testclient import TestClient

from paperwire.context import Lru, VersionMemo
from paperwire.services import community
from paperwire.store import accounts as accounts_db
from paperwire.settings import Settings
from paperwire.web.app import create_app, worker_count
from paperwire.web.pages import PageCache
from tests.browsing import HTML, login
from tests.conftest import free_port
from tests.factories import PASSWORD, account, load, make_record


@pytest.fixture
def app(pw):
    application = create_app(pw=pw)
    application.state.page_cache = PageCache(lambda: None)  # the memo, not the page cache, is under test
    return application


@pytest.fixture
def day(store):
    load(store, *[make_record(id=f"2601.{i:05d}", title=f"Paper number {i}", published="2026-01-14") for i in range(5)])
    return "/day/2026-01-14"


def vote_button(html: str, paper_id: str) -> str:
    """The vote form of one card (its hidden paper field and the button after it)."""
    match = re.search(r'name="paper" value="' + re.escape(paper_id) + r'">.{0,200}?<button[^>]*class="vote[^"]*"[^>]*>', html, re.S)
    assert match, html[:3000]
    return match.group(0)


def signed_in(app, store, email):
    account(store, email, PASSWORD, verified=True)
    client = TestClient(app, headers=HTML)
    login(client, email)
    return client


def test_a_reader_sees_their_own_vote_and_another_reader_does_not(app, store, day):
    ada, bob = signed_in(app, store, "ada@example.org"), signed_in(app, store, "bob@example.org")
    bob.get(day)  # the day's data and cards are computed now, before Ada votes
    community.vote(store, accounts_db.user_by_email(store, "ada@example.org"), "2601.00003", True)
    mine, theirs = ada.get(day).text, bob.get(day).text
    assert 'aria-pressed="true"' in vote_button(mine, "2601.00003")
    assert 'aria-pressed="false"' in vote_button(theirs, "2601.00003")
    assert "Upvote (1)" in vote_button(theirs, "2601.00003")  # the count is everyone's


def test_a_readers_rating_shows_only_on_their_page(app, store, day):
    ada, bob = signed_in(app, store, "ada@example.org"), signed_in(app, store, "bob@example.org")
    ada.get(day)
    community.rate(store, accounts_db.user_by_email(store, "ada@example.org"), "2601.00001", 1)
    assert 'class="thumb on"' in ada.get(day).text
    assert 'class="thumb on"' not in bob.get(day).text


def test_card_parts_are_rendered_once_per_data_version(app, pw, store, db_url, day):
    client = TestClient(app, headers=HTML)
    assert "Paper number 2" in client.get(day).text
    if db_url.startswith("sqlite"):  # PostgreSQL's token is the server's WAL position: any write anywhere moves it
        assert len(pw.fragments) == 5
    load(store, make_record(id="2601.00002", title="A corrected title", published="2026-01-14"))
    page = client.get(day).text
    assert "A corrected title" in page and "Paper number 2" not in page


def test_version_memo_keeps_at_most_its_size_and_forgets_on_a_new_version():
    version = [1]
    memo = VersionMemo(lambda: version[0], maxsize=3)
    for key in range(5):
        memo.get(key, lambda key=key: key * 10)
    assert len(memo) == 3
    version[0] = 2
    assert memo.get(4, lambda: "fresh") == "fresh" and len(memo) == 1


def test_lru_keeps_at_most_its_size():
    lru = Lru(2)
    for key in range(4):
        lru.put(key, key)
    assert len(lru) == 2 and lru.get(0) is None and lru.get(3) == 3


def test_worker_count_zero_means_one_per_core():
    assert worker_count(0) == len(os.sched_getaffinity(0))
    assert worker_count(3) == 3


def test_web_workers_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("PAPERWIRE_WEB_WORKERS", "3")
    assert Settings().web_workers == 3


def test_serve_with_two_workers_answers_pages_from_two_processes(tmp_path):
    env = {**os.environ, "PAPERWIRE_DATA_DIR": str(tmp_path), "PAPERWIRE_HARVEST_SOURCES": "",
           "PAPERWIRE_WEB_WORKERS": "2"}  # fmt: skip
    env.pop("PAPERWIRE_DATABASE_URL", None)
    import httpx

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "paperwire.cli.main", "serve", "--host", "127.0.0.1", "--port",
                             str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                httpx.get(f"{base}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read().decode()
                assert time.monotonic() < deadline, "paperwire serve did not start"
                time.sleep(0.3)
        assert httpx.get(f"{base}/", headers=HTML, timeout=30).status_code == 200
        assert httpx.get(f"{base}/api/daily_papers", timeout=30).status_code == 200
        assert _workers_of(proc.pid, port) == 2
    finally:
        proc.terminate()
        try:
            proc.wait(60)  # the workers shut down gracefully (slow on a busy machine)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _workers_of(parent: int, port: int) -> int:
    """The worker processes of ``parent`` that serve ``port`` (children holding its listening socket)."""
    found: set[int] = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        children = [int(p) for p in os.listdir("/proc") if p.isdigit() and _parent(p) == parent]
        found = {c for c in children if _listens(c, port)}
        if len(found) >= 2:
            break
        time.sleep(0.5)
    return len(found)


def _parent(pid: str) -> int | None:
    try:
        return int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _listens(pid: int, port: int) -> bool:
    try:
        links = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
    except OSError:
        return False
    sockets = {link[8:-1] for link in links if link.startswith("socket:[")}
    for line in open("/proc/net/tcp").read().splitlines()[1:]:
        parts = line.split()
        if int(parts[1].split(":")[1], 16) == port and parts[3] == "0A" and parts[9] in sockets:
            return True
    return False


def test_version_memo_computes_a_key_once_while_threads_ask_together():
    import threading

    calls, started = [], threading.Event()
    memo = VersionMemo(lambda: 1)

    def compute():
        calls.append(1)
        started.wait(1)
        return "value"

    threads = [threading.Thread(target=memo.get, args=("key", compute)) for _ in range(6)]
    for t in threads:
        t.start()
    started.set()
    for t in threads:
        t.join()
    assert len(calls) == 1 and memo.get("key", lambda: "other") == "value"


def test_a_papers_related_list_includes_a_paper_indexed_after_it_was_shown(app, pw, store):
    from tests.factories import fake_embeddings

    load(store, *[make_record(id=f"2601.{i:05d}", title=f"Topic {w} study", summary=f"{w} methods and {w} results",
                              published="2026-01-14") for i, w in enumerate(["graph", "speech", "robot", "vision"])])  # fmt: skip
    fake_embeddings(pw)
    client = TestClient(app, headers=HTML)
    assert "Graph neural graph twin" not in client.get("/papers/2601.00000").text
    load(store, make_record(id="2601.00099", title="Graph neural graph twin", summary="graph methods and graph results",
                            published="2026-01-15"))  # fmt: skip
    fake_embeddings(pw)
    pw.vectors.get(pw.embedder().name, now=True)
    assert "Graph neural graph twin" in client.get("/papers/2601.00000").text
