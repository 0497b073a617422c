"""Personal recommendations through the service layer, on SQLite and PostgreSQL (real ratings, saved
papers and upvotes in the database; the model of ``rank.recommend`` on TF-IDF features)."""
from __future__ import annotations

from datetime import datetime

from paperwire.services import accounts as acc
from paperwire.services import community
from paperwire.services import recommend as rec
from tests.factories import PASSWORD, collection, fake_embeddings
from tests.recommend.conftest import ids_of, rate, topic_of


def topics(found) -> list[str]:
    return [topic_of(r.paper.id) for r in found.items]


def test_a_user_with_no_signals_gets_no_list_and_model_none(corpus, make_user, pw):
    user = make_user()
    found = rec.recommend(pw, user)
    assert found.items == [] and found.model == "none"


def test_papers_on_the_liked_topic_come_first(corpus, make_user, pw):
    user = make_user()
    rate(corpus, user, ids_of("speech", range(0, 8)))
    found = rec.recommend(pw, user, limit=8, days=10)
    assert found.model == "linear"
    assert topics(found)[:5] == ["speech"] * 5, [r.paper.title for r in found.items]


def test_rated_saved_and_upvoted_papers_are_not_recommended_again(corpus, make_user, pw):
    user = make_user()
    liked = ids_of("graphs", range(0, 6))
    rate(corpus, user, liked)
    collection(corpus, user, "reading", ids_of("graphs", [6])[0])
    community.vote(corpus, user, ids_of("graphs", [7])[0], True)
    found = rec.recommend(pw, user, limit=50, days=10)
    shown = {r.paper.id for r in found.items}
    assert not shown & set(liked + ids_of("graphs", [6, 7]))
    assert found.items, "other graph papers are still recommended"


def test_saved_papers_alone_are_positive_signals(corpus, make_user, pw):
    user = make_user()
    collection(corpus, user, "robots", *ids_of("robots", range(0, 6)))
    found = rec.recommend(pw, user, limit=5, days=10)
    assert topics(found)[:3] == ["robots"] * 3


def test_thumbs_down_pushes_a_topic_below_the_liked_one(corpus, make_user, pw):
    user = make_user()
    rate(corpus, user, ids_of("video", range(0, 6)) + ids_of("graphs", range(0, 6)))
    before = topics(rec.recommend(pw, user, limit=40, days=10))
    rate(corpus, user, ids_of("graphs", range(6, 14)), -1)
    after = topics(rec.recommend(pw, user, limit=40, days=10))
    assert after[:10].count("graphs") < before[:10].count("graphs"), (before[:10], after[:10])


def test_a_new_rating_changes_the_next_list(corpus, make_user, pw):
    user = make_user()
    rate(corpus, user, ids_of("speech", range(0, 6)))
    assert topics(rec.recommend(pw, user, limit=3, days=10)) == ["speech"] * 3
    rate(corpus, user, ids_of("speech", range(0, 6)), -1)
    rate(corpus, user, ids_of("robots", range(0, 6)))
    assert topics(rec.recommend(pw, user, limit=3, days=10)) == ["robots"] * 3


def test_interests_text_alone_starts_a_centroid_model_with_its_terms_as_reason(corpus, make_user, pw):
    user = make_user()
    report = rec.set_interests(corpus, user, "speaker diarization and speech separation")
    assert report.interests.startswith("speaker")
    found = rec.recommend(pw, user, limit=5, days=10)
    assert found.model == "centroid"
    assert topics(found)[:3] == ["speech"] * 3
    assert found.items[0].reason.startswith("Matches your interests:")


def test_liked_papers_named_at_onboarding_are_rated_up_and_unknown_ones_reported(corpus, make_user):
    user = make_user()
    report = rec.set_interests(corpus, user, "", "2606.20001\nhttps://arxiv.org/abs/2606.20002\n2601.99999")
    assert report.matched == ["2606.20001", "2606.20002"]
    assert report.unmatched == ["2601.99999"]
    assert {r["paper_id"]: r["value"] for r in community.my_ratings(corpus, user)} == {"2606.20001": 1, "2606.20002": 1}


def test_each_reason_names_terms_of_the_recommended_paper(corpus, make_user, pw):
    user = make_user()
    rate(corpus, user, ids_of("video", range(0, 8)))
    for r in rec.recommend(pw, user, limit=5, days=10).items:
        assert r.reason.startswith("Matches: "), r.reason
        words = r.reason.removeprefix("Matches: ").split(", ")
        text = (r.paper.title + " " + r.paper.summary).lower()
        assert all(w in text for w in words), (r.reason, text)


def test_category_and_period_filters_limit_the_candidates(corpus, make_user, pw):
    user = make_user()
    rate(corpus, user, ids_of("speech", range(0, 6)))
    found = rec.recommend(pw, user, limit=20, category="cs.RO", days=10)
    assert found.items and set(topics(found)) == {"robots"}
    since = datetime(2026, 6, 30)
    found = rec.recommend(pw, user, since=since, until=datetime(2026, 7, 1), limit=50)
    assert found.items and all(r.paper.published >= since for r in found.items)


def test_papers_already_sent_are_excluded(corpus, make_user, pw):
    user = make_user()
    rate(corpus, user, ids_of("speech", range(0, 6)))
    first = rec.recommend(pw, user, limit=3, days=10)
    again = rec.recommend(pw, user, limit=3, days=10, exclude={r.paper.id for r in first.items})
    assert not {r.paper.id for r in first.items} & {r.paper.id for r in again.items}


def test_readers_who_saved_the_same_paper_drive_a_collaborative_reason_without_naming_anyone(corpus, make_user, pw):
    # four other readers each liked one speech paper A together with one graph paper B
    a, b = ids_of("speech", [0])[0], ids_of("graphs", [3])[0]
    for _ in range(4):
        other = make_user("secretreader")
        rate(corpus, other, [a, b])
    user = make_user()
    rate(corpus, user, [a] + ids_of("speech", range(1, 4)))
    rec.forget_user(pw, -1)  # the co-saves were read before these ratings existed
    found = rec.recommend(pw, user, limit=10, days=10)
    assert found.collaborative
    by_id = {r.paper.id: r for r in found.items}
    assert b in by_id, [r.paper.id for r in found.items]
    assert by_id[b].reason.startswith("Readers of “")
    assert all("secretreader" not in r.reason and "@" not in r.reason for r in found.items)


def test_deleting_an_account_removes_its_ratings_from_the_co_saves(corpus, make_user, pw):
    a, b = ids_of("speech", [0])[0], ids_of("graphs", [3])[0]
    others = [make_user("other", password=True) for _ in range(3)]
    for other in others:
        rate(corpus, other, [a, b])
    user = make_user()
    rate(corpus, user, [a] + ids_of("speech", range(1, 4)))
    rec.forget_user(pw, -1)
    assert rec.recommend(pw, user, limit=10, days=10).collaborative
    for other in others:
        acc.delete_account(pw, other, PASSWORD)
    found = rec.recommend(pw, user, limit=10, days=10)
    assert not found.collaborative
    assert all(not r.reason.startswith("Readers of") for r in found.items)


def test_deleting_an_account_deletes_its_interests_and_ratings(corpus, make_user, pw):
    user = make_user(password=True)
    rec.set_interests(corpus, user, "robots", "2606.40001")
    acc.delete_account(pw, user, PASSWORD)
    assert rec.profile(corpus, user.pk).empty


def test_papers_to_rate_first_are_unrated_matches_of_the_interests(corpus, make_user, pw):
    user = make_user()
    rec.set_interests(corpus, user, "graph neural network message passing", "2606.30001")
    papers = rec.to_rate(pw, user, limit=10)
    assert len(papers) == 10
    assert "2606.30001" not in {p.id for p in papers}
    assert sum(topic_of(p.id) == "graphs" for p in papers) >= 6


def test_the_list_is_diverse_not_near_copies(corpus, make_user, pw):
    user = make_user()
    rate(corpus, user, ids_of("speech", range(0, 4)) + ids_of("robots", range(0, 4)))
    found = rec.recommend(pw, user, limit=6, days=10)
    assert set(topics(found)) == {"speech", "robots"}


def test_an_inactive_user_gets_the_centroid_model_and_an_active_one_a_refit(corpus, make_user, pw):
    from sqlalchemy import update

    from paperwire.store.schema_accounts import ratings

    idle, busy = make_user(), make_user()
    rate(corpus, idle, ids_of("robots", range(0, 6)))
    rate(corpus, busy, ids_of("robots", range(0, 6)))
    with corpus.transaction() as conn:  # the idle reader's signals are years old
        conn.execute(update(ratings).where(ratings.c.user_pk == idle.pk).values(updated_at=datetime(2000, 1, 1)))
    assert rec.recommend(pw, idle, days=10, active_days=30).model == "centroid"
    assert rec.recommend(pw, busy, days=10, active_days=30).model == "linear"
    assert rec.recommend(pw, idle, days=10).model == "linear"  # asking for the list always refits


def test_typed_interests_keep_counting_after_off_topic_ratings(corpus, make_user, pw):
    user = make_user()
    rec.set_interests(corpus, user, "speaker diarization and speech separation")
    rate(corpus, user, ids_of("graphs", range(0, 4)))  # four ratings on another topic: the linear model
    found = rec.recommend(pw, user, limit=10, days=10)
    assert found.model == "linear"
    shown = topics(found)
    assert shown.count("speech") >= 3 and shown.count("graphs") >= 3, shown
    speech = [r.reason for r in found.items if topic_of(r.paper.id) == "speech"]
    assert any(line.startswith("Matches your interests:") for line in speech), speech


def test_changing_the_interests_text_changes_the_next_list(corpus, make_user, pw):
    user = make_user()
    rate(corpus, user, ids_of("graphs", range(0, 4)))
    rec.set_interests(corpus, user, "robot manipulation and dexterous grasping")
    first = topics(rec.recommend(pw, user, limit=10, days=10))
    rec.set_interests(corpus, user, "video diffusion and frame interpolation")
    second = topics(rec.recommend(pw, user, limit=10, days=10))
    assert "robots" in first and "robots" not in second and "video" in second


def test_a_saved_papers_reason_says_saved_not_liked(corpus, make_user, pw, monkeypatch):
    from paperwire.rank import reasons

    fake_embeddings(pw)  # the "because you ..." line compares embeddings
    user = make_user()
    collection(corpus, user, "Reading list", *ids_of("speech", range(0, 6)))
    monkeypatch.setattr(reasons, "LIKED_SIMILARITY", -1.0)  # every paper is close to a saved one (fake vectors are noisy)
    lines = [r.reason for r in rec.recommend(pw, user, limit=8, days=10).items]
    assert lines and all(line.startswith("Because you saved “") for line in lines), lines
