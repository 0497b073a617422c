"""Fusing keyword and vector rankings (pure functions)."""
from __future__ import annotations

import pytest

from paperwire.rank.fusion import DEFAULT, Fusion, minmax, rrf, score_fusion, zscores


def test_rrf_rewards_keys_ranked_well_in_both_lists():
    fused = rrf([[("a", 9), ("b", 8), ("c", 7)], [("c", 0.9), ("b", 0.8), ("d", 0.1)]])
    assert {k for k, _ in fused[:2]} == {"b", "c"}


def test_rrf_ignores_the_scale_of_scores():
    assert rrf([[("a", 1e9), ("b", 1)]]) == rrf([[("a", 2), ("b", 1)]])


def test_rrf_weights_favour_one_list():
    fused = rrf([[("a", 1)], [("b", 1)]], weights=[0.2, 0.8])
    assert fused[0][0] == "b"


def test_minmax_scales_to_the_unit_interval():
    assert minmax([("a", 10), ("b", 5), ("c", 0)]) == {"a": 1.0, "b": 0.5, "c": 0.0}


def test_minmax_of_equal_scores_is_all_ones():
    assert minmax([("a", 3), ("b", 3)]) == {"a": 1.0, "b": 1.0}


def test_zscores_of_a_constant_list_are_zero():
    assert zscores([("a", 2), ("b", 2)]) == {"a": 0.0, "b": 0.0}


def test_score_fusion_with_all_weight_on_one_list_keeps_its_order():
    keyword = [("a", 3.0), ("b", 2.0), ("c", 1.0)]
    vector = [("c", 0.9), ("b", 0.5), ("a", 0.1)]
    assert [k for k, _ in score_fusion([keyword, vector], weights=[1.0, 0.0])] == ["a", "b", "c"]


def test_a_key_missing_from_a_list_gets_that_lists_floor():
    fused = dict(score_fusion([[("a", 1.0), ("b", 0.0)], [("c", 1.0)]], weights=[0.5, 0.5]))
    assert fused == {"a": 0.5, "b": 0.0, "c": 0.5}


def test_an_empty_list_leaves_the_other_ranking_unchanged():
    keyword = [("a", 3.0), ("b", 2.0)]
    assert [k for k, _ in DEFAULT(keyword, [])] == ["a", "b"]
    assert [k for k, _ in Fusion("rrf")([], keyword)] == ["a", "b"]


def test_fusion_is_deterministic_for_ties():
    assert DEFAULT([("a", 1.0), ("b", 1.0)], []) == DEFAULT([("a", 1.0), ("b", 1.0)], [])


def test_weights_must_match_the_lists():
    with pytest.raises(ValueError):
        rrf([[("a", 1)]], weights=[1, 2])


def test_related_blend_weighs_embedding_and_terms_by_z_score():
    from paperwire.rank.fusion import blend_related

    # "b" is second by embedding but far ahead by terms; "a" leads the embedding only slightly
    pks = ["a", "b", "c", "d"]
    ranked = blend_related(pks, [0.80, 0.79, 0.50, 0.40], [0.05, 0.60, 0.05, 0.04], vector_weight=0.7)
    assert [pk for pk, _ in ranked][:2] == ["b", "a"]
    assert [pk for pk, _ in blend_related(pks, [0.80, 0.79, 0.50, 0.40], [0.05, 0.60, 0.05, 0.04], 1.0)][:2] == ["a", "b"]


def test_related_blend_of_constant_scores_keeps_the_other_signal():
    from paperwire.rank.fusion import blend_related

    ranked = blend_related([1, 2, 3], [0.5, 0.5, 0.5], [0.1, 0.3, 0.2])
    assert [pk for pk, _ in ranked] == [2, 3, 1]
