"""``/docs`` (``web.docs``): Swagger UI served from this site only — the page references no other host,
every script and stylesheet it names is served here, and the footer of every page links to it
(SQLite and PostgreSQL)."""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from paperwire.web.app import create_app


@pytest.fixture
def client(pw):
    with TestClient(create_app(pw=pw)) as c:
        yield c


def _references(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


def test_the_api_docs_reference_no_external_host(client):
    page = client.get("/docs")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert _references(page.text)
    assert not re.search(r"(?:https?:)?//[\w.-]+", re.sub(r'(?:src|href)="/[^/][^"]*"', "", page.text)), page.text


def test_every_asset_of_the_api_docs_is_served_locally(client):
    assets = [ref for ref in _references(client.get("/docs").text) if ref.startswith("/static/")]
    assert any("swagger-ui-bundle" in a for a in assets) and any("swagger-ui.css" in a for a in assets)
    assert all(client.get(a).status_code == 200 for a in assets)


def test_the_swagger_ui_bundle_names_no_source_map_to_fetch(client):
    bundle = next(a for a in _references(client.get("/docs").text) if "swagger-ui-bundle" in a)
    assert "sourceMappingURL" not in client.get(bundle).text[-500:]


def test_the_footer_links_to_the_api_docs(client):
    assert '<a href="/docs">API docs</a>' in client.get("/trending").text
