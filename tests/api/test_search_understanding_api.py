"""/api/search and the HF-compatible /api/papers/search read queries as meant (issue 18), on SQLite and
PostgreSQL: recognised authors, ids and links first, exclude and sort parameters, total 0 for nonsense,
and a spelling suggestion."""
from __future__ import annotations

import pytest

from tests.api.conftest import BASE_URL
from tests.factories import fake_embeddings, load, make_record


@pytest.fixture
def papers(store):
    load(store,
         make_record(id="2404.03592", title="Retrieval augmented generation", summary="Retrieve, then generate.",
                     authors=["Christopher D. Manning"], categories=["cs.CL"], published="2026-01-10"),
         make_record(id="2404.00002", title="Retrieval of images with sketches", summary="Sketch based retrieval.",
                     authors=["Grace Hopper"], categories=["cs.CV"], published="2026-02-10"),
         make_record(id="2404.00003", title="Retrieval at scale", summary="Dense vectors.", authors=["Alan Turing"],
                     categories=["cs.IR"], published="2026-03-10"))  # fmt: skip
    return store


def found(body) -> list[str]:
    return [hit["paper"]["id"] for hit in body["results"]]


def test_search_reports_the_authors_named_in_the_query(client, papers):
    body = client.get("/api/search", params={"q": "C. D. Manning"}).json()
    assert body["authors"] == [{"key": "christopher d manning", "name": "Christopher D. Manning", "papers": 1,
                                "url": f"{BASE_URL}/authors/christopher-d-manning"}]  # fmt: skip
    assert found(body)[0] == "2404.03592"


def test_an_arxiv_link_in_q_returns_that_paper_first(client, papers):
    body = client.get("/api/search", params={"q": "https://arxiv.org/abs/2404.00003v2"}).json()
    assert (body["mode"], body["total"], found(body)) == ("id", 1, ["2404.00003"])


def test_the_hf_compatible_search_returns_the_paper_of_a_hugging_face_link_first(client, papers):
    body = client.get("/api/papers/search", params={"q": "https://huggingface.co/papers/2404.00002"}).json()
    assert body[0]["paper"]["id"] == "2404.00002"


def test_the_exclude_parameter_and_minus_in_q_leave_papers_out(client, papers):
    by_param = client.get("/api/search", params={"q": "retrieval", "exclude": ["sketch", "dense vectors"]}).json()
    assert found(by_param) == ["2404.03592"]
    assert by_param["filters"]["exclude"] == ["sketch", "dense vectors"]
    assert found(client.get("/api/search", params={"q": 'retrieval -sketch -"dense vectors"'}).json()) == ["2404.03592"]


def test_the_sort_parameter_orders_by_newest(client, papers):
    body = client.get("/api/search", params={"q": "retrieval", "sort": "newest"}).json()
    assert (body["sort"], found(body)) == ("newest", ["2404.00003", "2404.00002", "2404.03592"])


def test_an_unknown_sort_is_a_400_naming_it(client, papers):
    response = client.get("/api/search", params={"q": "retrieval", "sort": "random"})
    assert response.status_code == 400 and "sort" in response.text


def test_nonsense_has_total_zero_and_no_results(client, papers, pw):
    fake_embeddings(pw)
    body = client.get("/api/search", params={"q": "qwxzzy flurbnik"}).json()
    assert (body["total"], body["results"], body["mode"]) == (0, [], "none")


def test_a_misspelt_query_gets_a_suggestion(client, papers):
    body = client.get("/api/search", params={"q": "retreival"}).json()
    assert body["suggestion"] == "retrieval"
    assert client.get("/api/search", params={"q": "retrieval"}).json()["suggestion"] is None
