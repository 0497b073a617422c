"""Issue 21's mechanisms: feed data and card parts computed once per data version with each reader's
own marks rendered around them, bounded memos, the worker count, and `paperwire serve` with workers."""
from __future__ import annotations

import os
import re

import pytest
from fastapi.testclient import TestClient

from paperwire.context import Lru, VersionMemo
from paperwire.services import community
from paperwire.store import accounts as accounts_db
from paperwire.settings import Settings
from paperwire.web.app import create_app, worker_count
from paperwire.web.pages import PageCache
from tests.browsing import HTML, login
from tests.conftest import free_port, serving
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

    with serving(env, free_port(), timeout=90) as base:
        assert httpx.get(f"{base}/", headers=HTML, timeout=30).status_code == 200
        assert httpx.get(f"{base}/api/daily_papers", timeout=30).status_code == 200
        workers = [p for p in os.listdir("/proc") if p.isdigit() and _is_worker_of(p, base)]
        assert len(workers) == 2


def _is_worker_of(pid: str, base: str) -> bool:
    """A process that holds a listening socket on ``base``'s port and runs a paperwire app (spawned worker)."""
    try:
        cmdline = open(f"/proc/{pid}/cmdline", "rb").read()
        maps = open(f"/proc/{pid}/maps").read()
    except OSError:
        return False
    return b"multiprocessing" in cmdline and "paperwire" in maps and os.getppid() != int(pid) and _has_port(pid, base)


def _has_port(pid: str, base: str) -> bool:
    port = int(base.rsplit(":", 1)[1])
    try:
        inodes = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
    except OSError:
        return False
    sockets = {i[8:-1] for i in inodes if i.startswith("socket:[")}
    for line in open("/proc/net/tcp").read().splitlines()[1:]:
        parts = line.split()
        if int(parts[1].split(":")[1], 16) == port and parts[3] == "0A" and parts[9] in sockets:
            return True
    return False
