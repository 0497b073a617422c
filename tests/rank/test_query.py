"""Parsing search-box text into words, phrases, prefixes and filters, and the safe FTS query made from it."""
from __future__ import annotations

from datetime import datetime

import pytest

from paperwire.rank.query import MAX_TERMS, Filters, QueryError, make_filters, parse
from paperwire.store.search_queries import fts5_query, tsquery_parts


def test_plain_words_are_case_folded_and_deduplicated():
    assert parse("Diffusion models diffusion").words == ("diffusion", "models")


def test_quoted_text_becomes_a_phrase():
    assert parse('"sparse attention" transformers').phrases == (("sparse", "attention"),)


def test_a_quoted_single_word_is_a_word():
    assert parse('"attention"').words == ("attention",)


def test_a_trailing_star_makes_a_prefix():
    assert parse("diffus* models").prefixes == ("diffus",)


def test_a_one_letter_prefix_is_a_plain_word():
    q = parse("a*")
    assert q.prefixes == () and q.words == ("a",)


def test_author_filter_uses_the_normalised_author_key():
    assert parse('author:"José García" x').filters.authors == ("jose garcia",)


def test_category_org_and_dates_are_filters():
    f = parse("category:cs.CL org:Google after:2026-01 before:2026-02-15 x").filters
    assert f.categories == ("cs.CL",) and f.orgs == ("google",)
    assert f.after == datetime(2026, 1, 1) and f.before == datetime(2026, 2, 15)


def test_an_unknown_filter_name_is_searched_as_words():
    q = parse("colour:red x")
    assert q.words == ("colour", "red", "x") and not q.filters


def test_a_bad_filter_value_is_text_unless_strict():
    assert parse("after:yesterday").words == ("after", "yesterday")
    with pytest.raises(QueryError) as err:
        parse("after:yesterday", strict=True)
    assert err.value.param == "after"


@pytest.mark.parametrize("text", ['"', "(", "*", "-", "NEAR(a b)", "a AND b", "a OR NOT b", 'title:"x', "^x", "{a}"])
def test_fts_syntax_in_the_text_becomes_quoted_terms(text):
    match = fts5_query(parse(text))
    for token in match.split(" OR "):
        assert token == "" or (token.startswith('"') and token.rstrip("*").endswith('"'))


def test_stop_words_are_dropped_from_the_or_query_unless_nothing_else_is_left():
    assert fts5_query(parse("the effect of the drug")) == '"effect" OR "drug"'
    assert fts5_query(parse("the of")) == '"the" OR "of"'


def test_prefixes_and_phrases_in_the_fts5_query():
    assert fts5_query(parse('"graph neural" diffus*')) == '"graph neural" OR "diffus"*'


def test_postgres_parts_quote_prefix_lexemes():
    assert tsquery_parts(parse("diffus*")) == [("to_tsquery", "'diffus':*")]


def test_cjk_and_emoji_keep_the_cjk_words():
    assert parse("变压器 🤖").words == ("变压器",)


def test_a_long_query_is_cut_to_the_term_limit():
    q = parse(" ".join(f"w{n}" for n in range(5000)))
    assert len(q.words) == MAX_TERMS and q.ignored


def test_control_characters_are_removed():
    assert parse("a\x00b").words == ("a", "b")


def test_the_semantic_text_is_the_text_without_filters():
    assert parse("IL-6 levels author:smith after:2020").semantic_text == "IL-6 levels"


def test_filters_from_parameters_merge_with_typed_ones():
    typed = parse("category:cs.CL after:2026-01-01 x").filters
    merged = typed.merged(make_filters(categories=["cs.LG"], after="2026-03-01"))
    assert merged.categories == ("cs.CL", "cs.LG") and merged.after == datetime(2026, 3, 1)


@pytest.mark.parametrize("kwargs", [{"categories": ["not a category!"]}, {"after": "2026-13-01"}, {"authors": ["!!!"]}])
def test_bad_filter_parameters_raise_naming_the_filter(kwargs):
    with pytest.raises(QueryError):
        make_filters(**kwargs)


def test_empty_filters_are_false():
    assert not Filters() and Filters(orgs=("x",))


def test_minus_before_a_word_or_a_quoted_phrase_excludes_it():
    from paperwire.rank.query import parse

    query = parse('diffusion -image -"text to speech" models')
    assert query.words == ("diffusion", "models") and query.filters.exclude == ("image", "text to speech")
    assert "image" not in query.semantic_text


def test_a_minus_before_a_number_is_not_an_exclusion():
    from paperwire.rank.query import parse

    query = parse("E2f-1, -2, -3 TKO cells")
    assert query.filters.exclude == () and "2" in query.words and "3" in query.words
