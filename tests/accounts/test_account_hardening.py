"""Accounts hardening (issue #20 items 8, 9, 11, 12, 14 and #19 item 5), on SQLite and PostgreSQL with a
real SMTP server: addresses, log-in throttling per (client, account), answers that do not tell whether
an address has an account, public names, API token revocation, and coming back to the page after log-in."""
from __future__ import annotations

import re
import statistics
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from paperwire.services import accounts as svc
from paperwire.services.ratelimit import RateLimiter
from paperwire.store import accounts as db
from paperwire.store.schema_accounts import users
from tests.browsing import HTML, csrf, login, post, signup
from tests.factories import PASSWORD, api_token, bearer, paper, verify


def from_address(app, host: str) -> TestClient:
    """A browser on another machine (the rate limits key on the client address)."""
    return TestClient(app, headers=HTML, client=(host, 40000))


def signup_post(client, email: str, password: str = PASSWORD, **extra):
    return post(client, "/account/signup", {"email": email, "password": password, "password2": password, **extra},
                from_page="/account/signup")  # fmt: skip


# -- item 9: one mailbox per address -----------------------------------------------------------------------
@pytest.mark.parametrize(("address", "says"), [
    ("postmaster,attacker-x@example.com", "no commas"),
    ("semi;colon@example.com", "no semicolons"),
    ("a<script>@example.com", "angle brackets"),
    ('quo"te@example.com', "quotation marks"),
    ("a\x00b@example.com", "must not contain NUL characters"),  # refused at the input boundary (web.guard)
    ("a\u200bb@example.com", "invisible or control character"),
])  # fmt: skip
def test_an_address_that_is_not_one_mailbox_is_refused_with_a_clear_message(client, store, mailbox, address, says):
    response = signup_post(client, address)
    assert response.status_code == 400 and says in response.text
    with store.connect() as conn:
        assert conn.execute(select(func.count()).select_from(users)).scalar_one() == 0
    assert mailbox.messages == []


def test_addresses_are_normalised_so_case_makes_no_second_account(client, store):
    signup(client, "Kelvin@Example.COM")
    assert db.user_by_email(store, "kelvin@example.com") is not None
    with pytest.raises(svc.AccountError):
        svc.sign_up(store, "KELVIN@example.com", PASSWORD)


# -- item 8: log-in throttling -------------------------------------------------------------------------------
FEW_FAILURES = {"login_failed": "2/15minutes", "login_failed_client": "3/15minutes"}  # fewer slow argon2 checks


def test_wrong_passwords_from_one_client_do_not_lock_the_owner_out_elsewhere(app, client):
    app.state.rate_limiter = RateLimiter(rules=FEW_FAILURES)
    signup(client, "owner@example.org")
    attacker = from_address(app, "203.0.113.66")
    statuses = [login(attacker, "owner@example.org", f"guess {i}").status_code for i in range(3)]
    assert statuses == [400, 400, 429]
    owner = from_address(app, "198.51.100.7")
    assert login(owner, "owner@example.org").status_code == 303
    assert post(owner, "/account/password", {"current_password": PASSWORD, "new_password": "a new long password"}
                ).status_code == 303  # fmt: skip


def test_one_client_guessing_across_many_accounts_is_throttled(app, client):
    app.state.rate_limiter = RateLimiter(rules={**FEW_FAILURES, "login": "1000/minute"})  # the wrong-password rules
    attacker = from_address(app, "203.0.113.67")
    statuses = [login(attacker, f"user{i}@example.org", "guess").status_code for i in range(4)]
    assert statuses == [400, 400, 400, 429]


def test_a_password_reset_clears_the_log_in_throttle(app, client, mailbox):
    app.state.rate_limiter = RateLimiter(rules=FEW_FAILURES)
    signup(client, "locked@example.org")
    client.cookies.clear()
    for i in range(2):
        login(client, "locked@example.org", f"wrong {i}")
    assert login(client, "locked@example.org").status_code == 429
    post(client, "/account/forgot", {"email": "locked@example.org"}, from_page="/account/forgot")
    link = mailbox.link("locked@example.org", "/account/reset")
    done = post(client, "/account/reset", {"token": link.split("token=")[1], "password": "the new password"},
                from_page=link)  # fmt: skip
    assert done.status_code == 200
    assert login(client, "locked@example.org", "the new password").status_code == 303


# -- item 11: the same answer whether or not the address has an account -------------------------------------
def _timed(fn) -> tuple[object, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def _close(a: list[float], b: list[float]) -> bool:
    """Loosely the same time: medians within a factor of three or 0.25 s (the mail work is not in either)."""
    ma, mb = statistics.median(a), statistics.median(b)
    return abs(ma - mb) < 0.25 or max(ma, mb) < 3 * min(ma, mb)


def test_sign_up_answers_the_same_for_a_new_and_an_existing_address(app, client, store, mailbox):
    signup(client, "taken@example.org")
    answers, times = {"new": [], "taken": []}, {"new": [], "taken": []}
    for i in range(2):
        for kind, email in (("new", f"fresh{i}@example.org"), ("taken", "TAKEN@example.org")):
            stranger = from_address(app, f"192.0.2.{10 * i + len(kind)}")
            response, took = _timed(lambda: signup_post(stranger, email))
            answers[kind].append((response.status_code, response.headers["location"], "set-cookie" in response.headers
                                  and "pw_session" in response.headers["set-cookie"]))  # fmt: skip
            times[kind].append(took)
    assert set(answers["new"]) == set(answers["taken"]) == {(303, "/account/signup/sent", False)}
    assert _close(times["new"], times["taken"]), times
    note = mailbox.last_to("taken@example.org")
    assert "already has one" in note.get_body(("plain",)).get_content()


def test_forgot_answers_the_same_for_a_known_and_an_unknown_address(app, client, mailbox):
    signup(client, "known@example.org")
    pages, times = {}, {"known": [], "unknown": []}
    for i in range(3):
        for kind, email in (("known", "known@example.org"), ("unknown", f"nobody{i}@example.org")):
            stranger = from_address(app, f"192.0.2.{100 + 10 * i + len(kind)}")
            response, took = _timed(lambda: post(stranger, "/account/forgot", {"email": email},
                                                 from_page="/account/forgot"))  # fmt: skip
            pages.setdefault(kind, set()).add((response.status_code, re.sub(r'value="[^"]*"', "", response.text)))
            times[kind].append(took)
    assert pages["known"] == pages["unknown"] and len(pages["known"]) == 1
    assert _close(times["known"], times["unknown"]), times
    assert mailbox.link("known@example.org", "/account/reset")
    assert not [m for m in mailbox.messages if m["To"].startswith("nobody")]


def test_forgot_is_rate_limited_per_address(app, client):
    codes = [post(from_address(app, f"192.0.2.{200 + i}"), "/account/forgot", {"email": "victim@example.org"},
                  from_page="/account/forgot").status_code for i in range(6)]  # fmt: skip
    assert codes[:5] == [200] * 5 and codes[5] == 429


# -- item 12: public names -----------------------------------------------------------------------------------
def test_the_email_local_part_is_never_shown_on_public_pages(client, store, new_client):
    p = paper(store, published="2026-01-14")
    signup(client, "kelvin@example.org")
    user = verify(store, "kelvin@example.org")
    post(client, "/comments", {"paper": p.id, "body": "Nice result"}, from_page=f"/papers/{p.id}")
    made = post(client, "/collections", {"name": "Open list", "public": "1"})
    pk = int(made.headers["location"].rsplit("/", 1)[1])
    slug = db.get_collection(store, pk).slug
    anonymous = new_client()
    for path in (f"/papers/{p.id}", f"/collections/{slug}"):
        text = anonymous.get(path).text
        assert f"reader-{user.pk}" in text and "kelvin" not in text, path


def test_the_chosen_display_name_is_shown_instead(client, store, new_client):
    p = paper(store, published="2026-01-14")
    signup(client, "maxwell@example.org", display_name="J. C. Maxwell")
    verify(store, "maxwell@example.org")
    post(client, "/comments", {"paper": p.id, "body": "Fields!"}, from_page=f"/papers/{p.id}")
    text = new_client().get(f"/papers/{p.id}").text
    assert "J. C. Maxwell" in text and "maxwell@" not in text


# -- item 14: API tokens -------------------------------------------------------------------------------------
def test_revoke_all_ends_every_api_token(client, store):
    signup(client, "tokens@example.org")
    user = db.user_by_email(store, "tokens@example.org")
    secrets = [api_token(store, user, f"t{i}") for i in range(2)]
    assert post(client, "/account/tokens/revoke-all").status_code == 303
    for secret in secrets:
        assert client.get("/api/me", headers={**bearer(secret), "Accept": "application/json"}).status_code == 401


def test_a_password_reset_revokes_the_api_tokens(client, store, mailbox):
    signup(client, "reset@example.org")
    secret = api_token(store, db.user_by_email(store, "reset@example.org"))
    post(client, "/account/forgot", {"email": "reset@example.org"}, from_page="/account/forgot")
    link = mailbox.link("reset@example.org", "/account/reset")
    post(client, "/account/reset", {"token": link.split("token=")[1], "password": "another password"}, from_page=link)
    assert client.get("/api/me", headers={**bearer(secret), "Accept": "application/json"}).status_code == 401


def test_a_password_change_revokes_the_api_tokens_only_when_asked(client, store):
    signup(client, "change@example.org")
    user = db.user_by_email(store, "change@example.org")
    kept = api_token(store, user, "kept")
    assert post(client, "/account/password", {"current_password": PASSWORD, "new_password": "second password"}
                ).status_code == 303  # fmt: skip
    assert db.user_tokens(store, user.pk)
    assert 'name="revoke_tokens"' in client.get("/account").text
    post(client, "/account/password", {"current_password": "second password", "new_password": "third password",
                                       "revoke_tokens": "1"})  # fmt: skip
    assert db.user_tokens(store, user.pk) == []
    assert client.get("/api/me", headers={**bearer(kept), "Accept": "application/json"}).status_code == 401


def test_a_deleted_collections_reused_id_never_shows_another_users_collection(client, store, new_client):
    signup(client, "first@example.org")
    pk = int(post(client, "/collections", {"name": "Old public", "public": "1"}).headers["location"].rsplit("/", 1)[1])
    old_slug = db.get_collection(store, pk).slug
    post(client, f"/collections/{pk}/delete")
    other = new_client()
    signup(other, "second@example.org")
    new_pk = int(post(other, "/collections", {"name": "Someone else's", "public": "1"}).headers["location"].rsplit("/", 1)[1])
    anonymous = new_client()
    assert anonymous.get(f"/collections/{old_slug}").status_code == 404
    assert anonymous.get(f"/collections/{pk}").status_code == 404  # even when SQLite gave the id out again
    assert db.get_collection(store, new_pk).slug != old_slug


# -- #19 item 5: log in, then back where you were ------------------------------------------------------------
def test_a_signed_out_vote_leads_to_log_in_with_a_reason_and_back_to_the_page(client, store):
    p = paper(store, published="2026-01-14")
    signup(client, "voter@example.org")
    client.post("/account/logout", data={"csrf": csrf(client, "/account")})
    page = f"/papers/{p.id}?tab=comments"
    response = post(client, "/vote", {"paper": p.id, "on": "1"}, headers={"Referer": f"http://testserver{page}"})
    assert response.status_code == 303
    login_page = client.get(response.headers["location"])
    assert "Log in to vote for papers." in login_page.text
    done = post(client, "/account/login", {"email": "voter@example.org", "password": PASSWORD, "next": page},
                from_page=response.headers["location"])  # fmt: skip
    assert done.status_code == 303 and done.headers["location"] == page


def test_an_htmx_action_signed_out_gets_an_hx_redirect(client, store):
    p = paper(store, published="2026-01-14")
    headers = {"HX-Request": "true", "HX-Current-URL": f"http://testserver/papers/{p.id}"}
    response = post(client, "/rate", {"paper": p.id, "value": "1"}, headers=headers)
    assert response.headers["HX-Redirect"] == f"/account/login?next=%2Fpapers%2F{p.id}&reason=rate"


def test_log_in_follows_only_same_site_next_paths(client):
    signup(client, "safe@example.org")
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        client.post("/account/logout", data={"csrf": csrf(client, "/account")})
        done = post(client, "/account/login", {"email": "safe@example.org", "password": PASSWORD, "next": target})
        assert done.status_code == 303 and done.headers["location"] == "/", target


def test_the_card_vote_link_comes_back_to_the_page_it_was_on(client):
    login_page = client.get("/account/login?reason=vote", headers={"Referer": "http://testserver/?day=2026-01-14"})
    assert "Log in to vote for papers." in login_page.text
    assert 'name="next" value="/?day=2026-01-14"' in login_page.text


def test_with_email_the_confirmation_link_returns_to_the_page_sign_up_came_from(client, store, mailbox):
    p = paper(store, published="2026-01-14")
    signup_post(client, "returning@example.org", next=f"/papers/{p.id}")
    link = mailbox.link("returning@example.org", "/account/verify")
    opened = client.get(link, follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"] == f"/papers/{p.id}"
