"""The search and related-papers use cases on SQLite and PostgreSQL: keyword ranking, filters,
phrases, prefixes, snippets, pages, bad input, hybrid search and related papers with the fake embedder."""
from __future__ import annotations

import pytest

from paperwire.index import embeddings
from paperwire.store.embeddings import count as stored_count
from paperwire.index.embedder import FakeEmbedder
from paperwire.rank.query import QueryError, make_filters
from paperwire.services import search as svc
from tests.factories import fake_embeddings, load, make_record


def ids(result) -> list[str]:
    return [p.id for p in result.papers]


@pytest.fixture
def corpus(store):
    load(store,
         make_record(id="2601.00001", title="Denoising diffusion models", summary="We train image generators.",
                     authors=["Ada Lovelace"], categories=["cs.CV"], published="2026-01-10"),
         make_record(id="2601.00002", title="Sparse attention for long documents",
                     summary="Attention patterns; a diffusion process is not used.", authors=["Alan Turing"],
                     categories=["cs.CL"], published="2026-02-10", organization={"name": "acme", "fullname": "ACME"}),
         make_record(id="2601.00003", title="Graph neural networks", summary="Message passing on graphs.",
                     authors=["Grace Hopper"], categories=["cs.LG", "cs.CL"], published="2026-03-10"),
         make_record(id="2601.00004", title="Thermal conductivity of solids", summary="Heat diffusion in solids.",
                     authors=["Grace Hopper"], categories=["physics.optics"], published="2026-04-10"))  # fmt: skip
    return store


def test_a_title_match_ranks_above_an_abstract_match(corpus, pw):
    assert ids(svc.search(pw, "diffusion"))[:1] == ["2601.00001"]
    assert set(ids(svc.search(pw, "diffusion"))) == {"2601.00001", "2601.00002", "2601.00004"}


def test_any_word_matches_and_papers_with_more_words_rank_first(corpus, pw):
    assert ids(svc.search(pw, "sparse attention graphs"))[0] == "2601.00002"
    assert "2601.00003" in ids(svc.search(pw, "sparse attention graphs"))


def test_a_phrase_matches_only_the_words_in_order(corpus, pw):
    assert ids(svc.search(pw, '"long documents"')) == ["2601.00002"]
    assert ids(svc.search(pw, '"documents long"')) == []


def test_a_prefix_matches_words_starting_with_it(corpus, pw):
    assert ids(svc.search(pw, "conduct*")) == ["2601.00004"]
    assert ids(svc.search(pw, "therm*")) == ["2601.00004"]


def test_the_author_filter_keeps_that_authors_papers(corpus, pw):
    assert ids(svc.search(pw, 'diffusion author:"ada lovelace"')) == ["2601.00001"]


def test_the_category_filter_matches_any_listed_category_in_any_case(corpus, pw):
    assert set(ids(svc.search(pw, "category:cs.cl"))) == {"2601.00002", "2601.00003"}
    assert ids(svc.search(pw, "heat category:physics.optics")) == ["2601.00004"]


def test_the_org_filter_keeps_that_organisations_papers(corpus, pw):
    assert ids(svc.search(pw, "attention org:ACME")) == ["2601.00002"]


def test_the_date_range_is_after_inclusive_and_before_exclusive(corpus, pw):
    assert ids(svc.search(pw, "after:2026-02-10 before:2026-04-10")) == ["2601.00003", "2601.00002"]


def test_filters_given_as_parameters_apply_too(corpus, pw):
    result = svc.search(pw, "diffusion", filters=make_filters(authors=["Grace Hopper"]))
    assert ids(result) == ["2601.00004"]


def test_a_filter_only_query_lists_papers_newest_first(corpus, pw):
    result = svc.search(pw, "author:grace-hopper")
    assert result.mode == "filters" and ids(result) == ["2601.00004", "2601.00003"] and result.total == 2


def test_snippets_mark_the_matched_words_in_the_abstract(corpus, pw):
    result = svc.search(pw, "heat")
    segments = result.snippets["2601.00004"]
    assert segments[0] == ("Heat", True) and segments[1][0].startswith(" diffusion in solids") and not segments[1][1]


def test_pages_do_not_overlap_and_total_counts_every_match(store, pw):
    load(store, *[make_record(title=f"Sparse routing variant {n}") for n in range(25)])
    first = svc.search(pw, "sparse routing", limit=10)
    third = svc.search(pw, "sparse routing", limit=10, offset=20)
    assert first.total == 25 and len(third.papers) == 5
    assert not set(ids(first)) & set(ids(third))


@pytest.mark.parametrize("query", ["", "   ", "x" * 10_000, '"', "(", "*", "-", "NEAR", "AND", "a AND (b OR",
                                   'title:"x', "变压器 🤖", "😀", "\x00", "zzzzqqq", "after:2030-01-01 diffusion",
                                   "colour:red", "after:2026-05 before:2026-01"])  # fmt: skip
def test_odd_input_gives_a_result_not_an_error(corpus, query, pw):
    result = svc.search(pw, query)
    assert isinstance(result.papers, list)


def test_an_unknown_filter_value_raises_only_when_strict(corpus, pw):
    assert svc.search(pw, "before:someday").papers == []
    with pytest.raises(QueryError):
        svc.search(pw, "before:someday", strict=True)


# -- with embeddings (the fake embedder) ---------------------------------------------------------------
@pytest.fixture
def embedded(corpus, pw):
    fake_embeddings(pw)
    return corpus


def test_with_embeddings_search_is_hybrid(embedded, pw):
    result = svc.search(pw, "diffusion")
    assert result.mode == "hybrid" and ids(result)[0] == "2601.00001"


def test_keyword_mode_skips_vectors(embedded, pw):
    assert svc.search(pw, "diffusion", mode="keyword").mode == "keyword"


def test_semantic_search_keeps_filters_exact(embedded, pw):
    result = svc.search(pw, "graphs message passing", mode="semantic", filters=make_filters(categories=["cs.CV"]))
    assert ids(result) in ([], ["2601.00001"])  # only the cs.CV paper may appear


def test_semantic_search_with_every_filter_kind_keeps_only_papers_matching_all_of_them(embedded, pw):
    filters = make_filters(authors=["Grace Hopper"], categories=["cs.cl"], after="2026-03-01", before="2026-04-01")
    assert ids(svc.search(pw, "heat graphs solids", mode="semantic", filters=filters)) in ([], ["2601.00003"])
    assert ids(svc.search(pw, "graph neural networks", mode="semantic", filters=filters)) == ["2601.00003"]


def test_hybrid_search_with_a_broad_filter_keeps_only_allowed_papers_and_their_keyword_matches(embedded, pw):
    cl = make_filters(categories=["cs.CL"])  # two of the four papers: applied to the keyword ranking in hand
    result = svc.search(pw, "attention diffusion", filters=cl)
    assert result.mode == "hybrid" and ids(result)[0] == "2601.00002"
    assert set(ids(result)) <= {"2601.00002", "2601.00003"}


def test_hybrid_search_with_an_author_given_by_surname_finds_that_authors_papers_only(embedded, pw):
    result = svc.search(pw, "graphs heat diffusion", filters=make_filters(authors=["hopper"]))
    assert result.mode == "hybrid" and set(ids(result)) == {"2601.00003", "2601.00004"}


def test_hybrid_search_with_a_filter_matching_no_paper_finds_nothing(embedded, pw):
    assert ids(svc.search(pw, "diffusion", filters=make_filters(orgs=["nobody"]))) == []


def test_a_filtered_semantic_search_sees_a_paper_added_after_it(embedded, pw):
    cv = make_filters(categories=["cs.CV"])
    assert ids(svc.search(pw, "denoising diffusion", mode="semantic", filters=cv)) == ["2601.00001"]
    load(embedded, make_record(id="2601.00005", title="Denoising diffusion for video", summary="Video generators.",
                               categories=["cs.CV"], published="2026-05-10"))  # fmt: skip
    embeddings.embed_missing(embedded, FakeEmbedder(), bundled=None)
    pw.vectors.forget()  # the vector index is re-read at once (it is checked every few seconds)
    assert set(ids(svc.search(pw, "denoising diffusion", mode="semantic", filters=cv))) == {"2601.00001", "2601.00005"}


def test_similar_excludes_the_paper_and_orders_by_similarity(embedded, pw):
    related = svc.similar(pw, "2601.00001", 10)
    assert related.method == "hybrid" and "2601.00001" not in ids(related)  # embeddings + TF-IDF
    scores = [related.scores[p.id] for p in related.papers]
    assert scores == sorted(scores, reverse=True) and len(scores) == 3


def test_similar_to_an_unknown_paper_is_none(embedded, pw):
    assert svc.similar(pw, "2699.99999") is None


def test_more_like_these_excludes_all_the_given_papers(embedded, pw):
    related = svc.similar_to_many(pw, ["2601.00001", "2601.00004", "missing"], 10)
    assert set(ids(related)) == {"2601.00002", "2601.00003"}


def test_similar_without_embeddings_falls_back_to_term_similarity(corpus, pw):
    related = svc.similar(pw, "2601.00001", 5)
    assert related.method == "terms" and "2601.00001" not in ids(related)


def test_embedding_is_incremental_and_reports_progress(corpus):
    embedder = FakeEmbedder()
    done: list[int] = []
    first = embeddings.embed_missing(corpus, embedder, bundled=None, progress=done.append)
    assert first.embedded == 4 and sum(done) == 4
    load(corpus, make_record(title="A new paper"))
    assert embeddings.embed_missing(corpus, embedder, bundled=None).embedded == 1


def test_a_changed_abstract_is_embedded_again(corpus):
    embedder = FakeEmbedder()
    embeddings.embed_missing(corpus, embedder, bundled=None)
    load(corpus, make_record(id="2601.00003", title="Graph neural networks", summary="A new abstract.",
                             authors=["Grace Hopper"], categories=["cs.LG", "cs.CL"], published="2026-03-10"))  # fmt: skip
    assert embeddings.embed_missing(corpus, embedder, bundled=None).embedded == 1


def test_deleting_a_paper_deletes_its_embedding(corpus):
    embedder = FakeEmbedder()
    embeddings.embed_missing(corpus, embedder, bundled=None)
    with corpus.transaction() as conn:
        corpus.delete_papers(conn, ["2601.00001"])
    assert stored_count(corpus, embedder.name) == 3


def test_bundled_vectors_are_imported_when_id_and_text_match(corpus, tmp_path):
    embedder = FakeEmbedder()
    from paperwire.index.embedder import text_hash

    papers = corpus.papers_by_ids(["2601.00001", "2601.00002"])
    vecs = embedder.encode([p.title for p in papers])
    path = tmp_path / "bundle.npz"
    embeddings.save_bundle(path, embedder.name, [p.id for p in papers],
                           [text_hash(papers[0].title, papers[0].summary), "stale"], vecs)  # fmt: skip
    report = embeddings.embed_missing(corpus, embedder, bundled=path, compute=False)
    assert report.imported == 1 and report.embedded == 0


def test_the_author_filter_accepts_a_surname_alone(corpus, pw):
    assert ids(svc.search(pw, "author:hopper")) == ["2601.00004", "2601.00003"]
    assert ids(svc.search(pw, "author:opper")) == []
