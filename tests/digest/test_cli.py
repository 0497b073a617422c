"""`paperwire subscribers add|list|remove` and `paperwire digest preview|send` (one services call each)."""
from __future__ import annotations

import json

from typer.testing import CliRunner

from paperwire.cli.main import app
from tests.factories import load, make_record

runner = CliRunner()


def _run(db_url, *args, env=None):
    clean = {"PAPERWIRE_SMTP_URL": None, "PAPERWIRE_REDIS_URL": None}
    result = runner.invoke(app, [*args, "--database-url", db_url], env={**clean, **(env or {})})
    return result


def test_subscribers_add_list_remove(sqlite_store, smtp_server):
    url = str(sqlite_store.engine.url)
    assert _run(url, "subscribers", "add", "Ada@Example.org", "--confirmed", "--weekly", "--categories", "cs.CL,cs.LG").exit_code == 0
    env = {"PAPERWIRE_SMTP_URL": smtp_server.url}
    assert _run(url, "subscribers", "add", "bob@example.org", env=env).exit_code == 0  # gets a confirmation email
    assert len(smtp_server.mailbox.to("bob@example.org")) == 1
    listed = json.loads(_run(url, "subscribers", "list", "--json").stdout)
    assert [(r["email"], r["status"], r["frequency"]) for r in listed] == [
        ("ada@example.org", "active", "weekly"), ("bob@example.org", "pending", "daily")]
    assert listed[0]["categories"] == ["cs.CL", "cs.LG"]
    assert _run(url, "subscribers", "add", "not an address").exit_code == 2
    assert _run(url, "subscribers", "remove", "bob@example.org").exit_code == 0
    assert _run(url, "subscribers", "remove", "bob@example.org").exit_code == 2
    assert [r["email"] for r in json.loads(_run(url, "subscribers", "list", "--json").stdout)] == ["ada@example.org"]


def test_digest_preview_and_send(sqlite_store, smtp_server):
    url = str(sqlite_store.engine.url)
    load(sqlite_store, make_record(day="2026-06-02", title="A paper for the command line", upvotes=2))
    assert _run(url, "subscribers", "add", "ada@example.org", "--confirmed").exit_code == 0
    shown = _run(url, "digest", "preview", "--email", "ada@example.org", "--date", "2026-06-03")
    assert shown.exit_code == 0 and "A paper for the command line" in shown.stdout
    raw = _run(url, "digest", "preview", "--email", "ada@example.org", "--date", "2026-06-03", "--raw")
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in raw.stdout
    assert smtp_server.mailbox.messages == []
    env = {"PAPERWIRE_SMTP_URL": smtp_server.url}
    sent = _run(url, "digest", "send", "--date", "2026-06-03", "--json", env=env)
    assert sent.exit_code == 0, sent.output
    assert json.loads(sent.stdout)["sent"] == 1
    again = _run(url, "digest", "send", "--date", "2026-06-03", "--json", env=env)
    assert json.loads(again.stdout).get("sent", 0) == 0 and len(smtp_server.mailbox.messages) == 1
    assert _run(url, "digest", "send").exit_code == 2  # no SMTP server configured
