"""The start every paper action shares (the ``paper_action`` dependency of ``web.accounts``): a user,
a valid CSRF token, the rate limit, and the paper the form names (SQLite and PostgreSQL)."""
from __future__ import annotations

from paperwire.services.ratelimit import RateLimiter
from paperwire.store import accounts as db
from tests.browsing import csrf, post, signup
from tests.factories import paper


def test_a_paper_action_without_a_user_redirects_to_the_log_in_page(client, store):
    p = paper(store, published="2026-01-14")
    page = f"http://testserver/papers/{p.id}"
    response = post(client, "/vote", {"paper": p.id, "on": "1"}, headers={"Referer": page})
    assert response.status_code == 303
    assert response.headers["location"] == f"/account/login?next=%2Fpapers%2F{p.id}&reason=vote"
    assert db.vote_counts(store, [p.pk]) == {}


def test_a_paper_action_without_the_csrf_token_is_refused(client, store):
    p = paper(store, published="2026-01-14")
    signup(client, "nocsrf@example.org")
    assert client.post("/rate", data={"paper": p.id, "value": "1"}, follow_redirects=False).status_code == 403


def test_a_paper_action_over_its_rate_limit_is_a_429_with_retry_after(app, client, store):
    app.state.rate_limiter = RateLimiter(rules={"vote": "1/minute"})
    p = paper(store, published="2026-01-14")
    signup(client, "fast@example.org")
    token = csrf(client, "/")
    assert client.post("/vote", data={"csrf": token, "paper": p.id}, follow_redirects=False).status_code == 303
    second = client.post("/vote", data={"csrf": token, "paper": p.id, "on": "0"}, follow_redirects=False)
    assert second.status_code == 429 and int(second.headers["Retry-After"]) > 0
    assert db.vote_counts(store, [p.pk]) == {p.pk: 1}


def test_a_paper_action_finds_the_paper_by_a_versioned_or_wrapped_arxiv_id(client, store):
    p = paper(store, id="2601.04321", published="2026-01-14")
    signup(client, "wrapped@example.org")
    token = csrf(client, "/")
    response = client.post("/vote", data={"csrf": token, "paper": f"arXiv:{p.id}v3"}, follow_redirects=False)
    assert response.status_code == 303 and db.vote_counts(store, [p.pk]) == {p.pk: 1}


def test_a_paper_action_on_an_id_that_cannot_exist_is_a_404(client):
    signup(client, "odd@example.org")
    token = csrf(client, "/")
    for odd in ("a\x00b", "x" * 300, ""):  # a NUL is refused at the input boundary (400), before any lookup
        expected = 400 if "\x00" in odd else 404
        assert client.post("/collect", data={"csrf": token, "paper": odd, "collection": "1"}).status_code == expected, odd
