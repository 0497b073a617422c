"""paperwire's own search API (SQLite and PostgreSQL): /api/search with filters, pages and snippets,
/api/papers/{id}/similar and POST /api/similar; bad input is a 4xx JSON message, never a 500."""
from __future__ import annotations

import pytest

from tests.factories import fake_embeddings, load, make_record


@pytest.fixture
def papers(store):
    records = [
        make_record(id="2601.00001", title="Denoising diffusion models", summary="Image generators trained by denoising.",
                    categories=["cs.CV"], published="2026-01-10", authors=["Ada Lovelace"]),
        make_record(id="2601.00002", title="Diffusion for text", summary="Language generation with diffusion.",
                    categories=["cs.CL"], published="2026-02-10", organization={"name": "acme", "fullname": "ACME"}),
        make_record(id="2601.00003", title="Graph neural networks", summary="Message passing.", categories=["cs.LG"],
                    published="2026-03-10"),
    ]  # fmt: skip
    load(store, *records)
    return store


@pytest.fixture
def embedded(papers, pw):
    fake_embeddings(pw)
    return papers


def test_search_returns_papers_in_the_paper_shape_with_snippets(client, papers):
    body = client.get("/api/search", params={"q": "diffusion"}).json()
    assert body["mode"] == "keyword" and body["total"] == 2
    hit = body["results"][0]  # diffusion in its title and its abstract
    assert hit["paper"]["id"] == "2601.00002" and hit["paper"]["title"] == "Diffusion for text"
    assert {"text": "diffusion", "match": True} in hit["snippet"]


def test_filter_parameters_restrict_the_results(client, papers):
    body = client.get("/api/search", params={"q": "diffusion", "category": "cs.CL"}).json()
    assert [h["paper"]["id"] for h in body["results"]] == ["2601.00002"]
    assert body["filters"]["categories"] == ["cs.CL"]


def test_filters_typed_in_q_and_date_parameters_combine(client, papers):
    body = client.get("/api/search", params={"q": "org:acme diffusion", "after": "2026-02"}).json()
    assert [h["paper"]["id"] for h in body["results"]] == ["2601.00002"]


def test_offset_and_limit_page_through_results(client, papers):
    first = client.get("/api/search", params={"q": "diffusion", "limit": 1}).json()
    second = client.get("/api/search", params={"q": "diffusion", "limit": 1, "offset": 1}).json()
    assert first["results"][0]["paper"]["id"] != second["results"][0]["paper"]["id"]
    assert first["total"] == second["total"] == 2


@pytest.mark.parametrize("q", ["", "x" * 10_000, '"', "(", "*", "-", "NEAR", "AND", "a AND (b OR", "变压器 🤖",
                               "zzzqqq", "colour:red"])  # fmt: skip
def test_odd_queries_give_200_and_a_list(client, papers, q):
    response = client.get("/api/search", params={"q": q})
    assert response.status_code == 200 and isinstance(response.json()["results"], list)


@pytest.mark.parametrize("params, name", [({"q": "x" * 10_001}, "q"), ({"after": "2026-13-01"}, "after"),
                                          ({"q": "before:someday"}, "before"), ({"category": "not a category"}, "category"),
                                          ({"limit": 0}, "limit"), ({"offset": -1}, "offset"), ({"mode": "magic"}, "mode"),
                                          ({"q": "a\x00b"}, "q")])  # fmt: skip
def test_bad_parameters_are_a_400_naming_them(client, papers, params, name):
    response = client.get("/api/search", params=params)
    assert response.status_code == 400 and name in response.json()["detail"]


def test_similar_returns_other_papers_in_the_paper_shape(client, embedded):
    response = client.get("/api/papers/2601.00001/similar", params={"limit": 5})
    assert response.status_code == 200
    body = response.json()
    assert "2601.00001" not in [p["id"] for p in body] and len(body) == 2
    assert {"id", "title", "summary", "authors", "publishedAt", "upvotes"} <= set(body[0])


def test_similar_accepts_a_versioned_id(client, embedded):
    assert client.get("/api/papers/2601.00001v3/similar").status_code == 200


def test_similar_to_an_unknown_paper_is_a_404(client, papers):
    response = client.get("/api/papers/2699.99999/similar")
    assert response.status_code == 404 and "2699.99999" in response.json()["detail"]


def test_more_like_these_excludes_the_given_papers(client, embedded):
    response = client.post("/api/similar", json={"ids": ["2601.00001", "2601.00002"], "limit": 5})
    assert [p["id"] for p in response.json()] == ["2601.00003"]


@pytest.mark.parametrize("body, status", [({"ids": []}, 400), ({"ids": ["nope"]}, 404), ({"ids": "x"}, 400),
                                          ({"ids": ["2601.00001"], "limit": 1000}, 400), ("garbage", 400)])  # fmt: skip
def test_bad_more_like_these_requests_are_4xx(client, papers, body, status):
    response = client.post("/api/similar", json=body) if body != "garbage" else client.post("/api/similar", content=b"{")
    assert response.status_code == status and response.json()["detail"]


def test_the_search_routes_are_documented(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert paths["/api/search"]["get"]["summary"] and paths["/api/similar"]["post"]["summary"]
    assert paths["/api/papers/{paper_id}/similar"]["get"]["summary"]
