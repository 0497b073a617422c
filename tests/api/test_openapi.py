"""The OpenAPI schema documents the Hugging Face–compatible routes and the feeds: summaries, tags,
typed query parameters and the error responses."""
from __future__ import annotations

import pytest


@pytest.fixture
def schema(client):
    return client.get("/openapi.json").json()


def test_daily_papers_is_documented_with_typed_parameters(schema):
    op = schema["paths"]["/api/daily_papers"]["get"]
    assert op["summary"] and op["tags"] == ["Hugging Face–compatible papers API"]
    params = {p["name"]: p["schema"] for p in op["parameters"]}
    assert set(params) == {"date", "week", "month", "sort", "limit", "p", "submitter", "list"}
    assert params["sort"]["enum"] == ["publishedAt", "trending"]
    assert params["list"]["enum"] == ["daily", "new"]
    assert (params["limit"]["minimum"], params["limit"]["maximum"], params["limit"]["default"]) == (1, 100, 50)
    assert params["p"]["minimum"] == 0
    assert "400" in op["responses"]


@pytest.mark.parametrize("path", ["/api/papers/search", "/api/papers/{paper_id}", "/papers/{paper_id}.md",
                                  "/feeds/daily.{fmt}", "/feeds/category/{category}.{fmt}",
                                  "/feeds/author/{author_key}.{fmt}", "/feeds/search.{fmt}"])  # fmt: skip
def test_each_route_has_a_summary_and_a_tag(schema, path):
    op = schema["paths"][path]["get"]
    assert op["summary"] and op["tags"]


def test_the_interactive_docs_are_served(client):
    assert client.get("/docs").status_code == 200
