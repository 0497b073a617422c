"""The feed and trending use cases against a real database (SQLite and PostgreSQL)."""
from __future__ import annotations

from datetime import datetime

from paperwire.services import feed
from paperwire.services.periods import Period
from paperwire.store.schema_accounts import users, votes
from tests.factories import ingest, make_record

NOW = datetime(2026, 2, 1, 18, 0)


def _vote(store, paper_id: str, voters: int) -> None:
    paper = store.get_paper(paper_id)
    with store.transaction() as conn:
        for n in range(voters):
            user = conn.execute(users.insert().values(email=f"v{n}-{paper_id}@example.org", created_at=NOW)
                                .returning(users.c.pk)).scalar_one()  # fmt: skip
            conn.execute(votes.insert().values(user_pk=user, paper_pk=paper.pk, created_at=NOW))


def test_the_upvote_sort_counts_imported_upvotes_and_local_votes(store):
    ingest(store, [make_record(id="2602.00001", published="2026-02-01", upvotes=3),
                   make_record(id="2602.00002", published="2026-02-01", upvotes=0)])  # fmt: skip
    _vote(store, "2602.00002", 4)
    page = feed.feed(store, Period.parse("day", "2026-02-01"), sort="upvotes")
    assert [p.id for p in page.papers] == ["2602.00002", "2602.00001"]


def test_trending_ranks_a_fresh_paper_with_local_votes_above_an_older_upvoted_one(store):
    ingest(store, [make_record(id="2602.00003", published="2026-01-25", upvotes=20),
                   make_record(id="2602.00004", published="2026-02-01T12:00:00Z", upvotes=0)])  # fmt: skip
    _vote(store, "2602.00004", 5)
    page = feed.trending(store, now=NOW)
    assert [p.id for p in page.papers][:2] == ["2602.00004", "2602.00003"]


def test_a_feed_page_knows_the_nearest_days_with_papers(store):
    ingest(store, [make_record(published=day) for day in ("2026-01-30", "2026-02-02")])
    page = feed.feed(store, Period.parse("day", "2026-01-31"))
    assert (page.total, page.older.isoformat(), page.newer.isoformat()) == (0, "2026-01-30", "2026-02-02")
