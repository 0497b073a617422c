"""Votes, ratings, collections, follows, comments and API tokens (SQLite and PostgreSQL), with the
security properties: escaped text, private things are 404 to others, exact counts under concurrency."""
from __future__ import annotations

import re
import threading

from fastapi.testclient import TestClient

from paperwire.services import accounts as svc
from paperwire.store import accounts as db
from paperwire.web.pages import PageCache
from tests.browsing import HTML, csrf, post, signup
from tests.factories import account, api_token, bearer, paper, verify

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_upvotes_toggle_in_place_and_add_to_the_imported_count(client, store, new_client):
    p = paper(store, title="Voted paper", published="2026-01-14", upvotes=7)
    signup(client, "v1@example.org")
    page = client.get("/").text
    assert 'hx-post="/vote"' in page and "▲ 7" in page and "imported from Hugging Face" in page
    token = csrf(client, "/")
    fragment = client.post("/vote", data={"csrf": token, "paper": p.id, "on": "1"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "▲ 8" in fragment.text and 'aria-pressed="true"' in fragment.text
    assert "<html" not in fragment.text  # only the button is swapped
    client.post("/vote", data={"csrf": token, "paper": p.id, "on": "1"}, headers={"HX-Request": "true"})  # twice: still one
    assert db.vote_counts(store, [p.pk]) == {p.pk: 1}
    anonymous = new_client()
    assert "▲ 8" in anonymous.get(f"/papers/{p.id}").text
    assert "7 imported from Hugging Face, 1 here" in anonymous.get("/").text
    undone = client.post("/vote", data={"csrf": token, "paper": p.id, "on": "0"}, headers={"HX-Request": "true"})
    assert "▲ 7" in undone.text and 'aria-pressed="false"' in undone.text
    assert client.post("/vote", data={"csrf": token, "paper": "9999.99999"}).status_code == 404


def test_concurrent_votes_keep_the_count_exact(app, store):
    p = paper(store, published="2026-01-14", upvotes=3)
    clients = []
    for i in range(12):
        reader = account(store, f"c{i}@example.org")
        c = TestClient(app, headers=HTML)
        from paperwire.web.http import SESSION_COOKIE
        from itsdangerous import Signer

        c.cookies.set(SESSION_COOKIE, Signer("test-secret-key", salt="session").sign(svc.start_session(store, reader)).decode())
        clients.append((c, csrf(c, "/account")))
    barrier = threading.Barrier(len(clients))
    statuses = []

    def hit(c, token):
        barrier.wait()
        for _ in range(3):  # the same user voting again changes nothing
            statuses.append(c.post("/vote", data={"csrf": token, "paper": p.id, "on": "1"}, follow_redirects=False).status_code)

    threads = [threading.Thread(target=hit, args=pair) for pair in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(statuses) == {303}
    assert db.vote_counts(store, [p.pk]) == {p.pk: 12}
    assert store.get_paper(p.id).upvotes == 3  # the imported count is kept as it was
    for c, _ in clients:
        c.close()


def test_ratings_are_private(client, store, new_client):
    p = paper(store, published="2026-01-14")
    signup(client, "r1@example.org")
    token = csrf(client, "/")
    assert client.post("/rate", data={"csrf": token, "paper": p.id, "value": "1"}, headers={"HX-Request": "true"}).status_code == 200
    assert client.post("/rate", data={"csrf": token, "paper": p.id, "value": "7"}).status_code == 400
    other = new_client()
    signup(other, "r2@example.org")
    assert 'class="thumb on"' in client.get("/").text
    assert 'class="thumb on"' not in other.get("/").text
    alice = db.user_by_email(store, "r1@example.org")
    bob = db.user_by_email(store, "r2@example.org")
    assert other.get("/api/me/ratings", headers=bearer(api_token(store, bob, "b"))).json() == {"ratings": []}
    assert client.get("/api/me/ratings", headers=bearer(api_token(store, alice, "a"))).json() == {
        "ratings": [{"paper_id": p.id, "value": 1}]}


def test_private_collections_are_404_to_everyone_else(client, store, new_client):
    p = paper(store, published="2026-01-14")
    signup(client, "owner@example.org")
    made = post(client, "/collections", {"name": "Secret list"})
    pk = int(made.headers["location"].rsplit("/", 1)[1])
    token = csrf(client, "/")
    assert client.post("/collect", data={"csrf": token, "paper": p.id, "collection": str(pk)}, follow_redirects=False).status_code == 303
    assert p.title in client.get(f"/collections/{pk}").text
    anonymous, intruder = new_client(), new_client()
    signup(intruder, "intruder@example.org")
    itoken = csrf(intruder, "/")
    for c in (anonymous, intruder):
        for path in (f"/collections/{pk}", f"/collections/{pk}.bib", f"/collections/{pk}.json"):
            assert c.get(path).status_code == 404
    assert intruder.post("/collect", data={"csrf": itoken, "paper": p.id, "collection": str(pk), "action": "remove"}).status_code == 404
    for action in ("edit", "delete", "import"):
        assert intruder.post(f"/collections/{pk}/{action}", data={"csrf": itoken, "name": "mine", "ids": p.id}).status_code == 404
    intruder_token = api_token(store, db.user_by_email(store, "intruder@example.org"), "t")
    assert anonymous.get(f"/api/me/collections/{pk}", headers=bearer(intruder_token)).status_code == 404
    assert db.collection_paper_ids(store, pk) == [p.id]
    # made public: a shareable read-only URL
    post(client, f"/collections/{pk}/edit", {"name": "Shared list", "public": "1"})
    slug = db.get_collection(store, pk).slug
    assert "Shared list" in anonymous.get(f"/collections/{slug}").text
    assert anonymous.get(f"/collections/{pk}").status_code == 404  # a public link is the slug, never the reusable pk
    assert intruder.post(f"/collections/{pk}/delete", data={"csrf": itoken}).status_code == 404


def test_collections_export_and_import(client, store):
    a = paper(store, id="2601.00001", title="First $x^2$ paper", published="2026-01-14")
    b = paper(store, id="2601.00002", title="Second paper", published="2026-01-13")
    signup(client, "io@example.org")
    pk = int(post(client, "/collections", {"name": "IO"}).headers["location"].rsplit("/", 1)[1])
    imported = post(client, f"/collections/{pk}/import", {"ids": "arXiv:2601.00001v2\nhttps://arxiv.org/abs/2601.00002 9912.99999"},
                    from_page=f"/collections/{pk}")  # fmt: skip
    assert imported.status_code == 200 and "2 added" in imported.text and "9912.99999" in imported.text
    bib = client.get(f"/collections/{pk}.bib").text
    assert "eprint        = {2601.00001}" in bib and "2601.00002" in bib
    data = client.get(f"/collections/{pk}.json").json()
    assert {x["id"] for x in data["papers"]} == {a.id, b.id}
    pk2 = int(post(client, "/collections", {"name": "From BibTeX"}).headers["location"].rsplit("/", 1)[1])
    files = {"file": ("refs.bib", bib + "\n@misc{unknown2026, title={Not here}}\n", "text/plain")}
    token = csrf(client, f"/collections/{pk2}")
    result = client.post(f"/collections/{pk2}/import", data={"csrf": token}, files=files)
    assert result.status_code == 200 and "2 added" in result.text and "unknown2026" in result.text
    assert post(client, f"/collections/{pk2}/import", {"ids": "   "}, from_page=f"/collections/{pk2}").status_code == 400


def test_xss_payloads_in_collection_names_and_comments_are_shown_as_text(client, store):
    p = paper(store, published="2026-01-14")
    signup(client, "x@example.org")
    verify(store, "x@example.org")
    pk = int(post(client, "/collections", {"name": XSS, "description": XSS}).headers["location"].rsplit("/", 1)[1])
    token = csrf(client, "/")
    client.post("/collect", data={"csrf": token, "paper": p.id, "collection": str(pk)})
    client.post("/comments", data={"csrf": token, "paper": p.id, "body": f"**bold** {XSS} [link](javascript:alert(1))"})
    for path in (f"/collections/{pk}", "/collections", "/", f"/papers/{p.id}"):
        html = client.get(path).text
        assert "<script>alert" not in html and "<img src=x" not in html, path
        assert "javascript:alert" not in re.sub(r"\[link\]\(javascript:alert\(1\)\)", "", html), path
    page = client.get(f"/papers/{p.id}").text
    assert "<strong>bold</strong>" in page and "&lt;script&gt;" in page
    assert "&lt;script&gt;" in client.get(f"/collections/{pk}").text


def test_comments_edit_delete_and_admin_hide(client, store, new_client):
    p = paper(store, published="2026-01-14")
    signup(client, "w@example.org")
    assert post(client, "/comments", {"paper": p.id, "body": "hello"}, from_page="/").status_code == 403  # unverified
    verify(store, "w@example.org")
    assert post(client, "/comments", {"paper": p.id, "body": "First thoughts"}, from_page="/").status_code == 303
    comment = db.paper_comments(store, p.pk)[0]
    post(client, f"/comments/{comment.pk}/edit", {"body": "Second thoughts"}, from_page="/")
    assert "Second thoughts" in client.get(f"/papers/{p.id}").text
    other = new_client()
    signup(other, "o@example.org")
    assert post(other, f"/comments/{comment.pk}/delete", from_page="/").status_code == 404
    assert post(other, f"/comments/{comment.pk}/hide", from_page="/").status_code == 404
    db.update_user(store, db.user_by_email(store, "o@example.org").pk, is_admin=True)
    assert post(other, f"/comments/{comment.pk}/hide", from_page="/").status_code == 303
    assert "Second thoughts" not in new_client().get(f"/papers/{p.id}").text
    assert post(client, f"/comments/{comment.pk}/delete", from_page="/").status_code == 303
    assert db.paper_comments(store, p.pk, include_hidden=True) == []


def test_api_tokens_are_hashed_revocable_and_private(client, store, new_client):
    p = paper(store, published="2026-01-14", upvotes=2)
    signup(client, "api@example.org")
    page = post(client, "/account/tokens", {"name": "laptop"})
    secret = page.text.split('id="new-token">')[1].split("<")[0]
    with store.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT token_hash FROM api_tokens").scalars().all()
    assert stored == [svc.digest(secret)] and secret not in str(stored)
    api = new_client()
    assert api.get("/api/me").status_code == 401
    assert api.get("/api/me", headers=bearer("pw_forged")).status_code == 401
    body = api.get("/api/me", headers=bearer(secret)).json()
    assert body["email"] == "api@example.org"
    voted = api.put(f"/api/me/votes/{p.id}", headers=bearer(secret)).json()
    assert voted["upvotes"] == 3 and voted["importedUpvotes"] == 2
    assert api.put("/api/me/votes/9999.99999", headers=bearer(secret)).json()["detail"]
    assert api.put(f"/api/me/ratings/{p.id}", headers=bearer(secret), content=b"{not json").status_code == 400
    assert api.put(f"/api/me/ratings/{p.id}", headers=bearer(secret), json={"value": "1"}).status_code == 400
    assert api.post("/api/me/collections", headers=bearer(secret), json={"name": ""}).status_code == 400
    made = api.post("/api/me/collections", headers=bearer(secret), json={"name": "Via API"}).json()
    assert api.put(f"/api/me/collections/{made['id']}/papers/{p.id}", headers=bearer(secret)).status_code == 200
    assert api.put("/api/me/follows", headers=bearer(secret), json={"kind": "category", "target": "cs.CL"}).status_code == 200
    assert api.put("/api/me/follows", headers=bearer(secret), json={"kind": "planet"}).status_code == 400
    # another user cannot revoke it; the owner can, and it stops working at once
    token_pk = db.user_tokens(store, db.user_by_email(store, "api@example.org").pk)[0].pk
    intruder = new_client()
    signup(intruder, "intruder2@example.org")
    assert post(intruder, f"/account/tokens/{token_pk}/revoke").status_code == 404
    assert secret not in intruder.get("/account").text
    assert post(client, f"/account/tokens/{token_pk}/revoke").status_code == 303
    assert api.get("/api/me", headers=bearer(secret)).status_code == 401


def test_follows_make_a_following_feed(client, store):
    followed = paper(store, title="Parsing things", categories=["cs.CL"], published="2026-01-14")
    paper(store, title="Robots", categories=["cs.RO"], published="2026-01-14")
    signup(client, "f@example.org")
    assert post(client, "/follow", {"kind": "category", "target": "cs.CL"}, from_page="/following").status_code == 303
    page = client.get("/following").text
    assert followed.title in page and "Robots" not in page
    assert post(client, "/follow", {"kind": "nonsense", "target": "x"}, from_page="/following").status_code == 400


def test_page_cache_never_serves_one_users_page_to_another(client, store, new_client):
    client.app.state.page_cache = None  # the real cache
    p = paper(store, published="2026-01-14")
    signup(client, "cache@example.org")
    token = csrf(client, "/account")
    client.post("/vote", data={"csrf": token, "paper": p.id, "on": "1"})
    assert "cache@example.org" in client.get("/").text or "Log out" in client.get("/").text
    anonymous = new_client()
    assert "Log out" not in anonymous.get("/").text
    assert anonymous.cookies.get("pw_session") is None
    client.app.state.page_cache = PageCache(lambda: None)
