"""The HTTP layer's one answer to an error: ``wants_html`` decides between a page and the one JSON
error body, and the app's one handler of ``Refusal`` gives the log-in redirect, the 429 page or
``error.html`` to browsers and ``{"detail", "error"}`` to everyone else."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request

from paperwire.api.errors import wants_html
from paperwire.web.app import create_app


def _request(path: str, **headers: str) -> Request:
    raw = [(k.replace("_", "-").lower().encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "method": "GET", "path": path, "query_string": b"", "headers": raw})


@pytest.mark.parametrize(("path", "headers", "html"), [
    ("/account", {"accept": "text/html,application/xhtml+xml"}, True),
    ("/account", {"hx_request": "true"}, True),
    ("/account", {"accept": "application/json"}, False),
    ("/account", {}, False),
    ("/api/me", {"accept": "text/html"}, False),  # the API always answers JSON
])  # fmt: skip
def test_wants_html(path, headers, html):
    assert wants_html(_request(path, **headers)) is html


@pytest.fixture
def client(pw):
    with TestClient(create_app(pw=pw)) as c:
        yield c


def test_not_signed_in_is_the_log_in_page_for_a_browser_and_a_401_body_otherwise(client):
    page = client.get("/collections", headers={"accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/account/login?next=%2Fcollections&reason=save"
    body = client.get("/collections", headers={"accept": "application/json"})
    assert body.status_code == 401 and body.json() == {"detail": "log in first", "error": "log in first"}


def test_a_refusal_is_the_error_page_for_a_browser_and_the_json_body_otherwise(client):
    page = client.get("/collections/12345", headers={"accept": "text/html"})
    assert page.status_code == 404 and "no such collection" in page.text and page.headers["content-type"].startswith("text/html")
    body = client.get("/collections/12345")
    assert body.status_code == 404 and body.json() == {"detail": "no such collection", "error": "no such collection"}


def test_an_api_token_refusal_names_the_scheme(client):
    response = client.get("/api/me", headers={"accept": "text/html"})
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"] == "unauthorized"


def test_page_errors_share_the_json_error_body(client):
    response = client.get("/day/2026-13-45")
    assert response.status_code in (400, 404) and set(response.json()) == {"detail", "error"}
