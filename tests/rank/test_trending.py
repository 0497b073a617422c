"""The trending score (pure)."""
from __future__ import annotations

from datetime import datetime, timedelta

from paperwire.rank.trending import reference_time, trending_score

NOW = datetime(2026, 11, 25, 12, 0)


def test_more_upvotes_at_the_same_age_score_higher():
    assert trending_score(30, NOW - timedelta(hours=5), NOW) > trending_score(10, NOW - timedelta(hours=5), NOW)


def test_the_same_upvotes_score_lower_as_the_paper_ages():
    assert trending_score(30, NOW - timedelta(days=1), NOW) > trending_score(30, NOW - timedelta(days=3), NOW)


def test_a_fresh_paper_with_fewer_votes_beats_an_old_one_with_many():
    assert trending_score(30, NOW - timedelta(hours=6), NOW) > trending_score(100, NOW - timedelta(days=30), NOW)


def test_papers_without_votes_order_by_freshness_and_score_is_finite_at_age_zero():
    assert trending_score(0, NOW, NOW) > trending_score(0, NOW - timedelta(hours=1), NOW) > 0


def test_a_paper_from_the_future_counts_as_brand_new():
    assert trending_score(5, NOW + timedelta(hours=3), NOW) == trending_score(5, NOW, NOW)


def test_reference_time_is_now_unless_the_corpus_is_older():
    assert reference_time(NOW, NOW - timedelta(hours=1)) == NOW
    assert reference_time(NOW, datetime(2024, 4, 5, 3, 0)) == datetime(2024, 4, 5, 23, 59, 59)
    assert reference_time(NOW, None) == NOW
