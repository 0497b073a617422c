"""A saved search (a followed query) runs the search the search page and /api/search run: the
Following feed and the digest's "following" section list the papers /api/search returns for it, typed
filters included, with and without embeddings (SQLite and PostgreSQL)."""
from __future__ import annotations

import pytest

from paperwire.index import embeddings
from paperwire.index.embedder import FakeEmbedder
from paperwire.ingest import ingest_items
from paperwire.services.community import following_papers
from paperwire.store import accounts as db
from tests.factories import make_record

QUERIES = ["diffusion", "diffusion category:cs.CL", '"graph neural" message', "diffus*", "the of"]


@pytest.fixture
def papers(store):
    records = [
        make_record(id="2601.00001", title="Denoising diffusion models", summary="Image generators trained by denoising.",
                    categories=["cs.CV"], published="2026-01-10"),
        make_record(id="2601.00002", title="Diffusion for text", summary="Language generation with diffusion.",
                    categories=["cs.CL"], published="2026-02-10"),
        make_record(id="2601.00003", title="Graph neural networks", summary="Message passing on graphs.",
                    categories=["cs.LG"], published="2026-03-10"),
        make_record(id="2601.00004", title="Message passing for diffusion on graphs", summary="Heat kernels.",
                    categories=["cs.LG", "cs.CL"], published="2026-03-12"),
        make_record(id="2601.00005", title="The state of the art", summary="A survey of surveys.",
                    categories=["cs.DL"], published="2026-03-14"),
    ]  # fmt: skip
    assert ingest_items(store, records, source="file", target="t").failed == 0
    return store


def _follower(store, queries):
    user = db.create_user(store, "saved@example.org", None)
    for query in queries:
        db.set_follow(store, user.pk, "query", query, True)
    return user


def _api_ids(client, query):
    body = client.get("/api/search", params={"q": query, "limit": 20}).json()
    return {hit["paper"]["id"] for hit in body["results"]}, body["mode"]


def _check(client, pw, store):
    for query in QUERIES:
        store_user = _follower(store, [query])
        saved = {p.id for p in following_papers(pw, store_user.pk, limit=20)}
        expected, mode = _api_ids(client, query)
        assert saved == expected, (query, mode)
        db.delete_user(store, store_user.pk)
    return mode


def test_a_saved_search_lists_what_the_search_api_returns(client, pw, papers):
    assert _check(client, pw, papers) == "keyword"


def test_a_saved_search_lists_what_hybrid_search_returns(client, pw, papers):
    embedder = FakeEmbedder()
    pw.use_embedder(embedder)
    embeddings.embed_missing(papers, embedder, bundled=None)
    assert _check(client, pw, papers) == "hybrid"


def test_several_saved_searches_add_up(client, pw, papers):
    user = _follower(papers, QUERIES[:3])
    saved = {p.id for p in following_papers(pw, user.pk, limit=20)}
    assert saved == set().union(*(_api_ids(client, q)[0] for q in QUERIES[:3]))


def test_a_filter_typed_in_a_saved_search_applies(pw, papers):
    user = _follower(papers, ["diffusion category:cs.CL"])
    assert {p.id for p in following_papers(pw, user.pk, limit=20)} == {"2601.00002", "2601.00004"}
