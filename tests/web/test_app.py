"""The web app built by create_app(settings): newest papers, a paper page, text never executed,
and `paperwire serve` answering on a real socket."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from paperwire.settings import Settings
from paperwire.web.app import create_app
from tests.factories import ingest, make_record
from tests.conftest import free_port


@pytest.fixture
def client(pw):
    app = create_app(pw=pw)
    with TestClient(app) as c:
        yield c


def _three_papers(store):
    ingest(store, [make_record(title="Older paper", published="2026-01-01"),
                   make_record(title="Earlier that day", published="2026-02-01T08:00:00Z"),
                   make_record(title="Newer paper", published="2026-02-01T12:00:00Z", upvotes=9)])  # fmt: skip


def test_home_opens_on_the_newest_day_of_daily_papers_the_upvoted_ones(client, store):
    _three_papers(store)
    page = client.get("/")
    assert page.status_code == 200
    assert "Newer paper" in page.text and "▲ 9" in page.text
    assert "Earlier that day" not in page.text and "Older paper" not in page.text


def test_new_on_arxiv_shows_the_whole_newest_day_most_upvoted_first(client, store):
    _three_papers(store)
    page = client.get("/?list=new")
    assert page.status_code == 200
    assert page.text.index("Newer paper") < page.text.index("Earlier that day")
    assert "Older paper" not in page.text


def test_an_empty_database_says_how_to_load_papers(client):
    assert "paperwire ingest demo" in client.get("/").text


def test_a_paper_page_shows_abstract_and_links(client, store):
    ingest(store, [make_record(id="2501.01234v2", summary="We prove $P \\neq NP$ & more.")])
    page = client.get("/papers/2501.01234")
    assert page.status_code == 200
    assert "We prove $P \\neq NP$ &amp; more." in page.text
    assert 'href="https://arxiv.org/pdf/2501.01234"' in page.text


def test_an_unknown_paper_is_a_404_with_a_json_body(client):
    response = client.get("/papers/9999.99999")
    assert response.status_code == 404
    assert response.json()["detail"] == "no paper with id 9999.99999"


def test_markup_in_titles_and_authors_is_shown_as_text(client, store):
    ingest(store, [make_record(title="<script>alert(1)</script> attacks", authors=["<img src=x onerror=alert(2)>"])])  # fmt: skip
    page = client.get("/").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page



def test_paperwire_serve_migrates_and_answers_on_its_port(tmp_path):
    port = free_port()
    env = {**os.environ, "PAPERWIRE_DATA_DIR": str(tmp_path), "PAPERWIRE_PORT": str(port), "PAPERWIRE_WEB_WORKERS": "1"}
    env.pop("PAPERWIRE_DATABASE_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "paperwire.cli.main", "serve"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read().decode()
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        assert response.json()["ok"] is True
        assert httpx.get(f"http://127.0.0.1:{port}/").status_code == 200
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.parametrize("odd", ["%00", "..%2F..", "%ff", "x" * 5000, "a%0Ab"])
def test_odd_paper_ids_are_not_found_never_a_server_error(client, odd):
    assert client.get(f"/papers/{odd}").status_code == (400 if "%00" in odd else 404)  # NUL: refused at the boundary


def test_a_versioned_or_wrapped_arxiv_id_finds_the_paper(client, store):
    ingest(store, [make_record(id="2501.04321")])
    assert client.get("/papers/2501.04321v2").status_code == 200
    assert client.get("/papers/arXiv:2501.04321").status_code == 200


def test_a_paper_page_lists_related_papers(client, store):
    ingest(store, [make_record(id="2501.05551", title="Sparse attention for long video transformers"),
                   make_record(id="2501.05552", title="Long video transformers with sparse attention"),
                   make_record(id="2501.05553", title="Protein folding with lattice models")])  # fmt: skip
    page = client.get("/papers/2501.05551").text
    assert "Related papers" in page
    assert 'href="/papers/2501.05552"' in page


@pytest.mark.parametrize("target, shown", [
    ("/account/verify?token=abc.def-1", "/account/verify?token=***"),
    ("/account/reset?next=/x&TOKEN=abc&tok%65n=def", "/account/reset?next=/x&TOKEN=***&tok%65n=***"),
    ("/digest/unsubscribe/abc123", "/digest/unsubscribe/***"),
    ("/digest/preferences/abc123?saved=1", "/digest/preferences/***?saved=1"),
    ("/digest/preview?token=abc123", "/digest/preview?token=***"),
    ("/day/2026-01-01?sort=upvotes", "/day/2026-01-01?sort=upvotes"),
])  # fmt: skip
def test_the_access_log_shows_request_targets_without_their_tokens(target, shown):
    import logging

    from paperwire.web.app import RedactSecrets

    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", target, "1.1", 200), None)  # fmt: skip
    assert RedactSecrets().filter(record)
    assert record.getMessage() == f'127.0.0.1:5000 - "GET {shown} HTTP/1.1" 200'


def test_create_app_puts_the_redacting_filter_on_the_access_log_once(store, db_url):
    import logging

    from paperwire.web.app import RedactSecrets

    create_app(Settings(database_url=db_url), store=store)
    create_app(Settings(database_url=db_url), store=store)
    assert sum(isinstance(f, RedactSecrets) for f in logging.getLogger("uvicorn.access").filters) == 1
