"""The per-user recommendation model: content (linear and centroid), collaborative, blending."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from paperwire.index import terms
from paperwire.rank.recommend import (
    ContentParams,
    blend,
    centroid_model,
    collaborative_scores,
    fit_content,
    score_rows,
    user_model,
    zscore,
)

TOPICS = {
    "graphs": ["graph neural network message passing node", "graph transformer node classification",
               "graph neural network link prediction", "message passing graph pooling"],
    "speech": ["speech recognition acoustic model", "speech synthesis vocoder waveform",
               "acoustic speech recognition transducer", "speaker verification speech embedding"],
    "robots": ["robot grasping manipulation policy", "robot navigation locomotion policy",
               "manipulation policy robot arm", "legged robot locomotion control"],
}  # fmt: skip


def corpus():
    texts, topic = [], []
    for name, titles in TOPICS.items():
        for n in range(6):  # 24 papers per topic, varied wording
            for title in titles:
                texts.append(terms.paper_terms_text(f"{title} study {n}", f"we study {title} variant {n}"))
                topic.append(name)
    X, _ = terms.features(texts)
    return X, np.array(topic)


def test_linear_model_ranks_unseen_papers_on_the_liked_topic_first():
    X, topic = corpus()
    liked = np.flatnonzero(topic == "graphs")[:8]
    unseen = np.setdiff1d(np.arange(X.shape[0]), liked)
    negatives = np.setdiff1d(unseen, np.flatnonzero(topic == "graphs"))[::3]
    model = fit_content(X[liked], None, X[negatives], None, params=ContentParams(min_positives=1))
    assert model.kind == "linear"
    scores = model.score(X[unseen], None)
    top = unseen[np.argsort(-scores)[:10]]
    assert (topic[top] == "graphs").all()


def test_thumbs_down_pulls_a_topic_down():
    X, topic = corpus()
    graphs, speech, robots = (np.flatnonzero(topic == t) for t in ("graphs", "speech", "robots"))
    liked = np.r_[graphs[:4], speech[:4]]
    weak = np.r_[robots[::4]]
    plain = fit_content(X[liked], None, X[weak], None)
    down = fit_content(X[liked], None, np.vstack([X[weak].toarray(), X[speech[4:8]].toarray()]), None,
                       neg_weight=np.r_[np.ones(len(weak)), np.full(4, 5.0)])  # fmt: skip
    rest = speech[8:]
    assert down.score(X[rest], None).mean() < plain.score(X[rest], None).mean()


def test_embedding_block_adds_weight_per_dimension():
    X, topic = corpus()
    rng = np.random.default_rng(0)
    E = rng.standard_normal((X.shape[0], 8)).astype(np.float32)
    E[topic == "graphs", 0] += 3.0  # dimension 0 marks the liked topic
    liked, negs = np.flatnonzero(topic == "graphs")[:6], np.flatnonzero(topic != "graphs")[:30]
    model = fit_content(X[liked], E[liked], X[negs], E[negs], params=ContentParams(embed_weight=1.0))
    assert model.w_embed.shape == (8,) and model.w_embed.dtype == np.float32
    assert np.argmax(model.w_embed) == 0


def test_terms_only_model_has_no_embedding_weights():
    X, topic = corpus()
    model = fit_content(X[:5], None, X[-20:], None)
    assert model.w_embed.shape == (0,)
    assert model.w_terms.shape == (terms.N_FEATURES,)
    assert model.score(X, np.ones((X.shape[0], 4), np.float32)).shape == (X.shape[0],)


def test_centroid_works_with_only_a_query():
    X, topic = corpus()
    query, _ = terms.features(["speech recognition"], terms.TermWeights.from_counts(terms.counts(
        [terms.paper_terms_text("", "") or "x"] * 0 + ["speech recognition acoustic"] * 3)))  # fmt: skip
    Xq, weights = terms.features([t for t in TOPICS["speech"]] + ["graph node", "robot policy"])
    Xall = weights.transform(terms.counts([terms.paper_terms_text(f"{t} {n}", "") for t in sum(TOPICS.values(), [])
                                           for n in range(2)]))  # fmt: skip
    labels = np.repeat([name for name, ts in TOPICS.items() for _ in ts], 2)
    model = centroid_model(None, None, X_query=Xq[:1], params=ContentParams())
    assert model.kind == "centroid"
    scores = model.score(Xall, None)
    assert labels[np.argmax(scores)] == "speech"


def test_centroid_negatives_lower_their_topic():
    X, topic = corpus()
    graphs, speech = np.flatnonzero(topic == "graphs"), np.flatnonzero(topic == "speech")
    liked = np.r_[graphs[:3], speech[:3]]
    plain = centroid_model(X[liked], None)
    down = centroid_model(X[liked], None, X[speech[3:6]], None)
    assert down.score(X[speech[6:]], None).mean() < plain.score(X[speech[6:]], None).mean()


def test_user_model_switches_at_min_positives():
    X, topic = corpus()
    params = ContentParams(min_positives=3)
    negs = X[np.flatnonzero(topic != "graphs")[:20]]
    graphs = np.flatnonzero(topic == "graphs")
    assert user_model(X[graphs[:2]], None, negs, None, params=params).kind == "centroid"
    assert user_model(X[graphs[:3]], None, negs, None, params=params).kind == "linear"


def _library():
    # users × items; items 0 and 1 are saved together by many users, item 2 goes with 3
    rows = [[0, 1], [0, 1], [0, 1, 4], [2, 3], [2, 3], [1, 4], [0, 2, 5]]
    data = [(u, i) for u, items in enumerate(rows) for i in items]
    R = sp.csr_matrix((np.ones(len(data), np.float32), ([u for u, _ in data], [i for _, i in data])), shape=(len(rows), 6))
    return R


def test_collaborative_scores_favour_co_saved_items():
    scores, _ = collaborative_scores(_library(), np.array([0]))
    assert scores[1] > scores[3]
    assert scores[1] > scores[4]


def test_collaborative_exclude_row_removes_the_users_own_co_occurrences():
    R = _library()
    # user 6 has items 0, 2, 5: item 5 co-occurs with 0 only through user 6
    with_own, _ = collaborative_scores(R, np.array([0, 2]))
    without, _ = collaborative_scores(R, np.array([0, 2]), exclude_row=6)
    assert with_own[5] > 0
    assert without[5] == 0


def test_collaborative_because_points_at_the_contributing_item():
    scores, because = collaborative_scores(_library(), np.array([0, 2]), exclude_row=6)
    assert because[1] == 0  # item 1 comes with item 0
    assert because[3] == 2  # item 3 comes with item 2
    assert because[5] == -1 and scores[5] == 0


def test_collaborative_is_fast_on_a_large_library():
    import time

    rng = np.random.default_rng(0)
    users, items, per_user = 5000, 20000, 40
    rows = np.repeat(np.arange(users), per_user)
    cols = rng.integers(0, items, size=users * per_user)
    R = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(users, items))
    started = time.perf_counter()
    scores, because = collaborative_scores(R, R.getrow(7).indices, exclude_row=7)
    assert time.perf_counter() - started < 1.0
    assert scores.shape == because.shape == (items,)


def test_blend_falls_back_to_content_when_collaborative_is_missing_or_zero():
    content = np.array([3.0, 1.0, 2.0])
    assert np.allclose(blend(content, None), zscore(content))
    assert np.allclose(blend(content, np.zeros(3)), zscore(content))


def test_blend_moves_items_the_collaborative_part_favours_up():
    content = np.array([1.0, 1.1, 0.9, 1.0])
    collab = np.array([0.0, 0.0, 5.0, 0.0])
    before = list(np.argsort(-blend(content, None))).index(2)
    after = list(np.argsort(-blend(content, collab, weight=0.5))).index(2)
    assert after < before


def test_zscore_of_a_constant_vector_is_zeros():
    z = zscore(np.full(5, 7.0))
    assert not np.isnan(z).any()
    assert (z == 0).all()


def test_fit_content_needs_both_classes():
    X, _ = corpus()
    with pytest.raises(ValueError):
        fit_content(X[:3], None, X[:0], None)


def test_scoring_a_few_rows_and_the_whole_corpus_give_the_same_scores():
    X, topic = corpus()
    rng = np.random.default_rng(1)
    E = rng.normal(size=(X.shape[0], 8)).astype(np.float32)
    graphs = np.flatnonzero(topic == "graphs")
    model = centroid_model(X[graphs[:6]], E[graphs[:6]])  # terms and embedding weights
    embedded = np.arange(X.shape[0]) % 3 != 0  # a third of the papers not embedded yet
    few = np.arange(0, X.shape[0], 10)  # below the full-scan share: row by row
    every = np.arange(X.shape[0])  # all of them: two products over the corpus
    by_rows = score_rows(model, X, few, E, embedded[few], few[embedded[few]])
    by_corpus = score_rows(model, X, every, E, embedded, every[embedded])[few]
    assert len(model.w_embed) == 8 and np.allclose(by_rows, by_corpus, atol=1e-5)


# -- the reader's words keep counting (interests text blended in) ---------------------------------------------
def _query(text: str):
    X, _ = terms.features([terms.paper_terms_text(text, "")])
    return X


def _ratings_and_interests(share: float):
    """Three liked graph papers plus interests about speech: the model's top 12 of the unseen papers."""
    X, topic = corpus()
    graphs, speech = np.flatnonzero(topic == "graphs"), np.flatnonzero(topic == "speech")
    liked = graphs[:3]
    weak = np.setdiff1d(np.arange(X.shape[0]), liked)[::3]  # a sample of the corpus, as the service draws it
    model = user_model(X[liked], None, X[weak], None, X_query=_query("speech recognition acoustic model"),
                       params=ContentParams(interest_share=share))  # fmt: skip
    unseen = np.setdiff1d(np.arange(X.shape[0]), liked)
    top = unseen[np.argsort(-model.score(X[unseen], None), kind="stable")[:12]]
    return model, list(topic[top])


def test_typed_interests_stay_a_signal_after_three_ratings():
    model, top = _ratings_and_interests(0.5)
    assert model.kind == "linear" and model.interests is not None
    assert top.count("speech") >= 4 and top.count("graphs") >= 4  # both what was typed and what was rated


def test_without_a_share_the_ratings_alone_decide_as_before():
    model, top = _ratings_and_interests(0.0)
    assert model.interests is None and top.count("speech") == 0


def test_the_blend_is_one_linear_model_equal_to_the_z_score_sum():
    from paperwire.rank.recommend import interests_model, with_interests

    X, topic = corpus()
    liked, sample = np.flatnonzero(topic == "graphs")[:4], np.flatnonzero(topic != "graphs")[::2]
    base = fit_content(X[liked], None, X[sample], None)
    text = interests_model(_query("robot grasping policy"), None)
    blended = with_interests(base, text, X[sample], None, share=0.3)
    b, t = base.score(X[sample], None), text.score(X[sample], None)
    expected = 0.7 * (b - base.bias) / b.std() + 0.3 * t / t.std()
    assert np.allclose(blended.score(X[sample], None) - blended.bias, expected, atol=1e-4)
    assert np.allclose(blended.interests.score(X[sample], None), 0.3 * t / t.std(), atol=1e-4)


def test_interests_alone_are_still_the_cold_start_centroid():
    X, topic = corpus()
    model = user_model(None, None, X[:10], None, X_query=_query("speech recognition"))
    assert model.kind == "centroid" and model.interests is None
    top = np.argsort(-model.score(X, None))[:6]
    assert (topic[top] == "speech").all()
