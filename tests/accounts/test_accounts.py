"""Accounts (SQLite and PostgreSQL): sign-up with an emailed verification link read from a real SMTP
server, log-in/out, sessions, CSRF, rate limits, password change and reset, deletion, logs."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import time

import httpx

from paperwire.services import accounts as svc
from paperwire.store import accounts as db
from tests.browsing import HTML, csrf, login, post, signup
from tests.factories import PASSWORD, api_token, bearer
from tests.conftest import free_port


def me(client) -> str | None:
    page = client.get("/account", follow_redirects=False)
    return page.text if page.status_code == 200 else None


def test_sign_up_sends_a_verification_link_that_confirms_the_email_and_signs_in(client, mailbox, store):
    response = post(client, "/account/signup", {"email": "Ada@Example.org", "password": PASSWORD, "password2": PASSWORD,
                                                "display_name": "Ada"}, from_page="/account/signup")  # fmt: skip
    assert response.status_code == 303 and response.headers["location"] == "/account/signup/sent"
    assert "pw_session=" not in response.headers.get("set-cookie", "")
    assert not db.user_by_email(store, "ada@example.org").verified
    link = mailbox.link("ada@example.org", "/account/verify")
    opened = client.get(link, follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"] == "/for-you/start?welcome=1"
    cookie = opened.headers["set-cookie"]
    assert "pw_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert db.user_by_email(store, "ada@example.org").verified
    assert "not confirmed yet" not in me(client)
    assert client.get("/account/verify?token=forged.token").status_code == 400


def test_a_second_use_of_the_verification_link_signs_nobody_in(client, new_client, mailbox):
    post(client, "/account/signup", {"email": "once@example.org", "password": PASSWORD, "password2": PASSWORD},
         from_page="/account/signup")  # fmt: skip
    link = mailbox.link("once@example.org", "/account/verify")
    assert client.get(link, follow_redirects=False).status_code == 303
    other = new_client()
    again = other.get(link, follow_redirects=False)
    assert again.status_code == 200 and "pw_session=" not in again.headers.get("set-cookie", "")


def test_sign_up_refuses_bad_input_with_a_message_not_a_500(client):
    token = csrf(client, "/account/signup")
    for data in ({"email": "not-an-email", "password": PASSWORD}, {"email": "a@b.org", "password": "short"},
                 {"email": "a@b.org", "password": "x" * 2000}, {}):  # fmt: skip
        response = client.post("/account/signup", data={"csrf": token, **data})
        assert response.status_code == 400, data


def test_log_in_and_log_out_and_the_old_cookie_is_dead(client, new_client):
    signup(client, "bob@example.org")
    client.cookies.clear()
    assert login(client, "bob@example.org", "wrong password").status_code == 400
    assert login(client, "bob@example.org").status_code == 303
    old = client.cookies.get("pw_session")
    assert me(client)
    response = post(client, "/account/logout", from_page="/account")
    assert response.status_code == 303 and me(client) is None
    replay = new_client()
    replay.cookies.set("pw_session", old)
    assert me(replay) is None  # the session ended on the server, not only in this browser


def test_a_form_post_without_the_csrf_token_is_refused(client, store):
    signup(client, "carol@example.org")
    assert client.post("/account/logout", follow_redirects=False).status_code == 403
    assert client.post("/account/tokens", data={"name": "x", "csrf": "forged"}).status_code == 403
    assert client.post("/collections", data={"name": "x"}).status_code == 403
    token = csrf(client, "/account")
    refused = client.post("/collections", data={"name": "x", "csrf": token}, headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403
    assert db.user_collections(store, db.user_by_email(store, "carol@example.org").pk) == []
    assert client.post("/account/login", data={"email": "carol@example.org", "password": PASSWORD}).status_code == 403


def test_repeated_wrong_passwords_are_rate_limited(client):
    signup(client, "dave@example.org")
    client.cookies.clear()
    statuses = [login(client, "dave@example.org", f"wrong {i}").status_code for i in range(6)]
    assert statuses[:5] == [400] * 5 and statuses[5] == 429
    last = login(client, "dave@example.org")  # even the right password waits now
    assert last.status_code == 429 and int(last.headers["Retry-After"]) > 0


def test_a_password_change_ends_every_other_session(client, new_client):
    signup(client, "erin@example.org")
    other = new_client()
    login(other, "erin@example.org")
    assert me(other)
    bad = post(client, "/account/password", {"current_password": "nope", "new_password": "another long one"})
    assert bad.status_code == 400
    changed = post(client, "/account/password", {"current_password": PASSWORD, "new_password": "another long one"})
    assert changed.status_code == 303
    assert me(client) and me(other) is None  # this browser got a fresh session; the other one ended
    other.cookies.clear()
    assert login(other, "erin@example.org").status_code == 400
    assert login(other, "erin@example.org", "another long one").status_code == 303


def test_password_reset_by_emailed_link_works_once(client, new_client, mailbox):
    signup(client, "fay@example.org")
    stranger = new_client()
    sent = post(stranger, "/account/forgot", {"email": "fay@example.org"}, from_page="/account/forgot")
    assert sent.status_code == 200
    assert post(stranger, "/account/forgot", {"email": "nobody@example.org"}, from_page="/account/forgot").text == sent.text
    link = mailbox.link("fay@example.org", "/account/reset")
    token = link.split("token=")[1]
    page = stranger.get(link)
    assert page.status_code == 200 and 'name="token"' in page.text
    done = post(stranger, "/account/reset", {"token": token, "password": "brand new pass"}, from_page=link)
    assert done.status_code == 200
    assert me(client) is None  # the old session ended
    again = post(stranger, "/account/reset", {"token": token, "password": "yet another pass"}, from_page=link)
    assert again.status_code == 400
    assert login(stranger, "fay@example.org", "brand new pass").status_code == 303


def test_no_password_or_token_appears_in_logs(client, mailbox, caplog):
    caplog.set_level(logging.DEBUG)
    secret_password = "s3cret-Passw0rd-xyz"
    signup(client, "gus@example.org", secret_password)
    client.cookies.clear()
    login(client, "gus@example.org", "wrong-Passw0rd-abc")
    login(client, "gus@example.org", secret_password)
    created = post(client, "/account/tokens", {"name": "script"})
    token = created.text.split('id="new-token">')[1].split("<")[0]
    assert token.startswith("pw_")
    assert client.get("/api/me", headers=bearer(token)).status_code == 200
    verify_token = mailbox.link("gus@example.org", "/account/verify").split("token=")[1]
    session = client.cookies.get("pw_session")
    text = "\n".join(r.getMessage() for r in caplog.records)
    for secret in (secret_password, "wrong-Passw0rd-abc", token, verify_token, session):
        assert secret not in text


def test_deleting_the_account_removes_its_data(client, store):
    signup(client, "hal@example.org")
    user = db.user_by_email(store, "hal@example.org")
    post(client, "/collections", {"name": "Reading list"})
    api_token(store, user, "t")
    assert post(client, "/account/delete", {"password": "wrong"}).status_code == 400
    assert post(client, "/account/delete", {"password": PASSWORD}).status_code == 200
    assert db.user_by_email(store, "hal@example.org") is None
    assert db.user_collections(store, user.pk) == [] and db.user_tokens(store, user.pk) == []
    assert me(client) is None


def test_the_admin_cli_creates_and_disables_users(db_url, store):
    from typer.testing import CliRunner

    from paperwire.cli.main import app

    runner = CliRunner()
    made = runner.invoke(app, ["user", "create", "root@example.org", "--admin", "--password-stdin", "--json",
                               "--database-url", db_url], input=PASSWORD + "\n")  # fmt: skip
    assert made.exit_code == 0, made.output
    user = db.user_by_email(store, "root@example.org")
    assert user.is_admin and user.verified
    assert svc.authenticate(store, "root@example.org", PASSWORD) is not None
    again = runner.invoke(app, ["user", "create", "root@example.org", "--password-stdin", "--database-url", db_url],
                          input=PASSWORD + "\n")  # fmt: skip
    assert again.exit_code == 2
    off = runner.invoke(app, ["user", "disable", "root@example.org", "--database-url", db_url])
    assert off.exit_code == 0, off.output
    assert svc.authenticate(store, "root@example.org", PASSWORD) is None
    assert runner.invoke(app, ["user", "disable", "ghost@example.org", "--database-url", db_url]).exit_code == 2


def test_no_token_appears_in_the_access_log_of_paperwire_serve(tmp_path, smtp, mailbox):
    """The real server: its access log lists the verification and reset links with ``token=***``."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PAPERWIRE_DATA_DIR": str(tmp_path), "PAPERWIRE_SMTP_URL": smtp[1], "PAPERWIRE_BASE_URL": base,
           "PAPERWIRE_SECRET_KEY": "access-log-test-key", "PYTHONUNBUFFERED": "1"}  # fmt: skip
    env.pop("PAPERWIRE_DATABASE_URL", None)
    log_path = tmp_path / "serve.log"
    with open(log_path, "wb") as log_file:
        proc = subprocess.Popen([sys.executable, "-m", "paperwire.cli.main", "serve", "--host", "127.0.0.1", "--port",
                                 str(port), "--workers", "1"],  # one process: the one that writes an access log
                                env=env, stdout=log_file, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        with httpx.Client(base_url=base, headers=HTML, timeout=10) as browser:
            deadline = time.monotonic() + 30
            while True:
                try:
                    browser.get("/healthz")
                    break
                except httpx.TransportError:
                    assert proc.poll() is None, log_path.read_text()
                    assert time.monotonic() < deadline, "paperwire serve did not start"
                    time.sleep(0.2)
            signup(browser, "ivy@example.org")
            verify_link = mailbox.link("ivy@example.org", "/account/verify")
            assert browser.get(verify_link, follow_redirects=True).status_code == 200
            assert post(browser, "/account/forgot", {"email": "ivy@example.org"}, from_page="/account/forgot").status_code == 200
            reset_link = mailbox.link("ivy@example.org", "/account/reset")
            assert browser.get(reset_link).status_code == 200
    finally:
        proc.terminate()
        proc.wait(10)
    text = log_path.read_text()
    assert "GET /account/verify?token=*** HTTP/1.1" in text and "GET /account/reset?token=*** HTTP/1.1" in text
    for link in (verify_link, reset_link):
        assert link.split("token=")[1] not in text
