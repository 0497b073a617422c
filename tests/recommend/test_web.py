"""The "For you" page, its onboarding, and ``/api/me/recommendations`` driven through the app (SQLite
and PostgreSQL): what a signed-in reader sees, and the API's answers and refusals."""
from __future__ import annotations

import re

from paperwire.services import recommend as rec
from paperwire.store import accounts as db
from tests.browsing import csrf, post, signup
from tests.factories import api_token, bearer, paper
from tests.recommend.conftest import ids_of, rate, topic_of


def api_headers(store, email: str) -> dict:
    """The headers of a new API token of the account of ``email``."""
    return bearer(api_token(store, db.user_by_email(store, email)))


def test_for_you_asks_a_signed_out_visitor_to_log_in(client, corpus):
    response = client.get("/for-you", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/account/login")


def test_a_new_reader_is_sent_to_onboarding_then_rates_then_sees_reasons(client, corpus):
    signup(client, "new@example.org")
    first = client.get("/for-you", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/for-you/start"
    step2 = post(client, "/for-you/start", {"interests": "speech separation, speaker diarization",
                                             "liked": "2606.20001\n2699.00001"}, from_page="/for-you/start")  # fmt: skip
    assert step2.status_code == 200, step2.text[:500]
    assert "Rate a few papers" in step2.text and "Not on paperwire (skipped): 2699.00001" in step2.text
    cards = re.findall(r'<h2 class="title"><a class="math" href="/papers/([\d.]+)"', step2.text)
    assert len(cards) == 10 and "2606.20001" not in cards
    token = csrf(client, "/for-you/rate")
    for pid in cards[:3]:
        assert client.post("/rate", data={"csrf": token, "paper": pid, "value": "1"},
                           headers={"HX-Request": "true"}).status_code == 200  # fmt: skip
    page = client.get("/for-you?days=30")
    assert page.status_code == 200
    shown = re.findall(r'<h2 class="title"><a class="math" href="/papers/([\d.]+)"', page.text)
    assert shown and not set(shown) & set(cards[:3] + ["2606.20001"])
    assert topic_of(shown[0]) == "speech"
    assert len(re.findall(r'<p class="reason">', page.text)) == len(shown)
    assert 'aria-current="page">For you' in page.text


def test_for_you_page_filters_by_category(client, corpus):
    signup(client, "cat@example.org")
    rate(corpus, db.user_by_email(corpus, "cat@example.org"), ids_of("speech", range(0, 5)))
    page = client.get("/for-you?days=30&category=cs.RO")
    shown = re.findall(r'href="/papers/([\d.]+)"', page.text)
    assert shown and {topic_of(p) for p in shown} == {"robots"}
    assert client.get("/for-you?category=%3Cscript%3E").status_code == 400


def test_the_api_lists_recommendations_with_reasons_in_the_papers_shape(client, corpus):
    signup(client, "api@example.org")
    rate(corpus, db.user_by_email(corpus, "api@example.org"), ids_of("graphs", range(0, 6)))
    body = client.get("/api/me/recommendations?days=10&limit=5", headers=api_headers(corpus, "api@example.org")).json()
    assert body["model"] == "linear" and len(body["recommendations"]) == 5
    first = body["recommendations"][0]
    assert set(first) == {"paper", "reason", "score"} and first["reason"]
    assert {"id", "title", "summary", "authors", "publishedAt", "upvotes"} <= set(first["paper"])
    assert topic_of(first["paper"]["id"]) == "graphs"
    since = client.get("/api/me/recommendations?since=2026-06-30&limit=50", headers=api_headers(corpus, "api@example.org")).json()
    assert since["since"] == "2026-06-30" and all(r["paper"]["publishedAt"] >= "2026-06-30" for r in since["recommendations"])


def test_the_api_refuses_bad_parameters_with_json_400(client, corpus):
    signup(client, "bad@example.org")
    auth = api_headers(corpus, "bad@example.org")
    for query in ("since=yesterday", "limit=0", "limit=101", "days=0", "since=2026-06-02&until=2026-06-01",
                  "category=%22%3B--", "offset=-1"):  # fmt: skip
        response = client.get(f"/api/me/recommendations?{query}", headers=auth)
        assert response.status_code == 400, query
        assert "detail" in response.json()


def test_the_api_needs_a_token_and_each_user_sees_only_their_own_list(client, corpus, new_client):
    assert client.get("/api/me/recommendations").status_code == 401
    signup(client, "one@example.org")
    other = new_client()
    signup(other, "two@example.org")
    rate(corpus, db.user_by_email(corpus, "one@example.org"), ids_of("video", range(0, 6)))
    rate(corpus, db.user_by_email(corpus, "two@example.org"), ids_of("robots", range(0, 6)))
    one = client.get("/api/me/recommendations?days=10&limit=3", headers=api_headers(corpus, "one@example.org")).json()
    two = client.get("/api/me/recommendations?days=10&limit=3", headers=api_headers(corpus, "two@example.org")).json()
    assert {topic_of(r["paper"]["id"]) for r in one["recommendations"]} == {"video"}
    assert {topic_of(r["paper"]["id"]) for r in two["recommendations"]} == {"robots"}


def test_interests_through_the_api_start_the_cold_start_model(client, corpus):
    signup(client, "cold@example.org")
    auth = api_headers(corpus, "cold@example.org")
    empty = client.get("/api/me/recommendations", headers=auth).json()
    assert empty["model"] == "none" and empty["recommendations"] == []
    saved = client.put("/api/me/interests", json={"interests": "legged locomotion", "papers": ["2606.40002", "nope"]},
                       headers=auth).json()  # fmt: skip
    assert saved == {"interests": "legged locomotion", "matched": ["2606.40002"], "unmatched": ["nope"]}
    assert client.get("/api/me/interests", headers=auth).json() == {"interests": "legged locomotion"}
    to_rate = client.get("/api/me/recommendations/to-rate?limit=5", headers=auth).json()["papers"]
    assert len(to_rate) == 5 and "2606.40002" not in {p["id"] for p in to_rate}
    listed = client.get("/api/me/recommendations?days=10&limit=3", headers=auth).json()
    assert listed["model"] == "centroid" and topic_of(listed["recommendations"][0]["paper"]["id"]) == "robots"
    assert client.put("/api/me/interests", json={"interests": 5}, headers=auth).status_code == 400
    assert client.put("/api/me/interests", json={"interests": "x" * 1001}, headers=auth).status_code == 400


def test_interests_form_without_csrf_is_refused(client, corpus):
    signup(client, "csrf@example.org")
    response = client.post("/for-you/start", data={"interests": "robots"}, follow_redirects=False)
    assert response.status_code == 403
    assert rec.interests(corpus, db.user_by_email(corpus, "csrf@example.org")) == ""


def test_a_reason_quoting_a_paper_title_shows_it_as_text(client, corpus, new_client, pw):
    xss = paper(corpus, id="2606.90001", title='<script>alert("x")</script> speech separation',
                summary="Speech separation with noisy audio.", published="2026-06-25")  # fmt: skip
    b = ids_of("graphs", [3])[0]
    for n in range(4):
        reader = new_client()
        signup(reader, f"reader{n}@example.org")
        rate(corpus, db.user_by_email(corpus, f"reader{n}@example.org"), [xss.id, b])
    signup(client, "me@example.org")
    rate(corpus, db.user_by_email(corpus, "me@example.org"), [xss.id] + ids_of("speech", range(0, 3)))
    rec.forget_user(pw, -1)
    page = client.get("/for-you?days=30").text
    assert "Readers of “&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; speech separation” also saved this" in page
    assert '<script>alert("x")</script>' not in page
