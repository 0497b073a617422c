"""The small things of a reader's first day (SQLite and PostgreSQL): "Save" puts a paper on a default
"Reading list" in one click (other collections in the menu beside it), sign-up lands on For-you's start
(a given next= wins), and the digest page is pre-filled for a signed-in reader."""
from __future__ import annotations

import re

import pytest

from paperwire.services import collections as coll_svc
from paperwire.services import digest as digest_svc
from paperwire.store import accounts as db
from paperwire.store import digest as digest_db
from tests.browsing import HTML, csrf, signup
from tests.factories import collection, paper


def _user(store, email):
    return db.user_by_email(store, email)


def _save(client, paper_id: str, action: str = "add", collection_ref: str = "reading-list"):
    token = csrf(client, "/")
    return client.post("/collect", data={"csrf": token, "paper": paper_id, "collection": collection_ref,
                                         "action": action}, follow_redirects=False)  # fmt: skip


def test_save_puts_the_paper_on_a_reading_list_made_on_first_use(client, store):
    first, second = paper(store, published="2026-01-14"), paper(store, published="2026-01-14")
    signup(client, "saver@example.org")
    assert _save(client, first.id).status_code == 303 and _save(client, second.id).status_code == 303
    lists = db.user_collections(store, _user(store, "saver@example.org").pk)
    assert [c.name for c in lists] == ["Reading list"] and not lists[0].is_public
    assert {p.id for p in coll_svc.papers(store, lists[0])} == {first.id, second.id}


def test_save_again_takes_the_paper_off_the_reading_list(client, store):
    p = paper(store, published="2026-01-14")
    signup(client, "unsaver@example.org")
    _save(client, p.id)
    _save(client, p.id, action="remove")
    (reading,) = db.user_collections(store, _user(store, "unsaver@example.org").pk)
    assert coll_svc.papers(store, reading) == []


def test_a_card_offers_one_click_save_and_a_menu_of_the_other_collections(client, store):
    p = paper(store, published="2026-01-14")
    signup(client, "menu@example.org")
    collection(store, _user(store, "menu@example.org"), "Thesis")
    card = client.get("/day/2026-01-14?list=new").text
    assert re.search(r'name="collection" value="reading-list"><input type="hidden" name="action" value="add">\s*'
                     r'<button type="submit" class="save" aria-pressed="false"[^>]*>Save</button>', card)  # fmt: skip
    assert re.search(r'<details class="collect-more">.*?>Thesis</button>', card, re.S)
    _save(client, p.id)
    assert re.search(r'<button type="submit" class="save on" aria-pressed="true"[^>]*>Saved ✓</button>',
                     client.get("/day/2026-01-14?list=new").text)  # fmt: skip


def test_save_as_an_htmx_request_swaps_the_save_block_in_place(client, store):
    p = paper(store, published="2026-01-14")
    signup(client, "htmx@example.org")
    token = csrf(client, "/")
    fragment = client.post("/collect", data={"csrf": token, "paper": p.id, "collection": "reading-list"},
                           headers={"HX-Request": "true"})  # fmt: skip
    assert fragment.status_code == 200 and fragment.text.lstrip().startswith('<div class="collect">')
    assert "Saved ✓" in fragment.text and "<html" not in fragment.text


class TestWithoutEmail:  # sign-up signs in at once (with email, the confirmation link lands there: test_accounts)
    @pytest.fixture
    def pw_settings(self):
        return {"secret_key": "test-secret-key"}

    def test_sign_up_lands_on_the_for_you_start(self, client):
        response = signup(client, "starter@example.org")
        assert response.headers["location"].startswith("/for-you/start")
        assert "Welcome to paperwire" in client.get(response.headers["location"]).text

    def test_sign_up_with_next_returns_to_that_page_instead(self, client, store):
        p = paper(store, published="2026-01-14")
        response = signup(client, "returner@example.org", next=f"/papers/{p.id}")
        assert response.headers["location"] == f"/papers/{p.id}"


def test_the_digest_page_is_pre_filled_with_a_signed_in_readers_email(client):
    signup(client, "digest-reader@example.org")
    page = client.get("/digest").text
    assert re.search(r'<input id="email" name="email" type="email"[^>]*value="digest-reader@example.org"', page)


def test_the_digest_page_shows_a_subscribed_readers_current_preferences(client, store):
    signup(client, "weekly-reader@example.org")
    user = _user(store, "weekly-reader@example.org")
    db.update_user(store, user.pk, email_verified_at=db.utcnow())
    subscriber = digest_svc.subscribe_account(store, _user(store, "weekly-reader@example.org"))
    digest_db.update_prefs(store, subscriber.pk, frequency="weekly", send_hour=6)
    page = client.get("/digest").text
    assert 'value="weekly" checked' in page and '<option value="6" selected>06:00</option>' in page
    assert "weekly-reader@example.org gets the weekly digest" in page


def test_a_signed_out_visitor_gets_the_empty_digest_form(new_client):
    page = new_client().get("/digest", headers=HTML).text
    assert re.search(r'<input id="email" name="email" type="email"[^>]*value=""', page)
