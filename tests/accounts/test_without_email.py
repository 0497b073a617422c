"""Self-hosting without an email server (issue #19 item 1), on SQLite and PostgreSQL: accounts usable at
once, pages that say no email is sent, the operator's commands, and ``console://`` mail written to the
log and to .eml files."""
from __future__ import annotations

import email
import email.policy
import logging
import re

import pytest
from typer.testing import CliRunner

from paperwire.services import accounts as svc
from paperwire.store import accounts as db
from paperwire.store import digest as digest_db
from tests.browsing import post
from tests.factories import PASSWORD, account, api_token, paper

NOTE = "This instance sends no email"


def signup_post(client, email_address: str, **extra):
    return post(client, "/account/signup", {"email": email_address, "password": PASSWORD, "password2": PASSWORD,
                                            **extra}, from_page="/account/signup")  # fmt: skip


class TestNoSmtp:
    @pytest.fixture
    def pw_settings(self):
        return {"secret_key": "test-secret-key"}  # no PAPERWIRE_SMTP_URL

    def test_sign_up_makes_an_account_usable_at_once(self, client, store):
        p = paper(store, published="2026-01-14")
        response = signup_post(client, "solo@example.org")
        assert response.status_code == 303 and response.headers["location"] == "/for-you/start?welcome=1"
        assert "pw_session=" in response.headers["set-cookie"]
        assert db.user_by_email(store, "solo@example.org").verified
        commented = post(client, "/comments", {"paper": p.id, "body": "First!"}, from_page=f"/papers/{p.id}")
        assert commented.status_code == 303 and "First!" in client.get(f"/papers/{p.id}").text
        assert post(client, "/account/digest", {"action": "subscribe"}).status_code == 303
        assert digest_db.get_subscriber(store, email="solo@example.org").status == "active"

    def test_sign_up_returns_to_the_page_it_came_from(self, client, store):
        p = paper(store, published="2026-01-14")
        form = client.get(f"/account/signup?next=/papers/{p.id}")
        assert f'name="next" value="/papers/{p.id}"' in form.text
        response = signup_post(client, "back@example.org", next=f"/papers/{p.id}")
        assert response.headers["location"] == f"/papers/{p.id}"

    @pytest.mark.parametrize("path", ["/account/signup", "/account/forgot", "/digest"])
    def test_the_pages_say_in_one_line_that_no_email_is_sent_and_how_to_enable_it(self, client, path):
        text = client.get(path).text
        assert NOTE in text and "PAPERWIRE_SMTP_URL" in text

    def test_forgot_names_the_operators_command(self, client):
        answer = post(client, "/account/forgot", {"email": "who@example.org"}, from_page="/account/forgot")
        assert answer.status_code == 503 and "paperwire user set-password" in answer.text


def test_with_smtp_the_pages_say_nothing_about_missing_email(client):
    for path in ("/account/signup", "/account/forgot", "/digest"):
        assert NOTE not in client.get(path).text


# -- the operator's commands -----------------------------------------------------------------------------------
def test_user_verify_confirms_an_address(db_url, store):
    from paperwire.cli.main import app

    account(store, "later@example.org")
    result = CliRunner().invoke(app, ["user", "verify", "later@example.org", "--database-url", db_url])
    assert result.exit_code == 0, result.output
    assert db.user_by_email(store, "later@example.org").verified


def test_user_set_password_reads_stdin_and_ends_sessions_and_tokens(db_url, store):
    from paperwire.cli.main import app

    user = account(store, "forgetful@example.org", PASSWORD)
    api_token(store, user)
    svc.start_session(store, user)
    result = CliRunner().invoke(app, ["user", "set-password", "forgetful@example.org", "--database-url", db_url],
                                input="a brand new password\n")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "a brand new password" not in result.output
    assert svc.authenticate(store, "forgetful@example.org", "a brand new password") is not None
    assert db.user_tokens(store, user.pk) == []


def test_the_user_commands_refuse_an_unknown_address_or_a_short_password(db_url, store):
    from paperwire.cli.main import app

    account(store, "known@example.org")
    runner = CliRunner()
    missing = runner.invoke(app, ["user", "verify", "nobody@example.org", "--database-url", db_url])
    assert missing.exit_code != 0 and "no user" in missing.output
    short = runner.invoke(app, ["user", "set-password", "known@example.org", "--database-url", db_url], input="short\n")
    assert short.exit_code != 0 and "at least 8" in short.output


# -- console:// ------------------------------------------------------------------------------------------------
class TestConsoleMail:
    @pytest.fixture
    def pw_settings(self):
        return {"secret_key": "test-secret-key", "smtp_url": "console://"}

    def _emails(self, folder) -> list:
        return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                for p in sorted((folder / "mail").glob("*.eml"))]  # fmt: skip

    def test_the_confirmation_email_is_logged_and_written_as_an_eml_file(self, client, pw, store, tmp_path, caplog):
        caplog.set_level(logging.INFO, logger="paperwire.digest.smtp")
        assert signup_post(client, "dev@example.org").headers["location"] == "/account/signup/sent"
        pw.wait_mail(10)
        [message] = self._emails(tmp_path)
        assert message["To"] == "dev@example.org"
        link = re.search(r"https?://\S+(/account/verify\?token=\S+)", message.get_body(("plain",)).get_content()).group(1)
        assert link in caplog.text
        assert client.get(link, follow_redirects=False).status_code == 303
        assert db.user_by_email(store, "dev@example.org").verified

    def test_reset_and_digest_confirmation_emails_go_to_files_too(self, client, pw, store, tmp_path):
        account(store, "files@example.org", PASSWORD, verified=True)
        post(client, "/account/forgot", {"email": "files@example.org"}, from_page="/account/forgot")
        client.post("/digest", data={"email": "files@example.org"})
        pw.wait_mail(10)
        subjects = sorted(m["Subject"] for m in self._emails(tmp_path))
        assert subjects == ["Confirm your paperwire digest subscription", "Reset your paperwire password"]

    def test_a_digest_is_written_as_an_eml_file(self, pw, store, tmp_path):
        from datetime import date

        from paperwire.services import digest as digest_svc
        from tests.factories import active_subscriber, load, make_record

        load(store, make_record(day="2026-06-02", title="Console digests", upvotes=30, categories=["cs.CL"]))
        active_subscriber(store, "reader@example.org")
        report = digest_svc.run_due(pw, digest_date=date(2026, 6, 3))
        assert report.outcomes["sent"] == 1
        [message] = self._emails(tmp_path)
        assert message["To"] == "reader@example.org" and "List-Unsubscribe" in message
