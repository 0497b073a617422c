"""``numComments`` in the API: the count imported from Hugging Face plus the visible local comments
(hidden ones are not counted), in lists and single-paper responses, on SQLite and PostgreSQL."""
from __future__ import annotations

from paperwire.store import accounts as db
from tests.factories import account, ingest, make_record


def test_num_comments_adds_visible_local_comments_to_the_imported_count(client, store):
    ingest(store, [make_record(id="2401.00001", published="2024-01-09", num_comments=4),
                   make_record(id="2401.00002", published="2024-01-09")])
    first, second = store.get_paper("2401.00001"), store.get_paper("2401.00002")
    user = account(store, "c@example.org")
    for body in ("one", "two", "three"):
        db.add_comment(store, first.pk, user.pk, body)
    hidden = db.add_comment(store, first.pk, user.pk, "spam")
    db.update_comment(store, hidden, is_hidden=True)
    db.update_comment(store, db.add_comment(store, second.pk, user.pk, "hidden too"), is_hidden=True)

    items = {i["paper"]["id"]: i for i in client.get("/api/daily_papers?date=2024-01-09").json()}
    assert (items["2401.00001"]["numComments"], items["2401.00001"]["paper"]["numComments"]) == (7, 7)
    assert items["2401.00002"]["numComments"] == 0
    assert client.get("/api/papers/2401.00001").json()["numComments"] == 7
    assert db.comment_counts(store, [first.pk, second.pk]) == {first.pk: 3}
