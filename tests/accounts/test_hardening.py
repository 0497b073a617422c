"""Issue #20's hostile inputs, each refused with a clear 4xx and never a 500, on SQLite and PostgreSQL:
body caps (413) before the body is read, multipart only where a file is taken (415), NUL bytes,
lone surrogates, ids beyond int64 and dates beyond what can be computed at the one input boundary,
BibTeX imports off the event loop with shape caps and a rate limit, the bounded author-name cache,
Markdown escaping, the security headers, and the error statuses the OpenAPI document lists."""
from __future__ import annotations

import re
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from paperwire.api.contract import flat_routes
from paperwire.keys import _cached_name_key
from paperwire.services.ratelimit import RateLimiter
from paperwire.store import accounts as db
from paperwire.web.guard import MAX_BODY
from tests.browsing import HTML, csrf, post, signup
from tests.conftest import free_port
from tests.factories import api_token, bearer, collection, ingest, make_record, paper

TEN_MB = b"x" * (10 * 1024 * 1024)
HOSTILE_BIBTEX = "@a{" * 660000  # 14 s of parsing on the event loop before the fix


def _write_routes(app) -> list[tuple[str, str]]:
    """(method, a concrete path) of every POST/PUT/PATCH/DELETE route of the app."""
    found = []
    for route in flat_routes(app):
        for method in sorted(getattr(route, "methods", None) or ()):
            if method in ("POST", "PUT", "PATCH", "DELETE"):
                found.append((method, re.sub(r"\{[^}]+\}", "1", route.path)))
    return found


@contextmanager
def served(app):
    """The app behind a real uvicorn server in a thread; yields its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def _healthz_times(base: str, busy: threading.Event) -> list[float]:
    times = []
    with httpx.Client(timeout=10) as c:
        while busy.is_set() or not times:
            start = time.monotonic()
            assert c.get(f"{base}/healthz").status_code == 200
            times.append(time.monotonic() - start)
            time.sleep(0.05)
    return times


def _signed_in(client, email: str):
    signup(client, email)
    return client


# -- item 2: body caps -----------------------------------------------------------------------------------
def test_a_10_mb_body_to_every_write_route_is_refused_with_413_before_it_is_read(app, client):
    routes = _write_routes(app)
    assert len(routes) > 30 and ("POST", "/digest") in routes and ("PUT", "/api/me/interests") in routes
    for method, path in routes:
        response = client.request(method, path, content=TEN_MB, headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert response.status_code == 413, (method, path, response.status_code)


def test_a_chunked_body_over_the_cap_is_refused_with_413(client):
    def chunks():  # no Content-Length: the cap is applied while the body streams in
        for _ in range(100):
            yield b"email=" + b"a" * 65536

    response = client.post("/digest", content=chunks(), headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413 and "too large" in response.text


def test_healthz_answers_within_a_second_while_10_mb_bodies_are_refused(app):
    with served(app) as base:
        busy = threading.Event()
        busy.set()
        statuses = []

        def flood():
            with httpx.Client(timeout=30) as c:
                for path in ("/digest", "/digest/unsubscribe/x", "/digest/preferences/x", "/account/login") * 2:
                    def body():
                        for _ in range(160):
                            yield TEN_MB[:65536]
                    try:
                        statuses.append(c.post(base + path, content=body()).status_code)
                    except httpx.TransportError:
                        statuses.append("closed")  # the server answered 413 and closed before the rest was sent
            busy.clear()

        thread = threading.Thread(target=flood)
        thread.start()
        times = _healthz_times(base, busy)
        thread.join()
    assert statuses and set(statuses) <= {413, "closed"}, statuses
    assert max(times) < 1.0, times


# -- item 3: multipart only on file routes --------------------------------------------------------------
def test_multipart_to_the_log_in_form_is_refused_with_415_and_nothing_is_spooled_to_disk(client, tmp_path, monkeypatch):
    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    response = client.post("/account/login", data={"email": "a@example.org"},
                           files={"upload": ("big.bin", b"x" * (3 * 1024 * 1024))})  # fmt: skip
    assert response.status_code == 415
    assert list(spool.iterdir()) == []


def test_a_file_route_still_takes_a_multipart_file(client, store):
    p = paper(store, published="2026-01-14")
    _signed_in(client, "files@example.org")
    user = db.user_by_email(store, "files@example.org")
    coll = collection(store, user, "Imports")
    response = post(client, f"/collections/{coll.pk}/import", files={"file": ("refs.bib", f"@misc{{k, eprint={{{p.id}}}}}".encode())})
    assert response.status_code == 200 and db.collection_paper_ids(store, coll.pk) == [p.id]


# -- item 1: BibTeX off the loop, shape caps, rate limit --------------------------------------------------
def test_a_hostile_bibtex_import_is_refused_quickly_while_healthz_answers(app, store):
    with served(app) as base, httpx.Client(base_url=base, headers=HTML, timeout=30) as c:
        _signed_in(c, "bibtex@example.org")
        coll = collection(store, db.user_by_email(store, "bibtex@example.org"), "Hostile")
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
        times = _healthz_times(base, busy)
        thread.join()
    assert answer["response"].status_code == 400 and "too many BibTeX entries" in answer["response"].text
    assert answer["seconds"] < 3.0 and max(times) < 1.0, (answer["seconds"], times)


def test_hostile_bibtex_in_the_interests_api_is_refused_quickly(client, store):
    _signed_in(client, "api-bib@example.org")
    user = db.user_by_email(store, "api-bib@example.org")
    headers = bearer(api_token(store, user))
    huge = client.put("/api/me/interests", json={"interests": "x", "papers": ["@a{" * 1000000]}, headers=headers)
    assert huge.status_code == 413
    start = time.monotonic()
    shaped = client.put("/api/me/interests", json={"interests": "x", "papers": ["@a{"] * 25000}, headers=headers)
    assert shaped.status_code == 400 and "BibTeX" in shaped.json()["detail"]
    assert time.monotonic() - start < 2.0


def test_imports_are_rate_limited_per_user(app, client, store):
    app.state.rate_limiter = RateLimiter(rules={"import": "1/minute"})
    p = paper(store, published="2026-01-14")
    _signed_in(client, "importer@example.org")
    coll = collection(store, db.user_by_email(store, "importer@example.org"), "Mine")
    assert post(client, f"/collections/{coll.pk}/import", {"ids": p.id}).status_code == 200
    second = post(client, f"/collections/{coll.pk}/import", {"ids": p.id})
    assert second.status_code == 429 and int(second.headers["Retry-After"]) > 0


# -- item 5: the author slug and the name cache -----------------------------------------------------------
def test_an_over_long_author_slug_is_a_404_and_does_not_grow_the_name_cache(client):
    before = _cached_name_key.cache_info().currsize
    for n in range(5):
        assert client.get(f"/authors/{'a' * 60000}{n}").status_code == 400  # longer than any path
        assert client.get(f"/authors/{'b' * 1000}{n}").status_code == 404  # longer than any slug
    assert _cached_name_key.cache_info().currsize == before


# -- items 6 and 7: the input boundary ---------------------------------------------------------------------
NUL_EMAIL = "a\x00b@example.com"


@pytest.mark.parametrize("path", ["/account/login", "/account/signup", "/account/forgot"])
def test_a_nul_in_an_email_before_log_in_is_a_400(client, path):
    response = post(client, path, {"email": NUL_EMAIL, "password": "correct horse battery"}, from_page="/account/login")
    assert response.status_code == 400 and "NUL" in response.text


@pytest.mark.parametrize("path,data", [
    ("/account/profile", {"display_name": "A\x00da"}),
    ("/account/tokens", {"name": "t\x00k"}),
    ("/collections", {"name": "c\x00"}),
    ("/follow", {"kind": "author", "target": "ada\x00lovelace"}),
    ("/for-you/start", {"interests": "nlp\x00", "liked": ""}),
    ("/comments", {"paper": "2601.00001", "body": "hi\x00"}),
])  # fmt: skip
def test_a_nul_in_a_signed_in_form_field_is_a_400(client, path, data):
    _signed_in(client, "nul-form@example.org")
    response = post(client, path, data)
    assert response.status_code == 400 and "NUL" in response.text


def test_a_nul_in_an_import_is_a_400_as_a_field_and_as_a_file(client, store):
    _signed_in(client, "nul-import@example.org")
    coll = collection(store, db.user_by_email(store, "nul-import@example.org"), "Nul")
    assert post(client, f"/collections/{coll.pk}/import", {"ids": "2601.00001\x00"}).status_code == 400
    as_file = post(client, f"/collections/{coll.pk}/import", files={"file": ("x.bib", b"@misc{k, eprint={2601.0\x00}}")})
    assert as_file.status_code == 400 and "NUL" in as_file.text


@pytest.mark.parametrize("bad", ["a\x00b", "\ud800"])
@pytest.mark.parametrize("method,path,body", [
    ("POST", "/api/me/collections", lambda s: {"name": s}),
    ("PUT", "/api/me/follows", lambda s: {"kind": "author", "target": s}),
    ("DELETE", "/api/me/follows", lambda s: {"kind": "author", "target": s}),
    ("PUT", "/api/me/interests", lambda s: {"interests": s, "papers": []}),
    ("PUT", "/api/me/interests", lambda s: {"interests": "x", "papers": [s]}),
])  # fmt: skip
def test_a_nul_or_a_lone_surrogate_in_an_api_body_is_a_400(client, store, bad, method, path, body):
    _signed_in(client, "api-text@example.org")
    headers = {**bearer(api_token(store, db.user_by_email(store, "api-text@example.org"))), "Accept": "application/json",
               "Content-Type": "application/json"}  # fmt: skip
    import json

    response = client.request(method, path, content=json.dumps(body(bad)), headers=headers)  # \ud800 as an escape
    assert response.status_code == 400, response.text
    assert set(response.json()) == {"detail", "error"}


def test_a_nul_in_an_api_path_is_a_400(client, store):
    _signed_in(client, "api-path@example.org")
    user = db.user_by_email(store, "api-path@example.org")
    coll = collection(store, user, "Path")
    response = client.put(f"/api/me/collections/{coll.pk}/papers/2601.0%00", headers=bearer(api_token(store, user)))
    assert response.status_code == 400 and response.json()["detail"].startswith("the path")


@pytest.mark.parametrize("path", ["/collections/%C2%B3", "/collections/%C2%B3.bib", "/collections/99999999999999999999"])
def test_a_collection_id_that_is_not_ascii_digits_or_beyond_int64_is_a_404(client, path):
    assert client.get(path).status_code == 404


def test_the_api_collection_of_a_unicode_digit_is_a_404(client, store):
    _signed_in(client, "sup@example.org")
    headers = bearer(api_token(store, db.user_by_email(store, "sup@example.org")))
    assert client.get("/api/me/collections/³", headers=headers).status_code == 404
    assert client.get(f"/api/me/collections/{2**64}", headers=headers).status_code == 404


@pytest.mark.parametrize("path", [f"/collections/{2**64}/edit", f"/account/tokens/{2**64}/revoke",
                                  f"/comments/{2**64}/delete", f"/collections/{2**63}/delete"])  # fmt: skip
def test_a_path_id_beyond_int64_is_a_400(client, path):
    _signed_in(client, "big-id@example.org")
    response = post(client, path, {"name": "x"})
    assert response.status_code == 400 and "whole number" in response.text


def test_a_collect_form_id_beyond_int64_is_a_404(client, store):
    p = paper(store, published="2026-01-14")
    _signed_in(client, "big-collect@example.org")
    for value in (str(2**64), "³", "-1"):
        assert post(client, "/collect", {"paper": p.id, "collection": value}).status_code == 404, value


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_a_digest_preview_date_out_of_range_is_a_400_page(client, day):
    response = client.get(f"/digest/preview?date={day}")
    assert response.status_code == 400 and "between 1990-01-01 and 2100-12-31" in response.text


def test_a_recommendations_date_out_of_range_is_a_400(client, store):
    _signed_in(client, "since@example.org")
    headers = bearer(api_token(store, db.user_by_email(store, "since@example.org")))
    for query in ("since=9999-12-01", "until=0001-01-01", "since=2026-02-30"):
        response = client.get(f"/api/me/recommendations?{query}", headers=headers)
        assert response.status_code == 400 and query.split("=")[0] in response.json()["detail"], query


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_the_digest_command_refuses_a_date_out_of_range_without_a_traceback(db_url, day):
    from paperwire.cli.main import app as cli

    result = CliRunner().invoke(cli, ["digest", "preview", "--date", day, "--database-url", db_url],
                                env={"PAPERWIRE_SMTP_URL": None, "PAPERWIRE_REDIS_URL": None})  # fmt: skip
    assert result.exit_code == 2 and "between 1990-01-01 and 2100-12-31" in result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, (OverflowError, ValueError))


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


# -- headers -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/", "/api/daily_papers", "/static/style.css", "/healthz", "/no/such/page",
                                  "/openapi.json", "/papers/2601.00001.md"])  # fmt: skip
def test_every_answer_has_the_security_headers(client, path):
    response = client.get(path)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_pages_allow_scripts_and_styles_from_the_site_only(client):
    csp = client.get("/account/login").headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["default-src"] == "'self'" and directives["object-src"] == "'none'"


def test_no_template_has_an_inline_script_style_or_event_handler():
    templates = Path(__file__).resolve().parents[2] / "src" / "paperwire" / "web" / "templates"
    for file in templates.glob("*.html"):
        text = file.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), file.name
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=|javascript:", text), file.name


def test_errors_raised_before_a_route_carry_the_headers_too(client):
    response = client.post("/account/login", content=TEN_MB)
    assert response.status_code == 413 and response.headers["x-content-type-options"] == "nosniff"


# -- API contract ---------------------------------------------------------------------------------------------
def test_a_wrong_method_is_a_405_whose_allow_lists_every_method_of_the_address(client):
    response = client.patch("/api/me/follows", headers={"Accept": "application/json"})
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, GET, HEAD, PUT"
    assert response.json() == {"detail": "method not allowed", "error": "method not allowed"}


def test_a_body_larger_than_the_cap_is_refused_but_one_at_the_cap_is_read(client):
    assert client.post("/api/similar", content=b" " * (MAX_BODY + 1)).status_code == 413
    assert client.post("/api/similar", content=b" " * MAX_BODY).status_code == 400


def test_the_openapi_document_lists_every_error_status_with_the_one_error_body(client):
    schema = client.get("/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method, op in operations.items():
            statuses = set(op["responses"])
            assert {"400", "404", "405", "413", "415", "429"} <= statuses, (method, path)
            assert "422" not in statuses, (method, path)
            assert op["responses"]["413"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}
            if path.startswith("/api/me"):
                assert "401" in statuses and op["security"] == [{"bearer": []}], (method, path)
    assert "HTTPValidationError" not in schema["components"]["schemas"]
