"""One truth for counts (``services.counts``): after one local vote and one local comment on a paper with
imported Hugging Face upvotes and comments, every page and every API object shows the same sums
(SQLite and PostgreSQL)."""
from __future__ import annotations

import re

import pytest

from paperwire.store import accounts as db
from tests.browsing import csrf, signup
from tests.factories import ingest, make_record

PID = "2401.00049"


@pytest.fixture
def voted(client, store):
    """A paper with 49 imported upvotes and 4 imported comments, a neighbour, and a reader who upvoted
    the paper and commented on it once (through the web forms)."""
    ingest(store, [make_record(id=PID, published="2024-01-09", title="Counting upvotes with diffusion", upvotes=49,
                               num_comments=4, summary="Diffusion models count upvotes."),
                   make_record(id="2401.00050", published="2024-01-09", title="Counting comments with diffusion",
                               summary="Diffusion models count comments too.")])  # fmt: skip
    signup(client, "voter@example.org")
    db.update_user(store, db.user_by_email(store, "voter@example.org").pk, email_verified_at=db.utcnow())
    token = csrf(client, "/")
    assert client.post("/vote", data={"csrf": token, "paper": PID, "on": "1"}, follow_redirects=False).status_code == 303
    assert client.post("/comments", data={"csrf": token, "paper": PID, "body": "Nice.", "next": f"/papers/{PID}"},
                       follow_redirects=False).status_code == 303  # fmt: skip
    return client


def _card(html: str, paper_id: str) -> str:
    cards = [c for c in html.split('<li class="card">') if f'href="/papers/{paper_id}"' in c]
    assert cards, html[:2000]
    return cards[0]


def _shown_votes(html: str) -> int:
    return int(re.search(r'<span class="count">▲ (\d+)</span>', html).group(1))


def _shown_comments(card: str) -> int:
    return int(re.search(r'<span class="comments">(\d+) comment', card).group(1))


def test_the_paper_page_and_every_api_object_show_the_same_upvotes(voted):
    page = voted.get(f"/papers/{PID}").text
    daily = {i["paper"]["id"]: i for i in voted.get("/api/daily_papers?date=2024-01-09").json()}
    searched = voted.get("/api/search", params={"q": "counting upvotes"}).json()["results"]
    hf_search = {i["paper"]["id"]: i for i in voted.get("/api/papers/search", params={"q": "upvotes"}).json()}
    similar = voted.get("/api/papers/2401.00050/similar").json()
    shown = {
        "paper page": _shown_votes(page),
        "day page card": _shown_votes(_card(voted.get("/day/2024-01-09?list=new").text, PID)),
        "/api/papers/{id}": voted.get(f"/api/papers/{PID}").json()["upvotes"],
        "/api/daily_papers item": daily[PID]["upvotes"],
        "/api/daily_papers paper": daily[PID]["paper"]["upvotes"],
        "/api/search": next(r["paper"]["upvotes"] for r in searched if r["paper"]["id"] == PID),
        "/api/papers/search": hf_search[PID]["paper"]["upvotes"],
        "similar": next(p["upvotes"] for p in similar if p["id"] == PID),
        "markdown": int(re.search(r"\*\*Upvotes:\*\* (\d+)", voted.get(f"/papers/{PID}.md").text).group(1)),
    }
    assert shown == dict.fromkeys(shown, 50)


def test_the_pages_and_every_api_object_show_the_same_comment_count(voted):
    daily = {i["paper"]["id"]: i for i in voted.get("/api/daily_papers?date=2024-01-09").json()}
    searched = voted.get("/api/search", params={"q": "counting upvotes"}).json()["results"]
    similar = voted.get("/api/papers/2401.00050/similar").json()
    page = voted.get(f"/papers/{PID}").text
    shown = {
        "paper page": int(re.search(r'<dt>Comments</dt><dd><a href="#comments">(\d+)</a>', page).group(1)),
        "day page card": _shown_comments(_card(voted.get("/day/2024-01-09?list=new").text, PID)),
        "/api/papers/{id}": voted.get(f"/api/papers/{PID}").json()["numComments"],
        "/api/daily_papers": daily[PID]["numComments"],
        "/api/search": next(r["paper"]["numComments"] for r in searched if r["paper"]["id"] == PID),
        "similar": next(p["numComments"] for p in similar if p["id"] == PID),
    }
    assert shown == dict.fromkeys(shown, 5)


def test_a_signed_out_reader_sees_the_same_sums(voted, new_client):
    reader = new_client()
    card = _card(reader.get("/day/2024-01-09?list=new").text, PID)
    assert (_shown_votes(card), _shown_comments(card)) == (50, 5)


def test_another_readers_recommendation_objects_show_the_same_sums(voted, store):
    from paperwire.services import recommend as rec
    from tests.factories import account, api_token, bearer

    other = account(store, "other@example.org")
    rec.set_interests(store, other, "diffusion models counting upvotes and comments", "")
    headers = bearer(api_token(store, other))
    to_rate = {p["id"]: p for p in voted.get("/api/me/recommendations/to-rate", headers=headers).json()["papers"]}
    listed = voted.get("/api/me/recommendations?since=2024-01-01&until=2024-02-01", headers=headers).json()
    recommended = {r["paper"]["id"]: r["paper"] for r in listed["recommendations"]}
    assert (to_rate[PID]["upvotes"], to_rate[PID]["numComments"]) == (50, 5)
    assert (recommended[PID]["upvotes"], recommended[PID]["numComments"]) == (50, 5)


def test_the_digest_preview_page_shows_the_same_upvotes(voted):
    card = _card(voted.get("/digest/preview?date=2024-01-10").text, PID)  # the sample digest: trending papers
    assert re.search(r"▲ (\d+)", card).group(1) == "50"
