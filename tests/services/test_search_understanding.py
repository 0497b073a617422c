"""Search reads a query as a person means it (issue 18), on SQLite and PostgreSQL: author names typed as
text, ids / links / DOIs, exclusion, sorting, honest no-match and did-you-mean from the corpus's words."""
from __future__ import annotations

import numpy as np
import pytest

from paperwire.rank.query import make_filters
from paperwire.services import search as svc
from tests.factories import fake_embeddings, load, make_record


def ids(result) -> list[str]:
    return [p.id for p in result.papers]


@pytest.fixture
def corpus(store):
    load(store,
         make_record(id="2404.03592", title="Retrieval augmented generation for question answering",
                     summary="We retrieve passages and generate answers.", authors=["Christopher D. Manning", "Ada Lovelace"],
                     categories=["cs.CL"], published="2026-01-10", doi="10.1145/3292500.3330701"),
         make_record(id="2404.00002", title="Retrieval of images with sketches",
                     summary="Sketch based image retrieval in the wild.", authors=["Grace Hopper"],
                     categories=["cs.CV"], published="2026-02-10"),
         make_record(id="2404.00003", title="Dense retrieval at scale", summary="A manning table of dense vectors.",
                     authors=["Alan Turing"], categories=["cs.IR"], published="2026-03-10"),
         make_record(id="2404.00004", title="Parsing with neural networks", summary="Dependency parsing.",
                     authors=["Christopher D. Manning"], categories=["cs.CL"], published="2025-12-10"),
         make_record(id="hep-th/9901001", title="Strings on branes", summary="A string theory paper.",
                     authors=["Ed Witten"], categories=["hep-th"], published="2024-01-10"))  # fmt: skip
    return store


# -- names ----------------------------------------------------------------------------------------------
def test_a_full_name_typed_as_text_is_recognised_with_its_paper_count(corpus, pw):
    result = svc.search(pw, "Christopher D. Manning")
    assert [(a.name, a.papers) for a in result.authors] == [("Christopher D. Manning", 2)]


def test_a_query_that_is_just_a_name_ranks_that_authors_papers_first(corpus, pw):
    # "manning" is also a word in another paper's abstract: the author's papers still come first
    assert set(ids(svc.search(pw, "Christopher D. Manning"))[:2]) == {"2404.03592", "2404.00004"}


@pytest.mark.parametrize("typed", ["Manning, Christopher", "C. D. Manning", "Christopher Manning", "christopher d manning"])
def test_last_comma_first_initials_and_no_middle_name_are_recognised(corpus, pw, typed):
    result = svc.search(pw, typed)
    assert [a.name for a in result.authors] == ["Christopher D. Manning"]
    assert set(ids(result)[:2]) == {"2404.03592", "2404.00004"}


def test_a_name_inside_a_longer_query_is_reported_but_does_not_reorder(corpus, pw):
    result = svc.search(pw, "grace hopper sketches")
    assert [a.name for a in result.authors] == ["Grace Hopper"]
    assert ids(result)[0] == "2404.00002"


def test_a_topic_is_not_taken_for_a_name(corpus, pw):
    assert svc.search(pw, "dense retrieval").authors == []


def test_an_author_phrase_filter_finds_a_name_written_with_a_middle_initial(corpus, pw):
    assert set(ids(svc.search(pw, 'author:"Christopher Manning"'))) == {"2404.03592", "2404.00004"}
    assert set(ids(svc.search(pw, 'author:"C. D. Manning"'))) == {"2404.03592", "2404.00004"}
    assert ids(svc.search(pw, 'author:"Grace Manning"')) == []


def test_an_author_added_later_is_recognised(corpus, pw):
    assert svc.search(pw, "Barbara Liskov").authors == []
    load(pw.store, make_record(title="Data abstraction", authors=["Barbara Liskov"]))
    assert [a.name for a in svc.search(pw, "Barbara Liskov").authors] == ["Barbara Liskov"]


# -- ids, links and DOIs ----------------------------------------------------------------------------------
@pytest.mark.parametrize("typed", ["2404.03592", "2404.03592v2", "arXiv:2404.03592", "https://arxiv.org/abs/2404.03592v2",
                                   "https://arxiv.org/pdf/2404.03592v1.pdf", "arxiv.org/html/2404.03592v2",
                                   "https://huggingface.co/papers/2404.03592", "https://doi.org/10.48550/arXiv.2404.03592"])
def test_an_arxiv_id_or_link_finds_that_paper_alone(corpus, pw, typed):
    result = svc.search(pw, typed)
    assert (result.mode, ids(result)) == ("id", ["2404.03592"])


def test_an_old_style_arxiv_id_with_a_version_finds_that_paper(corpus, pw):
    assert ids(svc.search(pw, "hep-th/9901001v2")) == ["hep-th/9901001"]


def test_a_doi_finds_that_paper(corpus, pw):
    assert ids(svc.search(pw, "10.1145/3292500.3330701")) == ["2404.03592"]
    assert ids(svc.search(pw, "https://doi.org/10.1145/3292500.3330701")) == ["2404.03592"]


def test_an_id_beside_words_comes_first(corpus, pw):
    assert ids(svc.search(pw, "2404.00004 retrieval"))[0] == "2404.00004"


def test_an_unknown_id_is_searched_as_text(corpus, pw):
    result = svc.search(pw, "2499.99999")
    assert result.mode != "id" and ids(result) == []


# -- exclusion and sorting -----------------------------------------------------------------------------
def test_minus_a_word_leaves_out_papers_containing_it(corpus, pw):
    assert "2404.00002" in ids(svc.search(pw, "retrieval"))
    assert set(ids(svc.search(pw, "retrieval -sketch"))) == {"2404.03592", "2404.00003"}


def test_minus_a_quoted_phrase_leaves_out_papers_containing_the_phrase(corpus, pw):
    assert set(ids(svc.search(pw, 'retrieval -"dense vectors"'))) == {"2404.03592", "2404.00002"}
    assert len(ids(svc.search(pw, 'retrieval -"vectors dense"'))) == 3  # a phrase, not its words


def test_exclusion_as_a_filter_applies_to_semantic_results_too(corpus, pw):
    fake_embeddings(pw)
    result = svc.search(pw, "retrieval", filters=make_filters(exclude=["sketch"]))
    assert result.mode == "hybrid" and "2404.00002" not in ids(result)


def test_sort_newest_orders_the_matches_by_date(corpus, pw):
    assert ids(svc.search(pw, "retrieval", sort="newest")) == ["2404.00003", "2404.00002", "2404.03592"]


def test_sort_upvotes_orders_the_matches_by_upvotes(store, pw):
    load(store, make_record(id="2405.00001", title="Graph retrieval", upvotes=3),
         make_record(id="2405.00002", title="Graph retrieval again", upvotes=40),
         make_record(id="2405.00003", title="Other graph retrieval", upvotes=7))  # fmt: skip
    assert ids(svc.search(pw, "graph retrieval", sort="upvotes")) == ["2405.00002", "2405.00003", "2405.00001"]


# -- honest results and spelling ------------------------------------------------------------------------
def test_nonsense_returns_no_results_with_hybrid_search(corpus, pw):
    embedder = fake_embeddings(pw)
    query = "qwxzzy flurbnik"
    vectors = embedder.encode([query, *[f"{p.title} {p.summary}" for p in pw.store.papers_by_ids(["2404.03592"])]])
    assert float(vectors[0] @ vectors[1]) < svc.WEAK_SIMILARITY  # precondition: nothing close in meaning
    result = svc.search(pw, query)
    assert (result.total, result.papers, result.weak) == (0, [], True)


def test_a_query_whose_words_match_still_gets_results_with_hybrid_search(corpus, pw):
    fake_embeddings(pw)
    result = svc.search(pw, "sketches flurbnik")
    assert not result.weak and ids(result)[0] == "2404.00002"


def test_a_misspelt_word_gets_a_suggestion_from_the_corpus(store, pw):
    load(store, *[make_record(title=f"Retrieval augmented generation part {n}") for n in range(3)])
    assert svc.search(pw, "retreival augmnted generation").suggestion == "retrieval augmented generation"


def test_correct_words_and_names_get_no_suggestion(corpus, pw):
    load(pw.store, *[make_record(title=f"Retrieval planning number {n}") for n in range(3)])
    assert svc.search(pw, "retrieval planning").suggestion is None
    assert svc.search(pw, "Christopher Manning").suggestion is None  # not "planning"


def test_the_instances_categories_come_with_their_paper_counts(corpus, pw):
    assert dict(svc.categories(pw))["cs.CL"] == 2


def test_the_name_index_finds_names_without_reading_authors(corpus, pw):
    lexicon = pw.lexicon.get()
    assert len(lexicon.names.lookup("c d manning")) == 1
    assert isinstance(lexicon.names.hashes, np.ndarray) and lexicon.names.lookup("nobody here") == []
