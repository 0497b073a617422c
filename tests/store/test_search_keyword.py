"""Keyword ranking in the store on SQLite and PostgreSQL: BM25 (title above abstract, rare terms above
common ones), stop words, the narrowing of very common queries and statistics kept fresh."""
from __future__ import annotations

import pytest

from paperwire.rank.query import parse
from paperwire.store import search_queries as sq
from paperwire.store.ids import ids_of
from tests.factories import load, make_record


@pytest.fixture(autouse=True)
def fresh_stats():
    sq.clear_stats()
    yield
    sq.clear_stats()


def ranked_ids(store, text, limit=10):
    ranked = sq.keyword_ranked(store, parse(text), limit=limit)
    ids = ids_of(store, [pk for pk, _ in ranked])
    return [ids[pk] for pk, _ in ranked]


def common_corpus(store, n=12):
    """``n`` papers about models, one of them also about zebrafish."""
    records = [make_record(id=f"2601.{i:05d}", title=f"Language models study {i}",
                           summary="We evaluate language models on tasks.", published=f"2026-01-{i + 1:02d}")
               for i in range(n)]  # fmt: skip
    records.append(make_record(id="2601.09999", title="Models of zebrafish", summary="A study of models.",
                               published="2025-12-01"))  # fmt: skip
    load(store, *records)


def test_keyword_ranking_puts_the_paper_with_the_rare_query_term_first(store):
    common_corpus(store)
    assert ranked_ids(store, "language models zebrafish")[0] == "2601.09999"


def test_a_query_of_only_stop_words_still_returns_results_on_sqlite_and_nothing_on_postgresql(store):
    load(store, make_record(id="2601.00001", title="The thing that is", summary="Of the and to."))
    # PostgreSQL's 'english' tsvector holds no stop words at all, so nothing can match them there
    assert ranked_ids(store, "the of") == (["2601.00001"] if store.dialect == "sqlite" else [])


def test_a_title_match_outranks_the_same_word_in_the_abstract(store):
    load(store,
         make_record(id="2601.00001", title="Protein folding", summary="We study heat in solids of many kinds."),
         make_record(id="2601.00002", title="Heat in solids", summary="Protein folding is not studied here."))  # fmt: skip
    assert ranked_ids(store, "protein")[0] == "2601.00001"


def test_a_common_word_query_keeps_the_same_top_results_when_narrowed(store, monkeypatch):
    common_corpus(store)
    exact = ranked_ids(store, "language models zebrafish", limit=3)
    monkeypatch.setattr(sq, "MAX_SCORED", 3)
    monkeypatch.setattr(sq, "PG_MAX_SCORED", 3)
    sq.clear_stats()
    assert ranked_ids(store, "language models zebrafish", limit=3)[:1] == exact[:1]


def test_a_query_of_only_common_words_ranks_papers_with_all_of_them_when_narrowed(store, monkeypatch):
    common_corpus(store)
    monkeypatch.setattr(sq, "MAX_SCORED", 3)
    monkeypatch.setattr(sq, "PG_MAX_SCORED", 3)
    found = ranked_ids(store, "language models", limit=2)
    assert len(found) == 2 and all(i != "2601.09999" for i in found)


def test_a_word_first_ingested_after_a_search_is_ranked_by_fresh_statistics(store):
    common_corpus(store, n=3)
    assert ranked_ids(store, "axolotl models")[0] != "2601.08888"
    load(store, make_record(id="2601.08888", title="Axolotl", summary="Regeneration."))
    assert ranked_ids(store, "axolotl models")[0] == "2601.08888"


def postings_ranked_ids(store, text, postings, limit=20):
    ranked = sq.keyword_ranked(store, parse(text), limit=limit, postings=postings)
    ids = ids_of(store, [pk for pk, _ in ranked])
    return [ids[pk] for pk, _ in ranked]


def test_a_postings_budget_matches_only_the_rarest_terms(store):
    common_corpus(store)  # 'models' in all 13 papers, 'language' in 12, 'zebrafish' in 1
    assert postings_ranked_ids(store, "language models zebrafish", postings=5) == ["2601.09999"]


def test_a_postings_budget_no_term_fits_gives_no_keyword_results(store):
    common_corpus(store)
    assert postings_ranked_ids(store, "language models", postings=5) == []


def test_a_postings_budget_large_enough_changes_nothing(store):
    common_corpus(store)
    assert postings_ranked_ids(store, "language models zebrafish", postings=1000) == ranked_ids(
        store, "language models zebrafish", limit=20)
