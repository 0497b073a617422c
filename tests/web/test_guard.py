"""The guard in front of every route (``web.guard``) and the app's HTTP contract (``api.contract``),
on one SQLite app: body caps (413) before the body is read while /healthz keeps answering, multipart
only where a file is taken (415, nothing spooled), the bounded author slug and name cache, the
security headers and CSP, the 405's ``Allow`` and the error statuses of the OpenAPI document. What
touches the database per account is in ``tests/accounts/test_hardening.py`` (SQLite and PostgreSQL)."""
from __future__ import annotations

import re
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from paperwire.api.contract import flat_routes
from paperwire.keys import _cached_name_key
from paperwire.settings import Settings
from paperwire.web.app import create_app
from paperwire.web.guard import MAX_BODY
from tests.browsing import HTML
from tests.conftest import free_port

TEN_MB = b"x" * (10 * 1024 * 1024)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("guard")
    return create_app(Settings(database_url=f"sqlite:///{folder / 'paperwire.db'}", data_dir=folder,
                               secret_key="test-secret-key"))  # fmt: skip


@pytest.fixture
def client(app):
    with TestClient(app, headers=HTML) as c:
        yield c


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


def healthz_times(base: str, busy: threading.Event) -> list[float]:
    """Seconds each /healthz took, asked every 50 ms while ``busy`` is set."""
    times = []
    with httpx.Client(timeout=10) as c:
        while busy.is_set() or not times:
            start = time.monotonic()
            assert c.get(f"{base}/healthz").status_code == 200
            times.append(time.monotonic() - start)
            time.sleep(0.05)
    return times


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
        times = healthz_times(base, busy)
        thread.join()
    assert statuses and set(statuses) <= {413, "closed"}, statuses
    assert max(times) < 1.0, times



# -- item 3: multipart only on file routes ----------------------------------------------------------
def test_multipart_to_the_log_in_form_is_refused_with_415_and_nothing_is_spooled_to_disk(client, tmp_path, monkeypatch):
    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    response = client.post("/account/login", data={"email": "a@example.org"},
                           files={"upload": ("big.bin", b"x" * (3 * 1024 * 1024))})  # fmt: skip
    assert response.status_code == 415
    assert list(spool.iterdir()) == []


def test_a_one_click_unsubscribe_may_be_multipart_as_rfc_8058_allows(client):
    response = client.post("/digest/unsubscribe/not-a-token", files={"List-Unsubscribe": (None, "One-Click")})
    assert response.status_code == 400 and "link" in response.text  # the token's answer, not a 415


# -- item 5: the author slug and the name cache -----------------------------------------------------------
def test_an_over_long_author_slug_is_a_404_and_does_not_grow_the_name_cache(client):
    before = _cached_name_key.cache_info().currsize
    for n in range(5):
        assert client.get(f"/authors/{'a' * 60000}{n}").status_code == 400  # longer than any path
        assert client.get(f"/authors/{'b' * 1000}{n}").status_code == 404  # longer than any slug
    assert _cached_name_key.cache_info().currsize == before


# -- headers -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/", "/api/daily_papers", "/static/style.css", "/healthz", "/no/such/page",
                                  "/openapi.json", "/papers/2601.00001.md", "/docs"])  # fmt: skip
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
    for method in response.headers["allow"].split(", "):  # each method it names is answered, not a 405
        assert client.request(method, "/api/me/follows", headers={"Accept": "application/json"}).status_code != 405
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
