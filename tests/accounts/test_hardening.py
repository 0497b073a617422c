"""Issue #20's hostile inputs that reach accounts and the database, each refused with a clear 4xx and
never a 500, on SQLite and PostgreSQL: NUL bytes, lone surrogates, ids beyond int64 or not ASCII
digits and dates beyond what can be computed (the one input boundary, ``api.inputs`` and
``web.guard``), BibTeX imports off the event loop with shape caps and a rate limit, a file route
that still takes its file, and Markdown escaping. Body caps, multipart, headers and the OpenAPI
contract are in ``tests/web/test_guard.py``."""
from __future__ import annotations

import json
import threading
import time

import httpx
import pytest
from typer.testing import CliRunner

from paperwire.services.ratelimit import RateLimiter
from paperwire.store import accounts as db
from tests.browsing import HTML, csrf, post, signup
from tests.factories import api_token, bearer, collection, ingest, make_record, paper
from tests.web.test_guard import healthz_times, served

HOSTILE_BIBTEX = "@a{" * 660000  # 14 s of parsing on the event loop before the fix
NUL_EMAIL = "a\x00b@example.com"


def _user(client, store, email: str):
    signup(client, email)
    return db.user_by_email(store, email)


# -- item 1: BibTeX off the loop, shape caps, rate limit --------------------------------------------------
def test_a_hostile_bibtex_import_is_refused_quickly_while_healthz_answers(app, store):
    with served(app) as base, httpx.Client(base_url=base, headers=HTML, timeout=30) as c:
        coll = collection(store, _user(c, store, "bibtex@example.org"), "Hostile")
        token = csrf(c, "/account")
        busy = threading.Event()
        busy.set()
        answer = {}

        def hostile():
            start = time.monotonic()
            answer["response"] = c.post(f"/collections/{coll.pk}/import", data={"csrf": token},
                                        files={"file": ("x.bib", HOSTILE_BIBTEX.encode())})  # fmt: skip
            answer["seconds"] = time.monotonic() - start
            busy.clear()

        thread = threading.Thread(target=hostile)
        thread.start()
        times = healthz_times(base, busy)
        thread.join()
    assert answer["response"].status_code == 400 and "too many BibTeX entries" in answer["response"].text
    assert answer["seconds"] < 3.0 and max(times) < 1.0, (answer["seconds"], times)


def test_hostile_bibtex_in_the_interests_api_is_refused_quickly(client, store):
    headers = bearer(api_token(store, _user(client, store, "api-bib@example.org")))
    huge = client.put("/api/me/interests", json={"interests": "x", "papers": ["@a{" * 1000000]}, headers=headers)
    assert huge.status_code == 413
    start = time.monotonic()
    shaped = client.put("/api/me/interests", json={"interests": "x", "papers": ["@a{"] * 25000}, headers=headers)
    assert shaped.status_code == 400 and "BibTeX" in shaped.json()["detail"]
    assert time.monotonic() - start < 2.0


def test_imports_are_rate_limited_per_user(app, client, store):
    app.state.rate_limiter = RateLimiter(rules={"import": "1/minute"})
    p = paper(store, published="2026-01-14")
    coll = collection(store, _user(client, store, "importer@example.org"), "Mine")
    assert post(client, f"/collections/{coll.pk}/import", {"ids": p.id}).status_code == 200
    second = post(client, f"/collections/{coll.pk}/import", {"ids": p.id})
    assert second.status_code == 429 and int(second.headers["Retry-After"]) > 0


# -- item 3: the one route that takes a file still does -------------------------------------------------------
def test_a_file_route_still_takes_a_multipart_file(client, store):
    p = paper(store, published="2026-01-14")
    coll = collection(store, _user(client, store, "files@example.org"), "Imports")
    response = post(client, f"/collections/{coll.pk}/import", files={"file": ("refs.bib", f"@misc{{k, eprint={{{p.id}}}}}".encode())})
    assert response.status_code == 200 and db.collection_paper_ids(store, coll.pk) == [p.id]


# -- item 6: NUL bytes (PostgreSQL refused them with a 500) -----------------------------------------------
def test_a_nul_in_an_email_before_log_in_is_a_400(client):
    for path in ("/account/login", "/account/signup", "/account/forgot"):
        response = post(client, path, {"email": NUL_EMAIL, "password": "correct horse battery"}, from_page="/account/login")
        assert response.status_code == 400 and "NUL" in response.text, path


def test_a_nul_in_a_signed_in_form_field_is_a_400(client, store):
    coll = collection(store, _user(client, store, "nul-form@example.org"), "Nul")
    for path, data in [
        ("/account/profile", {"display_name": "A\x00da"}),
        ("/account/tokens", {"name": "t\x00k"}),
        ("/collections", {"name": "c\x00"}),
        (f"/collections/{coll.pk}/edit", {"name": "c\x00"}),
        ("/follow", {"kind": "author", "target": "ada\x00lovelace"}),
        ("/for-you/start", {"interests": "nlp\x00", "liked": ""}),
        ("/comments", {"paper": "2601.00001", "body": "hi\x00"}),
        (f"/collections/{coll.pk}/import", {"ids": "2601.00001\x00"}),
    ]:  # fmt: skip
        response = post(client, path, data)
        assert response.status_code == 400 and "NUL" in response.text, path
    as_file = post(client, f"/collections/{coll.pk}/import", files={"file": ("x.bib", b"@misc{k, eprint={2601.0\x00}}")})
    assert as_file.status_code == 400 and "NUL" in as_file.text


def test_a_nul_or_a_lone_surrogate_in_an_api_body_or_path_is_a_400(client, store):
    user = _user(client, store, "api-text@example.org")
    coll = collection(store, user, "Api")
    headers = {**bearer(api_token(store, user)), "Accept": "application/json", "Content-Type": "application/json"}
    for bad in ("a\x00b", "\ud800"):
        for method, path, body in [
            ("POST", "/api/me/collections", {"name": bad}),
            ("PUT", "/api/me/follows", {"kind": "author", "target": bad}),
            ("DELETE", "/api/me/follows", {"kind": "author", "target": bad}),
            ("PUT", "/api/me/interests", {"interests": bad, "papers": []}),
            ("PUT", "/api/me/interests", {"interests": "x", "papers": [bad]}),
            ("PUT", f"/api/me/ratings/2601.00001", {"value": 1, bad: 1}),
        ]:  # fmt: skip
            response = client.request(method, path, content=json.dumps(body), headers=headers)  # \ud800 as an escape
            assert response.status_code == 400, (method, path, bad, response.text)
            assert set(response.json()) == {"detail", "error"}
    in_path = client.put(f"/api/me/collections/{coll.pk}/papers/2601.0%00", headers=headers)
    assert in_path.status_code == 400 and in_path.json()["detail"].startswith("the path")
    assert db.user_collections(store, user.pk) == [coll]


# -- item 7: ids and dates ---------------------------------------------------------------------------------
def test_a_collection_id_that_is_not_ascii_digits_or_beyond_int64_is_a_404(client, store):
    for path in ("/collections/%C2%B3", "/collections/%C2%B3.bib", f"/collections/{2**64}", f"/collections/{2**63}.json"):
        assert client.get(path).status_code == 404, path
    headers = bearer(api_token(store, _user(client, store, "sup@example.org")))
    for path in ("/api/me/collections/³", f"/api/me/collections/{2**64}", "/api/me/collections/%C2%B3/papers/2601.00001"):
        assert client.get(path, headers=headers).status_code in (404, 405), path
    assert client.put("/api/me/collections/³/papers/2601.00001", headers=headers).status_code == 404


def test_a_path_id_beyond_int64_is_a_400(client, store):
    _user(client, store, "big-id@example.org")
    for path in (f"/collections/{2**64}/edit", f"/account/tokens/{2**64}/revoke", f"/comments/{2**64}/delete",
                 f"/collections/{2**63}/delete", f"/collections/{2**63}/import"):  # fmt: skip
        response = post(client, path, {"name": "x"})
        assert response.status_code == 400 and "whole number" in response.text, path


def test_a_collect_form_id_beyond_int64_or_not_ascii_digits_is_a_404(client, store):
    p = paper(store, published="2026-01-14")
    _user(client, store, "big-collect@example.org")
    for value in (str(2**64), str(2**63), "³", "-1", "1e3"):
        assert post(client, "/collect", {"paper": p.id, "collection": value}).status_code == 404, value


def test_a_date_out_of_range_is_a_400_on_the_digest_preview_and_the_recommendations(client, store):
    for day in ("9999-12-31", "0001-01-01"):
        response = client.get(f"/digest/preview?date={day}")
        assert response.status_code == 400 and "between 1990-01-01 and 2100-12-31" in response.text, day
    headers = bearer(api_token(store, _user(client, store, "since@example.org")))
    for query in ("since=9999-12-01", "until=0001-01-01", "since=2026-02-30"):
        response = client.get(f"/api/me/recommendations?{query}", headers=headers)
        assert response.status_code == 400 and query.split("=")[0] in response.json()["detail"], query


def test_the_digest_command_refuses_a_date_out_of_range_without_a_traceback(db_url):
    from paperwire.cli.main import app as cli

    for day in ("9999-12-31", "0001-01-01"):
        result = CliRunner().invoke(cli, ["digest", "preview", "--date", day, "--database-url", db_url],
                                    env={"PAPERWIRE_SMTP_URL": None, "PAPERWIRE_REDIS_URL": None})  # fmt: skip
        assert result.exit_code == 2 and "between 1990-01-01 and 2100-12-31" in result.output, result.output
        assert "Traceback" not in result.output


def test_a_nul_in_a_query_parameter_is_a_400_page_for_a_browser(client):
    response = client.get("/search?q=a%00b")
    assert response.status_code == 400 and "text/html" in response.headers["content-type"]


# -- item 13: Markdown -------------------------------------------------------------------------------------
def test_markdown_links_and_images_in_a_title_are_escaped_in_the_md(client, store):
    title = "[x](javascript:alert(1)) ![img](https://evil.example/t.png)"
    ingest(store, [make_record(id="2601.09999", title=title, summary="See [here](javascript:x) and <https://e.x>")])
    text = client.get("/papers/2601.09999.md").text
    assert "[x](" not in text and "![img](" not in text and "[here](" not in text and "<https://e.x>" not in text
    assert "# &#91;x&#93;(javascript:alert(1)) !&#91;img&#93;(https://evil.example/t.png)" in text
